#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Harness self-test: no plan. Expect: 1 passed and "printed no TAP plan".
echo "ok 1 - orphan"
