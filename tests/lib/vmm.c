// SPDX-License-Identifier: GPL-2.0
/*
 * vmm.c - a real VFIO user in the test guest: the distribution's
 * qemu-system-x86_64, driven through its qtest line protocol.
 *
 * QEMU runs stopped (-S: Debian builds no qtest accelerator, and a running
 * SeaBIOS would fight us over the config ports) with the device under test
 * as "-device vfio-pci,host=BDF,addr=05.0". Before it answers its first
 * qtest command it has done the whole VFIO setup: container,
 * SET_CONTAINER, SET_IOMMU(TYPE1v2), MAP_DMA of its 64 MiB of RAM (IOVA =
 * the inner guest's physical address), the device fd and the BAR mmap. If
 * any step fails it prints why on stderr and exits 1.
 *
 * qtest: one command line, one reply line ("OK [value]", or "FAIL why").
 * Port I/O on 0xcf8/0xcfc is the inner machine's config space; readq/writeq
 * on the BAR reach the real device through the mmap; read/write/memset
 * address the inner guest's RAM. QEMU does not exit at the end of its
 * stdin: it is stopped with a signal.
 *
 * QEMU talks to us on one end of a socketpair (its stdin and stdout), so
 * that a write to a QEMU that died is an error (MSG_NOSIGNAL), not a
 * SIGPIPE. Its stderr is a pipe, drained into v->err whenever we wait.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define VMM_START_TIMEOUT_MS 120000 /* QEMU under TCG, in a TCG guest */
#define VMM_STOP_TIMEOUT_MS 30000

/* the inner machine: the device at 00:05.0, BAR0 in the PCI hole */
#define INNER_CFG(reg) (0x80000000u | (5u << 11) | (reg))
#define INNER_BAR0 0xc0000000ull
#define EDU_DMA_TIMEOUT_MS 10000
/* inner RAM: the source and the destination of the round trip */
#define RAM_A 0x100000ull
#define RAM_B 0x200000ull
#define XFER 1024 /* below 4 KiB: QEMU 7.2's edu aborts on a full buffer */
#define FILL 0x5a

static void drain_stderr(struct vmm *v)
{
	char buf[512];
	ssize_t n;

	while (v->err_fd >= 0) {
		n = read(v->err_fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0) { /* QEMU and every copy of its stderr are gone */
				close(v->err_fd);
				v->err_fd = -1;
			}
			return;
		}
		n = n < (ssize_t)(sizeof(v->err) - 1 - v->err_len) ?
			    n : (ssize_t)(sizeof(v->err) - 1 - v->err_len);
		memcpy(v->err + v->err_len, buf, n);
		v->err_len += n;
		v->err[v->err_len] = 0;
	}
}

/* the child: QEMU with the socket as stdin/stdout, the pipe as stderr */
static void __attribute__((noreturn)) exec_qemu(const char *bdf, int sock, int err)
{
	char dev[96];
	char *argv[] = { VMM_QEMU, "-S", "-M", "q35", "-qtest", "stdio", "-qtest-log",
			 "/dev/null", "-display", "none", "-nodefaults", "-m", "64",
			 "-device", dev, NULL };

	snprintf(dev, sizeof(dev), "vfio-pci,host=%s,addr=05.0", bdf);
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
	if (dup2(sock, 0) < 0 || dup2(sock, 1) < 0 || dup2(err, 2) < 0)
		_exit(127);
	/* no inherited /dev/dmaown or VFIO file may keep a claim alive */
	if (syscall(SYS_close_range, 3, ~0u, 0))
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
	signal(SIGPIPE, SIG_DFL);
	execv(argv[0], argv);
	fprintf(stderr, "vmm: exec %s: %m\n", argv[0]);
	_exit(127);
}

int vmm_start(struct vmm *v, const char *bdf)
{
	int sv[2], ep[2], ret;
	uint64_t id;

	if (v->pid > 0)
		return -EBUSY;
	memset(v, 0, sizeof(*v));
	v->fd = v->err_fd = -1;
	scopy(v->bdf, sizeof(v->bdf), bdf);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -errno;
	if (pipe2(ep, O_CLOEXEC)) {
		ret = -errno;
		close(sv[0]);
		close(sv[1]);
		return ret;
	}
	fflush(NULL);
	v->pid = fork();
	if (v->pid < 0) {
		ret = -errno;
		v->pid = 0;
		close(sv[0]);
		close(sv[1]);
		close(ep[0]);
		close(ep[1]);
		return ret;
	}
	if (v->pid == 0)
		exec_qemu(bdf, sv[1], ep[1]);
	close(sv[1]);
	close(ep[1]);
	v->fd = sv[0];
	v->err_fd = ep[0];
	fcntl(v->err_fd, F_SETFL, O_NONBLOCK);

	/*
	 * Ready: QEMU answers, and the inner config space shows the device
	 * at 00:05.0. It answers only once the device is realized.
	 */
	v->timeout_ms = VMM_START_TIMEOUT_MS;
	ret = vmm_cmd(v, NULL, 0, "outl 0xcf8 %#x", INNER_CFG(0));
	if (!ret)
		ret = vmm_val(v, &id, "inl 0xcfc");
	v->timeout_ms = 0;
	if (!ret && (id == 0xffffffff || id == 0)) {
		printf("# vmm: no device at inner 00:05.0 (id %#llx)\n", (unsigned long long)id);
		ret = -ENODEV;
	}
	if (ret) {
		vmm_stop(v, ret == -EPIPE ? SIGTERM : SIGKILL);
		if (ret == -EPIPE) {
			ret = -ECHILD; /* it exited by itself: see v->err, v->status */
			printf("# vmm: QEMU with %s exited at its start, status %d\n", bdf,
			       v->status);
		} else {
			printf("# vmm: QEMU with %s did not start: %s (killed)\n", bdf,
			       strerror(-ret));
		}
		vmm_print_stderr(v);
		return ret;
	}
	return 0;
}

/* read one line into v->line, at most @timeout_ms: 0 or -errno */
static int read_line(struct vmm *v, unsigned int timeout_ms)
{
	uint64_t end = now_ms() + timeout_ms;
	struct pollfd p[2];
	char *nl;
	ssize_t n;

	for (;;) {
		nl = memchr(v->buf, '\n', v->buf_len);
		if (nl) {
			size_t len = nl - v->buf;

			*nl = 0;
			scopy(v->line, sizeof(v->line), v->buf);
			v->buf_len -= len + 1;
			memmove(v->buf, nl + 1, v->buf_len);
			return 0;
		}
		if (v->buf_len == sizeof(v->buf))
			return -EOVERFLOW;
		if (now_ms() >= end)
			return -ETIMEDOUT;
		p[0] = (struct pollfd){ .fd = v->fd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = v->err_fd, .events = POLLIN };
		if (poll(p, v->err_fd >= 0 ? 2 : 1, end - now_ms()) < 0 && errno != EINTR)
			return -errno;
		if (p[1].revents)
			drain_stderr(v);
		if (!p[0].revents)
			continue;
		n = read(v->fd, v->buf + v->buf_len, sizeof(v->buf) - v->buf_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return -EPIPE; /* QEMU is gone */
		if (n < 0)
			return -errno;
		v->buf_len += n;
	}
}

static int vmm_vcmd(struct vmm *v, char *reply, size_t len, const char *fmt, va_list ap)
{
	char cmd[VMM_LINE];
	size_t n, off = 0;
	ssize_t w;
	int ret;

	if (v->pid <= 0)
		return -EPIPE;
	ret = vsnprintf(cmd, sizeof(cmd) - 1, fmt, ap);
	if (ret < 0 || ret >= (int)sizeof(cmd) - 1)
		return -E2BIG;
	n = ret;
	cmd[n++] = '\n';
	while (off < n) {
		w = send(v->fd, cmd + off, n - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno == ECONNRESET ? -EPIPE : -errno;
		off += w;
	}
	ret = read_line(v, v->timeout_ms ?: VMM_CMD_TIMEOUT_MS);
	if (ret) {
		cmd[n - 1] = 0;
		printf("# vmm: \"%.60s\": %s\n", cmd,
		       ret == -EPIPE ? "QEMU exited" : strerror(-ret));
		return ret;
	}
	if (reply)
		scopy(reply, len, v->line);
	if (strncmp(v->line, "OK", 2) || (v->line[2] && v->line[2] != ' ')) {
		cmd[n - 1] = 0;
		printf("# vmm: \"%.60s\": \"%.100s\"\n", cmd, v->line);
		return -EPROTO;
	}
	return 0;
}

int vmm_cmd(struct vmm *v, char *reply, size_t len, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vmm_vcmd(v, reply, len, fmt, ap);
	va_end(ap);
	return ret;
}

int vmm_val(struct vmm *v, uint64_t *val, const char *fmt, ...)
{
	char *end;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vmm_vcmd(v, NULL, 0, fmt, ap);
	va_end(ap);
	if (ret)
		return ret;
	errno = 0;
	*val = strtoull(v->line + 2, &end, 0);
	if (errno || end == v->line + 2 || *end) {
		printf("# vmm: no value in the reply \"%.100s\"\n", v->line);
		return -EPROTO;
	}
	return 0;
}

static int edu_wait_idle(struct vmm *v)
{
	uint64_t end = now_ms() + EDU_DMA_TIMEOUT_MS, cmd;
	int ret;

	for (;;) {
		ret = vmm_val(v, &cmd, "readq %#llx", INNER_BAR0 + EDU_DMA_CMD);
		if (ret || !(cmd & EDU_DMA_RUN))
			return ret;
		if (now_ms() > end) {
			printf("# vmm: the edu DMA did not complete\n");
			return -ETIMEDOUT;
		}
		msleep(20);
	}
}

static int edu_dma(struct vmm *v, uint64_t src, uint64_t dst, uint64_t cmd)
{
	int ret = edu_wait_idle(v);

	if (!ret)
		ret = vmm_cmd(v, NULL, 0, "writeq %#llx %#llx", INNER_BAR0 + EDU_DMA_SRC,
			      (unsigned long long)src);
	if (!ret)
		ret = vmm_cmd(v, NULL, 0, "writeq %#llx %#llx", INNER_BAR0 + EDU_DMA_DST,
			      (unsigned long long)dst);
	if (!ret)
		ret = vmm_cmd(v, NULL, 0, "writeq %#llx %d", INNER_BAR0 + EDU_DMA_CNT, XFER);
	if (!ret)
		ret = vmm_cmd(v, NULL, 0, "writeq %#llx %#llx", INNER_BAR0 + EDU_DMA_CMD,
			      (unsigned long long)(cmd | EDU_DMA_RUN));
	return ret ?: edu_wait_idle(v);
}

/* BAR0, memory and bus mastering, then the id and liveness registers */
static int edu_setup(struct vmm *v)
{
	uint64_t id, live;
	uint32_t x;
	int ret;

	ret = vmm_cmd(v, NULL, 0, "outl 0xcf8 %#x", INNER_CFG(0x10));
	ret = ret ?: vmm_cmd(v, NULL, 0, "outl 0xcfc %#llx", INNER_BAR0);
	ret = ret ?: vmm_cmd(v, NULL, 0, "outl 0xcf8 %#x", INNER_CFG(0x04));
	ret = ret ?: vmm_cmd(v, NULL, 0, "outw 0xcfc 0x6"); /* MEMORY | MASTER */
	ret = ret ?: vmm_val(v, &id, "readl %#llx", INNER_BAR0);
	if (ret)
		return ret;
	if (id != EDU_ID_VALUE) {
		printf("# vmm: inner 00:05.0 is not an edu (id %#llx)\n", (unsigned long long)id);
		return -ENODEV;
	}
	if (getrandom(&x, sizeof(x), 0) != sizeof(x))
		return -errno;
	ret = vmm_cmd(v, NULL, 0, "writel %#llx %#x", INNER_BAR0 + EDU_LIVENESS, x);
	ret = ret ?: vmm_val(v, &live, "readl %#llx", INNER_BAR0 + EDU_LIVENESS);
	if (ret)
		return ret;
	if (live != (uint32_t)~x) {
		printf("# vmm: the edu liveness register answered %#llx to %#x\n",
		       (unsigned long long)live, x);
		return -EIO;
	}
	return 0;
}

static void hex(char *out, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

int vmm_edu_dma(struct vmm *v)
{
	return vmm_edu_dma_from(v, RAM_A);
}

int vmm_edu_dma_from(struct vmm *v, uint64_t src)
{
	static const char *const names[] = { "blocked", "landed", "garbled" };
	uint8_t pat[XFER];
	char data[2 * XFER + 1], *got;
	size_t same = 0, fill = 0;
	int ret;

	ret = edu_setup(v);
	if (ret)
		return ret;
	if (getrandom(pat, sizeof(pat), 0) != sizeof(pat))
		return -errno;
	hex(data, pat, XFER);
	ret = vmm_cmd(v, NULL, 0, "write %#llx %d 0x%s", RAM_A, XFER, data);
	ret = ret ?: vmm_cmd(v, NULL, 0, "memset %#llx %d %#x", RAM_B, XFER, FILL);
	/* RAM A (or @src) -> the edu's buffer -> RAM B, by the device's DMA engine */
	ret = ret ?: edu_dma(v, src, EDU_BUF, 0);
	ret = ret ?: edu_dma(v, EDU_BUF, RAM_B, EDU_DMA_TO_RAM);
	ret = ret ?: vmm_cmd(v, NULL, 0, "read %#llx %d", RAM_B, XFER);
	if (ret)
		return ret;
	got = v->line + 3; /* "OK 0x" and 2 * XFER hex digits */
	if (strncmp(got, "0x", 2) || strlen(got + 2) != 2 * XFER) {
		printf("# vmm: the read of inner RAM answered \"%.60s\"\n", v->line);
		return -EPROTO;
	}
	got += 2;
	for (size_t i = 0; i < XFER; i++) {
		unsigned int b;

		if (sscanf(got + 2 * i, "%2x", &b) != 1)
			return -EPROTO;
		same += b == pat[i];
		fill += b == FILL;
	}
	if (same == XFER)
		ret = EDU_LANDED;
	else if (fill == XFER)
		ret = EDU_BLOCKED;
	else
		ret = EDU_GARBLED;
	printf("# vmm: edu DMA in the inner VM (%s) from %#llx: %s", v->bdf,
	       (unsigned long long)src, names[ret]);
	if (ret == EDU_GARBLED)
		printf(", %zu/%d bytes of the pattern", same, XFER);
	printf("\n");
	return ret;
}

bool vmm_stderr_has(struct vmm *v, const char *s)
{
	drain_stderr(v);
	return strstr(v->err, s) != NULL;
}

void vmm_print_stderr(struct vmm *v)
{
	char *line, *save, copy[sizeof(v->err)];

	drain_stderr(v);
	scopy(copy, sizeof(copy), v->err);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		printf("# vmm stderr: %s\n", line);
}

int vmm_stop(struct vmm *v, int sig)
{
	uint64_t end = now_ms() + VMM_STOP_TIMEOUT_MS;
	int status;
	pid_t r;

	if (v->pid <= 0) /* stopped already, or never started */
		return v->status;
	kill(v->pid, sig);
	/* closing our end tells QEMU nothing: it waits for the signal */
	for (;;) {
		r = waitpid(v->pid, &status, WNOHANG);
		if (r == v->pid || (r < 0 && errno != EINTR))
			break;
		if (now_ms() > end && sig != SIGKILL) {
			printf("# vmm: QEMU did not end on signal %d: SIGKILL\n", sig);
			sig = SIGKILL;
			kill(v->pid, SIGKILL);
		}
		drain_stderr(v);
		msleep(20);
	}
	if (r != v->pid)
		status = 0xff00; /* not our child any more: 255 */
	v->pid = 0;
	v->status = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
	drain_stderr(v); /* its last words */
	if (v->err_fd >= 0)
		close(v->err_fd);
	close(v->fd);
	v->fd = v->err_fd = -1;
	return v->status;
}
