// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_test - random ioctls on /dev/dmaown: command numbers near the real
 * ones, sizes (0, 1, min - 1, min, sizeof +- 1, a page, huge), flags,
 * reserved fields, strings without a NUL, group ids, and pointers (NULL,
 * unmapped, read-only, kernel addresses, straddling a guard page).
 *
 * Phase 1: one thread, one fuzzed file and an observer file: every call
 * that fails has changed nothing the observer can see (the state of the
 * group it named). Phase 2: 4 files and 8 threads at once, then every file
 * closed: every group is free again and the module unloads and loads. The
 * runner fails the boot on any kernel splat.
 *
 * Seeded: DMAOWN_FUZZ_SEED replays a run (the seed is printed);
 * DMAOWN_FUZZ_CALLS sets the number of calls (default 100000).
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <time.h>

#include "harness.h"
#include "lib/testlib.h"

#define PAGE 4096
#define MAX_GIDS 32
#define MAX_BDFS 32

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	/* xorshift64* */
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dULL;
}

static unsigned int pick(struct rng *r, unsigned int n)
{
	return rnd(r) % n;
}

/* what the fuzzer aims at, read once from sysfs */
static int gids[MAX_GIDS], nr_gids;
static char bdfs[MAX_BDFS][DMAOWN_NAME_LEN];
static int nr_bdfs;

/* a RW page followed by a PROT_NONE page, and a read-only page */
struct pages {
	uint8_t *rw, *none, *ro;
};

static int pages_map(struct pages *p)
{
	uint8_t *m = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);

	if (m == MAP_FAILED)
		return -1;
	p->rw = m;
	p->none = m + PAGE;
	p->ro = m + 2 * PAGE;
	if (mprotect(p->none, PAGE, PROT_NONE) || mprotect(p->ro, PAGE, PROT_READ))
		return -1;
	return 0;
}

struct cmd {
	unsigned long req;
	uint32_t size, min;
};

static const struct cmd cmds[] = {
	{ DMAOWN_GET_INFO, sizeof(struct dmaown_info), sizeof(struct dmaown_info) },
	{ DMAOWN_GROUP_STATUS, sizeof(struct dmaown_group_status),
	  offsetof(struct dmaown_group_status, out_group_flags) },
	{ DMAOWN_GROUP_CLAIM, sizeof(struct dmaown_group), sizeof(struct dmaown_group) },
	{ DMAOWN_GROUP_RELEASE, sizeof(struct dmaown_group), sizeof(struct dmaown_group) },
	{ DMAOWN_DEVICE_CLAIM, sizeof(struct dmaown_device), sizeof(struct dmaown_device) },
	{ DMAOWN_DEVICE_RELEASE, sizeof(struct dmaown_device), sizeof(struct dmaown_device) },
	{ DMAOWN_QUARANTINE_ADD, sizeof(struct dmaown_quarantine), sizeof(struct dmaown_quarantine) },
	{ DMAOWN_QUARANTINE_REMOVE, sizeof(struct dmaown_quarantine),
	  sizeof(struct dmaown_quarantine) },
	{ DMAOWN_EVENTS_OPEN, sizeof(struct dmaown_events_open),
	  sizeof(struct dmaown_events_open) },
};

#define NR_CMDS (sizeof(cmds) / sizeof(cmds[0]))

/* a command number: mostly a real one, else one near them */
static unsigned long fuzz_req(struct rng *r, int *idx)
{
	*idx = pick(r, NR_CMDS);
	if (pick(r, 8))
		return cmds[*idx].req;
	*idx = -1;
	switch (pick(r, 3)) {
	case 0: /* another number of our type */
		return _IO(DMAOWN_TYPE, 0x7c + pick(r, 16));
	case 1: /* a real number with a direction and a size */
		return _IOC(pick(r, 4), DMAOWN_TYPE, 0x80 + pick(r, NR_CMDS), pick(r, 512));
	default: /* a neighbouring type */
		return _IO(DMAOWN_TYPE + (pick(r, 2) ? 1 : -1), 0x80 + pick(r, NR_CMDS));
	}
}

static uint32_t fuzz_size(struct rng *r, const struct cmd *c)
{
	static const int32_t d[] = { -1, 0, 1, 8 };

	switch (pick(r, 10)) {
	case 0:
		return pick(r, 8);
	case 1:
		return c->min - 1;
	case 2:
		return c->min;
	case 3:
		return c->size + d[pick(r, 4)];
	case 4:
		return PAGE;
	case 5:
		return pick(r, 2) ? 0xffffffffu : 0x7fffffffu;
	default:
		return c->size;
	}
}

static uint64_t fuzz_uptr(struct rng *r, struct pages *p)
{
	switch (pick(r, 6)) {
	case 0:
		return 0;
	case 1:
		return (uintptr_t)p->none;
	case 2:
		return (uintptr_t)p->ro;
	case 3:
		return 0xffff888000000000ULL;
	default:
		return (uintptr_t)(p->rw + PAGE - 64 * (1 + pick(r, 4)));
	}
}

static void fuzz_name(struct rng *r, char *dst, size_t len, bool device)
{
	switch (pick(r, 8)) {
	case 0: /* no NUL */
		memset(dst, 'a' + pick(r, 26), len);
		break;
	case 1:
		dst[0] = 0;
		break;
	case 2:
		snprintf(dst, len, "%s", device ? "0000:ff:1f.7" : "nosuchbus");
		break;
	default:
		if (device && nr_bdfs)
			snprintf(dst, len, "%s", bdfs[pick(r, nr_bdfs)]);
		else
			snprintf(dst, len, "%s", pick(r, 2) ? "pci" : pick(r, 2) ? "platform" : "");
	}
}

/*
 * Build the argument of @c in @buf (a page), as the kernel would read it
 * from @arg; return the group the call names (-1 if none).
 */
static int fuzz_struct(struct rng *r, const struct cmd *c, uint8_t *buf, struct pages *p)
{
	int gid = nr_gids ? gids[pick(r, nr_gids)] : 0;

	memset(buf, 0, c->size + 16);
	if (!pick(r, 16))
		for (uint32_t i = 0; i < c->size + 16; i++)
			buf[i] = rnd(r);
	((uint32_t *)buf)[0] = fuzz_size(r, c);
	if (!pick(r, 12))
		((uint32_t *)buf)[1] = 1u << pick(r, 32);
	if (!pick(r, 16))
		gid = pick(r, 2) ? (int)pick(r, 4096) : -1;
	if (c->req == DMAOWN_GROUP_STATUS) {
		struct dmaown_group_status *st = (void *)buf;

		st->group_id = gid;
		st->devices_len = pick(r, 4) ? pick(r, 4) : pick(r, 2) ? 0x10000000 : 0xffffffff;
		st->devices_uptr = fuzz_uptr(r, p);
		if (!pick(r, 16))
			st->__reserved = 1;
	} else if (c->req == DMAOWN_GROUP_CLAIM || c->req == DMAOWN_GROUP_RELEASE) {
		((struct dmaown_group *)buf)->group_id = gid;
	} else if (c->req == DMAOWN_DEVICE_CLAIM || c->req == DMAOWN_DEVICE_RELEASE) {
		struct dmaown_device *d = (void *)buf;
		char name[DMAOWN_NAME_LEN + 1];

		fuzz_name(r, d->name, sizeof(d->name), true);
		fuzz_name(r, d->bus, sizeof(d->bus), false);
		if (!pick(r, 16))
			d->__reserved = rnd(r);
		memcpy(name, d->name, DMAOWN_NAME_LEN);
		name[DMAOWN_NAME_LEN] = 0;
		gid = pci_group(name);
	} else if (c->req == DMAOWN_QUARANTINE_ADD || c->req == DMAOWN_QUARANTINE_REMOVE) {
		struct dmaown_quarantine *q = (void *)buf;
		char spec[DMAOWN_SPEC_LEN + 1];

		fuzz_name(r, q->spec, sizeof(q->spec), true);
		memcpy(spec, q->spec, DMAOWN_SPEC_LEN);
		spec[DMAOWN_SPEC_LEN] = 0;
		gid = pci_group(spec);
	} else if (c->req == DMAOWN_EVENTS_OPEN) {
		struct dmaown_events_open *o = (void *)buf;

		o->filter = pick(r, 4) ? pick(r, 2) : rnd(r);
		o->group_id = o->filter || !pick(r, 4) ? (uint32_t)gid : 0;
		gid = -1;
	} else {
		gid = -1;
	}
	return gid;
}

/* the argument pointer: mostly @buf, else a bad one */
static void *fuzz_arg(struct rng *r, struct pages *p, uint8_t *buf, size_t len, bool *ro)
{
	*ro = false;
	switch (pick(r, 12)) {
	case 0:
		return NULL;
	case 1:
		return p->none;
	case 2:
		return (void *)0xffff888000001000ULL;
	case 3: /* the struct straddles the guard page */
		memmove(p->rw + PAGE - 8, buf, 8);
		return p->rw + PAGE - 8;
	case 4: /* read-only: the kernel cannot write its reply */
		*ro = true;
		if (mprotect(p->ro, PAGE, PROT_READ | PROT_WRITE))
			return NULL;
		memcpy(p->ro, buf, len);
		mprotect(p->ro, PAGE, PROT_READ);
		return p->ro;
	default:
		return buf;
	}
}

static int state_of(int fd, int gid)
{
	return gid < 0 ? -1 : dmaown_state(fd, gid);
}

static void collect_targets(void)
{
	struct sysdev devs[16];
	int ids[MAX_GIDS], n;

	n = sys_groups(ids, MAX_GIDS);
	for (int i = 0; i < n && nr_gids < MAX_GIDS; i++) {
		int m = sys_group_devices(ids[i], devs, 16);

		gids[nr_gids++] = ids[i];
		for (int j = 0; j < m && nr_bdfs < MAX_BDFS; j++)
			if (!strcmp(devs[j].bus, "pci"))
				scopy(bdfs[nr_bdfs++], DMAOWN_NAME_LEN, devs[j].name);
	}
}

static uint64_t seed_of(void)
{
	const char *s = getenv("DMAOWN_FUZZ_SEED");

	if (s && *s)
		return strtoull(s, NULL, 0);
	return (uint64_t)time(NULL) * 2654435761u ^ getpid();
}

static unsigned long calls_of(void)
{
	const char *s = getenv("DMAOWN_FUZZ_CALLS");

	return s && *s ? strtoul(s, NULL, 0) : 100000;
}

/* --- phase 1: a failed call changes nothing -------------------------------- */

TEST_TIMEOUT(failed_calls_change_nothing, 600)
{
	unsigned long n = calls_of() / 5, failed = 0, changed = 0, ok = 0;
	struct rng r = { .s = seed_of() | 1 };
	uint8_t buf[PAGE];
	struct pages p;
	int fd, obs;

	th_diag("seed %#llx (DMAOWN_FUZZ_SEED replays it), %lu calls", (unsigned long long)r.s,
		n);
	collect_targets();
	ASSERT_LT(0, nr_gids);
	ASSERT_OK(pages_map(&p));
	fd = dmaown_open();
	obs = dmaown_open();
	ASSERT_LE(0, fd);
	ASSERT_LE(0, obs);
	for (unsigned long i = 0; i < n; i++) {
		int idx, gid = -1, before, after, ret;
		unsigned long req = fuzz_req(&r, &idx);
		const struct cmd *c = idx >= 0 ? &cmds[idx] : &cmds[pick(&r, NR_CMDS)];
		bool ro;
		void *arg;

		gid = fuzz_struct(&r, c, buf, &p);
		arg = fuzz_arg(&r, &p, buf, c->size + 16, &ro);
		before = state_of(obs, gid);
		ret = ioctl(fd, req, arg);
		after = state_of(obs, gid);
		if (ret > 0) { /* EVENTS_OPEN: an event fd */
			close(ret);
			ret = 0;
		}
		if (!ret) {
			ok++;
			continue;
		}
		failed++;
		if (before != after && changed++ < 5)
			th_diag("call %lu: req %#lx failed (%s) but group %d went %d -> %d", i, req,
				th_errname(errno), gid, before, after);
		/* now and then, let go of everything */
		if (!pick(&r, 64)) {
			close(fd);
			fd = dmaown_open();
			ASSERT_LE(0, fd);
		}
	}
	th_diag("%lu calls: %lu succeeded, %lu failed, %lu changed something", n, ok, failed,
		changed);
	EXPECT_EQ(0, changed);
	close(fd);
	close(obs);
	/* a quarantine that a call made outlives the files, by design */
	EXPECT_OK(quarantine_param_set(""));
}

/* --- phase 2: many files, many threads ---------------------------------------- */

#define FILES 4
#define THREADS 8

struct storm {
	int fds[FILES];
	unsigned long per_thread;
	uint64_t seed;
	atomic_ulong calls, ok;
};

struct storm_thread {
	struct storm *s;
	int idx;
};

static void *storm_run(void *arg)
{
	struct storm_thread *t = arg;
	struct rng r = { .s = (t->s->seed + 0x9e3779b97f4a7c15ULL * (t->idx + 1)) | 1 };
	uint8_t buf[PAGE];
	struct pages p;

	if (pages_map(&p))
		return NULL;
	for (unsigned long i = 0; i < t->s->per_thread; i++) {
		int idx, ret;
		unsigned long req = fuzz_req(&r, &idx);
		const struct cmd *c = idx >= 0 ? &cmds[idx] : &cmds[pick(&r, NR_CMDS)];
		bool ro;
		void *a;

		fuzz_struct(&r, c, buf, &p);
		a = fuzz_arg(&r, &p, buf, c->size + 16, &ro);
		ret = ioctl(t->s->fds[pick(&r, FILES)], req, a);
		if (ret > 0) /* EVENTS_OPEN: an event fd */
			close(ret);
		if (ret >= 0)
			t->s->ok++;
		t->s->calls++;
	}
	munmap(p.rw, 3 * PAGE);
	return NULL;
}

TEST_TIMEOUT(storm_of_files_and_threads, 600)
{
	struct storm s = { .seed = seed_of() ^ 0x5a5a5a5a };
	struct storm_thread t[THREADS];
	pthread_t th[THREADS];
	int fd, ids[MAX_GIDS], n;

	collect_targets();
	s.per_thread = calls_of() * 4 / 5 / THREADS;
	th_diag("seed %#llx, %d files, %d threads, %lu calls each", (unsigned long long)s.seed,
		FILES, THREADS, s.per_thread);
	for (int i = 0; i < FILES; i++) {
		s.fds[i] = dmaown_open();
		ASSERT_LE(0, s.fds[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		t[i] = (struct storm_thread){ .s = &s, .idx = i };
		ASSERT_OK(pthread_create(&th[i], NULL, storm_run, &t[i]));
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	th_diag("%lu calls, %lu succeeded", (unsigned long)s.calls, (unsigned long)s.ok);
	EXPECT_EQ(s.per_thread * THREADS, s.calls);
	for (int i = 0; i < FILES; i++)
		close(s.fds[i]);
	/* a quarantine that a call made outlives the files, by design */
	EXPECT_OK(quarantine_param_set(""));

	/* nothing is held once every file is closed */
	fd = dmaown_open();
	ASSERT_LE(0, fd);
	n = sys_groups(ids, MAX_GIDS);
	for (int i = 0; i < n; i++) {
		struct dmaown_group_status st;

		ASSERT_OK(dmaown_status(fd, ids[i], &st, NULL, 0));
		if (st.out_state != DMAOWN_STATE_FREE || st.out_group_flags)
			th_diag("group %d: state %u flags %#x", ids[i], st.out_state,
				st.out_group_flags);
		EXPECT_EQ(DMAOWN_STATE_FREE, st.out_state);
		EXPECT_EQ(0, st.out_group_flags & (DMAOWN_GROUP_HELD | DMAOWN_GROUP_REVOKED |
						   DMAOWN_GROUP_MEMBER_LEAVING));
	}
	close(fd);
	/* and the module goes and comes back */
	EXPECT_OK(dmaown_reload());
}

TEST_HARNESS_MAIN
