// SPDX-License-Identifier: GPL-2.0
/*
 * dmaown-bench-scale: claims of many groups at once.
 *
 * usage: dmaown-bench-scale -g GROUP,GROUP,... [-n CYCLES] [-r REPS]
 *                           [--depths 1,8,64] [--toggle BDF]
 *
 * The groups must be claimable (driver-less or DMA-safe drivers); the last
 * one listed is the one cycled in "depth". The program runs on CPU 0. Per
 * repetition, in this order:
 *
 *   mem    kernel memory per claimed group, before and after one file claims
 *          every group: slab_b from /proc/slabinfo (the caches whose objects
 *          in use grew by at least half the number of groups, beyond their
 *          growth in a control pair of snapshots with no claim between, each
 *          snapshot after a shrink of every cache), and the coarser
 *          /proc/meminfo SUnreclaim and MemFree deltas (pages: domains, page
 *          tables), each divided by the number of groups. The first repetition is reported as
 *          "mem_first": the first claim of these groups since boot, whose
 *          allocations the IOMMU layer may keep (6.1 keeps a blocking domain
 *          per group).
 *          mem rep=R groups=G slab_b= sunreclaim_b= memfree_b=
 *   batch  mean time per group: one file claims every group, asks the status
 *          of every group, releases every group; then one file per group
 *          (open + claim), status of every group from another file, close of
 *          every file (the release on close); and status of free groups.
 *          batch rep=R groups=G one_claim_ns= one_status_ns= one_release_ns=
 *                many_claim_ns= many_status_ns= many_close_ns= free_status_ns=
 *   lookup dmaown's own part of a claim (debugfs: claim - claim_core) for the
 *          first and the last group, whose devices sit at different places
 *          in the PCI device list that a claim walks to find its group.
 *          lookup rep=R near_pos= far_pos= near_own_ns= far_own_ns=
 *                 ns_per_device=
 *   depth  median time of one claim, status and release of the last group
 *          while D-1 other groups are held (D = each --depths value;
 *          default 1, 8, 64 and the number of groups), by the
 *          same file ("one_") and by D-1 other files ("many_"); dmaown's own
 *          part of those claims and releases (debugfs means, "_own"); and
 *          the ratio of the largest depth to depth 1 of each.
 *          With --toggle BDF (a device outside these groups), also the
 *          median time to turn its memory decoding off and on again through
 *          its config space at each depth: work that involves neither
 *          dmaown nor the IOMMU layer, but makes QEMU rebuild its memory
 *          maps, as a domain switch of an emulated VT-d does ("toggle_").
 *          depth rep=R n=N one_claim_d1_ns= ... one_claim_own_d1_ns= ...
 *                toggle_d1_ns= ... one_claim_ratio= ... one_claim_own_ratio=
 *                ... toggle_ratio=
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

#define MAX_GROUPS 512
#define MAX_DEPTHS 8

static int groups[MAX_GROUPS], nr_groups;
static int depths[MAX_DEPTHS], nr_depths;
static unsigned long cycles = 30;
static const char *toggle_bdf;

static void must(int ret, const char *what, int group)
{
	if (ret < 0)
		die("%s (group %d): %s", what, group, strerror(-ret));
}

static int must_open(void)
{
	int fd = dmaown_open();

	must(fd, "open " DMAOWN_DEV, -1);
	return fd;
}

static void claim(int fd, int g)
{
	must(dmaown_claim(fd, g), "GROUP_CLAIM", g);
}

static void release(int fd, int g)
{
	must(dmaown_release(fd, g), "GROUP_RELEASE", g);
}

static void status(int fd, int g)
{
	struct dmaown_group_status st;

	must(dmaown_status(fd, g, &st), "GROUP_STATUS", g);
}

/* Wait for RCU callbacks (claims are freed with kfree_rcu) to settle. */
static void settle(void)
{
	syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0);
	sleep_ms(100);
	syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0);
	sleep_ms(100);
}

/* --- mem ----------------------------------------------------------------- */

#define MAX_CACHES 1024

struct cache {
	char name[64];
	long long active, size;
};

struct mem {
	long long sunreclaim, memfree;
	struct cache caches[MAX_CACHES];
	int nr;
};

static long long meminfo_kb(const char *buf, const char *key)
{
	const char *p = strstr(buf, key);

	if (!p)
		die("/proc/meminfo: no %s", key);
	return atoll(p + strlen(key));
}

/*
 * SLUB counts the objects of a CPU's active slab as in use: shrinking every
 * cache first (which flushes the per-CPU slabs) makes /proc/slabinfo's
 * active_objs exact.
 */
static void slab_shrink_all(void)
{
	DIR *d = opendir("/sys/kernel/slab");
	struct dirent *e;
	char path[512];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || e->d_name[0] == ':')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", e->d_name);
		file_write(path, "1");
	}
	closedir(d);
}

/*
 * Each shrink write leaves an object or two for RCU to free (kernfs), so:
 * shrink, let RCU free what the shrink left, shrink again, read at once.
 * Every snapshot then carries the same pending leftovers: they cancel out.
 */
static void mem_read(struct mem *m)
{
	static char buf[8192];
	FILE *f;

	slab_shrink_all();
	settle();
	slab_shrink_all();
	if (file_read("/proc/meminfo", buf, sizeof(buf)) < 0)
		die("read /proc/meminfo");
	m->sunreclaim = meminfo_kb(buf, "\nSUnreclaim:") * 1024;
	m->memfree = meminfo_kb(buf, "MemFree:") * 1024;
	m->nr = 0;
	f = fopen("/proc/slabinfo", "re");
	if (!f)
		return;
	while (m->nr < MAX_CACHES && fgets(buf, sizeof(buf), f)) {
		struct cache *c = &m->caches[m->nr];
		long long total;

		if (sscanf(buf, "%63s %lld %lld %lld", c->name, &c->active, &total, &c->size) == 4)
			m->nr++;
	}
	fclose(f);
}

static const struct cache *cache_find(const struct mem *m, const char *name)
{
	for (int i = 0; i < m->nr; i++)
		if (!strcmp(m->caches[i].name, name))
			return &m->caches[i];
	return NULL;
}

/*
 * Slab bytes per claimed group. Two snapshots around nothing (the control:
 * what the measurement itself and the rest of the kernel do meanwhile), two
 * around the claims; a cache counts when its objects in use grew, beyond
 * the control's growth, by at least half the number of groups (an
 * allocation made by every claim). Bytes = those objects x object size.
 * The caches and their growth also go to "#" lines.
 */
static void bench_mem(unsigned long rep)
{
	static struct mem c0, c1, a, b;
	long long per_group = 0;
	char caches[1024] = "", noise[1024] = "";
	size_t len = 0, nlen = 0;
	int fd = must_open();

	settle();
	mem_read(&c0);
	mem_read(&c1);
	mem_read(&a);
	for (int i = 0; i < nr_groups; i++)
		claim(fd, groups[i]);
	mem_read(&b);
	for (int i = 0; i < b.nr; i++) {
		const struct cache *ca = cache_find(&a, b.caches[i].name);
		const struct cache *k0 = cache_find(&c0, b.caches[i].name);
		const struct cache *k1 = cache_find(&c1, b.caches[i].name);
		long long ctl = k0 && k1 ? k1->active - k0->active : 0;
		long long d = b.caches[i].active - (ca ? ca->active : 0) - ctl;

		if (2 * ctl >= nr_groups && nlen < sizeof(noise))
			nlen += (size_t)snprintf(noise + nlen, sizeof(noise) - nlen, " %s:%+lld",
						 b.caches[i].name, ctl);
		if (2 * d < nr_groups)
			continue;
		per_group += d * b.caches[i].size / nr_groups;
		if (len < sizeof(caches))
			len += (size_t)snprintf(caches + len, sizeof(caches) - len,
						" %s:%+lld(x%lld)", b.caches[i].name, d,
						b.caches[i].size);
	}
	printf("# mem rep=%lu: caches that grew by >= %d objects:%s\n", rep, (nr_groups + 1) / 2,
	       caches[0] ? caches : " none");
	if (noise[0])
		printf("# mem rep=%lu: control (no claim) growth subtracted:%s\n", rep, noise);
	printf("%s rep=%lu groups=%d slab_b=%lld sunreclaim_b=%lld memfree_b=%lld\n",
	       rep == 1 ? "mem_first" : "mem", rep, nr_groups, per_group,
	       (b.sunreclaim - a.sunreclaim) / nr_groups, (a.memfree - b.memfree) / nr_groups);
	close(fd);
}

/* --- batch --------------------------------------------------------------- */

static void bench_batch(unsigned long rep)
{
	uint64_t t0, one_claim = 0, one_status = 0, one_release = 0;
	uint64_t many_claim = 0, many_status = 0, many_close = 0, free_status = 0;
	int fd = must_open(), *fds = calloc((size_t)nr_groups, sizeof(int));

	if (!fds)
		die("out of memory");
	for (int i = 0; i < nr_groups; i++) {
		t0 = now_ns();
		status(fd, groups[i]);
		free_status += now_ns() - t0;
	}
	for (int i = 0; i < nr_groups; i++) {
		t0 = now_ns();
		claim(fd, groups[i]);
		one_claim += now_ns() - t0;
	}
	for (int i = 0; i < nr_groups; i++) {
		t0 = now_ns();
		status(fd, groups[i]);
		one_status += now_ns() - t0;
	}
	for (int i = 0; i < nr_groups; i++) {
		t0 = now_ns();
		release(fd, groups[i]);
		one_release += now_ns() - t0;
	}

	for (int i = 0; i < nr_groups; i++) {
		t0 = now_ns();
		fds[i] = must_open();
		claim(fds[i], groups[i]);
		many_claim += now_ns() - t0;
	}
	for (int i = 0; i < nr_groups; i++) {
		t0 = now_ns();
		status(fd, groups[i]);
		many_status += now_ns() - t0;
	}
	for (int i = 0; i < nr_groups; i++) {
		t0 = now_ns();
		close(fds[i]);
		many_close += now_ns() - t0;
	}
	close(fd);
	free(fds);
	printf("batch rep=%lu groups=%d one_claim_ns=%llu one_status_ns=%llu one_release_ns=%llu"
	       " many_claim_ns=%llu many_status_ns=%llu many_close_ns=%llu free_status_ns=%llu\n",
	       rep, nr_groups, (unsigned long long)(one_claim / nr_groups),
	       (unsigned long long)(one_status / nr_groups),
	       (unsigned long long)(one_release / nr_groups),
	       (unsigned long long)(many_claim / nr_groups),
	       (unsigned long long)(many_status / nr_groups),
	       (unsigned long long)(many_close / nr_groups),
	       (unsigned long long)(free_status / nr_groups));
}

/* --- lookup -------------------------------------------------------------- */

/* The position, in BDF order, of the group's first PCI device. */
static int group_position(int g, int *total)
{
	char path[64], first[256] = "";
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices", g);
	d = opendir(path);
	if (!d)
		die("%s: %s", path, strerror(errno));
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && (!first[0] || strcmp(e->d_name, first) < 0))
			snprintf(first, sizeof(first), "%s", e->d_name);
	closedir(d);
	if (!first[0])
		die("group %d has no device", g);
	return pci_position(first, total);
}

static uint64_t own_ns(int fd, int g)
{
	struct dmaown_stats s;

	settle();
	claim(fd, g);
	release(fd, g);
	must(stats_reset(), "reset " DMAOWN_STATS, g);
	for (unsigned long i = 0; i < cycles; i++) {
		claim(fd, g);
		release(fd, g);
	}
	must(stats_read(&s), "read " DMAOWN_STATS, g);
	if (!s.claim.count)
		die("%s counted no claim", DMAOWN_STATS);
	return s.claim.ns > s.claim_core.ns ? (s.claim.ns - s.claim_core.ns) / s.claim.count : 0;
}

static void bench_lookup(unsigned long rep)
{
	int fd = must_open(), total;
	int near = groups[0], far = groups[nr_groups - 1];
	int near_pos = group_position(near, &total), far_pos = group_position(far, &total);
	uint64_t near_ns, far_ns;

	near_ns = own_ns(fd, near);
	far_ns = own_ns(fd, far);
	close(fd);
	printf("lookup rep=%lu pci_devices=%d near_group=%d near_pos=%d far_group=%d far_pos=%d"
	       " near_own_ns=%llu far_own_ns=%llu ns_per_device=%lld\n",
	       rep, total, near, near_pos, far, far_pos, (unsigned long long)near_ns,
	       (unsigned long long)far_ns,
	       far_pos > near_pos ?
		       ((long long)far_ns - (long long)near_ns) / (far_pos - near_pos) : 0);
}

/* --- depth --------------------------------------------------------------- */

enum { OP_CLAIM, OP_STATUS, OP_RELEASE, NR_OPS };

/* Median time of turning @toggle_bdf's memory decoding off and on. */
static uint64_t toggle_time(void)
{
	char path[256];
	uint64_t *t = calloc(cycles, sizeof(uint64_t)), res;
	uint16_t cmd, off;
	int fd;

	if (!t)
		die("out of memory");
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", toggle_bdf);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || pread(fd, &cmd, 2, 4) != 2)
		die("%s: %s", path, strerror(errno));
	off = cmd & (uint16_t)~0x2;	/* PCI_COMMAND_MEMORY */
	for (unsigned long i = 0; i < cycles; i++) {
		uint64_t t0 = now_ns();

		if (pwrite(fd, &off, 2, 4) != 2 || pwrite(fd, &cmd, 2, 4) != 2)
			die("write %s: %s", path, strerror(errno));
		t[i] = now_ns() - t0;
	}
	close(fd);
	res = median(t, cycles);
	free(t);
	return res;
}

/*
 * Median times of the ops on the last group with @depth - 1 others held, and
 * dmaown's own part of the claims and releases (debugfs: total - core).
 */
enum { OWN_CLAIM = NR_OPS, OWN_RELEASE, TOGGLE, NR_RES };
static const char *const res_name[NR_RES] = {
	"claim", "status", "release", "claim_own", "release_own", "toggle",
};

static uint64_t own_part(const struct dmaown_stat_line *all, const struct dmaown_stat_line *core)
{
	if (!all->count || all->ns < core->ns)
		return 0;
	return (all->ns - core->ns) / all->count;
}

static void depth_point(bool many, int depth, uint64_t res[NR_RES])
{
	struct dmaown_stats s;
	int held = depth - 1, cyc = groups[nr_groups - 1];
	int one_fd = must_open(), *fds = NULL, fd;
	uint64_t *t[NR_OPS];

	for (int o = 0; o < NR_OPS; o++) {
		t[o] = calloc(cycles, sizeof(uint64_t));
		if (!t[o])
			die("out of memory");
	}
	if (many) {
		fds = calloc((size_t)(held ? held : 1), sizeof(int));
		if (!fds)
			die("out of memory");
	}
	for (int i = 0; i < held; i++) {
		if (many) {
			fds[i] = must_open();
			claim(fds[i], groups[i]);
		} else {
			claim(one_fd, groups[i]);
		}
	}
	fd = many ? must_open() : one_fd;
	/* Let the previous point's releases settle; 3 untimed cycles. */
	settle();
	for (int i = 0; i < 3; i++) {
		claim(fd, cyc);
		release(fd, cyc);
	}
	must(stats_reset(), "reset " DMAOWN_STATS, cyc);
	for (unsigned long i = 0; i < cycles; i++) {
		uint64_t t0 = now_ns();

		claim(fd, cyc);
		t[OP_CLAIM][i] = now_ns() - t0;
		t0 = now_ns();
		status(fd, cyc);
		t[OP_STATUS][i] = now_ns() - t0;
		t0 = now_ns();
		release(fd, cyc);
		t[OP_RELEASE][i] = now_ns() - t0;
	}
	must(stats_read(&s), "read " DMAOWN_STATS, cyc);
	res[OWN_CLAIM] = own_part(&s.claim, &s.claim_core);
	res[OWN_RELEASE] = own_part(&s.release, &s.release_core);
	for (int o = 0; o < NR_OPS; o++) {
		res[o] = median(t[o], cycles);
		free(t[o]);
	}
	/* With @depth - 1 groups held: the cycled one is released. */
	res[TOGGLE] = toggle_bdf && !many ? toggle_time() : 0;
	if (many) {
		close(fd);
		for (int i = 0; i < held; i++)
			close(fds[i]);
		free(fds);
	}
	close(one_fd);
}

static void bench_depth(unsigned long rep)
{
	uint64_t res[2][MAX_DEPTHS][NR_RES];

	/* Rotate the order of the depths from one repetition to the next. */
	for (int k = 0; k < nr_depths; k++) {
		int d = (int)((rep + (unsigned long)k) % (unsigned long)nr_depths);

		depth_point(false, depths[d], res[0][d]);
		depth_point(true, depths[d], res[1][d]);
	}
	printf("depth rep=%lu n=%lu", rep, cycles);
	for (int m = 0; m < 2; m++)
		for (int o = 0; o < TOGGLE; o++)
			for (int d = 0; d < nr_depths; d++)
				printf(" %s_%s_d%d_ns=%llu", m ? "many" : "one", res_name[o],
				       depths[d], (unsigned long long)res[m][d][o]);
	if (toggle_bdf)
		for (int d = 0; d < nr_depths; d++)
			printf(" toggle_d%d_ns=%llu", depths[d],
			       (unsigned long long)res[0][d][TOGGLE]);
	for (int m = 0; m < 2; m++)
		for (int o = 0; o < TOGGLE; o++)
			printf(" %s_%s_ratio=%.4f", m ? "many" : "one", res_name[o],
			       ratio(res[m][nr_depths - 1][o], res[m][0][o]));
	if (toggle_bdf)
		printf(" toggle_ratio=%.4f",
		       ratio(res[0][nr_depths - 1][TOGGLE], res[0][0][TOGGLE]));
	printf("\n");
}

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: dmaown-bench-scale -g GROUP,GROUP,... [-n CYCLES] [-r REPS] [--depths 1,8,64]\n"
		"                          [--toggle BDF]\n");
	exit(status);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "groups", required_argument, NULL, 'g' },
		{ "cycles", required_argument, NULL, 'n' },
		{ "reps", required_argument, NULL, 'r' },
		{ "depths", required_argument, NULL, 'D' },
		{ "toggle", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	unsigned long reps = 5;
	struct rlimit rl;
	int c;

	while ((c = getopt_long(argc, argv, "g:n:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'g':
			nr_groups = arg_list("-g", optarg, groups, MAX_GROUPS);
			break;
		case 'n':
			cycles = arg_num("-n", optarg);
			break;
		case 'r':
			reps = arg_num("-r", optarg);
			break;
		case 'D':
			nr_depths = arg_list("--depths", optarg, depths, MAX_DEPTHS);
			break;
		case 'T':
			toggle_bdf = optarg;
			break;
		case 'h':
			usage(0);
			break;
		default:
			usage(2);
		}
	}
	if (!nr_groups || optind != argc)
		usage(2);
	if (!nr_depths) {
		int def[] = { 1, 8, 64, nr_groups };

		for (int i = 0; i < 4; i++)
			if (def[i] <= nr_groups && (!nr_depths || def[i] > depths[nr_depths - 1]))
				depths[nr_depths++] = def[i];
	}
	for (int d = 0; d < nr_depths; d++)
		if (depths[d] < 1 || depths[d] > nr_groups || (d && depths[d] <= depths[d - 1]))
			die("--depths: need increasing values from 1 to %d", nr_groups);
	/* One file per group, plus a few. */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < (rlim_t)nr_groups + 16) {
		rl.rlim_cur = (rlim_t)nr_groups + 16;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	pin_cpu0();
	printf("# scale: %d groups (%d..%d), %lu cycles per depth point, %lu repetitions\n",
	       nr_groups, groups[0], groups[nr_groups - 1], cycles, reps);
	/* Instantiate what the snapshots read (/proc and sysfs inodes) once. */
	{
		static struct mem warm;

		mem_read(&warm);
	}
	for (unsigned long rep = 1; rep <= reps; rep++) {
		bench_mem(rep);
		bench_batch(rep);
		bench_lookup(rep);
		bench_depth(rep);
		fflush(stdout);
	}
	return 0;
}
