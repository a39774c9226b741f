// SPDX-License-Identifier: GPL-2.0
/*
 * Bus notifiers on the PCI and platform buses: they keep owned groups
 * sealed as devices come and go, and catch a driver that got past the
 * guard. They cannot veto, and always return NOTIFY_DONE so that the
 * notifiers after them (the IOMMU core's among them) still run. They pass
 * every event to claims (claim.c, dmaown_bus_event()), and the late ones to
 * the quarantine (quarantine.c) too.
 *
 * Three per bus. The late one is registered after the IOMMU core's
 * notifier, with the same priority (0), so it runs after it: at ADD_DEVICE
 * the device already has its group; at DEL_DEVICE it is still a member; at
 * REMOVED_DEVICE it has left its group. The early one has the highest
 * priority and runs before the IOMMU core's: at ADD_DEVICE the device has
 * no group yet (claims of the group it joins wait until the core is done
 * with it); at REMOVED_DEVICE the device is still a member, the last moment
 * an emptying owned group can be given back (see group.c). The final one
 * has the lowest priority, registered after the IOMMU drivers' own
 * (intel's dmar scope notifier is INT_MIN): at REMOVED_DEVICE every part of
 * the kernel has let go of the device.
 *
 * The late ADD_DEVICE and the final REMOVED_DEVICE also bring the group
 * nodes (groupdev.c) in line.
 */
#include <linux/limits.h>
#include <linux/notifier.h>

#include "dmaown.h"

static int dmaown_bus_notify_late(struct notifier_block *nb,
				  unsigned long action, void *data)
{
	/*
	 * Status reads drivers live: the bind/unbind events need no
	 * accounting here, only the ones that can break an owned group.
	 */
	dmaown_bus_event(data, action, DMAOWN_EVENT_LATE);
	dmaown_quarantine_bus_event(data, action);
	/* the device has its group: a new group gets its node */
	if (action == BUS_NOTIFY_ADD_DEVICE)
		dmaown_groupdev_kick();
	return NOTIFY_DONE;
}

static int dmaown_bus_notify_early(struct notifier_block *nb,
				   unsigned long action, void *data)
{
	dmaown_bus_event(data, action, DMAOWN_EVENT_EARLY);
	return NOTIFY_DONE;
}

static int dmaown_bus_notify_final(struct notifier_block *nb,
				   unsigned long action, void *data)
{
	dmaown_bus_event(data, action, DMAOWN_EVENT_FINAL);
	/* the device left its group: an emptied group's node goes */
	if (action == BUS_NOTIFY_REMOVED_DEVICE)
		dmaown_groupdev_kick();
	return NOTIFY_DONE;
}

/* A row per moment, a column per bus; registered in this order, unregistered in reverse. */
static struct notifier_block dmaown_nbs[][DMAOWN_NR_BUSES] = {
	{
		{ .notifier_call = dmaown_bus_notify_late },
		{ .notifier_call = dmaown_bus_notify_late },
	},
	{
		{ .notifier_call = dmaown_bus_notify_early, .priority = INT_MAX },
		{ .notifier_call = dmaown_bus_notify_early, .priority = INT_MAX },
	},
	{
		{ .notifier_call = dmaown_bus_notify_final, .priority = INT_MIN },
		{ .notifier_call = dmaown_bus_notify_final, .priority = INT_MIN },
	},
};

#define DMAOWN_NR_NBS (ARRAY_SIZE(dmaown_nbs) * DMAOWN_NR_BUSES)

static struct notifier_block *dmaown_nb(int i)
{
	return &dmaown_nbs[i / DMAOWN_NR_BUSES][i % DMAOWN_NR_BUSES];
}

static void dmaown_notifier_unregister(int n)
{
	while (--n >= 0)
		bus_unregister_notifier(dmaown_bus_get(n % DMAOWN_NR_BUSES), dmaown_nb(n));
}

int dmaown_notifier_init(void)
{
	int i, ret;

	for (i = 0; i < DMAOWN_NR_NBS; i++) {
		ret = bus_register_notifier(dmaown_bus_get(i % DMAOWN_NR_BUSES), dmaown_nb(i));
		if (ret) {
			dmaown_notifier_unregister(i);
			return ret;
		}
	}
	return 0;
}

void dmaown_notifier_exit(void)
{
	dmaown_notifier_unregister(DMAOWN_NR_NBS);
}
