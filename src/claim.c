// SPDX-License-Identifier: GPL-2.0
/*
 * Claims: which open file owns which IOMMU group, and what happens to an
 * owned group as its devices come and go.
 *
 * A claim is created by GROUP_CLAIM or by the first DEVICE_CLAIM of a group
 * from a file, and counts that file's claims in the group (one group claim,
 * any number of device claims). It ends when the last of them is released,
 * or when the file is closed.
 *
 * Fail closed: nothing but the owner's release puts an owned group back on
 * its default domain. When a member leaves the group, or a driver that is
 * not DMA-safe gets bound despite the guard, the claim is revoked: the owner
 * is told (POLLERR, DMAOWN_GROUP_REVOKED and the reason in GROUP_STATUS, and
 * ENODEV from the release that ends it), and the group stays on its
 * blocking domain until that release. Two exceptions, both forced by the
 * kernel:
 *
 *  - the last member leaving: the IOMMU core wants a group that empties to
 *    be back on its default domain (6.12 warns otherwise, 5.10 oopses
 *    later). Its claim ends while the member is still in the group, from
 *    the notifier that runs before the IOMMU core's, with the member's bus
 *    mastering cleared first;
 *  - a release the kernel cannot take (DMAOWN_COMPAT_SURVIVORS_UNSAFE: a
 *    group that lost a member, on 5.10 and 6.1): the group is then held by
 *    dmaown itself, still blocked, until a device joins it again (then it
 *    goes back) or it empties. A held group pins the module.
 *
 * Quarantine (the list is quarantine.c's; its groups are the registry's):
 * a quarantined group that no file owns is held by dmaown, blocked, with no
 * file at all. A file's claim takes such a hold over as it is (no domain
 * switch), and a file's claim of a quarantined group ends in such a hold.
 * The hold lets go of the group for VFIO (a hand-off) when vfio-pci is
 * bound to a member, the others are driverless or DMA-safe, and the
 * group's default domain translates (or the admin allows the DMA window of
 * an identity one: handoff_window=1); it takes the group back once that no
 * longer holds. The guard refuses drivers that are not DMA-safe in a
 * quarantined group throughout.
 *
 * It calls the group registry (registry.c: lookups, the owned hash, wounds,
 * devices coming and going), the viability walk (viability.c) and the
 * ownership backend (owner.h); the ioctl layer (cdev.c) and the bus
 * notifiers (notifier.c) call it. Locking: see dmaown.h.
 */
#include <linux/ktime.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "dmaown.h"
#include "owner.h"

/* struct dmaown_claim.file_node of the claims dmaown holds itself; dmaown_lock */
static LIST_HEAD(dmaown_held);

static struct dmaown_claim *dmaown_file_claim(struct dmaown_file *file, int id)
{
	struct dmaown_claim *claim;

	lockdep_assert_held(&dmaown_lock);
	list_for_each_entry(claim, &file->claims, file_node)
		if (claim->id == id)
			return claim;
	return NULL;
}

/* --- the life of a claim --------------------------------------------------- */

static void dmaown_claim_put_devices(struct dmaown_claim *claim)
{
	struct dmaown_claim_dev *cd, *tmp;

	list_for_each_entry_safe(cd, tmp, &claim->devices, node) {
		list_del(&cd->node);
		put_device(cd->dev);
		kfree(cd);
	}
}

static void dmaown_claim_free(struct dmaown_claim *claim)
{
	dmaown_claim_put_devices(claim);
	iommu_group_put(claim->group);
	kfree_rcu(claim, rcu);
}

/* Give the group back (active claim): it returns to its default domain. */
static void dmaown_claim_end(struct dmaown_claim *claim)
{
	u64 start = ktime_get_ns();

	lockdep_assert_held(&dmaown_lock);
	dmaown_owner_release(claim);
	dmaown_stat_add(DMAOWN_STAT_RELEASE_CORE, start);
	WRITE_ONCE(claim->active, false);
	dmaown_owned_unpublish(claim);
	dmaown_misfit_settle(claim->group, claim->id);
}

/*
 * The owner let go of a group the kernel cannot take back now: dmaown
 * holds it, blocked, until it heals or empties. The module stays loaded
 * meanwhile, so that nothing gives the group back behind the owner's back.
 */
static void dmaown_claim_hold(struct dmaown_claim *claim)
{
	lockdep_assert_held(&dmaown_lock);
	dmaown_claim_put_devices(claim);
	claim->group_claimed = false;
	WRITE_ONCE(claim->file, NULL);
	list_add_tail(&claim->file_node, &dmaown_held);
	__module_get(THIS_MODULE);
	if (dmaown_qgroup_find(claim->group))
		pr_info("group %d: released by %s[%d]: back in quarantine, still blocked\n",
			claim->id, claim->comm, claim->pid);
	else if (dmaown_group_wounded(claim->group))
		pr_warn("group %d: released by %s[%d] while a member is gone; this kernel cannot move the others back to their default domain: dmaown holds it blocked until a device joins it or it empties\n",
			claim->id, claim->comm, claim->pid);
	else
		pr_info("group %d: released by %s[%d] while a member is leaving: dmaown holds it blocked until the member is gone\n",
			claim->id, claim->comm, claim->pid);
}

/* End a claim dmaown holds; @why for the log. */
static void dmaown_held_end(struct dmaown_claim *claim, const char *why)
{
	lockdep_assert_held(&dmaown_lock);
	if (claim->active)
		dmaown_claim_end(claim);
	list_del(&claim->file_node);
	pr_info("group %d: %s: no longer held by dmaown\n", claim->id, why);
	dmaown_claim_free(claim);
	module_put(THIS_MODULE);
}

/*
 * Remove a claim from its file: give the group back, or hold it where the
 * kernel cannot take it back now, and free what is left.
 */
static void dmaown_claim_drop(struct dmaown_claim *claim)
{
	struct dmaown_qgroup *q;

	lockdep_assert_held(&dmaown_lock);
	if (claim->flags & DMAOWN_GROUP_REVOKED)
		claim->file->nr_revoked--;
	dmaown_event(DMAOWN_EVENT_RELEASE, claim->id, NULL, NULL,
		     claim->flags & DMAOWN_GROUP_REVOKED ? ENODEV : 0, claim->flags,
		     claim->pid, claim->comm);
	list_del(&claim->file_node);
	q = dmaown_qgroup_find(claim->group);
	if (claim->active && (q || !dmaown_group_can_return(claim->group))) {
		dmaown_claim_hold(claim);
		if (q)
			dmaown_quarantine_settle(q, false, NULL);
		return;
	}
	if (claim->active)
		dmaown_claim_end(claim);
	dmaown_claim_free(claim);
}

/* End the claim when the file holds nothing more in the group. */
static void dmaown_claim_maybe_drop(struct dmaown_claim *claim)
{
	if (!claim->group_claimed && list_empty(&claim->devices))
		dmaown_claim_drop(claim);
}

/*
 * Revoke @claim, for the reason @why (a DMAOWN_GROUP_* flag): the owner is
 * told, the group stays where it is. A claim still being made (legacy,
 * published but not active) is only marked stale: its claimer fails. A
 * claim dmaown holds has nobody to tell.
 */
static void dmaown_claim_revoke(struct dmaown_claim *claim, const char *who,
				u32 why, const char *text)
{
	lockdep_assert_held(&dmaown_lock);
	if (!claim->active) {
		claim->stale = true;
		return;
	}
	if (!claim->file)
		return;
	claim->flags |= why;
	if (claim->flags & DMAOWN_GROUP_REVOKED)
		return;
	claim->flags |= DMAOWN_GROUP_REVOKED;
	claim->file->nr_revoked++;
	wake_up_poll(&claim->file->wait, EPOLLERR);
	/* @who names a device, or "guard" */
	dmaown_event(DMAOWN_EVENT_REVOKE, claim->id, strcmp(who, "guard") ? who : NULL,
		     NULL, 0, claim->flags, claim->pid, claim->comm);
	pr_warn("%s: %s: claim of group %d by %s[%d] revoked; the group stays blocked until its owner releases it\n",
		who, text, claim->id, claim->comm, claim->pid);
}

static struct dmaown_claim_dev *dmaown_claim_dev_new(struct device *dev,
						     const char *bus,
						     const char *name)
{
	struct dmaown_claim_dev *cd = kzalloc(sizeof(*cd), GFP_KERNEL);

	if (!cd)
		return NULL;
	cd->dev = get_device(dev);
	strscpy(cd->bus, bus, sizeof(cd->bus));
	strscpy(cd->name, name, sizeof(cd->name));
	return cd;
}

static bool dmaown_claim_has_dev(struct dmaown_claim *claim,
				 struct device *dev)
{
	struct dmaown_claim_dev *cd;

	list_for_each_entry(cd, &claim->devices, node)
		if (cd->dev == dev)
			return true;
	return false;
}

/*
 * Add one more claim of this file to its existing claim on the group: a
 * device claim (*@cd), or the group claim (*@cd is NULL).
 */
static int dmaown_claim_add(struct dmaown_claim *claim,
			    struct dmaown_claim_dev **cd)
{
	if (claim->flags & DMAOWN_GROUP_REVOKED)
		return -EBUSY;	/* release the revoked claim first */
	if (!*cd) {
		if (claim->group_claimed)
			return -EALREADY;
		claim->group_claimed = true;
		return 0;
	}
	if (dmaown_claim_has_dev(claim, (*cd)->dev))
		return -EALREADY;
	list_add_tail(&(*cd)->node, &claim->devices);
	*cd = NULL;
	return 0;
}

static int dmaown_owner_timed_claim(struct dmaown_claim *claim)
{
	u64 start = ktime_get_ns();
	int ret = dmaown_owner_claim(claim);

	dmaown_stat_add(DMAOWN_STAT_CLAIM_CORE, start);
	return ret;
}

/*
 * Take @claim->group for the IOMMU layer. A backend that needs the guard
 * first (no core ownership) gets the claim published before the group's
 * drivers are checked, so that no probe can slip in between: a probe that
 * passed the guard before publication holds device_lock, which the check
 * waits for.
 */
static int dmaown_claim_take(struct dmaown_claim *claim)
{
	int ret;

	lockdep_assert_held(&dmaown_lock);
	if (!DMAOWN_OWNER_GUARD_FIRST) {
		ret = dmaown_owner_timed_claim(claim);
		if (!ret) {
			WRITE_ONCE(claim->active, true);
			dmaown_owned_publish(claim);
		}
		return ret;
	}

	if (!dmaown_guard_armed()) {
		pr_warn_ratelimited("group %d: not claimed: the bind guard is disarmed (kprobes disabled), and it is this kernel's only defence against kernel drivers\n",
				    claim->id);
		return -EAGAIN;
	}
	dmaown_owned_publish(claim);
	mutex_unlock(&dmaown_lock);
	ret = dmaown_group_check_viable(claim->group);
	mutex_lock(&dmaown_lock);
	if (ret)
		pr_debug("group %d: not viable (%d)\n", claim->id, ret);
	if (!ret && (claim->stale || dmaown_group_changing(claim->group))) {
		pr_debug("group %d: changed during the claim\n", claim->id);
		ret = -EBUSY;
	}
	if (!ret)
		ret = dmaown_owner_timed_claim(claim);
	if (ret)
		dmaown_owned_unpublish(claim);
	else
		WRITE_ONCE(claim->active, true);
	return ret;
}

/*
 * A legacy claim that failed may have made the guard turn binds away
 * while it was being made: let the driver core try them again.
 *
 * Context: no dmaown lock held; takes device_lock of the group's devices.
 */
static void dmaown_claim_retry_binds(struct dmaown_claim *claim)
{
	struct device **devs;
	int i, n;

	if (!READ_ONCE(claim->denied))
		return;
	/* The guard may still be looking at the claim: let it finish. */
	synchronize_rcu();
	n = dmaown_group_devices(claim->group, &devs);
	if (n < 0)
		return;
	for (i = 0; i < n; i++)
		if (!READ_ONCE(devs[i]->driver) && device_attach(devs[i]) < 0)
			pr_debug("%s: bind retry failed\n", dev_name(devs[i]));
	dmaown_put_devices(devs, n);
}

/* Why @group cannot be claimed now although it may look viable, or 0. */
static int dmaown_group_refusal(struct iommu_group *group, int id)
{
	lockdep_assert_held(&dmaown_lock);
	if (dmaown_owned_lookup_rcu(group))
		return -EBUSY;
	if (dmaown_group_changing(group))
		return -EBUSY;
	/*
	 * The caller found the group through a device that has left since:
	 * the IOMMU core cannot block a group with no device (6.12 follows a
	 * NULL first device).
	 */
	if (!dmaown_group_nr_devices(group))
		return -ENODEV;
	if (dmaown_group_wounded(group)) {
		pr_warn_ratelimited("group %d: a member was hot-removed: this kernel cannot safely move the others to a new domain until it is back\n",
				    id);
		return -EBUSY;
	}
	return 0;
}

/* --- quarantine holds ---------------------------------------------------- */

/*
 * A file claims a quarantined group that dmaown holds: its claim takes the
 * hold's place as it is, on the same blocking domain, with no gap the guard
 * could see.
 */
static bool dmaown_hold_hand_over(struct iommu_group *group,
				  struct dmaown_claim *claim)
{
	struct dmaown_claim *held = dmaown_owned_lookup_rcu(group);

	lockdep_assert_held(&dmaown_lock);
	if (!held || held->file || !held->active || !dmaown_qgroup_find(group) ||
	    dmaown_group_wounded(group) || dmaown_group_changing(group))
		return false;
	claim->domain = held->domain;
	WRITE_ONCE(claim->active, true);
	dmaown_owned_replace(held, claim);
	list_del(&held->file_node);
	pr_info("group %d: quarantined group claimed by %s[%d], still blocked\n",
		claim->id, claim->comm, claim->pid);
	dmaown_claim_free(held);
	module_put(THIS_MODULE);
	return true;
}

/*
 * Is @group ready for VFIO: vfio-pci bound to a member, every other member
 * driverless or on a DMA-safe driver? A snapshot: every change of a driver
 * brings the caller back.
 */
static bool dmaown_group_vfio_ready(struct iommu_group *group)
{
	struct device_driver *drv;
	struct device **devs;
	bool vfio = false, safe = true;
	int i, n;

	n = dmaown_group_devices(group, &devs);
	if (n <= 0)
		return false;
	for (i = 0; i < n; i++) {
		drv = READ_ONCE(devs[i]->driver);
		if (!drv)
			continue;
		if (!strcmp(drv->name, "vfio-pci"))
			vfio = true;
		else if (!dmaown_driver_dma_safe(devs[i], drv))
			safe = false;
	}
	dmaown_put_devices(devs, n);
	return vfio && safe;
}

/*
 * Note whether @q's default domain translates, while the group is on it:
 * then a hand-off to VFIO passes through no identity domain.
 */
static void dmaown_qgroup_look(struct dmaown_qgroup *q)
{
	struct iommu_domain *domain = NULL;
	struct device **devs;
	int n;

	n = dmaown_group_devices(q->group, &devs);
	if (n > 0)
		domain = iommu_get_domain_for_dev(devs[0]);
	if (domain && domain->type == IOMMU_DOMAIN_IDENTITY)
		q->translated = false;
	else if (domain && (domain->type & __IOMMU_DOMAIN_DMA_API))
		q->translated = true;
	dmaown_put_devices(devs, n < 0 ? 0 : n);
}

/*
 * The PCI members of @group stop bus mastering: the driverless ones, or
 * with @all every one.
 */
static void dmaown_clear_master(struct iommu_group *group, bool all)
{
	struct device **devs;
	int i, n;

	n = dmaown_group_devices(group, &devs);
	for (i = 0; i < n; i++)
		if (dev_is_pci(devs[i]) && (all || !READ_ONCE(devs[i]->driver)))
			pci_clear_master(to_pci_dev(devs[i]));
	dmaown_put_devices(devs, n < 0 ? 0 : n);
}

/*
 * Take quarantined @q->group: a claim no file owns. A claim that fails is
 * left in *@failed for the caller to free once dmaown_lock is dropped. A
 * legacy claim drops dmaown_lock on its way: @q may be gone after it.
 */
static int dmaown_hold_take(struct dmaown_qgroup *q, struct dmaown_claim **failed)
{
	struct iommu_group *group = q->group;
	struct dmaown_claim *claim;
	int ret, id = q->id;

	claim = kzalloc(sizeof(*claim), GFP_KERNEL);
	if (!claim)
		return -ENOMEM;
	claim->group = iommu_group_ref_get(group);
	claim->id = id;
	strscpy(claim->comm, "quarantine", sizeof(claim->comm));
	INIT_LIST_HEAD(&claim->devices);

	dmaown_qgroup_look(q);
	ret = dmaown_group_refusal(group, id);
	if (!ret)
		ret = dmaown_claim_take(claim);
	if (ret) {
		*failed = claim;
		return ret;
	}
	list_add_tail(&claim->file_node, &dmaown_held);
	__module_get(THIS_MODULE);
	dmaown_clear_master(group, false);
	pr_info("group %d: quarantined: blocked, held by dmaown\n", id);
	return 0;
}

/*
 * The quarantine hands @q->group to VFIO (@on), or takes it back from VFIO:
 * say so when that changes.
 */
static void dmaown_qgroup_handed_off(struct dmaown_qgroup *q, bool on)
{
	lockdep_assert_held(&dmaown_lock);
	if (q->handed_off != on)
		dmaown_event(on ? DMAOWN_EVENT_VFIO_TAKE : DMAOWN_EVENT_VFIO_LEAVE,
			     q->id, NULL, NULL, 0, DMAOWN_GROUP_HANDED_OFF, 0, NULL);
	q->handed_off = on;
}

/**
 * dmaown_quarantine_settle() - hold quarantined @q->group, or hand it to VFIO
 * @q: a quarantined group
 * @may_take: the caller may have dmaown_lock dropped and device_lock taken
 *	(no bus notifier, no file's claim list being walked): a group nobody
 *	holds is taken; otherwise it is only handed off
 * @failed: with @may_take, out: a claim that failed, for
 *	dmaown_quarantine_settled() once dmaown_lock is dropped
 *
 * A group a file owns stays the file's: it comes back to the quarantine at
 * the file's release.
 *
 * Context: Caller holds dmaown_lock. With @may_take, a legacy claim drops
 * and retakes it: @q may be gone when this returns.
 */
void dmaown_quarantine_settle(struct dmaown_qgroup *q, bool may_take,
			      struct dmaown_claim **failed)
{
	struct dmaown_claim *claim = dmaown_owned_lookup_rcu(q->group);
	struct iommu_group *group;
	bool ready, allowed, told;
	int ret, id;

	lockdep_assert_held(&dmaown_lock);
	if (claim && claim->file) {
		q->handed_off = false;
		return;
	}
	if (!claim)
		dmaown_qgroup_look(q);
	/*
	 * The shield hands an identity group over at VFIO's attach, not at
	 * vfio-pci's bind: until then, and after VFIO's detach, it is held.
	 */
	if (!q->translated && dmaown_owner_shield_handoff()) {
		if (!claim && q->handed_off)
			return;		/* VFIO has it */
		ready = false;
	} else {
		ready = dmaown_group_vfio_ready(q->group);
	}
	allowed = q->translated || dmaown_handoff_window();
	if (ready && !allowed) {
		if (!q->told)
			pr_warn("group %d: vfio-pci is bound, but its default domain is identity: a hand-off to VFIO would open a DMA window; kept blocked (dmaown.handoff_window=1 allows it)\n",
				q->id);
		q->told = true;
	}
	if (claim) {
		if (!ready || !allowed || !claim->active ||
		    !dmaown_group_can_return(q->group))
			return;
		dmaown_held_end(claim, q->translated ? "handed to VFIO" :
				"handed to VFIO, through its identity default domain (handoff_window=1)");
		dmaown_qgroup_handed_off(q, true);
		return;
	}
	if (ready && allowed) {
		dmaown_qgroup_handed_off(q, true);
		return;
	}
	dmaown_qgroup_handed_off(q, false);
	if (!may_take)
		return;
	group = q->group;
	id = q->id;
	told = q->told;
	ret = dmaown_hold_take(q, failed);
	q = dmaown_qgroup_find(group);	/* the take may have dropped dmaown_lock */
	if (ret && !told)
		pr_warn("group %d: quarantined, but not held (%d): a driver that is not DMA-safe is bound, or another owner holds it, or a member is coming or going; held once that ends\n",
			id, ret);
	if (q)
		q->told = ret;
}

/**
 * dmaown_quarantine_settled() - free what dmaown_quarantine_settle() left
 * @failed: a claim that failed, or NULL
 *
 * Context: no dmaown lock held; may take device_lock.
 */
void dmaown_quarantine_settled(struct dmaown_claim *failed)
{
	if (!failed)
		return;
	dmaown_claim_retry_binds(failed);
	dmaown_claim_free(failed);
}

/**
 * dmaown_quarantine_vfio_attach() - VFIO's type1 is about to attach @group
 * @group: the group, viable
 *
 * Called by the shield (dmaown_owner_shield_handoff()) right before the real
 * attach: a quarantine hold lets go of the group, with every member's bus
 * mastering off first, so that the group crosses its default domain
 * without DMA. A group a file owns stays the file's (the attach fails).
 *
 * Context: may sleep; takes dmaown_lock.
 */
void dmaown_quarantine_vfio_attach(struct iommu_group *group)
{
	struct dmaown_claim *claim;
	struct dmaown_qgroup *q;

	mutex_lock(&dmaown_lock);
	q = dmaown_qgroup_find(group);
	claim = dmaown_owned_lookup_rcu(group);
	if (q && !(claim && claim->file)) {
		if (claim && claim->active && dmaown_group_can_return(group)) {
			dmaown_clear_master(group, true);
			dmaown_held_end(claim, "handed to VFIO at its attach, bus mastering off");
		}
		dmaown_qgroup_handed_off(q, true);
	}
	mutex_unlock(&dmaown_lock);
}

/**
 * dmaown_quarantine_vfio_detached() - VFIO let go of @group (or its attach
 * failed): the quarantine takes it back, from a work item
 * @group: the group
 *
 * Context: may sleep; takes dmaown_lock.
 */
void dmaown_quarantine_vfio_detached(struct iommu_group *group)
{
	struct dmaown_qgroup *q;

	mutex_lock(&dmaown_lock);
	q = dmaown_qgroup_find(group);
	if (q)
		dmaown_qgroup_handed_off(q, false);
	mutex_unlock(&dmaown_lock);
	if (q)
		dmaown_quarantine_kick();
}

/**
 * dmaown_quarantine_lift() - @q->group leaves the quarantine
 * @q: its record, deleted here
 *
 * A hold gives the group back to its default domain, unless this kernel
 * cannot take it back now (then it stays held, as any group whose owner let
 * go then). A file's claim goes on, and ends as any other.
 *
 * Context: Caller holds dmaown_lock.
 */
void dmaown_quarantine_lift(struct dmaown_qgroup *q)
{
	struct dmaown_claim *claim = dmaown_owned_lookup_rcu(q->group);
	struct iommu_group *group = q->group;
	int id = q->id;

	lockdep_assert_held(&dmaown_lock);
	dmaown_qgroup_del(q);
	if (claim && !claim->file && claim->active &&
	    dmaown_group_can_return(group))
		dmaown_held_end(claim, "out of quarantine");
	else
		pr_info("group %d: out of quarantine\n", id);
}

/**
 * dmaown_quarantine_busy() - does a file or VFIO hold quarantined @q->group?
 * @q: the group
 *
 * Context: Caller holds dmaown_lock.
 */
bool dmaown_quarantine_busy(struct dmaown_qgroup *q)
{
	struct dmaown_claim *claim = dmaown_owned_lookup_rcu(q->group);
	struct device **devs;
	bool busy;
	int n;

	lockdep_assert_held(&dmaown_lock);
	if (claim)
		return claim->file;
	if (!q->handed_off)
		return false;
	n = dmaown_group_devices(q->group, &devs);
	if (n <= 0)
		return false;
	busy = dmaown_owner_claimed_elsewhere(q->group, devs[0], true);
	dmaown_put_devices(devs, n);
	return busy;
}

/**
 * dmaown_group_claim() - claim @group, or one of its devices, for @file
 * @file: the claiming file
 * @group: the group (the caller's reference is kept by the caller)
 * @dev: the device for DEVICE_CLAIM, NULL for GROUP_CLAIM
 * @bus: with @dev, its bus name
 * @name: with @dev, its name
 * @nr_devices: out, the number of devices in the group
 *
 * A file that already owns the group adds the claim to its own: a group
 * claim on top of device claims, or one more device.
 *
 * Context: Takes dmaown_lock, device_lock of the group's devices and the
 * group's mutex; may sleep.
 * Return: 0; -EALREADY when @file already holds this claim; -EBUSY when the
 * group is not viable, owned by someone else, changing, or this file's claim
 * of it was revoked; -EAGAIN when the guard is disarmed where it is needed;
 * -EINTR; -ENODEV when the group lost its last device meanwhile; -ENOMEM.
 */
int dmaown_group_claim(struct dmaown_file *file, struct iommu_group *group,
		       struct device *dev, const char *bus, const char *name,
		       unsigned int *nr_devices)
{
	struct dmaown_claim_dev *cd = NULL;
	struct dmaown_claim *claim, *old;
	struct dmaown_qgroup *q;
	u32 reason = 0;
	int ret;

	if (dev) {
		cd = dmaown_claim_dev_new(dev, bus, name);
		if (!cd)
			return -ENOMEM;
	}
	claim = kzalloc(sizeof(*claim), GFP_KERNEL);
	if (!claim) {
		ret = -ENOMEM;
		goto out_free_cd;
	}
	claim->group = iommu_group_ref_get(group);
	claim->id = iommu_group_id(group);
	claim->file = file;
	claim->pid = task_tgid_nr(current);
	get_task_comm(claim->comm, current);
	INIT_LIST_HEAD(&claim->devices);

	mutex_lock(&dmaown_lock);
	old = dmaown_file_claim(file, claim->id);
	if (old && !old->active) {
		/* A tombstone of a group that went away: the owner moved on. */
		dmaown_claim_drop(old);
		old = NULL;
	}
	if (old) {
		ret = dmaown_claim_add(old, &cd);
		goto out_unlock_free;
	}
	if (dmaown_hold_hand_over(group, claim)) {
		reason = DMAOWN_GROUP_QUARANTINED;
	} else {
		ret = dmaown_group_refusal(group, claim->id);
		if (ret)
			goto out_unlock_free;
		ret = dmaown_claim_take(claim);
		if (ret)
			goto out_unlock_free;
	}

	if (cd)
		list_add_tail(&cd->node, &claim->devices);
	else
		claim->group_claimed = true;
	cd = NULL;
	list_add_tail(&claim->file_node, &file->claims);
	/* A quarantined group handed to VFIO is this file's now. */
	q = dmaown_qgroup_find(group);
	if (q)
		q->handed_off = false;
	claim = NULL;
	ret = 0;

out_unlock_free:
	if (!ret) {
		*nr_devices = dmaown_group_nr_devices(group);
		dmaown_event(DMAOWN_EVENT_CLAIM, iommu_group_id(group), name, NULL,
			     0, reason, task_tgid_nr(current), current->comm);
	}
	mutex_unlock(&dmaown_lock);
	if (claim) {
		dmaown_claim_retry_binds(claim);
		dmaown_claim_free(claim);
	}
out_free_cd:
	if (cd) {
		put_device(cd->dev);
		kfree(cd);
	}
	return ret;
}

/**
 * dmaown_group_release() - drop @file's group claim on group @id
 * @file: the file
 * @id: the group id
 *
 * Context: Takes dmaown_lock; may sleep.
 * Return: 0; -ENOENT when @file holds no group claim on @id; -ENODEV when
 * the claim was revoked (it is released all the same).
 */
int dmaown_group_release(struct dmaown_file *file, unsigned int id)
{
	struct dmaown_claim *claim;
	int ret = 0;

	if (id > INT_MAX)
		return -ENOENT;
	mutex_lock(&dmaown_lock);
	claim = dmaown_file_claim(file, id);
	if (claim && (claim->flags & DMAOWN_GROUP_REVOKED)) {
		/* Every claim of the file in the group goes with it. */
		dmaown_claim_drop(claim);
		ret = -ENODEV;
	} else if (!claim || !claim->group_claimed) {
		ret = -ENOENT;
	} else {
		claim->group_claimed = false;
		dmaown_claim_maybe_drop(claim);
	}
	mutex_unlock(&dmaown_lock);
	return ret;
}

/**
 * dmaown_device_release() - drop @file's claim on device @bus:@name
 * @file: the file
 * @bus: bus name
 * @name: device name
 *
 * Context: Takes dmaown_lock; may sleep.
 * Return: 0; -ENOENT when @file holds no such device claim; -ENODEV when
 * its claim was revoked (it is released all the same).
 */
int dmaown_device_release(struct dmaown_file *file, const char *bus,
			  const char *name)
{
	struct dmaown_claim_dev *cd;
	struct dmaown_claim *claim;
	int ret = -ENOENT;

	mutex_lock(&dmaown_lock);
	list_for_each_entry(claim, &file->claims, file_node) {
		list_for_each_entry(cd, &claim->devices, node) {
			if (strcmp(cd->bus, bus) || strcmp(cd->name, name))
				continue;
			list_del(&cd->node);
			put_device(cd->dev);
			kfree(cd);
			if (claim->flags & DMAOWN_GROUP_REVOKED) {
				dmaown_claim_drop(claim);
				ret = -ENODEV;
			} else {
				dmaown_claim_maybe_drop(claim);
				ret = 0;
			}
			goto out_unlock;
		}
	}
out_unlock:
	mutex_unlock(&dmaown_lock);
	return ret;
}

static void dmaown_claim_unguarded(struct dmaown_claim *claim, void *data)
{
	if (claim->file && !(claim->flags & DMAOWN_GROUP_GUARD_DISARMED))
		dmaown_claim_revoke(claim, "guard", DMAOWN_GROUP_GUARD_DISARMED,
				    "kprobes disarmed");
}

/**
 * dmaown_guard_check() - revoke what the guard no longer protects
 *
 * Where the guard is the only defence against kernel drivers (no core
 * ownership), a disarmed guard revokes every file's claim: the owners are
 * told, the groups stay blocked.
 *
 * Context: Takes dmaown_lock; may sleep.
 */
void dmaown_guard_check(void)
{
	if (!DMAOWN_OWNER_GUARD_FIRST || dmaown_guard_armed())
		return;
	mutex_lock(&dmaown_lock);
	dmaown_owned_for_each(dmaown_claim_unguarded, NULL);
	mutex_unlock(&dmaown_lock);
}

/**
 * dmaown_file_revoked() - does @file hold a revoked claim?
 * @file: the file
 *
 * Context: any; a snapshot.
 */
bool dmaown_file_revoked(struct dmaown_file *file)
{
	return READ_ONCE(file->nr_revoked);
}

void dmaown_file_init(struct dmaown_file *file)
{
	mutex_init(&file->lock);
	INIT_LIST_HEAD(&file->claims);
	init_waitqueue_head(&file->wait);
}

/**
 * dmaown_file_release() - end every claim of a closing file
 * @file: the file
 *
 * Context: Takes dmaown_lock; may sleep.
 */
void dmaown_file_release(struct dmaown_file *file)
{
	struct dmaown_claim *claim, *tmp;

	mutex_lock(&dmaown_lock);
	list_for_each_entry_safe(claim, tmp, &file->claims, file_node)
		dmaown_claim_drop(claim);
	mutex_unlock(&dmaown_lock);
}

/*
 * Bus notifier events (notifier.c). They run in process context, with
 * device_lock held for the driver events, and with dmaown_lock held here.
 */

/* A device was added to a bus: if it joined an owned group, seal it. */
static void dmaown_device_added(struct iommu_group *group,
				struct dmaown_claim *claim, struct device *dev)
{
	dmaown_wound_heal(group);
	if (!claim || !claim->active)
		return;
	if (dmaown_owner_device_added(claim, dev)) {
		dmaown_claim_revoke(claim, dev_name(dev), 0,
				    "cannot block DMA of new member");
		return;
	}
	dmaown_misfit_add(dev);
	if (!claim->file && !dmaown_qgroup_find(group)) {
		/* Healed: the group can go back as its owner wanted. */
		pr_info("%s: joined group %d\n", dev_name(dev), claim->id);
		dmaown_held_end(claim, "a device joined it");
		return;
	}
	pr_info("%s: joined group %d owned by %s[%d]: DMA blocked, kernel drivers denied\n",
		dev_name(dev), claim->id, claim->comm, claim->pid);
}

/*
 * BUS_NOTIFY_DEL_DEVICE: @dev is leaving @group, and is still a member. The
 * owner is told; the group stays as it is. No claim of the group may be
 * made until the IOMMU core has let go of the device.
 */
static void dmaown_device_leaving(struct iommu_group *group,
				  struct dmaown_claim *claim,
				  struct device *dev)
{
	struct dmaown_qgroup *q = dmaown_qgroup_find(group);

	/* The group's last quarantined member: what is left is not. */
	if (q && !dmaown_group_quarantined_without(group, dev)) {
		pr_info("%s: leaving group %d: the group is no longer quarantined\n",
			dev_name(dev), q->id);
		dmaown_qgroup_del(q);
	}
	dmaown_leaving_add(group, dev);
	dmaown_misfit_del(dev);
	if (claim)
		dmaown_claim_revoke(claim, dev_name(dev),
				    DMAOWN_GROUP_MEMBER_LOST, "member removed");
	dmaown_wound_add(group);
}

/*
 * BUS_NOTIFY_REMOVED_DEVICE, before the IOMMU core takes @dev out of
 * @group. If @dev is the last member of an owned group, the claim ends
 * now: the IOMMU core wants an emptying group on its default domain. The
 * device stops bus mastering first. Where the kernel cannot take the group
 * back (a wounded group), it empties while owned (see dmaown_removed()).
 */
static void dmaown_device_removing(struct iommu_group *group,
				   struct dmaown_claim *claim,
				   struct device *dev)
{
	/* @dev itself is on the leaving list: only a wound forbids it. */
	if (!claim || !claim->active || dmaown_group_nr_devices(group) != 1 ||
	    dmaown_group_wounded(group))
		return;
	if (dev_is_pci(dev))
		pci_clear_master(to_pci_dev(dev));
	if (!claim->file) {
		dmaown_held_end(claim, "its last device left");
		return;
	}
	dmaown_claim_end(claim);
	pr_info("%s: last device of group %d left: the claim of %s[%d] is over\n",
		dev_name(dev), claim->id, claim->comm, claim->pid);
}

/*
 * After BUS_NOTIFY_REMOVED_DEVICE: @dev is out of @group. A group its owner
 * let go of while the device was leaving goes back now, if it can.
 */
static void dmaown_device_removed(struct iommu_group *group)
{
	struct dmaown_claim *claim = dmaown_owned_lookup_rcu(group);

	if (claim && claim->active)
		claim->member_gone = true;
	if (dmaown_group_nr_devices(group)) {
		if (claim && !claim->file && dmaown_group_can_return(group) &&
		    !dmaown_qgroup_find(group))
			dmaown_held_end(claim, "its departing member is gone");
		return;
	}
	dmaown_wound_heal(group);	/* nothing is left to heal */
	dmaown_events_group_gone(iommu_group_id(group));
	dmaown_groupdev_gone(iommu_group_id(group));
	if (!claim || !claim->active)
		return;
	/* A wounded group emptied while owned: nothing is left to move. */
	dmaown_owner_release_empty(claim);
	WRITE_ONCE(claim->active, false);
	dmaown_owned_unpublish(claim);
	if (!claim->file) {
		list_del(&claim->file_node);
		pr_info("group %d: empty: no longer held by dmaown\n", claim->id);
		dmaown_claim_free(claim);
		module_put(THIS_MODULE);
	}
}

/*
 * A driver was bound. The guard denies drivers that are not DMA-safe, so a
 * binding of one into an owned group means something slipped past it: say
 * so loudly and revoke the claim. The group stays blocked: the owner may
 * still be using the other devices.
 */
static void dmaown_driver_bound(struct dmaown_claim *claim, struct device *dev)
{
	if (!claim || !dev->driver || dmaown_driver_dma_safe(dev, dev->driver))
		return;
	if (!claim->active) {
		/*
		 * A legacy claim in the making: this probe passed the guard
		 * before the claim was published. The claim's viability walk
		 * waits for it and fails.
		 */
		claim->stale = true;
		return;
	}
	pr_err("%s: driver %s bound into owned group %d despite the guard%s: its DMA is blocked\n",
	       dev_name(dev), dev->driver->name, claim->id,
	       dmaown_guard_armed() ? "" : " (the guard is disarmed)");
	dmaown_claim_revoke(claim, dev_name(dev), DMAOWN_GROUP_DRIVER_SLIPPED |
			    (dmaown_guard_armed() ? 0 : DMAOWN_GROUP_GUARD_DISARMED),
			    "kernel driver bound");
}

/*
 * What a bus event means to event fds: a member added or leaving, a driver
 * bound or unbound in a group (its viability may have changed), if an
 * event fd or a tracepoint would see it. After the IOMMU core's notifier:
 * an added device has its group, a leaving one is still in it.
 */
static void dmaown_bus_tell(struct device *dev, unsigned long action)
{
	struct iommu_group *group;
	struct device_driver *drv;
	u32 type;

	switch (action) {
	case BUS_NOTIFY_ADD_DEVICE:
		type = DMAOWN_EVENT_MEMBER_ADDED;
		break;
	case BUS_NOTIFY_DEL_DEVICE:
		type = DMAOWN_EVENT_MEMBER_REMOVED;
		break;
	case BUS_NOTIFY_BOUND_DRIVER:
		type = DMAOWN_EVENT_DRIVER_BOUND;
		break;
	case BUS_NOTIFY_UNBOUND_DRIVER:
		type = DMAOWN_EVENT_DRIVER_UNBOUND;
		break;
	default:
		return;
	}
	/* before the group reference and the member count */
	if (!dmaown_event_wanted(type))
		return;
	group = iommu_group_get(dev);
	if (!group)
		return;
	drv = READ_ONCE(dev->driver);
	if (type == DMAOWN_EVENT_MEMBER_REMOVED) {
		struct dmaown_event ev = {
			.type = type,
			.group_id = iommu_group_id(group),
			.count = dmaown_group_nr_devices(group),
		};

		strscpy(ev.device, dev_name(dev), sizeof(ev.device));
		dmaown_event_post(&ev);
	} else {
		dmaown_event(type, iommu_group_id(group), dev_name(dev),
			     type == DMAOWN_EVENT_DRIVER_BOUND && drv ? drv->name : NULL,
			     0, 0, 0, NULL);
	}
	iommu_group_put(group);
}

/**
 * dmaown_bus_event() - a bus notifier event for @dev
 * @dev: the device
 * @action: BUS_NOTIFY_*
 * @when: DMAOWN_EVENT_EARLY (before the IOMMU core's notifier),
 *	DMAOWN_EVENT_LATE (after it) or DMAOWN_EVENT_FINAL (after every
 *	IOMMU driver's)
 *
 * Context: process context, may sleep; takes dmaown_lock.
 */
void dmaown_bus_event(struct device *dev, unsigned long action,
		      enum dmaown_event_when when)
{
	struct iommu_group *group = NULL;
	struct dmaown_claim *claim;
	struct dmaown_qgroup *q;

	if (when == DMAOWN_EVENT_LATE)
		dmaown_bus_tell(dev, action);
	if (when == DMAOWN_EVENT_EARLY) {
		if (action != BUS_NOTIFY_REMOVED_DEVICE && action != BUS_NOTIFY_ADD_DEVICE)
			return;
	} else if (when == DMAOWN_EVENT_FINAL) {
		if (action != BUS_NOTIFY_REMOVED_DEVICE)
			return;
	} else if (action != BUS_NOTIFY_ADD_DEVICE && action != BUS_NOTIFY_DEL_DEVICE &&
		   action != BUS_NOTIFY_REMOVED_DEVICE && action != BUS_NOTIFY_BOUND_DRIVER) {
		return;
	}
	/*
	 * Every bind of the machine comes here: only one into an owned group
	 * needs the lock. A claim published after this look cannot miss the
	 * driver: the core refuses it (owner count), or the legacy walk waits
	 * for the device_lock our caller holds.
	 */
	if (action == BUS_NOTIFY_BOUND_DRIVER && !dmaown_dev_owned(dev))
		return;
	/* A newcomer to a group VFIO holds (the 5.10 shield), outside dmaown_lock. */
	if (action == BUS_NOTIFY_ADD_DEVICE && when == DMAOWN_EVENT_LATE)
		dmaown_owner_vfio_device_added(dev);

	mutex_lock(&dmaown_lock);
	if (when == DMAOWN_EVENT_FINAL) {
		dmaown_leaving_done(dev);
		goto out_unlock;
	}
	if (action == BUS_NOTIFY_ADD_DEVICE) {
		if (when == DMAOWN_EVENT_EARLY) {
			dmaown_joining_add(dev);
			goto out_unlock;
		}
		dmaown_joining_done(dev);
	}
	if (action == BUS_NOTIFY_REMOVED_DEVICE && when == DMAOWN_EVENT_LATE) {
		/* The device is out of its group: find the group it left. */
		group = dmaown_leaving_gone(dev);
		if (group)
			dmaown_device_removed(group);
		dmaown_group_map_prune();
		goto out_unlock;
	}
	group = iommu_group_get(dev);
	if (!group)
		goto out_unlock;
	claim = dmaown_owned_lookup_rcu(group);
	switch (action) {
	case BUS_NOTIFY_ADD_DEVICE:
		dmaown_group_map_add(group);
		dmaown_device_added(group, claim, dev);
		break;
	case BUS_NOTIFY_DEL_DEVICE:
		dmaown_device_leaving(group, claim, dev);
		break;
	case BUS_NOTIFY_REMOVED_DEVICE:
		dmaown_device_removing(group, claim, dev);
		break;
	case BUS_NOTIFY_BOUND_DRIVER:
		dmaown_driver_bound(claim, dev);
		/* vfio-pci bound: a quarantine hold may go to VFIO now */
		q = dmaown_qgroup_find(group);
		if (q)
			dmaown_quarantine_settle(q, false, NULL);
		break;
	}
out_unlock:
	mutex_unlock(&dmaown_lock);
	if (group)
		iommu_group_put(group);
}

