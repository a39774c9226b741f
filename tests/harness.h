/* SPDX-License-Identifier: GPL-2.0 */
/*
 * harness.h - a small kselftest-like harness for dmaown's in-guest tests.
 *
 * Written from scratch; it keeps the kselftest names so that the tests read
 * like tools/testing/selftests:
 *
 *	TEST(name) { ... }			one test
 *	TEST_TIMEOUT(name, secs) { ... }	same, with its own timeout
 *	FIXTURE(f) { int fd; };			per-test state (FIXTURE_DATA(f))
 *	FIXTURE_SETUP(f) { self->fd = ...; }
 *	FIXTURE_TEARDOWN(f) { ... }		runs even if setup or the test
 *						failed or skipped: undo only
 *						what was done
 *	TEST_F(f, name) { ... self->fd ... }
 *	TEST_F_TIMEOUT(f, name, secs) { ... }
 *	TEST_HARNESS_MAIN
 *
 * Checks: EXPECT_* records a failure and goes on; ASSERT_* records it and
 * leaves the test (then the teardown runs). EQ/NE/LT/LE/GT/GE compare as
 * long long (ASSERT_EQ(expected, seen)); TRUE/FALSE; STREQ/STRNE;
 * OK(call) wants 0 and prints errno otherwise; ERRNO(e, call) wants -1 with
 * errno e. SKIP(fmt, ...) leaves the test as skipped. TH_LOG(fmt, ...)
 * prints a "# " diagnostic.
 *
 * Each test runs in a forked child, in its own process group (killed when
 * it ends), with an alarm: on timeout the test fails and its teardown still
 * runs, with a grace period. ASSERT_* and SKIP may only be used from the
 * test's own thread; in other threads use EXPECT_*. In a process the test
 * forked, a failed ASSERT_* exits that process with status 1.
 *
 * Output is TAP 13; the exit code is 1 when a test failed. Arguments, if
 * any, select tests by name ("fixture.name", or "fixture" for all of it).
 */
#ifndef DMAOWN_HARNESS_H
#define DMAOWN_HARNESS_H

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef HARNESS_TIMEOUT
#define HARNESS_TIMEOUT 60
#endif
#define HARNESS_GRACE 20 /* seconds for the teardown after a timeout */
#define KSFT_SKIP 4

struct __test_metadata {
	const char *name;
	void (*fn)(struct __test_metadata *);
	unsigned int timeout;
	struct __test_metadata *next;
	/* state of the run, in the test's child */
	volatile int failed, skipped, in_teardown;
	sigjmp_buf env;
};

static struct __test_metadata *__th_head, **__th_tail = &__th_head;
static struct __test_metadata *__th_cur;
static pid_t __th_test_pid, __th_main_tid;
static char *__th_reason; /* shared with the parent: the SKIP reason */

static inline const char *th_errname(int e)
{
	const char *s = strerrorname_np(e);

	return s ? s : "?";
}

static inline void __attribute__((format(printf, 1, 2))) th_diag(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("# %s\n", buf);
	fflush(stdout);
}

#define TH_LOG(fmt, ...) th_diag("%s:%d: " fmt, __FILE__, __LINE__, ##__VA_ARGS__)

static inline void __attribute__((format(printf, 5, 6)))
__th_fail(struct __test_metadata *m, const char *file, int line, bool leave, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	th_diag("%s:%d: %s", file, line, buf);
	m->failed = 1;
	if (!leave)
		return;
	if (getpid() != __th_test_pid)
		_exit(1); /* a process the test forked */
	siglongjmp(m->env, 1);
}

#define __TH_CMP(leave, expected, seen, op)                                                    \
	do {                                                                                   \
		long long __e = (long long)(expected), __s = (long long)(seen);                \
		if (!(__e op __s))                                                             \
			__th_fail(_metadata, __FILE__, __LINE__, leave,                        \
				  "expected %s (%lld) " #op " %s (%lld)", #expected, __e, #seen, \
				  __s);                                                        \
	} while (0)

#define EXPECT_EQ(e, s) __TH_CMP(false, e, s, ==)
#define EXPECT_NE(e, s) __TH_CMP(false, e, s, !=)
#define EXPECT_LT(e, s) __TH_CMP(false, e, s, <)
#define EXPECT_LE(e, s) __TH_CMP(false, e, s, <=)
#define EXPECT_GT(e, s) __TH_CMP(false, e, s, >)
#define EXPECT_GE(e, s) __TH_CMP(false, e, s, >=)
#define ASSERT_EQ(e, s) __TH_CMP(true, e, s, ==)
#define ASSERT_NE(e, s) __TH_CMP(true, e, s, !=)
#define ASSERT_LT(e, s) __TH_CMP(true, e, s, <)
#define ASSERT_LE(e, s) __TH_CMP(true, e, s, <=)
#define ASSERT_GT(e, s) __TH_CMP(true, e, s, >)
#define ASSERT_GE(e, s) __TH_CMP(true, e, s, >=)

#define __TH_BOOL(leave, cond, want)                                                  \
	do {                                                                          \
		if ((!!(cond)) != (want))                                             \
			__th_fail(_metadata, __FILE__, __LINE__, leave, "%s is %s", #cond, \
				  (want) ? "false" : "true");                         \
	} while (0)
#define EXPECT_TRUE(c) __TH_BOOL(false, c, true)
#define EXPECT_FALSE(c) __TH_BOOL(false, c, false)
#define ASSERT_TRUE(c) __TH_BOOL(true, c, true)
#define ASSERT_FALSE(c) __TH_BOOL(true, c, false)

#define __TH_STR(leave, e, s, want_eq)                                                     \
	do {                                                                               \
		const char *__e = (e), *__s = (s);                                         \
		if ((strcmp(__e, __s) == 0) != (want_eq))                                  \
			__th_fail(_metadata, __FILE__, __LINE__, leave, "%s \"%s\" %s %s \"%s\"", \
				  #e, __e, (want_eq) ? "!=" : "==", #s, __s);                \
	} while (0)
#define EXPECT_STREQ(e, s) __TH_STR(false, e, s, true)
#define EXPECT_STRNE(e, s) __TH_STR(false, e, s, false)
#define ASSERT_STREQ(e, s) __TH_STR(true, e, s, true)
#define ASSERT_STRNE(e, s) __TH_STR(true, e, s, false)

/* call must return 0 */
#define __TH_OK(leave, call)                                                                  \
	do {                                                                                  \
		errno = 0;                                                                    \
		long __r = (long)(call);                                                      \
		int __err = errno;                                                            \
		if (__r != 0)                                                                 \
			__th_fail(_metadata, __FILE__, __LINE__, leave, "%s = %ld (errno %s: %s)", \
				  #call, __r, th_errname(__err), strerror(__err));            \
	} while (0)
#define EXPECT_OK(call) __TH_OK(false, call)
#define ASSERT_OK(call) __TH_OK(true, call)

/* call must fail: return -1 with errno e */
#define __TH_ERRNO(leave, e, call)                                                         \
	do {                                                                               \
		int __want = (e);                                                          \
		errno = 0;                                                                 \
		long __r = (long)(call);                                                   \
		int __err = errno;                                                         \
		if (__r != -1 || __err != __want)                                          \
			__th_fail(_metadata, __FILE__, __LINE__, leave,                    \
				  "%s = %ld (errno %s), expected -1 (errno %s)", #call, __r, \
				  __r == -1 ? th_errname(__err) : "-", th_errname(__want));  \
	} while (0)
#define EXPECT_ERRNO(e, call) __TH_ERRNO(false, e, call)
#define ASSERT_ERRNO(e, call) __TH_ERRNO(true, e, call)

#define SKIP(fmt, ...)                                                                  \
	do {                                                                            \
		snprintf(__th_reason, 512, fmt, ##__VA_ARGS__);                         \
		_metadata->skipped = 1;                                                 \
		siglongjmp(_metadata->env, 1);                                          \
	} while (0)

/* Registration, in definition order (constructors run in that order). */
#define __TH_REGISTER(tname, func, secs)                                          \
	static struct __test_metadata __meta_##func = { .name = tname, .fn = func, \
							.timeout = secs };         \
	static void __attribute__((constructor)) __reg_##func(void)               \
	{                                                                         \
		*__th_tail = &__meta_##func;                                      \
		__th_tail = &__meta_##func.next;                                  \
	}

#define TEST(name) TEST_TIMEOUT(name, HARNESS_TIMEOUT)
#define TEST_TIMEOUT(name, secs)                                    \
	static void __test_##name(struct __test_metadata *_metadata); \
	__TH_REGISTER(#name, __test_##name, secs)                     \
	static void __test_##name(struct __test_metadata __th_unused *_metadata)

#define FIXTURE(f) struct __fixture_##f
#define FIXTURE_DATA(f) struct __fixture_##f
#define __th_unused __attribute__((unused))
#define FIXTURE_SETUP(f)                                                     \
	static void __setup_##f(struct __test_metadata __th_unused *_metadata, \
				struct __fixture_##f __th_unused *self)
#define FIXTURE_TEARDOWN(f)                                                     \
	static void __teardown_##f(struct __test_metadata __th_unused *_metadata, \
				   struct __fixture_##f __th_unused *self)

#define TEST_F(f, name) TEST_F_TIMEOUT(f, name, HARNESS_TIMEOUT)
#define TEST_F_TIMEOUT(f, name, secs)                                                     \
	static void __body_##f##_##name(struct __test_metadata *, struct __fixture_##f *);  \
	static void __test_##f##_##name(struct __test_metadata *_metadata)                  \
	{                                                                                   \
		static struct __fixture_##f self; /* static: survives siglongjmp */          \
		if (sigsetjmp(_metadata->env, 1) == 0) {                                    \
			__setup_##f(_metadata, &self);                                       \
			if (!_metadata->failed)                                              \
				__body_##f##_##name(_metadata, &self);                       \
		}                                                                           \
		_metadata->in_teardown = 1;                                                 \
		if (sigsetjmp(_metadata->env, 1) == 0)                                      \
			__teardown_##f(_metadata, &self);                                    \
	}                                                                                   \
	__TH_REGISTER(#f "." #name, __test_##f##_##name, secs)                              \
	static void __body_##f##_##name(struct __test_metadata __th_unused *_metadata,      \
					struct __fixture_##f __th_unused *self)

static inline void __th_alarm(int sig)
{
	struct __test_metadata *m = __th_cur;

	if (gettid() != __th_main_tid) { /* bounce to the test's thread */
		syscall(SYS_tgkill, getpid(), __th_main_tid, sig);
		return;
	}
	m->failed = 1;
	if (m->in_teardown) {
		th_diag("timeout in teardown");
		_exit(1);
	}
	th_diag("timeout after %u s", m->timeout);
	m->in_teardown = 1;
	alarm(HARNESS_GRACE);
	siglongjmp(m->env, 1);
}

static inline void __th_child(struct __test_metadata *t)
{
	struct sigaction sa = { .sa_handler = __th_alarm };

	setpgid(0, 0);
	__th_cur = t;
	__th_test_pid = getpid();
	__th_main_tid = gettid();
	sigaction(SIGALRM, &sa, NULL);
	alarm(t->timeout);
	if (sigsetjmp(t->env, 1) == 0)
		t->fn(t);
	alarm(0);
	fflush(stdout);
	_exit(t->failed ? 1 : t->skipped ? KSFT_SKIP : 0);
}

static inline bool __th_selected(const char *name, int argc, char **argv)
{
	size_t n;

	if (argc < 2)
		return true;
	for (int i = 1; i < argc; i++) {
		n = strlen(argv[i]);
		if (!strcmp(name, argv[i]) || (!strncmp(name, argv[i], n) && name[n] == '.'))
			return true;
	}
	return false;
}

static inline int __th_run(int argc, char **argv)
{
	unsigned int plan = 0, nr = 0, pass = 0, fail = 0, skip = 0;
	struct __test_metadata *t;
	int status;
	pid_t pid;

	__th_reason = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (__th_reason == MAP_FAILED)
		return 1;
	for (t = __th_head; t; t = t->next)
		plan += __th_selected(t->name, argc, argv);
	printf("TAP version 13\n1..%u\n", plan);
	for (t = __th_head; t; t = t->next) {
		if (!__th_selected(t->name, argc, argv))
			continue;
		nr++;
		__th_reason[0] = 0;
		fflush(stdout);
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0)
			__th_child(t);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		kill(-pid, SIGKILL); /* whatever the test left behind */
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			pass++;
			printf("ok %u - %s\n", nr, t->name);
		} else if (WIFEXITED(status) && WEXITSTATUS(status) == KSFT_SKIP) {
			skip++;
			printf("ok %u - %s # SKIP %s\n", nr, t->name, __th_reason);
		} else {
			fail++;
			if (WIFSIGNALED(status))
				th_diag("%s: killed by signal %d", t->name, WTERMSIG(status));
			printf("not ok %u - %s\n", nr, t->name);
		}
	}
	printf("# totals: pass %u fail %u skip %u\n", pass, fail, skip);
	fflush(stdout);
	return fail ? 1 : 0;
}

#define TEST_HARNESS_MAIN                      \
	int main(int argc, char **argv)        \
	{                                      \
		return __th_run(argc, argv);   \
	}

#endif /* DMAOWN_HARNESS_H */
