// SPDX-License-Identifier: GPL-2.0
/*
 * bind_test - the probe guard (issue 4): kernel drivers cannot bind into an
 * owned group (bind, drivers_probe, modprobe), DMA-safe drivers can
 * (driver_override to vfio-pci or pci-stub), one log line per denial; the
 * claim/probe race; no kprobe or notifier left after unload; the guard
 * disarmed (kprobes/enabled = 0) is reported, refused where it is the only
 * defence, and revokes, fail-closed, the claims it leaves unprotected.
 * Hot-add and hot-remove are in unplug_test.
 *
 * Every test leaves the topology as booted: drivers bound, no claim, no
 * driver_override, every device present.
 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/ioctl.h>

#include "harness.h"
#include "lib/testlib.h"

#define DENIED "denied bind"

static void my_comm(char *buf, size_t len)
{
	if (sysfs_read("/proc/self/comm", buf, len) < 0)
		buf[0] = 0;
}

/* --- the e1000e group owned -------------------------------------------------- */

FIXTURE(nic) {
	int gid, fd;
	struct kmsg k;
};

FIXTURE_SETUP(nic)
{
	self->fd = -1;
	self->k.fd = -1;
	self->gid = pci_group(NIC_LONE);
	ASSERT_LE(0, self->gid);
	ASSERT_OK(pci_unbind(NIC_LONE));
	ASSERT_TRUE(pci_has_driver(NIC_LONE, ""));
	self->fd = dmaown_open();
	ASSERT_LE(0, self->fd);
	ASSERT_OK(dmaown_group_claim(self->fd, self->gid));
	ASSERT_OK(kmsg_begin(&self->k));
}

FIXTURE_TEARDOWN(nic)
{
	char drv[NAME_LEN];

	if (self->fd >= 0)
		close(self->fd);
	kmsg_end(&self->k);
	if (pci_driver(NIC_LONE, drv, sizeof(drv)) == 0 && strcmp(drv, NIC_LONE_DRIVER) &&
	    drv[0])
		EXPECT_OK(pci_unbind(NIC_LONE));
	EXPECT_OK(pci_set_override(NIC_LONE, NULL));
	if (!module_loaded(NIC_LONE_DRIVER))
		run("modprobe %s", NIC_LONE_DRIVER);
	EXPECT_OK(pci_ensure_driver(NIC_LONE, NIC_LONE_DRIVER));
}

TEST_F(nic, bind_refused_with_one_log_line)
{
	char comm[32], line[256];
	int n;

	my_comm(comm, sizeof(comm));
	EXPECT_EQ(-EBUSY, pci_bind(NIC_LONE, NIC_LONE_DRIVER));
	EXPECT_TRUE(pci_has_driver(NIC_LONE, ""));
	EXPECT_EQ(DMAOWN_STATE_OWNED, dmaown_state(self->fd, self->gid));
	/* exactly one line, with its stable keys */
	kmsg_wait(&self->k, DENIED, NIC_LONE, 1, 2000);
	msleep(300);
	kmsg_collect(&self->k);
	n = kmsg_count(&self->k, DENIED, NIC_LONE);
	snprintf(line, sizeof(line), "dmaown: %s: denied bind: driver=%s group=%d owner=%s[%d]",
		 NIC_LONE, NIC_LONE_DRIVER, self->gid, comm, getpid());
	EXPECT_EQ(1, n);
	EXPECT_EQ(1, kmsg_count(&self->k, line, NULL));
	if (n != 1 || kmsg_count(&self->k, line, NULL) != 1) {
		th_diag("want: %s", line);
		kmsg_dump(&self->k, "bind");
	}
	EXPECT_EQ(0, kmsg_count_bad(&self->k));
}

TEST_F(nic, drivers_probe_does_not_bind)
{
	int ret = pci_drivers_probe(NIC_LONE);

	th_diag("drivers_probe: %s", ret ? strerror(-ret) : "success");
	EXPECT_TRUE(pci_has_driver(NIC_LONE, ""));
	EXPECT_LE(1, kmsg_wait(&self->k, DENIED, NIC_LONE, 1, 2000));
	EXPECT_EQ(DMAOWN_STATE_OWNED, dmaown_state(self->fd, self->gid));
}

TEST_F(nic, modprobe_does_not_bind)
{
	char path[PATH_MAX];
	int ret;

	/* e1000e drives nothing now: unload it, and let its load try to bind */
	ret = module_unload(NIC_LONE_DRIVER);
	if (ret)
		TH_LOG("rmmod %s: %s", NIC_LONE_DRIVER, strerror(-ret));
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, run("modprobe %s", NIC_LONE_DRIVER));
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s", NIC_LONE_DRIVER);
	EXPECT_TRUE(path_exists(path));
	msleep(1000);
	EXPECT_TRUE(pci_has_driver(NIC_LONE, ""));
	EXPECT_LE(1, kmsg_wait(&self->k, DENIED, NIC_LONE, 1, 2000));
	EXPECT_EQ(DMAOWN_STATE_OWNED, dmaown_state(self->fd, self->gid));
}

/* a DMA-safe driver binds into the owned group through driver_override */
static void check_override(struct __test_metadata *_metadata, FIXTURE_DATA(nic) *self,
			   const char *drv, bool through_probe)
{
	struct dmaown_device_info devs[2];
	struct dmaown_group_status st;
	char path[PATH_MAX];
	int ret;


	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s", drv);
	if (!path_exists(path))
		run("modprobe %s >/dev/null 2>&1", drv);
	ASSERT_OK(pci_set_override(NIC_LONE, drv));
	ret = through_probe ? pci_drivers_probe(NIC_LONE) : pci_bind(NIC_LONE, drv);
	if (ret)
		TH_LOG("%s %s: %s", through_probe ? "drivers_probe" : "bind", drv, strerror(-ret));
	EXPECT_EQ(0, ret);
	EXPECT_TRUE(pci_has_driver(NIC_LONE, drv));
	/* still owned, still blocked; the device is DMA-safe now */
	ASSERT_OK(dmaown_status(self->fd, self->gid, &st, devs, 2));
	EXPECT_EQ(DMAOWN_STATE_OWNED, st.out_state);
	EXPECT_EQ(DMAOWN_DOMAIN_BLOCKING, st.out_domain);
	EXPECT_EQ(1, st.out_nr_devices);
	EXPECT_STREQ(drv, devs[0].driver);
	EXPECT_EQ(DMAOWN_DEVICE_DMA_SAFE, devs[0].flags);
	EXPECT_EQ(0, kmsg_wait(&self->k, DENIED, NIC_LONE, 1, 300));
	EXPECT_OK(pci_unbind(NIC_LONE));
	EXPECT_OK(pci_set_override(NIC_LONE, NULL));
	EXPECT_TRUE(pci_has_driver(NIC_LONE, ""));
	EXPECT_EQ(DMAOWN_STATE_OWNED, dmaown_state(self->fd, self->gid));
}

TEST_F(nic, override_vfio_pci_binds)
{
	check_override(_metadata, self, "vfio-pci", false);
}

TEST_F(nic, override_pci_stub_binds)
{
	check_override(_metadata, self, "pci-stub", false);
}

TEST_F(nic, override_pci_stub_binds_through_drivers_probe)
{
	check_override(_metadata, self, "pci-stub", true);
}

TEST_F(nic, driver_binds_and_works_after_release)
{
	char ifname[32], carrier[8] = "";
	struct dmaown_group_status st;
	uint64_t end;

	EXPECT_EQ(-EBUSY, pci_bind(NIC_LONE, NIC_LONE_DRIVER));
	ASSERT_OK(dmaown_group_release(self->fd, self->gid));
	ASSERT_OK(pci_bind(NIC_LONE, NIC_LONE_DRIVER));
	EXPECT_TRUE(pci_has_driver(NIC_LONE, NIC_LONE_DRIVER));
	ASSERT_OK(dmaown_status(self->fd, self->gid, &st, NULL, 0));
	EXPECT_EQ(DMAOWN_STATE_FREE, st.out_state);
	EXPECT_EQ(0, st.out_viable);
	/* the driver works: its interface comes up with a carrier */
	ASSERT_OK(pci_net_if(NIC_LONE, ifname, sizeof(ifname), 5000));
	EXPECT_EQ(0, run("ifconfig %s up", ifname));
	end = now_ms() + 10000;
	for (;;) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "/sys/class/net/%s/carrier", ifname);
		if ((sysfs_read(path, carrier, sizeof(carrier)) > 0 && !strcmp(carrier, "1")) ||
		    now_ms() >= end)
			break;
		msleep(100);
	}
	th_diag("%s: carrier %s", ifname, carrier);
	EXPECT_STREQ("1", carrier);
	run("ifconfig %s down", ifname);
	EXPECT_EQ(0, kmsg_count_bad(&self->k));
}

/* --- the claim/probe race ------------------------------------------------------- */

#define RACE_MS 20000

struct bind_race {
	int gid, owner, observer;
	const char *bdf, *drv;
	atomic_int stop;
	atomic_uint seq; /* odd: the claimer holds the group */
	/* counts */
	atomic_int binds, denied, bind_err, unbinds;
	atomic_int claims, busy, claim_err;
	atomic_int checks_owned, violations, status_wrong;
};

static void *binder(void *arg)
{
	struct bind_race *r = arg;

	while (!r->stop) {
		int ret;

		if (pci_has_driver(r->bdf, "")) {
			ret = pci_bind(r->bdf, r->drv);
			if (!ret)
				r->binds++;
			else if (ret == -EBUSY && ++r->denied)
				msleep(1);
			else if (r->bind_err++ < 3)
				th_diag("bind: %s", strerror(-ret));
		} else {
			ret = pci_unbind(r->bdf);
			if (!ret)
				r->unbinds++;
			else if (r->bind_err++ < 3)
				th_diag("unbind: %s", strerror(-ret));
		}
	}
	return NULL;
}

static void *claimer(void *arg)
{
	struct bind_race *r = arg;
	unsigned int n = 0;

	while (!r->stop) {
		if (!dmaown_group_claim(r->owner, r->gid)) {
			r->claims++;
			r->seq++; /* odd: owned */
			/*
			 * Mostly short holds (the race), and every eighth a long
			 * one, so that the checker sees owned moments on a slow
			 * kernel too (the debug kernel under load saw none).
			 */
			msleep(n % 8 == 7 ? 30 : n % 5);
			n++;
			r->seq++;
			if (dmaown_group_release(r->owner, r->gid) && r->claim_err++ < 3)
				th_diag("release: %s", strerror(errno));
		} else if (errno == EBUSY) {
			r->busy++;
			msleep(1);
		} else if (r->claim_err++ < 3) {
			th_diag("claim: %s", strerror(errno));
		}
	}
	return NULL;
}

/* at no moment a kernel driver bound while the group is owned */
static void *checker(void *arg)
{
	struct bind_race *r = arg;
	char drv[NAME_LEN];

	while (!r->stop) {
		unsigned int s1 = r->seq, s2;
		int state;

		if (!(s1 & 1)) {
			msleep(1);
			continue;
		}
		pci_driver(r->bdf, drv, sizeof(drv));
		state = dmaown_state(r->observer, r->gid);
		s2 = r->seq;
		if (s1 != s2)
			continue; /* not owned the whole time */
		r->checks_owned++;
		if (!strcmp(drv, r->drv) && r->violations++ < 3)
			th_diag("%s bound to %s while the group is owned", r->bdf, drv);
		if (state != DMAOWN_STATE_BUSY && r->status_wrong++ < 3)
			th_diag("status %d while owned by another file", state);
	}
	return NULL;
}

TEST_TIMEOUT(claim_probe_race, 120)
{
	static struct bind_race r;
	pthread_t th[3];
	struct kmsg k;

	r.bdf = NIC_ALIAS;
	r.drv = NIC_ALIAS_DRIVER;
	r.gid = pci_group(BRIDGE);
	ASSERT_LE(0, r.gid);
	ASSERT_EQ(r.gid, pci_group(r.bdf));
	r.owner = dmaown_open();
	ASSERT_LE(0, r.owner);
	r.observer = dmaown_open();
	ASSERT_LE(0, r.observer);
	ASSERT_OK(kmsg_begin(&k));
	ASSERT_OK(pthread_create(&th[0], NULL, binder, &r));
	ASSERT_OK(pthread_create(&th[1], NULL, claimer, &r));
	ASSERT_OK(pthread_create(&th[2], NULL, checker, &r));
	msleep(RACE_MS);
	r.stop = 1;
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	th_diag("%d s: binds %d denied %d unbinds %d; claims %d busy %d; owned checks %d",
		RACE_MS / 1000, r.binds, r.denied, r.unbinds, r.claims, r.busy, r.checks_owned);
	EXPECT_EQ(0, r.violations);
	EXPECT_EQ(0, r.status_wrong);
	EXPECT_EQ(0, r.bind_err);
	EXPECT_EQ(0, r.claim_err);
	/* both sides really ran into each other */
	EXPECT_LT(0, r.binds);
	EXPECT_LT(0, r.claims);
	EXPECT_LT(0, r.busy);
	EXPECT_LT(0, r.checks_owned);
	EXPECT_EQ(0, kmsg_count_bad(&k));
	if (kmsg_count_bad(&k))
		kmsg_dump(&k, "race");
	kmsg_end(&k);
	close(r.owner);
	close(r.observer);
	EXPECT_OK(pci_ensure_driver(r.bdf, r.drv));
}

/* --- unload: no kprobe, no notifier left --------------------------------------- */

static int kprobes_on(const char *sym)
{
	char buf[65536], *line, *save;
	int n = 0, fd;
	ssize_t len;

	fd = open("/sys/kernel/debug/kprobes/list", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len < 0)
		return -errno;
	buf[len] = 0;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strstr(line, sym))
			n++;
	return n;
}

FIXTURE(unload) {
	struct kmsg k;
};

FIXTURE_SETUP(unload)
{
	self->k.fd = -1;
	ASSERT_TRUE(module_loaded("dmaown"));
	if (!path_exists("/sys/kernel/debug/kprobes"))
		run("mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null");
	ASSERT_TRUE(path_exists("/sys/kernel/debug/kprobes/list"));
	ASSERT_OK(kmsg_begin(&self->k));
}

FIXTURE_TEARDOWN(unload)
{
	if (!module_loaded("dmaown"))
		EXPECT_OK(module_load(DMAOWN_MODULE, DMAOWN_PARAMS));
	if (!pci_exists(EDU_ALIAS_B)) {
		pci_rescan();
		pci_wait_present(EDU_ALIAS_B, true, 5000);
	}
	EXPECT_EQ(0, kmsg_count_bad(&self->k));
	kmsg_end(&self->k);
}

TEST_F_TIMEOUT(unload, removes_every_kprobe_and_notifier, 90)
{
	int ret;

	EXPECT_LE(1, kprobes_on("really_probe"));
	ret = module_unload("dmaown");
	if (ret)
		TH_LOG("delete_module(dmaown): %s", strerror(-ret));
	ASSERT_EQ(0, ret);
	EXPECT_EQ(0, kprobes_on("really_probe"));
	EXPECT_EQ(0, kprobes_on("dmaown"));
	/* bus events reach no notifier of the unloaded module (it would oops) */
	ASSERT_OK(pci_remove(EDU_ALIAS_B));
	ASSERT_OK(pci_rescan());
	EXPECT_OK(pci_wait_present(EDU_ALIAS_B, true, 5000));
	EXPECT_OK(pci_unbind(NIC_ALIAS));
	EXPECT_OK(pci_ensure_driver(NIC_ALIAS, NIC_ALIAS_DRIVER));

	ASSERT_OK(module_load(DMAOWN_MODULE, DMAOWN_PARAMS));
	EXPECT_LE(1, kprobes_on("really_probe"));
}

/* --- the guard disarmed --------------------------------------------------------- */

#define KPROBES_ENABLED "/sys/kernel/debug/kprobes/enabled"

FIXTURE(disarmed) {
	int gid, fd;
	bool legacy;
	struct kmsg k;
};

FIXTURE_SETUP(disarmed)
{
	struct dmaown_info info;

	self->fd = -1;
	self->k.fd = -1;
	if (!path_exists(KPROBES_ENABLED))
		SKIP("no " KPROBES_ENABLED " (debugfs not mounted?)");
	self->gid = pci_group(EDU_LONE);
	ASSERT_LE(0, self->gid);
	self->fd = dmaown_open();
	ASSERT_LE(0, self->fd);
	ASSERT_OK(dmaown_info(self->fd, &info));
	ASSERT_TRUE(info.out_flags & DMAOWN_INFO_PROBE_GUARD);
	self->legacy = info.out_flags & DMAOWN_INFO_LEGACY_OWNERSHIP;
	ASSERT_OK(kmsg_begin(&self->k));
}

FIXTURE_TEARDOWN(disarmed)
{
	struct dmaown_info info;

	EXPECT_OK(sysfs_write(KPROBES_ENABLED, "1"));
	if (self->fd >= 0) {
		EXPECT_OK(dmaown_info(self->fd, &info));
		EXPECT_TRUE(info.out_flags & DMAOWN_INFO_PROBE_GUARD);
		close(self->fd);
	}
	kmsg_end(&self->k);
}

TEST_F(disarmed, reported_and_refused_where_needed)
{
	struct dmaown_info info;

	ASSERT_OK(sysfs_write(KPROBES_ENABLED, "0"));
	ASSERT_OK(dmaown_info(self->fd, &info));
	EXPECT_FALSE(info.out_flags & DMAOWN_INFO_PROBE_GUARD);
	if (self->legacy) {
		/* the guard is this kernel's only defence: no claim without it */
		EXPECT_ERRNO(EAGAIN, dmaown_group_claim(self->fd, self->gid));
		EXPECT_EQ(DMAOWN_STATE_FREE, dmaown_state(self->fd, self->gid));
		EXPECT_LE(1, kmsg_wait(&self->k, "dmaown", "guard is disarmed", 1, 1000));
	} else {
		/* the core refuses kernel drivers by itself */
		EXPECT_OK(dmaown_group_claim(self->fd, self->gid));
		EXPECT_OK(dmaown_group_release(self->fd, self->gid));
	}
	ASSERT_OK(sysfs_write(KPROBES_ENABLED, "1"));
	ASSERT_OK(dmaown_info(self->fd, &info));
	EXPECT_TRUE(info.out_flags & DMAOWN_INFO_PROBE_GUARD);
	EXPECT_OK(dmaown_group_claim(self->fd, self->gid));
	EXPECT_OK(dmaown_group_release(self->fd, self->gid));
}

TEST_F(disarmed, under_a_claim_revokes_and_stays_blocked)
{
	struct dmaown_group_status st;
	bool dma = !witness_unusable(EDU_LONE);

	ASSERT_OK(dmaown_group_claim(self->fd, self->gid));
	ASSERT_OK(sysfs_write(KPROBES_ENABLED, "0"));
	ASSERT_OK(dmaown_status(self->fd, self->gid, &st, NULL, 0));
	EXPECT_EQ(DMAOWN_STATE_OWNED, st.out_state);
	EXPECT_EQ(DMAOWN_DOMAIN_BLOCKING, st.out_domain);
	if (self->legacy) {
		EXPECT_EQ(DMAOWN_GROUP_REVOKED | DMAOWN_GROUP_GUARD_DISARMED, st.out_group_flags);
		EXPECT_TRUE(poll_revents(self->fd, 1000) & POLLERR);
	} else {
		EXPECT_EQ(0, st.out_group_flags);
		EXPECT_FALSE(poll_revents(self->fd, 0) & POLLERR);
	}
	if (dma)
		EXPECT_EQ(EDU_BLOCKED, edu_witness(EDU_LONE));
	ASSERT_OK(sysfs_write(KPROBES_ENABLED, "1"));
	/* still blocked after re-arming, until the owner lets go */
	if (dma)
		EXPECT_EQ(EDU_BLOCKED, edu_witness(EDU_LONE));
	if (self->legacy)
		EXPECT_ERRNO(ENODEV, dmaown_group_release(self->fd, self->gid));
	else
		EXPECT_OK(dmaown_group_release(self->fd, self->gid));
	EXPECT_EQ(DMAOWN_STATE_FREE, dmaown_state(self->fd, self->gid));
	if (dma)
		EXPECT_EQ(EDU_LANDED, edu_witness(EDU_LONE));
}

TEST_HARNESS_MAIN
