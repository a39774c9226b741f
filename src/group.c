// SPDX-License-Identifier: GPL-2.0
/*
 * Claims: which open file owns which IOMMU group.
 *
 * A claim is created by GROUP_CLAIM or by the first DEVICE_CLAIM of a group
 * from a file, and counts that file's claims in the group (one group claim,
 * any number of device claims). It ends when the last of them is released,
 * when the file is closed, or when it is revoked: a member leaving the group,
 * or a driver that is not DMA-safe getting bound despite the guard. A revoked
 * claim stays on its file as a tombstone until the owner releases it
 * (ENODEV), so that the owner learns of the revocation.
 *
 * Locking: see dmaown.h. dmaown_lock is defined here.
 */
#include <linux/ktime.h>
#include <linux/lockdep.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "dmaown.h"
#include "owner.h"

static DEFINE_MUTEX(dmaown_lock);
/* struct dmaown_claim.node: every published claim; RCU, writers hold dmaown_lock */
static LIST_HEAD(dmaown_owned);

/*
 * Groups that lost a member to hot-removal, while it stays away: on some
 * kernels their survivors cannot be moved to a new domain safely
 * (DMAOWN_COMPAT_SURVIVORS_UNSAFE). dmaown_lock.
 */
struct dmaown_wound {
	struct list_head node;
	struct iommu_group *group;	/* referenced */
};

static LIST_HEAD(dmaown_wounds);

static dmaown_bus_type *const dmaown_buses[DMAOWN_NR_BUSES] = { &pci_bus_type, &platform_bus_type };

struct dmaown_find {
	int id;
	struct iommu_group *group;
};

static int dmaown_find_one(struct device *dev, void *data)
{
	struct dmaown_find *find = data;
	struct iommu_group *group = iommu_group_get(dev);

	if (!group)
		return 0;
	if (iommu_group_id(group) == find->id) {
		find->group = group;
		return 1;
	}
	iommu_group_put(group);
	return 0;
}

/**
 * dmaown_group_find() - find an IOMMU group by its id
 * @id: iommu_group_id(), as under /sys/kernel/iommu_groups/
 *
 * iommu_group_get_by_id() is gone in 6.12: walk the buses instead.
 *
 * Context: may sleep.
 * Return: a referenced group, or NULL.
 */
struct iommu_group *dmaown_group_find(unsigned int id)
{
	struct dmaown_find find = { .id = id };
	int i;

	if (id > INT_MAX)
		return NULL;
	for (i = 0; i < ARRAY_SIZE(dmaown_buses); i++)
		if (bus_for_each_dev(dmaown_buses[i], NULL, &find, dmaown_find_one))
			break;
	return find.group;
}

/**
 * dmaown_bus_find() - a supported bus by name
 * @name: "pci" or "platform"
 *
 * Return: the bus, or NULL.
 */
dmaown_bus_type *dmaown_bus_find(const char *name)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(dmaown_buses); i++)
		if (!strcmp(dmaown_buses[i]->name, name))
			return dmaown_buses[i];
	return NULL;
}

/**
 * dmaown_bus_get() - the buses dmaown watches
 * @i: index
 *
 * Return: the @i-th bus, or NULL past the end.
 */
dmaown_bus_type *dmaown_bus_get(unsigned int i)
{
	return i < ARRAY_SIZE(dmaown_buses) ? dmaown_buses[i] : NULL;
}

/**
 * dmaown_owned_lookup_rcu() - the claim published on @group, if any
 * @group: an IOMMU group
 *
 * Context: rcu_read_lock() or dmaown_lock held. Safe in the probe guard.
 */
struct dmaown_claim *dmaown_owned_lookup_rcu(struct iommu_group *group)
{
	struct dmaown_claim *claim;

	list_for_each_entry_rcu(claim, &dmaown_owned, node,
				lockdep_is_held(&dmaown_lock))
		if (claim->group == group)
			return claim;
	return NULL;
}

static struct dmaown_claim *dmaown_file_claim(struct dmaown_file *file, int id)
{
	struct dmaown_claim *claim;

	lockdep_assert_held(&dmaown_lock);
	list_for_each_entry(claim, &file->claims, file_node)
		if (claim->id == id)
			return claim;
	return NULL;
}

static int dmaown_count_one(struct device *dev, void *data)
{
	(*(unsigned int *)data)++;
	return 0;
}

static unsigned int dmaown_group_nr_devices(struct iommu_group *group)
{
	unsigned int n = 0;

	iommu_group_for_each_dev(group, &n, dmaown_count_one);
	return n;
}

static struct dmaown_wound *dmaown_wound_find(struct iommu_group *group)
{
	struct dmaown_wound *wound;

	lockdep_assert_held(&dmaown_lock);
	list_for_each_entry(wound, &dmaown_wounds, node)
		if (wound->group == group)
			return wound;
	return NULL;
}

/* A member of @group is leaving: remember it if others stay behind. */
static void dmaown_wound_add(struct iommu_group *group)
{
	struct dmaown_wound *wound;

	lockdep_assert_held(&dmaown_lock);
	if (!DMAOWN_COMPAT_SURVIVORS_UNSAFE || dmaown_group_nr_devices(group) < 2)
		return;
	if (dmaown_wound_find(group))
		return;
	wound = kzalloc(sizeof(*wound), GFP_KERNEL);
	if (!wound)
		return;
	wound->group = iommu_group_ref_get(group);
	list_add(&wound->node, &dmaown_wounds);
}

/*
 * A device joined @group. One is enough to make the others safe again, on
 * 5.10 and 6.1 alike: it restores the alias context the removal cleared
 * (measured: two members removed, one rescanned, the claim works).
 */
static void dmaown_wound_heal(struct iommu_group *group)
{
	struct dmaown_wound *wound = dmaown_wound_find(group);

	if (wound) {
		list_del(&wound->node);
		iommu_group_put(wound->group);
		kfree(wound);
	}
}

static void dmaown_claim_free(struct dmaown_claim *claim)
{
	struct dmaown_claim_dev *cd, *tmp;

	list_for_each_entry_safe(cd, tmp, &claim->devices, node) {
		put_device(cd->dev);
		kfree(cd);
	}
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
	claim->active = false;
	list_del_rcu(&claim->node);
}

/* Remove a claim from its file and free it; end it first if active. */
static void dmaown_claim_drop(struct dmaown_claim *claim)
{
	lockdep_assert_held(&dmaown_lock);
	if (claim->active)
		dmaown_claim_end(claim);
	if (claim->revoked)
		claim->file->nr_revoked--;
	list_del(&claim->file_node);
	dmaown_claim_free(claim);
}

/* End the claim when the file holds nothing more in the group. */
static void dmaown_claim_maybe_drop(struct dmaown_claim *claim)
{
	if (!claim->group_claimed && list_empty(&claim->devices))
		dmaown_claim_drop(claim);
}

/*
 * Revoke @claim: the group goes back to its default domain now, the owner
 * finds a tombstone (POLLERR, ENODEV on release). A claim still being made
 * (legacy, published but not active) is only marked stale: its claimer
 * fails.
 */
static void dmaown_claim_revoke(struct dmaown_claim *claim, struct device *dev,
				const char *why)
{
	lockdep_assert_held(&dmaown_lock);
	if (!claim->active) {
		claim->stale = true;
		return;
	}
	dmaown_claim_end(claim);
	claim->revoked = true;
	claim->file->nr_revoked++;
	wake_up_poll(&claim->file->wait, EPOLLERR);
	pr_warn("%s: %s: claim of group %d by %s[%d] revoked\n",
		dev_name(dev), why, claim->id, claim->comm, claim->pid);
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

/* Add one more claim of this file to its existing claim on the group. */
static int dmaown_claim_add(struct dmaown_claim *claim,
			    struct dmaown_claim_dev **cd)
{
	if (!*cd)
		return -EALREADY;
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
		if (!ret)
			list_add_tail_rcu(&claim->node, &dmaown_owned);
		return ret;
	}

	list_add_tail_rcu(&claim->node, &dmaown_owned);
	mutex_unlock(&dmaown_lock);
	ret = dmaown_group_check_viable(claim->group);
	mutex_lock(&dmaown_lock);
	if (ret)
		pr_debug("group %d: not viable\n", claim->id);
	if (!ret && claim->stale) {
		pr_debug("group %d: changed during the claim\n", claim->id);
		ret = -EBUSY;
	}
	if (!ret)
		ret = dmaown_owner_timed_claim(claim);
	if (ret)
		list_del_rcu(&claim->node);
	return ret;
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
 * Context: Takes dmaown_lock, device_lock of the group's devices and the
 * group's mutex; may sleep.
 * Return: 0; -EALREADY when @file already holds this claim; -EBUSY when the
 * group is not viable or owned by someone else; -ENOMEM.
 */
int dmaown_group_claim(struct dmaown_file *file, struct iommu_group *group,
		       struct device *dev, const char *bus, const char *name,
		       unsigned int *nr_devices)
{
	struct dmaown_claim_dev *cd = NULL;
	struct dmaown_claim *claim, *old;
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
	if (old && old->revoked) {
		/* The owner has moved on from a revoked claim. */
		dmaown_claim_drop(old);
		old = NULL;
	}
	if (old) {
		ret = dmaown_claim_add(old, &cd);
		goto out_unlock_free;
	}
	if (dmaown_owned_lookup_rcu(group)) {
		ret = -EBUSY;
		goto out_unlock_free;
	}
	if (dmaown_wound_find(group)) {
		pr_warn_ratelimited("group %d: a member was hot-removed: this kernel cannot safely move the others to a new domain until it is back\n",
				    claim->id);
		ret = -EBUSY;
		goto out_unlock_free;
	}
	ret = dmaown_claim_take(claim);
	if (ret)
		goto out_unlock_free;

	claim->active = true;
	if (cd)
		list_add_tail(&cd->node, &claim->devices);
	else
		claim->group_claimed = true;
	cd = NULL;
	list_add_tail(&claim->file_node, &file->claims);
	claim = NULL;
	ret = 0;

out_unlock_free:
	if (!ret)
		*nr_devices = dmaown_group_nr_devices(group);
	mutex_unlock(&dmaown_lock);
	if (claim)
		dmaown_claim_free(claim);
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
 * the claim was revoked (the tombstone is dropped).
 */
int dmaown_group_release(struct dmaown_file *file, unsigned int id)
{
	struct dmaown_claim *claim;
	int ret = 0;

	if (id > INT_MAX)
		return -ENOENT;
	mutex_lock(&dmaown_lock);
	claim = dmaown_file_claim(file, id);
	if (claim && claim->revoked) {
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
 * its claim was revoked.
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
			ret = claim->revoked ? -ENODEV : 0;
			dmaown_claim_maybe_drop(claim);
			goto out_unlock;
		}
	}
out_unlock:
	mutex_unlock(&dmaown_lock);
	return ret;
}

/**
 * dmaown_group_owner() - who owns @group, as seen from @file
 * @file: the asking file
 * @group: the group
 * @pid: out, the owner's pid when a dmaown file owns it
 * @comm: out, the owner's comm (TASK_COMM_LEN bytes)
 *
 * Context: Takes dmaown_lock; may sleep.
 * Return: DMAOWN_STATE_OWNED when @file owns it, DMAOWN_STATE_BUSY when
 * another dmaown file does, DMAOWN_STATE_FREE otherwise (the caller asks
 * the backend about other kernel owners).
 */
int dmaown_group_owner(struct dmaown_file *file, struct iommu_group *group,
		       pid_t *pid, char *comm)
{
	struct dmaown_claim *claim;
	int state = DMAOWN_STATE_FREE;

	mutex_lock(&dmaown_lock);
	claim = dmaown_owned_lookup_rcu(group);
	if (claim) {
		state = claim->active && claim->file == file ?
			DMAOWN_STATE_OWNED : DMAOWN_STATE_BUSY;
		*pid = claim->pid;
		memcpy(comm, claim->comm, TASK_COMM_LEN);
	}
	mutex_unlock(&dmaown_lock);
	return state;
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
	if (dmaown_owner_device_added(claim, dev))
		dmaown_claim_revoke(claim, dev, "cannot block DMA of new member");
	else
		pr_info("%s: joined group %d owned by %s[%d]: DMA blocked, kernel drivers denied\n",
			dev_name(dev), claim->id, claim->comm, claim->pid);
}

/*
 * A device is being removed while still a member of its group: revoke the
 * group's claim now, while the IOMMU layer still knows the device. Giving
 * the group back later, after the member is gone, oopses on 5.10 and warns
 * on 6.12 (see kernel-facts 2.4); mixing hot-add and hot-remove corrupts a
 * list on 6.1.
 */
static void dmaown_device_removed(struct iommu_group *group,
				  struct dmaown_claim *claim,
				  struct device *dev)
{
	if (claim)
		dmaown_claim_revoke(claim, dev, "member removed");
	dmaown_wound_add(group);
}

/*
 * A driver was bound. The guard denies drivers that are not DMA-safe, so a
 * binding of one into an owned group means something slipped past it: say
 * so loudly and give the group back, so that the driver works and the
 * owner knows its group is no longer isolated.
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
	pr_err("%s: driver %s bound into owned group %d despite the guard\n",
	       dev_name(dev), dev->driver->name, claim->id);
	dmaown_claim_revoke(claim, dev, "kernel driver bound");
}

/* Is @dev's group published as owned? Context: any; a snapshot. */
static bool dmaown_dev_owned(struct device *dev)
{
	struct iommu_group *group = READ_ONCE(dev->iommu_group);
	bool owned;

	if (!group)
		return false;
	rcu_read_lock();
	owned = dmaown_owned_lookup_rcu(group);
	rcu_read_unlock();
	return owned;
}

/**
 * dmaown_bus_event() - a bus notifier event for @dev
 * @dev: the device
 * @action: BUS_NOTIFY_*
 *
 * Context: process context, may sleep; takes dmaown_lock.
 */
void dmaown_bus_event(struct device *dev, unsigned long action)
{
	struct iommu_group *group;
	struct dmaown_claim *claim;

	if (action != BUS_NOTIFY_ADD_DEVICE && action != BUS_NOTIFY_DEL_DEVICE &&
	    action != BUS_NOTIFY_BOUND_DRIVER)
		return;
	/*
	 * Every bind of the machine comes here: only one into an owned group
	 * needs the lock. A claim published after this look cannot miss the
	 * driver: the core refuses it (owner count), or the legacy walk waits
	 * for the device_lock our caller holds.
	 */
	if (action == BUS_NOTIFY_BOUND_DRIVER && !dmaown_dev_owned(dev))
		return;
	group = iommu_group_get(dev);
	if (!group)
		return;

	mutex_lock(&dmaown_lock);
	claim = dmaown_owned_lookup_rcu(group);
	switch (action) {
	case BUS_NOTIFY_ADD_DEVICE:
		dmaown_device_added(group, claim, dev);
		break;
	case BUS_NOTIFY_DEL_DEVICE:
		dmaown_device_removed(group, claim, dev);
		break;
	case BUS_NOTIFY_BOUND_DRIVER:
		dmaown_driver_bound(claim, dev);
		break;
	}
	mutex_unlock(&dmaown_lock);
	iommu_group_put(group);
}

void dmaown_groups_exit(void)
{
	struct dmaown_wound *wound, *tmp;

	/* Files pin the module: none is open, so nothing is owned. */
	WARN_ON(!list_empty(&dmaown_owned));
	list_for_each_entry_safe(wound, tmp, &dmaown_wounds, node) {
		iommu_group_put(wound->group);
		kfree(wound);
	}
}
