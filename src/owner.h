/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The DMA-ownership backend: how a group is taken from the kernel and given
 * back. Two implementations sit behind this interface:
 *
 *  - owner.c, for kernels with core DMA ownership (Linux 5.19+):
 *    iommu_group_claim_dma_owner() gives the blocking domain, probe denial
 *    and exclusion with VFIO/iommufd;
 *  - compat/owner_legacy.c, for kernels without it (5.10): dmaown's own
 *    viability walk, its own empty paging domain and the probe guard.
 *
 * Kbuild picks one (src/compat/Kbuild.include). Claims, viability, status
 * and the guard call it; it calls the IOMMU core (and, for 5.10, the
 * module parameters).
 */
#ifndef _DMAOWN_OWNER_H
#define _DMAOWN_OWNER_H

#include "dmaown.h"

/*
 * DMAOWN_OWNER_GUARD_FIRST: the backend relies on the probe guard for
 * exclusion with drivers: the claim must be published (so the guard denies
 * new binds) before its devices are checked for drivers.
 */
#ifdef DMAOWN_HAVE_GROUP_DMA_OWNER
#define DMAOWN_OWNER_GUARD_FIRST false
#define DMAOWN_OWNER_INFO_FLAGS DMAOWN_INFO_CORE_OWNERSHIP
#define DMAOWN_OWNER_NAME "core"
#else
#define DMAOWN_OWNER_GUARD_FIRST true
#define DMAOWN_OWNER_INFO_FLAGS DMAOWN_INFO_LEGACY_OWNERSHIP
#define DMAOWN_OWNER_NAME "legacy"
#endif

/**
 * dmaown_owner_claim() - take @claim->group for user DMA
 * @claim: the claim; on success the whole group is on a blocking domain
 *
 * Context: Caller holds dmaown_lock.
 * Return: 0, -EBUSY when the group is not viable or owned elsewhere, or
 * another negative errno from the IOMMU layer.
 */
int dmaown_owner_claim(struct dmaown_claim *claim);

/**
 * dmaown_owner_release() - give @claim->group back to its default domain
 * @claim: an active claim
 *
 * Context: Caller holds dmaown_lock.
 */
void dmaown_owner_release(struct dmaown_claim *claim);

/**
 * dmaown_owner_release_empty() - end the ownership of a group left empty
 * @claim: an active claim whose group has no device any more
 *
 * Context: Caller holds dmaown_lock.
 */
void dmaown_owner_release_empty(struct dmaown_claim *claim);

/**
 * dmaown_owner_exit() - free what the backend kept across claims
 *
 * Context: module exit (or a failed load), with no claim left.
 */
void dmaown_owner_exit(void);

/**
 * dmaown_owner_device_added() - a device joined the owned @claim->group
 * @claim: an active claim
 * @dev: the new member
 *
 * Context: Caller holds dmaown_lock.
 * Return: 0 when @dev is on the blocking domain, else a negative errno
 * (the caller then revokes the claim).
 */
int dmaown_owner_device_added(struct dmaown_claim *claim, struct device *dev);

/**
 * dmaown_owner_claimed_elsewhere() - does a kernel owner hold @group?
 * @group: a group no dmaown file owns
 * @member: one of its devices
 * @viable: no device of @group has a driver that is not DMA-safe
 *
 * Context: may sleep; takes group->mutex.
 */
bool dmaown_owner_claimed_elsewhere(struct iommu_group *group,
				    struct device *member, bool viable);

/**
 * dmaown_driver_dma_safe() - may @drv stay bound to a device of an owned group?
 * @dev: the device
 * @drv: its (prospective) driver
 *
 * Context: any, including the probe guard's atomic context.
 */
bool dmaown_driver_dma_safe(struct device *dev, struct device_driver *drv);

/**
 * dmaown_owner_shield_init() - shield the kernel's own VFIO, where the
 * kernel does not (no core DMA ownership: compat/shield_legacy.c)
 * @enable: the shield= module parameter
 *
 * Context: module init.
 * Return: 0, or the errno of a probe that cannot be placed (the module
 * then refuses to load: shield=0 lets it load without).
 */
int dmaown_owner_shield_init(bool enable);

/**
 * dmaown_owner_shield_exit() - remove the shield; VFIO keeps its groups
 *
 * Context: module exit; may sleep.
 */
void dmaown_owner_shield_exit(void);

/* "on", "off", or "core" (the kernel shields VFIO itself): for the banner */
const char *dmaown_owner_shield_state(void);

/**
 * dmaown_owner_shield_handoff() - does the shield hand quarantined groups to
 * VFIO at type1's attach?
 *
 * Where the default domain is identity and cannot change (5.10 under
 * iommu=pt), a quarantined group stays held until type1 attaches it: the
 * shield's attach wrapper lets go of the hold with every member's bus
 * mastering off, and calls the real attach at once; its detach wrapper has
 * the quarantine take the group back. Identity is crossed only with bus
 * mastering off (DMAOWN_GROUP_HANDOFF_AT_ATTACH).
 *
 * Context: any.
 */
bool dmaown_owner_shield_handoff(void);

/**
 * dmaown_owner_vfio_holder_rcu() - does VFIO hold @group, as the shield saw?
 * @group: a group
 * @pid: out: the task that attached it
 * @comm: out, TASK_COMM_LEN bytes: its comm
 *
 * Context: RCU read side (the guard's atomic context), or any.
 */
bool dmaown_owner_vfio_holder_rcu(struct iommu_group *group, pid_t *pid,
				  char *comm);

/**
 * dmaown_owner_vfio_device_added() - @dev joined its group: if VFIO holds
 * the group, put @dev on VFIO's domain
 * @dev: the new member, after the IOMMU core's ADD_DEVICE
 *
 * Context: may sleep; caller holds no dmaown lock (dmaown_shield_lock).
 */
void dmaown_owner_vfio_device_added(struct device *dev);

#endif /* _DMAOWN_OWNER_H */
