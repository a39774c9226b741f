// SPDX-License-Identifier: GPL-2.0
/*
 * Audit: an AUDIT_KERNEL_OTHER record for each claim, release, revoke,
 * quarantine change and denied bind, while audit is enabled (audit=1 on
 * the command line, or auditd turned it on). events.c hands it every event
 * it posts (dmaown_audit_event()); it is a leaf, and calls nothing of
 * dmaown.
 *
 *   type=KERNEL_OTHER ... op=claim grp=5 dev="0000:00:03.0" res=1 ...
 *
 * The record names the task that made the change. Claims, releases,
 * revokes and quarantine changes are posted in process context by that
 * task (the ioctl's caller, the closing owner, the task that unplugged or
 * bound a device), with mutexes held at most: their record is written at
 * once, with audit_log_task_info(). It never waits for auditd's backlog
 * (GFP_NOWAIT): a record the audit queue cannot take is counted lost by
 * audit itself. A denied bind is posted by the guard's kprobe handler,
 * where nothing may sleep or allocate: the binder's identity (pid, uid,
 * auid, ses, comm) is queued with the event in a preallocated ring, and a
 * work item writes the record. A full ring drops the record; the next
 * record says how many were dropped.
 *
 * Locking: dmaown_audit_lock (spinlock, irqsave) protects the ring and its
 * count of dropped records. It is taken in the guard's kprobe handler and
 * by the work item, and nothing is taken under it; like evq->lock, it
 * comes after every other lock of the module.
 */
#include <linux/audit.h>
#include <linux/cred.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uidgid.h>
#include <linux/workqueue.h>

#include "dmaown.h"

#define DMAOWN_AUDIT_QUEUE_LEN 32

/* A denied bind, waiting for the work item, with the binder's identity. */
struct dmaown_audit_rec {
	struct dmaown_event ev;
	pid_t pid;
	uid_t uid;
	uid_t auid;
	unsigned int ses;
	char comm[TASK_COMM_LEN];
};

static DEFINE_SPINLOCK(dmaown_audit_lock); /* the ring, @dmaown_audit_dropped */
static struct dmaown_audit_rec dmaown_audit_ring[DMAOWN_AUDIT_QUEUE_LEN];
static unsigned int dmaown_audit_head, dmaown_audit_len, dmaown_audit_dropped;

static const char *dmaown_audit_op(u32 type)
{
	switch (type) {
	case DMAOWN_EVENT_CLAIM:
		return "claim";
	case DMAOWN_EVENT_RELEASE:
		return "release";
	case DMAOWN_EVENT_REVOKE:
		return "revoke";
	case DMAOWN_EVENT_DENIED_BIND:
		return "denied-bind";
	case DMAOWN_EVENT_QUARANTINE_ADD:
		return "quarantine-add";
	case DMAOWN_EVENT_QUARANTINE_REMOVE:
		return "quarantine-remove";
	}
	return NULL;
}

/**
 * dmaown_audit_wanted() - would an event of @type be audited now
 * @type: enum dmaown_event_type
 *
 * Context: any.
 */
bool dmaown_audit_wanted(u32 type)
{
	return audit_enabled && dmaown_audit_op(type);
}

/*
 * key="value" when the value is plain printable text, else key=HEX, as the
 * audit subsystem writes untrusted strings (audit_log_n_untrustedstring()
 * is not exported to modules).
 */
static void dmaown_audit_str(struct audit_buffer *ab, const char *key,
			     const char *s, size_t max)
{
	size_t i, len = strnlen(s, max);

	for (i = 0; i < len; i++)
		if (s[i] == '"' || s[i] < 0x21 || s[i] > 0x7e)
			break;
	if (i == len)
		audit_log_format(ab, " %s=\"%.*s\"", key, (int)len, s);
	else
		audit_log_format(ab, " %s=%*phN", key, (int)len, s);
}

/* The event's own fields, common to both kinds of record. */
static void dmaown_audit_fields(struct audit_buffer *ab,
				const struct dmaown_event *ev, const char *op)
{
	audit_log_format(ab, "op=%s grp=%d", op, ev->group_id);
	if (ev->device[0])
		dmaown_audit_str(ab, "dev", ev->device, sizeof(ev->device));
	if (ev->driver[0])
		dmaown_audit_str(ab, "drv", ev->driver, sizeof(ev->driver));
	if (ev->pid)
		audit_log_format(ab, " owner_pid=%u", ev->pid);
	if (ev->comm[0])
		dmaown_audit_str(ab, "owner_comm", ev->comm, sizeof(ev->comm));
	audit_log_format(ab, " reason=0x%x err=%u res=%d", ev->reason, ev->error,
			 ev->type != DMAOWN_EVENT_DENIED_BIND);
}

static void dmaown_audit_work_fn(struct work_struct *work)
{
	struct dmaown_audit_rec rec;
	struct audit_buffer *ab;
	unsigned int dropped;
	unsigned long flags;

	for (;;) {
		spin_lock_irqsave(&dmaown_audit_lock, flags);
		if (!dmaown_audit_len) {
			spin_unlock_irqrestore(&dmaown_audit_lock, flags);
			return;
		}
		rec = dmaown_audit_ring[dmaown_audit_head];
		dmaown_audit_head = (dmaown_audit_head + 1) % DMAOWN_AUDIT_QUEUE_LEN;
		dmaown_audit_len--;
		dropped = dmaown_audit_len ? 0 : dmaown_audit_dropped;
		if (!dmaown_audit_len)
			dmaown_audit_dropped = 0;
		spin_unlock_irqrestore(&dmaown_audit_lock, flags);

		ab = audit_log_start(NULL, GFP_KERNEL, AUDIT_KERNEL_OTHER);
		if (!ab)
			continue;
		dmaown_audit_fields(ab, &rec.ev, dmaown_audit_op(rec.ev.type));
		audit_log_format(ab, " pid=%d uid=%u auid=%u ses=%u", rec.pid,
				 rec.uid, rec.auid, rec.ses);
		dmaown_audit_str(ab, "comm", rec.comm, sizeof(rec.comm));
		if (dropped)
			audit_log_format(ab, " dropped=%u", dropped);
		audit_log_end(ab);
	}
}

static DECLARE_WORK(dmaown_audit_work, dmaown_audit_work_fn);

/* Queue a denied bind with the binder's identity. Context: any. */
static void dmaown_audit_defer(const struct dmaown_event *ev)
{
	struct dmaown_audit_rec *rec;
	unsigned long flags;

	spin_lock_irqsave(&dmaown_audit_lock, flags);
	if (dmaown_audit_len == DMAOWN_AUDIT_QUEUE_LEN) {
		dmaown_audit_dropped++;
		spin_unlock_irqrestore(&dmaown_audit_lock, flags);
		return;
	}
	rec = &dmaown_audit_ring[(dmaown_audit_head + dmaown_audit_len++) %
				 DMAOWN_AUDIT_QUEUE_LEN];
	rec->ev = *ev;
	rec->pid = task_tgid_nr(current);
	rec->uid = from_kuid(&init_user_ns, current_uid());
	rec->auid = from_kuid(&init_user_ns, audit_get_loginuid(current));
	rec->ses = audit_get_sessionid(current);
	memcpy(rec->comm, current->comm, sizeof(rec->comm));
	spin_unlock_irqrestore(&dmaown_audit_lock, flags);
	schedule_work(&dmaown_audit_work);
}

/**
 * dmaown_audit_event() - write (or queue) the audit record of @ev, if its
 * type has one and audit is enabled
 * @ev: the event, as posted
 *
 * Context: a denied bind, any (the guard's kprobe handler); every other
 * audited type, process context with no spinlock held (might_sleep()).
 */
void dmaown_audit_event(const struct dmaown_event *ev)
{
	struct audit_buffer *ab;
	const char *op;

	op = dmaown_audit_op(ev->type);
	if (!op)
		return;
	if (ev->type == DMAOWN_EVENT_DENIED_BIND) {
		if (audit_enabled)
			dmaown_audit_defer(ev);
		return;
	}
	might_sleep();
	if (!audit_enabled)
		return;
	ab = audit_log_start(NULL, GFP_NOWAIT, AUDIT_KERNEL_OTHER);
	if (!ab)
		return;
	dmaown_audit_fields(ab, ev, op);
	audit_log_task_info(ab);
	audit_log_end(ab);
}

/* At exit, after the guard is gone: write what is queued. */
void dmaown_audit_exit(void)
{
	flush_work(&dmaown_audit_work);
}
