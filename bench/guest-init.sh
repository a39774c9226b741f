#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the benchmark VM that scripts/bench boots (busybox ash). It is
# packed as /init over scripts/vm-mkinitramfs's image, with the programs in
# /bench/ and the settings in /etc/dmaown-bench. It loads the topology's
# drivers and dmaown, runs /bench/guest-run.sh, copies its output to the
# second serial port (the host's result file), and powers off.
export PATH=/bench:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root
umask 022

mount -t proc -o nosuid,nodev,noexec proc /proc
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
mount -t devtmpfs -o nosuid,mode=0755 devtmpfs /dev
mount -t tmpfs -o nosuid,nodev tmpfs /tmp
# for the guest's QEMU (dmaown-bench-handoff), as tests/guest/init.sh
mkdir -p /dev/shm
mount -t tmpfs -o nosuid,nodev tmpfs /dev/shm
mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs /run
mount -t debugfs -o nosuid,nodev,noexec debugfs /sys/kernel/debug

stty -F /dev/ttyS1 raw -echo 2>/dev/null
exec 9>/dev/ttyS1
emit() { printf '%s\n' "$*" >&9; }

set -a
[ -f /etc/dmaown-bench ] && . /etc/dmaown-bench
DMAOWN_MODULE=/dmaown/dmaown.ko
set +a

emit "# bench-vm: kernel $(uname -r), cmdline: $(cat /proc/cmdline)"
rc=0
for m in $(cat /etc/dmaown-modules 2>/dev/null); do
	modprobe "$m" || { emit "error step=modprobe-$m"; rc=1; }
done
if ! insmod "$DMAOWN_MODULE"; then
	emit "error step=insmod"
	rc=1
fi
if [ $rc = 0 ]; then
	# Line by line to both ports: a hang still leaves what was measured.
	/bench/guest-run.sh 2>&1 | while IFS= read -r line; do
		printf '%s\n' "$line"
		printf '%s\n' "$line" >&9
	done
	grep -q '^error ' /tmp/bench-errors 2>/dev/null && rc=1
fi
taint=$(cat /proc/sys/kernel/tainted)
emit "# bench-vm: tainted=$taint"
dmesg | grep -E 'WARNING|BUG|Oops|dmaown' | tail -n 40 | sed 's/^/# dmesg: /' >&9
emit "end rc=$rc"
exec 9>&-
sync
poweroff -f
echo o > /proc/sysrq-trigger
sleep 10
