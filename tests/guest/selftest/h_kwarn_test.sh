#!/bin/sh
# Harness self-test: a WARNING and a BUG line in the kernel log (written to
# /dev/kmsg; the real ones come from WARN() and BUG()). Expect: 1 passed and
# the failures "kernel log: WARNING (during h_kwarn_test.sh)" and
# "kernel log: BUG (during h_kwarn_test.sh)".
echo "TAP version 13"
echo "1..1"
echo "<4>WARNING: CPU: 0 PID: $$ at selftest.c:1 selftest+0x0/0x0" > /dev/kmsg
echo "<1>BUG: selftest line, not a real one" > /dev/kmsg
echo "ok 1 - wrote the lines"
