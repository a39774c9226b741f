// SPDX-License-Identifier: GPL-2.0
/*
 * events_test - event fds (DMAOWN_EVENTS_OPEN, issue 15): bad input is
 * refused and changes nothing; each event type comes from the action that
 * causes it, in order, with its fields (claim, release, revoke, denied
 * bind, driver bound and unbound, member added and removed, quarantine
 * add and remove); a blocking read waits and is interruptible, O_NONBLOCK
 * gives EAGAIN, a buffer smaller than a record is EINVAL and loses
 * nothing; a flood of denied binds overflows the queue into one GAP
 * record while the kernel neither blocks nor oopses; a queue filtered on a
 * group is closed (POLLHUP, read 0) when the group goes away; the
 * tracepoints fire under /sys/kernel/tracing/events/dmaown/.
 *
 * Every test leaves the topology as booted: drivers bound, no claim, an
 * empty quarantine list, every device present.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <time.h>

#include "harness.h"
#include "lib/testlib.h"

#define TRACING "/sys/kernel/tracing"
#define HANDOFF_WINDOW "/sys/module/dmaown/parameters/handoff_window"
#define EV_SIZE sizeof(struct dmaown_event)

/* --- helpers -------------------------------------------------------------- */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static const char *type_name(uint32_t t)
{
	static const char *const names[] = {
		"?", "gap", "claim", "release", "revoke", "denied_bind", "driver_bound",
		"driver_unbound", "member_added", "member_removed", "quarantine_add",
		"quarantine_remove", "vfio_take", "vfio_leave",
	};

	return t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

static void ev_log(const struct dmaown_event *e)
{
	th_diag("event seq=%llu %s group=%u device='%.64s' driver='%.64s' "
		"error=%u reason=%#x count=%u pid=%u comm='%.16s'",
		(unsigned long long)e->seq, type_name(e->type), e->group_id, e->device, e->driver,
		e->error, e->reason, e->count, e->pid, e->comm);
}

/* the next record within @timeout_ms: 1, 0 when none came, -errno */
static int ev_next(int efd, struct dmaown_event *e, int timeout_ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, timeout_ms) < 0)
		return -errno;
	if (!(p.revents & POLLIN))
		return 0;
	memset(e, 0xa5, sizeof(*e));
	n = read(efd, e, sizeof(*e));
	if (n < 0)
		return -errno;
	if (n == 0)
		return 0;
	if (n != (ssize_t)sizeof(*e))
		return -EPROTO;
	ev_log(e);
	return 1;
}

/*
 * Every record's fixed rules: its size, NUL-terminated zero-padded
 * strings, a zero __reserved, a time in the past, a sequence number above
 * the previous one (*@seq, updated).
 */
static void ev_check(struct __test_metadata *_metadata, const struct dmaown_event *e,
		     uint64_t *seq)
{
	const char *strs[] = { e->comm, e->device, e->driver };
	const size_t lens[] = { sizeof(e->comm), sizeof(e->device), sizeof(e->driver) };

	EXPECT_EQ(EV_SIZE, e->size);
	EXPECT_EQ(0, e->__reserved);
	EXPECT_LT(0, e->time_ns);
	EXPECT_GE(mono_ns(), e->time_ns);
	EXPECT_LT(*seq, e->seq);
	*seq = e->seq;
	for (int i = 0; i < 3; i++) {
		size_t n = strnlen(strs[i], lens[i]);

		EXPECT_LT(n, lens[i]);
		for (size_t j = n; j < lens[i]; j++)
			if (strs[i][j]) {
				TH_LOG("string %d not zero-padded at %zu", i, j);
				EXPECT_EQ(0, strs[i][j]);
				break;
			}
	}
}

/* the next record must be of @type for group @gid (and @device, if not NULL) */
#define EXPECT_EVENT(efd, e, seq, _type, _gid, _dev)                                    \
	do {                                                                            \
		ASSERT_EQ(1, ev_next(efd, e, 3000));                                    \
		ev_check(_metadata, e, seq);                                            \
		EXPECT_STREQ(type_name(_type), type_name((e)->type));                   \
		EXPECT_EQ((uint32_t)(_gid), (e)->group_id);                             \
		EXPECT_STREQ((const char *)(_dev), (e)->device);                        \
	} while (0)

/* nothing more is queued */
#define EXPECT_QUIET(efd)                                                                \
	do {                                                                             \
		struct dmaown_event __q;                                                 \
		EXPECT_EQ(0, ev_next(efd, &__q, 200));                                   \
	} while (0)

static void my_comm(char *buf, size_t len)
{
	if (sysfs_read("/proc/self/comm", buf, len) < 0)
		buf[0] = 0;
}

/* --- bad input ------------------------------------------------------------ */

TEST(bad_input_is_refused)
{
	struct dmaown_events_open o;
	int fd = dmaown_open(), efd;
	uint8_t big[64];

	ASSERT_LE(0, fd);
	/* unknown filters, a group id without the group filter, a group id past INT_MAX */
	EXPECT_ERRNO(EINVAL, dmaown_events_open(fd, 2, 0));
	EXPECT_ERRNO(EINVAL, dmaown_events_open(fd, ~0u, 0));
	EXPECT_ERRNO(EINVAL, dmaown_events_open(fd, 2, 1));
	EXPECT_ERRNO(EINVAL, dmaown_events_open(fd, DMAOWN_EVENTS_ALL, 1));
	EXPECT_ERRNO(EINVAL, dmaown_events_open(fd, DMAOWN_EVENTS_GROUP, 0x80000000u));
	EXPECT_ERRNO(EINVAL, dmaown_events_open(fd, DMAOWN_EVENTS_GROUP, ~0u));
	/* flags: none is defined (the header: EOPNOTSUPP for an unknown flag) */
	o = (struct dmaown_events_open){ .size = sizeof(o), .flags = 1 };
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(fd, DMAOWN_EVENTS_OPEN, &o));
	o.flags = 1u << 31;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(fd, DMAOWN_EVENTS_OPEN, &o));
	/* sizes */
	o = (struct dmaown_events_open){ .size = sizeof(o) - 1 };
	EXPECT_ERRNO(EINVAL, ioctl(fd, DMAOWN_EVENTS_OPEN, &o));
	o.size = 8;
	EXPECT_ERRNO(EINVAL, ioctl(fd, DMAOWN_EVENTS_OPEN, &o));
	memset(big, 0, sizeof(big));
	*(uint32_t *)big = sizeof(big);
	big[sizeof(big) - 1] = 1;
	EXPECT_ERRNO(E2BIG, ioctl(fd, DMAOWN_EVENTS_OPEN, big));
	EXPECT_ERRNO(EFAULT, ioctl(fd, DMAOWN_EVENTS_OPEN, NULL));
	/* a bigger struct with zeros is fine */
	big[sizeof(big) - 1] = 0;
	efd = ioctl(fd, DMAOWN_EVENTS_OPEN, big);
	EXPECT_LE(0, efd);
	if (efd >= 0) {
		EXPECT_EQ(FD_CLOEXEC, fcntl(efd, F_GETFD) & FD_CLOEXEC);
		EXPECT_EQ(O_RDONLY, fcntl(efd, F_GETFL) & O_ACCMODE);
		/* not writable, not an ioctl target */
		EXPECT_ERRNO(EBADF, write(efd, big, sizeof(big)));
		close(efd);
	}
	close(fd);
}

/* --- claims --------------------------------------------------------------- */

FIXTURE(lone) {
	int fd, gid, efd, all;
	uint64_t seq, seq_all;
	char comm[32];
};

FIXTURE_SETUP(lone)
{
	self->efd = -1;
	self->all = -1;
	self->seq = 0;
	self->seq_all = 0;
	self->gid = pci_group(EDU_LONE);
	ASSERT_LE(0, self->gid);
	my_comm(self->comm, sizeof(self->comm));
	self->fd = dmaown_open();
	ASSERT_LE(0, self->fd);
	self->efd = dmaown_events_open(self->fd, DMAOWN_EVENTS_GROUP, self->gid);
	ASSERT_LE(0, self->efd);
	self->all = dmaown_events_open(self->fd, DMAOWN_EVENTS_ALL, 0);
	ASSERT_LE(0, self->all);
}

FIXTURE_TEARDOWN(lone)
{
	char buf[256];

	if (quarantine_param(buf, sizeof(buf)) > 0)
		EXPECT_OK(quarantine_param_set(""));
	if (pci_has_driver(EDU_LONE, "vfio-pci"))
		EXPECT_OK(pci_unbind_vfio(EDU_LONE));
	EXPECT_OK(sysfs_write(HANDOFF_WINDOW, "0"));
	if (self->efd >= 0)
		close(self->efd);
	if (self->all >= 0)
		close(self->all);
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(lone, claim_and_release_in_order)
{
	struct dmaown_event e;
	pid_t pid = getpid();
	int fd2;

	/* nothing yet: poll says so, a non-blocking read says EAGAIN */
	EXPECT_EQ(0, poll_revents(self->efd, 0));
	ASSERT_OK(fcntl(self->efd, F_SETFL, O_NONBLOCK));
	EXPECT_ERRNO(EAGAIN, read(self->efd, &e, sizeof(e)));

	ASSERT_OK(dmaown_group_claim(self->fd, self->gid));
	EXPECT_TRUE(poll_revents(self->efd, 1000) & POLLIN);
	EXPECT_EVENT(self->efd, &e, &self->seq, DMAOWN_EVENT_CLAIM, self->gid, "");
	EXPECT_EQ((uint32_t)pid, e.pid);
	EXPECT_STREQ(self->comm, e.comm);
	EXPECT_EQ(0, e.error);
	EXPECT_EQ(0, e.reason);

	/* a device claim on top: a claim with the device */
	ASSERT_OK(dmaown_device_claim(self->fd, EDU_LONE, "pci", NULL));
	EXPECT_EVENT(self->efd, &e, &self->seq, DMAOWN_EVENT_CLAIM, self->gid, EDU_LONE);
	/* the group claim goes, the device claim holds the group: no release */
	ASSERT_OK(dmaown_group_release(self->fd, self->gid));
	EXPECT_QUIET(self->efd);
	ASSERT_OK(dmaown_device_release(self->fd, EDU_LONE, "pci"));
	EXPECT_EVENT(self->efd, &e, &self->seq, DMAOWN_EVENT_RELEASE, self->gid, "");
	EXPECT_EQ((uint32_t)pid, e.pid);
	EXPECT_EQ(0, e.error);

	/* a close releases too */
	fd2 = dmaown_open();
	ASSERT_LE(0, fd2);
	ASSERT_OK(dmaown_group_claim(fd2, self->gid));
	close(fd2);
	EXPECT_EVENT(self->efd, &e, &self->seq, DMAOWN_EVENT_CLAIM, self->gid, "");
	EXPECT_EVENT(self->efd, &e, &self->seq, DMAOWN_EVENT_RELEASE, self->gid, "");
	EXPECT_QUIET(self->efd);

	/* the unfiltered queue saw the same, in the same order */
	for (int i = 0; i < 5; i++) {
		static const uint32_t want[] = {
			DMAOWN_EVENT_CLAIM, DMAOWN_EVENT_CLAIM, DMAOWN_EVENT_RELEASE,
			DMAOWN_EVENT_CLAIM, DMAOWN_EVENT_RELEASE,
		};

		do {
			ASSERT_EQ(1, ev_next(self->all, &e, 3000));
			ev_check(_metadata, &e, &self->seq_all);
		} while (e.group_id != (uint32_t)self->gid);
		EXPECT_STREQ(type_name(want[i]), type_name(e.type));
	}
	EXPECT_EQ(self->seq, self->seq_all);
}

TEST_F(lone, quarantine_add_and_remove)
{
	struct dmaown_event e;

	ASSERT_OK(dmaown_quarantine_add(self->fd, EDU_LONE));
	EXPECT_EVENT(self->efd, &e, &self->seq, DMAOWN_EVENT_QUARANTINE_ADD, self->gid, "");
	/* a file's claim takes the hold over, and gives it back */
	ASSERT_OK(dmaown_group_claim(self->fd, self->gid));
	EXPECT_EVENT(self->efd, &e, &self->seq, DMAOWN_EVENT_CLAIM, self->gid, "");
	EXPECT_EQ(DMAOWN_GROUP_QUARANTINED, e.reason);
	ASSERT_OK(dmaown_group_release(self->fd, self->gid));
	EXPECT_EVENT(self->efd, &e, &self->seq, DMAOWN_EVENT_RELEASE, self->gid, "");
	ASSERT_OK(dmaown_quarantine_remove(self->fd, EDU_LONE));
	EXPECT_EVENT(self->efd, &e, &self->seq, DMAOWN_EVENT_QUARANTINE_REMOVE, self->gid, "");
	EXPECT_QUIET(self->efd);
}

/*
 * VFIO where dmaown sees it: the 5.10 shield sees type1 attach and detach
 * the group; elsewhere VFIO's own claim is not seen, but a quarantine's
 * hand-off to VFIO (at vfio-pci's bind: handoff_window=1 under iommu=pt)
 * and its taking the group back (at the unbind) are.
 */
TEST_F(lone, vfio_take_and_leave)
{
	struct dmaown_info info;
	struct dmaown_event e;
	const char *step = "";
	struct vfio v;
	bool legacy;
	int ret;

	ASSERT_OK(dmaown_info(self->fd, &info));
	legacy = info.out_flags & DMAOWN_INFO_LEGACY_OWNERSHIP;
	ASSERT_TRUE(pci_has_driver(EDU_LONE, ""));
	ASSERT_OK(pci_bind_vfio(EDU_LONE));
	EXPECT_EVENT(self->efd, &e, &self->seq, DMAOWN_EVENT_DRIVER_BOUND, self->gid, EDU_LONE);
	EXPECT_STREQ("vfio-pci", e.driver);
	ret = vfio_take(&v, self->gid, EDU_LONE, &step);
	if (ret)
		TH_LOG("VFIO: %s: %s", step, strerror(ret));
	EXPECT_EQ(0, ret);
	if (legacy) {
		EXPECT_EVENT(self->efd, &e, &self->seq, DMAOWN_EVENT_VFIO_TAKE, self->gid, "");
		EXPECT_EQ((uint32_t)getpid(), e.pid);
		EXPECT_EQ(0, e.reason);
	}
	EXPECT_QUIET(self->efd);
	vfio_close(&v);
	if (legacy) {
		EXPECT_EVENT(self->efd, &e, &self->seq, DMAOWN_EVENT_VFIO_LEAVE, self->gid, "");
		EXPECT_EQ((uint32_t)getpid(), e.pid);
	}
	EXPECT_QUIET(self->efd);
	ASSERT_OK(pci_unbind_vfio(EDU_LONE));
	EXPECT_EVENT(self->efd, &e, &self->seq, DMAOWN_EVENT_DRIVER_UNBOUND, self->gid, EDU_LONE);
	if (legacy)
		return; /* the shield hands a quarantine over at the attach: quarantine_test */

	ASSERT_OK(sysfs_write(HANDOFF_WINDOW, "1"));
	ASSERT_OK(dmaown_quarantine_add(self->fd, EDU_LONE));
	EXPECT_EVENT(self->efd, &e, &self->seq, DMAOWN_EVENT_QUARANTINE_ADD, self->gid, "");
	ASSERT_OK(pci_bind_vfio(EDU_LONE));
	/*
	 * The hand-off comes from the BOUND_DRIVER notifier, after the bind's
	 * event, or from the quarantine's work item (the unbind above queued
	 * it) when that runs while vfio-pci's probe is still under way: both
	 * events, in either order.
	 */
	{
		struct dmaown_event two[2];
		int bound;

		for (int i = 0; i < 2; i++) {
			ASSERT_EQ(1, ev_next(self->efd, &two[i], 3000));
			ev_check(_metadata, &two[i], &self->seq);
			EXPECT_EQ((uint32_t)self->gid, two[i].group_id);
		}
		bound = two[1].type == DMAOWN_EVENT_DRIVER_BOUND;
		EXPECT_STREQ(type_name(DMAOWN_EVENT_DRIVER_BOUND), type_name(two[bound].type));
		EXPECT_STREQ(EDU_LONE, two[bound].device);
		EXPECT_STREQ(type_name(DMAOWN_EVENT_VFIO_TAKE), type_name(two[!bound].type));
		EXPECT_STREQ("", two[!bound].device);
		EXPECT_EQ(DMAOWN_GROUP_HANDED_OFF, two[!bound].reason);
	}
	ASSERT_OK(pci_unbind_vfio(EDU_LONE));
	EXPECT_EVENT(self->efd, &e, &self->seq, DMAOWN_EVENT_DRIVER_UNBOUND, self->gid, EDU_LONE);
	EXPECT_EVENT(self->efd, &e, &self->seq, DMAOWN_EVENT_VFIO_LEAVE, self->gid, "");
	EXPECT_EQ(DMAOWN_GROUP_HANDED_OFF, e.reason);
	ASSERT_OK(dmaown_quarantine_remove(self->fd, EDU_LONE));
	EXPECT_EVENT(self->efd, &e, &self->seq, DMAOWN_EVENT_QUARANTINE_REMOVE, self->gid, "");
	EXPECT_QUIET(self->efd);
}

TEST_F(lone, small_buffer_is_einval_and_loses_nothing)
{
	struct dmaown_event e[3];
	uint8_t small[EV_SIZE - 1];
	void *volatile bad = (void *)8;

	ASSERT_OK(dmaown_group_claim(self->fd, self->gid));
	ASSERT_OK(dmaown_group_release(self->fd, self->gid));
	ASSERT_TRUE(poll_revents(self->efd, 1000) & POLLIN);
	EXPECT_ERRNO(EINVAL, read(self->efd, small, sizeof(small)));
	EXPECT_ERRNO(EINVAL, read(self->efd, small, 1));
	EXPECT_ERRNO(EINVAL, read(self->efd, small, 0));
	/* a bad buffer: EFAULT, and still nothing lost */
	EXPECT_ERRNO(EFAULT, read(self->efd, bad, EV_SIZE));
	/* both records, in one read, and only whole ones (3 wanted, 1.5 more room) */
	memset(e, 0, sizeof(e));
	EXPECT_EQ((ssize_t)(2 * EV_SIZE), read(self->efd, e, 2 * EV_SIZE + EV_SIZE / 2));
	ev_check(_metadata, &e[0], &self->seq);
	ev_check(_metadata, &e[1], &self->seq);
	EXPECT_EQ(DMAOWN_EVENT_CLAIM, e[0].type);
	EXPECT_EQ(DMAOWN_EVENT_RELEASE, e[1].type);
	EXPECT_EQ(e[0].seq + 1, e[1].seq);
}

static volatile int got_usr1;

static void on_usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
}

struct later {
	int fd, gid, ms;
	pthread_t main;
	bool signal;
};

static void *later_fn(void *arg)
{
	struct later *l = arg;

	msleep(l->ms);
	if (l->signal)
		pthread_kill(l->main, SIGUSR1);
	else if (dmaown_group_claim(l->fd, l->gid))
		perror("later claim");
	return NULL;
}

TEST_F(lone, blocking_read_waits_and_is_interruptible)
{
	struct sigaction sa = { .sa_handler = on_usr1 }; /* no SA_RESTART */
	struct later l = { .fd = self->fd, .gid = self->gid, .ms = 300 };
	struct dmaown_event e;
	uint64_t t0;
	pthread_t t;

	/* a signal ends a blocking read with EINTR */
	ASSERT_OK(sigaction(SIGUSR1, &sa, NULL));
	l.main = pthread_self();
	l.signal = true;
	ASSERT_OK(pthread_create(&t, NULL, later_fn, &l));
	t0 = now_ms();
	EXPECT_ERRNO(EINTR, read(self->efd, &e, sizeof(e)));
	EXPECT_LE(250, now_ms() - t0);
	EXPECT_TRUE(got_usr1);
	pthread_join(t, NULL);

	/* it waits for the claim another thread makes */
	l.signal = false;
	ASSERT_OK(pthread_create(&t, NULL, later_fn, &l));
	t0 = now_ms();
	EXPECT_EQ((ssize_t)EV_SIZE, read(self->efd, &e, sizeof(e)));
	EXPECT_LE(250, now_ms() - t0);
	pthread_join(t, NULL);
	ev_check(_metadata, &e, &self->seq);
	EXPECT_EQ(DMAOWN_EVENT_CLAIM, e.type);
	EXPECT_OK(dmaown_group_release(self->fd, self->gid));
}

/* --- the NIC: viability, denied binds, the overflow ------------------------ */

FIXTURE(nic) {
	int fd, gid, efd;
	uint64_t seq;
	struct kmsg k;
};

FIXTURE_SETUP(nic)
{
	self->efd = -1;
	self->k.fd = -1;
	self->seq = 0;
	self->gid = pci_group(NIC_LONE);
	ASSERT_LE(0, self->gid);
	ASSERT_TRUE(pci_has_driver(NIC_LONE, NIC_LONE_DRIVER));
	self->fd = dmaown_open();
	ASSERT_LE(0, self->fd);
	self->efd = dmaown_events_open(self->fd, DMAOWN_EVENTS_GROUP, self->gid);
	ASSERT_LE(0, self->efd);
	ASSERT_OK(kmsg_begin(&self->k));
}

FIXTURE_TEARDOWN(nic)
{
	if (self->efd >= 0)
		close(self->efd);
	if (self->fd >= 0)
		close(self->fd);
	EXPECT_OK(pci_ensure_driver(NIC_LONE, NIC_LONE_DRIVER));
	EXPECT_EQ(0, kmsg_count_bad(&self->k));
	if (kmsg_count_bad(&self->k))
		kmsg_dump(&self->k, "nic");
	kmsg_end(&self->k);
}

TEST_F(nic, viability_and_denied_bind)
{
	struct dmaown_event e;

	ASSERT_OK(pci_unbind(NIC_LONE));
	EXPECT_EVENT(self->efd, &e, &self->seq, DMAOWN_EVENT_DRIVER_UNBOUND, self->gid, NIC_LONE);
	ASSERT_OK(dmaown_group_claim(self->fd, self->gid));
	EXPECT_EVENT(self->efd, &e, &self->seq, DMAOWN_EVENT_CLAIM, self->gid, "");
	EXPECT_EQ(-EBUSY, pci_bind(NIC_LONE, NIC_LONE_DRIVER));
	EXPECT_EVENT(self->efd, &e, &self->seq, DMAOWN_EVENT_DENIED_BIND, self->gid, NIC_LONE);
	EXPECT_STREQ(NIC_LONE_DRIVER, e.driver);
	EXPECT_EQ(EBUSY, e.error);
	EXPECT_EQ((uint32_t)getpid(), e.pid);
	ASSERT_OK(dmaown_group_release(self->fd, self->gid));
	EXPECT_EVENT(self->efd, &e, &self->seq, DMAOWN_EVENT_RELEASE, self->gid, "");
	ASSERT_OK(pci_bind(NIC_LONE, NIC_LONE_DRIVER));
	EXPECT_EVENT(self->efd, &e, &self->seq, DMAOWN_EVENT_DRIVER_BOUND, self->gid, NIC_LONE);
	EXPECT_STREQ(NIC_LONE_DRIVER, e.driver);
	EXPECT_QUIET(self->efd);
}

#define FLOOD (DMAOWN_EVENTS_QUEUE_LEN + 150)

TEST_F_TIMEOUT(nic, flood_of_denied_binds_gives_one_gap, 240)
{
	struct dmaown_event *evs, e;
	uint64_t t0, slowest = 0, t;
	int i, n, denied = 0;
	ssize_t r;

	ASSERT_OK(pci_unbind(NIC_LONE));
	ASSERT_EQ(1, ev_next(self->efd, &e, 3000)); /* the unbind */
	self->seq = e.seq;
	ASSERT_OK(dmaown_group_claim(self->fd, self->gid));
	/* nobody reads: every bind is refused at once all the same */
	for (i = 0; i < FLOOD; i++) {
		t0 = now_ms();
		denied += pci_bind(NIC_LONE, NIC_LONE_DRIVER) == -EBUSY;
		t = now_ms() - t0;
		slowest = t > slowest ? t : slowest;
	}
	th_diag("%d binds refused, the slowest took %llu ms", denied,
		(unsigned long long)slowest);
	EXPECT_EQ(FLOOD, denied);
	EXPECT_GT(2000, slowest);
	ASSERT_OK(dmaown_group_release(self->fd, self->gid));

	/* the claim and the first denied binds, then one gap for the rest and the release */
	evs = calloc(DMAOWN_EVENTS_QUEUE_LEN + 8, EV_SIZE);
	ASSERT_NE(NULL, evs);
	ASSERT_OK(fcntl(self->efd, F_SETFL, O_NONBLOCK));
	r = read(self->efd, evs, (DMAOWN_EVENTS_QUEUE_LEN + 8) * EV_SIZE);
	ASSERT_EQ((ssize_t)((DMAOWN_EVENTS_QUEUE_LEN + 1) * EV_SIZE), r);
	n = r / EV_SIZE;
	EXPECT_EQ(DMAOWN_EVENT_CLAIM, evs[0].type);
	for (i = 0; i < n; i++) {
		ev_check(_metadata, &evs[i], &self->seq);
		if (i > 0 && i < DMAOWN_EVENTS_QUEUE_LEN &&
		    evs[i].type != DMAOWN_EVENT_DENIED_BIND) {
			ev_log(&evs[i]);
			EXPECT_EQ(DMAOWN_EVENT_DENIED_BIND, evs[i].type);
			break;
		}
	}
	ev_log(&evs[n - 1]);
	EXPECT_EQ(DMAOWN_EVENT_GAP, evs[n - 1].type);
	/* 1 claim + FLOOD denials + 1 release, 256 kept */
	EXPECT_EQ(FLOOD + 2 - DMAOWN_EVENTS_QUEUE_LEN, evs[n - 1].count);
	EXPECT_EQ((uint32_t)self->gid, evs[n - 1].group_id);
	EXPECT_EQ(evs[n - 2].seq + 1, evs[n - 1].seq);
	EXPECT_ERRNO(EAGAIN, read(self->efd, &e, sizeof(e)));
	free(evs);

	/* the queue works on: the bind after the release */
	ASSERT_OK(pci_bind(NIC_LONE, NIC_LONE_DRIVER));
	EXPECT_EVENT(self->efd, &e, &self->seq, DMAOWN_EVENT_DRIVER_BOUND, self->gid, NIC_LONE);
	EXPECT_EQ(0, kmsg_count_bad(&self->k));
}

/* --- devices coming and going ----------------------------------------------- */

FIXTURE(hp) {
	int fd;
};

FIXTURE_SETUP(hp)
{
	ASSERT_TRUE(pci_exists(EDU_HP));
	self->fd = dmaown_open();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(hp)
{
	if (!pci_exists(EDU_HP)) {
		pci_rescan();
		EXPECT_OK(pci_wait_present(EDU_HP, true, 5000));
	}
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F_TIMEOUT(hp, removal_closes_the_group_queue, 90)
{
	int gid = pci_group(EDU_HP), efd, all, gid2;
	struct dmaown_event e;
	uint64_t seq = 0, seq_all = 0;
	char buf[EV_SIZE];

	ASSERT_LE(0, gid);
	efd = dmaown_events_open(self->fd, DMAOWN_EVENTS_GROUP, gid);
	ASSERT_LE(0, efd);
	all = dmaown_events_open(self->fd, DMAOWN_EVENTS_ALL, 0);
	ASSERT_LE(0, all);
	ASSERT_OK(pci_remove(EDU_HP));
	ASSERT_OK(pci_wait_present(EDU_HP, false, 5000));
	EXPECT_EVENT(efd, &e, &seq, DMAOWN_EVENT_MEMBER_REMOVED, gid, EDU_HP);
	EXPECT_EQ(1, e.count);
	/* the group is gone: closed, read says 0, again and again */
	EXPECT_TRUE(poll_revents(efd, 2000) & POLLHUP);
	EXPECT_EQ(0, read(efd, buf, sizeof(buf)));
	EXPECT_EQ(0, read(efd, buf, sizeof(buf)));
	close(efd);

	do {
		ASSERT_EQ(1, ev_next(all, &e, 3000));
		ev_check(_metadata, &e, &seq_all);
	} while (strcmp(e.device, EDU_HP));
	EXPECT_EQ(DMAOWN_EVENT_MEMBER_REMOVED, e.type);
	EXPECT_EQ((uint32_t)gid, e.group_id);

	ASSERT_OK(pci_rescan());
	ASSERT_OK(pci_wait_present(EDU_HP, true, 5000));
	gid2 = pci_group(EDU_HP);
	do {
		ASSERT_EQ(1, ev_next(all, &e, 3000));
		ev_check(_metadata, &e, &seq_all);
	} while (strcmp(e.device, EDU_HP));
	EXPECT_EQ(DMAOWN_EVENT_MEMBER_ADDED, e.type);
	EXPECT_EQ((uint32_t)gid2, e.group_id);
	/* the unfiltered queue is not closed */
	EXPECT_FALSE(poll_revents(all, 0) & POLLHUP);
	close(all);
}

/* a member of the multifunction group leaves while it is owned: revoked */
TEST_TIMEOUT(member_removed_revokes, 120)
{
	int fd = dmaown_open(), gid = pci_group(EDU_MF_A), efd;
	struct dmaown_event e;
	uint64_t seq = 0;

	ASSERT_LE(0, fd);
	ASSERT_LE(0, gid);
	ASSERT_EQ(gid, pci_group(EDU_MF_B));
	efd = dmaown_events_open(fd, DMAOWN_EVENTS_GROUP, gid);
	ASSERT_LE(0, efd);
	ASSERT_OK(dmaown_group_claim(fd, gid));
	EXPECT_EVENT(efd, &e, &seq, DMAOWN_EVENT_CLAIM, gid, "");
	ASSERT_OK(pci_remove(EDU_MF_B));
	ASSERT_OK(pci_wait_present(EDU_MF_B, false, 5000));
	EXPECT_EVENT(efd, &e, &seq, DMAOWN_EVENT_MEMBER_REMOVED, gid, EDU_MF_B);
	EXPECT_EQ(2, e.count);
	EXPECT_EVENT(efd, &e, &seq, DMAOWN_EVENT_REVOKE, gid, EDU_MF_B);
	EXPECT_EQ(DMAOWN_GROUP_REVOKED | DMAOWN_GROUP_MEMBER_LOST, e.reason);
	EXPECT_EQ((uint32_t)getpid(), e.pid);
	EXPECT_ERRNO(ENODEV, dmaown_group_release(fd, gid));
	EXPECT_EVENT(efd, &e, &seq, DMAOWN_EVENT_RELEASE, gid, "");
	EXPECT_EQ(ENODEV, e.error);
	EXPECT_TRUE(e.reason & DMAOWN_GROUP_REVOKED);
	close(efd);
	close(fd);

	/* back as booted: the pair in one group, for the tests after this one */
	EXPECT_OK(pci_mf_regroup(EDU_MF_A, EDU_MF_B));
}

/* --- tracepoints ------------------------------------------------------------- */

/* How many lines of the trace buffer hold @want; each is printed as read. */
static int trace_count(const char *want)
{
	char line[512];
	int n = 0;
	FILE *f;

	f = fopen(TRACING "/trace", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || !strstr(line, want))
			continue;
		printf("# trace: %s", line);
		n++;
	}
	fclose(f);
	return n;
}

TEST(tracepoints_fire)
{
	static const char *const events[] = {
		"dmaown_claim", "dmaown_release", "dmaown_revoke", "dmaown_denied_bind",
		"dmaown_driver_bound", "dmaown_driver_unbound", "dmaown_member_added",
		"dmaown_member_removed", "dmaown_quarantine_add", "dmaown_quarantine_remove",
		"dmaown_vfio_take", "dmaown_vfio_leave",
	};
	char path[256], want_claim[64], want_rel[64];
	int fd, gid = pci_group(EDU_LONE);

	ASSERT_LE(0, gid);
	if (!path_exists(TRACING "/events"))
		SKIP("no tracefs at " TRACING);
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		snprintf(path, sizeof(path), TRACING "/events/dmaown/%s/format", events[i]);
		EXPECT_TRUE(path_exists(path));
	}
	ASSERT_EQ(0, run("echo > " TRACING "/trace")); /* O_TRUNC clears it */
	ASSERT_OK(sysfs_write(TRACING "/events/dmaown/enable", "1"));
	fd = dmaown_open();
	ASSERT_LE(0, fd);
	EXPECT_OK(dmaown_group_claim(fd, gid));
	EXPECT_OK(dmaown_group_release(fd, gid));
	close(fd);
	EXPECT_OK(sysfs_write(TRACING "/events/dmaown/enable", "0"));
	snprintf(want_claim, sizeof(want_claim), "dmaown_claim: group=%d ", gid);
	snprintf(want_rel, sizeof(want_rel), "dmaown_release: group=%d ", gid);
	EXPECT_EQ(1, trace_count(want_claim));
	EXPECT_EQ(1, trace_count(want_rel));
	run("echo > " TRACING "/trace");
}

/*
 * With no event fd open, the bus notifiers build no event (issue 16: every
 * bind of the machine passes there), unless its tracepoint is on.
 */
TEST(bus_tracepoints_fire_with_no_event_fd)
{
	static const char *const events[] = { "dmaown_driver_bound", "dmaown_driver_unbound" };
	char path[256], want_bound[96], want_unbound[96];
	int gid = pci_group(EDU_LONE);
	size_t i;

	ASSERT_LE(0, gid);
	if (!path_exists(TRACING "/events"))
		SKIP("no tracefs at " TRACING);
	ASSERT_TRUE(pci_has_driver(EDU_LONE, ""));
	ASSERT_EQ(0, run("echo > " TRACING "/trace"));
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		snprintf(path, sizeof(path), TRACING "/events/dmaown/%s/enable", events[i]);
		ASSERT_OK(sysfs_write(path, "1"));
	}
	EXPECT_OK(pci_bind_vfio(EDU_LONE));
	EXPECT_OK(pci_unbind_vfio(EDU_LONE));
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		snprintf(path, sizeof(path), TRACING "/events/dmaown/%s/enable", events[i]);
		EXPECT_OK(sysfs_write(path, "0"));
	}
	snprintf(want_bound, sizeof(want_bound),
		 "dmaown_driver_bound: group=%d device=%s driver=vfio-pci ", gid, EDU_LONE);
	snprintf(want_unbound, sizeof(want_unbound),
		 "dmaown_driver_unbound: group=%d device=%s ", gid, EDU_LONE);
	EXPECT_EQ(1, trace_count(want_bound));
	EXPECT_EQ(1, trace_count(want_unbound));
	run("echo > " TRACING "/trace");
}

TEST_HARNESS_MAIN
