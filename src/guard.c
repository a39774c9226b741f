// SPDX-License-Identifier: GPL-2.0
/*
 * The probe guard: a kprobe on the driver core's binding path that refuses,
 * with -EBUSY and before anything is touched, to bind a driver that is not
 * DMA-safe to a device of an owned group.
 *
 * The pre-handler redirects the probed function to dmaown_guard_deny(),
 * which returns -EBUSY to its caller in place of the real function. A
 * kprobe changes the instruction pointer only when its ftrace ops carries
 * IPMODIFY, which kprobes arm only for a probe with a post-handler: hence
 * the empty one. IPMODIFY is exclusive per function, so a livepatch of the
 * target makes registration fail with -EBUSY, and the module with it.
 *
 * With core DMA ownership (5.19+) the core refuses the same probes in
 * dma_configure; the guard still gives one policy and one log line on every
 * kernel. Without it (5.10) the guard is the only thing that stops a driver.
 *
 * The pre-handler runs with preemption disabled: RCU reads only, no sleep,
 * no mutex, no reference counting. It reads the registry (registry.c: the
 * owned hash, quarantined groups, misfits) and asks the backend (owner.h) whether a driver is
 * DMA-safe and whether VFIO holds the group (the 5.10 VFIO shield); claims
 * ask it whether it is armed. A refusal is an event (events.c: a spinlock
 * on preallocated rings, nothing more).
 */
#include <linux/kprobes.h>
#include <linux/ptrace.h>
#include <linux/rcupdate.h>

#include "dmaown.h"
#include "owner.h"

static noinline notrace int dmaown_guard_deny(void)
{
	return -EBUSY;
}

NOKPROBE_SYMBOL(dmaown_guard_deny);

static int dmaown_guard_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct device *dev = (void *)regs_get_kernel_argument(regs, 0);
	struct device_driver *drv = (void *)regs_get_kernel_argument(regs, 1);
	struct iommu_group *group = READ_ONCE(dev->iommu_group);
	struct dmaown_claim *claim;
	char comm[TASK_COMM_LEN];
	bool deny = false;
	pid_t pid = 0;

	if (!group)
		return 0;

	rcu_read_lock();
	claim = dmaown_owned_lookup_rcu(group);
	if (claim && !dmaown_driver_dma_safe(dev, drv)) {
		/* Never dev_*(): it would name a driver that is not ours. */
		if (!READ_ONCE(claim->active)) {
			/* A legacy claim in the making: retried if it fails. */
			WRITE_ONCE(claim->denied, true);
			pr_info_ratelimited("%s: bind of %s turned away while group %d is being claimed by %s[%d]; retried if the claim fails\n",
					    dev_name(dev), drv->name, claim->id,
					    claim->comm, claim->pid);
		} else if (!READ_ONCE(claim->file)) {
			pr_warn_ratelimited("%s: denied bind: driver=%s group=%d owner=dmaown (%s)\n",
					    dev_name(dev), drv->name, claim->id,
					    dmaown_qgroup_find(group) ? "quarantine" : "held");
		} else {
			pr_warn_ratelimited("%s: denied bind: driver=%s group=%d owner=%s[%d]\n",
					    dev_name(dev), drv->name, claim->id,
					    claim->comm, claim->pid);
		}
		deny = true;
		if (READ_ONCE(claim->file)) {
			pid = claim->pid;
			memcpy(comm, claim->comm, TASK_COMM_LEN);
		}
	} else if (!claim && dmaown_qgroup_find(group) &&
		   !dmaown_driver_dma_safe(dev, drv)) {
		pr_warn_ratelimited("%s: denied bind: driver=%s group=%d: quarantined\n",
				    dev_name(dev), drv->name, iommu_group_id(group));
		deny = true;
	} else if (!claim && dmaown_device_misfit_rcu(dev) &&
		   !dmaown_driver_dma_safe(dev, drv)) {
		pr_warn_ratelimited("%s: denied bind: driver=%s: the device joined its group while it was owned; remove and rescan it first\n",
				    dev_name(dev), drv->name);
		deny = true;
	} else if (!claim && dmaown_owner_vfio_holder_rcu(group, &pid, comm) &&
		   !dmaown_driver_dma_safe(dev, drv)) {
		pr_warn_ratelimited("%s: denied bind: driver=%s group=%d owner=VFIO %s[%d]\n",
				    dev_name(dev), drv->name, iommu_group_id(group),
				    comm, pid);
		deny = true;
	}
	if (deny)
		dmaown_event(DMAOWN_EVENT_DENIED_BIND, iommu_group_id(group),
			     dev_name(dev), drv->name, EBUSY, 0, pid,
			     pid ? comm : NULL);
	rcu_read_unlock();

	if (!deny)
		return 0;
	instruction_pointer_set(regs, (unsigned long)dmaown_guard_deny);
	/* The instruction pointer changed: kprobes must not resume. */
	return 1;
}

NOKPROBE_SYMBOL(dmaown_guard_pre);

static void dmaown_guard_post(struct kprobe *kp, struct pt_regs *regs,
			      unsigned long flags)
{
}

NOKPROBE_SYMBOL(dmaown_guard_post);

static struct kprobe dmaown_guard_kprobe = {
	.symbol_name = DMAOWN_GUARD_SYMBOL,
	.pre_handler = dmaown_guard_pre,
	.post_handler = dmaown_guard_post,
};

int dmaown_guard_init(void)
{
	int ret = register_kprobe(&dmaown_guard_kprobe);

	if (ret == -EBUSY)
		pr_err("cannot guard %s: another ftrace user modifies it (a livepatch?)\n",
		       DMAOWN_GUARD_SYMBOL);
	else if (ret)
		pr_err("cannot guard %s: register_kprobe: %d\n",
		       DMAOWN_GUARD_SYMBOL, ret);
	return ret;
}

void dmaown_guard_exit(void)
{
	unregister_kprobe(&dmaown_guard_kprobe);
	/*
	 * unregister_kprobe() waits for the handlers, not for a task that
	 * was sent into dmaown_guard_deny() and was preempted there: wait
	 * until every task has passed a voluntary switch, before the module
	 * text can go.
	 */
	synchronize_rcu_tasks();
}

/**
 * dmaown_guard_armed() - is the guard live?
 *
 * kprobes can be disarmed all at once (debugfs kprobes/enabled = 0), which
 * leaves no mark on the probe itself: look at the probed code.
 *
 * Context: any.
 */
bool dmaown_guard_armed(void)
{
	return dmaown_compat_kprobe_armed(&dmaown_guard_kprobe);
}
