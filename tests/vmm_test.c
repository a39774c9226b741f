// SPDX-License-Identifier: GPL-2.0
/*
 * vmm_test - a real VFIO user against dmaown: the distribution's QEMU runs
 * in the test guest with the lone edu as a vfio-pci device (tests/lib/vmm.c)
 * and drives it as the inner VM's driver.
 *
 *  - its DMA lands in the inner VM's RAM, while dmaown sees the group held
 *    elsewhere and cannot claim it, and the host-side witness gets nowhere;
 *  - while dmaown holds the group, QEMU fails to start, with the kernel's
 *    reason (6.x: VFIO finds the group "not viable"; 5.10: type1 cannot
 *    attach, "Failed to set iommu for container");
 *  - QEMU comes and goes (SIGTERM, SIGKILL): the next one works each time.
 *
 * Every test leaves the edu as booted: no driver, no driver_override, the
 * group free, and its DMA landing on the identity domain (iommu=pt).
 */
#include <fcntl.h>

#include "harness.h"
#include "lib/testlib.h"

#define VMM_TEST_TIMEOUT 180 /* a guard: QEMU is slow under TCG in TCG */

/* wait until no one holds @gid (VFIO lets go as QEMU's files close) */
static int wait_free(int fd, int gid)
{
	uint64_t end = now_ms() + 10000;
	int st;

	while ((st = dmaown_state(fd, gid)) != DMAOWN_STATE_FREE && now_ms() < end)
		msleep(20);
	return st;
}

static void log_mem_available(void)
{
	char buf[4096], *p;

	if (sysfs_read("/proc/meminfo", buf, sizeof(buf)) < 0)
		return;
	p = strstr(buf, "MemAvailable:");
	if (p)
		th_diag("with QEMU running: %.*s", (int)strcspn(p, "\n"), p);
}

FIXTURE(vmm) {
	int gid, fd;
	bool bound;
	struct vmm v;
};

FIXTURE_SETUP(vmm)
{
	self->fd = -1;
	self->gid = pci_group(EDU_LONE);
	ASSERT_LE(0, self->gid);
	ASSERT_TRUE(pci_has_driver(EDU_LONE, ""));
	self->fd = dmaown_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(DMAOWN_STATE_FREE, dmaown_state(self->fd, self->gid));
	ASSERT_EQ(0, pci_bind_vfio(EDU_LONE));
	self->bound = true;
}

FIXTURE_TEARDOWN(vmm)
{
	pid_t pid = self->v.pid;

	vmm_stop(&self->v, SIGKILL);
	if (pid > 0)
		EXPECT_ERRNO(ESRCH, kill(pid, 0));
	if (self->fd >= 0) {
		/* a claim of ours goes with the file */
		close(self->fd);
		self->fd = dmaown_open();
		EXPECT_EQ(DMAOWN_STATE_FREE, wait_free(self->fd, self->gid));
		close(self->fd);
	}
	if (self->bound)
		EXPECT_OK(pci_unbind_vfio(EDU_LONE));
	EXPECT_TRUE(pci_has_driver(EDU_LONE, ""));
}

/* QEMU is up: its DMA lands in the inner VM, and nobody else gets in */
TEST_F_TIMEOUT(vmm, dma_lands_in_the_inner_vm_and_dmaown_is_refused, VMM_TEST_TIMEOUT)
{
	int ret;

	ASSERT_EQ(0, vmm_start(&self->v, EDU_LONE));
	log_mem_available();
	ASSERT_EQ(EDU_LANDED, vmm_edu_dma(&self->v));
	/* a second round trip, with another pattern */
	EXPECT_EQ(EDU_LANDED, vmm_edu_dma(&self->v));
	/* the control: from an IOVA type1 did not map, nothing lands */
	ret = vmm_edu_dma_from(&self->v, VMM_NO_RAM);
	EXPECT_LE(0, ret);
	EXPECT_NE(EDU_LANDED, ret);

	/* VFIO's type1 domain: busy, no dmaown owner, claims get EBUSY */
	EXPECT_TRUE(dmaown_held_elsewhere(self->fd, self->gid, EDU_LONE));
	/*
	 * The host-side witness: QEMU's BAR mmap made the region busy, which
	 * sysfs mmap refuses (IO_STRICT_DEVMEM); were it mapped, its DMA to
	 * host addresses would miss type1's mappings. It never lands.
	 */
	ret = edu_witness(EDU_LONE);
	th_diag("host-side edu witness while QEMU holds the edu: %s",
		ret < 0 ? strerror(-ret) : ret == EDU_BLOCKED ? "blocked" : "landed or garbled");
	EXPECT_TRUE(ret < 0 || ret == EDU_BLOCKED);

	/* and QEMU's device still works after all that */
	EXPECT_EQ(EDU_LANDED, vmm_edu_dma(&self->v));
	EXPECT_EQ(0, vmm_stop(&self->v, SIGTERM));
	EXPECT_EQ(DMAOWN_STATE_FREE, wait_free(self->fd, self->gid));
}

/* dmaown holds the group: QEMU cannot have it, and says why */
TEST_F_TIMEOUT(vmm, qemu_refused_while_dmaown_holds, VMM_TEST_TIMEOUT)
{
	const char *why = kernel_version() >= 6000 ? "not viable" :
						     "Failed to set iommu for container";
	int ret;

	ASSERT_OK(dmaown_group_claim(self->fd, self->gid));
	ret = vmm_start(&self->v, EDU_LONE);
	EXPECT_EQ(-ECHILD, ret);
	if (ret == -ECHILD) {
		EXPECT_EQ(1, self->v.status);
		if (!vmm_stderr_has(&self->v, why))
			TH_LOG("no \"%s\" in QEMU's stderr", why);
		EXPECT_TRUE(vmm_stderr_has(&self->v, why));
	}
	vmm_stop(&self->v, SIGKILL);
	/* QEMU's attempt changed nothing */
	EXPECT_EQ(DMAOWN_STATE_OWNED, dmaown_state(self->fd, self->gid));
	EXPECT_TRUE(pci_has_driver(EDU_LONE, "vfio-pci"));

	/* once dmaown lets go, QEMU starts and its DMA lands */
	ASSERT_OK(dmaown_group_release(self->fd, self->gid));
	ASSERT_EQ(0, vmm_start(&self->v, EDU_LONE));
	EXPECT_EQ(EDU_LANDED, vmm_edu_dma(&self->v));
	EXPECT_EQ(0, vmm_stop(&self->v, SIGTERM));
}

/* one QEMU after the other: SIGTERM three times, then a crash (SIGKILL) */
TEST_F_TIMEOUT(vmm, qemu_again_and_again, VMM_TEST_TIMEOUT)
{
	static const int sigs[] = { SIGTERM, SIGTERM, SIGTERM, SIGKILL, SIGTERM };

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		pid_t pid;

		th_diag("QEMU %zu of %zu, to end with signal %d", i + 1,
			sizeof(sigs) / sizeof(sigs[0]), sigs[i]);
		ASSERT_EQ(0, vmm_start(&self->v, EDU_LONE));
		pid = self->v.pid;
		EXPECT_EQ(EDU_LANDED, vmm_edu_dma(&self->v));
		EXPECT_EQ(sigs[i] == SIGKILL ? 128 + SIGKILL : 0, vmm_stop(&self->v, sigs[i]));
		/* reaped, and a second stop changes nothing */
		EXPECT_ERRNO(ESRCH, kill(pid, 0));
		EXPECT_EQ(self->v.status, vmm_stop(&self->v, SIGKILL));
		EXPECT_EQ(DMAOWN_STATE_FREE, wait_free(self->fd, self->gid));
	}
	/* and dmaown can have the group between two QEMUs */
	EXPECT_OK(dmaown_group_claim(self->fd, self->gid));
	EXPECT_OK(dmaown_group_release(self->fd, self->gid));
}

/* the edu as this program found it: driverless, free, DMA on identity */
TEST(edu_left_as_found)
{
	char drv[NAME_LEN], path[128], ovr[64];
	int fd = dmaown_open(), gid = pci_group(EDU_LONE);

	ASSERT_LE(0, fd);
	ASSERT_LE(0, gid);
	ASSERT_OK(pci_driver(EDU_LONE, drv, sizeof(drv)));
	EXPECT_STREQ("", drv);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", EDU_LONE);
	ASSERT_LE(0, sysfs_read(path, ovr, sizeof(ovr)));
	EXPECT_STREQ("(null)", ovr);
	EXPECT_EQ(DMAOWN_STATE_FREE, dmaown_state(fd, gid));
	close(fd);
	if (witness_unusable(EDU_LONE))
		SKIP("%s", witness_unusable(EDU_LONE));
	EXPECT_EQ(EDU_LANDED, edu_witness(EDU_LONE));
}

TEST_HARNESS_MAIN
