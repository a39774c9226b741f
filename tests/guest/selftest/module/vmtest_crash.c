// SPDX-License-Identifier: GPL-2.0
/*
 * Harness self-test only (scripts/vm-selftest): provoke a real kernel splat
 * so that the test of the harness sees what a buggy dmaown would print.
 *
 *   insmod vmtest_crash.ko action=warn   WARN(), then the load fails (-EAGAIN)
 *   insmod vmtest_crash.ko action=oops   NULL pointer write: an oops that
 *                                        kills insmod; the kernel goes on
 *
 * and, for the debug kernel's checkers (scripts/debug-kernel), each of
 * which the load then fails (-EAGAIN):
 *
 *   action=leak      64 kmalloc()s that nothing points to (kmemleak;
 *                    it misses those whose address lingers somewhere: in
 *                    CI it once reported none of four)
 *   action=lockdep   two mutexes taken in both orders (lockdep; no
 *                    deadlock: one task)
 *   action=kasan     a read one byte past a kmalloc()ed object (KASAN)
 */
#include <linux/bug.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>

static DEFINE_MUTEX(vmtest_a);
static DEFINE_MUTEX(vmtest_b);
static void *vmtest_sink;

static char *action = "none";
module_param(action, charp, 0);

static int __init vmtest_crash_init(void)
{
	int *volatile p = NULL;
	int i;

	if (!strcmp(action, "warn")) {
		WARN(1, "vmtest_crash: a warning on purpose\n");
		return -EAGAIN;
	}
	if (!strcmp(action, "oops"))
		*p = 1;
	if (!strcmp(action, "leak")) {
		/* the only pointer is overwritten: unreferenced */
		for (i = 0; i < 64; i++)
			WRITE_ONCE(vmtest_sink, kmalloc(64, GFP_KERNEL));
		WRITE_ONCE(vmtest_sink, NULL);
		return -EAGAIN;
	}
	if (!strcmp(action, "lockdep")) {
		mutex_lock(&vmtest_a);
		mutex_lock(&vmtest_b);
		mutex_unlock(&vmtest_b);
		mutex_unlock(&vmtest_a);
		mutex_lock(&vmtest_b);
		mutex_lock(&vmtest_a);
		mutex_unlock(&vmtest_a);
		mutex_unlock(&vmtest_b);
		return -EAGAIN;
	}
	if (!strcmp(action, "kasan")) {
		char *volatile q = kmalloc(16, GFP_KERNEL);

		if (q) {
			pr_info("vmtest_crash: past the end: %d\n", q[16]);
			kfree(q);
		}
		return -EAGAIN;
	}
	return -EINVAL;
}
module_init(vmtest_crash_init);

MODULE_DESCRIPTION("dmaown VM harness self-test: provoke a WARN, an oops, a leak, a lock inversion or an overflow");
MODULE_LICENSE("GPL");
