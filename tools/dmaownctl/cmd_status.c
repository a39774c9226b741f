// SPDX-License-Identifier: GPL-2.0
/*
 * dmaownctl status: the full verdict for one group, as text or JSON.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "dmaownctl.h"
#include "json.h"

static const char usage_status[] =
	"Usage: dmaownctl status [--json] GROUP|DEVICE\n"
	"\n"
	"Show the full verdict for one group (of DEVICE, when a device is named):\n"
	"state and holder, domain, interrupt isolation, viability and the devices\n"
	"that block a claim.\n"
	"\n"
	"  -j, --json   machine-readable output (schema in dmaownctl(8))\n"
	"  -h, --help   this text\n";

static int run_status(int argc, char **argv)
{
	struct json j = { .f = stdout };
	bool json = false;
	struct target t;
	struct gstat g;
	int fd, r, nops;
	char **ops;

	r = parse_opts(argc, argv, usage_status, &json, &ops, &nops);
	if (r < 0 && nops != 1) {
		err("status: expected one GROUP or DEVICE");
		fputs(usage_status, stderr);
		r = XC_USAGE;
	}
	if (r < 0 && !parse_target(ops[0], &t))
		r = XC_USAGE;
	free(ops);
	if (r >= 0)
		return r;
	fd = open_node(targets_one_group(&t, 1));
	r = resolve_target(&t);
	if (r)
		return r;
	r = group_status(fd, t.group, &g);
	if (r)
		return status_error(-r, &t, t.group);
	if (json) {
		json_open(&j, NULL, '{');
		json_uint(&j, "schema", JSON_SCHEMA);
		if (t.is_device) {
			json_open(&j, "query", '{');
			json_str(&j, "bus", t.bus, SIZE_MAX);
			json_str(&j, "device", t.name, SIZE_MAX);
			json_close(&j, '}');
		} else {
			json_null(&j, "query");
		}
		json_group(&j, "group", &g);
		json_close(&j, '}');
	} else {
		print_group_status_text(&g, &t);
	}
	gstat_free(&g);
	close(fd);
	return XC_OK;
}

const struct command cmd_status = {
	.name = "status",
	.synopsis = "status [--json] GROUP|DEVICE",
	.summary = "the full verdict for one group",
	.usage = usage_status,
	.run = run_status,
};
