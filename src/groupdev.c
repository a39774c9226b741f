// SPDX-License-Identifier: GPL-2.0
/*
 * Group nodes: /dev/dmaown-group/N, one per IOMMU group on the buses dmaown
 * watches, the way /dev/vfio/N works. Opening one needs only the node's
 * permission: its owner, mode and ACL (a udev rule, chown, setfacl) are the
 * whole delegation policy. The open file is scoped to group N (cdev.c
 * checks each ioctl against the scope); nothing is checked again after
 * open, so a file passed over a unix socket works in its receiver.
 *
 * Nodes follow groups. dmaown_groupdev_sync() compares the groups that
 * exist with the nodes, removes the nodes of groups that are gone and makes
 * the missing ones; it runs at load, and from a work item that the bus
 * notifiers kick when a device joined a bus or finished leaving it. A group
 * that emptied is also marked gone at once (dmaown_groupdev_gone(), called
 * by claims under dmaown_lock), so that a file opened on it refuses its
 * ioctls (ENODEV) even if a new group takes the same number before the
 * work has run. The minor number is the group's id.
 *
 * Why a number is never taken by a new group while a file of the old one
 * still sees it live: the old group's node is marked gone at its last
 * member's BUS_NOTIFY_REMOVED_DEVICE, and a new group can take the number
 * only at a later BUS_NOTIFY_ADD_DEVICE (PCI adds and removes devices one
 * at a time, under pci_rescan_remove_lock). The ioctl layer checks the
 * scope again once it holds the group it found.
 *
 * It calls the registry (the groups that exist) and the driver core; the
 * ioctl layer (open) and the notifiers call it.
 *
 * Locking:
 *
 *  dmaown_gnode_mutex (mutex) serialises the sync, the only writer of the
 *  set of nodes (making and removing their devices), and init and exit.
 *  It is never taken with another dmaown lock held, and takes none under
 *  it but the xarray's own.
 *
 *  dmaown_gnodes' xa_lock (spinlock) protects the lookup of a node by
 *  number and the reference an open takes on it; node->gone is written
 *  under it. dmaown_groupdev_gone() takes it under dmaown_lock.
 *
 *  Order:  dmaown_lock -> xa_lock(dmaown_gnodes);
 *          dmaown_gnode_mutex -> xa_lock(dmaown_gnodes)
 */
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/kdev_t.h>
#include <linux/kref.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "dmaown.h"

/**
 * struct dmaown_gnode - the node of one IOMMU group
 * @kref: the sync's reference while the node is in dmaown_gnodes, and one
 *	per open file
 * @id: the group's id, and the node's minor number
 * @gone: the group went away (READ_ONCE; written under the xa_lock)
 * @dev: the class device (the sync's), NULL until it is made
 */
struct dmaown_gnode {
	struct kref kref;
	int id;
	bool gone;
	struct device *dev;
};

static DEFINE_MUTEX(dmaown_gnode_mutex); /* the sync: the writer of dmaown_gnodes */
static DEFINE_XARRAY(dmaown_gnodes);     /* group id -> struct dmaown_gnode */
static dev_t dmaown_gnode_devt;
static struct cdev dmaown_gnode_cdev;
static bool dmaown_gnodes_ready;         /* dmaown_gnode_mutex */
static bool dmaown_groupdev_up;          /* init succeeded */

static char *dmaown_gnode_devnode(dmaown_devnode_device *dev, umode_t *mode)
{
	return kasprintf(GFP_KERNEL, "dmaown-group/%s", dev_name(dev));
}

static struct class dmaown_gnode_class = {
	.name = "dmaown-group",
	.devnode = dmaown_gnode_devnode,
};

static void dmaown_gnode_free(struct kref *kref)
{
	kfree(container_of(kref, struct dmaown_gnode, kref));
}

/* Mark the node gone and take it out of the set. dmaown_gnode_mutex. */
static void dmaown_gnode_remove(struct dmaown_gnode *node)
{
	lockdep_assert_held(&dmaown_gnode_mutex);
	xa_lock(&dmaown_gnodes);
	WRITE_ONCE(node->gone, true);
	__xa_erase(&dmaown_gnodes, node->id);
	xa_unlock(&dmaown_gnodes);
	device_destroy(&dmaown_gnode_class, MKDEV(MAJOR(dmaown_gnode_devt), node->id));
	kref_put(&node->kref, dmaown_gnode_free);
}

static void dmaown_gnode_make(int id)
{
	struct dmaown_gnode *node;
	struct device *dev;

	lockdep_assert_held(&dmaown_gnode_mutex);
	if (id > MINORMASK) {
		pr_warn_once("group %d: no %s node: its number is past the last minor\n",
			     id, dmaown_gnode_class.name);
		return;
	}
	node = kzalloc(sizeof(*node), GFP_KERNEL);
	if (!node)
		return;
	kref_init(&node->kref);
	node->id = id;
	/* in the set before its device node exists: every open finds it */
	if (xa_err(xa_store(&dmaown_gnodes, id, node, GFP_KERNEL))) {
		kfree(node);
		return;
	}
	dev = device_create(&dmaown_gnode_class, NULL,
			    MKDEV(MAJOR(dmaown_gnode_devt), id), NULL, "%d", id);
	if (IS_ERR(dev)) {
		pr_warn("group %d: no %s node: %ld\n", id, dmaown_gnode_class.name,
			PTR_ERR(dev));
		xa_erase(&dmaown_gnodes, id);
		kfree(node);
		return;
	}
	node->dev = dev;
}

/*
 * Bring the nodes in line with the groups that exist now: remove the nodes
 * of groups that went away (or were marked gone), then make the missing.
 */
static void dmaown_groupdev_sync(void)
{
	struct dmaown_gnode *node;
	struct xarray present;
	unsigned long id;
	void *entry;

	xa_init(&present);
	mutex_lock(&dmaown_gnode_mutex);
	if (!dmaown_gnodes_ready)
		goto out_unlock;
	if (dmaown_groups_present(&present)) {
		/* no memory: keep the nodes as they are, try at the next change */
		xa_destroy(&present);
		goto out_unlock;
	}
	xa_for_each(&dmaown_gnodes, id, node)
		if (READ_ONCE(node->gone) || !xa_load(&present, id))
			dmaown_gnode_remove(node);
	xa_for_each(&present, id, entry)
		if (!xa_load(&dmaown_gnodes, id))
			dmaown_gnode_make(id);
	xa_destroy(&present);
out_unlock:
	mutex_unlock(&dmaown_gnode_mutex);
}

static void dmaown_groupdev_work_fn(struct work_struct *work)
{
	dmaown_groupdev_sync();
}

static DECLARE_WORK(dmaown_groupdev_work, dmaown_groupdev_work_fn);

/**
 * dmaown_groupdev_kick() - a device joined a bus or left it: bring the
 * nodes in line, soon
 *
 * Context: any process context.
 */
void dmaown_groupdev_kick(void)
{
	schedule_work(&dmaown_groupdev_work);
}

/**
 * dmaown_groupdev_gone() - group @id emptied: its node refuses what it is
 * asked from now on, and goes away at the next sync
 * @id: the group's id
 *
 * Context: process context; takes the xarray's spinlock (claims call it
 * under dmaown_lock).
 */
void dmaown_groupdev_gone(int id)
{
	struct dmaown_gnode *node;

	xa_lock(&dmaown_gnodes);
	node = xa_load(&dmaown_gnodes, id);
	if (node)
		WRITE_ONCE(node->gone, true);
	xa_unlock(&dmaown_gnodes);
	dmaown_groupdev_kick();
}

/**
 * dmaown_gnode_get() - the node behind an open of /dev/dmaown-group/N
 * @inode: the opened inode
 *
 * Context: process context.
 * Return: a referenced node; ERR_PTR(-ENODEV) when its group is gone.
 */
struct dmaown_gnode *dmaown_gnode_get(struct inode *inode)
{
	struct dmaown_gnode *node;

	xa_lock(&dmaown_gnodes);
	node = xa_load(&dmaown_gnodes, iminor(inode));
	if (node && !READ_ONCE(node->gone))
		kref_get(&node->kref);
	else
		node = ERR_PTR(-ENODEV);
	xa_unlock(&dmaown_gnodes);
	return node;
}

/**
 * dmaown_gnode_put() - an open file lets go of its node
 * @node: the node, or NULL (an admin file)
 */
void dmaown_gnode_put(struct dmaown_gnode *node)
{
	if (node)
		kref_put(&node->kref, dmaown_gnode_free);
}

/**
 * dmaown_gnode_may() - may a file opened on @node act on group @id?
 * @node: the file's node, or NULL for /dev/dmaown (every group)
 * @id: the group asked for
 *
 * Return: 0; -EACCES for another group; -ENODEV when @node's group is gone.
 */
int dmaown_gnode_may(const struct dmaown_gnode *node, u32 id)
{
	if (!node)
		return 0;
	if (READ_ONCE(node->gone))
		return -ENODEV;
	return node->id == id ? 0 : -EACCES;
}

/**
 * dmaown_gnode_id() - the group of a file's node
 * @node: the node, or NULL
 *
 * Return: its group's id, or -1 for NULL (every group).
 */
int dmaown_gnode_id(const struct dmaown_gnode *node)
{
	return node ? node->id : -1;
}

int dmaown_groupdev_init(const struct file_operations *fops)
{
	int ret;

	ret = alloc_chrdev_region(&dmaown_gnode_devt, 0, MINORMASK + 1,
				  dmaown_gnode_class.name);
	if (ret)
		return ret;
	ret = class_register(&dmaown_gnode_class);
	if (ret)
		goto err_region;
	cdev_init(&dmaown_gnode_cdev, fops);
	dmaown_gnode_cdev.owner = THIS_MODULE;
	ret = cdev_add(&dmaown_gnode_cdev, dmaown_gnode_devt, MINORMASK + 1);
	if (ret)
		goto err_class;
	mutex_lock(&dmaown_gnode_mutex);
	dmaown_gnodes_ready = true;
	mutex_unlock(&dmaown_gnode_mutex);
	dmaown_groupdev_up = true;
	dmaown_groupdev_sync();
	return 0;

err_class:
	class_unregister(&dmaown_gnode_class);
err_region:
	unregister_chrdev_region(dmaown_gnode_devt, MINORMASK + 1);
	return ret;
}

/*
 * After the notifiers are gone: nothing kicks the work any more. Open
 * files pin the module (the cdev's owner), so none is left. Also called
 * when the module's init failed, before or after dmaown_groupdev_init():
 * a kick may have queued the work either way.
 */
void dmaown_groupdev_exit(void)
{
	struct dmaown_gnode *node;
	unsigned long id;

	mutex_lock(&dmaown_gnode_mutex);
	dmaown_gnodes_ready = false;
	mutex_unlock(&dmaown_gnode_mutex);
	cancel_work_sync(&dmaown_groupdev_work);
	if (!dmaown_groupdev_up)
		return;
	dmaown_groupdev_up = false;
	mutex_lock(&dmaown_gnode_mutex);
	xa_for_each(&dmaown_gnodes, id, node)
		dmaown_gnode_remove(node);
	mutex_unlock(&dmaown_gnode_mutex);
	cdev_del(&dmaown_gnode_cdev);
	class_unregister(&dmaown_gnode_class);
	unregister_chrdev_region(dmaown_gnode_devt, MINORMASK + 1);
}
