// SPDX-License-Identifier: GPL-2.0
/*
 * Status: the GROUP_STATUS reply. What a group holds (viability.c), who
 * owns it and why a claim would be refused (registry.c), which domain it is
 * on and whether its MSIs are isolated (the IOMMU core, compat). Changes
 * nothing. Called by the ioctl layer. Locking: see dmaown.h.
 */
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "dmaown.h"
#include "owner.h"

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
		if (dmaown_dev_quarantined(devs[i]))
			infos[i].flags |= DMAOWN_DEVICE_QUARANTINED;
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
