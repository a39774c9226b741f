// SPDX-License-Identifier: GPL-2.0
/*
 * claim_test - group ownership (issue 3): status against sysfs, claim and
 * release, the blocking domain seen by a real DMA (the edu witness), device
 * claims in the multi-device alias group, VFIO exclusion both ways, two
 * files racing for one group, bad input, and unload/reload.
 *
 * Every test leaves the topology as booted: drivers bound, no claim, no
 * driver_override.
 */
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <linux/vfio.h>

#include "harness.h"
#include "lib/testlib.h"

static const char *const safe_drivers[] = { "vfio-pci", "pci-stub", "pcieport" };
/* drivers of the topology that are not DMA-safe */
static const char *const unsafe_drivers[] = { "e1000e", "e1000", "ahci", "lpc_ich",
					       "i801_smbus" };

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, list[i]))
			return true;
	return false;
}

#define IN(s, list) in_list(s, list, sizeof(list) / sizeof(list[0]))

static void my_comm(char *buf, size_t len)
{
	if (sysfs_read("/proc/self/comm", buf, len) < 0)
		buf[0] = 0;
}

/* wait for a status state of a group, from a file of our own */
static int wait_state(int gid, int state, unsigned int timeout_ms)
{
	uint64_t end = now_ms() + timeout_ms;
	int fd = dmaown_open(), got = -1;

	if (fd < 0)
		return -1;
	for (;;) {
		got = dmaown_state(fd, gid);
		if (got == state || now_ms() >= end)
			break;
		msleep(20);
	}
	close(fd);
	return got;
}

/* --- status ---------------------------------------------------------------- */

TEST(status_of_every_group_matches_sysfs)
{
	struct dmaown_device_info devs[SNAP_DEVS];
	struct dmaown_group_status st;
	struct sysdev sys[SNAP_DEVS];
	int ids[SNAP_GROUPS], n, fd;

	fd = dmaown_open();
	ASSERT_LE(0, fd);
	n = sys_groups(ids, SNAP_GROUPS);
	ASSERT_LT(0, n);
	for (int i = 0; i < n; i++) {
		int nsys = sys_group_devices(ids[i], sys, SNAP_DEVS);
		bool blocked = false;

		memset(devs, 0xa5, sizeof(devs));
		ASSERT_OK(dmaown_status(fd, ids[i], &st, devs, SNAP_DEVS));
		EXPECT_EQ(ids[i], st.group_id);
		EXPECT_EQ(0, st.flags);
		EXPECT_EQ(nsys, st.out_nr_devices);
		EXPECT_EQ(DMAOWN_STATE_FREE, st.out_state);
		EXPECT_EQ(DMAOWN_DOMAIN_DEFAULT, st.out_domain);
		EXPECT_EQ(0, st.out_owner_pid);
		EXPECT_EQ(0, st.out_owner_comm[0]);
		/* intel-iommu with intremap=on: MSIs are remapped */
		EXPECT_EQ(1, st.out_msi_isolated);
		for (int d = 0; d < nsys && d < SNAP_DEVS; d++) {
			const struct dmaown_device_info *info = NULL;

			for (unsigned int j = 0; j < st.out_nr_devices && j < SNAP_DEVS; j++)
				if (!strncmp(devs[j].name, sys[d].name, sizeof(devs[j].name)))
					info = &devs[j];
			if (!info) {
				TH_LOG("group %d: %s missing from the status", ids[i], sys[d].name);
				EXPECT_TRUE(info);
				continue;
			}
			ASSERT_NE(NULL, memchr(info->bus, 0, sizeof(info->bus)));
			ASSERT_NE(NULL, memchr(info->driver, 0, sizeof(info->driver)));
			EXPECT_STREQ(sys[d].bus, info->bus);
			EXPECT_STREQ(sys[d].driver, info->driver);
			EXPECT_EQ(0, info->__reserved);
			EXPECT_EQ(0, info->flags & ~(DMAOWN_DEVICE_DMA_SAFE |
						     DMAOWN_DEVICE_BLOCKS_CLAIM));
			/* a reason not to claim is never DMA-safe */
			if (info->flags & DMAOWN_DEVICE_BLOCKS_CLAIM)
				EXPECT_FALSE(info->flags & DMAOWN_DEVICE_DMA_SAFE);
			if (!sys[d].driver[0] || IN(sys[d].driver, safe_drivers))
				EXPECT_EQ(DMAOWN_DEVICE_DMA_SAFE, info->flags);
			if (IN(sys[d].driver, unsafe_drivers))
				EXPECT_EQ(DMAOWN_DEVICE_BLOCKS_CLAIM, info->flags);
			blocked |= info->flags & DMAOWN_DEVICE_BLOCKS_CLAIM;
			th_diag("group %d: %s bus=%s driver=%s flags=%#x", ids[i], info->name,
				info->bus, info->driver, info->flags);
		}
		EXPECT_EQ(!blocked, st.out_viable);
	}
	close(fd);
}

/* @gid is not viable because of @bdf bound to @drv; a claim is refused */
static void check_not_viable(struct __test_metadata *_metadata, int fd, int gid, const char *bdf,
			     const char *drv)
{
	struct dmaown_device_info devs[SNAP_DEVS];
	struct dmaown_group_status st;
	bool named = false;

	ASSERT_TRUE(pci_has_driver(bdf, drv));
	ASSERT_OK(dmaown_status(fd, gid, &st, devs, SNAP_DEVS));
	EXPECT_EQ(0, st.out_viable);
	for (unsigned int i = 0; i < st.out_nr_devices && i < SNAP_DEVS; i++)
		if (!strcmp(devs[i].name, bdf)) {
			named = true;
			EXPECT_STREQ(drv, devs[i].driver);
			EXPECT_EQ(DMAOWN_DEVICE_BLOCKS_CLAIM, devs[i].flags);
		}
	EXPECT_TRUE(named);
	EXPECT_ERRNO(EBUSY, dmaown_group_claim(fd, gid));
	EXPECT_ERRNO(EBUSY, dmaown_device_claim(fd, bdf, "pci", NULL));
	/* nothing changed: still free, the driver still bound */
	ASSERT_OK(dmaown_status(fd, gid, &st, NULL, 0));
	EXPECT_EQ(DMAOWN_STATE_FREE, st.out_state);
	EXPECT_EQ(DMAOWN_DOMAIN_DEFAULT, st.out_domain);
	EXPECT_TRUE(pci_has_driver(bdf, drv));
}

TEST(nic_group_not_viable)
{
	int fd = dmaown_open(), gid = pci_group(NIC_LONE);

	ASSERT_LE(0, fd);
	ASSERT_LE(0, gid);
	check_not_viable(_metadata, fd, gid, NIC_LONE, NIC_LONE_DRIVER);
	close(fd);
}

TEST(ich9_group_not_viable)
{
	int fd = dmaown_open(), gid = pci_group(ICH9_SATA);

	ASSERT_LE(0, fd);
	ASSERT_LE(0, gid);
	check_not_viable(_metadata, fd, gid, ICH9_SATA, "ahci");
	if (pci_has_driver(ICH9_SMBUS, "i801_smbus"))
		check_not_viable(_metadata, fd, gid, ICH9_SMBUS, "i801_smbus");
	if (pci_has_driver(ICH9_LPC, "lpc_ich"))
		check_not_viable(_metadata, fd, gid, ICH9_LPC, "lpc_ich");
	close(fd);
}

TEST(status_true_count_with_small_array)
{
	struct dmaown_device_info devs[3];
	struct dmaown_group_status st;
	int fd = dmaown_open(), gid = pci_group(BRIDGE);

	ASSERT_LE(0, fd);
	ASSERT_LE(0, gid);
	/* no array at all */
	ASSERT_OK(dmaown_status(fd, gid, &st, NULL, 0));
	EXPECT_EQ(4, st.out_nr_devices);
	/* an array, but devices_len 0: nothing written */
	memset(devs, 0xa5, sizeof(devs));
	ASSERT_OK(dmaown_status(fd, gid, &st, devs, 0));
	EXPECT_EQ(4, st.out_nr_devices);
	for (size_t i = 0; i < sizeof(devs); i++)
		if (((uint8_t *)devs)[i] != 0xa5) {
			TH_LOG("byte %zu of the array written with devices_len 0", i);
			EXPECT_EQ(0xa5, ((uint8_t *)devs)[i]);
			break;
		}
	/* one entry: the first filled, the next untouched */
	memset(devs, 0xa5, sizeof(devs));
	ASSERT_OK(dmaown_status(fd, gid, &st, devs, 1));
	EXPECT_EQ(4, st.out_nr_devices);
	EXPECT_NE(NULL, memchr(devs[0].name, 0, sizeof(devs[0].name)));
	EXPECT_EQ(0, strncmp(devs[0].name, "0000:", 5));
	for (size_t i = 0; i < sizeof(devs[1]) * 2; i++)
		if (((uint8_t *)&devs[1])[i] != 0xa5) {
			TH_LOG("byte %zu past devices_len written", i);
			EXPECT_EQ(0xa5, ((uint8_t *)&devs[1])[i]);
			break;
		}
	close(fd);
}

TEST(unknown_group_is_enoent)
{
	struct dmaown_group_status st;
	int ids[SNAP_GROUPS], n, fd = dmaown_open();
	uint32_t bad[] = { 0, 0, 0x7fffffff, 0x80000000, 0xffffffff };

	ASSERT_LE(0, fd);
	n = sys_groups(ids, SNAP_GROUPS);
	ASSERT_LT(0, n);
	bad[0] = ids[n - 1] + 1;
	bad[1] = ids[n - 1] + 1000;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_ERRNO(ENOENT, dmaown_status(fd, bad[i], &st, NULL, 0));
		EXPECT_ERRNO(ENOENT, dmaown_group_claim(fd, bad[i]));
		EXPECT_ERRNO(ENOENT, dmaown_group_release(fd, bad[i]));
	}
	close(fd);
}

/* --- claim and release of the lone edu --------------------------------------- */

FIXTURE(lone) {
	int gid, a, b;
};

FIXTURE_SETUP(lone)
{
	self->a = self->b = -1;
	self->gid = pci_group(EDU_LONE);
	ASSERT_LE(0, self->gid);
	ASSERT_TRUE(pci_has_driver(EDU_LONE, ""));
	self->a = dmaown_open();
	ASSERT_LE(0, self->a);
	self->b = dmaown_open();
	ASSERT_LE(0, self->b);
}

FIXTURE_TEARDOWN(lone)
{
	if (self->a >= 0)
		close(self->a);
	if (self->b >= 0)
		close(self->b);
	if (self->gid >= 0)
		EXPECT_EQ(DMAOWN_STATE_FREE, wait_state(self->gid, DMAOWN_STATE_FREE, 1000));
}

TEST_F(lone, claim_then_release)
{
	struct dmaown_group_status st;
	struct dmaown_group g = { .size = sizeof(g), .group_id = self->gid };
	char comm[32];

	my_comm(comm, sizeof(comm));
	ASSERT_OK(ioctl(self->a, DMAOWN_GROUP_CLAIM, &g));
	EXPECT_EQ(1, g.out_nr_devices);

	ASSERT_OK(dmaown_status(self->a, self->gid, &st, NULL, 0));
	EXPECT_EQ(DMAOWN_STATE_OWNED, st.out_state);
	EXPECT_EQ(DMAOWN_DOMAIN_BLOCKING, st.out_domain);
	EXPECT_EQ(1, st.out_viable);
	EXPECT_EQ(getpid(), st.out_owner_pid);
	EXPECT_STREQ(comm, st.out_owner_comm);

	/* another file sees it taken, by whom, and cannot take it */
	ASSERT_OK(dmaown_status(self->b, self->gid, &st, NULL, 0));
	EXPECT_EQ(DMAOWN_STATE_BUSY, st.out_state);
	EXPECT_EQ(DMAOWN_DOMAIN_BLOCKING, st.out_domain);
	EXPECT_EQ(getpid(), st.out_owner_pid);
	EXPECT_STREQ(comm, st.out_owner_comm);
	EXPECT_ERRNO(EBUSY, dmaown_group_claim(self->b, self->gid));
	EXPECT_ERRNO(EBUSY, dmaown_device_claim(self->b, EDU_LONE, "pci", NULL));
	EXPECT_ERRNO(ENOENT, dmaown_group_release(self->b, self->gid));
	EXPECT_EQ(DMAOWN_STATE_OWNED, dmaown_state(self->a, self->gid));

	ASSERT_OK(dmaown_group_release(self->a, self->gid));
	ASSERT_OK(dmaown_status(self->a, self->gid, &st, NULL, 0));
	EXPECT_EQ(DMAOWN_STATE_FREE, st.out_state);
	EXPECT_EQ(DMAOWN_DOMAIN_DEFAULT, st.out_domain);
	EXPECT_EQ(0, st.out_owner_pid);
	EXPECT_EQ(0, st.out_owner_comm[0]);
	/* and the other file can take it now */
	EXPECT_OK(dmaown_group_claim(self->b, self->gid));
	EXPECT_EQ(DMAOWN_STATE_BUSY, dmaown_state(self->a, self->gid));
	EXPECT_OK(dmaown_group_release(self->b, self->gid));
}

TEST_F(lone, claim_twice_is_ealready)
{
	ASSERT_OK(dmaown_group_claim(self->a, self->gid));
	EXPECT_ERRNO(EALREADY, dmaown_group_claim(self->a, self->gid));
	/* still one claim: one release frees the group */
	EXPECT_OK(dmaown_group_release(self->a, self->gid));
	EXPECT_EQ(DMAOWN_STATE_FREE, dmaown_state(self->b, self->gid));
	EXPECT_ERRNO(ENOENT, dmaown_group_release(self->a, self->gid));
}

TEST_F(lone, release_without_claim_is_enoent)
{
	EXPECT_ERRNO(ENOENT, dmaown_group_release(self->a, self->gid));
	EXPECT_ERRNO(ENOENT, dmaown_device_release(self->a, EDU_LONE, "pci"));
	EXPECT_EQ(DMAOWN_STATE_FREE, dmaown_state(self->a, self->gid));
}

TEST_F(lone, close_releases)
{
	struct dmaown_group_status st;

	ASSERT_OK(dmaown_group_claim(self->a, self->gid));
	EXPECT_EQ(DMAOWN_STATE_BUSY, dmaown_state(self->b, self->gid));
	close(self->a);
	self->a = -1;
	ASSERT_OK(dmaown_status(self->b, self->gid, &st, NULL, 0));
	EXPECT_EQ(DMAOWN_STATE_FREE, st.out_state);
	EXPECT_EQ(DMAOWN_DOMAIN_DEFAULT, st.out_domain);
	EXPECT_OK(dmaown_group_claim(self->b, self->gid));
	EXPECT_OK(dmaown_group_release(self->b, self->gid));
}

/* a child that claims @gid on a file of its own, then waits to be killed */
static pid_t owner_child(int gid)
{
	int p[2];
	char c = 0;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		int fd = dmaown_open();

		c = fd >= 0 && !dmaown_group_claim(fd, gid);
		if (write(p[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid > 0 && (read(p[0], &c, 1) != 1 || !c)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(p[0]);
	return pid;
}

TEST_F(lone, sigkill_releases)
{
	struct dmaown_group_status st;
	pid_t pid;
	int status;

	pid = owner_child(self->gid);
	ASSERT_LT(0, pid);
	ASSERT_OK(dmaown_status(self->a, self->gid, &st, NULL, 0));
	EXPECT_EQ(DMAOWN_STATE_BUSY, st.out_state);
	EXPECT_EQ(pid, st.out_owner_pid);
	EXPECT_ERRNO(EBUSY, dmaown_group_claim(self->a, self->gid));
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	ASSERT_OK(dmaown_status(self->a, self->gid, &st, NULL, 0));
	EXPECT_EQ(DMAOWN_STATE_FREE, st.out_state);
	EXPECT_EQ(DMAOWN_DOMAIN_DEFAULT, st.out_domain);
	EXPECT_EQ(0, st.out_owner_pid);
	EXPECT_OK(dmaown_group_claim(self->a, self->gid));
	EXPECT_OK(dmaown_group_release(self->a, self->gid));
}

/* --- DMA really blocked: the edu witness under iommu=pt ---------------------- */

FIXTURE(dma) {
	int gid, fd;
	struct kmsg k;
	bool kmsg_open;
};

FIXTURE_SETUP(dma)
{
	const char *why = witness_unusable(EDU_LONE);

	self->fd = -1;
	self->gid = pci_group(EDU_LONE);
	if (why)
		SKIP("%s", why);
	ASSERT_LE(0, self->gid);
	self->fd = dmaown_open();
	ASSERT_LE(0, self->fd);
	/* the baseline: DMA reaches RAM through the identity domain */
	ASSERT_EQ(EDU_LANDED, edu_witness(EDU_LONE));
}

FIXTURE_TEARDOWN(dma)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->kmsg_open)
		kmsg_end(&self->k);
}

/* claim on a file of our own, check that DMA is blocked and a fault logged */
static void check_blocked(struct __test_metadata *_metadata, struct kmsg *k)
{
	int faults;

	dmar_ratelimit_wait();
	ASSERT_OK(kmsg_begin(k));
	EXPECT_EQ(EDU_BLOCKED, edu_witness(EDU_LONE));
	faults = kmsg_wait(k, DMAR_FAULT_A, DMAR_FAULT_B, 1, 3000);
	if (!faults)
		kmsg_dump(k, "no DMAR fault after a blocked DMA");
	EXPECT_LE(1, faults);
	EXPECT_EQ(0, kmsg_count_bad(k));
	kmsg_end(k);
}

TEST_F(dma, blocked_while_claimed_lands_after_release)
{
	ASSERT_OK(dmaown_group_claim(self->fd, self->gid));
	check_blocked(_metadata, &self->k);
	ASSERT_OK(dmaown_group_release(self->fd, self->gid));
	EXPECT_EQ(EDU_LANDED, edu_witness(EDU_LONE));
}

TEST_F(dma, blocked_by_device_claim)
{
	ASSERT_OK(dmaown_device_claim(self->fd, EDU_LONE, "pci", NULL));
	check_blocked(_metadata, &self->k);
	ASSERT_OK(dmaown_device_release(self->fd, EDU_LONE, "pci"));
	EXPECT_EQ(EDU_LANDED, edu_witness(EDU_LONE));
}

TEST_F(dma, lands_after_close_without_release)
{
	ASSERT_OK(dmaown_group_claim(self->fd, self->gid));
	EXPECT_EQ(EDU_BLOCKED, edu_witness(EDU_LONE));
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(EDU_LANDED, edu_witness(EDU_LONE));
}

TEST_F(dma, lands_after_owner_sigkill)
{
	pid_t pid = owner_child(self->gid);

	ASSERT_LT(0, pid);
	EXPECT_EQ(EDU_BLOCKED, edu_witness(EDU_LONE));
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	EXPECT_EQ(EDU_LANDED, edu_witness(EDU_LONE));
}

/*
 * Two groups owned at once, released one after the other: each stays
 * blocked until its own release (5.10 puts every owned PCI group on one
 * shared empty domain; the core gives each its blocking domain).
 */
TEST_F(dma, two_groups_each_blocked_until_its_own_release)
{
	int hp = pci_group(EDU_HP);

	ASSERT_LE(0, hp);
	ASSERT_NE(self->gid, hp);
	ASSERT_EQ(NULL, witness_unusable(EDU_HP));
	ASSERT_EQ(EDU_LANDED, edu_witness(EDU_HP));
	ASSERT_OK(dmaown_group_claim(self->fd, self->gid));
	ASSERT_OK(dmaown_group_claim(self->fd, hp));
	EXPECT_EQ(EDU_BLOCKED, edu_witness(EDU_LONE));
	EXPECT_EQ(EDU_BLOCKED, edu_witness(EDU_HP));
	ASSERT_OK(dmaown_group_release(self->fd, hp));
	EXPECT_EQ(EDU_LANDED, edu_witness(EDU_HP));
	EXPECT_EQ(EDU_BLOCKED, edu_witness(EDU_LONE));
	ASSERT_OK(dmaown_group_claim(self->fd, hp));
	ASSERT_OK(dmaown_group_release(self->fd, self->gid));
	EXPECT_EQ(EDU_LANDED, edu_witness(EDU_LONE));
	EXPECT_EQ(EDU_BLOCKED, edu_witness(EDU_HP));
	ASSERT_OK(dmaown_group_release(self->fd, hp));
	EXPECT_EQ(EDU_LANDED, edu_witness(EDU_HP));
}

/* --- the alias group behind the bridge ---------------------------------------- */

static bool alias_group_as_expected(int gid)
{
	const char *members[] = { BRIDGE, EDU_ALIAS_A, EDU_ALIAS_B, NIC_ALIAS };

	for (size_t i = 0; i < 4; i++)
		if (pci_group(members[i]) != gid) {
			th_diag("%s is not in group %d", members[i], gid);
			return false;
		}
	return true;
}

TEST(alias_group_busy_while_nic_bound)
{
	int fd = dmaown_open(), gid = pci_group(BRIDGE);

	ASSERT_LE(0, fd);
	ASSERT_LE(0, gid);
	ASSERT_TRUE(alias_group_as_expected(gid));
	check_not_viable(_metadata, fd, gid, NIC_ALIAS, NIC_ALIAS_DRIVER);
	EXPECT_ERRNO(EBUSY, dmaown_device_claim(fd, EDU_ALIAS_A, "pci", NULL));
	EXPECT_EQ(DMAOWN_STATE_FREE, dmaown_state(fd, gid));
	close(fd);
}

FIXTURE(alias) {
	int gid, a, b;
};

FIXTURE_SETUP(alias)
{
	self->a = self->b = -1;
	self->gid = pci_group(BRIDGE);
	ASSERT_LE(0, self->gid);
	ASSERT_TRUE(alias_group_as_expected(self->gid));
	ASSERT_OK(pci_unbind(NIC_ALIAS));
	ASSERT_TRUE(pci_has_driver(NIC_ALIAS, ""));
	self->a = dmaown_open();
	ASSERT_LE(0, self->a);
	self->b = dmaown_open();
	ASSERT_LE(0, self->b);
}

FIXTURE_TEARDOWN(alias)
{
	if (self->a >= 0)
		close(self->a);
	if (self->b >= 0)
		close(self->b);
	EXPECT_OK(pci_ensure_driver(NIC_ALIAS, NIC_ALIAS_DRIVER));
}

TEST_F(alias, group_claim_after_unbind)
{
	struct dmaown_group_status st;
	struct dmaown_group g = { .size = sizeof(g), .group_id = self->gid };

	ASSERT_OK(dmaown_status(self->a, self->gid, &st, NULL, 0));
	EXPECT_EQ(1, st.out_viable);
	ASSERT_OK(ioctl(self->a, DMAOWN_GROUP_CLAIM, &g));
	EXPECT_EQ(4, g.out_nr_devices);
	ASSERT_OK(dmaown_status(self->a, self->gid, &st, NULL, 0));
	EXPECT_EQ(DMAOWN_STATE_OWNED, st.out_state);
	EXPECT_EQ(DMAOWN_DOMAIN_BLOCKING, st.out_domain);
	/* no member can be claimed by another file */
	EXPECT_ERRNO(EBUSY, dmaown_device_claim(self->b, EDU_ALIAS_B, "pci", NULL));
	EXPECT_ERRNO(EBUSY, dmaown_device_claim(self->b, BRIDGE, "pci", NULL));
	EXPECT_OK(dmaown_group_release(self->a, self->gid));
	ASSERT_OK(dmaown_status(self->b, self->gid, &st, NULL, 0));
	EXPECT_EQ(DMAOWN_STATE_FREE, st.out_state);
	EXPECT_EQ(DMAOWN_DOMAIN_DEFAULT, st.out_domain);
}

TEST_F(alias, device_claim_owns_the_whole_group)
{
	struct dmaown_group_status st;
	uint32_t gid = 0;

	ASSERT_OK(dmaown_device_claim(self->a, EDU_ALIAS_A, "pci", &gid));
	EXPECT_EQ(self->gid, gid);
	ASSERT_OK(dmaown_status(self->a, self->gid, &st, NULL, 0));
	EXPECT_EQ(DMAOWN_STATE_OWNED, st.out_state);
	EXPECT_EQ(DMAOWN_DOMAIN_BLOCKING, st.out_domain);
	EXPECT_EQ(DMAOWN_STATE_BUSY, dmaown_state(self->b, self->gid));
	EXPECT_ERRNO(EBUSY, dmaown_group_claim(self->b, self->gid));
	EXPECT_ERRNO(EBUSY, dmaown_device_claim(self->b, EDU_ALIAS_B, "pci", NULL));
	EXPECT_ERRNO(EBUSY, dmaown_device_claim(self->b, NIC_ALIAS, "", NULL));
	/* the claim blocks the other members' DMA too */
	if (!witness_unusable(EDU_ALIAS_B))
		EXPECT_EQ(EDU_BLOCKED, edu_witness(EDU_ALIAS_B));
	else
		th_diag("DMA part not checked: %s", witness_unusable(EDU_ALIAS_B));
	EXPECT_OK(dmaown_device_release(self->a, EDU_ALIAS_A, "pci"));
	EXPECT_EQ(DMAOWN_STATE_FREE, dmaown_state(self->a, self->gid));
	if (!witness_unusable(EDU_ALIAS_B))
		EXPECT_EQ(EDU_LANDED, edu_witness(EDU_ALIAS_B));
}

TEST_F(alias, two_device_claims_released_one_by_one)
{
	uint32_t gid = 0;

	ASSERT_OK(dmaown_device_claim(self->a, EDU_ALIAS_A, "pci", &gid));
	EXPECT_EQ(self->gid, gid);
	/* bus "" means "pci" */
	ASSERT_OK(dmaown_device_claim(self->a, EDU_ALIAS_B, "", &gid));
	EXPECT_EQ(self->gid, gid);
	EXPECT_ERRNO(EALREADY, dmaown_device_claim(self->a, EDU_ALIAS_A, "pci", NULL));
	EXPECT_ERRNO(EALREADY, dmaown_device_claim(self->a, EDU_ALIAS_B, "pci", NULL));
	/* only device claims: there is no group claim to release */
	EXPECT_ERRNO(ENOENT, dmaown_group_release(self->a, self->gid));
	/* a group claim on top of them is one more claim, released alone */
	EXPECT_OK(dmaown_group_claim(self->a, self->gid));
	EXPECT_OK(dmaown_group_release(self->a, self->gid));
	EXPECT_ERRNO(ENOENT, dmaown_group_release(self->a, self->gid));
	EXPECT_EQ(DMAOWN_STATE_OWNED, dmaown_state(self->a, self->gid));

	EXPECT_OK(dmaown_device_release(self->a, EDU_ALIAS_A, "pci"));
	EXPECT_EQ(DMAOWN_STATE_OWNED, dmaown_state(self->a, self->gid));
	EXPECT_EQ(DMAOWN_STATE_BUSY, dmaown_state(self->b, self->gid));
	EXPECT_ERRNO(ENOENT, dmaown_device_release(self->a, EDU_ALIAS_A, "pci"));
	EXPECT_ERRNO(EBUSY, dmaown_group_claim(self->b, self->gid));

	EXPECT_OK(dmaown_device_release(self->a, EDU_ALIAS_B, ""));
	EXPECT_EQ(DMAOWN_STATE_FREE, dmaown_state(self->a, self->gid));
	EXPECT_ERRNO(ENOENT, dmaown_device_release(self->a, EDU_ALIAS_B, "pci"));
	EXPECT_OK(dmaown_group_claim(self->b, self->gid));
	EXPECT_OK(dmaown_group_release(self->b, self->gid));
}

TEST_F(alias, group_and_device_claims_count_together)
{
	ASSERT_OK(dmaown_group_claim(self->a, self->gid));
	/* a device claim on top of a group claim is one more claim */
	ASSERT_OK(dmaown_device_claim(self->a, EDU_ALIAS_A, "pci", NULL));
	EXPECT_OK(dmaown_group_release(self->a, self->gid));
	EXPECT_EQ(DMAOWN_STATE_OWNED, dmaown_state(self->a, self->gid));
	EXPECT_ERRNO(ENOENT, dmaown_group_release(self->a, self->gid));
	EXPECT_OK(dmaown_device_release(self->a, EDU_ALIAS_A, "pci"));
	EXPECT_EQ(DMAOWN_STATE_FREE, dmaown_state(self->a, self->gid));
}

/*
 * GROUP_CLAIM from a file that holds device claims in the group records a
 * group claim on top of them; the group stays owned until both are gone.
 */
TEST_F(alias, group_claim_after_device_claim_adds_a_claim)
{
	ASSERT_OK(dmaown_device_claim(self->a, EDU_ALIAS_A, "pci", NULL));
	EXPECT_OK(dmaown_group_claim(self->a, self->gid));
	EXPECT_ERRNO(EALREADY, dmaown_group_claim(self->a, self->gid));
	EXPECT_OK(dmaown_device_release(self->a, EDU_ALIAS_A, "pci"));
	EXPECT_EQ(DMAOWN_STATE_OWNED, dmaown_state(self->a, self->gid));
	EXPECT_EQ(DMAOWN_STATE_BUSY, dmaown_state(self->b, self->gid));
	EXPECT_OK(dmaown_group_release(self->a, self->gid));
	EXPECT_EQ(DMAOWN_STATE_FREE, dmaown_state(self->b, self->gid));
}

TEST_F(alias, nic_bind_refused_while_owned)
{
	ASSERT_OK(dmaown_device_claim(self->a, EDU_ALIAS_A, "pci", NULL));
	EXPECT_EQ(-EBUSY, pci_bind(NIC_ALIAS, NIC_ALIAS_DRIVER));
	EXPECT_TRUE(pci_has_driver(NIC_ALIAS, ""));
	EXPECT_EQ(DMAOWN_STATE_OWNED, dmaown_state(self->a, self->gid));
	EXPECT_OK(dmaown_device_release(self->a, EDU_ALIAS_A, "pci"));
	EXPECT_OK(pci_bind(NIC_ALIAS, NIC_ALIAS_DRIVER));
	EXPECT_TRUE(pci_has_driver(NIC_ALIAS, NIC_ALIAS_DRIVER));
	/* and with the driver back, the group is busy again */
	EXPECT_ERRNO(EBUSY, dmaown_group_claim(self->a, self->gid));
}

/* --- device claim inputs -------------------------------------------------------- */

/* a platform device without an IOMMU group, "" if none */
static void platform_without_group(char *name, size_t len)
{
	char path[PATH_MAX];
	struct dirent *d;
	DIR *dir;

	name[0] = 0;
	dir = opendir("/sys/bus/platform/devices");
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.' || strlen(d->d_name) >= DMAOWN_NAME_LEN)
			continue;
		snprintf(path, sizeof(path), "/sys/bus/platform/devices/%s/iommu_group",
			 d->d_name);
		if (!path_exists(path)) {
			scopy(name, len, d->d_name);
			break;
		}
	}
	closedir(dir);
}

TEST(device_claim_bus_and_name)
{
	char plat[DMAOWN_NAME_LEN];
	int fd = dmaown_open(), gid = pci_group(EDU_LONE);
	uint32_t out = 0;

	ASSERT_LE(0, fd);
	ASSERT_LE(0, gid);
	/* "" and "pci" are the PCI bus */
	ASSERT_OK(dmaown_device_claim(fd, EDU_LONE, "", &out));
	EXPECT_EQ(gid, out);
	EXPECT_OK(dmaown_device_release(fd, EDU_LONE, "pci"));
	ASSERT_OK(dmaown_device_claim(fd, EDU_LONE, "pci", &out));
	EXPECT_OK(dmaown_device_release(fd, EDU_LONE, ""));
	EXPECT_EQ(DMAOWN_STATE_FREE, dmaown_state(fd, gid));
	/* the PCI name on the platform bus: no such device */
	EXPECT_ERRNO(ENOENT, dmaown_device_claim(fd, EDU_LONE, "platform", NULL));
	/* buses dmaown does not cover */
	EXPECT_ERRNO(EINVAL, dmaown_device_claim(fd, EDU_LONE, "usb", NULL));
	EXPECT_ERRNO(EINVAL, dmaown_device_claim(fd, EDU_LONE, "PCI", NULL));
	EXPECT_ERRNO(EINVAL, dmaown_device_release(fd, EDU_LONE, "usb"));
	/* unknown devices */
	EXPECT_ERRNO(ENOENT, dmaown_device_claim(fd, "0000:99:1f.7", "pci", NULL));
	EXPECT_ERRNO(ENOENT, dmaown_device_claim(fd, "0000:00:03.0 ", "pci", NULL));
	EXPECT_ERRNO(ENOENT, dmaown_device_claim(fd, "../0000:00:03.0", "pci", NULL));
	EXPECT_ERRNO(ENOENT, dmaown_device_release(fd, "0000:99:1f.7", "pci"));
	/* a platform device without an IOMMU group */
	platform_without_group(plat, sizeof(plat));
	if (plat[0]) {
		th_diag("platform device without a group: %s", plat);
		EXPECT_ERRNO(ENODEV, dmaown_device_claim(fd, plat, "platform", NULL));
	} else {
		TH_LOG("no platform device without an IOMMU group in this guest");
		EXPECT_TRUE(plat[0]);
	}
	EXPECT_EQ(DMAOWN_STATE_FREE, dmaown_state(fd, gid));
	close(fd);
}

/* --- VFIO exclusion ------------------------------------------------------------ */

FIXTURE(vfio) {
	int gid, fd;
	struct vfio v;
};

FIXTURE_SETUP(vfio)
{
	self->fd = -1;
	self->v.container = self->v.group = self->v.device = -1;
	self->gid = pci_group(EDU_LONE);
	ASSERT_LE(0, self->gid);
	ASSERT_TRUE(pci_has_driver(EDU_LONE, ""));
	ASSERT_EQ(0, pci_bind_vfio(EDU_LONE));
	self->fd = dmaown_open();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(vfio)
{
	vfio_close(&self->v);
	if (self->fd >= 0)
		close(self->fd);
	EXPECT_OK(pci_unbind_vfio(EDU_LONE));
	EXPECT_TRUE(pci_has_driver(EDU_LONE, ""));
}

TEST_F(vfio, vfio_refused_while_dmaown_owns)
{
	struct dmaown_group_status st;
	const char *step;
	int err;

	ASSERT_OK(dmaown_group_claim(self->fd, self->gid));
	err = vfio_take(&self->v, self->gid, EDU_LONE, &step);
	th_diag("VFIO on a group dmaown owns: %s: %s", step, err ? th_errname(err) : "worked");
	/* VFIO must not get a working container */
	EXPECT_NE(0, err);
	/* 6.x: the core's ownership refuses SET_CONTAINER; 5.10: type1's attach is EBUSY */
	if (!strcmp(step, "VFIO_GROUP_SET_CONTAINER"))
		EXPECT_TRUE(err == EPERM || err == EBUSY);
	else
		EXPECT_STREQ("VFIO_SET_IOMMU", step);
	if (!strcmp(step, "VFIO_SET_IOMMU"))
		EXPECT_EQ(EBUSY, err);
	vfio_close(&self->v);
	/* VFIO's attempt changed nothing */
	ASSERT_OK(dmaown_status(self->fd, self->gid, &st, NULL, 0));
	EXPECT_EQ(DMAOWN_STATE_OWNED, st.out_state);
	EXPECT_EQ(DMAOWN_DOMAIN_BLOCKING, st.out_domain);

	/* once dmaown lets go, VFIO works */
	ASSERT_OK(dmaown_group_release(self->fd, self->gid));
	err = vfio_take(&self->v, self->gid, EDU_LONE, &step);
	if (err)
		TH_LOG("VFIO after release: %s: %s", step, th_errname(err));
	EXPECT_EQ(0, err);
	vfio_close(&self->v);
}

static void on_usr1(int sig)
{
	(void)sig;
}

/*
 * vfio-pci's remove waits for its user, with device_lock held: a status of
 * the group waits for that lock too, but a signal ends the wait (EINTR),
 * and the task never sits unkillable in D state.
 */
TEST_F_TIMEOUT(vfio, status_interrupted_while_a_driver_is_stuck, 60)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct dmaown_group_status st;
	const char *step;
	pid_t unbinder, poker;
	uint64_t t0;
	int err, ret;

	err = vfio_take(&self->v, self->gid, EDU_LONE, &step);
	ASSERT_EQ(0, err);
	/* the unbind blocks in vfio-pci's remove until the device fd closes */
	unbinder = fork();
	ASSERT_LE(0, unbinder);
	if (!unbinder) {
		vfio_close(&self->v);
		_exit(pci_unbind(EDU_LONE) ? 1 : 0);
	}
	msleep(1000);
	/* still in remove (the driver core drops the driver link before it) */
	ASSERT_EQ(0, waitpid(unbinder, &ret, WNOHANG));
	ASSERT_OK(sigaction(SIGUSR1, &sa, NULL)); /* no SA_RESTART */
	poker = fork();
	ASSERT_LE(0, poker);
	if (!poker) {
		msleep(1000);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	t0 = now_ms();
	ret = dmaown_status(self->fd, self->gid, &st, NULL, 0);
	err = errno;
	waitpid(poker, NULL, 0);
	th_diag("status with vfio-pci stuck in remove: %s after %llu ms",
		ret ? th_errname(err) : "answered", (unsigned long long)(now_ms() - t0));
	EXPECT_NE(0, ret);
	EXPECT_EQ(EINTR, err);
	/* the user lets go: the unbind finishes, and status answers again */
	vfio_close(&self->v);
	EXPECT_EQ(unbinder, waitpid(unbinder, &ret, 0));
	EXPECT_TRUE(WIFEXITED(ret) && WEXITSTATUS(ret) == 0);
	EXPECT_OK(dmaown_status(self->fd, self->gid, &st, NULL, 0));
	EXPECT_EQ(DMAOWN_STATE_FREE, st.out_state);
	EXPECT_TRUE(pci_has_driver(EDU_LONE, ""));
}

TEST_F(vfio, dmaown_refused_while_vfio_owns)
{
	struct dmaown_group_status st;
	const char *step;
	int err;

	err = vfio_take(&self->v, self->gid, EDU_LONE, &step);
	if (err)
		TH_LOG("VFIO: %s: %s", step, th_errname(err));
	ASSERT_EQ(0, err);
	/* type1's paging domain: neither the default nor a blocking one */
	EXPECT_TRUE(dmaown_held_elsewhere(self->fd, self->gid, EDU_LONE));

	/* once VFIO lets go, dmaown works */
	vfio_close(&self->v);
	ASSERT_OK(dmaown_status(self->fd, self->gid, &st, NULL, 0));
	EXPECT_EQ(DMAOWN_STATE_FREE, st.out_state);
	EXPECT_EQ(DMAOWN_DOMAIN_DEFAULT, st.out_domain);
	EXPECT_OK(dmaown_group_claim(self->fd, self->gid));
	EXPECT_EQ(DMAOWN_STATE_OWNED, dmaown_state(self->fd, self->gid));
	EXPECT_OK(dmaown_group_release(self->fd, self->gid));
}

/* --- two files racing for one group ---------------------------------------------- */

#define RACE_FILES 2
#define RACE_THREADS 8 /* per file */
#define RACE_ROUNDS 200

struct race {
	int gid, fds[RACE_FILES], observer;
	pthread_barrier_t barrier;
	int result[RACE_FILES * RACE_THREADS]; /* 0 or errno, this round */
	int bad_rounds, bad_errnos, bad_status, same_file_busy;
};

struct racer {
	struct race *r;
	int idx;
};

static void *race_thread(void *arg)
{
	struct racer *t = arg;
	struct race *r = t->r;
	int fd = r->fds[t->idx / RACE_THREADS];

	for (int round = 0; round < RACE_ROUNDS; round++) {
		pthread_barrier_wait(&r->barrier);
		r->result[t->idx] = dmaown_group_claim(fd, r->gid) ? errno : 0;
		pthread_barrier_wait(&r->barrier);
		if (t->idx == 0) { /* the referee */
			int winners = 0, winner = -1;

			for (int i = 0; i < RACE_FILES * RACE_THREADS; i++)
				if (!r->result[i]) {
					winners++;
					winner = i;
				}
			if (winners != 1) {
				if (r->bad_rounds++ < 5)
					th_diag("round %d: %d winners", round, winners);
			} else {
				for (int i = 0; i < RACE_FILES * RACE_THREADS; i++) {
					bool same = i / RACE_THREADS == winner / RACE_THREADS;
					int want = same ? EALREADY : EBUSY;

					/*
					 * A thread of the winner's file that asked while
					 * the claim was still being taken may be told
					 * EBUSY (the legacy claim walks the group unlocked).
					 */
					if (i != winner && same && r->result[i] == EBUSY) {
						r->same_file_busy++;
						continue;
					}
					if (i != winner && r->result[i] != want &&
					    r->bad_errnos++ < 5)
						th_diag("round %d: thread %d got %s, want %s", round,
							i, th_errname(r->result[i]),
							th_errname(want));
				}
				if (dmaown_state(r->observer, r->gid) != DMAOWN_STATE_BUSY)
					r->bad_status++;
			}
		}
		pthread_barrier_wait(&r->barrier);
		if (!r->result[t->idx] && dmaown_group_release(fd, r->gid))
			r->bad_errnos++;
		pthread_barrier_wait(&r->barrier);
	}
	return NULL;
}

TEST_TIMEOUT(race_two_files_one_winner, 240)
{
	pthread_t th[RACE_FILES * RACE_THREADS];
	struct racer t[RACE_FILES * RACE_THREADS];
	static struct race r;
	uint64_t start = now_ms();

	r.gid = pci_group(EDU_LONE);
	ASSERT_LE(0, r.gid);
	for (int i = 0; i < RACE_FILES; i++) {
		r.fds[i] = dmaown_open();
		ASSERT_LE(0, r.fds[i]);
	}
	r.observer = dmaown_open();
	ASSERT_LE(0, r.observer);
	ASSERT_OK(pthread_barrier_init(&r.barrier, NULL, RACE_FILES * RACE_THREADS));
	for (int i = 0; i < RACE_FILES * RACE_THREADS; i++) {
		t[i] = (struct racer){ .r = &r, .idx = i };
		ASSERT_OK(pthread_create(&th[i], NULL, race_thread, &t[i]));
	}
	for (int i = 0; i < RACE_FILES * RACE_THREADS; i++)
		pthread_join(th[i], NULL);
	th_diag("%d rounds of %d threads on %d files in %llu ms; %d EBUSY to the winner's file",
		RACE_ROUNDS, RACE_FILES * RACE_THREADS, RACE_FILES,
		(unsigned long long)(now_ms() - start), r.same_file_busy);
	EXPECT_EQ(0, r.bad_rounds);
	EXPECT_EQ(0, r.bad_errnos);
	EXPECT_EQ(0, r.bad_status);
	EXPECT_EQ(DMAOWN_STATE_FREE, dmaown_state(r.observer, r.gid));
	for (int i = 0; i < RACE_FILES; i++)
		close(r.fds[i]);
	close(r.observer);
}

/* --- bad input changes nothing -------------------------------------------------- */

struct bad_call {
	const char *what;
	unsigned long req;
	void *arg;
	int want;
};

TEST(bad_input_changes_nothing)
{
	static struct snap before, after;
	struct dmaown_group_status st;
	struct dmaown_device dev;
	struct dmaown_group grp;
	struct kmsg k;
	uint8_t *map, *guard;
	int fd, lone = pci_group(EDU_LONE), alias = pci_group(BRIDGE);
	size_t dsz = sizeof(struct dmaown_device_info);

	ASSERT_LE(0, lone);
	ASSERT_LE(0, alias);
	fd = dmaown_open();
	ASSERT_LE(0, fd);
	ASSERT_OK(snap_take(fd, &before));
	ASSERT_OK(kmsg_begin(&k));
	map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	guard = map + 4096;
	ASSERT_OK(mprotect(guard, 4096, PROT_NONE));

	/* GROUP_CLAIM: sizes, flags, ids, pointers */
	for (uint32_t size = 0; size < sizeof(grp); size++) {
		grp = (struct dmaown_group){ .size = size, .group_id = lone };
		EXPECT_ERRNO(EINVAL, ioctl(fd, DMAOWN_GROUP_CLAIM, &grp));
	}
	grp = (struct dmaown_group){ .size = sizeof(grp), .flags = 2, .group_id = lone };
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(fd, DMAOWN_GROUP_CLAIM, &grp));
	/* a size that runs into the guard page */
	memcpy(guard - sizeof(grp), &(struct dmaown_group){ .size = 4096, .group_id = lone },
	       sizeof(grp));
	EXPECT_ERRNO(EFAULT, ioctl(fd, DMAOWN_GROUP_CLAIM, guard - sizeof(grp)));
	*(uint32_t *)(guard - sizeof(grp)) = 0xffffffff;
	EXPECT_ERRNO(EFAULT, ioctl(fd, DMAOWN_GROUP_CLAIM, guard - sizeof(grp)));
	EXPECT_ERRNO(EFAULT, ioctl(fd, DMAOWN_GROUP_CLAIM, (void *)1));
	EXPECT_ERRNO(EFAULT, ioctl(fd, DMAOWN_GROUP_CLAIM, (void *)-4096L));
	grp = (struct dmaown_group){ .size = sizeof(grp), .group_id = 0xffffffff };
	EXPECT_ERRNO(ENOENT, ioctl(fd, DMAOWN_GROUP_CLAIM, &grp));
	/* a group that is not viable */
	grp = (struct dmaown_group){ .size = sizeof(grp), .group_id = pci_group(NIC_LONE) };
	EXPECT_ERRNO(EBUSY, ioctl(fd, DMAOWN_GROUP_CLAIM, &grp));
	grp.group_id = pci_group(ICH9_SATA);
	EXPECT_ERRNO(EBUSY, ioctl(fd, DMAOWN_GROUP_CLAIM, &grp));

	/* DEVICE_CLAIM and DEVICE_RELEASE: names, bus, reserved */
	for (int rel = 0; rel < 2; rel++) {
		unsigned long req = rel ? DMAOWN_DEVICE_RELEASE : DMAOWN_DEVICE_CLAIM;

		memset(&dev, 0, sizeof(dev));
		dev.size = sizeof(dev);
		memset(dev.name, 'a', sizeof(dev.name)); /* unterminated */
		EXPECT_ERRNO(EINVAL, ioctl(fd, req, &dev));
		memset(&dev, 0, sizeof(dev));
		dev.size = sizeof(dev);
		scopy(dev.name, sizeof(dev.name), EDU_LONE);
		memset(dev.bus, 'p', sizeof(dev.bus)); /* unterminated */
		EXPECT_ERRNO(EINVAL, ioctl(fd, req, &dev));
		memset(&dev, 0, sizeof(dev));
		dev.size = sizeof(dev);
		scopy(dev.name, sizeof(dev.name), EDU_LONE);
		dev.__reserved = 1;
		EXPECT_ERRNO(EOPNOTSUPP, ioctl(fd, req, &dev));
		dev.__reserved = 0;
		dev.flags = 1u << 31;
		EXPECT_ERRNO(EOPNOTSUPP, ioctl(fd, req, &dev));
		dev.flags = 0;
		dev.size = sizeof(dev) - 1;
		EXPECT_ERRNO(EINVAL, ioctl(fd, req, &dev));
		memset(&dev, 0, sizeof(dev));
		dev.size = sizeof(dev); /* empty name */
		EXPECT_ERRNO(EINVAL, ioctl(fd, req, &dev));
		/* the name of a device of a group that is not viable */
		scopy(dev.name, sizeof(dev.name), NIC_LONE);
		EXPECT_ERRNO(rel ? ENOENT : EBUSY, ioctl(fd, req, &dev));
		/* a size that says more than the mapping holds */
		*(uint32_t *)(guard - 8) = sizeof(dev);
		EXPECT_ERRNO(EFAULT, ioctl(fd, req, guard - 8));
	}

	/* GROUP_STATUS: device array pointers and lengths */
	struct {
		int gid;
		uint32_t len;
		uint64_t uptr;
		int want;
	} sc[] = {
		{ lone, 1, 0, EFAULT },
		{ lone, 1, 1, EFAULT },
		{ lone, 1, (uint64_t)-4096, EFAULT },
		{ lone, 1, (uintptr_t)guard, EFAULT },
		{ alias, 4, (uintptr_t)(guard - 2 * dsz), EFAULT }, /* 2 of 4 fit */
		{ alias, 0xffffffff, 0, EFAULT },
		{ alias, 0xffffffff, (uintptr_t)(guard - dsz), EFAULT },
		{ alias, 0x7fffffff, (uintptr_t)(guard - 3 * dsz), EFAULT },
		/* huge length, a buffer just big enough for the devices: fine */
		{ lone, 0xffffffff, (uintptr_t)(guard - dsz), 0 },
		{ alias, 0xffffffff, (uintptr_t)(guard - 4 * dsz), 0 },
		{ alias, 1, (uintptr_t)(guard - dsz), 0 },
	};
	for (size_t i = 0; i < sizeof(sc) / sizeof(sc[0]); i++) {
		memset(&st, 0, sizeof(st));
		st.size = sizeof(st);
		st.group_id = sc[i].gid;
		st.devices_len = sc[i].len;
		st.devices_uptr = sc[i].uptr;
		errno = 0;
		int ret = ioctl(fd, DMAOWN_GROUP_STATUS, &st) ? errno : 0;

		if (ret != sc[i].want)
			TH_LOG("status case %zu (group %d len %#x): %s, want %s", i, sc[i].gid,
			       sc[i].len, ret ? th_errname(ret) : "success",
			       sc[i].want ? th_errname(sc[i].want) : "success");
		EXPECT_EQ(sc[i].want, ret);
	}
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	st.group_id = lone;
	st.flags = 1;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(fd, DMAOWN_GROUP_STATUS, &st));

	/* nothing changed, and the kernel did not complain */
	ASSERT_OK(snap_take(fd, &after));
	EXPECT_TRUE(snap_equal(&before, &after));
	EXPECT_EQ(0, kmsg_count_bad(&k));
	if (kmsg_count_bad(&k))
		kmsg_dump(&k, "bad input");
	kmsg_end(&k);
	munmap(map, 8192);
	close(fd);
}

/* --- unload and reload -------------------------------------------------------------- */

FIXTURE(reload) {
	int unused;
};

FIXTURE_SETUP(reload)
{
	ASSERT_TRUE(module_loaded("dmaown"));
}

FIXTURE_TEARDOWN(reload)
{
	if (!module_loaded("dmaown"))
		EXPECT_OK(module_load(DMAOWN_MODULE, DMAOWN_PARAMS));
}

TEST_F(reload, unload_reload_leaves_groups_as_they_were)
{
	static struct snap before, after;
	static struct sysdev sys_before[SNAP_GROUPS][SNAP_DEVS], sys_during[SNAP_DEVS];
	int ids[SNAP_GROUPS], n, fd, ret, gid = pci_group(EDU_LONE);

	ASSERT_LE(0, gid);
	/* use it first: a claim, released by close */
	fd = dmaown_open();
	ASSERT_LE(0, fd);
	ASSERT_OK(dmaown_group_claim(fd, gid));
	close(fd);
	fd = dmaown_open();
	ASSERT_LE(0, fd);
	ASSERT_OK(snap_take(fd, &before));
	close(fd);
	n = sys_groups(ids, SNAP_GROUPS);
	ASSERT_LT(0, n);
	for (int i = 0; i < n; i++)
		sys_group_devices(ids[i], sys_before[i], SNAP_DEVS);

	ret = module_unload("dmaown");
	if (ret)
		TH_LOG("delete_module(dmaown): %s", strerror(-ret));
	ASSERT_EQ(0, ret);
	/* while unloaded: every driver where it was */
	for (int i = 0; i < n; i++) {
		int nd = sys_group_devices(ids[i], sys_during, SNAP_DEVS);

		for (int d = 0; d < nd; d++)
			EXPECT_STREQ(sys_before[i][d].driver, sys_during[d].driver);
	}
	ret = module_load(DMAOWN_MODULE, DMAOWN_PARAMS);
	if (ret)
		TH_LOG("finit_module(%s): %s", DMAOWN_MODULE, strerror(-ret));
	ASSERT_EQ(0, ret);

	fd = dmaown_open();
	ASSERT_LE(0, fd);
	ASSERT_OK(snap_take(fd, &after));
	EXPECT_TRUE(snap_equal(&before, &after));
	for (int i = 0; i < after.nr; i++) {
		EXPECT_EQ(DMAOWN_STATE_FREE, after.g[i].st.out_state);
		EXPECT_EQ(DMAOWN_DOMAIN_DEFAULT, after.g[i].st.out_domain);
	}
	/* the reloaded module works */
	EXPECT_OK(dmaown_group_claim(fd, gid));
	EXPECT_OK(dmaown_group_release(fd, gid));
	close(fd);
	if (!witness_unusable(EDU_LONE))
		EXPECT_EQ(EDU_LANDED, edu_witness(EDU_LONE));
}

TEST_HARNESS_MAIN
