// SPDX-License-Identifier: GPL-2.0
/*
 * dmaown: user DMA ownership of IOMMU groups for VM managers.
 *
 * Module init and exit, and the module parameters. The guard and the
 * notifiers are in place before /dev/dmaown appears, so that no claim can
 * exist without them; exit runs in the reverse order. It calls each part's
 * init and exit; the backends read the parameters.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>

#include "dmaown.h"
#include "owner.h"

#define DMAOWN_MAX_SAFE_DRIVERS 16

#ifdef DMAOWN_HAVE_DRIVER_MANAGED_DMA
#define DMAOWN_DRIVER_MANAGED_DMA "yes"
#else
#define DMAOWN_DRIVER_MANAGED_DMA "no"
#endif

static char *safe_drivers;
module_param(safe_drivers, charp, 0444);
MODULE_PARM_DESC(safe_drivers,
		 "Comma-separated extra DMA-safe driver names, allowed to stay bound in an owned group (kernels without driver_managed_dma only)");

static bool shield = true;
module_param(shield, bool, 0444);
MODULE_PARM_DESC(shield,
		 "Shield the kernel's VFIO: refuse drivers that are not DMA-safe in groups it holds, keep hot-added members on its domain, refuse non-viable attaches (kernels without core DMA ownership only; default on)");

static char dmaown_safe_buf[256];
static const char *dmaown_safe[DMAOWN_MAX_SAFE_DRIVERS];
static unsigned int dmaown_nr_safe;

/**
 * dmaown_safe_driver_listed() - did the admin declare @name DMA-safe?
 * @name: a driver name
 *
 * Context: any: the list is fixed at load time.
 */
bool dmaown_safe_driver_listed(const char *name)
{
	unsigned int i;

	for (i = 0; i < dmaown_nr_safe; i++)
		if (!strcmp(name, dmaown_safe[i]))
			return true;
	return false;
}

static int dmaown_parse_safe_drivers(void)
{
	char *s = dmaown_safe_buf, *name;

	if (!safe_drivers)
		return 0;
	if (strscpy(dmaown_safe_buf, safe_drivers, sizeof(dmaown_safe_buf)) < 0) {
		pr_err("safe_drivers: list too long\n");
		return -EINVAL;
	}
	while ((name = strsep(&s, ", \t\n"))) {
		if (!*name)
			continue;
		if (dmaown_nr_safe == DMAOWN_MAX_SAFE_DRIVERS) {
			pr_err("safe_drivers: more than %d names\n",
			       DMAOWN_MAX_SAFE_DRIVERS);
			return -EINVAL;
		}
		dmaown_safe[dmaown_nr_safe++] = name;
	}
#ifdef DMAOWN_HAVE_DRIVER_MANAGED_DMA
	if (dmaown_nr_safe)
		pr_warn("safe_drivers is ignored: this kernel knows DMA-safe drivers by driver_managed_dma\n");
#endif
	return 0;
}

static int __init dmaown_init(void)
{
	int ret;

	ret = dmaown_parse_safe_drivers();
	if (ret)
		goto err_params;
	ret = dmaown_notifier_init();
	if (ret)
		goto err_params;
	dmaown_group_map_init();
	ret = dmaown_guard_init();
	if (ret)
		goto err_notifier;
	ret = dmaown_owner_shield_init(shield);
	if (ret)
		goto err_guard;
	dmaown_stats_init();
	ret = dmaown_quarantine_init();
	if (ret)
		goto err_stats;
	ret = dmaown_groupdev_init(dmaown_cdev_gnode_fops());
	if (ret)
		goto err_stats;
	ret = dmaown_cdev_init();
	if (ret)
		goto err_stats;

	pr_info("dmaown %s loaded: ownership=%s guard=%s driver_managed_dma=%s safe_drivers=%u vfio_shield=%s\n",
		DMAOWN_VERSION, DMAOWN_OWNER_NAME, DMAOWN_GUARD_SYMBOL,
		DMAOWN_DRIVER_MANAGED_DMA,
		dmaown_nr_safe, dmaown_owner_shield_state());
	return 0;

err_stats:
	dmaown_stats_exit();
	dmaown_owner_shield_exit();
err_guard:
	dmaown_guard_exit();
err_notifier:
	dmaown_notifier_exit();
	dmaown_groupdev_exit();		/* after the notifiers: they kick its work */
	dmaown_audit_exit();		/* after the guard: it queues records */
err_params:
	/* the quarantine list given at load time, and what it took */
	dmaown_quarantine_exit();
	dmaown_registry_exit();		/* the group map's references */
	dmaown_owner_exit();
	return ret;
}

static void __exit dmaown_exit(void)
{
	dmaown_cdev_exit();
	dmaown_quarantine_exit();
	dmaown_stats_exit();
	dmaown_owner_shield_exit();
	dmaown_guard_exit();
	dmaown_notifier_exit();
	dmaown_groupdev_exit();		/* after the notifiers: they kick its work */
	dmaown_audit_exit();		/* after the guard: it queues records */
	dmaown_registry_exit();
	dmaown_owner_exit();		/* after the last claim: the shared domain */
	pr_info("dmaown unloaded\n");
}

module_init(dmaown_init);
module_exit(dmaown_exit);

MODULE_DESCRIPTION("User DMA ownership of IOMMU groups");
MODULE_AUTHOR("The dmaown authors");
MODULE_LICENSE("GPL");
MODULE_VERSION(DMAOWN_VERSION);
