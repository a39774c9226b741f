// SPDX-License-Identifier: GPL-2.0
/*
 * dmaownctl quarantine: the module's quarantine list (QUARANTINE_ADD,
 * QUARANTINE_REMOVE, the quarantine= parameter), the default domain type
 * that makes a hand-off to VFIO zero-window, and its boot-time form in
 * modprobe.d (options + softdep, with the native drivers from libkmod).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <libkmod.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "dmaownctl.h"
#include "json.h"

#define QUARANTINE_PARAM SYS_MODULE "/parameters/quarantine"
#define PERSIST_FILE "dmaown-quarantine.conf"
#define PERSIST_ENV "DMAOWN_MODPROBE_D"	/* tests: another modprobe.d */
#define MAX_SPECS 32

static const char usage_quarantine[] =
	"Usage: dmaownctl quarantine add [--persist] DEVICE|VENDOR:DEVICE...\n"
	"       dmaownctl quarantine remove [--persist] DEVICE|VENDOR:DEVICE...\n"
	"       dmaownctl quarantine list [--json]\n"
	"\n"
	"Keep the IOMMU groups of PCI devices blocked with no file open, from the\n"
	"moment they appear: the quarantine list of the dmaown module. DEVICE is a\n"
	"PCI address (0000:03:00.0 or 03:00.0); VENDOR:DEVICE an ID (1234:11e8).\n"
	"add first sets a device's group to a translated default domain (DMA)\n"
	"where the kernel allows it, so that a hand-off to VFIO passes through no\n"
	"identity domain; list tells, per group, whether it does.\n"
	"\n"
	"  -p, --persist  also write " "/etc/modprobe.d/" PERSIST_FILE ": the list as\n"
	"                 module options, and softdep lines that load dmaown before\n"
	"                 the devices' native drivers (then run update-initramfs)\n"
	"  -j, --json     list: machine-readable output (schema in dmaownctl(8))\n"
	"  -h, --help     this text\n";

/* --- the devices a spec names ---------------------------------------------------- */

struct spec {
	bool by_id;
	unsigned int domain, bus, slot, fn;
	unsigned int vendor, device;
};

static bool parse_spec(const char *s, struct spec *sp)
{
	char end;

	memset(sp, 0, sizeof(*sp));
	if (strlen(s) == 9 && sscanf(s, "%4x:%4x%c", &sp->vendor, &sp->device, &end) == 2) {
		sp->by_id = true;
		return true;
	}
	if (sscanf(s, "%4x:%2x:%2x.%1u%c", &sp->domain, &sp->bus, &sp->slot, &sp->fn, &end) == 4)
		return true;
	sp->domain = 0;
	return sscanf(s, "%2x:%2x.%1u%c", &sp->bus, &sp->slot, &sp->fn, &end) == 3;
}

static unsigned int read_hex(const char *dev, const char *attr)
{
	char path[512], buf[32];

	snprintf(path, sizeof(path), SYS_BUS "/pci/devices/%s/%s", dev, attr);
	return read_line(path, buf, sizeof(buf)) ? (unsigned int)strtoul(buf, NULL, 16) : ~0u;
}

static bool spec_matches(const struct spec *sp, const char *dev)
{
	unsigned int domain, bus, slot, fn;

	if (sp->by_id)
		return read_hex(dev, "vendor") == sp->vendor && read_hex(dev, "device") == sp->device;
	return sscanf(dev, "%x:%x:%x.%u", &domain, &bus, &slot, &fn) == 4 && domain == sp->domain &&
	       bus == sp->bus && slot == sp->slot && fn == sp->fn;
}

/* Call @fn for each present PCI device that @sp names. */
static void for_each_match(const struct spec *sp, void (*fn)(const char *dev, void *data),
			   void *data)
{
	struct dirent *de;
	DIR *d = opendir(SYS_BUS "/pci/devices");

	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && spec_matches(sp, de->d_name))
			fn(de->d_name, data);
	closedir(d);
}

static int dev_group(const char *dev)
{
	char path[512], link[512], *slash;
	ssize_t n;

	snprintf(path, sizeof(path), SYS_BUS "/pci/devices/%s/iommu_group", dev);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -1;
	link[n] = 0;
	slash = strrchr(link, '/');
	return slash ? atoi(slash + 1) : -1;
}

/* A translated default domain for @dev's group, where the kernel allows it. */
static void set_translated(const char *dev, void *data DMAOWNCTL_ATTR((unused)))
{
	char path[512], type[32];
	int gid = dev_group(dev);
	FILE *f;

	if (gid < 0)
		return;
	snprintf(path, sizeof(path), SYS_GROUPS "/%d/type", gid);
	if (!read_line(path, type, sizeof(type)) || strcmp(type, "identity"))
		return;
	f = fopen(path, "w");
	if (f) {
		bool ok = fputs("DMA", f) >= 0;

		/* the kernel's answer comes with the write, at fclose() */
		if (fclose(f) == 0 && ok) {
			note("group %d (%s): default domain set to DMA: a hand-off to VFIO passes through no identity domain",
			     gid, dev);
			return;
		}
	}
	note("group %d (%s): default domain stays identity (%s): a hand-off to VFIO would open a DMA window",
	     gid, dev, strerror(errno));
}

/* --- the list -------------------------------------------------------------------- */

/* The list as the module reads it back: comma-separated, canonical. */
static bool read_list(char *buf, size_t len)
{
	if (read_line(QUARANTINE_PARAM, buf, len))
		return true;
	err("cannot read %s: %s", QUARANTINE_PARAM, strerror(errno));
	return false;
}

static int quarantine_ioctl(int fd, unsigned long req, const char *spec)
{
	struct dmaown_quarantine q = { .size = sizeof(q) };

	if (strlen(spec) >= sizeof(q.spec)) {
		errno = EINVAL;
		return -1;
	}
	strcpy(q.spec, spec);
	return ioctl(fd, req, &q);
}

static int add_error(const char *spec, int e)
{
	switch (e) {
	case EINVAL:
		err("%s: not a PCI address (0000:03:00.0) nor a vendor:device ID (1234:11e8)", spec);
		return XC_USAGE;
	case EEXIST:
		note("%s: already quarantined", spec);
		return XC_OK;
	case ENODEV:
		err("%s: a matching device has no IOMMU group: dmaown cannot block its DMA", spec);
		return XC_NOGROUP;
	case EBUSY:
		err("%s: a matching device is bound to a driver that is not DMA-safe, or its group is held by another owner (see dmaownctl status)",
		    spec);
		return XC_BUSY;
	case ENOSPC:
		err("%s: the quarantine list is full", spec);
		return XC_FAIL;
	case EPERM:
	case EACCES:
		err("%s: permission denied", spec);
		return XC_PERM;
	}
	err("%s: %s", spec, strerror(e));
	return XC_FAIL;
}

static int remove_error(const char *spec, int e)
{
	switch (e) {
	case EINVAL:
		err("%s: not a PCI address (0000:03:00.0) nor a vendor:device ID (1234:11e8)", spec);
		return XC_USAGE;
	case ENOENT:
		err("%s: not in the quarantine list", spec);
		return XC_NOENT;
	case EBUSY:
		err("%s: a dmaown file or VFIO holds a group it keeps: release it first", spec);
		return XC_BUSY;
	}
	err("%s: %s", spec, strerror(e));
	return XC_FAIL;
}

/* --- --persist: modprobe.d -------------------------------------------------------- */

struct softdeps {
	struct kmod_ctx *ctx;
	char *names[64];
	size_t n;
};

/* Add the native drivers of @dev (its modalias, as modprobe -R resolves it). */
static void add_softdeps(const char *dev, void *data)
{
	struct softdeps *sd = data;
	struct kmod_list *list = NULL, *l;
	char path[512], alias[256];
	size_t i;

	snprintf(path, sizeof(path), SYS_BUS "/pci/devices/%s/modalias", dev);
	if (!sd->ctx || !read_line(path, alias, sizeof(alias)) ||
	    kmod_module_new_from_lookup(sd->ctx, alias, &list) < 0)
		return;
	kmod_list_foreach(l, list) {
		struct kmod_module *m = kmod_module_get_module(l);
		const char *name = kmod_module_get_name(m);

		for (i = 0; i < sd->n && strcmp(sd->names[i], name); i++)
			;
		if (i == sd->n && sd->n < ARRAY_SIZE(sd->names) && strcmp(name, "dmaown") &&
		    strcmp(name, "vfio_pci") && strcmp(name, "pci_stub"))
			sd->names[sd->n++] = strdup(name);
		kmod_module_unref(m);
	}
	kmod_module_unref_list(list);
}

static int persist(void)
{
	const char *dir = getenv(PERSIST_ENV) ? getenv(PERSIST_ENV) : "/etc/modprobe.d";
	struct softdeps sd = { 0 };
	char list[4096], path[512], tmp[520], *s, *tok;
	struct spec sp;
	size_t i;
	FILE *f;

	if (!read_list(list, sizeof(list)))
		return XC_FAIL;
	snprintf(path, sizeof(path), "%s/" PERSIST_FILE, dir);
	if (!list[0]) {
		if (unlink(path) && errno != ENOENT) {
			err("cannot remove %s: %s", path, strerror(errno));
			return XC_FAIL;
		}
		note("quarantine list empty: %s removed", path);
		return XC_OK;
	}
	sd.ctx = kmod_new(NULL, NULL);
	if (sd.ctx)
		kmod_load_resources(sd.ctx);
	s = strdupa(list);
	while ((tok = strsep(&s, ",")))
		if (parse_spec(tok, &sp))
			for_each_match(&sp, add_softdeps, &sd);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f) {
		err("cannot write %s: %s", tmp, strerror(errno));
		return XC_FAIL;
	}
	fprintf(f, "# Written by 'dmaownctl quarantine --persist'; change it with dmaownctl.\n"
		   "# The quarantine list, and dmaown loaded before the native drivers of\n"
		   "# the devices present when it was written. After a change:\n"
		   "# update-initramfs -u\n"
		   "options dmaown quarantine=%s\n", list);
	for (i = 0; i < sd.n; i++) {
		fprintf(f, "softdep %s pre: dmaown\n", sd.names[i]);
		free(sd.names[i]);
	}
	if (sd.ctx)
		kmod_unref(sd.ctx);
	if (fclose(f) || rename(tmp, path)) {
		err("cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		return XC_FAIL;
	}
	note("wrote %s; run update-initramfs -u to carry it into the initramfs", path);
	return XC_OK;
}

/* --- list ---------------------------------------------------------------------------- */

static const char *qholder(const struct gstat *g, char *buf, size_t len)
{
	__u32 f = g->st.out_group_flags;

	if (f & DMAOWN_GROUP_HANDED_OFF)
		return g->st.out_state == DMAOWN_STATE_FREE ? "handed to VFIO (not in use)" :
							      "handed to VFIO (in use)";
	if (g->st.out_state == DMAOWN_STATE_FREE)
		return "waiting: not held (a driver that is not DMA-safe is bound?)";
	holder_text(g, buf, len);
	return buf;
}

static int list_quarantine(bool json)
{
	struct json j = { .f = stdout };
	char list[4096], buf[128], *s, *tok;
	unsigned int *ids = NULL;
	size_t n = 0, i, k;
	struct gstat g;
	int fd;

	fd = open_node(-1);
	if (!read_list(list, sizeof(list)))
		return XC_FAIL;
	if (list_group_ids(&ids, &n))
		n = 0;
	if (json) {
		json_open(&j, NULL, '{');
		json_uint(&j, "schema", JSON_SCHEMA);
		json_open(&j, "entries", '[');
		s = strdupa(list);
		while ((tok = strsep(&s, ",")))
			if (*tok)
				json_str(&j, NULL, tok, SIZE_MAX);
		json_close(&j, ']');
		json_open(&j, "groups", '[');
	} else {
		printf("Quarantine list: %s\n", list[0] ? list : "(empty)");
	}
	for (i = 0; i < n; i++) {
		if (group_status(fd, ids[i], &g))
			continue;
		if (!(g.st.out_group_flags & DMAOWN_GROUP_QUARANTINED)) {
			gstat_free(&g);
			continue;
		}
		if (json) {
			json_open(&j, NULL, '{');
			json_uint(&j, "group", ids[i]);
			json_str(&j, "holder", qholder(&g, buf, sizeof(buf)), SIZE_MAX);
			json_bool(&j, "held", g.st.out_group_flags & DMAOWN_GROUP_HELD);
			json_bool(&j, "handed_off", g.st.out_group_flags & DMAOWN_GROUP_HANDED_OFF);
			json_bool(&j, "zero_window", g.st.out_group_flags & DMAOWN_GROUP_ZERO_WINDOW);
			json_bool(&j, "handoff_at_attach",
				  g.st.out_group_flags & DMAOWN_GROUP_HANDOFF_AT_ATTACH);
			json_str(&j, "domain", domain_name(g.st.out_domain), SIZE_MAX);
			json_open(&j, "devices", '[');
			for (k = 0; k < g.n; k++) {
				char name[DMAOWN_NAME_LEN + 1];

				field_copy(name, sizeof(name), g.dev[k].name, sizeof(g.dev[k].name));
				json_str(&j, NULL, name, SIZE_MAX);
			}
			json_close(&j, ']');
			json_close(&j, '}');
		} else {
			printf("group %u: %s; domain %s; hand-off to VFIO: %s\n", ids[i],
			       qholder(&g, buf, sizeof(buf)), domain_name(g.st.out_domain),
			       g.st.out_group_flags & DMAOWN_GROUP_ZERO_WINDOW ? "zero-window" :
			       g.st.out_group_flags & DMAOWN_GROUP_HANDOFF_AT_ATTACH ?
			       "at VFIO's attach, bus mastering off (identity default domain)" :
			       "with a DMA window (identity default domain): only with dmaown.handoff_window=1");
			for (k = 0; k < g.n; k++) {
				char name[DMAOWN_NAME_LEN + 1];

				field_copy(name, sizeof(name), g.dev[k].name, sizeof(g.dev[k].name));
				printf("  %s%s\n", name,
				       g.dev[k].flags & DMAOWN_DEVICE_QUARANTINED ? " (listed)" : "");
			}
		}
		gstat_free(&g);
	}
	if (json) {
		json_close(&j, ']');
		json_close(&j, '}');
		fputc('\n', stdout);
	}
	free(ids);
	return XC_OK;
}

/* --- the command ------------------------------------------------------------------------ */

static int run_quarantine(int argc, char **argv)
{
	bool json = false, do_persist = false, add;
	int fd, r, nops, i, worst = XC_OK;
	char **ops;
	struct spec sp;

	/* --persist is this command's own: take it out before the common parsing */
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--persist") || !strcmp(argv[i], "-p")) {
			do_persist = true;
			memmove(&argv[i], &argv[i + 1], (argc - i) * sizeof(*argv));
			argc--;
			i--;
		}
	}
	r = parse_opts(argc, argv, usage_quarantine, &json, &ops, &nops);
	if (r >= 0) {
		free(ops);
		return r;
	}
	if (nops < 1 || (strcmp(ops[0], "add") && strcmp(ops[0], "remove") &&
			 strcmp(ops[0], "list"))) {
		err("quarantine: expected add, remove or list");
		goto usage;
	}
	if (!strcmp(ops[0], "list")) {
		if (nops != 1 || do_persist) {
			err("quarantine list: takes no DEVICE and no --persist");
			goto usage;
		}
		free(ops);
		return list_quarantine(json);
	}
	if (json || nops < 2) {
		err("quarantine %s: expected DEVICE or VENDOR:DEVICE (and no --json)", ops[0]);
		goto usage;
	}
	add = !strcmp(ops[0], "add");
	fd = open_node(-1);
	for (i = 1; i < nops; i++) {
		if (!parse_spec(ops[i], &sp)) {
			r = add_error(ops[i], EINVAL);
		} else if (add) {
			for_each_match(&sp, set_translated, NULL);
			r = quarantine_ioctl(fd, DMAOWN_QUARANTINE_ADD, ops[i]) ?
				    add_error(ops[i], errno) : XC_OK;
		} else {
			r = quarantine_ioctl(fd, DMAOWN_QUARANTINE_REMOVE, ops[i]) ?
				    remove_error(ops[i], errno) : XC_OK;
		}
		if (r != XC_OK && worst == XC_OK)
			worst = r;
	}
	free(ops);
	if (do_persist) {
		r = persist();
		if (r != XC_OK && worst == XC_OK)
			worst = r;
	}
	return worst;
usage:
	fputs(usage_quarantine, stderr);
	free(ops);
	return XC_USAGE;
}

const struct command cmd_quarantine = {
	.name = "quarantine",
	.synopsis = "quarantine add|remove|list [OPTIONS]",
	.summary = "keep devices' groups blocked with no file open,\nand hand them to VFIO",
	.usage = usage_quarantine,
	.run = run_quarantine,
};
