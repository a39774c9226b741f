// SPDX-License-Identifier: GPL-2.0
/*
 * quarantine_test - the quarantine list (issue 11): bad input changes
 * nothing; a quarantined group is held blocked with no file open, pins the
 * module, and refuses drivers that are not DMA-safe; a device bound to one
 * is refused, or waits; a file's claim takes the hold over with no domain
 * switch and gives it back; a hot-added device is held before any driver;
 * vfio-pci hands the group to VFIO where that passes through no identity
 * domain, and only with handoff_window=1 elsewhere; the distribution's QEMU
 * (tests/lib/vmm.c) then takes it, its DMA lands in the inner VM, and the
 * edu's DMA to host memory stays blocked outside QEMU's use.
 *
 * Domain switches are recorded by the test-only module dmaown_domtrace
 * (tests/module/). Every test leaves the topology as booted: an empty
 * quarantine list, drivers bound, no claim, default domain types.
 */
#include <limits.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include "harness.h"
#include "lib/testlib.h"

#define DOMTRACE_KO "/tests/modules/dmaown_domtrace.ko"
#define DOMTRACE_LOG "/sys/kernel/debug/dmaown_domtrace/log"
#define HANDOFF_WINDOW "/sys/module/dmaown/parameters/handoff_window"
#define QFLAGS (DMAOWN_GROUP_QUARANTINED | DMAOWN_GROUP_HELD | DMAOWN_GROUP_HANDED_OFF)

/* --- helpers ------------------------------------------------------------------ */

static uint32_t group_flags(int fd, int gid, struct dmaown_group_status *st)
{
	if (dmaown_status(fd, gid, st, NULL, 0))
		return ~0u;
	return st->out_group_flags;
}

/* wait until (flags & mask) == want; the flags seen */
static uint32_t wait_flags(int fd, int gid, uint32_t mask, uint32_t want)
{
	struct dmaown_group_status st;
	uint64_t end = now_ms() + 5000;
	uint32_t f;

	for (;;) {
		f = group_flags(fd, gid, &st);
		if ((f & mask) == want || now_ms() >= end)
			return f;
		msleep(20);
	}
}

static int module_refcnt(void)
{
	char buf[32];

	if (sysfs_read("/sys/module/dmaown/refcnt", buf, sizeof(buf)) <= 0)
		return -1;
	return atoi(buf);
}

static int group_type(int gid, char *buf, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/type", gid);
	return sysfs_read(path, buf, len);
}

static int group_type_set(int gid, const char *type)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/type", gid);
	return sysfs_write(path, type);
}

static bool domtrace_load(void)
{
	if (!module_loaded("dmaown_domtrace") && module_load(DOMTRACE_KO, ""))
		return false;
	return !sysfs_write(DOMTRACE_LOG, "0");
}

/* attaches of @bdf recorded since the last clear: count, and of which type */
static int domtrace_count(const char *bdf, const char *type)
{
	char line[128], dev[64], t[32];
	unsigned int seq;
	int n = 0;
	FILE *f = fopen(DOMTRACE_LOG, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%u %63s %31s", &seq, dev, t) != 3)
			continue;
		printf("# domtrace: %s", line);
		if (!strcmp(dev, bdf) && (!type || !strcmp(t, type)))
			n++;
	}
	fclose(f);
	return n;
}

/* 0 when the list is (made) empty */
static int empty_quarantine(void)
{
	char buf[256];

	if (quarantine_param(buf, sizeof(buf)) > 0)
		return quarantine_param_set("");
	return 0;
}

/* --- fixture -------------------------------------------------------------------- */

FIXTURE(q) {
	int fd, gid;
	bool dma;	/* the edu witness tells blocked from landed */
	struct kmsg k;
};

FIXTURE_SETUP(q)
{
	char buf[256];

	self->k.fd = -1;
	self->gid = pci_group(EDU_LONE);
	ASSERT_LE(0, self->gid);
	self->dma = !witness_unusable(EDU_LONE);
	self->fd = dmaown_open();
	ASSERT_LE(0, self->fd);
	ASSERT_LE(0, quarantine_param(buf, sizeof(buf)));
	ASSERT_STREQ("", buf);
	ASSERT_OK(kmsg_begin(&self->k));
}

FIXTURE_TEARDOWN(q)
{
	EXPECT_OK(empty_quarantine());
	if (self->fd >= 0)
		close(self->fd);
	pci_unbind(EDU_LONE);
	pci_set_override(EDU_LONE, NULL);
	EXPECT_OK(pci_ensure_driver(NIC_LONE, NIC_LONE_DRIVER));
	kmsg_end(&self->k);
}

/* --- bad input ---------------------------------------------------------------- */

TEST_F(q, bad_input_changes_nothing)
{
	static const char *const bad[] = {
		"", "0000:00:03", "zz:00.0", "0000:00:20.0", "0000:00:03.8", "00:03.0x",
		"10000:00:03.0", "ffff:11e8", "0000:11e8", "1234:11e", "1234:11e8x",
		"1234-11e8", " 1234:11e8",
	};
	struct dmaown_quarantine q = { .size = sizeof(q) };
	struct dmaown_group_status st;
	char buf[4096];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		TH_LOG("spec '%s'", bad[i]);
		EXPECT_ERRNO(EINVAL, dmaown_quarantine_add(self->fd, bad[i]));
		EXPECT_ERRNO(EINVAL, dmaown_quarantine_remove(self->fd, bad[i]));
	}
	/* no NUL within the array */
	memset(q.spec, 'a', sizeof(q.spec));
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, DMAOWN_QUARANTINE_ADD, &q));
	memset(q.spec, 0, sizeof(q.spec));
	strcpy(q.spec, EDU_LONE);
	q.flags = 1;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, DMAOWN_QUARANTINE_ADD, &q));
	q.flags = 0;
	q.size = 8;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, DMAOWN_QUARANTINE_ADD, &q));
	EXPECT_ERRNO(ENOENT, dmaown_quarantine_remove(self->fd, EDU_LONE));

	/* the parameter: the whole list, or nothing */
	EXPECT_EQ(-EINVAL, quarantine_param_set("0000:00:03.0,0000:00:03.0"));
	EXPECT_EQ(-EINVAL, quarantine_param_set("0000:00:03.0,00:03.0"));
	EXPECT_EQ(-EINVAL, quarantine_param_set("0000:00:03.0,bogus"));
	EXPECT_EQ(-EINVAL, quarantine_param_set("0000:00:03.0,,1234:11e8"));
	memset(buf, 0, sizeof(buf));
	for (i = 0; i + 13 < 2000; i += 13)
		memcpy(buf + i, "0000:00:03.0,", 13);
	EXPECT_EQ(-EINVAL, quarantine_param_set(buf));
	EXPECT_LE(0, quarantine_param(buf, sizeof(buf)));
	EXPECT_STREQ("", buf);

	EXPECT_EQ(0, group_flags(self->fd, self->gid, &st) & QFLAGS);
	EXPECT_EQ(DMAOWN_STATE_FREE, st.out_state);
	EXPECT_EQ(0, kmsg_count_bad(&self->k));
	if (self->dma)
		EXPECT_EQ(EDU_LANDED, edu_witness(EDU_LONE));
}

/* Neither ioctl writes back: an argument in a read-only page works. */
TEST_F(q, readonly_argument_works)
{
	struct dmaown_quarantine *q;
	struct dmaown_group_status st;

	q = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, q);
	q->size = sizeof(*q);
	strcpy(q->spec, EDU_LONE);
	ASSERT_OK(mprotect(q, 4096, PROT_READ));
	EXPECT_OK(ioctl(self->fd, DMAOWN_QUARANTINE_ADD, q));
	EXPECT_EQ(DMAOWN_GROUP_QUARANTINED | DMAOWN_GROUP_HELD,
		  group_flags(self->fd, self->gid, &st) & QFLAGS);
	EXPECT_OK(ioctl(self->fd, DMAOWN_QUARANTINE_REMOVE, q));
	EXPECT_EQ(0, group_flags(self->fd, self->gid, &st) & QFLAGS);
	/* and a bad pointer is EFAULT, changing nothing */
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, DMAOWN_QUARANTINE_ADD, (void *)8));
	munmap(q, 4096);
}

/* --- held with no file -------------------------------------------------------- */

TEST_F(q, held_blocked_with_no_file_and_pins_the_module)
{
	struct dmaown_device_info dev;
	struct dmaown_group_status st;
	char buf[256];
	int refs;

	if (self->dma)
		EXPECT_EQ(EDU_LANDED, edu_witness(EDU_LONE));
	refs = module_refcnt();
	ASSERT_OK(dmaown_quarantine_add(self->fd, EDU_LONE));
	ASSERT_OK(dmaown_status(self->fd, self->gid, &st, &dev, 1));
	EXPECT_EQ(DMAOWN_STATE_BUSY, st.out_state);
	EXPECT_EQ(DMAOWN_DOMAIN_BLOCKING, st.out_domain);
	EXPECT_EQ(DMAOWN_GROUP_QUARANTINED | DMAOWN_GROUP_HELD, st.out_group_flags & QFLAGS);
	EXPECT_EQ(0, st.out_owner_pid);
	EXPECT_TRUE(dev.flags & DMAOWN_DEVICE_QUARANTINED);
	EXPECT_LE(0, quarantine_param(buf, sizeof(buf)));
	EXPECT_STREQ("0000:00:03.0", buf);
	EXPECT_ERRNO(EEXIST, dmaown_quarantine_add(self->fd, EDU_LONE));
	EXPECT_ERRNO(EEXIST, dmaown_quarantine_add(self->fd, "00:03.0"));
	if (self->dma)
		EXPECT_EQ(EDU_BLOCKED, edu_witness(EDU_LONE));
	/* no file open, the hold stays, and rmmod is refused */
	close(self->fd);
	self->fd = -1;
	EXPECT_LE(refs + 1, module_refcnt());
	EXPECT_NE(0, module_unload("dmaown"));
	EXPECT_TRUE(module_loaded("dmaown"));
	self->fd = dmaown_open();
	ASSERT_LE(0, self->fd);
	EXPECT_EQ(DMAOWN_GROUP_QUARANTINED | DMAOWN_GROUP_HELD,
		  group_flags(self->fd, self->gid, &st) & QFLAGS);
	if (self->dma)
		EXPECT_EQ(EDU_BLOCKED, edu_witness(EDU_LONE));

	EXPECT_OK(dmaown_quarantine_remove(self->fd, "00:03.0"));
	EXPECT_EQ(0, group_flags(self->fd, self->gid, &st) & QFLAGS);
	EXPECT_EQ(DMAOWN_STATE_FREE, st.out_state);
	EXPECT_EQ(DMAOWN_DOMAIN_DEFAULT, st.out_domain);
	EXPECT_EQ(refs, module_refcnt());
	if (self->dma)
		EXPECT_EQ(EDU_LANDED, edu_witness(EDU_LONE));
	/* and the module unloads again */
	close(self->fd);
	self->fd = -1;
	EXPECT_OK(dmaown_reload());
	self->fd = dmaown_open();
	EXPECT_LE(0, self->fd);
	EXPECT_EQ(0, kmsg_count_bad(&self->k));
}

TEST_F(q, bound_driver_refused_or_waits_and_binds_denied)
{
	struct dmaown_group_status st;
	int gid = pci_group(NIC_LONE);

	ASSERT_LE(0, gid);
	ASSERT_TRUE(pci_has_driver(NIC_LONE, NIC_LONE_DRIVER));
	/* the ioctl refuses a device bound to a driver that is not DMA-safe */
	EXPECT_ERRNO(EBUSY, dmaown_quarantine_add(self->fd, NIC_LONE));
	EXPECT_LE(1, kmsg_wait(&self->k, NIC_LONE, "not quarantined", 1, 1000));
	EXPECT_EQ(0, group_flags(self->fd, gid, &st) & QFLAGS);
	EXPECT_TRUE(pci_has_driver(NIC_LONE, NIC_LONE_DRIVER));
	EXPECT_OK(nic_transmit(NIC_LONE));

	/* the parameter takes it, and it waits for the driver to go */
	ASSERT_OK(quarantine_param_set(NIC_LONE));
	EXPECT_EQ(DMAOWN_GROUP_QUARANTINED, group_flags(self->fd, gid, &st) & QFLAGS);
	EXPECT_TRUE(pci_has_driver(NIC_LONE, NIC_LONE_DRIVER));
	ASSERT_OK(pci_unbind(NIC_LONE));
	EXPECT_EQ(DMAOWN_GROUP_QUARANTINED | DMAOWN_GROUP_HELD,
		  wait_flags(self->fd, gid, QFLAGS, DMAOWN_GROUP_QUARANTINED | DMAOWN_GROUP_HELD) &
		  QFLAGS);
	/* held: the native driver is refused, one log line names it */
	EXPECT_EQ(-EBUSY, pci_bind(NIC_LONE, NIC_LONE_DRIVER));
	EXPECT_LE(1, kmsg_wait(&self->k, "denied bind", NIC_LONE_DRIVER, 1, 1000));
	EXPECT_FALSE(pci_has_driver(NIC_LONE, NIC_LONE_DRIVER));

	/* lifted: it binds and works again */
	EXPECT_OK(quarantine_param_set(""));
	EXPECT_EQ(0, group_flags(self->fd, gid, &st) & QFLAGS);
	EXPECT_OK(pci_bind(NIC_LONE, NIC_LONE_DRIVER));
	EXPECT_OK(nic_transmit(NIC_LONE));
	EXPECT_EQ(0, kmsg_count_bad(&self->k));
}

/* --- a file's claim ------------------------------------------------------------ */

TEST_F(q, file_claim_takes_over_and_gives_back_with_no_switch)
{
	struct dmaown_group_status st;
	pid_t child;
	int status;

	ASSERT_TRUE(domtrace_load());
	ASSERT_OK(dmaown_quarantine_add(self->fd, EDU_LONE));
	ASSERT_OK(sysfs_write(DOMTRACE_LOG, "0"));

	/* take over: owned by this file, same domain */
	ASSERT_OK(dmaown_group_claim(self->fd, self->gid));
	EXPECT_EQ(DMAOWN_GROUP_QUARANTINED, group_flags(self->fd, self->gid, &st) & QFLAGS);
	EXPECT_EQ(DMAOWN_STATE_OWNED, st.out_state);
	EXPECT_EQ(DMAOWN_DOMAIN_BLOCKING, st.out_domain);
	EXPECT_EQ(getpid(), (pid_t)st.out_owner_pid);
	/* a file holds it: the quarantine cannot be lifted under it */
	EXPECT_ERRNO(EBUSY, dmaown_quarantine_remove(self->fd, EDU_LONE));
	EXPECT_EQ(-EBUSY, quarantine_param_set(""));
	if (self->dma)
		EXPECT_EQ(EDU_BLOCKED, edu_witness(EDU_LONE));

	/* give back: held again */
	EXPECT_OK(dmaown_group_release(self->fd, self->gid));
	EXPECT_EQ(DMAOWN_GROUP_QUARANTINED | DMAOWN_GROUP_HELD,
		  group_flags(self->fd, self->gid, &st) & QFLAGS);
	EXPECT_EQ(DMAOWN_DOMAIN_BLOCKING, st.out_domain);
	if (self->dma)
		EXPECT_EQ(EDU_BLOCKED, edu_witness(EDU_LONE));

	/* a device claim, and the owner's death */
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		int fd = dmaown_open();

		if (fd < 0 || dmaown_device_claim(fd, EDU_LONE, NULL, NULL))
			_exit(1);
		for (;;)
			pause();
	}
	EXPECT_EQ(DMAOWN_STATE_BUSY, dmaown_state(self->fd, self->gid));
	for (int i = 0; i < 250; i++) {
		if (!(group_flags(self->fd, self->gid, &st) & DMAOWN_GROUP_HELD) &&
		    st.out_owner_pid == (uint32_t)child)
			break;
		msleep(20);
	}
	EXPECT_EQ((uint32_t)child, st.out_owner_pid);
	kill(child, SIGKILL);
	EXPECT_EQ(child, waitpid(child, &status, 0));
	EXPECT_EQ(DMAOWN_GROUP_QUARANTINED | DMAOWN_GROUP_HELD,
		  wait_flags(self->fd, self->gid, QFLAGS, DMAOWN_GROUP_QUARANTINED | DMAOWN_GROUP_HELD) &
		  QFLAGS);
	if (self->dma)
		EXPECT_EQ(EDU_BLOCKED, edu_witness(EDU_LONE));

	/* none of it moved the device to another domain */
	EXPECT_EQ(0, domtrace_count(EDU_LONE, NULL));

	EXPECT_OK(dmaown_quarantine_remove(self->fd, EDU_LONE));
	EXPECT_EQ(1, domtrace_count(EDU_LONE, NULL));
	if (self->dma)
		EXPECT_EQ(EDU_LANDED, edu_witness(EDU_LONE));
	EXPECT_EQ(0, kmsg_count_bad(&self->k));
}

/* --- hot-add ----------------------------------------------------------------- */

TEST_F(q, hot_added_device_is_held_before_any_driver)
{
	const char *bdf = topo("RP_HP2_CHILD_BDF", "0000:03:00.0");
	struct dmaown_group_status st;
	int gid;

	if (!qmp_available())
		SKIP("no QMP relay");
	ASSERT_FALSE(pci_exists(bdf));
	ASSERT_OK(quarantine_param_set(bdf));
	ASSERT_OK(qmp_add_edu(topo("RP_HP2_QID", "rp-hp2"), NULL, "edu-q"));
	ASSERT_OK(pci_wait_present(bdf, true, 20000));
	gid = pci_group(bdf);
	ASSERT_LE(0, gid);
	/* held from BUS_NOTIFY_ADD_DEVICE on: no waiting */
	EXPECT_EQ(DMAOWN_GROUP_QUARANTINED | DMAOWN_GROUP_HELD, group_flags(self->fd, gid, &st) & QFLAGS);
	EXPECT_EQ(DMAOWN_DOMAIN_BLOCKING, st.out_domain);
	EXPECT_LE(1, kmsg_wait(&self->k, "quarantined: blocked", "", 1, 1000));
	if (!witness_unusable(bdf))
		EXPECT_EQ(EDU_BLOCKED, edu_witness(bdf));

	/* it leaves: the group and its hold go, the entry stays */
	EXPECT_OK(qmp_device_del("edu-q", bdf));
	EXPECT_OK(pci_wait_present(bdf, false, 20000));
	EXPECT_LE(1, kmsg_wait(&self->k, "no longer quarantined", "", 1, 2000));
	EXPECT_OK(quarantine_param_set(""));
	EXPECT_EQ(0, kmsg_count_bad(&self->k));
}

/* --- hand-off to VFIO ------------------------------------------------------ */

TEST_F(q, vfio_pci_hands_off_only_with_no_window)
{
	struct dmaown_group_status st;
	char type[32] = "";
	bool zero, at_attach, changed = false;
	uint32_t f;

	ASSERT_TRUE(domtrace_load());
	/* A translated default domain, where the kernel lets it be set. */
	ASSERT_LT(0, group_type(self->gid, type, sizeof(type)));
	if (!strcmp(type, "identity")) {
		changed = !group_type_set(self->gid, "DMA");
		if (!changed)
			TH_LOG("group %d: type stays identity on this kernel", self->gid);
	}
	ASSERT_LT(0, group_type(self->gid, type, sizeof(type)));
	zero = strcmp(type, "identity");
	TH_LOG("group %d type %s: hand-off %s", self->gid, type, zero ? "zero-window" : "not zero-window");
	if (kernel_version() >= 6001)
		EXPECT_TRUE(zero);

	ASSERT_OK(sysfs_write(DOMTRACE_LOG, "0"));
	ASSERT_OK(dmaown_quarantine_add(self->fd, EDU_LONE));
	f = group_flags(self->fd, self->gid, &st);
	EXPECT_EQ(zero, !!(f & DMAOWN_GROUP_ZERO_WINDOW));
	at_attach = f & DMAOWN_GROUP_HANDOFF_AT_ATTACH;
	EXPECT_FALSE(zero && at_attach);
	ASSERT_OK(pci_set_override(EDU_LONE, "vfio-pci"));
	ASSERT_OK(pci_bind(EDU_LONE, "vfio-pci"));
	if (at_attach) {
		/* 5.10's shield: held until VFIO attaches it (vfio_test below) */
		msleep(500);
		f = group_flags(self->fd, self->gid, &st);
		EXPECT_EQ(DMAOWN_GROUP_QUARANTINED | DMAOWN_GROUP_HELD, f & QFLAGS);
		EXPECT_EQ(0, kmsg_count(&self->k, "would open a DMA window", NULL));
	} else if (zero) {
		f = wait_flags(self->fd, self->gid, QFLAGS,
			       DMAOWN_GROUP_QUARANTINED | DMAOWN_GROUP_HANDED_OFF);
		EXPECT_EQ(DMAOWN_GROUP_QUARANTINED | DMAOWN_GROUP_HANDED_OFF, f & QFLAGS);
	} else {
		/* kept blocked, with one line saying why */
		EXPECT_LE(1, kmsg_wait(&self->k, "would open a DMA window", "", 1, 2000));
		f = group_flags(self->fd, self->gid, &st);
		EXPECT_EQ(DMAOWN_GROUP_QUARANTINED | DMAOWN_GROUP_HELD, f & QFLAGS);
		/* the admin allows the window */
		ASSERT_OK(sysfs_write(HANDOFF_WINDOW, "1"));
		f = wait_flags(self->fd, self->gid, QFLAGS,
			       DMAOWN_GROUP_QUARANTINED | DMAOWN_GROUP_HANDED_OFF);
		EXPECT_EQ(DMAOWN_GROUP_QUARANTINED | DMAOWN_GROUP_HANDED_OFF, f & QFLAGS);
		EXPECT_OK(sysfs_write(HANDOFF_WINDOW, "0"));
	}
	/* handed off, and still no host DMA on a zero-window hand-off */
	if (self->dma && zero)
		EXPECT_EQ(EDU_BLOCKED, edu_witness(EDU_LONE));

	/* vfio-pci lets go: held again */
	ASSERT_OK(pci_unbind(EDU_LONE));
	f = wait_flags(self->fd, self->gid, QFLAGS, DMAOWN_GROUP_QUARANTINED | DMAOWN_GROUP_HELD);
	EXPECT_EQ(DMAOWN_GROUP_QUARANTINED | DMAOWN_GROUP_HELD, f & QFLAGS);
	if (self->dma)
		EXPECT_EQ(EDU_BLOCKED, edu_witness(EDU_LONE));
	EXPECT_OK(pci_set_override(EDU_LONE, NULL));

	/* zero-window (or not handed off at all): never an identity domain */
	if (zero || at_attach)
		EXPECT_EQ(0, domtrace_count(EDU_LONE, "identity"));
	else
		EXPECT_LE(1, domtrace_count(EDU_LONE, "identity"));

	EXPECT_OK(dmaown_quarantine_remove(self->fd, EDU_LONE));
	if (changed)
		EXPECT_OK(group_type_set(self->gid, "identity"));
	if (self->dma)
		EXPECT_EQ(EDU_LANDED, edu_witness(EDU_LONE));
	EXPECT_EQ(0, kmsg_count_bad(&self->k));
}

/* --- a real VMM: the distribution's QEMU, through VFIO ------------------------ */

/* QEMU takes the device and its DMA lands in the inner VM's RAM: 0 or not */
static int qemu_cycle(struct __test_metadata *_metadata, int sig)
{
	struct vmm v = { 0 };
	int ret;

	ret = vmm_start(&v, EDU_LONE);
	if (ret) {
		vmm_print_stderr(&v);
		vmm_stop(&v, SIGKILL);
		return ret;
	}
	EXPECT_EQ(EDU_LANDED, vmm_edu_dma(&v));
	vmm_stop(&v, sig);
	return 0;
}

TEST_F_TIMEOUT(q, handed_to_qemu_and_blocked_outside_its_use, 240)
{
	const uint32_t held = DMAOWN_GROUP_QUARANTINED | DMAOWN_GROUP_HELD;
	const uint32_t handed = DMAOWN_GROUP_QUARANTINED | DMAOWN_GROUP_HANDED_OFF;
	struct dmaown_group_status st;
	bool zero, at_attach, window, changed = false;
	char type[32] = "";
	struct vmm v = { 0 };
	uint32_t idle;
	int fd2, i;

	ASSERT_TRUE(domtrace_load());
	ASSERT_LT(0, group_type(self->gid, type, sizeof(type)));
	if (!strcmp(type, "identity"))
		changed = !group_type_set(self->gid, "DMA");
	ASSERT_LT(0, group_type(self->gid, type, sizeof(type)));
	zero = strcmp(type, "identity");

	ASSERT_OK(sysfs_write(DOMTRACE_LOG, "0"));
	ASSERT_OK(dmaown_quarantine_add(self->fd, EDU_LONE));
	at_attach = group_flags(self->fd, self->gid, &st) & DMAOWN_GROUP_HANDOFF_AT_ATTACH;
	/* no better way here: the admin allows the window */
	window = !zero && !at_attach;
	if (window)
		ASSERT_OK(sysfs_write(HANDOFF_WINDOW, "1"));
	TH_LOG("group %d type %s: hand-off %s", self->gid, type,
	       zero ? "zero-window" : at_attach ? "at VFIO's attach, bus mastering off" :
	       "with a window (handoff_window=1)");
	/* between QEMUs: handed off on its empty domain, or held until VFIO attaches */
	idle = at_attach ? held : handed;
	if (self->dma)
		EXPECT_EQ(EDU_BLOCKED, edu_witness(EDU_LONE));
	ASSERT_OK(pci_bind_vfio(EDU_LONE));
	ASSERT_EQ(idle, wait_flags(self->fd, self->gid, QFLAGS, idle) & QFLAGS);
	if (self->dma && !window)
		EXPECT_EQ(EDU_BLOCKED, edu_witness(EDU_LONE));

	/* three start/exit cycles, the last one killed */
	for (i = 0; i < 3; i++) {
		TH_LOG("QEMU cycle %d", i + 1);
		EXPECT_OK(qemu_cycle(_metadata, i == 2 ? SIGKILL : SIGTERM));
		EXPECT_EQ(idle, wait_flags(self->fd, self->gid, QFLAGS, idle) & QFLAGS);
		if (self->dma)
			EXPECT_EQ(window ? EDU_LANDED : EDU_BLOCKED, edu_witness(EDU_LONE));
	}

	/* while QEMU holds it, a dmaown claim is refused */
	ASSERT_OK(vmm_start(&v, EDU_LONE));
	EXPECT_EQ(handed, group_flags(self->fd, self->gid, &st) & QFLAGS);
	fd2 = dmaown_open();
	ASSERT_LE(0, fd2);
	EXPECT_ERRNO(EBUSY, dmaown_group_claim(fd2, self->gid));
	EXPECT_ERRNO(EBUSY, dmaown_quarantine_remove(self->fd, EDU_LONE));
	EXPECT_EQ(EDU_LANDED, vmm_edu_dma(&v));
	vmm_stop(&v, SIGTERM);
	EXPECT_EQ(idle, wait_flags(self->fd, self->gid, QFLAGS, idle) & QFLAGS);

	/* while a dmaown file holds it, QEMU is refused; its release gives it back */
	ASSERT_OK(dmaown_group_claim(fd2, self->gid));
	EXPECT_EQ(DMAOWN_GROUP_QUARANTINED, group_flags(self->fd, self->gid, &st) & QFLAGS);
	EXPECT_EQ(-ECHILD, vmm_start(&v, EDU_LONE));
	EXPECT_TRUE(vmm_stderr_has(&v, "not viable") ||
		    vmm_stderr_has(&v, "Failed to set iommu for container"));
	vmm_stop(&v, SIGKILL);
	close(fd2);
	EXPECT_EQ(idle, wait_flags(self->fd, self->gid, QFLAGS, idle) & QFLAGS);
	EXPECT_OK(qemu_cycle(_metadata, SIGTERM));
	EXPECT_EQ(idle, wait_flags(self->fd, self->gid, QFLAGS, idle) & QFLAGS);

	/* vfio-pci lets go: held blocked again */
	ASSERT_OK(pci_unbind_vfio(EDU_LONE));
	EXPECT_EQ(held, wait_flags(self->fd, self->gid, QFLAGS, held) & QFLAGS);
	if (self->dma)
		EXPECT_EQ(EDU_BLOCKED, edu_witness(EDU_LONE));

	/*
	 * Zero-window: from the quarantine to here, never an identity domain.
	 * At VFIO's attach: identity is crossed (with bus mastering off).
	 */
	if (zero)
		EXPECT_EQ(0, domtrace_count(EDU_LONE, "identity"));
	else
		EXPECT_LE(1, domtrace_count(EDU_LONE, "identity"));
	EXPECT_LE(1, domtrace_count(EDU_LONE, "unmanaged"));	/* type1's domain */

	EXPECT_OK(dmaown_quarantine_remove(self->fd, EDU_LONE));
	if (window)
		EXPECT_OK(sysfs_write(HANDOFF_WINDOW, "0"));
	if (changed)
		EXPECT_OK(group_type_set(self->gid, "identity"));
	if (self->dma)
		EXPECT_EQ(EDU_LANDED, edu_witness(EDU_LONE));
	EXPECT_EQ(0, kmsg_count_bad(&self->k));
}

TEST_HARNESS_MAIN
