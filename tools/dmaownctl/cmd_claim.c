// SPDX-License-Identifier: GPL-2.0
/*
 * dmaownctl claim: claim groups, all or nothing, and hold them while COMMAND runs
 * or until a signal.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dmaownctl.h"

static const char usage_claim[] =
	"Usage: dmaownctl claim GROUP|DEVICE... [-- COMMAND [ARGS...]]\n"
	"\n"
	"Claim every group or device named (all or nothing), then hold the claim:\n"
	"while COMMAND runs, or, without COMMAND, until SIGINT or SIGTERM. The\n"
	"claim is released when dmaownctl exits (and COMMAND has closed its copy).\n"
	"COMMAND inherits the open " DMAOWN_NODE " descriptor; its number is in\n"
	"$" FD_ENV " and the claimed group ids in $" GROUPS_ENV ". SIGINT, SIGTERM,\n"
	"SIGHUP and SIGQUIT are forwarded to COMMAND, and dmaownctl exits with\n"
	"COMMAND's status (128+N when it was killed by signal N).\n"
	"\n"
	"  -h, --help   this text\n";

static void release_all(int fd, struct target *t, int n)
{
	char desc[160];
	int i, r;

	for (i = n - 1; i >= 0; i--) {
		if (!t[i].claimed)
			continue;
		r = node_release(fd, &t[i]);
		if (r == -ENODEV)
			err("%s: the claim had been revoked (a device left the group)",
			    target_desc(&t[i], desc, sizeof(desc)));
		else if (r)
			err("release of %s: %s (closing the descriptor releases it)",
			    target_desc(&t[i], desc, sizeof(desc)), strerror(-r));
		t[i].claimed = false;
	}
}

/* Explain a failed claim of @t; returns the exit code. */
static int claim_error(int fd, const struct target *t, int e)
{
	char desc[160], holder[128];
	struct gstat g;
	char *why;
	int code;

	target_desc(t, desc, sizeof(desc));
	switch (e) {
	case ENOENT:
		if (t->is_device)
			err("cannot claim %s: no such device", desc);
		else
			err("cannot claim %s: no such group (see 'dmaownctl list')", desc);
		return XC_NOENT;
	case ENODEV:
		err("cannot claim %s: no IOMMU group (is the IOMMU enabled?)", desc);
		return XC_NOGROUP;
	case EPERM:
	case EACCES:
		err("cannot claim %s: permission denied", desc);
		return XC_PERM;
	case EAGAIN:
		err("cannot claim %s: the bind guard is disarmed (kprobes disabled), %s", desc,
		    "the only defence on this kernel: retry once kprobes are enabled again");
		return XC_BUSY;
	case EINTR:
		err("cannot claim %s: interrupted by a signal; nothing was claimed", desc);
		return XC_FAIL;
	case EBUSY:
		break;
	default:
		err("cannot claim %s: %s", desc, strerror(e));
		return XC_FAIL;
	}
	/* EBUSY: owned elsewhere, refused by the kernel, or not viable. Status says which. */
	if (!t->group_known || group_status(fd, t->group, &g)) {
		err("cannot claim %s: busy or not viable", desc);
		return XC_BUSY;
	}
	if (g.st.out_state != DMAOWN_STATE_BUSY && (g.st.out_group_flags & REFUSING_FLAGS)) {
		why = refusal_text(&g);
		if (t->is_device)
			err("cannot claim %s: group %u: %s", desc, g.id, why);
		else
			err("cannot claim %s: %s", desc, why);
		free(why);
		code = XC_BUSY;
	} else if (g.st.out_state == DMAOWN_STATE_BUSY || g.st.out_viable) {
		holder_text(&g, holder, sizeof(holder));
		if (g.st.out_state != DMAOWN_STATE_BUSY)
			snprintf(holder, sizeof(holder), "held by another owner");
		if (t->is_device)
			err("cannot claim %s: group %u is busy: %s", desc, g.id, holder);
		else
			err("cannot claim %s: busy: %s", desc, holder);
		code = XC_BUSY;
	} else {
		why = viability_reason(&g);
		if (t->is_device)
			err("cannot claim %s: group %u is not viable: %s", desc, g.id, why);
		else
			err("cannot claim %s: not viable: %s", desc, why);
		free(why);
		code = XC_NOTVIABLE;
	}
	gstat_free(&g);
	return code;
}

/* "group 7 (0000:00:03.0), group 9 (...)" for what @t holds. */
static char *held_text(int fd, const struct target *t, int n)
{
	char *buf = NULL;
	size_t len = 0;
	struct gstat g;
	unsigned int k;
	int i, j;
	FILE *f;

	f = open_memstream(&buf, &len);
	if (!f) {
		err("out of memory");
		exit(XC_FAIL);
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++)
			if (t[j].group == t[i].group)
				break;
		if (j < i)
			continue;
		fprintf(f, "%sgroup %u", i ? ", " : "", t[i].group);
		if (!group_status(fd, t[i].group, &g)) {
			fputs(" (", f);
			for (k = 0; k < g.n; k++) {
				fputs(k ? " " : "", f);
				put_safe(f, g.dev[k].name, sizeof(g.dev[k].name));
			}
			fputc(')', f);
			gstat_free(&g);
		}
	}
	fclose(f);
	return buf;
}

static char *groups_env(const struct target *t, int n)
{
	char *buf = NULL;
	size_t len = 0;
	bool first = true;
	int i, j;
	FILE *f;

	f = open_memstream(&buf, &len);
	if (!f) {
		err("out of memory");
		exit(XC_FAIL);
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++)
			if (t[j].group == t[i].group)
				break;
		if (j < i)
			continue;
		fprintf(f, "%s%u", first ? "" : " ", t[i].group);
		first = false;
	}
	fclose(f);
	return buf;
}

/*
 * After our descriptor is closed: if a group is still owned through a copy
 * that COMMAND passed on, say so (the claim lives as long as the file).
 */
static void warn_if_still_held(const struct target *t, int n)
{
	struct gstat g;
	int fd, i;

	fd = open(DMAOWN_NODE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	for (i = 0; i < n; i++) {
		if (group_status(fd, t[i].group, &g))
			continue;
		if (g.st.out_state == DMAOWN_STATE_BUSY &&
		    g.st.out_owner_pid == (__u32)getpid())
			err("group %u is still held: a process that inherited %s keeps it open",
			    g.id, FD_ENV);
		gstat_free(&g);
	}
	close(fd);
}

/*
 * Wait for one of the signals of @sfd (a signalfd), and watch @fd: POLLERR
 * on /dev/dmaown means one of this file's claims was revoked (a device left
 * its group, or a driver got bound). Say so once; the rest stays held.
 * Returns the signal number, or -errno.
 */
static int wait_signal(int sfd, int fd, bool *revoked, struct signalfd_siginfo *si)
{
	struct pollfd p[2];
	ssize_t r;

	for (;;) {
		p[0].fd = sfd;
		p[0].events = POLLIN;
		p[1].fd = *revoked ? -1 : fd;
		p[1].events = 0;
		p[0].revents = 0;
		p[1].revents = 0;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (p[1].revents & (POLLERR | POLLHUP)) {
			*revoked = true;
			err("a claim was revoked: %s",
			    "a device left its group or a driver was bound (see dmesg)");
		}
		if (!(p[0].revents & POLLIN))
			continue;
		r = read(sfd, si, sizeof(*si));
		if (r == sizeof(*si))
			return (int)si->ssi_signo;
		if (r < 0 && errno != EINTR && errno != EAGAIN)
			return -errno;
	}
}

static const int fwd_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

static int run_command(int fd, struct target *t, int n, char **cmd)
{
	struct signalfd_siginfo si;
	bool revoked = false;
	sigset_t set, old;
	char num[16], *groups;
	int pipefd[2], status, e = 0, sig, sfd;
	size_t i;
	ssize_t r;
	pid_t pid;

	sigemptyset(&set);
	for (i = 0; i < ARRAY_SIZE(fwd_signals); i++)
		sigaddset(&set, fwd_signals[i]);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0 || pipe2(pipefd, O_CLOEXEC)) {
		err("signalfd/pipe: %s", strerror(errno));
		return XC_FAIL;
	}
	groups = groups_env(t, n);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err("fork: %s", strerror(errno));
		return XC_FAIL;
	}
	if (!pid) {
		close(pipefd[0]);
		/* Hand the claim's descriptor to COMMAND. */
		if (fcntl(fd, F_SETFD, 0) == 0) {
			snprintf(num, sizeof(num), "%d", fd);
			setenv(FD_ENV, num, 1);
			setenv(GROUPS_ENV, groups, 1);
			sigprocmask(SIG_SETMASK, &old, NULL);
			execvp(cmd[0], cmd);
		}
		e = errno;
		if (write(pipefd[1], &e, sizeof(e)) < 0)
			_exit(XC_EXEC_FAIL);
		_exit(e == ENOENT ? XC_EXEC_NOENT : XC_EXEC_FAIL);
	}
	close(pipefd[1]);
	free(groups);
	do {
		r = read(pipefd[0], &e, sizeof(e));
	} while (r < 0 && errno == EINTR);
	close(pipefd[0]);
	if (r == sizeof(e)) {
		waitpid(pid, &status, 0);
		release_all(fd, t, n);
		close(fd);
		err("cannot run '%s': %s; claim released", cmd[0], strerror(e));
		return e == ENOENT ? XC_EXEC_NOENT : XC_EXEC_FAIL;
	}
	for (;;) {
		sig = wait_signal(sfd, fd, &revoked, &si);
		if (sig < 0) {
			err("waiting for '%s': %s", cmd[0], strerror(-sig));
			waitpid(pid, &status, 0);
			break;
		}
		if (sig == SIGCHLD) {
			r = waitpid(pid, &status, WNOHANG);
			if (r == pid)
				break;
			continue;
		}
		/*
		 * A signal from the terminal already went to the whole
		 * foreground process group, COMMAND included.
		 */
		if (si.ssi_code == SI_KERNEL && getpgid(pid) == getpgrp())
			continue;
		kill(pid, sig);
	}
	/* Release: the claim ends when the last copy of the file is closed. */
	close(fd);
	close(sfd);
	warn_if_still_held(t, n);
	if (WIFSIGNALED(status)) {
		sig = WTERMSIG(status);
		err("'%s' (pid %d) was killed by signal %d (%s); claim released", cmd[0], pid, sig,
		    strsignal(sig));
		return 128 + sig;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : XC_FAIL;
}

static int hold(int fd, struct target *t, int n)
{
	struct signalfd_siginfo si;
	bool revoked = false;
	sigset_t set;
	int sig, sfd;
	char *held;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0) {
		err("signalfd: %s", strerror(errno));
		return XC_FAIL;
	}
	held = held_text(fd, t, n);
	printf("dmaownctl[%d]: holding %s; Ctrl-C or SIGTERM releases\n", (int)getpid(), held);
	fflush(stdout);
	sig = wait_signal(sfd, fd, &revoked, &si);
	release_all(fd, t, n);
	close(fd);
	close(sfd);
	printf("dmaownctl[%d]: released %s on %s\n", (int)getpid(), held,
	       sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : sig == SIGHUP ? "SIGHUP" :
	       sig > 0 ? strsignal(sig) : strerror(-sig));
	fflush(stdout);
	free(held);
	return sig > 0 ? XC_OK : XC_FAIL;
}

static int run_claim(int argc, char **argv)
{
	struct target *t;
	char **cmd = NULL, **ops;
	int fd, r, i, n = 0, nops, end;

	/*
	 * Everything after the first "--" is COMMAND, never options: getopt
	 * sees only what comes before it, options and operands in any order.
	 */
	for (end = 1; end < argc && strcmp(argv[end], "--"); end++)
		;
	r = parse_opts(end, argv, usage_claim, NULL, &ops, &nops);
	if (r >= 0) {
		free(ops);
		return r;
	}
	if (!nops) {
		if (end < argc)
			err("claim: no GROUP or DEVICE before '--'");
		else
			err("claim: expected at least one GROUP or DEVICE");
		fputs(usage_claim, stderr);
		free(ops);
		return XC_USAGE;
	}
	if (end < argc) {
		if (end + 1 == argc) {
			err("claim: no COMMAND after '--'");
			free(ops);
			return XC_USAGE;
		}
		cmd = argv + end + 1;
	}
	t = xcalloc(nops, sizeof(*t));
	for (i = 0; i < nops; i++) {
		if (!parse_target(ops[i], &t[n++])) {
			free(ops);
			free(t);
			return XC_USAGE;
		}
	}
	free(ops);
	/* one group: its node will do for a user who was given it */
	fd = open_node(targets_one_group(t, n));
	for (i = 0; i < n; i++) {
		r = resolve_target(&t[i]);
		if (r)
			goto out;	/* nothing claimed yet */
	}
	for (i = 0; i < n; i++) {
		r = node_claim(fd, &t[i]);
		if (r == -EALREADY)
			continue;	/* an earlier argument holds that group */
		if (r) {
			r = claim_error(fd, &t[i], -r);
			release_all(fd, t, n);
			goto out;
		}
		t[i].claimed = true;
	}
	/* Both close @fd: the claim ends with it. */
	r = cmd ? run_command(fd, t, n, cmd) : hold(fd, t, n);
	free(t);
	return r;
out:
	close(fd);
	free(t);
	return r;
}

const struct command cmd_claim = {
	.name = "claim",
	.synopsis = "claim GROUP|DEVICE... [-- COMMAND...]",
	.summary = "claim, then hold while COMMAND runs\n"
		   "(or, without COMMAND, until SIGINT/SIGTERM)",
	.usage = usage_claim,
	.run = run_claim,
};
