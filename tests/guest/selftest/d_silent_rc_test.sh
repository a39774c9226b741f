#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Harness self-test: exits non-zero without a "not ok". Expect: 1 passed and
# the failure "exited with rc=3 without reporting a failure".
echo "TAP version 13"
echo "1..1"
echo "ok 1 - looks fine"
exit 3
