// SPDX-License-Identifier: GPL-2.0
/*
 * Timing of claims and releases, for the benchmarks: how long the whole
 * ioctl took, and how much of it was the IOMMU layer's own work (the
 * ownership backend: the domain switch). Read from
 * /sys/kernel/debug/dmaown/stats; write anything to it to reset.
 *
 * Counters are atomics, updated lock-free. Claims and the ioctl layer call
 * it; it calls nothing of dmaown.
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/seq_file.h>

#include "dmaown.h"

static struct {
	atomic64_t count;
	atomic64_t ns;
} dmaown_stats[DMAOWN_NR_STATS];

static const char *const dmaown_stat_names[DMAOWN_NR_STATS] = {
	[DMAOWN_STAT_CLAIM] = "claim",
	[DMAOWN_STAT_CLAIM_CORE] = "claim_core",
	[DMAOWN_STAT_RELEASE] = "release",
	[DMAOWN_STAT_RELEASE_CORE] = "release_core",
};

static struct dentry *dmaown_debugfs;

/**
 * dmaown_stat_add() - account one timed operation
 * @stat: which
 * @start: ktime_get_ns() when it began
 *
 * Context: any.
 */
void dmaown_stat_add(enum dmaown_stat stat, u64 start)
{
	atomic64_inc(&dmaown_stats[stat].count);
	atomic64_add(ktime_get_ns() - start, &dmaown_stats[stat].ns);
}

static int dmaown_stats_show(struct seq_file *m, void *v)
{
	int i;

	seq_puts(m, "# name count total_ns\n");
	for (i = 0; i < DMAOWN_NR_STATS; i++)
		seq_printf(m, "%s %lld %lld\n", dmaown_stat_names[i],
			   (long long)atomic64_read(&dmaown_stats[i].count),
			   (long long)atomic64_read(&dmaown_stats[i].ns));
	return 0;
}

static int dmaown_stats_open(struct inode *inode, struct file *fp)
{
	return single_open(fp, dmaown_stats_show, NULL);
}

static ssize_t dmaown_stats_write(struct file *fp, const char __user *buf,
				  size_t len, loff_t *ppos)
{
	int i;

	for (i = 0; i < DMAOWN_NR_STATS; i++) {
		atomic64_set(&dmaown_stats[i].count, 0);
		atomic64_set(&dmaown_stats[i].ns, 0);
	}
	return len;
}

static const struct file_operations dmaown_stats_fops = {
	.owner = THIS_MODULE,
	.open = dmaown_stats_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.write = dmaown_stats_write,
	.release = single_release,
};

void dmaown_stats_init(void)
{
	/* Debugging aid only: a failure here is not a failure to load. */
	dmaown_debugfs = debugfs_create_dir("dmaown", NULL);
	debugfs_create_file("stats", 0600, dmaown_debugfs, NULL,
			    &dmaown_stats_fops);
}

void dmaown_stats_exit(void)
{
	debugfs_remove_recursive(dmaown_debugfs);
}
