// SPDX-License-Identifier: GPL-2.0
/*
 * snap.c - snapshots of every IOMMU group, as dmaown's GROUP_STATUS and
 * sysfs show them, to check that something changed nothing.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "testlib.h"

int snap_take(int fd, struct snap *s)
{
	int ids[SNAP_GROUPS], n;

	memset(s, 0, sizeof(*s));
	n = sys_groups(ids, SNAP_GROUPS);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		struct group_snap *g = &s->g[i];
		char path[PATH_MAX];

		g->id = ids[i];
		if (dmaown_status(fd, g->id, &g->st, g->devs, SNAP_DEVS))
			return -errno;
		g->nr_sys = sys_group_devices(g->id, g->sys, SNAP_DEVS);
		snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/type", g->id);
		sysfs_read(path, g->type, sizeof(g->type));
	}
	s->nr = n;
	return 0;
}

const struct group_snap *snap_group(const struct snap *s, int id)
{
	for (int i = 0; i < s->nr; i++)
		if (s->g[i].id == id)
			return &s->g[i];
	return NULL;
}

const struct dmaown_device_info *snap_dev(const struct group_snap *g, const char *name)
{
	for (unsigned int i = 0; i < g->st.out_nr_devices && i < SNAP_DEVS; i++)
		if (!strcmp(g->devs[i].name, name))
			return &g->devs[i];
	return NULL;
}

#define DIFF(fmt, ...) (printf("# snapshot: " fmt "\n", ##__VA_ARGS__), same = false)

bool snap_equal(const struct snap *a, const struct snap *b)
{
	bool same = true;

	if (a->nr != b->nr)
		DIFF("%d groups, then %d", a->nr, b->nr);
	for (int i = 0; i < a->nr; i++) {
		const struct group_snap *x = &a->g[i], *y = snap_group(b, x->id);

		if (!y) {
			DIFF("group %d is gone", x->id);
			continue;
		}
		if (x->st.out_state != y->st.out_state)
			DIFF("group %d: state %u, then %u", x->id, x->st.out_state, y->st.out_state);
		if (x->st.out_domain != y->st.out_domain)
			DIFF("group %d: domain %u, then %u", x->id, x->st.out_domain,
			     y->st.out_domain);
		if (x->st.out_viable != y->st.out_viable)
			DIFF("group %d: viable %u, then %u", x->id, x->st.out_viable,
			     y->st.out_viable);
		if (x->st.out_owner_pid != y->st.out_owner_pid)
			DIFF("group %d: owner %u, then %u", x->id, x->st.out_owner_pid,
			     y->st.out_owner_pid);
		if (x->st.out_nr_devices != y->st.out_nr_devices)
			DIFF("group %d: %u devices, then %u", x->id, x->st.out_nr_devices,
			     y->st.out_nr_devices);
		for (unsigned int d = 0; d < x->st.out_nr_devices && d < SNAP_DEVS; d++) {
			const struct dmaown_device_info *dx = &x->devs[d],
							*dy = snap_dev(y, dx->name);

			if (!dy)
				DIFF("group %d: %s is gone", x->id, dx->name);
			else if (strcmp(dx->driver, dy->driver) || dx->flags != dy->flags)
				DIFF("group %d: %s: driver \"%s\" flags %#x, then \"%s\" %#x",
				     x->id, dx->name, dx->driver, dx->flags, dy->driver,
				     dy->flags);
		}
		if (x->nr_sys != y->nr_sys)
			DIFF("group %d: sysfs shows %d devices, then %d", x->id, x->nr_sys,
			     y->nr_sys);
		for (int d = 0; d < x->nr_sys && d < y->nr_sys; d++)
			if (strcmp(x->sys[d].name, y->sys[d].name) ||
			    strcmp(x->sys[d].driver, y->sys[d].driver))
				DIFF("group %d: sysfs %s (%s), then %s (%s)", x->id, x->sys[d].name,
				     x->sys[d].driver, y->sys[d].name, y->sys[d].driver);
		if (strcmp(x->type, y->type))
			DIFF("group %d: type %s, then %s", x->id, x->type, y->type);
	}
	fflush(stdout);
	return same;
}
