// SPDX-License-Identifier: GPL-2.0
/*
 * The VFIO shield, for kernels without core DMA ownership (Debian 11's
 * 5.10). There VFIO owns a group only by type1 putting it on the VM's
 * domain, and it trusts that nothing else binds into the group: a kernel
 * driver bound into a group in use hits VFIO's kernel BUG, a hot-added member
 * puts the whole group back on its identity domain, and a group that is
 * not viable is attached all the same. 5.19 fixed all three in the core
 * (iommu_group_claim_dma_owner); here dmaown fixes them from outside, with
 * no change to VFIO:
 *
 *  - iommu_attach_group() and iommu_detach_group() carry a kprobe each.
 *    Their pre-handlers let dmaown's own calls through (the return address
 *    is in this module) and send every other caller, with its arguments
 *    untouched, into a wrapper of the same prototype (the guard's redirect
 *    technique: the empty post-handler arms IPMODIFY). The wrapper runs in
 *    the caller's context, where it may sleep, and calls the real,
 *    exported function: that call comes from this module, so the probe
 *    lets it through.
 *  - The wrapper for attach acts only when the caller is VFIO's type1
 *    backend (its return address names the module vfio_iommu_type1). It
 *    records the group as held by VFIO before it looks at the drivers
 *    (so that the guard refuses new binds while it looks), and refuses the
 *    attach with -EBUSY when a member has a driver that is not DMA-safe:
 *    type1 then takes the path it takes for a group on another domain, and
 *    VFIO_SET_IOMMU (or SET_CONTAINER into a container that has an IOMMU)
 *    fails with EBUSY. Nothing has changed.
 *  - The wrapper for detach forgets the record before the group leaves the
 *    domain: type1 frees the domain after the detach.
 *  - A quarantined group that dmaown holds (claim.c) is handed to VFIO at
 *    the attach: its hold lets go, with every member's bus mastering off,
 *    right before the real attach; after the detach the quarantine takes it
 *    back (a work item). Where its default domain is identity this is the
 *    best 5.10 allows: identity is crossed only with bus mastering off.
 *  - The guard (guard.c) refuses drivers that are not DMA-safe for a group
 *    on record; the ADD_DEVICE notifier (claim.c) puts a device hot-added
 *    into such a group on the VM's domain, as dmaown does for its own
 *    claims (5.10's iommu_probe_device() left it on the default domain,
 *    and behind a bridge that domain is the whole group's).
 *
 * What it relies on: DMAOWN_SHIELD_ATTACH/DETACH in compat.h.
 *
 * Not covered: VFIO's BUG is armed from VFIO_GROUP_SET_CONTAINER, and
 * type1 attaches only at VFIO_SET_IOMMU; between the two, and after a
 * SET_IOMMU that failed until the group fd closes, the group is not on
 * record (nothing that VFIO passes to an exported or probed function names
 * the iommu_group then). Groups VFIO attached before dmaown was loaded are
 * not on record either; status still reports them busy (their domain).
 *
 * Locking (see dmaown.h): dmaown_shield_lock (mutex) serialises the
 * wrappers, the hot-add fix-up and exit, and protects the writers of the
 * record list; readers (guard, status) use RCU. It is taken with VFIO's
 * locks held (container->group_lock, type1's iommu->lock) and never with a
 * dmaown lock held; under it the attach wrapper takes device_lock of each
 * member (viability.c) and the IOMMU core takes group->mutex.
 * Order: dmaown_shield_lock -> device_lock(dev) -> group->mutex.
 */
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/ptrace.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "owner.h"

/**
 * struct dmaown_vfio_hold - a group that VFIO's type1 put on a VM's domain
 * @node: in dmaown_vfio_holds (RCU; writers hold dmaown_shield_lock)
 * @group: the group, referenced
 * @domain: type1's domain; NULL while the attach is being checked
 * @id: iommu_group_id() of @group
 * @pid: the task that attached it (the VMM)
 * @comm: its comm
 * @rcu: for kfree_rcu()
 *
 * Nothing but @domain changes after publication, and @domain only under
 * dmaown_shield_lock, where it is read.
 */
struct dmaown_vfio_hold {
	struct list_head node;
	struct iommu_group *group;
	struct iommu_domain *domain;
	int id;
	pid_t pid;
	char comm[TASK_COMM_LEN];
	struct rcu_head rcu;
};

static DEFINE_MUTEX(dmaown_shield_lock); /* writers of dmaown_vfio_holds; hold->domain */
static LIST_HEAD(dmaown_vfio_holds);
static bool dmaown_shield_on;

static struct dmaown_vfio_hold *dmaown_vfio_hold_find(struct iommu_group *group)
{
	struct dmaown_vfio_hold *hold;

	list_for_each_entry_rcu(hold, &dmaown_vfio_holds, node,
				lockdep_is_held(&dmaown_shield_lock))
		if (hold->group == group)
			return hold;
	return NULL;
}

static void dmaown_vfio_hold_del(struct dmaown_vfio_hold *hold)
{
	lockdep_assert_held(&dmaown_shield_lock);
	list_del_rcu(&hold->node);
	iommu_group_put(hold->group);
	kfree_rcu(hold, rcu);
}

/* Is @caller (a return address) in VFIO's type1 backend? */
static bool dmaown_caller_is_vfio(unsigned long caller)
{
	char sym[KSYM_SYMBOL_LEN];

	snprintf(sym, sizeof(sym), "%ps", (void *)caller);
	return strstr(sym, "[" DMAOWN_SHIELD_VFIO_MODULE "]");
}

/*
 * Is every member driver-less or bound to a DMA-safe driver? Waits for
 * probes in flight (device_lock): the hold is published, so a probe that
 * starts now is refused by the guard. *@why names the first that is not.
 */
static bool dmaown_vfio_viable(struct iommu_group *group, char *why, size_t len)
{
	struct dmaown_device_info info;
	struct device **devs;
	bool viable = true;
	int i, n;

	n = dmaown_group_devices(group, &devs);
	if (n < 0) {
		snprintf(why, len, "cannot list its devices (%d)", n);
		return false;
	}
	for (i = 0; i < n && viable; i++) {
		if (dmaown_device_look(devs[i], &info)) {
			snprintf(why, len, "interrupted");
			viable = false;
		} else if (info.flags & DMAOWN_DEVICE_BLOCKS_CLAIM) {
			snprintf(why, len, "%s is bound to %s, which is not DMA-safe",
				 info.name, info.driver);
			viable = false;
		}
	}
	dmaown_put_devices(devs, n);
	return viable;
}

/* type1 attaches @group to @domain: record it, or refuse a group that is not viable. */
static int dmaown_shield_vfio_attach(struct iommu_domain *domain,
				     struct iommu_group *group)
{
	struct dmaown_vfio_hold *hold;
	char why[96];
	int ret;

	mutex_lock(&dmaown_shield_lock);
	if (dmaown_vfio_hold_find(group)) {
		/* On a domain already: the core refuses (-EBUSY). */
		ret = iommu_attach_group(domain, group);
		goto out_unlock;
	}
	hold = kzalloc(sizeof(*hold), GFP_KERNEL);
	if (!hold) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	hold->group = iommu_group_ref_get(group);
	hold->id = iommu_group_id(group);
	hold->pid = task_pid_nr(current);
	get_task_comm(hold->comm, current);
	/* The guard refuses new binds from here on. */
	list_add_rcu(&hold->node, &dmaown_vfio_holds);

	if (!dmaown_vfio_viable(group, why, sizeof(why))) {
		pr_warn_ratelimited("group %d: refused VFIO's attach by %s[%d]: the group is not viable: %s\n",
				    hold->id, hold->comm, hold->pid, why);
		ret = -EBUSY;
	} else {
		/* a quarantine hold lets go now, bus mastering off */
		dmaown_quarantine_vfio_attach(group);
		ret = iommu_attach_group(domain, group);
		if (ret)
			dmaown_quarantine_vfio_detached(group);
	}
	if (ret) {
		dmaown_vfio_hold_del(hold);
		goto out_unlock;
	}
	hold->domain = domain;
	pr_debug("group %d: attached by VFIO for %s[%d]\n", hold->id,
		 hold->comm, hold->pid);
	dmaown_event(DMAOWN_EVENT_VFIO_TAKE, hold->id, NULL, NULL, 0, 0,
		     hold->pid, hold->comm);
out_unlock:
	mutex_unlock(&dmaown_shield_lock);
	return ret;
}

/*
 * The redirect targets. They keep the prototypes of the probed functions
 * (DMAOWN_SHIELD_ATTACH/DETACH) and return to their callers. The module
 * reference taken by the pre-handler keeps the module while they sleep;
 * exit's tasks-RCU grace period covers the instructions after the put.
 */
static noinline notrace int dmaown_shield_attach(struct iommu_domain *domain,
						 struct iommu_group *group)
{
	unsigned long caller = (unsigned long)__builtin_return_address(0);
	int ret;

	if (dmaown_caller_is_vfio(caller))
		ret = dmaown_shield_vfio_attach(domain, group);
	else
		ret = iommu_attach_group(domain, group);
	module_put(THIS_MODULE);
	return ret;
}

NOKPROBE_SYMBOL(dmaown_shield_attach);

static noinline notrace void dmaown_shield_detach(struct iommu_domain *domain,
						  struct iommu_group *group)
{
	struct dmaown_vfio_hold *hold;
	bool held;

	mutex_lock(&dmaown_shield_lock);
	hold = dmaown_vfio_hold_find(group);
	held = hold && hold->domain == domain;
	/* Forget it before the domain goes: type1 frees it after this. */
	if (held) {
		pr_debug("group %d: detached by VFIO (attached for %s[%d])\n",
			 hold->id, hold->comm, hold->pid);
		dmaown_event(DMAOWN_EVENT_VFIO_LEAVE, hold->id, NULL, NULL, 0, 0,
			     hold->pid, hold->comm);
		dmaown_vfio_hold_del(hold);
	}
	iommu_detach_group(domain, group);
	/* a quarantined group: the quarantine takes it back */
	if (held)
		dmaown_quarantine_vfio_detached(group);
	mutex_unlock(&dmaown_shield_lock);
	module_put(THIS_MODULE);
}

NOKPROBE_SYMBOL(dmaown_shield_detach);

/*
 * Pre-handlers: preemption disabled, no sleep. On an ftrace-based probe at
 * a function's entry, regs->sp points at the caller's return address.
 */
static int dmaown_shield_redirect(struct pt_regs *regs, void *target)
{
	unsigned long caller = *(unsigned long *)kernel_stack_pointer(regs);

	if (within_module(caller, THIS_MODULE))
		return 0;	/* dmaown's own call, or the wrapper's */
	if (!try_module_get(THIS_MODULE))
		return 0;	/* on its way out: the real function runs */
	instruction_pointer_set(regs, (unsigned long)target);
	/* The instruction pointer changed: kprobes must not resume. */
	return 1;
}

NOKPROBE_SYMBOL(dmaown_shield_redirect);

static int dmaown_shield_attach_pre(struct kprobe *kp, struct pt_regs *regs)
{
	return dmaown_shield_redirect(regs, dmaown_shield_attach);
}

NOKPROBE_SYMBOL(dmaown_shield_attach_pre);

static int dmaown_shield_detach_pre(struct kprobe *kp, struct pt_regs *regs)
{
	return dmaown_shield_redirect(regs, dmaown_shield_detach);
}

NOKPROBE_SYMBOL(dmaown_shield_detach_pre);

static void dmaown_shield_post(struct kprobe *kp, struct pt_regs *regs,
			       unsigned long flags)
{
}

NOKPROBE_SYMBOL(dmaown_shield_post);

static struct kprobe dmaown_shield_kprobes[] = {
	{
		.symbol_name = DMAOWN_SHIELD_ATTACH,
		.pre_handler = dmaown_shield_attach_pre,
		.post_handler = dmaown_shield_post,
	},
	{
		.symbol_name = DMAOWN_SHIELD_DETACH,
		.pre_handler = dmaown_shield_detach_pre,
		.post_handler = dmaown_shield_post,
	},
};

int dmaown_owner_shield_init(bool enable)
{
	struct kprobe *kps[ARRAY_SIZE(dmaown_shield_kprobes)];
	int i, ret;

	if (!enable) {
		pr_warn("shield=0: VFIO groups are not shielded (a driver bound into one BUGs in VFIO)\n");
		return 0;
	}
	/* Register one by one, to name the symbol that fails. */
	for (i = 0; i < ARRAY_SIZE(dmaown_shield_kprobes); i++) {
		kps[i] = &dmaown_shield_kprobes[i];
		ret = register_kprobe(kps[i]);
		if (ret) {
			pr_err("VFIO shield: cannot probe %s: %d%s; load with shield=0 to go without it\n",
			       kps[i]->symbol_name, ret,
			       ret == -EBUSY ? " (a livepatch modifies it?)" : "");
			if (i)
				unregister_kprobes(kps, i);
			return ret;
		}
	}
	dmaown_shield_on = true;
	return 0;
}

void dmaown_owner_shield_exit(void)
{
	struct kprobe *kps[ARRAY_SIZE(dmaown_shield_kprobes)];
	struct dmaown_vfio_hold *hold, *tmp;
	int i;

	if (!dmaown_shield_on)
		return;
	for (i = 0; i < ARRAY_SIZE(dmaown_shield_kprobes); i++)
		kps[i] = &dmaown_shield_kprobes[i];
	unregister_kprobes(kps, ARRAY_SIZE(kps));
	/* A wrapper in flight holds a module reference: none is left. */
	synchronize_rcu_tasks();
	mutex_lock(&dmaown_shield_lock);
	list_for_each_entry_safe(hold, tmp, &dmaown_vfio_holds, node)
		dmaown_vfio_hold_del(hold);
	mutex_unlock(&dmaown_shield_lock);
	dmaown_shield_on = false;
}

const char *dmaown_owner_shield_state(void)
{
	return dmaown_shield_on ? "on" : "off";
}

bool dmaown_owner_shield_handoff(void)
{
	return dmaown_shield_on;
}

bool dmaown_owner_vfio_holder_rcu(struct iommu_group *group, pid_t *pid,
				  char *comm)
{
	struct dmaown_vfio_hold *hold = dmaown_vfio_hold_find(group);

	if (!hold)
		return false;
	*pid = hold->pid;
	memcpy(comm, hold->comm, TASK_COMM_LEN);
	return true;
}

void dmaown_owner_vfio_device_added(struct device *dev)
{
	struct iommu_group *group = iommu_group_get(dev);
	struct dmaown_vfio_hold *hold;
	struct iommu_domain *domain;
	int ret;

	if (!group)
		return;
	mutex_lock(&dmaown_shield_lock);
	hold = dmaown_vfio_hold_find(group);
	domain = hold ? hold->domain : NULL;
	if (!domain)
		goto out_unlock;
	/*
	 * 5.10's iommu_probe_device() attached the group's default domain
	 * to the newcomer after VFIO's; its alias (the bridge's requester
	 * id) is the whole group's. Put it back on VFIO's domain.
	 */
	ret = domain->ops->attach_dev ? domain->ops->attach_dev(domain, dev) : -ENODEV;
	if (ret) {
		/* Bus mastering off: a mitigation, the device must honour it. */
		if (dev_is_pci(dev))
			pci_clear_master(to_pci_dev(dev));
		pr_warn("%s: joined group %d, held by VFIO for %s[%d], and cannot be put on its domain (%d): bus mastering cleared\n",
			dev_name(dev), hold->id, hold->comm, hold->pid, ret);
	} else {
		pr_info("%s: joined group %d, held by VFIO for %s[%d]: put on its domain, kernel drivers refused\n",
			dev_name(dev), hold->id, hold->comm, hold->pid);
	}
out_unlock:
	mutex_unlock(&dmaown_shield_lock);
	iommu_group_put(group);
}
