// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/dmaown and /dev/dmaown-group/N: the misc device, the group nodes'
 * file operations, and the ioctl table: the ioctl layer. It calls claims
 * (claim.c), the quarantine list (quarantine.c) and status (status.c),
 * looks groups and buses up in the registry (registry.c), and the group
 * nodes up in groupdev.c.
 *
 * A file of /dev/dmaown (opened with CAP_SYS_ADMIN) may act on every
 * group; a file of /dev/dmaown-group/N (opened with the node's permission
 * alone) only on group N, and not on the quarantine list.
 *
 * Every ioctl struct begins with __u32 size and __u32 flags (see the uapi
 * header). The dispatcher reads size, copies the struct with
 * copy_struct_from_user() (zero-filling older, shorter structs; E2BIG for
 * non-zero bytes the kernel does not know), rejects unknown flags, and calls
 * one function per ioctl, which sees a kernel copy. A successful reply is
 * copied back up to the caller's size; the releases have none, and
 * EVENTS_OPEN returns its new fd as the ioctl's value. When the
 * reply of a claim cannot be copied back, the claim is undone: an ioctl
 * that fails has changed nothing.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>

#include "dmaown.h"
#include "owner.h"

static int dmaown_ioctl_get_info(struct dmaown_file *file, void *arg)
{
	struct dmaown_info *cmd = arg;

	cmd->out_api_version = DMAOWN_API_VERSION;
	cmd->out_flags = DMAOWN_OWNER_INFO_FLAGS;
	if (dmaown_guard_armed())
		cmd->out_flags |= DMAOWN_INFO_PROBE_GUARD;
	else
		dmaown_guard_check();
#ifdef DMAOWN_HAVE_DRIVER_MANAGED_DMA
	cmd->out_flags |= DMAOWN_INFO_DRIVER_MANAGED_DMA;
#endif
	memset(cmd->out_version, 0, sizeof(cmd->out_version));
	strscpy(cmd->out_version, DMAOWN_VERSION, sizeof(cmd->out_version));
	return 0;
}

static int dmaown_ioctl_group_status(struct dmaown_file *file, void *arg)
{
	struct dmaown_group_status *cmd = arg;
	int ret;

	ret = dmaown_gnode_may(file->gnode, cmd->group_id);
	if (ret)
		return ret;
	/* a status after kprobes were disarmed shows the claims it revoked */
	dmaown_guard_check();
	return dmaown_group_status(file, arg);
}

static int dmaown_ioctl_group_claim(struct dmaown_file *file, void *arg)
{
	struct dmaown_group *cmd = arg;
	struct iommu_group *group;
	u64 start = ktime_get_ns();
	unsigned int nr;
	int ret;

	ret = dmaown_gnode_may(file->gnode, cmd->group_id);
	if (ret)
		return ret;
	group = dmaown_group_find(cmd->group_id);
	if (!group)
		return -ENOENT;
	/*
	 * Again, now that the group is held: a group node's group that went
	 * away since is marked gone before its number can be taken again
	 * (see groupdev.c), so this finds the group the file was opened on.
	 */
	ret = dmaown_gnode_may(file->gnode, cmd->group_id);
	if (!ret)
		ret = dmaown_group_claim(file, group, NULL, NULL, NULL, &nr);
	iommu_group_put(group);
	if (!ret) {
		cmd->out_nr_devices = nr;
		dmaown_stat_add(DMAOWN_STAT_CLAIM, start);
	}
	return ret;
}

/* The reply of GROUP_CLAIM could not be written: take the claim back. */
static void dmaown_ioctl_group_claim_undo(struct dmaown_file *file, void *arg)
{
	struct dmaown_group *cmd = arg;

	dmaown_group_release(file, cmd->group_id);
}

static int dmaown_ioctl_group_release(struct dmaown_file *file, void *arg)
{
	struct dmaown_group *cmd = arg;
	u64 start = ktime_get_ns();
	int ret;

	ret = dmaown_group_release(file, cmd->group_id);
	if (!ret)
		dmaown_stat_add(DMAOWN_STAT_RELEASE, start);
	return ret;
}

/* Validate the device's names: NUL-terminated, bus "" meaning "pci". */
static int dmaown_device_names(struct dmaown_device *cmd)
{
	if (cmd->__reserved)
		return -EOPNOTSUPP;
	if (!memchr(cmd->name, 0, sizeof(cmd->name)) ||
	    !memchr(cmd->bus, 0, sizeof(cmd->bus)) || !cmd->name[0])
		return -EINVAL;
	if (!cmd->bus[0])
		strscpy(cmd->bus, "pci", sizeof(cmd->bus));
	if (!dmaown_bus_find(cmd->bus))
		return -EINVAL;
	return 0;
}

static int dmaown_ioctl_device_claim(struct dmaown_file *file, void *arg)
{
	struct dmaown_device *cmd = arg;
	struct iommu_group *group;
	struct device *dev;
	unsigned int nr;
	int ret;

	ret = dmaown_device_names(cmd);
	if (ret)
		return ret;
	dev = bus_find_device_by_name(dmaown_bus_find(cmd->bus), NULL,
				      cmd->name);
	if (!dev)
		return -ENOENT;
	group = iommu_group_get(dev);
	if (!group) {
		ret = -ENODEV;
		goto out_put_dev;
	}
	ret = dmaown_gnode_may(file->gnode, iommu_group_id(group));
	if (!ret)
		ret = dmaown_group_claim(file, group, dev, cmd->bus, cmd->name, &nr);
	if (!ret)
		cmd->out_group_id = iommu_group_id(group);
	iommu_group_put(group);
out_put_dev:
	put_device(dev);
	return ret;
}

static void dmaown_ioctl_device_claim_undo(struct dmaown_file *file, void *arg)
{
	struct dmaown_device *cmd = arg;

	dmaown_device_release(file, cmd->bus, cmd->name);
}

static int dmaown_ioctl_device_release(struct dmaown_file *file, void *arg)
{
	struct dmaown_device *cmd = arg;
	int ret;

	ret = dmaown_device_names(cmd);
	if (ret)
		return ret;
	return dmaown_device_release(file, cmd->bus, cmd->name);
}

/* The spec is a NUL-terminated string within its array. */
static int dmaown_quarantine_spec(struct dmaown_quarantine *cmd)
{
	if (!memchr(cmd->spec, 0, sizeof(cmd->spec)) || !cmd->spec[0])
		return -EINVAL;
	return 0;
}

/* The quarantine list is the admin's: not for a group node's file. */
static int dmaown_ioctl_quarantine_add(struct dmaown_file *file, void *arg)
{
	struct dmaown_quarantine *cmd = arg;

	if (file->gnode)
		return -EPERM;
	return dmaown_quarantine_spec(cmd) ?: dmaown_quarantine_add(cmd->spec);
}

static int dmaown_ioctl_quarantine_remove(struct dmaown_file *file, void *arg)
{
	struct dmaown_quarantine *cmd = arg;

	if (file->gnode)
		return -EPERM;
	return dmaown_quarantine_spec(cmd) ?: dmaown_quarantine_remove(cmd->spec);
}

/* A group node's file hears its own group only: DMAOWN_EVENTS_ALL means it. */
static int dmaown_ioctl_events_open(struct dmaown_file *file, void *arg)
{
	struct dmaown_events_open *cmd = arg;
	int ret;

	if (file->gnode && cmd->filter == DMAOWN_EVENTS_GROUP) {
		ret = dmaown_gnode_may(file->gnode, cmd->group_id);
		if (ret)
			return ret;
	}
	if (file->gnode && cmd->filter == DMAOWN_EVENTS_ALL && !cmd->group_id) {
		ret = dmaown_gnode_may(file->gnode, dmaown_gnode_id(file->gnode));
		if (ret)
			return ret;
		cmd->filter = DMAOWN_EVENTS_GROUP;
		cmd->group_id = dmaown_gnode_id(file->gnode);
	}
	return dmaown_events_open(cmd->filter, cmd->group_id);
}

union dmaown_ucmd_buffer {
	struct dmaown_info info;
	struct dmaown_group_status status;
	struct dmaown_group group;
	struct dmaown_device device;
	struct dmaown_quarantine quarantine;
	struct dmaown_events_open events;
};

/*
 * @reply: the struct is copied back on success; @undo, for an ioctl that
 * changes state, takes the change back when that copy fails. An ioctl with
 * @undo is serialised with the file's other claims and releases.
 */
struct dmaown_ioctl_op {
	unsigned int ioctl_num;
	unsigned int size;
	unsigned int min_size;
	bool serialise;
	bool reply;
	int (*execute)(struct dmaown_file *file, void *arg);
	void (*undo)(struct dmaown_file *file, void *arg);
};

#define DMAOWN_IOCTL_OP(_ioctl, _fn, _struct, _last, _serialise, _reply, _undo) \
	{                                                                  \
		.ioctl_num = _ioctl,                                       \
		.size = sizeof(_struct) +                                  \
			BUILD_BUG_ON_ZERO(sizeof(union dmaown_ucmd_buffer) < \
					  sizeof(_struct)),                \
		.min_size = offsetofend(_struct, _last),                   \
		.serialise = _serialise,                                   \
		.reply = _reply,                                           \
		.execute = _fn,                                            \
		.undo = _undo,                                             \
	}

/* clang-format off */
static const struct dmaown_ioctl_op dmaown_ioctl_ops[] = {
	DMAOWN_IOCTL_OP(DMAOWN_GET_INFO, dmaown_ioctl_get_info,
			struct dmaown_info, out_version, false, true, NULL),
	DMAOWN_IOCTL_OP(DMAOWN_GROUP_STATUS, dmaown_ioctl_group_status,
			struct dmaown_group_status, out_owner_comm, false, true, NULL),
	DMAOWN_IOCTL_OP(DMAOWN_GROUP_CLAIM, dmaown_ioctl_group_claim,
			struct dmaown_group, out_nr_devices, true, true,
			dmaown_ioctl_group_claim_undo),
	DMAOWN_IOCTL_OP(DMAOWN_GROUP_RELEASE, dmaown_ioctl_group_release,
			struct dmaown_group, out_nr_devices, true, false, NULL),
	DMAOWN_IOCTL_OP(DMAOWN_DEVICE_CLAIM, dmaown_ioctl_device_claim,
			struct dmaown_device, __reserved, true, true,
			dmaown_ioctl_device_claim_undo),
	DMAOWN_IOCTL_OP(DMAOWN_DEVICE_RELEASE, dmaown_ioctl_device_release,
			struct dmaown_device, __reserved, true, false, NULL),
	DMAOWN_IOCTL_OP(DMAOWN_QUARANTINE_ADD, dmaown_ioctl_quarantine_add,
			struct dmaown_quarantine, spec, false, false, NULL),
	DMAOWN_IOCTL_OP(DMAOWN_QUARANTINE_REMOVE, dmaown_ioctl_quarantine_remove,
			struct dmaown_quarantine, spec, false, false, NULL),
	DMAOWN_IOCTL_OP(DMAOWN_EVENTS_OPEN, dmaown_ioctl_events_open,
			struct dmaown_events_open, group_id, false, false, NULL),
};

/* clang-format on */

static const struct dmaown_ioctl_op *dmaown_ioctl_op(unsigned int cmd)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(dmaown_ioctl_ops); i++)
		if (dmaown_ioctl_ops[i].ioctl_num == cmd)
			return &dmaown_ioctl_ops[i];
	return NULL;
}

/*
 * Claims and releases of one file run one at a time (file->lock), each with
 * its reply: a second thread of the owner then finds the first one's claim
 * made, or not made, never half made, and never made and then undone
 * behind its back. Status and info need no such order.
 */
static int dmaown_ioctl_execute(const struct dmaown_ioctl_op *op,
				struct dmaown_file *file, void *arg,
				void __user *uarg, u32 size)
{
	int ret;

	if (op->serialise)
		mutex_lock(&file->lock);
	ret = op->execute(file, arg);
	if (!ret && op->reply &&
	    copy_to_user(uarg, arg, min(size, op->size))) {
		if (op->undo)
			op->undo(file, arg);
		ret = -EFAULT;
	}
	if (op->serialise)
		mutex_unlock(&file->lock);
	return ret;
}

static long dmaown_fops_ioctl(struct file *fp, unsigned int cmd,
			      unsigned long arg)
{
	struct dmaown_file *file = fp->private_data;
	const struct dmaown_ioctl_op *op;
	union dmaown_ucmd_buffer buf;
	void __user *uarg = (void __user *)arg;
	u32 size, flags;
	int ret;

	op = dmaown_ioctl_op(cmd);
	if (!op)
		return -ENOTTY;

	if (get_user(size, (u32 __user *)uarg))
		return -EFAULT;
	if (size < op->min_size)
		return -EINVAL;
	ret = copy_struct_from_user(&buf, op->size, uarg, size);
	if (ret)
		return ret;
	/* Every struct: size, then flags. No flag is defined yet. */
	flags = ((u32 *)&buf)[1];
	if (flags)
		return -EOPNOTSUPP;

	return dmaown_ioctl_execute(op, file, &buf, uarg, size);
}

static int dmaown_file_open(struct inode *inode, struct file *fp,
			    struct dmaown_gnode *gnode)
{
	struct dmaown_file *file;

	file = kzalloc(sizeof(*file), GFP_KERNEL);
	if (!file) {
		dmaown_gnode_put(gnode);
		return -ENOMEM;
	}
	dmaown_file_init(file);
	file->gnode = gnode;
	fp->private_data = file;
	return stream_open(inode, fp);
}

/*
 * Authority is the opener's, checked here once (fp->f_cred): an ioctl
 * checks only the file's scope, so a file passed to another process over a
 * unix socket (SCM_RIGHTS) works there as it did here.
 */
static int dmaown_fops_open(struct inode *inode, struct file *fp)
{
	if (!file_ns_capable(fp, &init_user_ns, CAP_SYS_ADMIN))
		return -EPERM;
	return dmaown_file_open(inode, fp, NULL);
}

/* /dev/dmaown-group/N: the node's permissions were the check. */
static int dmaown_gnode_fops_open(struct inode *inode, struct file *fp)
{
	struct dmaown_gnode *gnode = dmaown_gnode_get(inode);

	if (IS_ERR(gnode))
		return PTR_ERR(gnode);
	return dmaown_file_open(inode, fp, gnode);
}

static int dmaown_fops_release(struct inode *inode, struct file *fp)
{
	struct dmaown_file *file = fp->private_data;

	dmaown_file_release(file);
	dmaown_gnode_put(file->gnode);
	kfree(file);
	return 0;
}

/* POLLERR once a claim of this file was revoked, until it is released. */
static __poll_t dmaown_fops_poll(struct file *fp, poll_table *wait)
{
	struct dmaown_file *file = fp->private_data;

	poll_wait(fp, &file->wait, wait);
	return dmaown_file_revoked(file) ? EPOLLERR : 0;
}

static const struct file_operations dmaown_fops = {
	.owner = THIS_MODULE,
	.open = dmaown_fops_open,
	.release = dmaown_fops_release,
	.unlocked_ioctl = dmaown_fops_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.poll = dmaown_fops_poll,
};

static const struct file_operations dmaown_gnode_fops = {
	.owner = THIS_MODULE,
	.open = dmaown_gnode_fops_open,
	.release = dmaown_fops_release,
	.unlocked_ioctl = dmaown_fops_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.poll = dmaown_fops_poll,
};

static struct miscdevice dmaown_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "dmaown",
	.fops = &dmaown_fops,
	.mode = 0600,
};

int dmaown_cdev_init(void)
{
	return misc_register(&dmaown_misc);
}

void dmaown_cdev_exit(void)
{
	misc_deregister(&dmaown_misc);
}

/* The group nodes' file operations, for groupdev.c's cdev. */
const struct file_operations *dmaown_cdev_gnode_fops(void)
{
	return &dmaown_gnode_fops;
}
