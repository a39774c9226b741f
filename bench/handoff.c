// SPDX-License-Identifier: GPL-2.0
/*
 * dmaown-bench-handoff: what the quarantine costs a VM manager. The time from
 * the start of an unmodified QEMU (the guest's qemu-system-x86_64, as a VFIO
 * user: tests/lib/vmm.c) until its device is usable, with the device
 * quarantined and handed off to VFIO, against the same without quarantine,
 * and the latency of the hand-off itself.
 *
 * usage: dmaown-bench-handoff -d BDF [-r ROUNDS] [-w WARMUPS]
 *
 * BDF: an edu alone in its IOMMU group, with no driver or vfio-pci (it is
 * unbound first), no quarantine entry and no owner. Phases, each from a
 * driver-less device, in a rotated order every round (so that drift hits
 * each alike):
 *   plain    vfio-pci bound (driver_override, bind), then QEMU started
 *   quar     QUARANTINE_ADD first (dmaown holds the group blocked), then
 *            vfio-pci bound, the hand-off awaited (GROUP_STATUS polled
 *            every 100 us until DMAOWN_GROUP_HANDED_OFF), then QEMU
 *   plain2   plain again: the control (two identical phases)
 * In each, the clock for "usable" runs from vmm_start() (fork + exec of
 * QEMU) until the first vmm_edu_dma() round trip in the inner VM returns
 * EDU_LANDED; then QEMU is stopped (SIGTERM), vfio-pci unbound, and the
 * quarantine entry removed (quar). QEMU starts after the bind, as an admin
 * starts it.
 *
 * Both conditions run on the same default domain type, so that the
 * comparison isolates dmaown's part: where the group's type is identity
 * the program first writes "DMA" to /sys/kernel/iommu_groups/N/type (what
 * `dmaownctl quarantine add` does; 6.1 and 6.12), and where it stays
 * identity (5.10 with iommu=pt) it sets dmaown's handoff_window=1, without
 * which the quarantined group is never handed off there. Both are undone
 * at the end. The program runs on CPU 0.
 *
 * Output:
 *   handoff_setup group=G type_before=T type=T window=0|1 zero_window=0|1
 *   handoff round=R order=a,b,c
 *         {plain,quar,plain2}_usable_ns=  vmm_start() to EDU_LANDED
 *         {plain,quar,plain2}_start_ns=   vmm_start() alone (QEMU's VFIO
 *                                         setup: container, group, type1,
 *                                         MAP_DMA, device)
 *         {plain,quar,plain2}_bind_ns=    the write to vfio-pci's bind file
 *         {plain,quar,plain2}_total_ns=   bind start to EDU_LANDED (quar:
 *                                         with the wait for the hand-off)
 *         quar_handoff_ns=                bind start to the first status
 *                                         that shows HANDED_OFF
 *         quar_handoff_polls=             statuses read before it (0: it
 *                                         was done when the bind returned)
 *         ratio= start_ratio= total_ratio=                      quar / plain
 *         control_ratio= start_control_ratio= total_control_ratio=
 *                                                             plain2 / plain
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/testlib.h"

#define HANDOFF_WINDOW "/sys/module/dmaown/parameters/handoff_window"
#define QFLAGS (DMAOWN_GROUP_QUARANTINED | DMAOWN_GROUP_HELD | DMAOWN_GROUP_HANDED_OFF)
#define POLL_NS 100000L		/* GROUP_STATUS poll for the hand-off */
#define HANDOFF_TIMEOUT_NS 10000000000ull

enum { P_PLAIN, P_QUAR, P_PLAIN2, NR_PHASES };
static const char *const phase_name[NR_PHASES] = { "plain", "quar", "plain2" };

struct phase {
	uint64_t usable, start, bind, total, handoff, polls;
};

static const char *bdf;
static int gid = -1, fd = -1;
static char type_before[32], type_path[128];
static bool type_changed, window_set, listed;
static struct vmm v;

static void __attribute__((format(printf, 1, 2), noreturn)) die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "dmaown-bench-handoff: error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	vmm_print_stderr(&v);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint32_t group_flags(void)
{
	struct dmaown_group_status st;

	/* no die() here: cleanup() calls it from atexit */
	if (dmaown_status(fd, gid, &st, NULL, 0))
		return ~0u;
	return st.out_group_flags;
}

/* wait until (flags & QFLAGS) == @want (~0u: a failed status): 0 or -ETIMEDOUT */
static int wait_flags(uint32_t want)
{
	uint64_t end = now_ms() + 10000;

	while ((group_flags() & QFLAGS) != want) {
		if (now_ms() > end)
			return -ETIMEDOUT;
		msleep(5);
	}
	return 0;
}

/* Leave the device driver-less, without override, unquarantined; undo the setup. */
static void cleanup(void)
{
	vmm_stop(&v, SIGKILL);
	if (fd < 0)
		return;
	pci_unbind_vfio(bdf);
	if (listed) {
		wait_flags(DMAOWN_GROUP_QUARANTINED | DMAOWN_GROUP_HELD);
		if (dmaown_quarantine_remove(fd, bdf))
			fprintf(stderr, "dmaown-bench-handoff: QUARANTINE_REMOVE %s: %m\n", bdf);
		listed = false;
	}
	if (type_changed && sysfs_write(type_path, type_before))
		fprintf(stderr, "dmaown-bench-handoff: group %d: type back to %s failed\n", gid,
			type_before);
	type_changed = false;
	if (window_set && sysfs_write(HANDOFF_WINDOW, "0"))
		fprintf(stderr, "dmaown-bench-handoff: handoff_window back to 0 failed\n");
	window_set = false;
}

static void sleep_ns(long ns)
{
	struct timespec ts = { 0, ns };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void run_phase(int p, struct phase *r)
{
	uint64_t t_bind, t_ready, t0, t1;
	int ret;

	memset(r, 0, sizeof(*r));
	if (p == P_QUAR) {
		if (dmaown_quarantine_add(fd, bdf))
			die("QUARANTINE_ADD %s: %m", bdf);
		listed = true;
		if (wait_flags(DMAOWN_GROUP_QUARANTINED | DMAOWN_GROUP_HELD))
			die("group %d: not held after QUARANTINE_ADD (flags %#x)", gid, group_flags());
	}
	ret = pci_set_override(bdf, "vfio-pci");
	if (ret)
		die("driver_override of %s: %s", bdf, strerror(-ret));
	t_bind = now_ns();
	ret = pci_bind(bdf, "vfio-pci");
	t_ready = now_ns();
	if (ret)
		die("bind %s to vfio-pci: %s", bdf, strerror(-ret));
	r->bind = t_ready - t_bind;
	/* 5.10's shield hands an identity group over at VFIO's attach, not here */
	if (p == P_QUAR && (group_flags() & DMAOWN_GROUP_HANDOFF_AT_ATTACH)) {
		t_ready = now_ns();
		r->handoff = t_ready - t_bind;
	} else if (p == P_QUAR) {
		uint32_t f;

		while (!((f = group_flags()) & DMAOWN_GROUP_HANDED_OFF) || f == ~0u) {
			if (f == ~0u)
				die("GROUP_STATUS of group %d: %m", gid);
			if (now_ns() - t_bind > HANDOFF_TIMEOUT_NS)
				die("group %d: not handed off 10 s after the bind (flags %#x)", gid,
				    group_flags());
			r->polls++;
			sleep_ns(POLL_NS);
		}
		t_ready = now_ns();
		r->handoff = t_ready - t_bind;
	}

	t0 = now_ns();
	ret = vmm_start(&v, bdf);
	r->start = now_ns() - t0;
	if (ret)
		die("%s: QEMU did not start: %s", phase_name[p], strerror(-ret));
	ret = vmm_edu_dma(&v);
	t1 = now_ns();
	if (ret != EDU_LANDED)
		die("%s: the inner VM's edu DMA did not land (%d)", phase_name[p], ret);
	r->usable = t1 - t0;
	r->total = t1 - t_bind;
	ret = vmm_stop(&v, SIGTERM);
	if (ret)
		printf("# %s: QEMU exited with status %d\n", phase_name[p], ret);

	ret = pci_unbind_vfio(bdf);
	if (ret)
		die("unbind %s from vfio-pci: %s", bdf, strerror(-ret));
	if (p == P_QUAR) {
		/* vfio-pci let go: dmaown takes the group back, then the entry goes */
		if (wait_flags(DMAOWN_GROUP_QUARANTINED | DMAOWN_GROUP_HELD))
			die("group %d: not held again after the unbind (flags %#x)", gid,
			    group_flags());
		if (dmaown_quarantine_remove(fd, bdf))
			die("QUARANTINE_REMOVE %s: %m", bdf);
		listed = false;
	}
	if (group_flags() & QFLAGS)
		die("group %d: quarantine flags %#x left after %s", gid, group_flags(),
		    phase_name[p]);
}

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

static unsigned long arg_num(const char *opt, const char *s, bool zero_ok)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(s, &end, 0);
	if (errno || end == s || *end || (!n && !zero_ok))
		die("%s: '%s' is not a %s number", opt, s, zero_ok ? "" : "positive");
	return n;
}

static void setup(void)
{
	char type[32], param[512];
	cpu_set_t set;
	int ret;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fprintf(stderr, "dmaown-bench-handoff: sched_setaffinity: %m\n");
	gid = pci_group(bdf);
	if (gid < 0)
		die("%s: no IOMMU group: %s", bdf, strerror(-gid));
	fd = dmaown_open();
	if (fd < 0)
		die("open /dev/dmaown: %m");
	atexit(cleanup);
	if (!path_exists("/sys/bus/pci/drivers/vfio-pci") && run("modprobe vfio-pci"))
		die("no vfio-pci driver");
	if (!path_exists(VMM_QEMU))
		die("no %s (scripts/vm-mkinitramfs --qemu)", VMM_QEMU);
	ret = pci_unbind_vfio(bdf);
	if (ret)
		die("unbind %s: %s", bdf, strerror(-ret));
	if (!pci_has_driver(bdf, ""))
		die("%s is bound to a driver other than vfio-pci", bdf);
	if (quarantine_param(param, sizeof(param)) < 0)
		die("cannot read the quarantine= parameter");
	if (param[0])
		die("the quarantine list is not empty (%s)", param);
	if (group_flags() & QFLAGS)
		die("group %d: quarantine flags %#x", gid, group_flags());
	if (dmaown_state(fd, gid) != DMAOWN_STATE_FREE)
		die("group %d is not free", gid);

	/* the same default domain type in both conditions */
	snprintf(type_path, sizeof(type_path), "/sys/kernel/iommu_groups/%d/type", gid);
	if (sysfs_read(type_path, type_before, sizeof(type_before)) <= 0)
		die("cannot read %s", type_path);
	if (!strcmp(type_before, "identity") && !sysfs_write(type_path, "DMA"))
		type_changed = true;
	if (sysfs_read(type_path, type, sizeof(type)) <= 0)
		die("cannot read %s", type_path);
	if (!strcmp(type, "identity")) {
		if (sysfs_write(HANDOFF_WINDOW, "1"))
			die("cannot set %s", HANDOFF_WINDOW);
		window_set = true;
	}
	if (dmaown_quarantine_add(fd, bdf))
		die("QUARANTINE_ADD %s: %m", bdf);
	listed = true;
	printf("handoff_setup group=%d type_before=%s type=%s window=%d zero_window=%d\n", gid,
	       type_before, type, window_set, !!(group_flags() & DMAOWN_GROUP_ZERO_WINDOW));
	if (dmaown_quarantine_remove(fd, bdf))
		die("QUARANTINE_REMOVE %s: %m", bdf);
	listed = false;
	fflush(stdout);
}

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: dmaown-bench-handoff -d BDF [-r ROUNDS] [-w WARMUPS]\n");
	exit(status);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "warmups", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	unsigned long rounds = 5, warmups = 1;
	struct phase r[NR_PHASES];
	int c;

	while ((c = getopt_long(argc, argv, "d:r:w:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			bdf = optarg;
			break;
		case 'r':
			rounds = arg_num("-r", optarg, false);
			break;
		case 'w':
			warmups = arg_num("-w", optarg, true);
			break;
		case 'h':
			usage(0);
			break;
		default:
			usage(2);
		}
	}
	if (!bdf || optind != argc)
		usage(2);
	setvbuf(stdout, NULL, _IOLBF, 0);
	setup();
	printf("# handoff: %s (group %d), %lu rounds of plain, quar, plain2 (rotated), %lu warm-up(s)\n",
	       bdf, gid, rounds, warmups);

	/* Warm-up: QEMU's first exec and its first VFIO setup in this boot. */
	for (unsigned long i = 0; i < warmups; i++) {
		run_phase(P_PLAIN, &r[P_PLAIN]);
		run_phase(P_QUAR, &r[P_QUAR]);
		printf("# warm-up %lu: plain %llu us, quar %llu us\n", i + 1,
		       (unsigned long long)r[P_PLAIN].usable / 1000,
		       (unsigned long long)r[P_QUAR].usable / 1000);
	}
	for (unsigned long round = 1; round <= rounds; round++) {
		int order[NR_PHASES];

		for (int k = 0; k < NR_PHASES; k++) {
			order[k] = (int)((round + (unsigned long)k) % NR_PHASES);
			run_phase(order[k], &r[order[k]]);
		}
		printf("handoff round=%lu order=%s,%s,%s", round, phase_name[order[0]],
		       phase_name[order[1]], phase_name[order[2]]);
		for (int p = 0; p < NR_PHASES; p++)
			printf(" %s_usable_ns=%llu %s_start_ns=%llu %s_bind_ns=%llu %s_total_ns=%llu",
			       phase_name[p], (unsigned long long)r[p].usable, phase_name[p],
			       (unsigned long long)r[p].start, phase_name[p],
			       (unsigned long long)r[p].bind, phase_name[p],
			       (unsigned long long)r[p].total);
		printf(" quar_handoff_ns=%llu quar_handoff_polls=%llu",
		       (unsigned long long)r[P_QUAR].handoff, (unsigned long long)r[P_QUAR].polls);
		printf(" ratio=%.4f start_ratio=%.4f total_ratio=%.4f",
		       ratio(r[P_QUAR].usable, r[P_PLAIN].usable),
		       ratio(r[P_QUAR].start, r[P_PLAIN].start),
		       ratio(r[P_QUAR].total, r[P_PLAIN].total));
		printf(" control_ratio=%.4f start_control_ratio=%.4f total_control_ratio=%.4f\n",
		       ratio(r[P_PLAIN2].usable, r[P_PLAIN].usable),
		       ratio(r[P_PLAIN2].start, r[P_PLAIN].start),
		       ratio(r[P_PLAIN2].total, r[P_PLAIN].total));
	}
	cleanup();
	close(fd);
	fd = -1;
	return 0;
}
