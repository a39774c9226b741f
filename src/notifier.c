// SPDX-License-Identifier: GPL-2.0
/*
 * Bus notifiers on the PCI and platform buses: they keep owned groups
 * sealed as devices come and go, and catch a driver that got past the
 * guard. They cannot veto, and always return NOTIFY_DONE so that the
 * notifiers after them (the IOMMU core's among them) still run. Registered
 * after the IOMMU core's notifier, with the same priority, they run after
 * it: at ADD_DEVICE the device already has its group; at DEL_DEVICE it is
 * still a member.
 */
#include <linux/notifier.h>

#include "dmaown.h"

static int dmaown_bus_notify(struct notifier_block *nb, unsigned long action,
			     void *data)
{
	/*
	 * Status reads drivers live: the bind/unbind events need no
	 * accounting here, only the ones that can break an owned group.
	 */
	dmaown_bus_event(data, action);
	return NOTIFY_DONE;
}

static struct notifier_block dmaown_nb[DMAOWN_NR_BUSES] = {
	{ .notifier_call = dmaown_bus_notify },
	{ .notifier_call = dmaown_bus_notify },
};

int dmaown_notifier_init(void)
{
	int i, ret;

	for (i = 0; i < ARRAY_SIZE(dmaown_nb); i++) {
		ret = bus_register_notifier(dmaown_bus_get(i), &dmaown_nb[i]);
		if (ret)
			goto err_unregister;
	}
	return 0;

err_unregister:
	while (--i >= 0)
		bus_unregister_notifier(dmaown_bus_get(i), &dmaown_nb[i]);
	return ret;
}

void dmaown_notifier_exit(void)
{
	int i;

	for (i = ARRAY_SIZE(dmaown_nb) - 1; i >= 0; i--)
		bus_unregister_notifier(dmaown_bus_get(i), &dmaown_nb[i]);
}
