#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Harness self-test: plan 3, one result, then a crash. Expect: 1 passed,
# "planned 3 tests, reported 1" and "exited with rc=139 ...".
echo "TAP version 13"
echo "1..3"
echo "ok 1 - before the crash"
kill -SEGV $$
