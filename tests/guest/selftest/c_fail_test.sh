#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Harness self-test: one pass, one failure. Expect: 1 passed, 1 failed.
echo "TAP version 13"
echo "1..2"
echo "ok 1 - good"
echo "not ok 2 - bad"
exit 1
