// SPDX-License-Identifier: GPL-2.0
/*
 * Viability and status: what a group holds, which of its devices have a
 * driver that is not DMA-safe, and who owns it.
 *
 * Drivers are read under device_lock(), never under the group's mutex:
 * the devices are first collected with references
 * (iommu_group_for_each_dev() holds group->mutex), then looked at one by
 * one. Locking: see dmaown.h.
 */
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

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

/*
 * Look at one device: its names, its driver, whether that driver is
 * DMA-safe. A driver stuck in its probe or remove (vfio-pci waiting for its
 * user) holds device_lock: wait for it, but not past a signal.
 *
 * Context: takes device_lock(dev); may sleep.
 * Return: 0 or -EINTR.
 */
static int dmaown_device_look(struct device *dev,
			      struct dmaown_device_info *info)
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

static u32 dmaown_domain_kind(struct iommu_domain *domain, bool ours)
{
	if (!domain)
		return DMAOWN_DOMAIN_OTHER;
	if (domain->type == IOMMU_DOMAIN_IDENTITY ||
	    (domain->type & __IOMMU_DOMAIN_DMA_API))
		return DMAOWN_DOMAIN_DEFAULT;
	if (domain->type == IOMMU_DOMAIN_BLOCKED)
		return DMAOWN_DOMAIN_BLOCKING;
	/* An empty unmanaged domain blocks: ours is one, while we own it. */
	if (domain->type == IOMMU_DOMAIN_UNMANAGED && ours)
		return DMAOWN_DOMAIN_BLOCKING;
	return DMAOWN_DOMAIN_OTHER;
}

/**
 * dmaown_group_status() - fill a GROUP_STATUS reply
 * @file: the asking file
 * @st: the request; out_* fields are filled, and the device array is
 *	copied to st->devices_uptr
 *
 * Changes nothing.
 *
 * Context: may sleep; takes device_lock of each member, then dmaown_lock.
 * Return: 0, -ENOENT for an unknown group, -EOPNOTSUPP for a non-zero
 * __reserved, -EINTR, -EFAULT, -ENOMEM.
 */
int dmaown_group_status(struct dmaown_file *file,
			struct dmaown_group_status *st)
{
	struct dmaown_device_info *infos = NULL;
	struct iommu_group *group;
	struct device **devs;
	char comm[TASK_COMM_LEN] = "";
	bool viable = true;
	pid_t pid = 0;
	int i, n, ret = 0;
	u32 state, flags;

	if (st->__reserved)
		return -EOPNOTSUPP;
	dmaown_guard_check();
	group = dmaown_group_find(st->group_id);
	if (!group)
		return -ENOENT;
	n = dmaown_group_devices(group, &devs);
	if (n < 0) {
		ret = n;
		goto out_put_group;
	}
	if (n) {
		infos = kvcalloc(n, sizeof(*infos), GFP_KERNEL);
		if (!infos) {
			ret = -ENOMEM;
			goto out_put_devs;
		}
	}
	for (i = 0; i < n; i++) {
		ret = dmaown_device_look(devs[i], &infos[i]);
		if (ret)
			goto out_free_infos;
		if (infos[i].flags & DMAOWN_DEVICE_BLOCKS_CLAIM)
			viable = false;
	}

	state = dmaown_group_owner(file, group, &pid, comm, &flags);
	if (n && dmaown_compat_group_resv_direct(group))
		flags |= DMAOWN_GROUP_RESV_DIRECT;
	if (state == DMAOWN_STATE_FREE && n &&
	    dmaown_owner_claimed_elsewhere(group, devs[0], viable))
		state = DMAOWN_STATE_BUSY;

	st->out_state = state;
	st->out_domain = n ? dmaown_domain_kind(iommu_get_domain_for_dev(devs[0]),
					       state == DMAOWN_STATE_OWNED || pid ||
					       (flags & DMAOWN_GROUP_HELD)) :
			     DMAOWN_DOMAIN_OTHER;
	st->out_group_flags = flags;
	st->out_viable = viable;
	st->out_nr_devices = n;
	st->out_msi_isolated = n && dmaown_compat_msi_isolated(group, devs, n);
	st->out_owner_pid = pid;
	memset(st->out_owner_comm, 0, sizeof(st->out_owner_comm));
	strscpy(st->out_owner_comm, comm, sizeof(st->out_owner_comm));

	if (st->devices_len && n &&
	    copy_to_user(u64_to_user_ptr(st->devices_uptr), infos,
			 min_t(u32, st->devices_len, n) * sizeof(*infos)))
		ret = -EFAULT;

out_free_infos:
	kvfree(infos);
out_put_devs:
	dmaown_put_devices(devs, n < 0 ? 0 : n);
out_put_group:
	iommu_group_put(group);
	return ret;
}
