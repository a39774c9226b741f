#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Harness self-test: two passes, one skip. Expect: 2 passed, 1 skipped.
echo "TAP version 13"
echo "1..3"
echo "ok 1 - first"
echo "ok 2 - second"
echo "ok 3 - third # SKIP on purpose"
