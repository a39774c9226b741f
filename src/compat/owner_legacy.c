// SPDX-License-Identifier: GPL-2.0
/*
 * DMA ownership for kernels without the core API (before Linux 5.19:
 * Debian 11's 5.10). dmaown provides the whole model itself:
 *
 *  - viability: its own walk (status.c), with this file's notion of a
 *    DMA-safe driver: VFIO's allowlist and bridge rule, plus the admin's
 *    safe_drivers= list;
 *  - the blocking domain: an empty paging (UNMANAGED) domain attached with
 *    iommu_attach_group(), which fails with -EBUSY when the group is on any
 *    domain but its default one (that is how VFIO type1 and dmaown exclude
 *    each other here). One such domain serves every owned PCI group (see
 *    dmaown_blocking below); a group of another bus gets one of its own;
 *  - probe denial: the guard (guard.c), published before the viability
 *    walk (DMAOWN_OWNER_GUARD_FIRST);
 *  - hot-add: 5.10's iommu_probe_device() attaches the default domain to a
 *    new member after the group's own domain, so the new member is put
 *    back on the blocking domain from the ADD_DEVICE notifier, which runs
 *    after the IOMMU core's.
 *
 * Never a plain detach: on many IOMMU drivers that means passthrough.
 *
 * The backend of owner.h: claims, viability, status and the guard call it;
 * it calls the IOMMU core and reads the safe_drivers= parameter (main.c).
 *
 * Locking: dmaown_blocking and dmaown_blocking_kept are dmaown_lock's
 * (registry.c): every function here that touches them is called with it
 * held, but dmaown_owner_exit(), which runs when no claim is left.
 */
#include <linux/pci.h>
#include <linux/string.h>

#include "owner.h"

/*
 * The blocking domain of every owned PCI group: one empty paging domain,
 * made at the first claim. Nothing is ever mapped into it, so its page
 * table is the bare top level and a device on it reaches no memory, however
 * many other groups share it: sharing puts no translation in reach, only a
 * domain ID and the table that faults every DMA. intel-iommu's flags for it
 * are 0 (pass-through is its identity domain only), and the IOMMU core puts
 * reserved-region mappings into default domains only.
 *
 * It is freed at module exit unless a member left a group while the group
 * was on it (dmaown_blocking_kept). 5.10.130+'s intel-iommu then skips the
 * teardown of a device listed in the DMAR's scope (QEMU lists each device
 * on its root bus): the device's info stays on the domain's list, with a
 * dangling device pointer, and its context entries keep pointing at the
 * domain's table. domain_exit() would oops on that info, and a freed table
 * would be left reachable from live context entries; kept, the table stays
 * empty and the departed bus:devfn stays blocked. The paths that would read
 * the dangling pointer (ATS changes, a domain's count on a DMAR unit
 * dropping to zero, DMAR hot-removal, domain_exit()) are not taken on a
 * domain that is kept and whose stale info holds that count above zero:
 * the attach and detach of other groups read the info only, still valid.
 */
static struct iommu_domain *dmaown_blocking;
static bool dmaown_blocking_kept;

/* The blocking domain for a group with member @dev: shared for PCI. */
static struct iommu_domain *dmaown_blocking_get(struct device *dev)
{
	if (!dev_is_pci(dev))
		return iommu_domain_alloc(dev->bus);
	if (!dmaown_blocking)
		dmaown_blocking = iommu_domain_alloc(dev->bus);
	return dmaown_blocking;
}

/*
 * @claim's group is off @domain: free a domain of its own, unless a member
 * left while the group was on it (see dmaown_blocking).
 */
static void dmaown_blocking_put(struct dmaown_claim *claim, struct iommu_domain *domain)
{
	if (domain == dmaown_blocking) {
		if (claim->member_gone && !dmaown_blocking_kept) {
			dmaown_blocking_kept = true;
			pr_warn("group %d: a member left while it was owned: the shared blocking domain is kept until reboot (a 5.10 intel-iommu limitation)\n",
				claim->id);
		}
		return;
	}
	if (claim->member_gone)
		pr_warn("group %d: a member left while it was owned: its blocking domain is not freed (a 5.10 intel-iommu limitation)\n",
			claim->id);
	else
		iommu_domain_free(domain);
}

void dmaown_owner_exit(void)
{
	if (!dmaown_blocking)
		return;
	if (dmaown_blocking_kept)
		pr_info("the shared blocking domain stays: a member left an owned group\n");
	else
		iommu_domain_free(dmaown_blocking);
	dmaown_blocking = NULL;
	dmaown_blocking_kept = false;
}

/* VFIO's vfio_driver_allowed[] and the DMA-safe drivers of later kernels. */
static const char *const dmaown_legacy_safe[] = {
	"vfio-pci",
	"pci-stub",
	"pcieport",
};

static int dmaown_first_dev(struct device *dev, void *data)
{
	*(struct device **)data = dev;
	return 1;
}

/* Put one member back on the group's default domain @data. */
static int dmaown_reattach_one(struct device *dev, void *data)
{
	struct iommu_domain *def = data;

	if (def->ops->attach_dev(def, dev))
		pr_warn("%s: cannot put it back on its default domain\n", dev_name(dev));
	return 0;
}

int dmaown_owner_claim(struct dmaown_claim *claim)
{
	struct iommu_domain *domain, *def;
	struct device *dev = NULL;
	int ret;

	iommu_group_for_each_dev(claim->group, &dev, dmaown_first_dev);
	if (!dev)
		return -ENODEV;
	/* The group holds its devices: dev stays valid while we use it. */
	domain = dmaown_blocking_get(dev);
	if (!domain)
		return -ENOMEM;
	ret = iommu_attach_group(domain, claim->group);
	if (ret) {
		/*
		 * 5.10 does not undo the members it attached before the one
		 * that failed, and group->domain still names the default
		 * domain: put every member back on it before ours is let go.
		 * The group's mutex is held around the callback, as the core
		 * holds it around its own attach.
		 */
		def = iommu_get_domain_for_dev(dev);
		if (def && def != domain && def->ops->attach_dev)
			iommu_group_for_each_dev(claim->group, def, dmaown_reattach_one);
		/*
		 * -EBUSY: the group is on another domain (VFIO type1), or
		 * 5.10's intel-iommu kept stale context bookkeeping after a
		 * member was hot-removed: it then refuses every new domain
		 * for the group's devices, to VFIO as well, until reboot.
		 */
		if (ret == -EBUSY && !dmaown_owner_claimed_elsewhere(claim->group, dev, true))
			pr_warn_ratelimited("group %d: the IOMMU driver refuses a new domain although the group is on its default one (a member was hot-removed? a 5.10 intel-iommu limitation)\n",
					    claim->id);
		dmaown_blocking_put(claim, domain);
		/* EPERM: a firmware direct map (RMRR) the driver keeps */
		return ret == -EPERM ? -EBUSY : ret;
	}
	claim->domain = domain;
	return 0;
}

void dmaown_owner_release(struct dmaown_claim *claim)
{
	/* Re-attaches the default domain to every member. */
	iommu_detach_group(claim->domain, claim->group);
	dmaown_blocking_put(claim, claim->domain);
	claim->domain = NULL;
}

void dmaown_owner_release_empty(struct dmaown_claim *claim)
{
	/*
	 * The group is back on its default domain at once (no device to
	 * move). Its members left while it was on the blocking domain
	 * (@claim->member_gone): that one is kept (see dmaown_blocking).
	 */
	iommu_detach_group(claim->domain, claim->group);
	dmaown_blocking_put(claim, claim->domain);
	claim->domain = NULL;
}

int dmaown_owner_device_added(struct dmaown_claim *claim, struct device *dev)
{
	struct iommu_domain *domain = claim->domain;

	if (!domain->ops->attach_dev)
		return -ENODEV;
	return domain->ops->attach_dev(domain, dev);
}

bool dmaown_owner_claimed_elsewhere(struct iommu_group *group,
				    struct device *member, bool viable)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(member);

	/*
	 * No ownership record before 5.19: a group on an unmanaged domain
	 * that is not dmaown's belongs to someone (VFIO type1).
	 */
	return domain && domain->type == IOMMU_DOMAIN_UNMANAGED;
}

bool dmaown_driver_dma_safe(struct device *dev, struct device_driver *drv)
{
	int i;

	/* VFIO's bridge rule: a bridge's driver does not DMA for its bus. */
	if (dev_is_pci(dev) &&
	    to_pci_dev(dev)->hdr_type != PCI_HEADER_TYPE_NORMAL)
		return true;
	for (i = 0; i < ARRAY_SIZE(dmaown_legacy_safe); i++)
		if (!strcmp(drv->name, dmaown_legacy_safe[i]))
			return true;
	return dmaown_safe_driver_listed(drv->name);
}
