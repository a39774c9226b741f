/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Compat layer: every difference between the supported kernels (5.10, 6.1,
 * 6.12) lives here or in compat/owner_legacy.c. The rest of dmaown is
 * written against the newest kernel and tests only DMAOWN_HAVE_* macros,
 * which src/compat/Kbuild.include derives from the kernel headers.
 *
 * Force-included in every object (Kbuild: -include). It calls nothing of
 * dmaown; a new kernel difference is a probe in Kbuild.include and a
 * backfill here (or, when it carries policy, a file beside owner_legacy.c).
 */
#ifndef _DMAOWN_COMPAT_H
#define _DMAOWN_COMPAT_H

#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/kprobes.h>
#include <linux/list.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/pci.h>
#include <linux/platform_device.h>

#ifndef DMAOWN_HAVE_GROUP_ISOLATED_MSI
#include <linux/irqdomain.h>
#endif

/*
 * The probe guard's target: the driver core's binding path, entered with
 * (struct device *dev, struct device_driver *drv) on every supported kernel.
 * It is static: the kprobe resolves it by name at load time.
 */
#define DMAOWN_GUARD_SYMBOL "really_probe"

/*
 * The VFIO shield's targets (compat/shield_legacy.c; built only without
 * core DMA ownership, i.e. for Debian 11's 5.10.0-x). What it relies on,
 * as read in Debian's 5.10.223 (drivers/iommu/iommu.c,
 * drivers/vfio/vfio_iommu_type1.c) and seen in its VM tests:
 *  - iommu_attach_group(struct iommu_domain *domain, struct iommu_group
 *    *group) -> int, and iommu_detach_group(domain, group) -> void: exported
 *    (GPL) from vmlinux, so always resolvable by name and never inlined
 *    into a module; ftrace sites at +0 (no ENDBR on 5.10). The wrapper that
 *    replaces them keeps the prototype and calls the real, exported
 *    function: nothing is called through a kallsyms address.
 *  - VFIO's type1 backend (module vfio_iommu_type1, 5.10) puts a group on
 *    the VM's domain only through iommu_attach_group() (at VFIO_SET_IOMMU,
 *    or at VFIO_GROUP_SET_CONTAINER into a container that has an IOMMU),
 *    in the VMM's task, and takes it off only through iommu_detach_group()
 *    before it frees the domain; a failed attach is its "group busy" path
 *    (the error reaches the ioctl: EBUSY).
 *  - The caller is recognised by the module name in its return address's
 *    symbol ("%ps": "sym [vfio_iommu_type1]").
 * With core DMA ownership (5.19+) VFIO claims the group itself and the
 * shield is not built.
 */
#define DMAOWN_SHIELD_ATTACH "iommu_attach_group"
#define DMAOWN_SHIELD_DETACH "iommu_detach_group"
#define DMAOWN_SHIELD_VFIO_MODULE "vfio_iommu_type1"

/**
 * dmaown_compat_kprobe_armed() - does @kp really fire?
 * @kp: a registered kprobe
 *
 * kprobes' global switch (debugfs kprobes/enabled) disarms every probe and
 * flags none of them. An armed probe on x86 has rewritten the first byte
 * of its address: an int3 (0xcc), or, for a probe on an ftrace site (the
 * case of the guard's target on every supported kernel), a call (0xe8) in
 * place of the 5-byte nop. Another ftrace user of the same function keeps
 * the call in place: then a disarmed probe reads as armed.
 *
 * Context: any.
 */
static inline bool dmaown_compat_kprobe_armed(struct kprobe *kp)
{
	u8 insn;

	if (kprobe_disabled(kp) || !kp->addr)
		return false;
	if (copy_from_kernel_nofault(&insn, kp->addr, 1))
		return false;
	return insn == 0xcc || insn == 0xe8;
}

/**
 * dmaown_compat_group_resv_direct() - must a device of @group keep a 1:1
 * map (a firmware direct-mapped region, an RMRR)?
 * @group: the group
 *
 * The IOMMU layer refuses to put such a device on a blocking domain: 6.6+
 * outright, 5.10 and 6.1's intel-iommu with -EPERM. iommu_get_group_resv_regions()
 * is exported on every supported kernel, and its list entries are freed
 * with kfree() on all of them.
 *
 * Context: may sleep; takes group->mutex.
 */
static inline bool dmaown_compat_group_resv_direct(struct iommu_group *group)
{
	struct iommu_resv_region *r, *tmp;
	LIST_HEAD(regions);
	bool direct = false;

	if (iommu_get_group_resv_regions(group, &regions))
		return false;
	list_for_each_entry_safe(r, tmp, &regions, list) {
		if (r->type == IOMMU_RESV_DIRECT)
			direct = true;
		list_del(&r->list);
		kfree(r);
	}
	return direct;
}

/* struct bus_type, const where the driver core takes it const (6.4+). */
#define dmaown_bus_type typeof(pci_bus_type)

/**
 * dmaown_compat_driver_managed_dma() - does @drv declare driver_managed_dma?
 * @drv: a driver
 *
 * The flag lives in the bus-specific driver structs (Linux 5.19+); older
 * kernels have no such declaration, and nothing is known to be safe by it.
 *
 * Context: any.
 */
static inline bool dmaown_compat_driver_managed_dma(struct device_driver *drv)
{
#ifdef DMAOWN_HAVE_DRIVER_MANAGED_DMA
	if (drv->bus == &pci_bus_type)
		return to_pci_driver(drv)->driver_managed_dma;
	if (drv->bus == &platform_bus_type)
		return to_platform_driver(drv)->driver_managed_dma;
#endif
	return false;
}

/**
 * dmaown_compat_msi_isolated() - are the MSIs of @group isolated?
 * @group: the group
 * @devs: its devices
 * @n: how many
 *
 * 6.3+ asks the group; 5.19+ asks each device for IOMMU_CAP_INTR_REMAP;
 * older kernels ask the bus. Before 6.3 an MSI-remapping irq domain counts
 * too (irq_domain_check_msi_remap), as VFIO type1 does.
 *
 * Context: may sleep.
 */
static inline bool dmaown_compat_msi_isolated(struct iommu_group *group,
					      struct device **devs, int n)
{
#ifdef DMAOWN_HAVE_GROUP_ISOLATED_MSI
	return iommu_group_has_isolated_msi(group);
#else
	bool isolated = true;
	int i;

	for (i = 0; i < n; i++) {
#ifdef DMAOWN_HAVE_DEVICE_IOMMU_CAPABLE
		if (!device_iommu_capable(devs[i], IOMMU_CAP_INTR_REMAP))
#else
		if (!iommu_capable(devs[i]->bus, IOMMU_CAP_INTR_REMAP))
#endif
			isolated = false;
	}
	return isolated || irq_domain_check_msi_remap();
#endif
}

/*
 * DMAOWN_COMPAT_SURVIVORS_UNSAFE: after a member of a multi-device group
 * is removed, and until it comes back, the IOMMU layer cannot safely move
 * the remaining members to a new domain. Seen on Debian's kernels (intel-
 * iommu, devices behind a PCI bridge sharing an alias): 5.10 refuses with
 * -EBUSY; 6.1 corrupts a list in device_block_translation() and BUGs, for
 * any owner (VFIO's SET_CONTAINER too). 6.12 is fine. The drivers' own
 * blocked domains (6.7+) came with the rewrite of that path, so they serve
 * as the probe. dmaown refuses such claims instead of walking into it.
 */
#ifdef DMAOWN_HAVE_OPS_BLOCKED_DOMAIN
#define DMAOWN_COMPAT_SURVIVORS_UNSAFE false
#else
#define DMAOWN_COMPAT_SURVIVORS_UNSAFE true
#endif

/* The device a struct class's devnode() is given: const since 6.2. */
#ifdef DMAOWN_HAVE_CONST_DEVNODE
#define dmaown_devnode_device const struct device
#else
#define dmaown_devnode_device struct device
#endif

#endif /* _DMAOWN_COMPAT_H */
