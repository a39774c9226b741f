// SPDX-License-Identifier: GPL-2.0
/*
 * delegation_test - group nodes and audit (issue 15): /dev/dmaown-group/N
 * exists for every IOMMU group and only for them, and follows a group that
 * goes and comes back; a file of a node acts on its group only (EACCES for
 * another, EPERM for the quarantine list), and its events are its group's;
 * uid 65534, given a node by chown, claims that group (blocked DMA under
 * iommu=pt) and cannot open /dev/dmaown nor claim another group; a claim
 * made by root and passed over SCM_RIGHTS to uid 65534 works there and
 * holds until that process exits, and examples/pass-claim does the same;
 * dmaownctl, run by uid 65534, claims through the node it was given;
 * a node whose group went away refuses its
 * ioctls (ENODEV); audit records (AUDIT_KERNEL_OTHER) of claims, releases,
 * quarantine changes and denied binds appear with audit=1 on the command
 * line, with the task's identity, and not without it.
 *
 * Every test leaves the topology as booted: drivers bound, no claim, nodes
 * owned by root, every device present.
 */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "harness.h"
#include "lib/testlib.h"

#define NODE_DIR "/dev/dmaown-group"
#define NOBODY 65534

static void node_path(char *buf, size_t len, int gid)
{
	snprintf(buf, len, NODE_DIR "/%d", gid);
}

static int node_open(int gid)
{
	char path[64];

	node_path(path, sizeof(path), gid);
	return open(path, O_RDWR | O_CLOEXEC);
}

static int node_chown(int gid, uid_t uid)
{
	char path[64];

	node_path(path, sizeof(path), gid);
	return chown(path, uid, uid) ? -errno : 0;
}

/* wait for the node of @gid to exist or not: 0, or -ETIMEDOUT */
static int node_wait(int gid, bool present, unsigned int timeout_ms)
{
	char path[64];
	uint64_t end = now_ms() + timeout_ms;

	node_path(path, sizeof(path), gid);
	while (path_exists(path) != present) {
		if (now_ms() > end)
			return -ETIMEDOUT;
		msleep(20);
	}
	return 0;
}

/* Become uid/gid 65534 with no capabilities: 0 or -errno. */
static int become_nobody(void)
{
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		return -errno;
	return 0;
}

/*
 * A child as uid 65534, with one end of a unix socket: sv[1] in the child,
 * sv[0] in the parent. Returns as fork() does; -1 if the socket failed.
 */
static pid_t fork_nobody(int sv[2])
{
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		if (become_nobody())
			_exit(126);
	} else {
		close(sv[1]);
	}
	return pid;
}

/* The next event of @efd within @ms: its type, 0 for none, -errno. */
static int next_event(int efd, struct dmaown_event *e, int ms)
{
	ssize_t r;

	if (!(poll_revents(efd, ms) & POLLIN))
		return 0;
	r = read(efd, e, sizeof(*e));
	if (r < 0)
		return -errno;
	return r == sizeof(*e) ? (int)e->type : -EIO;
}

/* --- the nodes follow the groups ------------------------------------------ */

TEST(a_node_per_group_and_no_other)
{
	int ids[256], n, i, max = -1;
	struct stat st, ref;
	char path[64];
	DIR *dir;
	struct dirent *d;
	int nodes = 0;

	n = sys_groups(ids, 256);
	ASSERT_LT(0, n);
	for (i = 0; i < n; i++) {
		node_path(path, sizeof(path), ids[i]);
		ASSERT_OK(node_wait(ids[i], true, 5000));
		ASSERT_OK(stat(path, &st));
		EXPECT_TRUE(S_ISCHR(st.st_mode));
		EXPECT_EQ(ids[i], (int)minor(st.st_rdev));
		/* root's alone until the admin says otherwise */
		EXPECT_EQ(0600, st.st_mode & 07777);
		EXPECT_EQ(0, st.st_uid);
		if (i == 0)
			ref = st;
		else
			EXPECT_EQ(major(ref.st_rdev), major(st.st_rdev));
		max = ids[i] > max ? ids[i] : max;
	}
	/* nothing else in the directory */
	dir = opendir(NODE_DIR);
	ASSERT_NE(NULL, dir);
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		nodes++;
		for (i = 0; i < n; i++)
			if (ids[i] == atoi(d->d_name))
				break;
		if (i == n)
			TH_LOG("a node without a group: %s", d->d_name);
		EXPECT_LT(i, n);
	}
	closedir(dir);
	EXPECT_EQ(n, nodes);
	node_path(path, sizeof(path), max + 1);
	EXPECT_FALSE(path_exists(path));
	/* the class in sysfs names the same */
	snprintf(path, sizeof(path), "/sys/class/dmaown-group/%d", ids[0]);
	EXPECT_TRUE(path_exists(path));
}

FIXTURE(hp) {
	int gid, fd;
};

FIXTURE_SETUP(hp)
{
	self->fd = -1;
	ASSERT_TRUE(pci_exists(EDU_HP));
	self->gid = pci_group(EDU_HP);
	ASSERT_LE(0, self->gid);
}

FIXTURE_TEARDOWN(hp)
{
	if (self->fd >= 0)
		close(self->fd);
	if (!pci_exists(EDU_HP)) {
		pci_rescan();
		EXPECT_OK(pci_wait_present(EDU_HP, true, 5000));
	}
}

/*
 * The group goes with its device: its node goes, and a file opened on it
 * refuses what it is asked. A rescan brings a group, and a node, back.
 */
TEST_F_TIMEOUT(hp, node_goes_with_its_group, 90)
{
	struct dmaown_group_status st = { .size = sizeof(st) };
	struct dmaown_group g = { .size = sizeof(g) };
	struct dmaown_info info;
	int gid2, fd2;

	ASSERT_OK(node_wait(self->gid, true, 5000));
	self->fd = node_open(self->gid);
	ASSERT_LE(0, self->fd);
	ASSERT_OK(pci_remove(EDU_HP));
	EXPECT_OK(node_wait(self->gid, false, 5000));
	st.group_id = self->gid;
	EXPECT_ERRNO(ENODEV, ioctl(self->fd, DMAOWN_GROUP_STATUS, &st));
	g.group_id = self->gid;
	EXPECT_ERRNO(ENODEV, ioctl(self->fd, DMAOWN_GROUP_CLAIM, &g));
	/* what is not about a group still answers */
	EXPECT_OK(dmaown_info(self->fd, &info));

	ASSERT_OK(pci_rescan());
	ASSERT_OK(pci_wait_present(EDU_HP, true, 5000));
	gid2 = pci_group(EDU_HP);
	ASSERT_LE(0, gid2);
	EXPECT_OK(node_wait(gid2, true, 5000));
	/* the old file stays refused, even if the number came back */
	EXPECT_ERRNO(ENODEV, ioctl(self->fd, DMAOWN_GROUP_CLAIM, &g));
	fd2 = node_open(gid2);
	ASSERT_LE(0, fd2);
	EXPECT_OK(dmaown_group_claim(fd2, gid2));
	EXPECT_OK(dmaown_group_release(fd2, gid2));
	close(fd2);
}

/* --- a node's file: its group only ---------------------------------------- */

#define PRINTK_RATELIMIT "/proc/sys/kernel/printk_ratelimit"

FIXTURE(lone) {
	int gid, other, fd, admin;
	char ratelimit[32];	/* printk_ratelimit to restore, or "" */
};

FIXTURE_SETUP(lone)
{
	self->fd = -1;
	self->admin = -1;
	self->ratelimit[0] = 0;
	self->gid = pci_group(EDU_LONE);
	ASSERT_LE(0, self->gid);
	self->other = pci_group(NIC_LONE);
	ASSERT_LE(0, self->other);
	ASSERT_OK(node_wait(self->gid, true, 5000));
	self->admin = dmaown_open();
	ASSERT_LE(0, self->admin);
}

FIXTURE_TEARDOWN(lone)
{
	if (self->ratelimit[0])
		EXPECT_OK(sysfs_write(PRINTK_RATELIMIT, self->ratelimit));
	if (self->fd >= 0)
		close(self->fd);
	if (self->admin >= 0)
		close(self->admin);
	EXPECT_OK(node_chown(self->gid, 0));
	if (self->other >= 0)
		EXPECT_OK(node_chown(self->other, 0));
	EXPECT_OK(pci_ensure_driver(NIC_LONE, NIC_LONE_DRIVER));
}

TEST_F(lone, scoped_to_its_group)
{
	struct dmaown_group_status st = { .size = sizeof(st) };
	struct dmaown_info info;
	struct dmaown_event e;
	uint32_t got;
	int efd, i;

	self->fd = node_open(self->gid);
	ASSERT_LE(0, self->fd);
	EXPECT_OK(dmaown_info(self->fd, &info));
	EXPECT_EQ(DMAOWN_API_VERSION, info.out_api_version);
	EXPECT_EQ(DMAOWN_STATE_FREE, dmaown_state(self->fd, self->gid));

	/* another group: EACCES for each way in, and nothing changed */
	st.group_id = self->other;
	EXPECT_ERRNO(EACCES, ioctl(self->fd, DMAOWN_GROUP_STATUS, &st));
	EXPECT_ERRNO(EACCES, dmaown_group_claim(self->fd, self->other));
	EXPECT_ERRNO(EACCES, dmaown_device_claim(self->fd, NIC_LONE, "pci", NULL));
	EXPECT_ERRNO(EACCES, dmaown_events_open(self->fd, DMAOWN_EVENTS_GROUP, self->other));
	EXPECT_EQ(DMAOWN_STATE_FREE, dmaown_state(self->admin, self->other));
	EXPECT_TRUE(pci_has_driver(NIC_LONE, NIC_LONE_DRIVER));
	/* not the admin's: the quarantine list */
	EXPECT_ERRNO(EPERM, dmaown_quarantine_add(self->fd, EDU_LONE));
	EXPECT_ERRNO(EPERM, dmaown_quarantine_remove(self->fd, EDU_LONE));
	/* a group that does not exist is another group too */
	EXPECT_ERRNO(EACCES, dmaown_group_claim(self->fd, 99999));

	/* its own group: every way in works */
	efd = dmaown_events_open(self->fd, DMAOWN_EVENTS_ALL, 0);
	ASSERT_LE(0, efd);
	ASSERT_LE(0, pci_group(EDU_HP));
	ASSERT_OK(dmaown_group_claim(self->admin, pci_group(EDU_HP)));
	ASSERT_OK(dmaown_group_release(self->admin, pci_group(EDU_HP)));
	ASSERT_OK(dmaown_group_claim(self->fd, self->gid));
	EXPECT_EQ(DMAOWN_STATE_BUSY, dmaown_state(self->admin, self->gid));
	ASSERT_OK(dmaown_group_release(self->fd, self->gid));
	ASSERT_OK(dmaown_device_claim(self->fd, EDU_LONE, "pci", &got));
	EXPECT_EQ((uint32_t)self->gid, got);
	ASSERT_OK(dmaown_device_release(self->fd, EDU_LONE, "pci"));
	/* "all events" is all of its group's: the other group's claim is not there */
	for (i = 0; i < 4; i++) {
		ASSERT_LT(0, next_event(efd, &e, 3000));
		EXPECT_EQ((uint32_t)self->gid, e.group_id);
		EXPECT_EQ(i % 2 ? DMAOWN_EVENT_RELEASE : DMAOWN_EVENT_CLAIM, e.type);
	}
	EXPECT_EQ(0, next_event(efd, &e, 200));
	close(efd);
	efd = dmaown_events_open(self->fd, DMAOWN_EVENTS_GROUP, self->gid);
	EXPECT_LE(0, efd);
	if (efd >= 0)
		close(efd);
}

/*
 * uid 65534, given the node by chown: it claims the group, whose DMA is
 * then blocked, and it can neither open /dev/dmaown nor another node, nor
 * reach another group through its own.
 */
TEST_F(lone, nobody_given_a_node_claims_it)
{
	int sv[2], st, fd, n;
	char c = 0;
	pid_t pid;

	ASSERT_OK(node_chown(self->gid, NOBODY));
	pid = fork_nobody(sv);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		ASSERT_NE(0, (int)geteuid());
		/* /dev/dmaown: mode 0600 root, and CAP_SYS_ADMIN at open */
		EXPECT_ERRNO(EACCES, open("/dev/dmaown", O_RDWR));
		EXPECT_ERRNO(EACCES, node_open(self->other));
		fd = node_open(self->gid);
		ASSERT_LE(0, fd);
		EXPECT_ERRNO(EACCES, dmaown_group_claim(fd, self->other));
		EXPECT_ERRNO(EPERM, dmaown_quarantine_add(fd, EDU_LONE));
		ASSERT_OK(dmaown_group_claim(fd, self->gid));
		/* claimed: tell the parent, and wait */
		ASSERT_EQ(1, write(sv[1], "c", 1));
		ASSERT_EQ(1, read(sv[1], &c, 1));
		EXPECT_OK(dmaown_group_release(fd, self->gid));
		close(fd);
		_exit(_metadata->failed ? 1 : 0);
	}
	n = read(sv[0], &c, 1);
	EXPECT_EQ(1, n);
	if (n == 1) {
		EXPECT_EQ(DMAOWN_STATE_BUSY, dmaown_state(self->admin, self->gid));
		if (!witness_unusable(EDU_LONE))
			EXPECT_EQ(EDU_BLOCKED, edu_witness(EDU_LONE));
		else
			TH_LOG("DMA part not checked: %s", witness_unusable(EDU_LONE));
		/* even root's /dev/dmaown file cannot take it meanwhile */
		EXPECT_ERRNO(EBUSY, dmaown_group_claim(self->admin, self->gid));
		EXPECT_EQ(1, write(sv[0], "r", 1));
	}
	close(sv[0]);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	EXPECT_EQ(DMAOWN_STATE_FREE, dmaown_state(self->admin, self->gid));
}

/* /dev/dmaown, even if its mode let nobody in: CAP_SYS_ADMIN at open */
TEST(nobody_cannot_open_the_admin_node)
{
	struct stat st;
	int status;
	pid_t pid;

	ASSERT_OK(stat("/dev/dmaown", &st));
	ASSERT_OK(chmod("/dev/dmaown", 0666));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		ASSERT_OK(become_nobody());
		EXPECT_ERRNO(EPERM, open("/dev/dmaown", O_RDWR));
		_exit(_metadata->failed ? 1 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_OK(chmod("/dev/dmaown", st.st_mode & 07777));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = "f", .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	char c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -errno;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -EBADMSG;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/*
 * libvirt's way: root claims, passes the file over a unix socket to an
 * unprivileged process (QEMU), and closes its own copy. The claim is the
 * receiver's from then on: its ioctls work (authority was checked at
 * open), and its exit ends the claim.
 */
TEST_F(lone, claim_passed_over_scm_rights_holds_until_receiver_exits)
{
	int sv[2], st, fd, n;
	char c = 0;
	pid_t pid;

	pid = fork_nobody(sv);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		fd = recv_fd(sv[1]);
		ASSERT_LE(0, fd);
		/* the file works here: status (its own claim), a second claim is EALREADY */
		EXPECT_EQ(DMAOWN_STATE_OWNED, dmaown_state(fd, self->gid));
		EXPECT_ERRNO(EALREADY, dmaown_group_claim(fd, self->gid));
		ASSERT_EQ(1, write(sv[1], "h", 1));
		/* hold it until told to go, then exit without releasing */
		n = read(sv[1], &c, 1);
		_exit(_metadata->failed || n != 1 ? 1 : 0);
	}
	fd = dmaown_open();
	ASSERT_LE(0, fd);
	ASSERT_OK(dmaown_group_claim(fd, self->gid));
	ASSERT_OK(send_fd(sv[0], fd));
	close(fd);
	n = read(sv[0], &c, 1);
	EXPECT_EQ(1, n);
	/* root's copy is closed: the receiver holds the claim */
	EXPECT_EQ(DMAOWN_STATE_BUSY, dmaown_state(self->admin, self->gid));
	if (!witness_unusable(EDU_LONE))
		EXPECT_EQ(EDU_BLOCKED, edu_witness(EDU_LONE));
	EXPECT_EQ(1, write(sv[0], "x", 1));
	close(sv[0]);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* its exit closed the last copy: the group is the host's again */
	EXPECT_EQ(DMAOWN_STATE_FREE, dmaown_state(self->admin, self->gid));
	if (!witness_unusable(EDU_LONE))
		EXPECT_EQ(EDU_LANDED, edu_witness(EDU_LONE));
}

/* sh -c @cmd as uid 65534, in the background: its pid */
static pid_t spawn_nobody(const char *cmd)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (become_nobody())
			_exit(126);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* its exit code, or -1 */
static int wait_code(pid_t pid)
{
	int st;

	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/*
 * dmaownctl, run by a user who was given the node and cannot open
 * /dev/dmaown, takes the group through the node; a group it was not given
 * is "permission denied" (exit 4).
 */
TEST_F_TIMEOUT(lone, dmaownctl_uses_a_given_node, 60)
{
	char cmd[256];
	uint64_t end;
	pid_t pid;

	/* scripts/vm-test puts dmaownctl in every image */
	ASSERT_TRUE(path_exists("/usr/sbin/dmaownctl"));
	ASSERT_OK(node_chown(self->gid, NOBODY));
	snprintf(cmd, sizeof(cmd), "/usr/sbin/dmaownctl status %d >/dev/null", self->gid);
	EXPECT_EQ(0, wait_code(spawn_nobody(cmd)));
	snprintf(cmd, sizeof(cmd), "/usr/sbin/dmaownctl claim %d 2>/dev/null", self->other);
	EXPECT_EQ(4, wait_code(spawn_nobody(cmd)));
	snprintf(cmd, sizeof(cmd), "exec /usr/sbin/dmaownctl claim %s -- sleep 3", EDU_LONE);
	pid = spawn_nobody(cmd);
	ASSERT_LT(0, pid);
	end = now_ms() + 5000;
	while (dmaown_state(self->admin, self->gid) != DMAOWN_STATE_BUSY && now_ms() < end)
		msleep(50);
	EXPECT_EQ(DMAOWN_STATE_BUSY, dmaown_state(self->admin, self->gid));
	EXPECT_EQ(0, wait_code(pid));
	EXPECT_EQ(DMAOWN_STATE_FREE, dmaown_state(self->admin, self->gid));
}

/* examples/pass-claim.c, the documented way, does what the test above does */
TEST_F(lone, the_pass_claim_example_works)
{
	char cmd[256];

	/* scripts/vm-test puts examples/ in every image */
	ASSERT_TRUE(path_exists("/examples/pass-claim"));
	snprintf(cmd, sizeof(cmd), "/examples/pass-claim %s %d 1", EDU_LONE, NOBODY);
	EXPECT_OK(run("%s", cmd));
	EXPECT_EQ(DMAOWN_STATE_FREE, dmaown_state(self->admin, self->gid));
}

/* --- audit ------------------------------------------------------------------ */

/*
 * With audit=1, a record of type 1316 (AUDIT_KERNEL_OTHER) per claim,
 * release, quarantine change and denied bind, naming the task; without it,
 * none. The kernel log carries them while no auditd runs.
 */
TEST_F_TIMEOUT(lone, audit_records_follow_audit_enabled, 60)
{
	bool on = cmdline_has("audit=1");
	char grp[32], pid[32];
	struct kmsg k;
	int want = on ? 1 : 0;

	snprintf(grp, sizeof(grp), "grp=%d ", self->gid);
	snprintf(pid, sizeof(pid), " pid=%d ", getpid());
	/*
	 * With no auditd, audit prints each record, and its "audit_lost" and
	 * "hold queue overflow" lines, through printk_ratelimit(): 10 lines,
	 * then 5 s of quiet. No ratelimit while this test runs.
	 */
	ASSERT_LT(0, sysfs_read(PRINTK_RATELIMIT, self->ratelimit, sizeof(self->ratelimit)));
	ASSERT_OK(sysfs_write(PRINTK_RATELIMIT, "0"));
	ASSERT_OK(kmsg_begin(&k));
	ASSERT_OK(dmaown_group_claim(self->admin, self->gid));
	ASSERT_OK(dmaown_group_release(self->admin, self->gid));
	ASSERT_OK(dmaown_quarantine_add(self->admin, EDU_LONE));
	ASSERT_OK(dmaown_quarantine_remove(self->admin, EDU_LONE));
	ASSERT_OK(pci_unbind(NIC_LONE));
	ASSERT_OK(dmaown_group_claim(self->admin, self->other));
	EXPECT_EQ(-EBUSY, pci_bind(NIC_LONE, NIC_LONE_DRIVER));
	ASSERT_OK(dmaown_group_release(self->admin, self->other));
	ASSERT_OK(pci_bind(NIC_LONE, NIC_LONE_DRIVER));

	/* the last one is written by a work item: wait for it */
	kmsg_wait(&k, "type=1316", "op=denied-bind", want, 3000);
	if (on)
		msleep(300);
	else
		msleep(1000);
	kmsg_collect(&k);
	TH_LOG("audit %s: %d dmaown records", on ? "on" : "off",
	       kmsg_count(&k, "type=1316", "op="));
	EXPECT_EQ(want, kmsg_count(&k, "op=claim", grp));
	EXPECT_EQ(want, kmsg_count(&k, "op=release", grp));
	EXPECT_EQ(want, kmsg_count(&k, "op=quarantine-add", grp));
	EXPECT_EQ(want, kmsg_count(&k, "op=quarantine-remove", grp));
	EXPECT_EQ(want, kmsg_count(&k, "op=denied-bind", NIC_LONE));
	/*
	 * The task's identity, ours: from audit_log_task_info() for the six
	 * claims, releases and quarantine changes, from the queue for the
	 * denied bind.
	 */
	EXPECT_EQ(on ? 7 : 0, kmsg_count(&k, "type=1316", pid));
	EXPECT_EQ(on ? 6 : 0, kmsg_count(&k, "type=1316", "res=1 ppid="));
	EXPECT_EQ(want, kmsg_count(&k, "op=denied-bind", "res=0 pid="));
	if (!on)
		EXPECT_EQ(0, kmsg_count(&k, "type=1316", NULL));
	EXPECT_EQ(0, kmsg_count_bad(&k));
	kmsg_end(&k);
}

TEST_HARNESS_MAIN
