// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/dmaown: open it, and the ioctl wrappers. Each wrapper returns 0 or
 * -errno and prints nothing; the commands word the errors.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dmaownctl.h"

/*
 * Open /dev/dmaown; on failure print why and exit with the documented code.
 * With @group >= 0 (the command concerns that group alone), a user who may
 * not open /dev/dmaown but was given /dev/dmaown-group/GROUP gets that.
 */
int open_node(long group)
{
	char path[64];
	struct stat st;
	int fd, e;

	fd = open(DMAOWN_NODE, O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	e = errno;
	if (group >= 0 && (e == EACCES || e == EPERM)) {
		snprintf(path, sizeof(path), "%s/%ld", DMAOWN_GROUP_NODES, group);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd >= 0)
			return fd;
		if (errno != EACCES && errno != ENOENT)
			e = errno;
	}
	switch (e) {
	case ENOENT:
	case ENXIO:
	case ENODEV:
		if (stat(SYS_MODULE, &st) == 0 && e == ENOENT) {
			err("the dmaown module is loaded but %s is missing: %s",
			    DMAOWN_NODE, "check devtmpfs and udev");
		} else {
			err("%s not found: the dmaown module is not loaded (try: modprobe dmaown)",
			    DMAOWN_NODE);
		}
		exit(XC_NOMODULE);
	case EACCES:
	case EPERM:
		err("cannot open %s: permission denied (%s)", DMAOWN_NODE,
		    group >= 0 ? "needs root or CAP_SYS_ADMIN, or to be given the group's node in "
				 DMAOWN_GROUP_NODES "/; see dmaownctl(8)"
			       : "needs root or CAP_SYS_ADMIN; see dmaownctl(8) for a udev rule");
		exit(XC_PERM);
	default:
		err("cannot open %s: %s", DMAOWN_NODE, strerror(e));
		exit(XC_FAIL);
	}
}

int get_info(int fd, struct dmaown_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return ioctl(fd, DMAOWN_GET_INFO, info) ? -errno : 0;
}

void gstat_free(struct gstat *g)
{
	free(g->dev);
	g->dev = NULL;
	g->n = 0;
}

/*
 * GROUP_STATUS for group @id, growing the device array until it holds every
 * device (the kernel always reports the true count). Returns 0 or -errno.
 */
int group_status(int fd, unsigned int id, struct gstat *g)
{
	/* Most groups have one or two devices; bigger ones take a second call. */
	unsigned int len = 2;
	int tries, intr = 0;

	memset(g, 0, sizeof(*g));
	g->id = id;
	for (tries = 0; tries < 8; tries++) {
		free(g->dev);
		g->dev = xcalloc(len, sizeof(*g->dev));
		memset(&g->st, 0, sizeof(g->st));
		g->st.size = sizeof(g->st);
		g->st.group_id = id;
		g->st.devices_len = len;
		g->st.devices_uptr = (uintptr_t)g->dev;
		if (ioctl(fd, DMAOWN_GROUP_STATUS, &g->st)) {
			int e = errno;

			if (e == EINTR && intr++ < 100) {
				tries--;	/* a signal: nothing was done, ask again */
				continue;
			}
			gstat_free(g);
			return -e;
		}
		if (g->st.out_nr_devices <= len) {
			g->n = g->st.out_nr_devices;
			return 0;
		}
		len = g->st.out_nr_devices;
	}
	/* The group keeps growing: report what the last call filled. */
	g->n = g->st.devices_len;
	return 0;
}

/* DMAOWN_DEVICE_CLAIM or DMAOWN_GROUP_CLAIM; a device's group goes to @t. */
int node_claim(int fd, struct target *t)
{
	struct dmaown_device dc;
	struct dmaown_group gc;

	if (t->is_device) {
		memset(&dc, 0, sizeof(dc));
		dc.size = sizeof(dc);
		memcpy(dc.name, t->name, sizeof(dc.name));
		memcpy(dc.bus, t->bus, sizeof(dc.bus));
		if (ioctl(fd, DMAOWN_DEVICE_CLAIM, &dc))
			return -errno;
		t->group = dc.out_group_id;
		t->group_known = true;
		return 0;
	}
	memset(&gc, 0, sizeof(gc));
	gc.size = sizeof(gc);
	gc.group_id = t->group;
	return ioctl(fd, DMAOWN_GROUP_CLAIM, &gc) ? -errno : 0;
}

int node_release(int fd, const struct target *t)
{
	struct dmaown_device dc;
	struct dmaown_group gc;

	if (t->is_device) {
		memset(&dc, 0, sizeof(dc));
		dc.size = sizeof(dc);
		memcpy(dc.name, t->name, sizeof(dc.name));
		memcpy(dc.bus, t->bus, sizeof(dc.bus));
		return ioctl(fd, DMAOWN_DEVICE_RELEASE, &dc) ? -errno : 0;
	}
	memset(&gc, 0, sizeof(gc));
	gc.size = sizeof(gc);
	gc.group_id = t->group;
	return ioctl(fd, DMAOWN_GROUP_RELEASE, &gc) ? -errno : 0;
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

/* Group ids under /sys/kernel/iommu_groups, sorted; -errno on failure. */
int list_group_ids(unsigned int **ids, size_t *n)
{
	size_t cap = 64;
	struct dirent *de;
	DIR *d;
	char *end;
	unsigned long v;

	*n = 0;
	*ids = xcalloc(cap, sizeof(**ids));
	d = opendir(SYS_GROUPS);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		errno = 0;
		v = strtoul(de->d_name, &end, 10);
		if (errno || *end || v > UINT_MAX)
			continue;
		if (*n == cap) {
			unsigned int *p = realloc(*ids, 2 * cap * sizeof(**ids));

			if (!p) {
				closedir(d);
				err("out of memory");
				exit(XC_FAIL);
			}
			*ids = p;
			cap *= 2;
		}
		(*ids)[(*n)++] = (unsigned int)v;
	}
	closedir(d);
	qsort(*ids, *n, sizeof(**ids), cmp_uint);
	return 0;
}

const char *state_name(__u32 s)
{
	switch (s) {
	case DMAOWN_STATE_FREE:
		return "free";
	case DMAOWN_STATE_OWNED:
		return "owned";
	case DMAOWN_STATE_BUSY:
		return "busy";
	}
	return "unknown";
}

const char *domain_name(__u32 d)
{
	switch (d) {
	case DMAOWN_DOMAIN_DEFAULT:
		return "default";
	case DMAOWN_DOMAIN_BLOCKING:
		return "blocking";
	case DMAOWN_DOMAIN_OTHER:
		return "other";
	}
	return "unknown";
}
