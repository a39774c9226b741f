// SPDX-License-Identifier: GPL-2.0
/*
 * Events: what happens to IOMMU groups, queued to event fds
 * (DMAOWN_EVENTS_OPEN) as fixed-layout records, and fired as tracepoints
 * (dmaown_trace.h, one per type).
 *
 * A leaf: every part of dmaown may call dmaown_event_post() (the ioctl
 * layer, claims, the registry, the notifiers, the guard's kprobe handler,
 * the 5.10 shield), with any of its locks held and from atomic context. It
 * calls nothing of dmaown but audit (audit.c, another leaf), which writes
 * the records of claims, releases, revokes and quarantine changes at once:
 * those are posted in process context, with no spinlock held. A denied
 * bind, the only event posted from atomic context, is queued for audit.
 *
 * Each event fd has its own preallocated ring of DMAOWN_EVENTS_QUEUE_LEN
 * records. Posting never allocates, never sleeps and never waits for a
 * reader: a full ring drops the event and counts it, and the reader gets a
 * DMAOWN_EVENT_GAP record where the drop happened.
 *
 * Locking:
 *
 *  dmaown_evq_mutex (mutex) protects the writers of dmaown_evqs, the list
 *  of open event queues: an event fd's open and release. It is taken with
 *  no other dmaown lock held (open comes from the ioctl layer, release
 *  from the file's last fput), and nothing is taken under it but
 *  evq->lock. Posters read the list under RCU; a queue is freed after a
 *  grace period (synchronize_rcu() in the release). Whether the list is
 *  empty is read with no lock at all, as a hint (dmaown_event_wanted()).
 *
 *  evq->lock (spinlock, irqsave) protects one queue's ring, its count of
 *  dropped events and its closed flag. It is the innermost lock of the
 *  module: taken under dmaown_lock, dmaown_shield_lock, device_lock, the
 *  quarantine mutex, in the guard's kprobe pre-handler (preemption off),
 *  and nothing is taken under it. Waking readers happens after it is
 *  dropped.
 *
 *  evq->read_lock (mutex) serialises readers of one queue, so that a record
 *  leaves the ring only once it reached the reader's buffer: a failed copy
 *  loses nothing. Only read(2) takes it, and evq->lock under it.
 *
 *  Order:  (any dmaown lock) -> evq->lock;  evq->read_lock -> evq->lock;
 *          dmaown_evq_mutex -> evq->lock
 */
#include <linux/anon_inodes.h>
#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>

#include "dmaown.h"

#define CREATE_TRACE_POINTS
#include "dmaown_trace.h"

/**
 * struct dmaown_evq - one event fd's queue
 * @node: in dmaown_evqs (RCU; writers hold dmaown_evq_mutex)
 * @lock: protects @head, @len, @dropped, @gap and @closed
 * @read_lock: one reader at a time
 * @wait: readers and pollers
 * @group_id: the only group whose events are queued, or -1 for all
 * @head: index of the oldest record in @ring
 * @len: number of records in @ring
 * @dropped: events dropped since the ring was last full, for the next gap
 * @gap: the GAP record to be, while @dropped
 * @closed: no more events: read returns 0 once @ring is empty
 * @ring: the records
 */
struct dmaown_evq {
	struct list_head node;
	spinlock_t lock; /* the ring, @dropped, @gap, @closed */
	struct mutex read_lock; /* one reader: a record leaves only once copied */
	wait_queue_head_t wait;
	int group_id;
	unsigned int head;
	unsigned int len;
	u32 dropped;
	struct dmaown_event gap;
	bool closed;
	struct dmaown_event ring[DMAOWN_EVENTS_QUEUE_LEN];
};

static DEFINE_MUTEX(dmaown_evq_mutex); /* writers of dmaown_evqs */
static LIST_HEAD(dmaown_evqs);
static atomic64_t dmaown_event_seq = ATOMIC64_INIT(0);

static void dmaown_event_trace(const struct dmaown_event *ev)
{
	switch (ev->type) {
	case DMAOWN_EVENT_CLAIM:
		trace_dmaown_claim(ev);
		break;
	case DMAOWN_EVENT_RELEASE:
		trace_dmaown_release(ev);
		break;
	case DMAOWN_EVENT_REVOKE:
		trace_dmaown_revoke(ev);
		break;
	case DMAOWN_EVENT_DENIED_BIND:
		trace_dmaown_denied_bind(ev);
		break;
	case DMAOWN_EVENT_DRIVER_BOUND:
		trace_dmaown_driver_bound(ev);
		break;
	case DMAOWN_EVENT_DRIVER_UNBOUND:
		trace_dmaown_driver_unbound(ev);
		break;
	case DMAOWN_EVENT_MEMBER_ADDED:
		trace_dmaown_member_added(ev);
		break;
	case DMAOWN_EVENT_MEMBER_REMOVED:
		trace_dmaown_member_removed(ev);
		break;
	case DMAOWN_EVENT_QUARANTINE_ADD:
		trace_dmaown_quarantine_add(ev);
		break;
	case DMAOWN_EVENT_QUARANTINE_REMOVE:
		trace_dmaown_quarantine_remove(ev);
		break;
	case DMAOWN_EVENT_VFIO_TAKE:
		trace_dmaown_vfio_take(ev);
		break;
	case DMAOWN_EVENT_VFIO_LEAVE:
		trace_dmaown_vfio_leave(ev);
		break;
	}
}

/* Queue @ev on @q, or count it dropped. Context: Caller holds q->lock. */
static void dmaown_evq_push(struct dmaown_evq *q, const struct dmaown_event *ev)
{
	lockdep_assert_held(&q->lock);
	if (q->dropped && q->len < DMAOWN_EVENTS_QUEUE_LEN) {
		/* room again: the gap goes where the events were lost */
		q->gap.count = q->dropped;
		q->ring[(q->head + q->len++) % DMAOWN_EVENTS_QUEUE_LEN] = q->gap;
		q->dropped = 0;
	}
	if (q->len == DMAOWN_EVENTS_QUEUE_LEN) {
		if (!q->dropped++) {
			memset(&q->gap, 0, sizeof(q->gap));
			q->gap.size = sizeof(q->gap);
			q->gap.type = DMAOWN_EVENT_GAP;
			q->gap.seq = ev->seq;
			q->gap.time_ns = ev->time_ns;
			q->gap.group_id = ev->group_id;
		}
		return;
	}
	q->ring[(q->head + q->len++) % DMAOWN_EVENTS_QUEUE_LEN] = *ev;
}

/**
 * dmaown_event_post() - an event happened: fire its tracepoint, queue it
 * @ev: the record, with @type, @group_id and what the type carries set;
 *	@size, @seq and @time_ns are filled here. Unused fields must be zero.
 *
 * A caller that builds @ev itself asks dmaown_event_wanted() first.
 *
 * Context: any, including the guard's kprobe pre-handler and any dmaown
 * lock held: takes each queue's spinlock only; never sleeps or allocates.
 * But the audited types other than a denied bind (claim, release, revoke,
 * quarantine add and remove) must come from process context with no
 * spinlock held: their audit record is written here.
 */
void dmaown_event_post(struct dmaown_event *ev)
{
	struct dmaown_evq *q;
	unsigned long flags;
	bool queued;

	ev->size = sizeof(*ev);
	ev->seq = atomic64_inc_return(&dmaown_event_seq);
	ev->time_ns = ktime_get_ns();
	dmaown_event_trace(ev);
	dmaown_audit_event(ev);

	rcu_read_lock();
	list_for_each_entry_rcu(q, &dmaown_evqs, node) {
		if (q->group_id >= 0 && q->group_id != ev->group_id)
			continue;
		spin_lock_irqsave(&q->lock, flags);
		queued = !q->closed;
		if (queued)
			dmaown_evq_push(q, ev);
		spin_unlock_irqrestore(&q->lock, flags);
		if (queued)
			wake_up_interruptible_poll(&q->wait, EPOLLIN | EPOLLRDNORM);
	}
	rcu_read_unlock();
}

/**
 * dmaown_event_wanted() - would an event of @type reach anyone
 * @type: enum dmaown_event_type
 *
 * The bus notifiers see every bind, unbind, add and removal of the
 * machine, and a claim or release posts its event on the ioctl's path.
 * With no event fd open, the type's tracepoint off and audit not wanting
 * it, an event is not worth building: dmaown itself reads none. A queue
 * opened while such an event is being decided on may miss it, as it would
 * if it had been opened a moment later.
 *
 * Context: any, including the guard's kprobe pre-handler.
 */
bool dmaown_event_wanted(u32 type)
{
	if (!list_empty(&dmaown_evqs) || dmaown_audit_wanted(type))
		return true;
	switch (type) {
	case DMAOWN_EVENT_CLAIM:
		return trace_dmaown_claim_enabled();
	case DMAOWN_EVENT_RELEASE:
		return trace_dmaown_release_enabled();
	case DMAOWN_EVENT_REVOKE:
		return trace_dmaown_revoke_enabled();
	case DMAOWN_EVENT_DENIED_BIND:
		return trace_dmaown_denied_bind_enabled();
	case DMAOWN_EVENT_DRIVER_BOUND:
		return trace_dmaown_driver_bound_enabled();
	case DMAOWN_EVENT_DRIVER_UNBOUND:
		return trace_dmaown_driver_unbound_enabled();
	case DMAOWN_EVENT_MEMBER_ADDED:
		return trace_dmaown_member_added_enabled();
	case DMAOWN_EVENT_MEMBER_REMOVED:
		return trace_dmaown_member_removed_enabled();
	case DMAOWN_EVENT_QUARANTINE_ADD:
		return trace_dmaown_quarantine_add_enabled();
	case DMAOWN_EVENT_QUARANTINE_REMOVE:
		return trace_dmaown_quarantine_remove_enabled();
	case DMAOWN_EVENT_VFIO_TAKE:
		return trace_dmaown_vfio_take_enabled();
	case DMAOWN_EVENT_VFIO_LEAVE:
		return trace_dmaown_vfio_leave_enabled();
	}
	return true;
}

/**
 * dmaown_event() - post an event from its parts
 * @type: enum dmaown_event_type
 * @group_id: the group
 * @device: the device's name, or NULL
 * @driver: the driver's name, or NULL
 * @error: a positive errno, or 0
 * @reason: DMAOWN_GROUP_* flags, or 0
 * @pid: the task concerned, or 0
 * @comm: its comm, or NULL
 *
 * Nothing is built when nobody would see it (dmaown_event_wanted()).
 *
 * Context: any, as dmaown_event_post(). The record lives on the stack.
 */
void dmaown_event(u32 type, int group_id, const char *device,
		  const char *driver, u32 error, u32 reason, pid_t pid,
		  const char *comm)
{
	struct dmaown_event ev;

	if (!dmaown_event_wanted(type))
		return;
	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.group_id = group_id;
	ev.error = error;
	ev.reason = reason;
	ev.pid = pid;
	if (comm)
		strscpy(ev.comm, comm, sizeof(ev.comm));
	if (device)
		strscpy(ev.device, device, sizeof(ev.device));
	if (driver)
		strscpy(ev.driver, driver, sizeof(ev.driver));
	dmaown_event_post(&ev);
}

/**
 * dmaown_events_group_gone() - group @group_id went away: its filtered
 * queues are closed (POLLHUP; read returns 0 once drained)
 * @group_id: the group
 *
 * Context: any.
 */
void dmaown_events_group_gone(int group_id)
{
	struct dmaown_evq *q;
	unsigned long flags;

	rcu_read_lock();
	list_for_each_entry_rcu(q, &dmaown_evqs, node) {
		if (q->group_id != group_id)
			continue;
		spin_lock_irqsave(&q->lock, flags);
		q->closed = true;
		spin_unlock_irqrestore(&q->lock, flags);
		wake_up_interruptible_poll(&q->wait, EPOLLIN | EPOLLHUP);
	}
	rcu_read_unlock();
}

/* Is a record (or a gap) there to read? Context: Caller holds q->lock. */
static bool dmaown_evq_ready(struct dmaown_evq *q)
{
	return q->len || q->dropped;
}

/*
 * The oldest record into *@ev, without taking it: true, or false when
 * there is none. A gap with nothing queued after it is read as it is.
 */
static bool dmaown_evq_peek(struct dmaown_evq *q, struct dmaown_event *ev)
{
	unsigned long flags;
	bool ready = true;

	spin_lock_irqsave(&q->lock, flags);
	if (q->len) {
		*ev = q->ring[q->head];
	} else if (q->dropped) {
		*ev = q->gap;
		ev->count = q->dropped;
	} else {
		ready = false;
	}
	spin_unlock_irqrestore(&q->lock, flags);
	return ready;
}

/* The record dmaown_evq_peek() gave was copied out: it leaves the queue. */
static void dmaown_evq_pop(struct dmaown_evq *q)
{
	unsigned long flags;

	spin_lock_irqsave(&q->lock, flags);
	if (q->len) {
		q->head = (q->head + 1) % DMAOWN_EVENTS_QUEUE_LEN;
		q->len--;
	} else {
		q->dropped = 0;
	}
	spin_unlock_irqrestore(&q->lock, flags);
}

static bool dmaown_evq_wakeable(struct dmaown_evq *q)
{
	unsigned long flags;
	bool ret;

	spin_lock_irqsave(&q->lock, flags);
	ret = dmaown_evq_ready(q) || q->closed;
	spin_unlock_irqrestore(&q->lock, flags);
	return ret;
}

static ssize_t dmaown_evq_read(struct file *fp, char __user *buf, size_t count,
			       loff_t *ppos)
{
	struct dmaown_evq *q = fp->private_data;
	struct dmaown_event ev;
	ssize_t done = 0;
	int ret;

	if (count < sizeof(ev))
		return -EINVAL;
	if (mutex_lock_interruptible(&q->read_lock))
		return -EINTR;
	while (count - done >= sizeof(ev)) {
		if (!dmaown_evq_peek(q, &ev)) {
			if (done || READ_ONCE(q->closed))
				break;
			if (fp->f_flags & O_NONBLOCK) {
				done = -EAGAIN;
				break;
			}
			mutex_unlock(&q->read_lock);
			ret = wait_event_interruptible(q->wait, dmaown_evq_wakeable(q));
			if (ret)
				return ret;
			if (mutex_lock_interruptible(&q->read_lock))
				return -EINTR;
			continue;
		}
		if (copy_to_user(buf + done, &ev, sizeof(ev))) {
			if (!done)
				done = -EFAULT;
			break;
		}
		dmaown_evq_pop(q);
		done += sizeof(ev);
	}
	mutex_unlock(&q->read_lock);
	return done;
}

static __poll_t dmaown_evq_poll(struct file *fp, poll_table *wait)
{
	struct dmaown_evq *q = fp->private_data;
	unsigned long flags;
	__poll_t mask = 0;

	poll_wait(fp, &q->wait, wait);
	spin_lock_irqsave(&q->lock, flags);
	if (dmaown_evq_ready(q))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (q->closed)
		mask |= EPOLLHUP;
	spin_unlock_irqrestore(&q->lock, flags);
	return mask;
}

static int dmaown_evq_release(struct inode *inode, struct file *fp)
{
	struct dmaown_evq *q = fp->private_data;

	mutex_lock(&dmaown_evq_mutex);
	list_del_rcu(&q->node);
	mutex_unlock(&dmaown_evq_mutex);
	/* posters may still be looking at it */
	synchronize_rcu();
	kvfree(q);
	return 0;
}

static const struct file_operations dmaown_evq_fops = {
	.owner = THIS_MODULE,
	.read = dmaown_evq_read,
	.poll = dmaown_evq_poll,
	.release = dmaown_evq_release,
	.llseek = noop_llseek,
};

/**
 * dmaown_events_open() - DMAOWN_EVENTS_OPEN: a new event fd
 * @filter: enum dmaown_events_filter
 * @group_id: with DMAOWN_EVENTS_GROUP, the group
 *
 * Context: process context; takes dmaown_evq_mutex; may sleep.
 * Return: the new fd; -EINVAL for a bad filter; -ENOMEM, -EMFILE.
 */
int dmaown_events_open(u32 filter, u32 group_id)
{
	struct dmaown_evq *q;
	int fd;

	if (filter == DMAOWN_EVENTS_ALL && group_id)
		return -EINVAL;
	if (filter == DMAOWN_EVENTS_GROUP && group_id > INT_MAX)
		return -EINVAL;
	if (filter != DMAOWN_EVENTS_ALL && filter != DMAOWN_EVENTS_GROUP)
		return -EINVAL;
	q = kvzalloc(sizeof(*q), GFP_KERNEL);
	if (!q)
		return -ENOMEM;
	spin_lock_init(&q->lock);
	mutex_init(&q->read_lock);
	init_waitqueue_head(&q->wait);
	q->group_id = filter == DMAOWN_EVENTS_GROUP ? group_id : -1;
	/* On the list before the fd exists: its release always finds it. */
	mutex_lock(&dmaown_evq_mutex);
	list_add_tail_rcu(&q->node, &dmaown_evqs);
	mutex_unlock(&dmaown_evq_mutex);
	fd = anon_inode_getfd("[dmaown-events]", &dmaown_evq_fops, q,
			      O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		mutex_lock(&dmaown_evq_mutex);
		list_del_rcu(&q->node);
		mutex_unlock(&dmaown_evq_mutex);
		synchronize_rcu();
		kvfree(q);
	}
	return fd;
}
