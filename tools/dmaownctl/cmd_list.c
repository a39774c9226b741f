// SPDX-License-Identifier: GPL-2.0
/*
 * dmaownctl list: every IOMMU group, as text or JSON.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dmaownctl.h"
#include "json.h"

static const char usage_list[] =
	"Usage: dmaownctl list [--json]\n"
	"\n"
	"List every IOMMU group with its state (free, owned, busy), domain,\n"
	"viability, interrupt isolation and devices (class, ids, driver). A group\n"
	"that is not viable says why in one line.\n"
	"\n"
	"  -j, --json   machine-readable output (schema in dmaownctl(8))\n"
	"  -h, --help   this text\n";

static int run_list(int argc, char **argv)
{
	bool json = false, first = true;
	struct json j = { 0 };
	unsigned int *ids;
	char *buf = NULL;
	size_t n, i, len = 0;
	struct gstat g;
	int fd, r, nops;
	char **ops;

	r = parse_opts(argc, argv, usage_list, &json, &ops, &nops);
	if (r < 0 && nops) {
		err("list: unexpected argument '%s'", ops[0]);
		r = XC_USAGE;
	}
	free(ops);
	if (r >= 0)
		return r;
	fd = open_node(-1);
	r = list_group_ids(&ids, &n);
	if (r) {
		err("cannot read %s: %s", SYS_GROUPS, strerror(-r));
		return XC_FAIL;
	}
	/* JSON is printed whole or not at all: built in memory first. */
	j.f = json ? open_memstream(&buf, &len) : stdout;
	if (!j.f) {
		err("out of memory");
		return XC_FAIL;
	}
	if (json) {
		json_open(&j, NULL, '{');
		json_uint(&j, "schema", JSON_SCHEMA);
		json_open(&j, "groups", '[');
	} else if (!n) {
		note("%s: no IOMMU groups: is the IOMMU enabled (intel_iommu=on, amd_iommu=on)?",
		     prog);
	}
	for (i = 0; i < n; i++) {
		r = group_status(fd, ids[i], &g);
		if (r == -ENOENT)
			continue;	/* went away since readdir */
		if (r) {
			if (json) {
				fclose(j.f);
				free(buf);
			}
			return status_error(-r, NULL, ids[i]);
		}
		if (json) {
			json_group(&j, NULL, &g);
		} else {
			if (!first)
				putchar('\n');
			print_group_list_text(&g);
		}
		first = false;
		gstat_free(&g);
	}
	if (json) {
		json_close(&j, ']');
		json_close(&j, '}');
		fclose(j.f);
		fwrite(buf, 1, len, stdout);
		free(buf);
	}
	free(ids);
	close(fd);
	return XC_OK;
}

const struct command cmd_list = {
	.name = "list",
	.synopsis = "list [--json]",
	.summary = "every IOMMU group: state, viability, devices",
	.usage = usage_list,
	.run = run_list,
};
