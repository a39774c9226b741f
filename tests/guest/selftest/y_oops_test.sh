#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Harness self-test: a real oops (NULL pointer write in a module's init).
# The kernel goes on; this test then hangs, and init must kill it soon (not
# after --test-timeout) and run no further test. Expect: 1 passed, "killed:
# the kernel oopsed while it ran", "kernel log: BUG" and "kernel log: Oops"
# (during y_oops_test.sh), and z_after_oops_test.sh "did not run".
echo "TAP version 13"
echo "1..1"
insmod /tests/modules/vmtest_crash.ko action=oops 2>/dev/null
t=$(cat /proc/sys/kernel/tainted)
if [ $((t & 128)) -ne 0 ]; then
	echo "ok 1 - the kernel oopsed (tainted=$t)"
else
	echo "not ok 1 - the kernel oopsed (tainted=$t)"
fi
sleep 600
