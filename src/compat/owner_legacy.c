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
 *    each other here);
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
 */
#include <linux/pci.h>
#include <linux/string.h>

#include "owner.h"

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
	domain = iommu_domain_alloc(dev->bus);
	if (!domain)
		return -ENOMEM;
	ret = iommu_attach_group(domain, claim->group);
	if (ret) {
		/*
		 * 5.10 does not undo the members it attached before the one
		 * that failed, and group->domain still names the default
		 * domain: put every member back on it before ours is freed.
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
		iommu_domain_free(domain);
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
	/*
	 * A member that left the group while it was on this domain leaves
	 * stale bookkeeping in 5.10's intel-iommu: freeing the domain then
	 * oopses in domain_exit() (seen: a release after a hot-removal). The
	 * domain is empty and detached; it is lost, once per such claim.
	 */
	if (claim->member_gone)
		pr_warn("group %d: a member left while it was owned: its blocking domain is not freed (a 5.10 intel-iommu limitation)\n",
			claim->id);
	else
		iommu_domain_free(claim->domain);
	claim->domain = NULL;
}

void dmaown_owner_release_empty(struct dmaown_claim *claim)
{
	/*
	 * The group is back on its default domain at once (no device to
	 * move). The domain is not freed: a group emptied while wounded
	 * leaves alias bookkeeping in 5.10's intel-iommu that freeing the
	 * domain trips over (seen: an oops in domain_exit after the last
	 * member of an owned group went). It is one empty page table, lost
	 * once per such group; say so.
	 */
	iommu_detach_group(claim->domain, claim->group);
	pr_warn("group %d: emptied while wounded: its blocking domain is not freed (a 5.10 intel-iommu limitation)\n",
		claim->id);
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
