#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark run inside the VM (busybox ash), started by
# bench/guest-init.sh. Settings come from the environment (scripts/bench
# writes them to /etc/dmaown-bench):
#
#   BENCH_VFIO_DEV   edu alone in its group, bound to vfio-pci here, for the
#                    dmaown/VFIO cycle (default 0000:00:03.0)
#   BENCH_PROBE_DEV  edu alone in its group, left driver-less, for the
#                    bind/unbind loop (default 0000:00:04.0)
#   BENCH_NIC_DEV    an e1000e alone in its group, for a second bind/unbind
#                    loop with a real driver (default 0000:00:05.0; skipped
#                    when absent)
#   BENCH_HANDOFF_DEV edu alone in its group for the quarantine hand-off to
#                    the guest's QEMU (default BENCH_VFIO_DEV; it is left
#                    driver-less)
#   BENCH_FIGURES    which of "cycle scale probe probe_nic handoff" to run
#                    (default all)
#   BENCH_CYCLE_N BENCH_CYCLE_REPS, BENCH_SCALE_N BENCH_SCALE_REPS,
#   BENCH_PROBE_N BENCH_PROBE_ROUNDS, BENCH_NIC_N BENCH_NIC_ROUNDS,
#   BENCH_HANDOFF_ROUNDS BENCH_HANDOFF_WARMUPS: counts
#   (see each program's header)
#
# Every other edu (1234:11e8) alone in its group is a scale group; the
# bind/unbind loops own the first BENCH_PROBE_OWNED of them (default 64) in
# their "owned" state. Output:
# the programs' result lines, "info ..." lines about the machine, "#"
# comments, and "error figure=NAME rc=N" when a program fails (its stderr
# follows as "# stderr:" lines; /tmp/bench-errors keeps the error lines).
: "${BENCH_VFIO_DEV:=0000:00:03.0}" "${BENCH_PROBE_DEV:=0000:00:04.0}"
: "${BENCH_NIC_DEV:=0000:00:05.0}"
: "${BENCH_HANDOFF_DEV:=$BENCH_VFIO_DEV}"
# handoff last: it may switch its group's default domain type for a while
: "${BENCH_FIGURES:=cycle scale probe probe_nic handoff}"
: "${BENCH_CYCLE_N:=200}" "${BENCH_CYCLE_REPS:=7}"
: "${BENCH_SCALE_N:=30}" "${BENCH_SCALE_REPS:=5}"
: "${BENCH_PROBE_N:=60}" "${BENCH_PROBE_ROUNDS:=7}"
: "${BENCH_NIC_N:=10}" "${BENCH_NIC_ROUNDS:=5}"
: "${BENCH_HANDOFF_ROUNDS:=6}" "${BENCH_HANDOFF_WARMUPS:=1}"
: "${BENCH_PROBE_OWNED:=64}"
: "${DMAOWN_MODULE:=/dmaown/dmaown.ko}"
PATH=/bench:$PATH

group_of() {
	l=$(readlink "/sys/bus/pci/devices/$1/iommu_group") || return 1
	echo "${l##*/}"
}
driver_of() {
	l=$(readlink "/sys/bus/pci/devices/$1/driver") || return 0
	echo "${l##*/}"
}
alone() { [ "$(ls "/sys/kernel/iommu_groups/$1/devices" | wc -l)" = 1 ]; }

run() { # run FIGURE PROGRAM ARGS...
	fig=$1
	shift
	echo "# run: $*"
	t0=$(date +%s)
	"$@" 2> /tmp/bench.err
	rc=$?
	sed 's/^/# stderr: /' /tmp/bench.err
	echo "# $fig: rc=$rc in $(($(date +%s) - t0))s"
	if [ $rc != 0 ]; then
		echo "error figure=$fig rc=$rc"
		echo "error figure=$fig rc=$rc" >> /tmp/bench-errors
	fi
}

# How the guard's kprobe is armed: on the function's ftrace call site
# ("ftrace": a call into the kprobe handler) or as a breakpoint ("int3": a
# trap, far dearer under TCG), and where (debugfs kprobes/list).
guard_probe() {
	sym=$(dmesg | sed -n 's/.* loaded: .* guard=\([^ ]*\).*/\1/p' | tail -n 1)
	[ -n "$sym" ] || { echo unknown; return; }
	l=$(grep -m 1 "[[:space:]]$sym+0x" /sys/kernel/debug/kprobes/list 2>/dev/null) ||
		{ echo unknown; return; }
	at=$(echo "$l" | awk '{ print $3 }')
	case $l in
	*FTRACE*) echo "ftrace@$at" ;;
	*) echo "int3@$at" ;;
	esac
}

echo "info kernel=$(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo)" \
	"pci_devices=$(ls /sys/bus/pci/devices | wc -l)" \
	"iommu_groups=$(ls /sys/kernel/iommu_groups | wc -l)" \
	"mem_kb=$(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo)" \
	"clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)" \
	"guard_probe=$(guard_probe)"

scale=
for d in $(ls /sys/bus/pci/devices | sort); do
	[ "$d" = "$BENCH_VFIO_DEV" ] || [ "$d" = "$BENCH_PROBE_DEV" ] && continue
	[ "$(cat "/sys/bus/pci/devices/$d/vendor"):$(cat "/sys/bus/pci/devices/$d/device")" = 0x1234:0x11e8 ] || continue
	g=$(group_of "$d") || continue
	if ! alone "$g" || [ -n "$(driver_of "$d")" ]; then
		continue
	fi
	scale="$scale${scale:+,}$g"
done
echo "# scale groups: $scale"
owned=$(echo "$scale" | cut -d, -f"1-$BENCH_PROBE_OWNED")

for fig in $BENCH_FIGURES; do
	case $fig in
	cycle)
		g=$(group_of "$BENCH_VFIO_DEV") || { echo "error figure=cycle rc=no-group"; continue; }
		echo vfio-pci > "/sys/bus/pci/devices/$BENCH_VFIO_DEV/driver_override"
		[ -n "$(driver_of "$BENCH_VFIO_DEV")" ] ||
			echo "$BENCH_VFIO_DEV" > /sys/bus/pci/drivers/vfio-pci/bind
		echo "info figure=cycle device=$BENCH_VFIO_DEV group=$g driver=$(driver_of "$BENCH_VFIO_DEV")"
		run cycle dmaown-bench-cycle -g "$g" -n "$BENCH_CYCLE_N" -r "$BENCH_CYCLE_REPS"
		;;
	scale)
		[ -n "$scale" ] || { echo "error figure=scale rc=no-groups"; continue; }
		run scale dmaown-bench-scale -g "$scale" -n "$BENCH_SCALE_N" -r "$BENCH_SCALE_REPS" \
			--toggle "$BENCH_PROBE_DEV"
		;;
	probe)
		g=$(group_of "$BENCH_PROBE_DEV") || { echo "error figure=probe rc=no-group"; continue; }
		echo "info figure=probe device=$BENCH_PROBE_DEV group=$g driver=pci-stub owned=$(echo "$owned" | tr , '\n' | grep -c .)"
		run probe dmaown-bench-probe -d "$BENCH_PROBE_DEV" -D pci-stub -o "$owned" \
			-n "$BENCH_PROBE_N" -r "$BENCH_PROBE_ROUNDS" -m "$DMAOWN_MODULE"
		;;
	probe_nic)
		[ -e "/sys/bus/pci/devices/$BENCH_NIC_DEV" ] || { echo "# probe_nic: no $BENCH_NIC_DEV"; continue; }
		g=$(group_of "$BENCH_NIC_DEV") || { echo "error figure=probe_nic rc=no-group"; continue; }
		drv=$(driver_of "$BENCH_NIC_DEV")
		[ -z "$drv" ] || echo "$BENCH_NIC_DEV" > "/sys/bus/pci/drivers/$drv/unbind"
		echo "info figure=probe_nic device=$BENCH_NIC_DEV group=$g driver=e1000e owned=$(echo "$owned" | tr , '\n' | grep -c .)"
		run probe_nic dmaown-bench-probe -l probe_nic -d "$BENCH_NIC_DEV" -D e1000e -o "$owned" \
			-n "$BENCH_NIC_N" -r "$BENCH_NIC_ROUNDS" -w 1 -m "$DMAOWN_MODULE"
		;;
	handoff)
		g=$(group_of "$BENCH_HANDOFF_DEV") || { echo "error figure=handoff rc=no-group"; continue; }
		echo "info figure=handoff device=$BENCH_HANDOFF_DEV group=$g type=$(cat "/sys/kernel/iommu_groups/$g/type" 2>/dev/null)" \
			"qemu=$(qemu-system-x86_64 --version 2>/dev/null | head -n 1 | tr ' ' _)"
		run handoff dmaown-bench-handoff -d "$BENCH_HANDOFF_DEV" -r "$BENCH_HANDOFF_ROUNDS" \
			-w "$BENCH_HANDOFF_WARMUPS"
		;;
	*)
		echo "error figure=$fig rc=unknown"
		;;
	esac
done
[ ! -s /tmp/bench-errors ]
