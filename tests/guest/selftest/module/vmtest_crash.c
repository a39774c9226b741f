// SPDX-License-Identifier: GPL-2.0
/*
 * Harness self-test only (scripts/vm-selftest): provoke a real kernel splat
 * so that the test of the harness sees what a buggy dmaown would print.
 *
 *   insmod vmtest_crash.ko action=warn   WARN(), then the load fails (-EAGAIN)
 *   insmod vmtest_crash.ko action=oops   NULL pointer write: an oops that
 *                                        kills insmod; the kernel goes on
 */
#include <linux/bug.h>
#include <linux/module.h>
#include <linux/string.h>

static char *action = "none";
module_param(action, charp, 0);

static int __init vmtest_crash_init(void)
{
	int *volatile p = NULL;

	if (!strcmp(action, "warn")) {
		WARN(1, "vmtest_crash: a warning on purpose\n");
		return -EAGAIN;
	}
	if (!strcmp(action, "oops"))
		*p = 1;
	return -EINVAL;
}
module_init(vmtest_crash_init);

MODULE_DESCRIPTION("dmaown VM harness self-test: provoke a WARN or an oops");
MODULE_LICENSE("GPL");
