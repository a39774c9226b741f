// SPDX-License-Identifier: GPL-2.0
/*
 * DMA ownership through the kernel's own API (Linux 5.19+).
 *
 * iommu_group_claim_dma_owner() checks that no kernel driver that uses the
 * DMA API is bound (its count of such drivers must be zero), puts the whole
 * group on a blocking domain (IOMMU_DOMAIN_BLOCKED where the IOMMU driver
 * has one, else an empty paging domain), and from then on makes every such
 * driver's probe fail in dma_configure. VFIO and iommufd use the same
 * ownership, so the second asker fails. Members hot-added to an owned group
 * join the blocking domain.
 *
 * The backend of owner.h: claims, viability, status and the guard call it;
 * it calls only the IOMMU core.
 */
#include "owner.h"

/*
 * The owner cookie: the core compares it and never dereferences it. One
 * for every claim, so that a claim can take another's place (a quarantine
 * hold handed to a file) with nothing to tell the core; dmaown itself never
 * lets two of its claims own one group.
 */
static int dmaown_owner_cookie;

int dmaown_owner_claim(struct dmaown_claim *claim)
{
	int ret = iommu_group_claim_dma_owner(claim->group, &dmaown_owner_cookie);

	/*
	 * The core says EPERM both when a kernel driver is bound and when
	 * another owner holds the group: to our callers both are EBUSY. It
	 * says EINVAL (6.6+) for a device that firmware requires 1:1 mapped
	 * (an RMRR), and 6.1's intel-iommu EPERM: DMAOWN_GROUP_RESV_DIRECT.
	 */
	if (ret == -EPERM || ret == -EINVAL)
		return -EBUSY;
	return ret;
}

void dmaown_owner_release(struct dmaown_claim *claim)
{
	iommu_group_release_dma_owner(claim->group);
}

void dmaown_owner_release_empty(struct dmaown_claim *claim)
{
	/* No device to move: the core only drops its owner record. */
	iommu_group_release_dma_owner(claim->group);
}

int dmaown_owner_device_added(struct dmaown_claim *claim, struct device *dev)
{
	/* The core attached the group's blocking domain to the new member. */
	return 0;
}

bool dmaown_owner_claimed_elsewhere(struct iommu_group *group,
				    struct device *member, bool viable)
{
	/*
	 * The core's owner count also counts bound kernel drivers; when none
	 * is bound, a count means a user owner (VFIO, iommufd).
	 */
	return viable && iommu_group_dma_owner_claimed(group);
}

bool dmaown_driver_dma_safe(struct device *dev, struct device_driver *drv)
{
	/*
	 * Only drivers that declare driver_managed_dma: the core refuses a
	 * claim while any other is bound, whatever dmaown would allow.
	 */
	return dmaown_compat_driver_managed_dma(drv);
}

/* The core's blocking domains are its own. */
void dmaown_owner_exit(void)
{
}

/* The core shields VFIO itself: VFIO claims DMA ownership (5.19+). */
int dmaown_owner_shield_init(bool enable)
{
	return 0;
}

void dmaown_owner_shield_exit(void)
{
}

const char *dmaown_owner_shield_state(void)
{
	return "core";
}

bool dmaown_owner_shield_handoff(void)
{
	return false;
}

bool dmaown_owner_vfio_holder_rcu(struct iommu_group *group, pid_t *pid,
				  char *comm)
{
	return false;
}

void dmaown_owner_vfio_device_added(struct device *dev)
{
}
