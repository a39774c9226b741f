// SPDX-License-Identifier: GPL-2.0
/*
 * pass-claim: how a privileged VM manager hands a claimed group to an
 * unprivileged VMM (the way libvirt hands descriptors to QEMU).
 *
 *   pass-claim DEVICE UID [SECONDS]      e.g. pass-claim 0000:00:03.0 65534 5
 *
 * The manager (root):
 *   1. opens /dev/dmaown-group/N, N the device's IOMMU group (the node's
 *      permission is the check: no capability is needed for it);
 *   2. claims the group (DMAOWN_GROUP_CLAIM);
 *   3. starts the VMM as UID, with one end of a unix socket, and sends it
 *      the claimed file (SCM_RIGHTS);
 *   4. closes its own copy: the claim is the VMM's from here.
 * The VMM (UID, no capabilities):
 *   5. receives the file; its ioctls work (authority was checked at the
 *      open, never again): DMAOWN_GROUP_STATUS says OWNED;
 *   6. does its work (sleeps), and exits: the claim ends with it.
 *
 * Build: make -C examples. Only <linux/dmaown.h> is needed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/dmaown.h>

static int group_of(const char *device)
{
	char path[256], link[256], *base;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", device);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -1;
	link[n] = 0;
	base = strrchr(link, '/');
	return base ? atoi(base + 1) : -1;
}

/* the manager: send @fd over @sock */
static int send_fd(int sock, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u = { 0 };
	struct iovec iov = { .iov_base = "F", .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

/* the VMM: receive a file over @sock */
static int recv_fd(int sock)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u = { 0 };
	char c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

static int vmm(int sock, unsigned int group, unsigned int seconds)
{
	struct dmaown_group_status st = { .size = sizeof(st), .group_id = group };
	int fd = recv_fd(sock);

	if (fd < 0) {
		perror("vmm: receive");
		return 1;
	}
	if (ioctl(fd, DMAOWN_GROUP_STATUS, &st)) {
		perror("vmm: DMAOWN_GROUP_STATUS");
		return 1;
	}
	printf("vmm: uid %u holds group %u: %s\n", (unsigned int)getuid(), group,
	       st.out_state == DMAOWN_STATE_OWNED ? "owned" : "NOT owned");
	fflush(stdout);
	sleep(seconds);		/* a real VMM maps guest memory and runs the guest */
	return st.out_state == DMAOWN_STATE_OWNED ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct dmaown_group g = { .size = sizeof(g) };
	unsigned int seconds = argc > 3 ? atoi(argv[3]) : 1;
	char node[64];
	int sv[2], fd, group, status;
	uid_t uid;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: %s DEVICE UID [SECONDS]\n", argv[0]);
		return 2;
	}
	uid = atoi(argv[2]);
	group = group_of(argv[1]);
	if (group < 0) {
		fprintf(stderr, "%s: no IOMMU group\n", argv[1]);
		return 1;
	}

	/* 1, 2: the manager opens the group's node and claims */
	snprintf(node, sizeof(node), "/dev/dmaown-group/%d", group);
	fd = open(node, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror(node);
		return 1;
	}
	g.group_id = group;
	if (ioctl(fd, DMAOWN_GROUP_CLAIM, &g)) {
		perror("DMAOWN_GROUP_CLAIM");	/* EBUSY: see DMAOWN_GROUP_STATUS */
		return 1;
	}

	/* 3: the VMM, unprivileged, with one end of a unix socket */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return perror("socketpair"), 1;
	pid = fork();
	if (pid < 0)
		return perror("fork"), 1;
	if (pid == 0) {
		close(fd);
		close(sv[0]);
		if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
			return perror("vmm: drop privileges"), 1;
		_exit(vmm(sv[1], group, seconds));
	}
	close(sv[1]);
	if (send_fd(sv[0], fd))
		return perror("send"), 1;
	/* 4: the claim is the VMM's now */
	close(fd);
	close(sv[0]);
	printf("manager: group %d handed to uid %u\n", group, (unsigned int)uid);
	fflush(stdout);

	if (waitpid(pid, &status, 0) != pid)
		return perror("waitpid"), 1;
	/* 6: the VMM is gone, and with it the last descriptor: the claim ended */
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
