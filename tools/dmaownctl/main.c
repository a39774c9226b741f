// SPDX-License-Identifier: GPL-2.0
/*
 * dmaownctl: list, inspect and claim IOMMU groups through /dev/dmaown.
 *
 * Uses only the public uapi header <linux/dmaown.h>. Exit codes and the
 * JSON schema are documented in docs/dmaownctl.md and dmaownctl(8); keep
 * them stable. This file: main, the command table and the option parsing
 * that every command shares.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "dmaownctl.h"

/* The commands, in the order of the usage text: one row per command. */
static const struct command *const commands[] = {
	&cmd_list,
	&cmd_status,
	&cmd_claim,
	&cmd_quarantine,
	&cmd_monitor,
	&cmd_info,
};

/*
 * Common option parsing, GNU style: -h/--help and, where @json is non-NULL,
 * -j/--json, anywhere among argv[1..argc-1] ("status 5 --json" is "status
 * --json 5"); a "--" ends the options. The operands, in order, go to
 * *@ops (argv[0] there is unused), their number to *@nops. Returns -1 to go
 * on, else an exit code.
 *
 * The leading '-' of the short options returns each operand in place (as
 * option 1): the same behaviour whatever POSIXLY_CORRECT says. A command
 * that takes a COMMAND after "--" passes only the arguments before it.
 */
int parse_opts(int argc, char **argv, const char *usage, bool *json, char ***ops, int *nops)
{
	static const struct option opts_json[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct option opts_plain[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*ops = xcalloc(argc + 1, sizeof(**ops));
	*nops = 0;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, json ? "-hj" : "-h", json ? opts_json : opts_plain,
				NULL)) != -1) {
		switch (c) {
		case 1:
			(*ops)[(*nops)++] = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return XC_OK;
		case 'j':
			*json = true;
			break;
		default:
			/* optopt: the short option, or a long one's value; 0 when unknown. */
			if (optopt == 'h' || (json && optopt == 'j'))
				err("%s: option '%s' takes no argument", argv[0], argv[optind - 1]);
			else if (optopt)
				err("%s: unknown option '-%c'", argv[0], optopt);
			else
				err("%s: unknown option '%s'", argv[0], argv[optind - 1]);
			fputs(usage, stderr);
			return XC_USAGE;
		}
	}
	/* After "--": operands too. */
	while (optind < argc)
		(*ops)[(*nops)++] = argv[optind++];
	return -1;
}

static void usage_main(FILE *f)
{
	size_t i;

	fputs("Usage: dmaownctl [-h|--help] [-V|--version] COMMAND [ARGS]\n"
	      "\n"
	      "Inspect and claim IOMMU groups for user DMA through " DMAOWN_NODE ".\n"
	      "\n"
	      "Commands:\n", f);
	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		const char *s = commands[i]->summary, *nl;

		fprintf(f, "  %-38s", commands[i]->synopsis);
		for (; (nl = strchr(s, '\n')); s = nl + 1)
			fprintf(f, " %.*s\n%40s", (int)(nl - s), s, "");
		fprintf(f, " %s\n", s);
	}
	fputs("  help [COMMAND]                         this text, or a command's help\n"
	      "\n"
	      "GROUP is an IOMMU group id as under " SYS_GROUPS "/. DEVICE is a PCI\n"
	      "name (0000:00:03.0 or 00:03.0) or BUS:NAME (platform:NAME).\n"
	      "Run 'dmaownctl COMMAND --help' for a command's options; see dmaownctl(8).\n", f);
}

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(name, commands[i]->name))
			return commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2) {
		usage_main(stderr);
		return XC_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage_main(stdout);
		return XC_OK;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("dmaownctl %s (dmaown API %d)\n", DMAOWNCTL_VERSION, DMAOWN_API_VERSION);
		return XC_OK;
	}
	if (!strcmp(argv[1], "help")) {
		if (argc < 3) {
			usage_main(stdout);
			return XC_OK;
		}
		c = find_command(argv[2]);
		if (!c) {
			err("unknown command '%s'", argv[2]);
			return XC_USAGE;
		}
		fputs(c->usage, stdout);
		return XC_OK;
	}
	c = find_command(argv[1]);
	if (c)
		return c->run(argc - 1, argv + 1);
	err("unknown command '%s' (try 'dmaownctl --help')", argv[1]);
	return XC_USAGE;
}
