// SPDX-License-Identifier: GPL-2.0
/*
 * The group registry: finding an IOMMU group by its id on the buses dmaown
 * watches, and what dmaown knows of each group:
 *
 *  - the owned hash: every published claim (the guard reads it under RCU);
 *  - wounds: groups that lost a member which has not come back, where the
 *    kernel cannot move the others to a new domain
 *    (DMAOWN_COMPAT_SURVIVORS_UNSAFE); each one pins the module, which
 *    must not forget it;
 *  - devices on their way in and out of a group, while the IOMMU core and
 *    drivers work on them: no claim of their group meanwhile;
 *  - misfits: devices that joined a group while it was owned, whose DMA
 *    setup does not fit their default domain;
 *  - quarantined groups: groups with a member in the quarantine list
 *    (quarantine.c decides which), and how far they are handed to VFIO.
 *
 *  - the group map: every group with a member on those buses, by id.
 *
 * It defines dmaown_lock (see "Locking" in dmaown.h), which protects all of
 * it. It calls only the IOMMU and driver cores; claims (claim.c), status
 * (status.c) and the guard call it.
 */
#include <linux/hashtable.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/xarray.h>

#include "dmaown.h"
#include "owner.h"

DEFINE_MUTEX(dmaown_lock); /* every record below, and the claims: see dmaown.h */

/*
 * struct dmaown_claim.node: every published claim, hashed by its group, so
 * that the guard's look costs the same with one claim or hundreds. RCU,
 * writers hold dmaown_lock.
 */
#define DMAOWN_OWNED_BITS 8
static DEFINE_HASHTABLE(dmaown_owned, DMAOWN_OWNED_BITS);

/*
 * The group map: iommu_group_id() -> the group, referenced, for every group
 * with a member on the watched buses, so that a claim or a status finds its
 * group without walking the buses.
 *
 * Writers hold dmaown_lock (and the xarray takes its own xa_lock); readers
 * hold dmaown_lock. The lifetime rule is that of every group reference
 * dmaown keeps: none may outlive the IOMMU core's removal of the group's
 * last device (5.10's intel-iommu BUGs when the last reference, and with it
 * the default domain, goes after its own REMOVED_DEVICE notifier). Hence:
 *
 *  - an entry is added, under dmaown_lock, only while the group has a
 *    member: at module load, at the late ADD_DEVICE (the member is in), and
 *    by a lookup that missed and found the group on the buses;
 *  - it is removed at the late REMOVED_DEVICE of a member once the group
 *    has none: the core took the device out just before (its notifier runs
 *    first), intel's scope notifier has not run yet, and an addition that
 *    checked for members before the removal is serialised before the check
 *    by dmaown_lock;
 *  - while an entry holds its reference the id cannot be given to another
 *    group, so an entry is always the group of its id;
 *  - a lookup of a group a member is leaving walks the buses, as if the
 *    group were not in the map: it finds the group, and takes a reference,
 *    only while a member is still on a bus, so that no caller's reference
 *    taken from the map can span the removal.
 *
 * A missing entry (no memory at the time) costs a bus walk, never a wrong
 * answer.
 */
static DEFINE_XARRAY(dmaown_group_map);

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

/*
 * Devices on their way out: from BUS_NOTIFY_DEL_DEVICE until every
 * BUS_NOTIFY_REMOVED_DEVICE notifier has run, the IOMMU drivers' own last
 * (intel's dmar scope update has the lowest priority). @gone once the IOMMU
 * core has taken the device out of @group. No claim of @group may be made
 * meanwhile, nor of a group holding a device of the same name: a device
 * rescanned at once at the same address must not be claimed while its
 * predecessor's teardown runs (seen: 5.10's intel-iommu then oopses when
 * the claim's domain is freed). dmaown_lock.
 */
struct dmaown_leaving {
	struct list_head node;
	struct device *dev;		/* referenced */
	struct iommu_group *group;	/* referenced until @gone, then NULL */
	bool gone;
	char name[DMAOWN_NAME_LEN];
};

static LIST_HEAD(dmaown_leavings);

/*
 * Devices on their way in: from before the IOMMU core's BUS_NOTIFY_ADD_DEVICE
 * (which puts them in a group and attaches its domains) until after it. A
 * claim of their group meanwhile would race the core's attach of the
 * default domain (seen on 5.10: a claim taken right after a rescan, whose
 * domain then oopses intel-iommu when freed). dmaown_lock.
 */
struct dmaown_joining {
	struct list_head node;
	struct device *dev;		/* referenced */
};

static LIST_HEAD(dmaown_joinings);

/*
 * Devices that joined a group while it was owned, whose default domain
 * translates: the IOMMU core set up their DMA for the domain the group was
 * on (the blocking one: direct DMA), so a kernel driver bound to them after
 * the release would DMA to physical addresses through a translated domain,
 * and fault. The guard refuses drivers that are not DMA-safe for them until
 * they are removed and rescanned. RCU (the guard reads it); writers hold
 * dmaown_lock.
 */
struct dmaown_misfit {
	struct list_head node;
	struct device *dev;		/* referenced */
	bool told;			/* the log line was printed */
	struct rcu_head rcu;
};

static LIST_HEAD(dmaown_misfits);

/*
 * Quarantined groups. RCU (the guard refuses drivers that are not DMA-safe
 * in them even while nobody holds them); writers hold dmaown_lock. The
 * group reference is dropped when the last quarantined member leaves, at
 * BUS_NOTIFY_DEL_DEVICE while it is still a member: no group reference may
 * outlive the IOMMU core's removal of the group's last device.
 */
static LIST_HEAD(dmaown_qgroups);

/* The quarantine list: struct dmaown_qentry (dmaown_lock), and its length. */
static LIST_HEAD(dmaown_qentry_list);
static unsigned int dmaown_qentry_count;

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

/*
 * @group had a member a moment ago (at module load, at the late
 * ADD_DEVICE, after a bus walk): put it in the map if it still has one.
 * Context: dmaown_lock held.
 */
void dmaown_group_map_add(struct iommu_group *group)
{
	int ret;

	lockdep_assert_held(&dmaown_lock);
	if (!dmaown_group_nr_devices(group))
		return;
	ret = xa_insert(&dmaown_group_map, iommu_group_id(group), group, GFP_KERNEL);
	if (!ret)
		iommu_group_ref_get(group);
}

static struct iommu_group *dmaown_group_walk(int id)
{
	struct dmaown_find find = { .id = id };
	int i;

	for (i = 0; i < ARRAY_SIZE(dmaown_buses); i++)
		if (bus_for_each_dev(dmaown_buses[i], NULL, &find, dmaown_find_one))
			break;
	return find.group;
}

/**
 * dmaown_group_find() - find an IOMMU group by its id
 * @id: iommu_group_id(), as under /sys/kernel/iommu_groups/
 *
 * From the group map; from a walk of the buses if it misses
 * (iommu_group_get_by_id() is gone in 6.12).
 *
 * Context: may sleep; takes dmaown_lock.
 * Return: a referenced group, or NULL.
 */
struct iommu_group *dmaown_group_find(unsigned int id)
{
	struct iommu_group *group;

	if (id > INT_MAX)
		return NULL;
	mutex_lock(&dmaown_lock);
	group = xa_load(&dmaown_group_map, id);
	if (group && dmaown_group_leaving(group))
		group = NULL;	/* the buses tell whether it is still there */
	else if (group)
		iommu_group_ref_get(group);
	mutex_unlock(&dmaown_lock);
	if (group)
		return group;

	group = dmaown_group_walk(id);
	if (group) {
		mutex_lock(&dmaown_lock);
		dmaown_group_map_add(group);
		mutex_unlock(&dmaown_lock);
	}
	return group;
}

static int dmaown_map_one(struct device *dev, void *data)
{
	struct iommu_group *group = iommu_group_get(dev);

	if (group) {
		dmaown_group_map_add(group);
		iommu_group_put(group);
	}
	return 0;
}

/**
 * dmaown_group_map_init() - fill the group map with the groups there are
 *
 * After the bus notifiers are registered: a device that comes or goes
 * meanwhile is seen by them, once this lets go of dmaown_lock.
 *
 * Context: may sleep; takes dmaown_lock.
 */
void dmaown_group_map_init(void)
{
	int i;

	mutex_lock(&dmaown_lock);
	for (i = 0; i < ARRAY_SIZE(dmaown_buses); i++)
		bus_for_each_dev(dmaown_buses[i], NULL, NULL, dmaown_map_one);
	mutex_unlock(&dmaown_lock);
}

/*
 * A device left its group (late REMOVED_DEVICE): drop every group that has
 * no member now. All of them, not just the one the device left: a record
 * of that one (struct dmaown_leaving) may have found no memory.
 * Context: dmaown_lock held.
 */
static void dmaown_group_map_drop(bool empty_only)
{
	struct iommu_group *group;
	unsigned long id;

	lockdep_assert_held(&dmaown_lock);
	xa_for_each(&dmaown_group_map, id, group) {
		if (empty_only && dmaown_group_nr_devices(group))
			continue;
		xa_erase(&dmaown_group_map, id);
		iommu_group_put(group);
	}
}

void dmaown_group_map_prune(void)
{
	dmaown_group_map_drop(true);
}

static void dmaown_group_map_exit(void)
{
	mutex_lock(&dmaown_lock);
	dmaown_group_map_drop(false);
	mutex_unlock(&dmaown_lock);
	xa_destroy(&dmaown_group_map);
}

static int dmaown_present_one(struct device *dev, void *data)
{
	struct iommu_group *group = iommu_group_get(dev);
	int ret;

	if (!group)
		return 0;
	ret = xa_err(xa_store(data, iommu_group_id(group), xa_mk_value(1), GFP_KERNEL));
	iommu_group_put(group);
	return ret;
}

/**
 * dmaown_groups_present() - the ids of every group on the watched buses
 * @ids: an empty xarray; each id is stored as an index
 *
 * Context: may sleep.
 * Return: 0, or -ENOMEM (@ids then holds some of them).
 */
int dmaown_groups_present(struct xarray *ids)
{
	int i, ret;

	for (i = 0; i < ARRAY_SIZE(dmaown_buses); i++) {
		ret = bus_for_each_dev(dmaown_buses[i], NULL, ids, dmaown_present_one);
		if (ret)
			return ret;
	}
	return 0;
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

	hash_for_each_possible_rcu(dmaown_owned, claim, node, (unsigned long)group,
				   lockdep_is_held(&dmaown_lock))
		if (claim->group == group)
			return claim;
	return NULL;
}

static int dmaown_count_one(struct device *dev, void *data)
{
	(*(unsigned int *)data)++;
	return 0;
}

unsigned int dmaown_group_nr_devices(struct iommu_group *group)
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
void dmaown_wound_add(struct iommu_group *group)
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
	/*
	 * The kernel keeps the harm after dmaown is gone: a later load would
	 * not know it, and would let a claim BUG the kernel (seen on 6.1:
	 * wounded by a removal, rmmod, insmod, claim). Stay loaded.
	 */
	__module_get(THIS_MODULE);
}

/*
 * A device joined @group. One is enough to make the others safe again, on
 * 5.10 and 6.1 alike: it restores the alias context the removal cleared
 * (measured: two members removed, one rescanned, the claim works).
 */
void dmaown_wound_heal(struct iommu_group *group)
{
	struct dmaown_wound *wound = dmaown_wound_find(group);

	if (wound) {
		list_del(&wound->node);
		iommu_group_put(wound->group);
		kfree(wound);
		module_put(THIS_MODULE);
	}
}

/* Is a member of @group on its way out? */
bool dmaown_group_leaving(struct iommu_group *group)
{
	struct dmaown_leaving *l;

	lockdep_assert_held(&dmaown_lock);
	list_for_each_entry(l, &dmaown_leavings, node)
		if (l->group == group && !l->gone)
			return true;
	return false;
}

static int dmaown_member_changing_one(struct device *dev, void *data)
{
	struct dmaown_joining *j;
	struct dmaown_leaving *l;

	list_for_each_entry(l, &dmaown_leavings, node)
		if (l->dev != dev && !strcmp(l->name, dev_name(dev)))
			return 1;
	list_for_each_entry(j, &dmaown_joinings, node)
		if (j->dev == dev)
			return 1;
	return 0;
}

/*
 * Is a member of @group on its way in or out, or a device of the same name
 * as one on its way out? Context: dmaown_lock held; takes group->mutex.
 */
bool dmaown_group_changing(struct iommu_group *group)
{
	lockdep_assert_held(&dmaown_lock);
	if (list_empty(&dmaown_leavings) && list_empty(&dmaown_joinings))
		return false;
	if (dmaown_group_leaving(group))
		return true;
	return iommu_group_for_each_dev(group, NULL, dmaown_member_changing_one);
}

void dmaown_joining_add(struct device *dev)
{
	struct dmaown_joining *j = kzalloc(sizeof(*j), GFP_KERNEL);

	lockdep_assert_held(&dmaown_lock);
	if (!j) /* only a claim racing the addition is then not refused */
		return;
	j->dev = get_device(dev);
	list_add(&j->node, &dmaown_joinings);
}

void dmaown_joining_done(struct device *dev)
{
	struct dmaown_joining *j, *tmp;

	lockdep_assert_held(&dmaown_lock);
	list_for_each_entry_safe(j, tmp, &dmaown_joinings, node) {
		if (j->dev != dev)
			continue;
		list_del(&j->node);
		put_device(j->dev);
		kfree(j);
	}
}

void dmaown_leaving_add(struct iommu_group *group, struct device *dev)
{
	struct dmaown_leaving *l = kzalloc(sizeof(*l), GFP_KERNEL);

	lockdep_assert_held(&dmaown_lock);
	if (!l) /* only a claim racing the removal is then not refused */
		return;
	l->dev = get_device(dev);
	l->group = iommu_group_ref_get(group);
	strscpy(l->name, dev_name(dev), sizeof(l->name));
	list_add(&l->node, &dmaown_leavings);
}

static void dmaown_leaving_free(struct dmaown_leaving *l)
{
	list_del(&l->node);
	put_device(l->dev);
	if (l->group)
		iommu_group_put(l->group);
	kfree(l);
}

/*
 * Can the kernel move @group's devices back to their default domain now?
 * Not while a member is wounded away (DMAOWN_COMPAT_SURVIVORS_UNSAFE), nor
 * while one is on its way out: a domain switch racing the removal oopses
 * in 5.10's intel-iommu (seen: a release between DEL_DEVICE and
 * REMOVED_DEVICE of the last member). The removal itself gives such a
 * group back at the right moment (dmaown_device_removing()).
 */
bool dmaown_group_can_return(struct iommu_group *group)
{
	return !dmaown_wound_find(group) && !dmaown_group_leaving(group);
}

/* @dev is out of its group: the group it left (the caller's reference), or NULL. */
struct iommu_group *dmaown_leaving_gone(struct device *dev)
{
	struct iommu_group *group = NULL;
	struct dmaown_leaving *l;

	lockdep_assert_held(&dmaown_lock);
	list_for_each_entry(l, &dmaown_leavings, node) {
		if (l->dev != dev || l->gone)
			continue;
		/*
		 * The group's last reference must not outlive this notifier:
		 * 5.10's intel-iommu BUGs freeing a default domain after its
		 * own REMOVED_DEVICE notifier ran (seen).
		 */
		l->gone = true;
		if (!group)
			group = l->group;
		else
			iommu_group_put(l->group);
		l->group = NULL;
	}
	return group;
}

/* Every notifier has seen @dev go. */
void dmaown_leaving_done(struct device *dev)
{
	struct dmaown_leaving *l, *tmp;

	lockdep_assert_held(&dmaown_lock);
	list_for_each_entry_safe(l, tmp, &dmaown_leavings, node)
		if (l->dev == dev)
			dmaown_leaving_free(l);
}

/**
 * dmaown_device_misfit_rcu() - did @dev join its group while it was owned,
 * with a default domain its DMA setup does not fit?
 * @dev: a device
 *
 * Context: rcu_read_lock() or dmaown_lock held. Safe in the probe guard.
 */
bool dmaown_device_misfit_rcu(struct device *dev)
{
	struct dmaown_misfit *m;

	list_for_each_entry_rcu(m, &dmaown_misfits, node, lockdep_is_held(&dmaown_lock))
		if (m->dev == dev)
			return true;
	return false;
}

void dmaown_misfit_add(struct device *dev)
{
	struct dmaown_misfit *m;

	lockdep_assert_held(&dmaown_lock);
	if (dmaown_device_misfit_rcu(dev))
		return;
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m) {
		pr_warn("%s: out of memory: a kernel driver bound after the release may fault\n",
			dev_name(dev));
		return;
	}
	m->dev = get_device(dev);
	list_add_rcu(&m->node, &dmaown_misfits);
}

static void dmaown_misfit_free(struct dmaown_misfit *m)
{
	list_del_rcu(&m->node);
	put_device(m->dev);
	kfree_rcu(m, rcu);
}

void dmaown_misfit_del(struct device *dev)
{
	struct dmaown_misfit *m, *tmp;

	lockdep_assert_held(&dmaown_lock);
	list_for_each_entry_safe(m, tmp, &dmaown_misfits, node)
		if (m->dev == dev)
			dmaown_misfit_free(m);
}

/*
 * @group is back on its default domain: its members that joined while it
 * was owned fit it if it is identity (direct DMA is right there); if it
 * translates, they stay refused until rescanned.
 */
void dmaown_misfit_settle(struct iommu_group *group, int id)
{
	struct dmaown_misfit *m, *tmp;
	struct iommu_domain *domain;

	lockdep_assert_held(&dmaown_lock);
	list_for_each_entry_safe(m, tmp, &dmaown_misfits, node) {
		if (READ_ONCE(m->dev->iommu_group) != group)
			continue;
		domain = iommu_get_domain_for_dev(m->dev);
		if (!domain || !(domain->type & __IOMMU_DOMAIN_DMA_API)) {
			dmaown_misfit_free(m);
			continue;
		}
		if (!m->told)
			pr_warn("%s: joined group %d while it was owned: its DMA was set up for the blocking domain, not for its translated default domain; kernel drivers are refused until it is removed and rescanned\n",
				dev_name(m->dev), id);
		m->told = true;
	}
}

/**
 * dmaown_group_owner() - who owns @group, as seen from @file
 * @file: the asking file
 * @group: the group
 * @pid: out, the owner's pid when a dmaown file owns it
 * @comm: out, the owner's comm (TASK_COMM_LEN bytes)
 * @flags: out, DMAOWN_GROUP_* flags dmaown knows of (the claim's own only
 *	for its owner)
 *
 * Context: Takes dmaown_lock; may sleep.
 * Return: DMAOWN_STATE_OWNED when @file owns it, DMAOWN_STATE_BUSY when
 * another dmaown file, or dmaown itself, does; DMAOWN_STATE_FREE otherwise
 * (the caller asks the backend about other kernel owners).
 */
int dmaown_group_owner(struct dmaown_file *file, struct iommu_group *group,
		       pid_t *pid, char *comm, u32 *flags)
{
	struct dmaown_claim *claim;
	struct dmaown_qgroup *q;
	int state = DMAOWN_STATE_FREE;

	*flags = 0;
	mutex_lock(&dmaown_lock);
	claim = dmaown_owned_lookup_rcu(group);
	if (claim && !claim->file) {
		state = DMAOWN_STATE_BUSY;
		*flags |= DMAOWN_GROUP_HELD;
	} else if (claim) {
		state = claim->active && claim->file == file ?
			DMAOWN_STATE_OWNED : DMAOWN_STATE_BUSY;
		*pid = claim->pid;
		memcpy(comm, claim->comm, TASK_COMM_LEN);
		if (state == DMAOWN_STATE_OWNED)
			*flags |= claim->flags;
	}
	q = dmaown_qgroup_find(group);
	if (q) {
		*flags |= DMAOWN_GROUP_QUARANTINED;
		if (q->translated)
			*flags |= DMAOWN_GROUP_ZERO_WINDOW;
		else if (dmaown_owner_shield_handoff())
			*flags |= DMAOWN_GROUP_HANDOFF_AT_ATTACH;
		if (q->handed_off)
			*flags |= DMAOWN_GROUP_HANDED_OFF;
	}
	if (dmaown_wound_find(group))
		*flags |= DMAOWN_GROUP_WOUNDED;
	if (dmaown_group_leaving(group))
		*flags |= DMAOWN_GROUP_MEMBER_LEAVING;
	mutex_unlock(&dmaown_lock);
	return state;
}

/* Is @dev's group published as owned? Context: any; a snapshot. */
bool dmaown_dev_owned(struct device *dev)
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
 * dmaown_qentry_match() - does @dev match quarantine entry @e?
 * @e: the entry
 * @dev: a device; only PCI devices match
 *
 * Context: any: it reads the device's fixed identity only.
 */
bool dmaown_qentry_match(const struct dmaown_qentry *e, struct device *dev)
{
	struct pci_dev *pdev;

	if (!dev_is_pci(dev))
		return false;
	pdev = to_pci_dev(dev);
	if (e->by_id)
		return pdev->vendor == e->vendor && pdev->device == e->device;
	return pci_domain_nr(pdev->bus) == e->domain &&
	       pdev->bus->number == e->bus && pdev->devfn == e->devfn;
}

/* Context: Caller holds dmaown_lock. */
struct dmaown_qentry *dmaown_qentry_find(const char *spec)
{
	struct dmaown_qentry *e;

	lockdep_assert_held(&dmaown_lock);
	list_for_each_entry(e, &dmaown_qentry_list, node)
		if (!strcmp(e->spec, spec))
			return e;
	return NULL;
}

/* Context: Caller holds dmaown_lock; @e is the registry's from now on. */
void dmaown_qentry_add(struct dmaown_qentry *e)
{
	lockdep_assert_held(&dmaown_lock);
	list_add_tail(&e->node, &dmaown_qentry_list);
	WRITE_ONCE(dmaown_qentry_count, dmaown_qentry_count + 1);
}

/* Context: Caller holds dmaown_lock; frees @e. */
void dmaown_qentry_del(struct dmaown_qentry *e)
{
	lockdep_assert_held(&dmaown_lock);
	list_del(&e->node);
	WRITE_ONCE(dmaown_qentry_count, dmaown_qentry_count - 1);
	kfree(e);
}

/* The list itself, to walk. Context: Caller holds dmaown_lock. */
struct list_head *dmaown_qentries(void)
{
	lockdep_assert_held(&dmaown_lock);
	return &dmaown_qentry_list;
}

/* Context: any; a snapshot, for the notifiers' fast path. */
unsigned int dmaown_nr_qentries(void)
{
	return READ_ONCE(dmaown_qentry_count);
}

static bool dmaown_dev_listed(struct device *dev)
{
	struct dmaown_qentry *e;

	list_for_each_entry(e, &dmaown_qentry_list, node)
		if (dmaown_qentry_match(e, dev))
			return true;
	return false;
}

/**
 * dmaown_dev_quarantined() - is @dev in the quarantine list?
 * @dev: a device
 *
 * Context: Takes dmaown_lock; may sleep.
 */
bool dmaown_dev_quarantined(struct device *dev)
{
	bool listed;

	mutex_lock(&dmaown_lock);
	listed = dmaown_dev_listed(dev);
	mutex_unlock(&dmaown_lock);
	return listed;
}

static int dmaown_listed_one(struct device *dev, void *data)
{
	return dev != data && dmaown_dev_listed(dev);
}

/**
 * dmaown_group_quarantined_without() - is a member of @group other than
 * @except in the quarantine list?
 * @group: the group
 * @except: a member to leave out (on its way out), or NULL
 *
 * Context: Caller holds dmaown_lock; takes group->mutex.
 */
bool dmaown_group_quarantined_without(struct iommu_group *group, struct device *except)
{
	lockdep_assert_held(&dmaown_lock);
	return iommu_group_for_each_dev(group, except, dmaown_listed_one) > 0;
}

/**
 * dmaown_qgroup_find() - the quarantine record of @group
 * @group: the group
 *
 * Context: rcu_read_lock() or dmaown_lock held. Safe in the probe guard.
 * Return: the record, or NULL when @group is not quarantined.
 */
struct dmaown_qgroup *dmaown_qgroup_find(struct iommu_group *group)
{
	struct dmaown_qgroup *q;

	list_for_each_entry_rcu(q, &dmaown_qgroups, node, lockdep_is_held(&dmaown_lock))
		if (q->group == group)
			return q;
	return NULL;
}

/**
 * dmaown_qgroup_get() - the quarantine record of @group, made if need be
 * @group: the group; referenced by a new record
 *
 * Context: Caller holds dmaown_lock.
 * Return: the record, or NULL when out of memory.
 */
struct dmaown_qgroup *dmaown_qgroup_get(struct iommu_group *group)
{
	struct dmaown_qgroup *q;

	lockdep_assert_held(&dmaown_lock);
	q = dmaown_qgroup_find(group);
	if (q)
		return q;
	q = kzalloc(sizeof(*q), GFP_KERNEL);
	if (!q)
		return NULL;
	q->group = iommu_group_ref_get(group);
	q->id = iommu_group_id(group);
	list_add_tail_rcu(&q->node, &dmaown_qgroups);
	dmaown_event(DMAOWN_EVENT_QUARANTINE_ADD, q->id, NULL, NULL, 0, 0, 0, NULL);
	return q;
}

/**
 * dmaown_qgroup_del() - @q->group is no longer quarantined
 * @q: the record; freed after an RCU grace period
 *
 * Context: Caller holds dmaown_lock.
 */
void dmaown_qgroup_del(struct dmaown_qgroup *q)
{
	lockdep_assert_held(&dmaown_lock);
	dmaown_event(DMAOWN_EVENT_QUARANTINE_REMOVE, q->id, NULL, NULL, 0, 0, 0, NULL);
	list_del_rcu(&q->node);
	iommu_group_put(q->group);
	kfree_rcu(q, rcu);
}

/**
 * dmaown_qgroup_for_each() - call @fn for each quarantine record
 * @fn: the callback; it may delete the record it is given
 * @data: for @fn
 *
 * Context: Caller holds dmaown_lock.
 */
void dmaown_qgroup_for_each(void (*fn)(struct dmaown_qgroup *q, void *data), void *data)
{
	struct dmaown_qgroup *q, *tmp;

	lockdep_assert_held(&dmaown_lock);
	list_for_each_entry_safe(q, tmp, &dmaown_qgroups, node)
		fn(q, data);
}

void dmaown_registry_exit(void)
{
	struct dmaown_qgroup *q, *qtmp;
	struct dmaown_joining *j, *jtmp;
	struct dmaown_misfit *m, *mtmp;
	struct dmaown_leaving *l, *ltmp;
	struct dmaown_wound *wound, *tmp;

	/* Files and held claims pin the module: nothing is owned. */
	WARN_ON(!hash_empty(dmaown_owned));
	dmaown_group_map_exit();
	list_for_each_entry_safe(wound, tmp, &dmaown_wounds, node) {
		iommu_group_put(wound->group);
		kfree(wound);
	}
	list_for_each_entry_safe(l, ltmp, &dmaown_leavings, node)
		dmaown_leaving_free(l);
	list_for_each_entry_safe(m, mtmp, &dmaown_misfits, node)
		dmaown_misfit_free(m);
	list_for_each_entry_safe(j, jtmp, &dmaown_joinings, node) {
		list_del(&j->node);
		put_device(j->dev);
		kfree(j);
	}
	/* The quarantine list pins the module: it is empty, and so is this. */
	mutex_lock(&dmaown_lock);
	WARN_ON(!list_empty(&dmaown_qentry_list));
	list_for_each_entry_safe(q, qtmp, &dmaown_qgroups, node)
		dmaown_qgroup_del(q);
	mutex_unlock(&dmaown_lock);
}

/**
 * dmaown_owned_publish() - make @claim the owner of its group, for the guard
 * @claim: a claim no other claim of its group is published beside
 *
 * Context: Caller holds dmaown_lock.
 */
void dmaown_owned_publish(struct dmaown_claim *claim)
{
	lockdep_assert_held(&dmaown_lock);
	hash_add_rcu(dmaown_owned, &claim->node, (unsigned long)claim->group);
}

/**
 * dmaown_owned_replace() - @new owns the group @old owned, with no gap
 * @old: a published claim; freed with kfree_rcu() after this
 * @new: a claim of the same group, not published
 *
 * Context: Caller holds dmaown_lock.
 */
void dmaown_owned_replace(struct dmaown_claim *old, struct dmaown_claim *new)
{
	lockdep_assert_held(&dmaown_lock);
	hlist_replace_rcu(&old->node, &new->node);
}

/**
 * dmaown_owned_unpublish() - the guard stops seeing @claim
 * @claim: a published claim; freed with kfree_rcu() after this
 *
 * Context: Caller holds dmaown_lock.
 */
void dmaown_owned_unpublish(struct dmaown_claim *claim)
{
	lockdep_assert_held(&dmaown_lock);
	hash_del_rcu(&claim->node);
}

/**
 * dmaown_owned_for_each() - call @fn for each published claim
 * @fn: the callback; it must not unpublish the claim
 * @data: for @fn
 *
 * Context: Caller holds dmaown_lock.
 */
void dmaown_owned_for_each(void (*fn)(struct dmaown_claim *claim, void *data), void *data)
{
	struct dmaown_claim *claim;
	int bkt;

	lockdep_assert_held(&dmaown_lock);
	hash_for_each(dmaown_owned, bkt, claim, node)
		fn(claim, data);
}

/**
 * dmaown_group_wounded() - did @group lose a member that has not come back,
 * on a kernel that cannot move the others to a new domain meanwhile?
 * @group: the group
 *
 * Context: Caller holds dmaown_lock.
 */
bool dmaown_group_wounded(struct iommu_group *group)
{
	return dmaown_wound_find(group);
}
