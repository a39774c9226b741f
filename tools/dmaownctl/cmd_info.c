// SPDX-License-Identifier: GPL-2.0
/*
 * dmaownctl info: what DMAOWN_GET_INFO reports.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dmaownctl.h"
#include "json.h"

static const char usage_info[] =
	"Usage: dmaownctl info [--json]\n"
	"\n"
	"Print what DMAOWN_GET_INFO reports: the module's version, API version and\n"
	"how it provides ownership on this kernel.\n"
	"\n"
	"  -j, --json   machine-readable output (schema in dmaownctl(8))\n"
	"  -h, --help   this text\n";

static int run_info(int argc, char **argv)
{
	static const struct {
		__u32 bit;
		const char *key;
	} flags[] = {
		{ DMAOWN_INFO_CORE_OWNERSHIP, "core_ownership" },
		{ DMAOWN_INFO_LEGACY_OWNERSHIP, "legacy_ownership" },
		{ DMAOWN_INFO_PROBE_GUARD, "probe_guard" },
		{ DMAOWN_INFO_DRIVER_MANAGED_DMA, "driver_managed_dma" },
	};
	struct dmaown_info info;
	char safe[512], version[sizeof(info.out_version) + 1];
	bool json = false, have_safe;
	struct json j = { .f = stdout };
	size_t i;
	int fd, r, nops;
	char **ops;

	r = parse_opts(argc, argv, usage_info, &json, &ops, &nops);
	if (r < 0 && nops) {
		err("info: unexpected argument '%s'", ops[0]);
		r = XC_USAGE;
	}
	free(ops);
	if (r >= 0)
		return r;
	fd = open_node(-1);
	r = get_info(fd, &info);
	if (r) {
		err("DMAOWN_GET_INFO: %s", strerror(-r));
		return XC_FAIL;
	}
	close(fd);
	have_safe = read_line(SYS_MODULE "/parameters/safe_drivers", safe, sizeof(safe));
	/* An unset charp parameter reads "(null)". */
	if (have_safe && !strcmp(safe, "(null)"))
		safe[0] = 0;
	if (json) {
		json_open(&j, NULL, '{');
		json_uint(&j, "schema", JSON_SCHEMA);
		json_str(&j, "node", DMAOWN_NODE, SIZE_MAX);
		json_str(&j, "version", info.out_version, sizeof(info.out_version));
		json_uint(&j, "api_version", info.out_api_version);
		json_uint(&j, "cli_api_version", DMAOWN_API_VERSION);
		json_str(&j, "cli_version", DMAOWNCTL_VERSION, SIZE_MAX);
		json_uint(&j, "flags_raw", info.out_flags);
		json_open(&j, "flags", '{');
		for (i = 0; i < ARRAY_SIZE(flags); i++)
			json_bool(&j, flags[i].key, info.out_flags & flags[i].bit);
		json_close(&j, '}');
		json_str_or_null(&j, "safe_drivers", have_safe ? safe : NULL, sizeof(safe));
		json_close(&j, '}');
		return XC_OK;
	}
	field_copy(version, sizeof(version), info.out_version, sizeof(info.out_version));
	printf("dmaown %s, API version %u (dmaownctl %s, API version %u)\n", version,
	       info.out_api_version, DMAOWNCTL_VERSION, DMAOWN_API_VERSION);
	printf("  Node:             %s\n", DMAOWN_NODE);
	printf("  Ownership:        %s\n",
	       info.out_flags & DMAOWN_INFO_CORE_OWNERSHIP ?
	       "the kernel's DMA-ownership API (shared with VFIO/iommufd)" :
	       info.out_flags & DMAOWN_INFO_LEGACY_OWNERSHIP ?
	       "provided by dmaown (this kernel has no DMA-ownership API)" : "unknown");
	/* The guard flag is clear while kprobes are disabled through debugfs. */
	printf("  Bind guard:       %s\n", info.out_flags & DMAOWN_INFO_PROBE_GUARD ?
	       "active: drivers that are not DMA-safe cannot bind to an owned group" :
	       info.out_flags & DMAOWN_INFO_CORE_OWNERSHIP ?
	       "disarmed (kprobes disabled); the kernel's DMA-ownership API still refuses drivers" :
	       "disarmed (kprobes disabled): claims fail until kprobes are enabled again");
	printf("  DMA-safe drivers: %s\n", info.out_flags & DMAOWN_INFO_DRIVER_MANAGED_DMA ?
	       "those marked driver_managed_dma by the kernel" :
	       "built-in list (vfio-pci, pci-stub, pcieport) and safe_drivers=");
	if (have_safe)
		printf("  safe_drivers=:    %s\n", safe[0] ? safe : "(none)");
	if (info.out_flags & ~(__u32)(DMAOWN_INFO_CORE_OWNERSHIP | DMAOWN_INFO_LEGACY_OWNERSHIP |
				      DMAOWN_INFO_PROBE_GUARD | DMAOWN_INFO_DRIVER_MANAGED_DMA))
		printf("  Other flags:      0x%x\n", info.out_flags);
	return XC_OK;
}

const struct command cmd_info = {
	.name = "info",
	.synopsis = "info [--json]",
	.summary = "the module's version and features",
	.usage = usage_info,
	.run = run_info,
};
