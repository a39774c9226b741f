// SPDX-License-Identifier: GPL-2.0
/*
 * dmaown_domtrace: test-only. Records every IOMMU domain attach of every
 * device, with the domain's type, so that a test can show that a sequence
 * (a quarantine hand-off to VFIO) never put a device on an identity domain.
 *
 * kprobes on the IOMMU drivers' attach_dev callbacks, all of which take
 * (struct iommu_domain *, struct device *): intel_iommu_attach_device on
 * every kernel (paging and, before 6.7, identity domains too), and on 6.7+
 * the static identity and blocking domains' identity_domain_attach_dev and
 * blocking_domain_attach_dev. The ones this kernel has are registered; the
 * names are in debugfs dmaown_domtrace/probes.
 *
 * debugfs dmaown_domtrace/log: one line per attach, "<seq> <device> <type>"
 * with type identity, blocked, dma, dma-fq, unmanaged or 0x<n>; writing
 * anything to it clears it. The handler runs in atomic context: a
 * spinlock-protected ring, no allocation.
 */
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>

#define DOMTRACE_MAX 512

struct domtrace_rec {
	unsigned int seq;
	unsigned int type;
	char dev[32];
};

static DEFINE_SPINLOCK(domtrace_lock);
static struct domtrace_rec domtrace_ring[DOMTRACE_MAX];
static unsigned int domtrace_seq;	/* records made since the last clear */

static int domtrace_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct iommu_domain *domain = (void *)regs_get_kernel_argument(regs, 0);
	struct device *dev = (void *)regs_get_kernel_argument(regs, 1);
	struct domtrace_rec *r;
	unsigned long flags;

	spin_lock_irqsave(&domtrace_lock, flags);
	r = &domtrace_ring[domtrace_seq % DOMTRACE_MAX];
	r->seq = domtrace_seq++;
	r->type = domain ? domain->type : 0;
	strscpy(r->dev, dev ? dev_name(dev) : "?", sizeof(r->dev));
	spin_unlock_irqrestore(&domtrace_lock, flags);
	return 0;
}

static struct kprobe domtrace_kps[] = {
	{ .symbol_name = "intel_iommu_attach_device", .pre_handler = domtrace_pre },
	{ .symbol_name = "identity_domain_attach_dev", .pre_handler = domtrace_pre },
	{ .symbol_name = "blocking_domain_attach_dev", .pre_handler = domtrace_pre },
};

static bool domtrace_registered[ARRAY_SIZE(domtrace_kps)];
static struct dentry *domtrace_dir;

static const char *domtrace_type(unsigned int type, char *buf, size_t len)
{
	switch (type) {
	case IOMMU_DOMAIN_IDENTITY:
		return "identity";
	case IOMMU_DOMAIN_BLOCKED:
		return "blocked";
	case IOMMU_DOMAIN_DMA:
		return "dma";
	case IOMMU_DOMAIN_UNMANAGED:
		return "unmanaged";
	}
#ifdef IOMMU_DOMAIN_DMA_FQ
	if (type == IOMMU_DOMAIN_DMA_FQ)
		return "dma-fq";
#endif
	snprintf(buf, len, "0x%x", type);
	return buf;
}

static int domtrace_log_show(struct seq_file *m, void *v)
{
	struct domtrace_rec r;
	unsigned int i, first, last;
	unsigned long flags;
	char buf[16];

	spin_lock_irqsave(&domtrace_lock, flags);
	last = domtrace_seq;
	spin_unlock_irqrestore(&domtrace_lock, flags);
	first = last > DOMTRACE_MAX ? last - DOMTRACE_MAX : 0;
	if (first)
		seq_printf(m, "lost %u\n", first);
	for (i = first; i < last; i++) {
		spin_lock_irqsave(&domtrace_lock, flags);
		r = domtrace_ring[i % DOMTRACE_MAX];
		spin_unlock_irqrestore(&domtrace_lock, flags);
		seq_printf(m, "%u %s %s\n", r.seq, r.dev, domtrace_type(r.type, buf, sizeof(buf)));
	}
	return 0;
}

static int domtrace_log_open(struct inode *inode, struct file *file)
{
	return single_open(file, domtrace_log_show, NULL);
}

static ssize_t domtrace_log_write(struct file *file, const char __user *ubuf,
				  size_t len, loff_t *ppos)
{
	unsigned long flags;

	spin_lock_irqsave(&domtrace_lock, flags);
	domtrace_seq = 0;
	spin_unlock_irqrestore(&domtrace_lock, flags);
	return len;
}

static const struct file_operations domtrace_log_fops = {
	.owner = THIS_MODULE,
	.open = domtrace_log_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
	.write = domtrace_log_write,
};

static int domtrace_probes_show(struct seq_file *m, void *v)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(domtrace_kps); i++)
		if (domtrace_registered[i])
			seq_printf(m, "%s\n", domtrace_kps[i].symbol_name);
	return 0;
}

DEFINE_SHOW_ATTRIBUTE(domtrace_probes);

static void domtrace_unregister(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(domtrace_kps); i++)
		if (domtrace_registered[i])
			unregister_kprobe(&domtrace_kps[i]);
}

static int __init domtrace_init(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(domtrace_kps); i++) {
		domtrace_registered[i] = !register_kprobe(&domtrace_kps[i]);
		n += domtrace_registered[i];
	}
	if (!n)
		return -ENOENT;
	domtrace_dir = debugfs_create_dir("dmaown_domtrace", NULL);
	debugfs_create_file("log", 0600, domtrace_dir, NULL, &domtrace_log_fops);
	debugfs_create_file("probes", 0400, domtrace_dir, NULL, &domtrace_probes_fops);
	return 0;
}

static void __exit domtrace_exit(void)
{
	debugfs_remove_recursive(domtrace_dir);
	domtrace_unregister();
}

module_init(domtrace_init);
module_exit(domtrace_exit);
MODULE_DESCRIPTION("dmaown tests: record IOMMU domain attaches");
MODULE_LICENSE("GPL");
