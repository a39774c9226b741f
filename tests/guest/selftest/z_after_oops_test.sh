#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Harness self-test: must never run (y_oops_test.sh oopsed the kernel).
echo "TAP version 13"
echo "1..1"
echo "ok 1 - ran after an oops"
