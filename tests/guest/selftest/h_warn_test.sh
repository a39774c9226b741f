#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Harness self-test: a real WARN() (tests/guest/selftest/module). Expect:
# 1 passed and "kernel log: WARNING (during h_warn_test.sh)".
echo "TAP version 13"
echo "1..1"
insmod /tests/modules/vmtest_crash.ko action=warn 2>/dev/null
if dmesg | grep -q 'vmtest_crash: a warning on purpose'; then
	echo "ok 1 - WARN() fired"
else
	echo "not ok 1 - WARN() fired"
fi
