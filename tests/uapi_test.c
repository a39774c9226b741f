// SPDX-License-Identifier: GPL-2.0
/*
 * uapi_test - /dev/dmaown and the ioctl conventions (issue 2).
 *
 * The node (char device, root 0600, CAP_SYS_ADMIN at open), GET_INFO, the
 * struct-length rules of every ioctl in the manner of iommufd's selftests
 * (size - 1, size + 1 with a zero and a non-zero byte, unknown flags,
 * non-zero __reserved, NULL and unmapped arguments, unknown ioctl numbers),
 * and module unload/reload.
 */
#include <fcntl.h>
#include <grp.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>

#include "harness.h"
#include "lib/testlib.h"

/* The uapi layout is ABI: pin every struct. */
_Static_assert(sizeof(struct dmaown_info) == 48, "dmaown_info");
_Static_assert(offsetof(struct dmaown_info, out_version) == 16, "dmaown_info.out_version");
_Static_assert(sizeof(struct dmaown_device_info) == 168, "dmaown_device_info");
_Static_assert(offsetof(struct dmaown_device_info, flags) == 160, "dmaown_device_info.flags");
_Static_assert(sizeof(struct dmaown_group_status) == 72, "dmaown_group_status");
_Static_assert(offsetof(struct dmaown_group_status, out_group_flags) == 64,
	       "dmaown_group_status.out_group_flags");
_Static_assert(offsetof(struct dmaown_group_status, devices_uptr) == 40,
	       "dmaown_group_status.devices_uptr");
_Static_assert(offsetof(struct dmaown_group_status, out_owner_comm) == 48,
	       "dmaown_group_status.out_owner_comm");
_Static_assert(sizeof(struct dmaown_group) == 16, "dmaown_group");
_Static_assert(sizeof(struct dmaown_device) == 112, "dmaown_device");
_Static_assert(offsetof(struct dmaown_device, bus) == 72, "dmaown_device.bus");
_Static_assert(offsetof(struct dmaown_device, out_group_id) == 104, "dmaown_device.out_group_id");
_Static_assert(offsetof(struct dmaown_device, __reserved) == 108, "dmaown_device.__reserved");
_Static_assert(sizeof(struct dmaown_events_open) == 16, "dmaown_events_open");
_Static_assert(offsetof(struct dmaown_events_open, group_id) == 12, "dmaown_events_open.group_id");
_Static_assert(sizeof(struct dmaown_event) == 192, "dmaown_event");
_Static_assert(offsetof(struct dmaown_event, seq) == 8, "dmaown_event.seq");
_Static_assert(offsetof(struct dmaown_event, time_ns) == 16, "dmaown_event.time_ns");
_Static_assert(offsetof(struct dmaown_event, group_id) == 24, "dmaown_event.group_id");
_Static_assert(offsetof(struct dmaown_event, __reserved) == 44, "dmaown_event.__reserved");
_Static_assert(offsetof(struct dmaown_event, comm) == 48, "dmaown_event.comm");
_Static_assert(offsetof(struct dmaown_event, device) == 64, "dmaown_event.device");
_Static_assert(offsetof(struct dmaown_event, driver) == 128, "dmaown_event.driver");

#define INFO_FLAGS_ALL                                                                   \
	(DMAOWN_INFO_CORE_OWNERSHIP | DMAOWN_INFO_LEGACY_OWNERSHIP | DMAOWN_INFO_PROBE_GUARD | \
	 DMAOWN_INFO_DRIVER_MANAGED_DMA)

TEST(node_is_root_0600_char_device)
{
	char dev[32];
	struct stat st;
	unsigned int maj, min;

	ASSERT_OK(stat("/dev/dmaown", &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(0, st.st_gid);
	/* a misc device: the node is the one the class announces */
	ASSERT_LT(0, sysfs_read("/sys/class/misc/dmaown/dev", dev, sizeof(dev)));
	ASSERT_EQ(2, sscanf(dev, "%u:%u", &maj, &min));
	EXPECT_EQ(10, maj);
	EXPECT_EQ(makedev(maj, min), st.st_rdev);
}

TEST(get_info)
{
	struct dmaown_info info;
	char version[64];
	int fd, kver = kernel_version();
	bool core;

	fd = dmaown_open();
	ASSERT_LE(0, fd);
	ASSERT_OK(dmaown_info(fd, &info));
	EXPECT_EQ(sizeof(info), info.size);
	EXPECT_EQ(0, info.flags);
	EXPECT_EQ(DMAOWN_API_VERSION, info.out_api_version);
	EXPECT_EQ(0, info.out_flags & ~INFO_FLAGS_ALL);
	core = info.out_flags & DMAOWN_INFO_CORE_OWNERSHIP;
	/* exactly one ownership mechanism */
	EXPECT_NE(core, !!(info.out_flags & DMAOWN_INFO_LEGACY_OWNERSHIP));
	/* armed unless someone disarmed kprobes (bind_test checks that) */
	EXPECT_TRUE(info.out_flags & DMAOWN_INFO_PROBE_GUARD);
	/* the kernel's API arrived in 5.19: 5.10 is legacy, 6.1 and 6.12 core */
	EXPECT_EQ(kver >= 5019, core);
	EXPECT_EQ(kver >= 5019, !!(info.out_flags & DMAOWN_INFO_DRIVER_MANAGED_DMA));
	TH_LOG("kernel %d.%d: out_flags %#x, version \"%.32s\"", kver / 1000, kver % 1000,
	       info.out_flags, info.out_version);
	ASSERT_NE(NULL, memchr(info.out_version, 0, sizeof(info.out_version)));
	EXPECT_NE(0, info.out_version[0]);
	/* MODULE_VERSION, from dkms.conf like the string GET_INFO gives */
	ASSERT_LE(0, sysfs_read("/sys/module/dmaown/version", version, sizeof(version)));
	EXPECT_STREQ(version, info.out_version);
	close(fd);
}

TEST(files_are_not_exclusive)
{
	struct dmaown_info info;
	int a, b;

	a = dmaown_open();
	ASSERT_LE(0, a);
	b = dmaown_open();
	EXPECT_LE(0, b);
	EXPECT_OK(dmaown_info(a, &info));
	if (b >= 0) {
		EXPECT_OK(dmaown_info(b, &info));
		close(b);
	}
	close(a);
}

/*
 * The length rules, per ioctl. Each case runs on a fresh file, so closing it
 * undoes whatever a call did; the lone edu group is the group used.
 */
struct ioctl_case {
	const char *name;
	unsigned long req;
	size_t size;
	size_t reserved_off; /* 0: no __reserved */
	int want;	     /* errno of a well-formed call, 0 for success */
	bool pre_claim;	     /* a release: claim first */
	bool device;	     /* device claim rather than group claim */
	int ok_state;	     /* edu group state after a successful call */
	int fail_state;	     /* and after a failed one */
	size_t min_size;     /* the first version's size, when it grew (0: size) */
};

static const struct ioctl_case cases[] = {
	{ "GET_INFO", DMAOWN_GET_INFO, sizeof(struct dmaown_info), 0, 0, false, false,
	  DMAOWN_STATE_FREE, DMAOWN_STATE_FREE, 0 },
	{ "GROUP_STATUS", DMAOWN_GROUP_STATUS, sizeof(struct dmaown_group_status),
	  offsetof(struct dmaown_group_status, __reserved), 0, false, false, DMAOWN_STATE_FREE,
	  DMAOWN_STATE_FREE, offsetof(struct dmaown_group_status, out_group_flags) },
	{ "GROUP_CLAIM", DMAOWN_GROUP_CLAIM, sizeof(struct dmaown_group), 0, 0, false, false,
	  DMAOWN_STATE_OWNED, DMAOWN_STATE_FREE, 0 },
	{ "GROUP_RELEASE", DMAOWN_GROUP_RELEASE, sizeof(struct dmaown_group), 0, 0, true, false,
	  DMAOWN_STATE_FREE, DMAOWN_STATE_OWNED, 0 },
	{ "DEVICE_CLAIM", DMAOWN_DEVICE_CLAIM, sizeof(struct dmaown_device),
	  offsetof(struct dmaown_device, __reserved), 0, false, true, DMAOWN_STATE_OWNED,
	  DMAOWN_STATE_FREE, 0 },
	{ "DEVICE_RELEASE", DMAOWN_DEVICE_RELEASE, sizeof(struct dmaown_device),
	  offsetof(struct dmaown_device, __reserved), 0, true, true, DMAOWN_STATE_FREE,
	  DMAOWN_STATE_OWNED, 0 },
	/* returns an event fd; filter 0 (all groups), group 0 is well-formed */
	{ "EVENTS_OPEN", DMAOWN_EVENTS_OPEN, sizeof(struct dmaown_events_open), 0, 0, false,
	  false, DMAOWN_STATE_FREE, DMAOWN_STATE_FREE, 0 },
};

/* a well-formed argument for @c in @buf (at least c->size bytes) */
static void fill(const struct ioctl_case *c, void *buf, int gid)
{
	memset(buf, 0, c->size);
	*(uint32_t *)buf = c->size;
	if (c->req == DMAOWN_GROUP_STATUS) {
		((struct dmaown_group_status *)buf)->group_id = gid;
	} else if (c->req == DMAOWN_GROUP_CLAIM || c->req == DMAOWN_GROUP_RELEASE) {
		((struct dmaown_group *)buf)->group_id = gid;
	} else if (c->device) {
		struct dmaown_device *d = buf;

		snprintf(d->name, sizeof(d->name), "%s", EDU_LONE);
		snprintf(d->bus, sizeof(d->bus), "pci");
	}
}

/* a fresh file, with the claim a release needs */
static int case_open(struct __test_metadata *_metadata, const struct ioctl_case *c, int gid)
{
	int fd = dmaown_open();

	ASSERT_LE(0, fd);
	if (c->pre_claim) {
		if (c->device)
			ASSERT_OK(dmaown_device_claim(fd, EDU_LONE, "pci", NULL));
		else
			ASSERT_OK(dmaown_group_claim(fd, gid));
	}
	return fd;
}

/*
 * One call with @len bytes of argument (the first c->size of them
 * well-formed, the rest zero, then @mutate applied); checks the result and
 * the group's state afterwards. Returns the call's errno (0 on success).
 */
static int case_call(struct __test_metadata *_metadata, const struct ioctl_case *c, int gid,
		     size_t len, void (*mutate)(const struct ioctl_case *, uint8_t *, size_t),
		     int want, const char *what, uint8_t *out)
{
	uint8_t buf[512];
	int fd, ret, err;

	memset(buf, 0, sizeof(buf));
	fill(c, buf, gid);
	*(uint32_t *)buf = len;
	if (mutate)
		mutate(c, buf, len);
	fd = case_open(_metadata, c, gid);
	errno = 0;
	ret = ioctl(fd, c->req, buf);
	err = ret < 0 ? errno : 0;
	if (ret > 0) /* EVENTS_OPEN: the new fd */
		close(ret);
	if (err != want)
		TH_LOG("%s %s: got %s, expected %s", c->name, what, err ? th_errname(err) : "success",
		       want ? th_errname(want) : "success");
	EXPECT_EQ(want, err);
	EXPECT_EQ(err ? c->fail_state : c->ok_state, dmaown_state(fd, gid));
	/* the kernel writes back at most what it knows, never past it */
	for (size_t i = c->size; i < len && i < sizeof(buf); i++)
		if (buf[i] != 0 && !(mutate && i == len - 1)) {
			TH_LOG("%s %s: byte %zu past the struct was written", c->name, what, i);
			EXPECT_EQ(0, buf[i]);
			break;
		}
	if (out)
		memcpy(out, buf, c->size);
	close(fd);
	return err;
}

static void last_byte(const struct ioctl_case *c, uint8_t *buf, size_t len)
{
	(void)c;
	buf[len - 1] = 0x01;
}

/* the size field is the only one that differs between the two calls */
static void zero_out(uint8_t *buf)
{
	*(uint32_t *)buf = 0;
}

static void check_length(struct __test_metadata *_metadata, const struct ioctl_case *c)
{
	size_t min = c->min_size ? c->min_size : c->size;
	uint8_t exact[512], bigger[512];
	int gid = pci_group(EDU_LONE);

	ASSERT_LE(0, gid);
	case_call(_metadata, c, gid, c->size, NULL, c->want, "exact size", exact);
	case_call(_metadata, c, gid, 0, NULL, EINVAL, "size 0", NULL);
	case_call(_metadata, c, gid, 4, NULL, EINVAL, "size 4", NULL);
	case_call(_metadata, c, gid, min - 1, NULL, EINVAL, "first version's size - 1", NULL);
	if (min < c->size) { /* an older caller's struct */
		case_call(_metadata, c, gid, min, NULL, c->want, "first version's size", NULL);
		case_call(_metadata, c, gid, c->size - 1, NULL, c->want, "size - 1", NULL);
	} else {
		case_call(_metadata, c, gid, c->size - 1, NULL, EINVAL, "size - 1", NULL);
	}
	case_call(_metadata, c, gid, c->size + 1, NULL, c->want, "size + 1, zero", bigger);
	zero_out(exact);
	zero_out(bigger);
	EXPECT_EQ(0, memcmp(exact, bigger, c->size));
	case_call(_metadata, c, gid, c->size + 8, NULL, c->want, "size + 8, zeros", NULL);
	case_call(_metadata, c, gid, c->size + 1, last_byte, E2BIG, "size + 1, non-zero", NULL);
	case_call(_metadata, c, gid, c->size + 8, last_byte, E2BIG, "size + 8, non-zero", NULL);
	case_call(_metadata, c, gid, c->size + 256, last_byte, E2BIG, "size + 256, non-zero",
		  NULL);
}

static void flag_bit0(const struct ioctl_case *c, uint8_t *buf, size_t len)
{
	(void)c, (void)len;
	((uint32_t *)buf)[1] = 1;
}

static void flag_bit31(const struct ioctl_case *c, uint8_t *buf, size_t len)
{
	(void)c, (void)len;
	((uint32_t *)buf)[1] = 1u << 31;
}

static void flags_all(const struct ioctl_case *c, uint8_t *buf, size_t len)
{
	(void)c, (void)len;
	((uint32_t *)buf)[1] = ~0u;
}

static void reserved(const struct ioctl_case *c, uint8_t *buf, size_t len)
{
	(void)len;
	buf[c->reserved_off] = 1;
}

static void check_flags(struct __test_metadata *_metadata, const struct ioctl_case *c)
{
	int gid = pci_group(EDU_LONE);

	ASSERT_LE(0, gid);
	case_call(_metadata, c, gid, c->size, flag_bit0, EOPNOTSUPP, "flags bit 0", NULL);
	case_call(_metadata, c, gid, c->size, flag_bit31, EOPNOTSUPP, "flags bit 31", NULL);
	case_call(_metadata, c, gid, c->size, flags_all, EOPNOTSUPP, "flags ~0", NULL);
	if (c->reserved_off)
		case_call(_metadata, c, gid, c->size, reserved, EOPNOTSUPP, "__reserved 1", NULL);
}

static void check_efault(struct __test_metadata *_metadata, const struct ioctl_case *c)
{
	int gid = pci_group(EDU_LONE), fd;
	uint8_t *map;

	ASSERT_LE(0, gid);
	/* two pages: the second one inaccessible */
	map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_OK(mprotect(map + 4096, 4096, PROT_NONE));

	fd = case_open(_metadata, c, gid);
	EXPECT_ERRNO(EFAULT, ioctl(fd, c->req, NULL));
	EXPECT_EQ(c->fail_state, dmaown_state(fd, gid));
	EXPECT_ERRNO(EFAULT, ioctl(fd, c->req, map + 4096));
	EXPECT_EQ(c->fail_state, dmaown_state(fd, gid));
	EXPECT_ERRNO(EFAULT, ioctl(fd, c->req, (void *)-4096L)); /* kernel space */
	EXPECT_EQ(c->fail_state, dmaown_state(fd, gid));
	/* size readable, the rest of the struct not */
	*(uint32_t *)(map + 4096 - 4) = c->size;
	EXPECT_ERRNO(EFAULT, ioctl(fd, c->req, map + 4096 - 4));
	EXPECT_EQ(c->fail_state, dmaown_state(fd, gid));
	close(fd);
	munmap(map, 8192);
}

/* the state of the edu group as another file sees it, for @own_state of the caller */
static int seen_by_other(int own_state)
{
	return own_state == DMAOWN_STATE_OWNED ? DMAOWN_STATE_BUSY : own_state;
}

/*
 * The argument struct in a read-only page: a call that has a reply fails
 * with EFAULT and has changed nothing (a claim is undone); a release has
 * no reply and succeeds. Checked through a second file.
 */
static void check_readonly(struct __test_metadata *_metadata, const struct ioctl_case *c)
{
	int gid = pci_group(EDU_LONE), fd, other, ret, err;
	bool has_reply = c->req != DMAOWN_GROUP_RELEASE && c->req != DMAOWN_DEVICE_RELEASE &&
			 c->req != DMAOWN_EVENTS_OPEN;
	uint8_t *map;

	ASSERT_LE(0, gid);
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	fill(c, map, gid);
	ASSERT_OK(mprotect(map, 4096, PROT_READ));
	fd = case_open(_metadata, c, gid);
	other = dmaown_open();
	ASSERT_LE(0, other);
	errno = 0;
	ret = ioctl(fd, c->req, map);
	err = ret < 0 ? errno : 0;
	if (ret > 0) /* EVENTS_OPEN: the new fd */
		close(ret);
	if (has_reply) {
		EXPECT_EQ(EFAULT, err);
		EXPECT_EQ(c->fail_state, dmaown_state(fd, gid));
		EXPECT_EQ(seen_by_other(c->fail_state), dmaown_state(other, gid));
	} else {
		EXPECT_EQ(0, err);
		EXPECT_EQ(c->ok_state, dmaown_state(fd, gid));
		EXPECT_EQ(seen_by_other(c->ok_state), dmaown_state(other, gid));
	}
	/* the failed claim left nothing to release behind */
	if (has_reply && c->req == DMAOWN_GROUP_CLAIM)
		EXPECT_ERRNO(ENOENT, dmaown_group_release(fd, gid));
	if (has_reply && c->req == DMAOWN_DEVICE_CLAIM)
		EXPECT_ERRNO(ENOENT, dmaown_device_release(fd, EDU_LONE, "pci"));
	close(fd);
	close(other);
	munmap(map, 4096);
}

/*
 * A claim on top of a claim of the same file, with a read-only struct:
 * the undo takes back that one claim only, never the file's first one.
 */
TEST(readonly_second_claim_undoes_only_itself)
{
	int gid = pci_group(EDU_LONE), fd, other;
	struct dmaown_group *g;

	ASSERT_LE(0, gid);
	g = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, g);
	g->size = sizeof(*g);
	g->group_id = gid;
	ASSERT_OK(mprotect(g, 4096, PROT_READ));
	fd = dmaown_open();
	other = dmaown_open();
	ASSERT_LE(0, fd);
	ASSERT_LE(0, other);
	ASSERT_OK(dmaown_device_claim(fd, EDU_LONE, "pci", NULL));
	EXPECT_ERRNO(EFAULT, ioctl(fd, DMAOWN_GROUP_CLAIM, g));
	EXPECT_EQ(DMAOWN_STATE_OWNED, dmaown_state(fd, gid));
	EXPECT_EQ(DMAOWN_STATE_BUSY, dmaown_state(other, gid));
	/* no group claim was recorded; the device claim holds */
	EXPECT_ERRNO(ENOENT, dmaown_group_release(fd, gid));
	EXPECT_OK(dmaown_device_release(fd, EDU_LONE, "pci"));
	EXPECT_EQ(DMAOWN_STATE_FREE, dmaown_state(other, gid));
	close(fd);
	close(other);
	munmap(g, 4096);
}

#define CASE_TESTS(idx, lname)                                 \
	TEST(lname##_length)                                   \
	{                                                      \
		check_length(_metadata, &cases[idx]);          \
	}                                                      \
	TEST(lname##_flags_reserved)                           \
	{                                                      \
		check_flags(_metadata, &cases[idx]);           \
	}                                                      \
	TEST(lname##_efault)                                   \
	{                                                      \
		check_efault(_metadata, &cases[idx]);          \
	}                                                      \
	TEST(lname##_readonly_struct)                          \
	{                                                      \
		check_readonly(_metadata, &cases[idx]);        \
	}

CASE_TESTS(0, get_info)
CASE_TESTS(1, group_status)
CASE_TESTS(2, group_claim)
CASE_TESTS(3, group_release)
CASE_TESTS(4, device_claim)
CASE_TESTS(5, device_release)
CASE_TESTS(6, events_open)

TEST(unknown_ioctl_is_enotty)
{
	static const unsigned long bad[] = {
		_IO(DMAOWN_TYPE, DMAOWN_CMD_BASE - 1),
		_IO(DMAOWN_TYPE, DMAOWN_CMD_EVENTS_OPEN + 1),
		_IO(DMAOWN_TYPE, 0xff),
		_IO(DMAOWN_TYPE, 0),
		_IO('x', DMAOWN_CMD_GET_INFO),
		/* the right number with another encoding is another ioctl */
		_IOWR(DMAOWN_TYPE, DMAOWN_CMD_GET_INFO, struct dmaown_info),
		_IOR(DMAOWN_TYPE, DMAOWN_CMD_GROUP_STATUS, struct dmaown_group_status),
	};
	struct dmaown_info info = { .size = sizeof(info) };
	int fd = dmaown_open();

	ASSERT_LE(0, fd);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_ERRNO(ENOTTY, ioctl(fd, bad[i], &info));
		EXPECT_ERRNO(ENOTTY, ioctl(fd, bad[i], NULL));
	}
	close(fd);
}

/* in a child: drop to nobody, open @path, exit with the errno */
static int open_as_nobody(const char *path)
{
	int status, fd;
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(100);
		fd = open(path, O_RDWR | O_CLOEXEC);
		_exit(fd >= 0 ? 0 : errno);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

FIXTURE(node_mode) {
	mode_t mode;
};

FIXTURE_SETUP(node_mode)
{
	struct stat st;

	ASSERT_OK(stat("/dev/dmaown", &st));
	self->mode = st.st_mode & 07777;
	/* else every EACCES below would come from the path, not the node */
	if (open_as_nobody("/dev/null")) {
		ASSERT_OK(stat("/", &st));
		TH_LOG("nobody cannot open /dev/null (/ has mode %o): fix the guest image",
		       st.st_mode & 07777);
		ASSERT_EQ(0, open_as_nobody("/dev/null"));
	}
}

FIXTURE_TEARDOWN(node_mode)
{
	if (self->mode)
		EXPECT_OK(chmod("/dev/dmaown", self->mode));
}

TEST_F(node_mode, nonroot_open_eacces)
{
	EXPECT_EQ(EACCES, open_as_nobody("/dev/dmaown"));
}

TEST_F(node_mode, nonroot_open_eperm_when_node_is_0666)
{
	/* node permissions let it through: the module's CAP_SYS_ADMIN check must not */
	ASSERT_OK(chmod("/dev/dmaown", 0666));
	EXPECT_EQ(EPERM, open_as_nobody("/dev/dmaown"));
}

TEST(capability_checked_at_open_only)
{
	struct dmaown_group_status st;
	struct dmaown_info info;
	int fd, status, gid = pci_group(EDU_LONE);
	pid_t pid;

	ASSERT_LE(0, gid);
	fd = dmaown_open();
	ASSERT_LE(0, fd);
	pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(100);
		if (dmaown_info(fd, &info))
			_exit(1);
		if (dmaown_status(fd, gid, &st, NULL, 0))
			_exit(2);
		_exit(0);
	}
	ASSERT_LT(0, pid);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(fd);
}

FIXTURE(module) {
	int unused;
};

FIXTURE_SETUP(module)
{
	ASSERT_TRUE(module_loaded("dmaown"));
}

FIXTURE_TEARDOWN(module)
{
	/* leave it loaded, whatever happened */
	if (!module_loaded("dmaown"))
		EXPECT_OK(module_load(DMAOWN_MODULE, DMAOWN_PARAMS));
}

TEST_F(module, unload_and_reload)
{
	struct dmaown_info info;
	struct kmsg k;
	struct stat st;
	int fd, ret;

	ret = module_unload("dmaown");
	if (ret)
		TH_LOG("delete_module(dmaown): %s", strerror(-ret));
	ASSERT_EQ(0, ret);
	EXPECT_FALSE(module_loaded("dmaown"));
	EXPECT_FALSE(path_exists("/dev/dmaown"));
	EXPECT_ERRNO(ENOENT, dmaown_open());

	ASSERT_OK(kmsg_begin(&k));
	ASSERT_OK(module_load(DMAOWN_MODULE, DMAOWN_PARAMS));
	EXPECT_TRUE(module_loaded("dmaown"));
	ASSERT_OK(stat("/dev/dmaown", &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777);
	fd = dmaown_open();
	ASSERT_LE(0, fd);
	EXPECT_OK(dmaown_info(fd, &info));
	close(fd);
	/* one load line, with the version */
	kmsg_collect(&k);
	EXPECT_EQ(1, kmsg_count(&k, "dmaown", info.out_version));
	if (kmsg_count(&k, "dmaown", info.out_version) != 1)
		kmsg_dump(&k, "load");
	EXPECT_EQ(0, kmsg_count_bad(&k));
	kmsg_end(&k);
}

TEST_F(module, unload_refused_while_open)
{
	struct dmaown_info info;
	int fd, ret;

	fd = dmaown_open();
	ASSERT_LE(0, fd);
	ret = module_unload("dmaown");
	/* delete_module(O_NONBLOCK) of a module in use: EWOULDBLOCK (or EBUSY) */
	if (ret != -EWOULDBLOCK && ret != -EBUSY)
		TH_LOG("delete_module with /dev/dmaown open: %s", ret ? strerror(-ret) : "success");
	EXPECT_TRUE(ret == -EWOULDBLOCK || ret == -EBUSY);
	EXPECT_TRUE(module_loaded("dmaown"));
	EXPECT_TRUE(path_exists("/dev/dmaown"));
	EXPECT_OK(dmaown_info(fd, &info));
	close(fd);
}

TEST_HARNESS_MAIN
