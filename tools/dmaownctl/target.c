// SPDX-License-Identifier: GPL-2.0
/*
 * GROUP and DEVICE arguments: their shape, and a device's group from sysfs.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dmaownctl.h"

/* Group id of a device from its iommu_group link: 0 ok, -ENOENT, -ENODEV. */
static int sysfs_device_group(const char *bus, const char *name, unsigned int *group)
{
	char path[PATH_MAX], link[PATH_MAX];
	const char *base;
	struct stat st;
	ssize_t n;
	char *end;
	unsigned long v;

	snprintf(path, sizeof(path), SYS_BUS "/%s/devices/%s", bus, name);
	if (stat(path, &st))
		return -ENOENT;
	snprintf(path, sizeof(path), SYS_BUS "/%s/devices/%s/iommu_group", bus, name);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -ENODEV;
	link[n] = 0;
	base = strrchr(link, '/');
	base = base ? base + 1 : link;
	errno = 0;
	v = strtoul(base, &end, 10);
	if (errno || *end || end == base || v > UINT_MAX)
		return -ENODEV;
	*group = (unsigned int)v;
	return 0;
}

static bool is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* DDDD:BB:DD.F or BB:DD.F (hex), the shape of a PCI device name. */
static bool pci_shape(const char *s)
{
	size_t n = strlen(s);

	if (n == 7)
		return is_hex(s, 2) && s[2] == ':' && is_hex(s + 3, 2) && s[5] == '.' &&
		       s[6] >= '0' && s[6] <= '7';
	if (n >= 12 && s[n - 8] == ':')
		return is_hex(s, n - 8) && pci_shape(s + n - 7);
	return false;
}

static bool bus_exists(const char *bus)
{
	char path[PATH_MAX];
	struct stat st;

	if (!bus[0] || strchr(bus, '/') || !strcmp(bus, ".") || !strcmp(bus, ".."))
		return false;
	snprintf(path, sizeof(path), SYS_BUS "/%s", bus);
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * Parse a GROUP (decimal id) or DEVICE (PCI name, or BUS:NAME such as
 * platform:foo) argument. Returns false, after a message, on a bad shape.
 */
bool parse_target(const char *arg, struct target *t)
{
	const char *colon;
	char *end;
	unsigned long v;
	size_t i;

	memset(t, 0, sizeof(*t));
	t->arg = arg;
	if (arg[0] >= '0' && arg[0] <= '9' && !strchr(arg, ':')) {
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (!errno && !*end && v <= UINT_MAX) {
			t->group = (unsigned int)v;
			t->group_known = true;
			return true;
		}
	}
	t->is_device = true;
	colon = strchr(arg, ':');
	if (pci_shape(arg)) {
		copy_name(t->bus, sizeof(t->bus), "pci");
		if (strlen(arg) == 7)
			snprintf(t->name, sizeof(t->name), "0000:%s", arg);
		else if (!copy_name(t->name, sizeof(t->name), arg))
			goto bad;
		for (i = 0; t->name[i]; i++)
			t->name[i] = (char)tolower((unsigned char)t->name[i]);
		return true;
	}
	if (colon && colon != arg && colon[1] && (size_t)(colon - arg) < sizeof(t->bus)) {
		memcpy(t->bus, arg, colon - arg);
		t->bus[colon - arg] = 0;
		if (bus_exists(t->bus) || !strcmp(t->bus, "pci") || !strcmp(t->bus, "platform")) {
			if (!copy_name(t->name, sizeof(t->name), colon + 1) || strchr(t->name, '/'))
				goto bad;
			return true;
		}
	}
bad:
	err("'%s' is neither a group id nor a device name (%s)", arg,
	    "such as 0000:00:03.0, 00:03.0 or platform:NAME");
	return false;
}

/* "group 7", "device 0000:00:03.0" or "device platform:foo". */
const char *target_desc(const struct target *t, char *buf, size_t len)
{
	if (!t->is_device)
		snprintf(buf, len, "group %u", t->group);
	else if (!strcmp(t->bus, "pci"))
		snprintf(buf, len, "device %s", t->name);
	else
		snprintf(buf, len, "device %s:%s", t->bus, t->name);
	return buf;
}

/*
 * Resolve a device's group through sysfs. On failure prints why and returns
 * the exit code; 0 on success.
 */
int resolve_target(struct target *t)
{
	char desc[160];
	int r;

	if (!t->is_device)
		return 0;
	target_desc(t, desc, sizeof(desc));
	r = sysfs_device_group(t->bus, t->name, &t->group);
	if (r == -ENOENT) {
		err("no such %s", desc);
		return XC_NOENT;
	}
	if (r == -ENODEV) {
		err("%s has no IOMMU group (is the IOMMU enabled, e.g. intel_iommu=on?)", desc);
		return XC_NOGROUP;
	}
	t->group_known = true;
	return 0;
}

/*
 * The one group that the @n targets name, or -1 (several, or one that
 * does not resolve); quiet: resolve_target() words the errors later.
 */
long targets_one_group(const struct target *t, int n)
{
	unsigned int g, first = 0;
	int i;

	for (i = 0; i < n; i++) {
		g = t[i].group;
		if (t[i].is_device && sysfs_device_group(t[i].bus, t[i].name, &g))
			return -1;
		if (i == 0)
			first = g;
		else if (g != first)
			return -1;
	}
	return n ? (long)first : -1;
}

/* Report a failed GROUP_STATUS; returns the exit code. */
int status_error(int e, const struct target *t, unsigned int id)
{
	char desc[160];

	if (t && t->is_device)
		target_desc(t, desc, sizeof(desc));
	else
		snprintf(desc, sizeof(desc), "group %u", id);
	switch (e) {
	case ENOENT:
		err("no such %s", desc);
		return XC_NOENT;
	case ENODEV:
		err("%s has no IOMMU group", desc);
		return XC_NOGROUP;
	case EPERM:
	case EACCES:
		err("status of %s: permission denied", desc);
		return XC_PERM;
	default:
		err("status of %s: %s", desc, strerror(e));
		return XC_FAIL;
	}
}
