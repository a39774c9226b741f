// SPDX-License-Identifier: GPL-2.0
/*
 * The quarantine list: the PCI devices whose groups dmaown keeps blocked
 * with no file open, named by address or by vendor:device ID. It is the
 * module parameter quarantine= (modprobe.d, the kernel command line as
 * dmaown.quarantine=, /sys/module/dmaown/parameters/quarantine) and the
 * QUARANTINE_ADD and QUARANTINE_REMOVE ioctls.
 *
 * This file parses the list and keeps the registry's quarantined groups
 * (registry.c) in step with it and with the devices present: at load, at
 * every change of the list, when a PCI device is added (before any driver
 * can match it), and when a driver binds or unbinds in a quarantined group.
 * What a quarantined group's hold does (blocked, taken over by a file's
 * claim, handed to VFIO) is claim.c's (dmaown_quarantine_settle()).
 *
 * A non-empty list pins the module: a quarantine outlives its users, not
 * rmmod, unless the admin lifts it first.
 *
 * Locking: dmaown_quarantine_mutex serialises every change and resync of
 * the quarantined groups, so that one resync's view of the devices is not
 * undone by another's. It comes first:
 *
 *   kernel_param_lock (sysfs writes) -> dmaown_quarantine_mutex
 *	-> device_lock -> dmaown_lock
 *
 * A resync takes groups, which on 5.10 walks their devices under
 * device_lock: it never runs from a driver's bind or unbind notifier (which
 * hold device_lock), only from the ioctls, parameter writes, module init,
 * a work item, and BUS_NOTIFY_ADD_DEVICE of a PCI device (the PCI core adds
 * devices under its rescan lock, with no device_lock held).
 */
#include <linux/capability.h>
#include <linux/ctype.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "dmaown.h"

#define DMAOWN_QUARANTINE_MAX_LEN 1024

static DEFINE_MUTEX(dmaown_quarantine_mutex);
/* module init is done: changes of the list act at once */
static bool dmaown_quarantine_live;
/* the list pins the module (dmaown_quarantine_mutex) */
static bool dmaown_quarantine_pinned;

/* --- parsing --------------------------------------------------------------- */

/* Exactly @n hex digits at @s: their value, or -1. */
static int dmaown_hex(const char *s, int n)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (!isxdigit(s[i]))
			return -1;
		v = v * 16 + hex_to_bin(s[i]);
	}
	return v;
}

/**
 * dmaown_qentry_parse() - parse one spec into @e
 * @s: "DDDD:BB:SS.F", "BB:SS.F" (domain 0) or "VVVV:DDDD"
 * @e: out; @e->spec in canonical form
 *
 * Return: 0, or -EINVAL.
 */
static int dmaown_qentry_parse(const char *s, struct dmaown_qentry *e)
{
	size_t len = strlen(s);
	int domain = 0, bus, slot, fn;
	const char *p = s;

	memset(e, 0, sizeof(*e));
	if (len == 9 && s[4] == ':') {
		int vendor = dmaown_hex(s, 4), device = dmaown_hex(s + 5, 4);

		/* 0xffff is what an absent device reads as: no real ID */
		if (vendor < 0 || device < 0 || vendor == 0xffff || !vendor)
			return -EINVAL;
		e->by_id = true;
		e->vendor = vendor;
		e->device = device;
		snprintf(e->spec, sizeof(e->spec), "%04x:%04x", vendor, device);
		return 0;
	}
	if (len == 12) {
		domain = dmaown_hex(s, 4);
		if (domain < 0 || s[4] != ':')
			return -EINVAL;
		p = s + 5;
	} else if (len != 7) {
		return -EINVAL;
	}
	if (p[2] != ':' || p[5] != '.')
		return -EINVAL;
	bus = dmaown_hex(p, 2);
	slot = dmaown_hex(p + 3, 2);
	fn = dmaown_hex(p + 6, 1);
	if (bus < 0 || slot < 0 || slot > 0x1f || fn < 0 || fn > 7)
		return -EINVAL;
	e->domain = domain;
	e->bus = bus;
	e->devfn = PCI_DEVFN(slot, fn);
	snprintf(e->spec, sizeof(e->spec), "%04x:%02x:%02x.%d", domain, bus,
		 slot, fn);
	return 0;
}

static void dmaown_qentries_free(struct list_head *list)
{
	struct dmaown_qentry *e, *tmp;

	list_for_each_entry_safe(e, tmp, list, node) {
		list_del(&e->node);
		kfree(e);
	}
}

static bool dmaown_qentries_has(struct list_head *list, const char *spec)
{
	struct dmaown_qentry *e;

	list_for_each_entry(e, list, node)
		if (!strcmp(e->spec, spec))
			return true;
	return false;
}

/*
 * Parse a comma-separated list into @list: -EINVAL for a malformed or
 * repeated spec, a list too long or with too many entries.
 */
static int dmaown_qentries_parse(const char *val, struct list_head *list)
{
	char *buf, *s, *tok;
	struct dmaown_qentry *e;
	int n = 0, ret = 0;

	if (strnlen(val, DMAOWN_QUARANTINE_MAX_LEN + 1) > DMAOWN_QUARANTINE_MAX_LEN)
		return -EINVAL;
	buf = kstrdup(val, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	s = strim(buf);
	while ((tok = strsep(&s, ","))) {
		tok = strim(tok);
		if (!*tok) {
			if (!s && !n)
				break;	/* "" is the empty list */
			ret = -EINVAL;
			break;
		}
		e = kmalloc(sizeof(*e), GFP_KERNEL);
		if (!e) {
			ret = -ENOMEM;
			break;
		}
		ret = dmaown_qentry_parse(tok, e);
		if (!ret && dmaown_qentries_has(list, e->spec))
			ret = -EINVAL;
		if (!ret && ++n > DMAOWN_MAX_QENTRIES)
			ret = -EINVAL;
		if (ret) {
			pr_warn("quarantine: '%s': %s\n", tok,
				n > DMAOWN_MAX_QENTRIES ? "too many entries" :
				dmaown_qentries_has(list, e->spec) ? "listed twice" :
				"not a PCI address (0000:03:00.0) nor a vendor:device ID (1234:11e8)");
			kfree(e);
			break;
		}
		list_add_tail(&e->node, list);
	}
	kfree(buf);
	if (ret)
		dmaown_qentries_free(list);
	return ret;
}

/* --- keeping the quarantined groups in step -------------------------------- */

/* The module is pinned exactly while the list is not empty. */
static void dmaown_quarantine_pin(void)
{
	bool want = dmaown_nr_qentries();

	lockdep_assert_held(&dmaown_quarantine_mutex);
	if (want == dmaown_quarantine_pinned)
		return;
	if (want)
		__module_get(THIS_MODULE);
	else
		module_put(THIS_MODULE);
	dmaown_quarantine_pinned = want;
}

/* Settle one quarantined group, making its record if need be. */
static int dmaown_quarantine_group(struct iommu_group *group)
{
	struct dmaown_claim *failed = NULL;
	struct dmaown_qgroup *q;
	int ret = 0;

	mutex_lock(&dmaown_lock);
	q = dmaown_qgroup_get(group);
	if (q)
		dmaown_quarantine_settle(q, true, &failed);
	else
		ret = -ENOMEM;
	mutex_unlock(&dmaown_lock);
	dmaown_quarantine_settled(failed);
	return ret;
}

struct dmaown_qscan {
	struct iommu_group **groups;
	int n;
	int max;
	struct device *orphan;	/* a listed device with no IOMMU group */
};

static int dmaown_qscan_one(struct device *dev, void *data)
{
	struct dmaown_qscan *scan = data;
	struct iommu_group *group;
	struct dmaown_qentry *e;
	bool listed = false;
	int i;

	mutex_lock(&dmaown_lock);
	list_for_each_entry(e, dmaown_qentries(), node)
		listed |= dmaown_qentry_match(e, dev);
	mutex_unlock(&dmaown_lock);
	if (!listed)
		return 0;
	group = iommu_group_get(dev);
	if (!group) {
		if (!scan->orphan)
			scan->orphan = get_device(dev);
		return 0;
	}
	for (i = 0; i < scan->n; i++)
		if (scan->groups[i] == group)
			break;
	if (i < scan->n || scan->n == scan->max) {
		iommu_group_put(group);
		return i < scan->n ? 0 : -ENOSPC;
	}
	scan->groups[scan->n++] = group;
	return 0;
}

static void dmaown_qlift_one(struct dmaown_qgroup *q, void *data)
{
	struct dmaown_qscan *scan = data;
	int i;

	for (i = 0; i < scan->n; i++)
		if (scan->groups[i] == q->group)
			return;
	dmaown_quarantine_lift(q);
}

/*
 * Bring the quarantined groups in step with the list and the devices
 * present: lift the groups no listed device is in any more, and settle
 * every group a listed device is in. -ENODEV when a listed device has no
 * IOMMU group (it is logged).
 */
static int dmaown_quarantine_resync(void)
{
	struct dmaown_qscan scan = { .max = 256 };
	int i, ret;

	lockdep_assert_held(&dmaown_quarantine_mutex);
	scan.groups = kcalloc(scan.max, sizeof(*scan.groups), GFP_KERNEL);
	if (!scan.groups)
		return -ENOMEM;
	ret = bus_for_each_dev(&pci_bus_type, NULL, &scan, dmaown_qscan_one);
	if (ret) {
		/* Lift nothing on a partial view. */
		pr_warn("quarantine: more than %d groups: not all are held\n", scan.max);
	} else {
		mutex_lock(&dmaown_lock);
		dmaown_qgroup_for_each(dmaown_qlift_one, &scan);
		mutex_unlock(&dmaown_lock);
	}
	for (i = 0; i < scan.n; i++) {
		if (dmaown_quarantine_group(scan.groups[i]))
			pr_warn("quarantine: group %d: out of memory\n",
				iommu_group_id(scan.groups[i]));
		iommu_group_put(scan.groups[i]);
	}
	kfree(scan.groups);
	if (scan.orphan) {
		pr_warn("quarantine: %s has no IOMMU group: dmaown cannot block its DMA\n",
			dev_name(scan.orphan));
		put_device(scan.orphan);
		return -ENODEV;
	}
	return ret;
}

static void dmaown_quarantine_workfn(struct work_struct *work)
{
	mutex_lock(&dmaown_quarantine_mutex);
	if (dmaown_quarantine_live)
		dmaown_quarantine_resync();
	mutex_unlock(&dmaown_quarantine_mutex);
}

static DECLARE_WORK(dmaown_quarantine_work, dmaown_quarantine_workfn);

/**
 * dmaown_quarantine_kick() - resync the quarantined groups soon
 *
 * Context: any process context.
 */
void dmaown_quarantine_kick(void)
{
	schedule_work(&dmaown_quarantine_work);
}

/**
 * dmaown_quarantine_bus_event() - a PCI or platform bus event, for the
 * quarantine
 * @dev: the device
 * @action: BUS_NOTIFY_*, after the IOMMU core's notifier
 *
 * A listed device that is added is held at once, before a driver can match
 * it. A driver bound or unbound in a quarantined group, or to a listed
 * device, brings a resync from a work item: its notifier holds device_lock.
 *
 * Context: process context; no dmaown lock held.
 */
void dmaown_quarantine_bus_event(struct device *dev, unsigned long action)
{
	struct iommu_group *group;
	bool listed;

	if (!dmaown_nr_qentries() || !dev_is_pci(dev))
		return;
	switch (action) {
	case BUS_NOTIFY_ADD_DEVICE:
		mutex_lock(&dmaown_quarantine_mutex);
		group = iommu_group_get(dev);
		listed = dmaown_quarantine_live && dmaown_dev_quarantined(dev);
		if (group && listed) {
			if (dmaown_quarantine_group(group))
				pr_warn("%s: quarantined, but out of memory\n", dev_name(dev));
		} else if (listed) {
			pr_warn("quarantine: %s has no IOMMU group: dmaown cannot block its DMA\n",
				dev_name(dev));
		}
		mutex_unlock(&dmaown_quarantine_mutex);
		if (group)
			iommu_group_put(group);
		break;
	case BUS_NOTIFY_BOUND_DRIVER:
	case BUS_NOTIFY_UNBOUND_DRIVER:
		schedule_work(&dmaown_quarantine_work);
		break;
	}
}

/* --- changing the list ------------------------------------------------------ */

struct dmaown_qbusy {
	struct list_head *list;		/* the list to be */
	struct dmaown_qentry *skip;	/* an entry of it to leave out */
	bool busy;
};

static int dmaown_qbusy_listed(struct device *dev, void *data)
{
	struct dmaown_qbusy *b = data;
	struct dmaown_qentry *e;

	list_for_each_entry(e, b->list, node)
		if (e != b->skip && dmaown_qentry_match(e, dev))
			return 1;
	return 0;
}

static void dmaown_qbusy_one(struct dmaown_qgroup *q, void *data)
{
	struct dmaown_qbusy *b = data;

	if (iommu_group_for_each_dev(q->group, b, dmaown_qbusy_listed) > 0)
		return;
	if (dmaown_quarantine_busy(q)) {
		pr_warn("group %d: stays quarantined: a dmaown file or VFIO holds it\n",
			q->id);
		b->busy = true;
	}
}

/* Would the list @list, less @skip, lift a group a file or VFIO holds? */
static bool dmaown_quarantine_lifts_busy(struct list_head *list,
					 struct dmaown_qentry *skip)
{
	struct dmaown_qbusy b = { .list = list, .skip = skip };

	lockdep_assert_held(&dmaown_lock);
	dmaown_qgroup_for_each(dmaown_qbusy_one, &b);
	return b.busy;
}

struct dmaown_qcheck {
	struct dmaown_qentry *e;
	bool acted;	/* the quarantine acted: check that it holds */
	int ret;
};

/*
 * A device @check->e matches: -ENODEV for one with no IOMMU group; once the
 * quarantine acted, -EBUSY for one whose group is neither held, owned by a
 * file nor handed to VFIO.
 */
static int dmaown_qcheck_one(struct device *dev, void *data)
{
	struct dmaown_qcheck *check = data;
	struct iommu_group *group;
	struct dmaown_qgroup *q;
	bool kept;

	if (!dmaown_qentry_match(check->e, dev))
		return 0;
	group = iommu_group_get(dev);
	if (!group) {
		pr_warn("quarantine: %s has no IOMMU group: dmaown cannot block its DMA\n",
			dev_name(dev));
		check->ret = -ENODEV;
		return 1;
	}
	if (check->acted) {
		mutex_lock(&dmaown_lock);
		q = dmaown_qgroup_find(group);
		kept = q && (dmaown_owned_lookup_rcu(group) || q->handed_off);
		mutex_unlock(&dmaown_lock);
		if (!kept) {
			pr_warn("quarantine: %s: not quarantined: a driver that is not DMA-safe is bound in its group %d, or another owner holds it\n",
				dev_name(dev), iommu_group_id(group));
			check->ret = -EBUSY;
		}
	}
	iommu_group_put(group);
	return check->ret ? 1 : 0;
}

/* 0, or why a device @e matches is not (-ENODEV) or, @acted, not kept (-EBUSY) */
static int dmaown_qentry_check(struct dmaown_qentry *e, bool acted)
{
	struct dmaown_qcheck check = { .e = e, .acted = acted };

	bus_for_each_dev(&pci_bus_type, NULL, &check, dmaown_qcheck_one);
	return check.ret;
}

/**
 * dmaown_quarantine_add() - QUARANTINE_ADD
 * @spec: the device, by address or ID
 *
 * Context: process context; takes the quarantine mutex, device_lock and
 * dmaown_lock.
 * Return: 0, -EINVAL, -EEXIST, -ENOSPC, -ENODEV, -EBUSY or -ENOMEM: see the
 * uapi header. Nothing changes on failure.
 */
int dmaown_quarantine_add(const char *spec)
{
	struct dmaown_qentry *e;
	int ret;

	e = kmalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	ret = dmaown_qentry_parse(spec, e);
	if (ret) {
		kfree(e);
		return ret;
	}
	mutex_lock(&dmaown_quarantine_mutex);
	ret = dmaown_qentry_check(e, false);	/* nothing done yet */
	mutex_lock(&dmaown_lock);
	if (!ret && dmaown_qentry_find(e->spec))
		ret = -EEXIST;
	else if (!ret && dmaown_nr_qentries() >= DMAOWN_MAX_QENTRIES)
		ret = -ENOSPC;
	if (!ret)
		dmaown_qentry_add(e);
	mutex_unlock(&dmaown_lock);
	if (ret) {
		kfree(e);
		goto out_unlock;
	}
	dmaown_quarantine_resync();
	ret = dmaown_qentry_check(e, true);
	if (ret) {
		/* Take it back: the groups it made quarantined are lifted. */
		mutex_lock(&dmaown_lock);
		dmaown_qentry_del(e);
		mutex_unlock(&dmaown_lock);
		dmaown_quarantine_resync();
	} else {
		pr_info("quarantine: %s added\n", spec);
	}
	dmaown_quarantine_pin();
out_unlock:
	mutex_unlock(&dmaown_quarantine_mutex);
	return ret;
}

/**
 * dmaown_quarantine_remove() - QUARANTINE_REMOVE
 * @spec: the device, by address or ID, as it was added
 *
 * Context: process context; takes the quarantine mutex and dmaown_lock.
 * Return: 0, -EINVAL, -ENOENT or -EBUSY. Nothing changes on failure.
 */
int dmaown_quarantine_remove(const char *spec)
{
	struct dmaown_qentry parsed, *e;
	int ret;

	ret = dmaown_qentry_parse(spec, &parsed);
	if (ret)
		return ret;
	mutex_lock(&dmaown_quarantine_mutex);
	mutex_lock(&dmaown_lock);
	e = dmaown_qentry_find(parsed.spec);
	if (!e)
		ret = -ENOENT;
	else if (dmaown_quarantine_lifts_busy(dmaown_qentries(), e))
		ret = -EBUSY;
	else
		dmaown_qentry_del(e);
	mutex_unlock(&dmaown_lock);
	if (!ret) {
		pr_info("quarantine: %s removed\n", parsed.spec);
		dmaown_quarantine_resync();
		dmaown_quarantine_pin();
	}
	mutex_unlock(&dmaown_quarantine_mutex);
	return ret;
}

/* quarantine=: the whole list at once */
static int dmaown_quarantine_param_set(const char *val,
				       const struct kernel_param *kp)
{
	struct dmaown_qentry *e, *tmp;
	LIST_HEAD(list);
	int ret;

	/* At load time the loader checked; a sysfs write is checked here. */
	if (READ_ONCE(dmaown_quarantine_live) && !capable(CAP_SYS_ADMIN))
		return -EPERM;
	ret = dmaown_qentries_parse(val, &list);
	if (ret)
		return ret;
	mutex_lock(&dmaown_quarantine_mutex);
	mutex_lock(&dmaown_lock);
	if (dmaown_quarantine_live && dmaown_quarantine_lifts_busy(&list, NULL)) {
		ret = -EBUSY;
	} else {
		list_for_each_entry_safe(e, tmp, dmaown_qentries(), node)
			dmaown_qentry_del(e);
		list_for_each_entry_safe(e, tmp, &list, node) {
			list_del(&e->node);
			dmaown_qentry_add(e);
		}
	}
	mutex_unlock(&dmaown_lock);
	if (!ret && dmaown_quarantine_live) {
		dmaown_quarantine_resync();
		dmaown_quarantine_pin();
	}
	mutex_unlock(&dmaown_quarantine_mutex);
	dmaown_qentries_free(&list);
	return ret;
}

static int dmaown_quarantine_param_get(char *buffer,
				       const struct kernel_param *kp)
{
	struct dmaown_qentry *e;
	int len = 0;

	mutex_lock(&dmaown_lock);
	list_for_each_entry(e, dmaown_qentries(), node)
		len += scnprintf(buffer + len, PAGE_SIZE - len, "%s%s",
				 len ? "," : "", e->spec);
	mutex_unlock(&dmaown_lock);
	return len + scnprintf(buffer + len, PAGE_SIZE - len, "\n");
}

static const struct kernel_param_ops dmaown_quarantine_param_ops = {
	.set = dmaown_quarantine_param_set,
	.get = dmaown_quarantine_param_get,
};

module_param_cb(quarantine, &dmaown_quarantine_param_ops, NULL, 0644);
MODULE_PARM_DESC(quarantine,
		 "Comma-separated PCI devices, by address (0000:03:00.0) or vendor:device (1234:11e8), whose IOMMU groups dmaown keeps blocked with no file open");

static bool handoff_window;

/* A change of handoff_window= may hand groups to VFIO, or take them back. */
static int dmaown_handoff_window_set(const char *val, const struct kernel_param *kp)
{
	int ret;

	if (READ_ONCE(dmaown_quarantine_live) && !capable(CAP_SYS_ADMIN))
		return -EPERM;
	ret = param_set_bool(val, kp);
	if (!ret && READ_ONCE(dmaown_quarantine_live))
		schedule_work(&dmaown_quarantine_work);
	return ret;
}

static const struct kernel_param_ops dmaown_handoff_window_ops = {
	.set = dmaown_handoff_window_set,
	.get = param_get_bool,
};

module_param_cb(handoff_window, &dmaown_handoff_window_ops, &handoff_window, 0644);
MODULE_PARM_DESC(handoff_window,
		 "Hand quarantined groups to VFIO even where their default domain is identity, through a DMA window (default: only where it translates)");

/**
 * dmaown_handoff_window() - may a quarantined group go to VFIO through an
 * identity default domain?
 *
 * Context: any.
 */
bool dmaown_handoff_window(void)
{
	return READ_ONCE(handoff_window);
}

/**
 * dmaown_quarantine_init() - act on the list given at load time
 *
 * Context: module init, after the guard and the notifiers.
 * Return: 0; a device the quarantine cannot hold is logged, not fatal.
 */
int dmaown_quarantine_init(void)
{
	mutex_lock(&dmaown_quarantine_mutex);
	WRITE_ONCE(dmaown_quarantine_live, true);
	if (dmaown_nr_qentries())
		dmaown_quarantine_resync();
	dmaown_quarantine_pin();
	mutex_unlock(&dmaown_quarantine_mutex);
	return 0;
}

/*
 * Module exit (the list is empty: it pins the module), or a failed init:
 * no work may run after this, and nothing is left quarantined.
 */
void dmaown_quarantine_exit(void)
{
	struct dmaown_qentry *e, *tmp;

	mutex_lock(&dmaown_quarantine_mutex);
	WRITE_ONCE(dmaown_quarantine_live, false);
	mutex_unlock(&dmaown_quarantine_mutex);
	cancel_work_sync(&dmaown_quarantine_work);
	mutex_lock(&dmaown_quarantine_mutex);
	mutex_lock(&dmaown_lock);
	list_for_each_entry_safe(e, tmp, dmaown_qentries(), node)
		dmaown_qentry_del(e);
	mutex_unlock(&dmaown_lock);
	dmaown_quarantine_resync();
	if (dmaown_quarantine_pinned)
		module_put(THIS_MODULE);
	dmaown_quarantine_pinned = false;
	mutex_unlock(&dmaown_quarantine_mutex);
}
