#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Harness self-test of the debug kernel's checkers (scripts/debug-kernel): a
# leak, a lock-order inversion and an out-of-bounds read, in that order
# (KASAN's report turns lockdep off). On any other kernel it skips. Expect,
# on the debug kernel: 3 passed; kernel log: WARNING (lockdep's report) and
# BUG (KASAN's) during x_debug_test.sh; kmemleak: leaked objects of
# vmtest_crash (how many it finds varies: an address may linger where it
# scans); and init's last check: lockdep turned itself off.
echo "TAP version 13"
case $(uname -r) in
*-dmaown-debug) ;;
*) echo "1..0 # SKIP not the debug kernel"; exit 4 ;;
esac
echo "1..3"
n=0
for action in leak lockdep kasan; do
	n=$((n + 1))
	insmod /tests/modules/vmtest_crash.ko action=$action 2>/dev/null
	case $action in
	leak) seen=1 ;; # kmemleak speaks after the last test
	lockdep) dmesg | grep -q 'possible circular locking dependency' && seen=1 || seen=0 ;;
	kasan) dmesg | grep -q 'BUG: KASAN: slab-out-of-bounds' && seen=1 || seen=0 ;;
	esac
	if [ "$seen" = 1 ]; then
		echo "ok $n - $action: provoked"
	else
		echo "not ok $n - $action: provoked, yet the kernel said nothing"
	fi
done
