// SPDX-License-Identifier: GPL-2.0
/*
 * The guest half of `make demo` (scripts/demo): a narrated session in the
 * test VM. It lists the groups with dmaownctl, shows the lone edu's DMA
 * landing, claims the edu's group with `dmaownctl claim`, shows a kernel
 * driver's bind refused and the edu's DMA blocked, releases, and shows both
 * back to normal.
 *
 * It runs as a test program of tests/guest/init.sh (booted with iommu=pt,
 * so that a driver-less edu's DMA lands on its identity domain): TAP on
 * stdout, the narration as "# " lines that scripts/demo turns back into
 * plain text. The edu DMA witness is tests/lib/edu.c's.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/testlib.h"

#define STEPS 11
#define BAD_DRIVER "e1000e"	/* loaded in the guest, not DMA-safe */

#define DEMO_ATTR(x) __attribute__(x)
#define __printf(a, b) DEMO_ATTR((format(printf, a, b)))

static int step;
static int failed;

static void __printf(1, 2) say(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void title(const char *text)
{
	say("%s", "");
	say("=== %s", text);
}

static void verdict(bool ok, const char *what)
{
	step++;
	printf("%sok %d - %s\n", ok ? "" : "not ", step, what);
	fflush(stdout);
	if (!ok)
		failed++;
}

/* Show a shell command and its output (stdout and stderr), as "# " lines. */
static int __printf(1, 2) sh(const char *fmt, ...)
{
	char cmd[512], full[600], line[512];
	va_list ap;
	FILE *p;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	say("$ %s", cmd);
	snprintf(full, sizeof(full), "( %s ) 2>&1", cmd);
	p = popen(full, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = 0;
		say("%s", line);
	}
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Kernel log lines since @k began that contain @a (and @b), as "kernel: ". */
static int show_kmsg(struct kmsg *k, const char *a, const char *b, int max)
{
	const char *line = k->buf;
	int n = 0;

	kmsg_collect(k);
	while (line && *line && n < max) {
		const char *nl = strchr(line, '\n');
		int len = nl ? (int)(nl - line) : (int)strlen(line);
		char buf[512];

		snprintf(buf, sizeof(buf), "%.*s", len, line);
		if (strstr(buf, a) && (!b || strstr(buf, b))) {
			say("kernel: %s", buf);
			n++;
		}
		line = nl ? nl + 1 : NULL;
	}
	return n;
}

/* One edu round trip: RAM page A -> edu buffer -> RAM page B. */
static int edu_dma(const char *bdf)
{
	struct edu e;
	int r;

	r = edu_open(&e, bdf);
	if (r) {
		say("edu DMA: cannot set up the edu: %s", strerror(-r));
		return r;
	}
	r = edu_roundtrip(&e);
	edu_close(&e);
	switch (r) {
	case EDU_LANDED:
		say("edu DMA: the page came back through the edu: DMA reaches memory");
		break;
	case EDU_BLOCKED:
		say("edu DMA: page B is untouched: the edu's DMA did not reach memory");
		break;
	case EDU_GARBLED:
		say("edu DMA: page B changed, but not to the pattern");
		break;
	default:
		say("edu DMA: failed: %s", strerror(-r));
	}
	return r;
}

static int group_state(__u32 gid, __u32 *domain)
{
	struct dmaown_group_status st;
	int fd, r;

	fd = dmaown_open();
	if (fd < 0)
		return -1;
	r = dmaown_status(fd, gid, &st, NULL, 0);
	close(fd);
	if (r)
		return -1;
	*domain = st.out_domain;
	return (int)st.out_state;
}

/* Start `dmaownctl claim DEV` in the background; wait for its "holding" line. */
static pid_t hold(const char *dev, const char *out)
{
	char line[256] = "";
	pid_t pid;
	FILE *f;

	say("$ dmaownctl claim %s &", dev);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		if (!freopen(out, "w", stdout) || !freopen(out, "a", stderr))
			_exit(127);
		execlp("dmaownctl", "dmaownctl", "claim", dev, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		f = fopen(out, "r");
		if (f) {
			bool got = fgets(line, sizeof(line), f);

			fclose(f);
			if (got && strchr(line, '\n'))
				break;
		}
		msleep(100);
	}
	line[strcspn(line, "\n")] = 0;
	say("%s", line[0] ? line : "(no output)");
	return pid;
}

static __u32 group_flags(__u32 gid)
{
	struct dmaown_group_status st;
	int fd, r;

	fd = dmaown_open();
	if (fd < 0)
		return 0;
	r = dmaown_status(fd, gid, &st, NULL, 0);
	close(fd);
	return r ? 0 : st.out_group_flags;
}

static bool wait_group_flag(__u32 gid, __u32 flag)
{
	for (int i = 0; i < 100; i++) {
		if (group_flags(gid) & flag)
			return true;
		msleep(50);
	}
	return false;
}

/*
 * The quarantine: the edu blocked with no VM manager, handed to an
 * unmodified QEMU through vfio-pci, and blocked again after it.
 */
static void quarantine_story(const char *edu, int gid)
{
	char type[32] = "", path[256];
	struct vmm v = { 0 };
	bool zero;
	int r;

	title("Quarantine: dmaown keeps the edu blocked with no VM manager at all");
	sh("dmaownctl quarantine add %s", edu);
	sh("dmaownctl quarantine list");
	r = edu_dma(edu);
	verdict(r == EDU_BLOCKED, "quarantined: blocked, and nobody has to hold a file open");

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/type", gid);
	zero = sysfs_read(path, type, sizeof(type)) > 0 && strcmp(type, "identity");
	title("Hand it to QEMU: bind vfio-pci, then an unmodified QEMU with -device vfio-pci");
	sh("echo vfio-pci > /sys/bus/pci/devices/%s/driver_override", edu);
	sh("echo %s > /sys/bus/pci/drivers/vfio-pci/bind", edu);
	if (zero)
		wait_group_flag((__u32)gid, DMAOWN_GROUP_HANDED_OFF);
	sh("dmaownctl quarantine list");
	say("$ qemu-system-x86_64 -M q35 -m 64 -device vfio-pci,host=%s ... (qtest drives the edu as a guest driver)",
	    edu);
	r = vmm_start(&v, edu);
	if (zero) {
		r = r ? r : vmm_edu_dma(&v);
		say("inner VM: the edu's DMA %s the VM's RAM", r == EDU_LANDED ? "reached" : "did not reach");
		verdict(r == EDU_LANDED, "QEMU got the device: its DMA lands in the VM's memory");
	} else {
		vmm_print_stderr(&v);
		say("the default domain is identity here: a hand-off would open a DMA window");
		verdict(r == -ECHILD, "QEMU is refused rather than given a window (handoff_window=1 allows it)");
	}
	vmm_stop(&v, SIGTERM);

	title("QEMU has exited: the edu tries its DMA to host memory");
	r = edu_dma(edu);
	verdict(r == EDU_BLOCKED, "after QEMU, the edu's DMA is still blocked");

	title("vfio-pci lets go: dmaown holds the group again; then the quarantine is lifted");
	sh("echo %s > /sys/bus/pci/drivers/vfio-pci/unbind", edu);
	sh("echo > /sys/bus/pci/devices/%s/driver_override", edu);
	verdict(wait_group_flag((__u32)gid, DMAOWN_GROUP_HELD) && edu_dma(edu) == EDU_BLOCKED,
		"held by the quarantine again, and blocked");
	sh("dmaownctl quarantine remove %s", edu);
	if (zero && cmdline_has("iommu=pt"))
		sh("echo identity > %s", path);
	r = edu_dma(edu);
	verdict(r == EDU_LANDED, "out of quarantine, the edu's DMA reaches memory again");
}

int main(void)
{
	const char *edu = topo("EDU_LONE", "0000:00:03.0");
	char path[256], out[] = "/tmp/demo-hold.out", line[256] = "";
	__u32 domain = 0;
	struct utsname u;
	struct kmsg k;
	int gid, r, state, st;
	pid_t holder;
	FILE *f;

	printf("TAP version 13\n1..%d\n", STEPS);
	gid = pci_group(edu);
	uname(&u);
	say("dmaown demo: Linux %s, %s", u.release, cmdline_has("iommu=pt") ?
	    "iommu=pt: a device without a driver does DMA straight to memory" :
	    "iommu=nopt");

	title("What the module offers on this kernel");
	sh("dmaownctl info");

	title("Every IOMMU group, and whether it can be handed to a VM");
	sh("dmaownctl list");

	title("The lone edu device: its DMA engine copies a page, RAM -> edu -> RAM");
	r = edu_dma(edu);
	verdict(r == EDU_LANDED, "before the claim, the edu's DMA reaches memory");

	title("A VM manager claims the edu's group");
	holder = hold(edu, out);
	sh("dmaownctl status %s", edu);
	state = group_state((__u32)gid, &domain);
	verdict(holder > 0 && state == DMAOWN_STATE_BUSY && domain == DMAOWN_DOMAIN_BLOCKING,
		"claimed: the group is busy and on a blocking domain");

	title("A kernel driver (" BAD_DRIVER ", not DMA-safe) tries to bind to the claimed edu");
	kmsg_begin(&k);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", edu);
	sh("echo %s > %s", BAD_DRIVER, path);
	r = sh("echo %s > /sys/bus/pci/drivers/%s/bind", edu, BAD_DRIVER);
	kmsg_wait(&k, "denied bind", NULL, 1, 2000);
	show_kmsg(&k, "denied bind", NULL, 2);
	sh("echo > %s", path);
	verdict(r != 0 && !pci_has_driver(edu, BAD_DRIVER), "the bind is refused");

	title("The edu tries its DMA again, while claimed");
	r = edu_dma(edu);
	kmsg_wait(&k, DMAR_FAULT_A, DMAR_FAULT_B, 1, 2000);
	show_kmsg(&k, DMAR_FAULT_A, DMAR_FAULT_B, 2);
	kmsg_end(&k);
	verdict(r == EDU_BLOCKED, "while claimed, the edu's DMA is blocked (an IOMMU fault)");

	title("The VM manager exits: the claim ends with its file");
	say("$ kill -TERM %d", (int)holder);
	if (holder > 0) {
		kill(holder, SIGTERM);
		waitpid(holder, &st, 0);
	}
	f = fopen(out, "r");
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (strstr(line, "released")) {
				line[strcspn(line, "\n")] = 0;
				say("%s", line);
			}
		fclose(f);
	}
	sh("dmaownctl status %s", edu);
	state = group_state((__u32)gid, &domain);
	verdict(state == DMAOWN_STATE_FREE && domain == DMAOWN_DOMAIN_DEFAULT,
		"released: the group is free, on its default domain");

	title("The edu's DMA, once more");
	r = edu_dma(edu);
	verdict(r == EDU_LANDED, "after the release, the edu's DMA reaches memory again");

	quarantine_story(edu, gid);

	title(failed ? "Something did not go as shown: see above" : "That's dmaown");
	return failed ? 1 : 0;
}
