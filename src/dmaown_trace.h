/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dmaown's tracepoints: one per event type (events.c fires them, with the
 * record it queues), under /sys/kernel/tracing/events/dmaown/. Strings are
 * fixed arrays filled with strscpy(), the same on every supported kernel
 * (__assign_str() changed its arguments in 6.10).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM dmaown

#if !defined(_DMAOWN_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _DMAOWN_TRACE_H

#include <linux/string.h>
#include <linux/tracepoint.h>
#include <uapi/linux/dmaown.h>

DECLARE_EVENT_CLASS(dmaown_event_class,
		    TP_PROTO(const struct dmaown_event *ev),
		    TP_ARGS(ev),
		    TP_STRUCT__entry(__field(u64, seq)
				     __field(u32, group)
				     __field(u32, error)
				     __field(u32, reason)
				     __field(u32, count)
				     __field(u32, pid)
				     __array(char, comm, DMAOWN_COMM_LEN)
				     __array(char, device, DMAOWN_NAME_LEN)
				     __array(char, driver, DMAOWN_NAME_LEN)),
		    TP_fast_assign(__entry->seq = ev->seq;
				   __entry->group = ev->group_id;
				   __entry->error = ev->error;
				   __entry->reason = ev->reason;
				   __entry->count = ev->count;
				   __entry->pid = ev->pid;
				   strscpy(__entry->comm, ev->comm, sizeof(__entry->comm));
				   strscpy(__entry->device, ev->device, sizeof(__entry->device));
				   strscpy(__entry->driver, ev->driver, sizeof(__entry->driver));),
		    TP_printk("group=%u device=%s driver=%s error=%u reason=%#x count=%u pid=%u comm=%s seq=%llu",
			      __entry->group, __entry->device, __entry->driver, __entry->error,
			      __entry->reason, __entry->count, __entry->pid, __entry->comm,
			      __entry->seq)
);

#define DMAOWN_TRACE_EVENT(name)					\
	DEFINE_EVENT(dmaown_event_class, name,				\
		     TP_PROTO(const struct dmaown_event *ev), TP_ARGS(ev))

DMAOWN_TRACE_EVENT(dmaown_claim);
DMAOWN_TRACE_EVENT(dmaown_release);
DMAOWN_TRACE_EVENT(dmaown_revoke);
DMAOWN_TRACE_EVENT(dmaown_denied_bind);
DMAOWN_TRACE_EVENT(dmaown_driver_bound);
DMAOWN_TRACE_EVENT(dmaown_driver_unbound);
DMAOWN_TRACE_EVENT(dmaown_member_added);
DMAOWN_TRACE_EVENT(dmaown_member_removed);
DMAOWN_TRACE_EVENT(dmaown_quarantine_add);
DMAOWN_TRACE_EVENT(dmaown_quarantine_remove);
DMAOWN_TRACE_EVENT(dmaown_vfio_take);
DMAOWN_TRACE_EVENT(dmaown_vfio_leave);

#endif /* _DMAOWN_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE dmaown_trace
#include <trace/define_trace.h>
