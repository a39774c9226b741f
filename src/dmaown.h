/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dmaown private types, and the prototypes of each part, from the bottom
 * up: the registry, claims, viability, status, then the entry points (the
 * calls run the other way: see the README's layout). The backend is
 * owner.h.
 *
 * Locking:
 *
 *  dmaown_lock (mutex, registry.c) protects the set of claims: the owned hash
 *  (writers), the group map (id -> group; see registry.c for the lifetime
 *  of its references), every struct dmaown_claim field but the RCU list linkage
 *  reads, every dmaown_file's claim list, the list of claims dmaown holds
 *  itself, the list of wounded groups (groups that lost a member) and the
 *  list of devices on their way out (between BUS_NOTIFY_DEL_DEVICE and the
 *  IOMMU core's removal at BUS_NOTIFY_REMOVED_DEVICE), and the writers of
 *  the list of misfits (devices that joined a group while it was owned,
 *  RCU-read by the guard), and on kernels without core DMA ownership the
 *  blocking domain all owned PCI groups share (compat/owner_legacy.c). It
 *  is taken by the ioctls, by file release and by the bus notifiers.
 *
 *  dmaown_file.lock (mutex) serialises one file's claims and releases, with
 *  the copy of their reply back to the caller (and its undo when that copy
 *  fails), so that two threads of one owner never see each other's claim
 *  half made. Only the ioctls take it; notifiers never do.
 *
 *  Order:  file->lock -> device_lock(dev) -> dmaown_lock -> group->mutex
 *
 *  dmaown_shield_lock (mutex, compat/shield_legacy.c; kernels without core
 *  DMA ownership) protects the writers of the list of groups VFIO holds
 *  and each record's domain. It is taken in VFIO's own calls to
 *  iommu_attach_group()/iommu_detach_group() (with VFIO's container and
 *  type1 locks held), in the ADD_DEVICE notifier before dmaown_lock, and
 *  at exit; never with a dmaown lock held, and never under device_lock.
 *  Under it the attach check takes device_lock of each member.
 *
 *  Order:  dmaown_shield_lock -> device_lock(dev) -> dmaown_lock -> group->mutex
 *  (the attach wrapper lets a quarantine hold go under dmaown_lock)
 *
 *  The guard reads the list under RCU (records are freed with kfree_rcu()).
 *
 *  The bus notifiers run with device_lock held for the bind/unbind events,
 *  so nothing may take device_lock while holding dmaown_lock. The legacy
 *  claim (kernels without core DMA ownership) therefore publishes its claim,
 *  drops dmaown_lock, walks the group's devices under device_lock, and takes
 *  dmaown_lock again to attach the blocking domain; a failed one retries the
 *  binds it turned away with no dmaown lock held.
 *  iommu_group_for_each_dev() calls back with group->mutex held: the
 *  callbacks only take device references, never a lock.
 *
 *  The owned hash is read under RCU by the probe guard: its kprobe
 *  pre-handler runs with preemption disabled and may neither sleep nor take
 *  a mutex. It compares dev->iommu_group with claim->group and reads the
 *  claim's id, pid and comm, which never change after publication, and
 *  claim->active and claim->file with READ_ONCE (written with WRITE_ONCE
 *  under dmaown_lock); it sets claim->denied with WRITE_ONCE. Claims are
 *  freed with kfree_rcu(), and module exit waits for a tasks-RCU grace
 *  period after unregistering the kprobe, so that no task is left inside
 *  the guard's code.
 *
 *  Events (events.c) are a leaf: dmaown_event() may be called with any of
 *  the locks above held, and from the guard's pre-handler. Its own locks
 *  (dmaown_evq_mutex, the list of event queues, taken with no other dmaown
 *  lock held; evq->read_lock, one queue's readers; evq->lock, a spinlock
 *  taken irqsave on one queue's preallocated ring) come after every other
 *  lock, evq->lock innermost; the list is read under RCU. See events.c.
 *
 *  Order:  any lock above -> evq->lock
 *
 *  Audit (audit.c) is a leaf of events: dmaown_audit_lock, a spinlock on
 *  its ring of denied binds, is taken in the guard's pre-handler and in its
 *  work item, under no lock but the guard's context; nothing under it.
 *
 *  Group nodes (groupdev.c): dmaown_gnode_mutex, taken by its sync work
 *  with no other dmaown lock held; the xa_lock of its nodes, taken under
 *  dmaown_lock when a group empties. See groupdev.c.
 */
#ifndef _DMAOWN_H
#define _DMAOWN_H

#include <linux/device.h>
#include <linux/fs.h>
#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <uapi/linux/dmaown.h>

struct dmaown_file;
struct dmaown_gnode;
struct xarray;

/**
 * struct dmaown_claim_dev - a device claimed by DEVICE_CLAIM
 * @node: in dmaown_claim.devices
 * @dev: the device, referenced
 * @bus: its bus name, as given
 * @name: its name
 */
struct dmaown_claim_dev {
	struct list_head node;
	struct device *dev;
	char bus[DMAOWN_BUS_LEN];
	char name[DMAOWN_NAME_LEN];
};

/**
 * struct dmaown_claim - a group owned by one dmaown file
 * @node: in the owned hash while published (RCU; writers hold dmaown_lock)
 * @file_node: in @file's claim list, until released
 * @group: the IOMMU group, referenced
 * @file: the owning file
 * @id: iommu_group_id() of @group
 * @pid: pid of the task that claimed it, for logs and status
 * @comm: that task's comm
 * @group_claimed: this file holds a GROUP_CLAIM on the group
 * @devices: struct dmaown_claim_dev, this file's DEVICE_CLAIMs in the group
 * @active: the group is owned in the IOMMU layer (on the blocking domain);
 *	a claim that is no longer active is a tombstone, kept so that the
 *	owner learns what happened (its group went away)
 * @stale: group membership changed while a legacy claim was in progress
 * @denied: the guard turned a bind away while the claim was being made
 * @member_gone: a member finished leaving the group while it was owned
 * @flags: DMAOWN_GROUP_REVOKED and why (enum dmaown_group_flags); a
 *	revoked claim keeps its group blocked until its owner releases it
 * @domain: the blocking domain the group is on (legacy ownership only:
 *	the shared one for a PCI group)
 * @rcu: for kfree_rcu()
 *
 * @file is NULL once dmaown holds the claim itself (DMAOWN_GROUP_HELD);
 * @file_node is then on the list of held claims.
 */
struct dmaown_claim {
	struct hlist_node node;
	struct list_head file_node;
	struct iommu_group *group;
	struct dmaown_file *file;
	int id;
	pid_t pid;
	char comm[TASK_COMM_LEN];
	bool group_claimed;
	struct list_head devices;
	bool active;
	bool stale;
	bool denied;
	bool member_gone;
	u32 flags;
	struct iommu_domain *domain;
	struct rcu_head rcu;
};

/**
 * struct dmaown_file - one open of /dev/dmaown or of a group node
 * @lock: serialises this file's claim and release ioctls
 * @claims: struct dmaown_claim.file_node (dmaown_lock)
 * @nr_revoked: number of revoked claims (tombstones) on @claims
 * @wait: poll() waiters, woken on revocation
 * @gnode: the group node it was opened on (its only group), or NULL for
 *	/dev/dmaown (every group, and the admin's ioctls); set at open
 */
struct dmaown_file {
	struct mutex lock; /* one claim or release of this file at a time */
	struct list_head claims;
	unsigned int nr_revoked;
	wait_queue_head_t wait;
	struct dmaown_gnode *gnode;
};

/**
 * struct dmaown_qentry - one entry of the quarantine list (registry.c)
 * @node: in the registry's list (dmaown_lock)
 * @by_id: match @vendor:@device, else @domain:@bus:@devfn
 * @domain: PCI domain
 * @bus: bus number
 * @devfn: device and function
 * @vendor: PCI vendor ID
 * @device: PCI device ID
 * @spec: the entry in canonical form ("0000:03:00.0", "1234:11e8")
 */
struct dmaown_qentry {
	struct list_head node;
	bool by_id;
	u32 domain;
	u8 bus;
	u8 devfn;
	u16 vendor;
	u16 device;
	char spec[DMAOWN_SPEC_LEN];
};

#define DMAOWN_MAX_QENTRIES 32

/**
 * struct dmaown_qgroup - a quarantined group (registry.c)
 * @node: in the registry's list (RCU; writers hold dmaown_lock)
 * @group: the group, referenced
 * @id: its id
 * @translated: its default domain translates (DMA or DMA-FQ), as last seen
 *	while it was on it: a hand-off to VFIO passes through no identity
 *	domain (DMAOWN_GROUP_ZERO_WINDOW)
 * @handed_off: dmaown let go of it for VFIO (DMAOWN_GROUP_HANDED_OFF)
 * @told: the reason it waits was logged
 * @rcu: for kfree_rcu()
 */
struct dmaown_qgroup {
	struct list_head node;
	struct iommu_group *group;
	int id;
	bool translated;
	bool handed_off;
	bool told;
	struct rcu_head rcu;
};

#define DMAOWN_NR_BUSES 2

/* main.c: module parameters */
bool dmaown_safe_driver_listed(const char *name);
bool dmaown_safe_drivers_set(void);

/* registry.c: groups by id, and what dmaown knows of each */
extern struct mutex dmaown_lock;
struct iommu_group *dmaown_group_find(unsigned int id);
void dmaown_group_map_init(void);
void dmaown_group_map_add(struct iommu_group *group);
void dmaown_group_map_prune(void);
int dmaown_groups_present(struct xarray *ids);
dmaown_bus_type *dmaown_bus_find(const char *name);
dmaown_bus_type *dmaown_bus_get(unsigned int i);
unsigned int dmaown_group_nr_devices(struct iommu_group *group);
struct dmaown_claim *dmaown_owned_lookup_rcu(struct iommu_group *group);
void dmaown_owned_publish(struct dmaown_claim *claim);
void dmaown_owned_unpublish(struct dmaown_claim *claim);
void dmaown_owned_for_each(void (*fn)(struct dmaown_claim *claim, void *data), void *data);
bool dmaown_dev_owned(struct device *dev);
int dmaown_group_owner(struct dmaown_file *file, struct iommu_group *group,
		       pid_t *pid, char *comm, u32 *flags);
bool dmaown_group_wounded(struct iommu_group *group);
void dmaown_wound_add(struct iommu_group *group);
void dmaown_wound_heal(struct iommu_group *group);
bool dmaown_group_leaving(struct iommu_group *group);
bool dmaown_group_changing(struct iommu_group *group);
bool dmaown_group_can_return(struct iommu_group *group);
void dmaown_joining_add(struct device *dev);
void dmaown_joining_done(struct device *dev);
void dmaown_leaving_add(struct iommu_group *group, struct device *dev);
struct iommu_group *dmaown_leaving_gone(struct device *dev);
void dmaown_leaving_done(struct device *dev);
bool dmaown_device_misfit_rcu(struct device *dev);
void dmaown_misfit_add(struct device *dev);
void dmaown_misfit_del(struct device *dev);
void dmaown_misfit_settle(struct iommu_group *group, int id);
bool dmaown_qentry_match(const struct dmaown_qentry *e, struct device *dev);
struct dmaown_qentry *dmaown_qentry_find(const char *spec);
void dmaown_qentry_add(struct dmaown_qentry *e);
void dmaown_qentry_del(struct dmaown_qentry *e);
struct list_head *dmaown_qentries(void);
unsigned int dmaown_nr_qentries(void);
bool dmaown_dev_quarantined(struct device *dev);
bool dmaown_group_quarantined_without(struct iommu_group *group, struct device *except);
struct dmaown_qgroup *dmaown_qgroup_find(struct iommu_group *group);
struct dmaown_qgroup *dmaown_qgroup_get(struct iommu_group *group);
void dmaown_qgroup_del(struct dmaown_qgroup *q);
void dmaown_qgroup_for_each(void (*fn)(struct dmaown_qgroup *q, void *data), void *data);
void dmaown_owned_replace(struct dmaown_claim *old, struct dmaown_claim *new);
void dmaown_registry_exit(void);

/* claim.c: claims */
void dmaown_file_init(struct dmaown_file *file);
void dmaown_file_release(struct dmaown_file *file);
bool dmaown_file_revoked(struct dmaown_file *file);
int dmaown_group_claim(struct dmaown_file *file, struct iommu_group *group,
		       struct device *dev, const char *bus, const char *name,
		       unsigned int *nr_devices);
int dmaown_group_release(struct dmaown_file *file, unsigned int id);
int dmaown_device_release(struct dmaown_file *file, const char *bus,
			  const char *name);
void dmaown_guard_check(void);
void dmaown_quarantine_settle(struct dmaown_qgroup *q, bool may_take,
			      struct dmaown_claim **failed);
void dmaown_quarantine_settled(struct dmaown_claim *failed);
void dmaown_quarantine_lift(struct dmaown_qgroup *q);
void dmaown_quarantine_vfio_attach(struct iommu_group *group);
void dmaown_quarantine_vfio_detached(struct iommu_group *group);
bool dmaown_quarantine_busy(struct dmaown_qgroup *q);

/* when a bus notifier runs, relative to the IOMMU core's and drivers' */
enum dmaown_event_when {
	DMAOWN_EVENT_EARLY,
	DMAOWN_EVENT_LATE,
	DMAOWN_EVENT_FINAL,
};

void dmaown_bus_event(struct device *dev, unsigned long action,
		      enum dmaown_event_when when);

/* quarantine.c: the quarantine list (module parameter, ioctls) */
int dmaown_quarantine_init(void);
void dmaown_quarantine_exit(void);
int dmaown_quarantine_add(const char *spec);
int dmaown_quarantine_remove(const char *spec);
void dmaown_quarantine_bus_event(struct device *dev, unsigned long action);
bool dmaown_handoff_window(void);
void dmaown_quarantine_kick(void);

/* viability.c: a group's devices and their drivers */
int dmaown_group_devices(struct iommu_group *group, struct device ***devsp);
void dmaown_put_devices(struct device **devs, int n);
int dmaown_device_look(struct device *dev, struct dmaown_device_info *info);
int dmaown_group_check_viable(struct iommu_group *group);

/* status.c */
int dmaown_group_status(struct dmaown_file *file,
			struct dmaown_group_status *st);

/* cdev.c */
int dmaown_cdev_init(void);
void dmaown_cdev_exit(void);
const struct file_operations *dmaown_cdev_gnode_fops(void);

/* groupdev.c: the group nodes, /dev/dmaown-group/N */
int dmaown_groupdev_init(const struct file_operations *fops);
void dmaown_groupdev_exit(void);
void dmaown_groupdev_kick(void);
void dmaown_groupdev_gone(int id);
struct dmaown_gnode *dmaown_gnode_get(struct inode *inode);
void dmaown_gnode_put(struct dmaown_gnode *node);
int dmaown_gnode_may(const struct dmaown_gnode *node, u32 id);
int dmaown_gnode_id(const struct dmaown_gnode *node);

/* stats.c: timing for the benchmarks (debugfs) */
enum dmaown_stat {
	DMAOWN_STAT_CLAIM,
	DMAOWN_STAT_CLAIM_CORE,
	DMAOWN_STAT_RELEASE,
	DMAOWN_STAT_RELEASE_CORE,
	DMAOWN_NR_STATS,
};

void dmaown_stat_add(enum dmaown_stat stat, u64 start);
void dmaown_stats_init(void);
void dmaown_stats_exit(void);

/* guard.c */
int dmaown_guard_init(void);
void dmaown_guard_exit(void);
bool dmaown_guard_armed(void);

/* events.c: event fds and tracepoints; a leaf everyone may call */
bool dmaown_event_wanted(u32 type);
void dmaown_event_post(struct dmaown_event *ev);
void dmaown_event(u32 type, int group_id, const char *device,
		  const char *driver, u32 error, u32 reason, pid_t pid,
		  const char *comm);
void dmaown_events_group_gone(int group_id);
int dmaown_events_open(u32 filter, u32 group_id);

/* audit.c: audit records of events; a leaf */
bool dmaown_audit_wanted(u32 type);
void dmaown_audit_event(const struct dmaown_event *ev);
void dmaown_audit_exit(void);

/* notifier.c */
int dmaown_notifier_init(void);
void dmaown_notifier_exit(void);

#endif /* _DMAOWN_H */
