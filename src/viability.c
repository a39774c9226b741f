// SPDX-License-Identifier: GPL-2.0
/*
 * Viability: the devices of a group, and whether each one's driver lets the
 * group be claimed (none, or a DMA-safe one: the backend decides, owner.h).
 *
 * Drivers are read under device_lock(), never under the group's mutex:
 * the devices are first collected with references
 * (iommu_group_for_each_dev() holds group->mutex), then looked at one by
 * one. Called by claims (claim.c) and status (status.c); calls the backend
 * and the registry (misfits). Locking: see dmaown.h.
 */
#include <linux/slab.h>
#include <linux/string.h>

#include "dmaown.h"
#include "owner.h"

struct dmaown_collect {
	struct device **devs;
	int n;
	int cap;
};

static int dmaown_collect_one(struct device *dev, void *data)
{
	struct dmaown_collect *c = data;

	if (c->n < c->cap)
		c->devs[c->n] = get_device(dev);
	c->n++;
	return 0;
}

/**
 * dmaown_group_devices() - the devices of @group, referenced
 * @group: the group
 * @devsp: out, a kmalloc'ed array; free with dmaown_put_devices()
 *
 * Context: may sleep; takes group->mutex.
 * Return: the number of devices, or -ENOMEM.
 */
int dmaown_group_devices(struct iommu_group *group, struct device ***devsp)
{
	struct dmaown_collect c = { .cap = 8 };

	for (;;) {
		c.devs = kcalloc(c.cap, sizeof(*c.devs), GFP_KERNEL);
		if (!c.devs)
			return -ENOMEM;
		c.n = 0;
		iommu_group_for_each_dev(group, &c, dmaown_collect_one);
		if (c.n <= c.cap)
			break;
		/* The group grew past the array: collect again. */
		dmaown_put_devices(c.devs, c.cap);
		c.cap = c.n + 8;
	}
	*devsp = c.devs;
	return c.n;
}

void dmaown_put_devices(struct device **devs, int n)
{
	int i;

	for (i = 0; i < n; i++)
		put_device(devs[i]);
	kfree(devs);
}

/**
 * dmaown_device_look() - one device, as GROUP_STATUS reports it
 * @dev: the device
 * @info: out: its names, its driver, whether that driver is DMA-safe
 *
 * A driver stuck in its probe or remove (vfio-pci waiting for its user)
 * holds device_lock: wait for it, but not past a signal.
 *
 * Context: takes device_lock(dev); may sleep.
 * Return: 0 or -EINTR.
 */
int dmaown_device_look(struct device *dev, struct dmaown_device_info *info)
{
	struct device_driver *drv;

	memset(info, 0, sizeof(*info));
	strscpy(info->name, dev_name(dev), sizeof(info->name));
	if (dev->bus)
		strscpy(info->bus, dev->bus->name, sizeof(info->bus));

	if (device_lock_interruptible(dev))
		return -EINTR;
	drv = dev->driver;
	if (drv)
		strscpy(info->driver, drv->name, sizeof(info->driver));
	if (!drv || dmaown_driver_dma_safe(dev, drv))
		info->flags = DMAOWN_DEVICE_DMA_SAFE;
	else
		info->flags = DMAOWN_DEVICE_BLOCKS_CLAIM;
	device_unlock(dev);
	rcu_read_lock();
	if (dmaown_device_misfit_rcu(dev))
		info->flags |= DMAOWN_DEVICE_NEEDS_RESCAN;
	rcu_read_unlock();
	return 0;
}

/**
 * dmaown_group_check_viable() - is every device of @group driver-less or
 * bound to a DMA-safe driver?
 * @group: the group
 *
 * Waits for probes in flight (device_lock), so a legacy claim that
 * published itself first sees every driver that got past the guard.
 *
 * Context: may sleep; takes device_lock of each member. Caller holds no
 * dmaown lock.
 * Return: 0, -EBUSY when not viable, -EINTR, -ENOMEM.
 */
int dmaown_group_check_viable(struct iommu_group *group)
{
	struct dmaown_device_info info;
	struct device **devs;
	int i, n, ret = 0;

	n = dmaown_group_devices(group, &devs);
	if (n < 0)
		return n;
	for (i = 0; i < n && !ret; i++) {
		ret = dmaown_device_look(devs[i], &info);
		if (!ret && (info.flags & DMAOWN_DEVICE_BLOCKS_CLAIM))
			ret = -EBUSY;
	}
	dmaown_put_devices(devs, n);
	return ret;
}
