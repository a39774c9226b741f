// SPDX-License-Identifier: GPL-2.0
/*
 * Device names: the ids from sysfs, the names from libpci (pciutils' library,
 * the one lspci uses: pci.ids, or udev's hwdb where there is one). The text
 * line is what "lspci -nn" prints after the slot, without "(rev xx)".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <pci/pci.h>

#include "dmaownctl.h"

/* libpci 3.8 added PCI_NONRET; Debian 11 has 3.7. */
#ifndef PCI_NONRET
#define PCI_NONRET __attribute__((noreturn))
#endif

static struct pci_access *pacc;

/*
 * libpci's fatal errors (out of memory, a pci.ids that does not parse, as
 * lspci would die of): with the program's name, then exit.
 */
static void PCI_PRINTF(1, 2) PCI_NONRET pci_error(char *fmt, ...)
{
	char msg[512];
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = 0;
	err("libpci: %s", msg);
	exit(XC_FAIL);
}

static void PCI_PRINTF(1, 2) pci_quiet(char *fmt, ...)
{
	(void)fmt;
}

/*
 * Only the name lookup is used, never pci_init(): the ids come from sysfs,
 * so libpci needs no access method and scans nothing.
 */
static struct pci_access *names(void)
{
	if (!pacc) {
		pacc = pci_alloc();
		pacc->error = pci_error;
		pacc->warning = pci_quiet;
		pacc->debug = pci_quiet;
	}
	return pacc;
}

/* @p's names for these ids: the lspci -nn line, and each name or NULL. */
void pci_names_from_ids(unsigned int class, unsigned int vendor, unsigned int device,
			struct pci_names *p)
{
	struct pci_access *a = names();
	char cls[256], dev[256];
	char *s, *e;
	size_t n;

	p->ok = true;
	p->class = class;
	p->vendor = vendor;
	p->device = device;
	snprintf(p->terse, sizeof(p->terse), "%s: %s",
		 pci_lookup_name(a, cls, sizeof(cls), PCI_LOOKUP_CLASS | PCI_LOOKUP_MIXED,
				 (int)(class >> 8)),
		 pci_lookup_name(a, dev, sizeof(dev),
				 PCI_LOOKUP_VENDOR | PCI_LOOKUP_DEVICE | PCI_LOOKUP_MIXED,
				 (int)vendor, (int)device));
	/*
	 * The class alone, as lspci names it: the subclass, else the base class
	 * (which libpci gives with the full number, "Bridge [0680]": dropped).
	 */
	s = pci_lookup_name(a, p->buf[0], sizeof(p->buf[0]),
			    PCI_LOOKUP_CLASS | PCI_LOOKUP_NO_NUMBERS, (int)(class >> 8));
	if (s) {
		n = strlen(s);
		e = strrchr(s, '[');
		if (e && e > s + 1 && e[-1] == ' ' && n - (size_t)(e - s) == 6 && s[n - 1] == ']')
			e[-1] = 0;
		if (s != p->buf[0])
			s = NULL;	/* "<pci_lookup_name: ...>": not a name */
	}
	p->class_name = s;
	s = pci_lookup_name(a, p->buf[1], sizeof(p->buf[1]),
			    PCI_LOOKUP_VENDOR | PCI_LOOKUP_NO_NUMBERS, (int)vendor);
	p->vendor_name = s == p->buf[1] ? s : NULL;
	s = pci_lookup_name(a, p->buf[2], sizeof(p->buf[2]),
			    PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_NUMBERS, (int)vendor, (int)device);
	p->device_name = s == p->buf[2] ? s : NULL;
}

static bool read_hex(const char *dir, const char *attr, unsigned int *v)
{
	char path[PATH_MAX], buf[32], *end;
	unsigned long x;

	snprintf(path, sizeof(path), "%s/%s", dir, attr);
	if (!read_line(path, buf, sizeof(buf)))
		return false;
	errno = 0;
	x = strtoul(buf, &end, 16);
	if (errno || *end || end == buf || x > UINT_MAX)
		return false;
	*v = (unsigned int)x;
	return true;
}

/* A PCI device's ids from sysfs and its names; false for other buses. */
bool pci_names_read(const char *bus, const char *name, struct pci_names *p)
{
	unsigned int class, vendor, device;
	char dir[PATH_MAX];

	memset(p, 0, sizeof(*p));
	if (strcmp(bus, "pci"))
		return false;
	snprintf(dir, sizeof(dir), SYS_BUS "/pci/devices/%s", name);
	if (!read_hex(dir, "class", &class) || !read_hex(dir, "vendor", &vendor) ||
	    !read_hex(dir, "device", &device))
		return false;
	pci_names_from_ids(class, vendor, device, p);
	return true;
}
