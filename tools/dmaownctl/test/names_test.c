// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of the naming module, for names_test.sh:
 *   names_test                  "SLOT LINE" for every device of
 *                               /sys/bus/pci/devices, LINE as dmaownctl list
 *                               prints it (to compare with lspci -nn -D)
 *   names_test CLASS VEN DEV    for these hex ids: the line, then class_name,
 *                               vendor_name and device_name ("(null)")
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "../dmaownctl.h"

static const char *s(const char *p)
{
	return p ? p : "(null)";
}

int main(int argc, char **argv)
{
	struct pci_names p;
	struct dirent *de;
	DIR *d;

	if (argc == 4) {
		memset(&p, 0, sizeof(p));
		pci_names_from_ids(strtoul(argv[1], NULL, 16), strtoul(argv[2], NULL, 16),
				   strtoul(argv[3], NULL, 16), &p);
		printf("%s\n%s\n%s\n%s\n", p.terse, s(p.class_name), s(p.vendor_name),
		       s(p.device_name));
		return 0;
	}
	d = opendir(SYS_BUS "/pci/devices");
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (pci_names_read("pci", de->d_name, &p))
			printf("%s %s\n", de->d_name, p.terse);
	}
	closedir(d);
	return 0;
}
