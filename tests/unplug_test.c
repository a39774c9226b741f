// SPDX-License-Identifier: GPL-2.0
/*
 * unplug_test - devices coming and going around owned groups (issue 4):
 * hot-remove of a lone owned device (sysfs remove, QMP device_del) and of a
 * member of the owned alias group (the claim is revoked: POLLERR, ENODEV,
 * status FREE; the group can be claimed again once the device is back), and
 * hot-add into the owned alias group (QMP device_add, remove + rescan): the
 * new device gets no driver and its DMA is blocked.
 *
 * It runs after the other suites (sorted last) because a kernel that
 * mishandles these sequences may not survive them.
 *
 * Kernel limitations the tests work around (found with these tests):
 *  - 5.10: once 00:03.0 (a root-bus device) has been removed and rescanned,
 *    intel-iommu refuses every new domain for it until reboot; the lone
 *    device here is therefore the edu behind a root port (EDU_HP).
 *  - 5.10: while a member of the alias group is gone, intel-iommu refuses a
 *    new domain for the group (claim: EBUSY) until a device is added back.
 *  - 6.1: claiming the alias group while one of its members is gone (left
 *    while the group was free) corrupts intel-iommu's device list (BUG in
 *    device_block_translation); adding a device back first is safe. Every
 *    test here adds a device back before the group is claimed again, except
 *    claim_while_a_member_is_gone_then_rescan, which checks that dmaown
 *    handles that case.
 *  - all three: while a member of the alias group is gone, the others
 *    cannot DMA at all, owned or not (the shared alias' context entry is
 *    cleared), until a device joins again.
 *
 * Every test leaves the topology as booted: drivers bound, no claim, every
 * device present.
 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>

#include "harness.h"
#include "lib/testlib.h"

/* the claim of @fd on @gid holds, with @nr devices, all blocked */
static void check_owned(struct __test_metadata *_metadata, int fd, int gid, unsigned int nr)
{
	struct dmaown_group_status st;

	ASSERT_OK(dmaown_status(fd, gid, &st, NULL, 0));
	EXPECT_EQ(DMAOWN_STATE_OWNED, st.out_state);
	EXPECT_EQ(DMAOWN_DOMAIN_BLOCKING, st.out_domain);
	EXPECT_EQ(nr, st.out_nr_devices);
	EXPECT_FALSE(poll_revents(fd, 0) & POLLERR);
}

/* the claim of @fd on @gid was revoked; the group, @nr devices, is free */
static void check_revoked(struct __test_metadata *_metadata, int fd, int gid, int nr)
{
	struct dmaown_group_status st;
	int other = dmaown_open();

	EXPECT_TRUE(poll_revents(fd, 2000) & POLLERR);
	ASSERT_LE(0, other);
	if (nr) {
		ASSERT_OK(dmaown_status(other, gid, &st, NULL, 0));
		EXPECT_EQ(DMAOWN_STATE_FREE, st.out_state);
		EXPECT_EQ(nr, st.out_nr_devices);
	} else { /* the group left with its only device */
		EXPECT_ERRNO(ENOENT, dmaown_status(other, gid, &st, NULL, 0));
	}
	close(other);
}

/* @bdf is present, driver-less, free, and can be claimed (device claim) */
static void check_reclaim(struct __test_metadata *_metadata, const char *bdf)
{
	int gid = pci_group(bdf), fd;

	ASSERT_LE(0, gid);
	EXPECT_TRUE(pci_has_driver(bdf, ""));
	fd = dmaown_open();
	ASSERT_LE(0, fd);
	EXPECT_EQ(DMAOWN_STATE_FREE, dmaown_state(fd, gid));
	EXPECT_OK(dmaown_device_claim(fd, bdf, "pci", NULL));
	EXPECT_EQ(DMAOWN_STATE_OWNED, dmaown_state(fd, gid));
	if (!witness_unusable(bdf))
		EXPECT_EQ(EDU_BLOCKED, edu_witness(bdf));
	EXPECT_OK(dmaown_device_release(fd, bdf, "pci"));
	if (!witness_unusable(bdf))
		EXPECT_EQ(EDU_LANDED, edu_witness(bdf));
	close(fd);
}

/* --- hot-remove of a lone owned device ------------------------------------------ */

/*
 * The lone device is the edu behind root port rp-hp1 (EDU_HP), not the one
 * on the root bus (EDU_LONE): see the 5.10 note at the top.
 */
FIXTURE(lone) {
	int fd;
	struct kmsg k;
};

FIXTURE_SETUP(lone)
{
	self->fd = -1;
	self->k.fd = -1;
	ASSERT_TRUE(pci_exists(EDU_HP));
	ASSERT_TRUE(pci_has_driver(EDU_HP, ""));
	self->fd = dmaown_open();
	ASSERT_LE(0, self->fd);
	ASSERT_OK(kmsg_begin(&self->k));
}

FIXTURE_TEARDOWN(lone)
{
	if (self->fd >= 0)
		close(self->fd);
	if (!pci_exists(EDU_HP)) {
		pci_rescan();
		pci_wait_present(EDU_HP, true, 5000);
	}
	if (!pci_exists(EDU_HP)) { /* gone by device_del: add it back */
		EXPECT_OK(qmp_add_edu(topo("RP_HP1_QID", "rp-hp1"), NULL, EDU_HP_QID));
		EXPECT_OK(pci_wait_present(EDU_HP, true, 20000));
	}
	EXPECT_EQ(0, kmsg_count_bad(&self->k));
	if (kmsg_count_bad(&self->k))
		kmsg_dump(&self->k, "lone");
	kmsg_end(&self->k);
}

TEST_F_TIMEOUT(lone, sysfs_remove_revokes, 90)
{
	int gid = pci_group(EDU_HP);

	ASSERT_LE(0, gid);
	ASSERT_OK(dmaown_group_claim(self->fd, gid));
	ASSERT_OK(pci_remove(EDU_HP));
	ASSERT_OK(pci_wait_present(EDU_HP, false, 5000));
	check_revoked(_metadata, self->fd, gid, 0);
	EXPECT_ERRNO(ENODEV, dmaown_group_release(self->fd, gid));
	/* the tombstone went with the ENODEV */
	EXPECT_ERRNO(ENOENT, dmaown_group_release(self->fd, gid));
	EXPECT_FALSE(poll_revents(self->fd, 0) & POLLERR);

	ASSERT_OK(pci_rescan());
	ASSERT_OK(pci_wait_present(EDU_HP, true, 5000));
	check_reclaim(_metadata, EDU_HP);
}

TEST_F_TIMEOUT(lone, qmp_device_del_revokes_device_claim, 120)
{
	int gid = pci_group(EDU_HP);

	if (!qmp_available())
		SKIP("no QMP relay to the host (dmaown-qmp -p fails): not under scripts/vm-test");
	ASSERT_LE(0, gid);
	ASSERT_OK(dmaown_device_claim(self->fd, EDU_HP, "pci", NULL));
	ASSERT_OK(qmp_device_del(EDU_HP_QID, EDU_HP));
	check_revoked(_metadata, self->fd, gid, 0);
	EXPECT_ERRNO(ENODEV, dmaown_device_release(self->fd, EDU_HP, "pci"));
	EXPECT_ERRNO(ENOENT, dmaown_device_claim(self->fd, EDU_HP, "pci", NULL));

	ASSERT_OK(qmp_add_edu(topo("RP_HP1_QID", "rp-hp1"), NULL, EDU_HP_QID));
	ASSERT_OK(pci_wait_present(EDU_HP, true, 20000));
	check_reclaim(_metadata, EDU_HP);
}

/* --- the alias group behind the bridge -------------------------------------------- */

FIXTURE(alias) {
	int gid, fd;
	struct kmsg k;
	bool qmp_nic, qmp_edu;
	char edu2[32];
};

FIXTURE_SETUP(alias)
{
	char bus[24];

	self->fd = -1;
	self->k.fd = -1;
	scopy(bus, sizeof(bus), topo("BRIDGE_BUS", "0000:01"));
	snprintf(self->edu2, sizeof(self->edu2), "%s:05.0", bus);
	self->gid = pci_group(BRIDGE);
	ASSERT_LE(0, self->gid);
	ASSERT_OK(pci_unbind(NIC_ALIAS));
	self->fd = dmaown_open();
	ASSERT_LE(0, self->fd);
	ASSERT_OK(kmsg_begin(&self->k));
}

/*
 * Bring the group back as booted. A device that left it must be followed
 * by one that joins before the next claim (5.10, 6.1): remove and rescan a
 * member when the group lost one.
 */
FIXTURE_TEARDOWN(alias)
{
	bool left = false; /* a device left the group */

	if (self->fd >= 0)
		close(self->fd);
	if (self->qmp_nic)
		left |= qmp_device_del("ut-nic", ALIAS_FREE_BDF) == 0;
	if (self->qmp_edu)
		left |= qmp_device_del("ut-edu", self->edu2) == 0;
	if (left && pci_exists(EDU_ALIAS_B))
		EXPECT_OK(pci_remove(EDU_ALIAS_B));
	if (left || !pci_exists(EDU_ALIAS_A) || !pci_exists(EDU_ALIAS_B) ||
	    !pci_exists(NIC_ALIAS)) {
		EXPECT_OK(pci_rescan());
		pci_wait_present(EDU_ALIAS_B, true, 5000);
		pci_wait_present(NIC_ALIAS, true, 5000);
	}
	EXPECT_TRUE(pci_exists(EDU_ALIAS_A) && pci_exists(EDU_ALIAS_B));
	EXPECT_OK(pci_ensure_driver(NIC_ALIAS, NIC_ALIAS_DRIVER));
	EXPECT_EQ(0, kmsg_count_bad(&self->k));
	if (kmsg_count_bad(&self->k))
		kmsg_dump(&self->k, "alias group");
	kmsg_end(&self->k);
}

TEST_F_TIMEOUT(alias, member_removed_revokes, 120)
{
	int fd2;

	ASSERT_OK(dmaown_group_claim(self->fd, self->gid));
	check_owned(_metadata, self->fd, self->gid, 4);
	ASSERT_OK(pci_remove(EDU_ALIAS_A));
	ASSERT_OK(pci_wait_present(EDU_ALIAS_A, false, 5000));
	check_revoked(_metadata, self->fd, self->gid, 3);
	/* the revoked claim's release says so */
	EXPECT_ERRNO(ENODEV, dmaown_group_release(self->fd, self->gid));

	/* back again: the group can be claimed again */
	ASSERT_OK(pci_rescan());
	ASSERT_OK(pci_wait_present(EDU_ALIAS_A, true, 5000));
	EXPECT_EQ(self->gid, pci_group(EDU_ALIAS_A));
	fd2 = dmaown_open();
	ASSERT_LE(0, fd2);
	EXPECT_OK(dmaown_group_claim(fd2, self->gid));
	check_owned(_metadata, fd2, self->gid, 4);
	if (!witness_unusable(EDU_ALIAS_A))
		EXPECT_EQ(EDU_BLOCKED, edu_witness(EDU_ALIAS_A));
	EXPECT_OK(dmaown_group_release(fd2, self->gid));
	if (!witness_unusable(EDU_ALIAS_A))
		EXPECT_EQ(EDU_LANDED, edu_witness(EDU_ALIAS_A));
	close(fd2);
}

/* "major.minor" of the running kernel as major * 1000 + minor */
static int kernel_version(void)
{
	struct utsname u;
	int maj = 0, min = 0;

	uname(&u);
	sscanf(u.release, "%d.%d", &maj, &min);
	return maj * 1000 + min;
}

/*
 * Claim the alias group while one of its members is gone, then bring
 * the member back into the owned group (hot-add by rescan, no QMP needed).
 * A kernel may refuse the claim (5.10's intel-iommu does), and dmaown must
 * refuse it where the kernel would break (6.1): EBUSY with a log line that
 * names the group. Where the claim is taken, the member that comes back
 * must get no driver and no DMA.
 */
TEST_F_TIMEOUT(alias, claim_while_a_member_is_gone_then_rescan, 150)
{
	char why[32];
	bool dma = !witness_unusable(EDU_ALIAS_B);
	int ret, err;

	ASSERT_OK(pci_remove(EDU_ALIAS_B));
	ASSERT_OK(pci_remove(NIC_ALIAS));
	ASSERT_OK(pci_wait_present(NIC_ALIAS, false, 5000));
	ret = dmaown_group_claim(self->fd, self->gid);
	err = errno;
	th_diag("kernel %d.%d: claim with 2 members gone: %s", kernel_version() / 1000,
		kernel_version() % 1000, ret ? th_errname(err) : "taken");
	/*
	 * Refused exactly where the kernel cannot take it: before the IOMMU
	 * drivers' own blocked domains (6.7), i.e. 5.10 and 6.1 here.
	 */
	EXPECT_EQ(kernel_version() < 6007, ret != 0);
	if (ret) {
		/* refused: it must be EBUSY, explained, and undone by a rescan */
		EXPECT_EQ(EBUSY, err);
		snprintf(why, sizeof(why), "group %d", self->gid);
		EXPECT_LE(1, kmsg_wait(&self->k, "dmaown", why, 1, 1000));
		ASSERT_OK(pci_rescan());
		ASSERT_OK(pci_wait_present(NIC_ALIAS, true, 5000));
		ASSERT_OK(pci_wait_present(EDU_ALIAS_B, true, 5000));
		/* the free group's NIC got its driver back at once */
		EXPECT_OK(pci_wait_driver(NIC_ALIAS, NIC_ALIAS_DRIVER, 3000));
		EXPECT_OK(pci_unbind(NIC_ALIAS));
		EXPECT_OK(dmaown_group_claim(self->fd, self->gid));
		EXPECT_OK(dmaown_group_release(self->fd, self->gid));
		/* hot-add into an owned group: qmp_hot_add_stays_sealed */
		return;
	}
	check_owned(_metadata, self->fd, self->gid, 2);

	/* they come back into the owned group */
	ASSERT_OK(pci_rescan());
	ASSERT_OK(pci_wait_present(EDU_ALIAS_B, true, 5000));
	ASSERT_OK(pci_wait_present(NIC_ALIAS, true, 5000));
	EXPECT_EQ(self->gid, pci_group(EDU_ALIAS_B));
	EXPECT_EQ(self->gid, pci_group(NIC_ALIAS));
	msleep(500); /* the NIC's driver is loaded: the kernel tries it at once */
	EXPECT_TRUE(pci_has_driver(NIC_ALIAS, ""));
	EXPECT_TRUE(pci_has_driver(EDU_ALIAS_B, ""));
	check_owned(_metadata, self->fd, self->gid, 4);
	if (dma) {
		EXPECT_EQ(EDU_BLOCKED, edu_witness(EDU_ALIAS_B));
		EXPECT_EQ(EDU_BLOCKED, edu_witness(EDU_ALIAS_A));
	} else {
		th_diag("DMA not checked: %s", witness_unusable(EDU_ALIAS_B));
	}
	EXPECT_EQ(-EBUSY, pci_bind(NIC_ALIAS, NIC_ALIAS_DRIVER));

	ASSERT_OK(dmaown_group_release(self->fd, self->gid));
	EXPECT_EQ(DMAOWN_STATE_FREE, dmaown_state(self->fd, self->gid));
	if (dma)
		EXPECT_EQ(EDU_LANDED, edu_witness(EDU_ALIAS_B));
	EXPECT_OK(pci_bind(NIC_ALIAS, NIC_ALIAS_DRIVER));
}

/*
 * The two tests below leave the group wounded (a hot-added device that is
 * deleted never comes back); the teardown's rescan brings a member back,
 * which is what the kernels need (5.10, 6.1: one device joining is enough).
 */
TEST_F_TIMEOUT(alias, qmp_hot_add_stays_sealed, 150)
{
	char json[256];
	bool dma = !witness_unusable(EDU_ALIAS_A);

	if (!qmp_available())
		SKIP("no QMP relay to the host (dmaown-qmp -p fails): not under scripts/vm-test");
	ASSERT_FALSE(pci_exists(ALIAS_FREE_BDF));
	ASSERT_FALSE(pci_exists(self->edu2));
	ASSERT_OK(dmaown_group_claim(self->fd, self->gid));

	/* a NIC whose driver is loaded, and an edu, into free slots of the bridge */
	snprintf(json, sizeof(json),
		 "{\"driver\": \"%s\", \"bus\": \"%s\", \"addr\": \"%s\", \"id\": \"ut-nic\"}",
		 NIC_ALIAS_DRIVER, BRIDGE_QID, ALIAS_FREE_ADDR);
	ASSERT_OK(qmp("device_add", json));
	self->qmp_nic = true;
	ASSERT_OK(qmp_add_edu(BRIDGE_QID, "05.0", "ut-edu"));
	self->qmp_edu = true;
	ASSERT_OK(pci_wait_present(ALIAS_FREE_BDF, true, 20000));
	ASSERT_OK(pci_wait_present(self->edu2, true, 20000));
	EXPECT_EQ(self->gid, pci_group(ALIAS_FREE_BDF));
	EXPECT_EQ(self->gid, pci_group(self->edu2));
	msleep(1000); /* the NIC's driver is loaded: the kernel tries it at once */
	EXPECT_TRUE(pci_has_driver(ALIAS_FREE_BDF, ""));
	EXPECT_TRUE(pci_has_driver(self->edu2, ""));
	check_owned(_metadata, self->fd, self->gid, 6);
	if (dma) {
		EXPECT_EQ(EDU_BLOCKED, edu_witness(self->edu2));
		EXPECT_EQ(EDU_BLOCKED, edu_witness(EDU_ALIAS_A));
	} else {
		th_diag("DMA not checked: %s", witness_unusable(EDU_ALIAS_A));
	}
	EXPECT_EQ(-EBUSY, pci_bind(ALIAS_FREE_BDF, NIC_ALIAS_DRIVER));
	check_owned(_metadata, self->fd, self->gid, 6);

	/* released: the new edu's DMA lands, the new NIC may bind */
	ASSERT_OK(dmaown_group_release(self->fd, self->gid));
	if (dma)
		EXPECT_EQ(EDU_LANDED, edu_witness(self->edu2));
	EXPECT_OK(pci_bind(ALIAS_FREE_BDF, NIC_ALIAS_DRIVER));
	EXPECT_TRUE(pci_has_driver(ALIAS_FREE_BDF, NIC_ALIAS_DRIVER));
	EXPECT_OK(pci_unbind(ALIAS_FREE_BDF));
}

TEST_F_TIMEOUT(alias, member_removed_after_hot_add, 150)
{
	if (!qmp_available())
		SKIP("no QMP relay to the host (dmaown-qmp -p fails): not under scripts/vm-test");
	/* a device joins the owned group, then another member leaves it */
	ASSERT_OK(dmaown_group_claim(self->fd, self->gid));
	ASSERT_OK(qmp_add_edu(BRIDGE_QID, "05.0", "ut-edu"));
	self->qmp_edu = true;
	ASSERT_OK(pci_wait_present(self->edu2, true, 20000));
	check_owned(_metadata, self->fd, self->gid, 5);
	ASSERT_OK(pci_remove(EDU_ALIAS_A));
	check_revoked(_metadata, self->fd, self->gid, 4);
	EXPECT_ERRNO(ENODEV, dmaown_group_release(self->fd, self->gid));
	close(self->fd);
	self->fd = -1;
	/*
	 * No DMA check here: with a member of the alias gone, the kernels
	 * clear the alias' context entry, and the survivors cannot DMA at all
	 * until a device joins again (6.12, free group, no dmaown: blocked).
	 */
	/* the hot-added one leaves too, then the removed one comes back */
	EXPECT_OK(qmp_device_del("ut-edu", self->edu2));
	self->qmp_edu = false;
	ASSERT_OK(pci_rescan());
	ASSERT_OK(pci_wait_present(EDU_ALIAS_A, true, 5000));
	check_reclaim(_metadata, EDU_ALIAS_A);
}

TEST_HARNESS_MAIN
