#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Harness self-test: hangs, ignores SIGTERM, and leaves a child behind.
# Expect (with --test-timeout 10): "timed out" and "printed no TAP plan"...
# as one program failure each, and the next test still runs.
trap '' TERM
echo "TAP version 13"
sleep 1000 &
sleep 1000
