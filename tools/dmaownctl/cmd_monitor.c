// SPDX-License-Identifier: GPL-2.0
/*
 * dmaownctl monitor: print dmaown's events as they happen, one line each
 * (JSON lines with --json), as udevadm monitor does. It reads an event fd
 * (DMAOWN_EVENTS_OPEN), and ends with 0 on SIGINT or SIGTERM, and when the
 * queue is closed (its group went away).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "dmaownctl.h"
#include "json.h"

static const char usage_monitor[] =
	"Usage: dmaownctl monitor [--json] [--group GROUP]\n"
	"\n"
	"Print dmaown's events as they happen, one line each: claims, releases,\n"
	"revocations, denied binds, drivers bound and unbound, members added and\n"
	"removed, quarantine changes, VFIO taking or leaving a group. Runs until\n"
	"SIGINT or SIGTERM (exit 0), or until the group it watches goes away.\n"
	"\n"
	"  -g, --group GROUP   only the events of this IOMMU group\n"
	"  -j, --json          one JSON object a line (schema in dmaownctl(8))\n"
	"  -h, --help          this text\n";

static volatile sig_atomic_t monitor_stop;

static void on_signal(int sig)
{
	(void)sig;
	monitor_stop = 1;
}

static const char *event_name(__u32 type)
{
	static const char *const names[] = {
		[DMAOWN_EVENT_GAP] = "gap",
		[DMAOWN_EVENT_CLAIM] = "claim",
		[DMAOWN_EVENT_RELEASE] = "release",
		[DMAOWN_EVENT_REVOKE] = "revoke",
		[DMAOWN_EVENT_DENIED_BIND] = "denied_bind",
		[DMAOWN_EVENT_DRIVER_BOUND] = "driver_bound",
		[DMAOWN_EVENT_DRIVER_UNBOUND] = "driver_unbound",
		[DMAOWN_EVENT_MEMBER_ADDED] = "member_added",
		[DMAOWN_EVENT_MEMBER_REMOVED] = "member_removed",
		[DMAOWN_EVENT_QUARANTINE_ADD] = "quarantine_add",
		[DMAOWN_EVENT_QUARANTINE_REMOVE] = "quarantine_remove",
		[DMAOWN_EVENT_VFIO_TAKE] = "vfio_take",
		[DMAOWN_EVENT_VFIO_LEAVE] = "vfio_leave",
	};

	return type < ARRAY_SIZE(names) && names[type] ? names[type] : "unknown";
}

static void print_event_json(const struct dmaown_event *e)
{
	struct json j = { .f = stdout, .compact = true };

	json_open(&j, NULL, '{');
	json_uint(&j, "schema", JSON_SCHEMA);
	json_uint(&j, "seq", e->seq);
	json_uint(&j, "time_ns", e->time_ns);
	json_str(&j, "type", event_name(e->type), SIZE_MAX);
	json_uint(&j, "type_raw", e->type);
	json_uint(&j, "group", e->group_id);
	json_str_or_null(&j, "device", e->device[0] ? e->device : NULL, sizeof(e->device));
	json_str_or_null(&j, "driver", e->driver[0] ? e->driver : NULL, sizeof(e->driver));
	json_uint(&j, "error", e->error);
	json_str_or_null(&j, "error_name", e->error ? errno_name(e->error) : NULL, SIZE_MAX);
	json_uint(&j, "reason_raw", e->reason);
	json_uint(&j, "count", e->count);
	if (e->pid) {
		json_uint(&j, "pid", e->pid);
		json_str(&j, "comm", e->comm, sizeof(e->comm));
	} else {
		json_null(&j, "pid");
		json_null(&j, "comm");
	}
	json_close(&j, '}');
}

static void print_event_text(const struct dmaown_event *e)
{
	printf("[%llu.%06llu] %-17s group %u", (unsigned long long)(e->time_ns / 1000000000ull),
	       (unsigned long long)(e->time_ns % 1000000000ull / 1000), event_name(e->type),
	       e->group_id);
	if (e->type == DMAOWN_EVENT_GAP) {
		printf(": %u events lost (the queue was full)\n", e->count);
		return;
	}
	if (e->device[0]) {
		fputs(" device ", stdout);
		put_safe(stdout, e->device, sizeof(e->device));
	}
	if (e->driver[0]) {
		fputs(" driver ", stdout);
		put_safe(stdout, e->driver, sizeof(e->driver));
	}
	if (e->pid) {
		fputs(" by ", stdout);
		put_safe(stdout, e->comm, sizeof(e->comm));
		printf("[%u]", e->pid);
	}
	if (e->error)
		printf(" error %s", errno_name(e->error) ?: "?");
	if (e->reason)
		printf(" reason 0x%x", e->reason);
	if (e->type == DMAOWN_EVENT_MEMBER_REMOVED)
		printf(" (%u left, this one included)", e->count);
	putchar('\n');
}

static int parse_monitor(int argc, char **argv, bool *json, long *group)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ "group", required_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+hjg:", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_monitor, stdout);
			return XC_OK;
		case 'j':
			*json = true;
			break;
		case 'g':
			errno = 0;
			*group = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || *group < 0 || *group > INT_MAX) {
				err("monitor: '%s' is not a group id", optarg);
				return XC_USAGE;
			}
			break;
		default:
			if (optopt == 'g')
				err("monitor: option '--group' needs a GROUP");
			else if (optopt)
				err("monitor: unknown option '-%c'", optopt);
			else
				err("monitor: unknown option '%s'", argv[optind - 1]);
			fputs(usage_monitor, stderr);
			return XC_USAGE;
		}
	}
	if (optind < argc) {
		err("monitor: unexpected argument '%s'", argv[optind]);
		return XC_USAGE;
	}
	return -1;
}

static int run_monitor(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: read() ends */
	struct dmaown_events_open o = { .size = sizeof(o) };
	/* room for 16 records, of a size up to twice today's (a newer module's) */
	unsigned char buf[16 * 2 * sizeof(struct dmaown_event)] __attribute__((aligned(8)));
	struct dmaown_event ev;
	bool json = false;
	long group = -1;
	int fd, efd, r;
	ssize_t n;

	r = parse_monitor(argc, argv, &json, &group);
	if (r >= 0)
		return r;
	fd = open_node(group);
	if (group >= 0) {
		o.filter = DMAOWN_EVENTS_GROUP;
		o.group_id = group;
	}
	efd = ioctl(fd, DMAOWN_EVENTS_OPEN, &o);
	if (efd < 0) {
		if (errno == ENOTTY)
			err("monitor: the loaded dmaown module has no events (API < 4)");
		else
			err("DMAOWN_EVENTS_OPEN: %s", strerror(errno));
		close(fd);
		return XC_FAIL;
	}
	close(fd);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (!monitor_stop) {
		n = read(efd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err("monitor: read: %s", strerror(errno));
			close(efd);
			return errno == ENODEV ? XC_OK : XC_FAIL;
		}
		if (n == 0) /* closed: the group went away */
			break;
		/* each record says its size: a newer module's may be longer */
		for (size_t off = 0; off + sizeof(ev) <= (size_t)n; off += ev.size) {
			memcpy(&ev, buf + off, sizeof(ev));
			if (ev.size < sizeof(ev))
				break;
			if (json)
				print_event_json(&ev);
			else
				print_event_text(&ev);
		}
		if (ferror(stdout))
			break;
	}
	close(efd);
	return fflush(stdout) || ferror(stdout) ? XC_FAIL : XC_OK;
}

const struct command cmd_monitor = {
	.name = "monitor",
	.synopsis = "monitor [--json] [--group GROUP]",
	.summary = "print events as they happen, one line each",
	.usage = usage_monitor,
	.run = run_monitor,
};
