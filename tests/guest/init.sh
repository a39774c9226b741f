#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash disable=SC3043,SC2034 # busybox ash: has local; exports via set -a
#
# PID 1 of the dmaown test VM (busybox ash), in the manner of WireGuard's
# qemu init: set up, run the tests, report a verdict on a side channel,
# power off. scripts/vm-mkinitramfs packs it as /init; scripts/vm-test boots
# it. The conventions below are what the tests may rely on (see also
# tests/guest/README):
#
#  1. Kernel drivers: init modprobes the drivers in /etc/dmaown-modules
#     (e1000e e1000 ahci i2c-i801 lpc_ich pci-stub vfio vfio_iommu_type1
#     vfio-pci), so every device of the topology has its boot-time driver;
#     vfio-pci and pci-stub are loaded but bound to nothing. There is no
#     udev/mdev: nothing is autoloaded or autobound after that (a hot-added
#     device stays driverless unless a test binds it).
#  2. dmaown: init runs `insmod /dmaown/dmaown.ko $DMAOWN_PARAMS` once,
#     before the first test. Every test starts and must end with the module
#     loaded; a test that needs to unload or reload it does so itself (rmmod
#     dmaown; insmod "$DMAOWN_MODULE" $DMAOWN_PARAMS) and loads it again
#     before it exits.
#  3. Tests: every executable /tests/*_test and /tests/*_test.sh, in sorted
#     order (or the subset in $DMAOWN_RUN_TESTS), one at a time, as root, cwd
#     /tmp, stdin /dev/null, in a session of their own, with a timeout of
#     $DMAOWN_TEST_TIMEOUT seconds (SIGTERM, then SIGKILL to the whole
#     session). Stdout must be TAP 13 ("TAP version 13", "1..N", "ok N name",
#     "not ok N name", "ok N name # SKIP why"; "1..0 # SKIP why" skips the
#     whole program); stderr is kept as "# stderr:" diagnostics. Exit status:
#     0 pass, 4 (KSFT_SKIP) skip, anything else is a failure even without a
#     "not ok" line; no plan is a failure.
#  4. Environment: /etc/dmaown-topology (PCI addresses of the fixed topology,
#     tests/qemu/topology.sh) and /etc/dmaown-run (DMAOWN_IOMMU_MODE=pt|nopt,
#     ...) are sourced and exported to every test; /proc/cmdline carries
#     iommu=pt or iommu=nopt too. DMAOWN_MODULE=/dmaown/dmaown.ko,
#     DMAOWN_QMP_TTY=/dev/ttyS2.
#  5. Hot-plug: `dmaown-qmp` sends a QMP command to the host's QEMU over
#     /dev/ttyS2 (see tests/guest/dmaown-qmp).
#  6. Verdict: each program's output goes to the console (ttyS0) and, framed
#     by "# test: NAME" and "# end: NAME rc=N time=Ns", to /dev/ttyS1; then
#     the whole dmesg, the taint, and a last line "rc=N" (the number of
#     failed programs, boot checks included). The host decides the verdict
#     from that stream and the console log (WARNING, BUG, Oops, ...).
#  7. Boot checks: before the tests, init reports a TAP program "boot":
#     modules loaded, drivers bound, IOMMU groups as topology.sh says, the
#     default domain type of the IOMMU mode, dmaown.ko inserted.
#  8. After a kernel oops (taint D) or a test that cannot be killed, init
#     stops running tests and reports at once.

export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root
umask 022

mount -t proc -o nosuid,nodev,noexec proc /proc
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
mount -t devtmpfs -o nosuid,mode=0755 devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o nosuid,noexec,gid=5,mode=620 devpts /dev/pts
mount -t tmpfs -o nosuid,nodev tmpfs /dev/shm
mount -t tmpfs -o nosuid,nodev tmpfs /tmp
mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs /run
mount -t debugfs -o nosuid,nodev,noexec debugfs /sys/kernel/debug
[ -d /sys/kernel/tracing ] && mount -t tracefs -o nosuid,nodev,noexec tracefs /sys/kernel/tracing 2>/dev/null
hostname dmaown-vm
ifconfig lo 127.0.0.1 up 2>/dev/null

set -a
. /etc/dmaown-topology
[ -f /etc/dmaown-run ] && . /etc/dmaown-run
DMAOWN_KVER=$(uname -r)
DMAOWN_MODULE=/dmaown/dmaown.ko
DMAOWN_QMP_TTY=/dev/ttyS2
: "${DMAOWN_IOMMU_MODE:=pt}" "${DMAOWN_TEST_TIMEOUT:=300}" "${DMAOWN_SHELL:=0}" "${DMAOWN_PARAMS:=}"
set +a

RES=/tmp/dmaown-results
mkdir -p "$RES"

log() { echo "dmaown-vm: $*"; }
# A marker in the kernel log, so that a splat can be tied to a test.
kmark() { echo "<5>dmaown-vm: $*" > /dev/kmsg; }

# The verdict channel. Raw, so that "\n" is not turned into "\r\n".
stty -F /dev/ttyS1 raw -echo 2>/dev/null
stty -F /dev/ttyS2 raw -echo 2>/dev/null
exec 9>/dev/ttyS1
emit() { printf '%s\n' "$*" >&9; }

log "kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs, mode iommu=$DMAOWN_IOMMU_MODE"
log "cmdline: $(cat /proc/cmdline)"
emit "# dmaown-vm: kernel $(uname -r) iommu=$DMAOWN_IOMMU_MODE"
emit "# dmaown-vm: cmdline $(cat /proc/cmdline)"

failed=0

# --- boot checks: a TAP program of init's own -------------------------------
B_N=0
B_BODY=$RES/boot.body
: > "$B_BODY"
bcheck() { # bcheck DESCRIPTION COMMAND...
	local desc=$1
	shift
	B_N=$((B_N + 1))
	if "$@" >> "$RES/boot.diag" 2>&1; then
		echo "ok $B_N - $desc" >> "$B_BODY"
	else
		echo "not ok $B_N - $desc" >> "$B_BODY"
		B_FAIL=1
	fi
}
bskip() { # bskip DESCRIPTION REASON
	B_N=$((B_N + 1))
	echo "ok $B_N - $1 # SKIP $2" >> "$B_BODY"
}
bdiag() { echo "# $*" >> "$B_BODY"; }

group_of() { # the IOMMU group number of a PCI device, or nothing
	local l
	l=$(readlink "/sys/bus/pci/devices/$1/iommu_group" 2>/dev/null) || return 1
	echo "${l##*/}"
}
group_members() { # sorted, space-separated
	ls "/sys/kernel/iommu_groups/$1/devices" 2>/dev/null | sort | tr '\n' ' ' | sed 's/ $//'
}
sorted() { echo "$*" | tr ' ' '\n' | grep . | sort | tr '\n' ' ' | sed 's/ $//'; }
driver_of() {
	local l
	l=$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null) || return 0
	echo "${l##*/}"
}
group_is() { # group_is DEV "EXPECTED MEMBERS"
	local g want got
	g=$(group_of "$1") || { echo "$1: no IOMMU group"; return 1; }
	want=$(sorted "$2")
	got=$(group_members "$g")
	[ "$got" = "$want" ] || { echo "group $g of $1: '$got', want '$want'"; return 1; }
}
bound_to() {
	local got
	got=$(driver_of "$1")
	[ "$got" = "$2" ] || { echo "$1: driver '$got', want '$2'"; return 1; }
}
unbound() {
	local got
	got=$(driver_of "$1")
	[ -z "$got" ] || { echo "$1: bound to '$got', want none"; return 1; }
}
domain_type_ok() { # the default domain type that the IOMMU mode asks for
	local t
	t=$(cat "/sys/kernel/iommu_groups/$1/type")
	case $DMAOWN_IOMMU_MODE:$t in
	pt:identity | nopt:DMA | nopt:DMA-FQ) return 0 ;;
	esac
	echo "group $1: default domain type '$t' with iommu=$DMAOWN_IOMMU_MODE"
	return 1
}
not_tainted_bad() { # no oops (D) or warning (W) so far
	local t
	t=$(cat /proc/sys/kernel/tainted)
	[ $((t & 640)) -eq 0 ] || { echo "tainted=$t"; return 1; }
}

B_FAIL=0
for m in $(cat /etc/dmaown-modules); do
	bcheck "modprobe $m" modprobe "$m"
done
bcheck "IOMMU groups exist (intel-iommu on)" test -d /sys/kernel/iommu_groups/0
for dev in $LONE_DEVICES; do
	bcheck "$dev is alone in its IOMMU group" group_is "$dev" "$dev"
done
bcheck "alias group is {$ALIAS_GROUP}" group_is "$BRIDGE" "$ALIAS_GROUP"
bcheck "ICH9 group is {$ICH9_GROUP}" group_is "$ICH9_LPC" "$ICH9_GROUP"
bcheck "multifunction group is {$EDU_MF_A $EDU_MF_B}" group_is "$EDU_MF_A" "$EDU_MF_A $EDU_MF_B"
for pair in $BOUND_DRIVERS; do
	bcheck "${pair%%=*} bound to ${pair#*=}" bound_to "${pair%%=*}" "${pair#*=}"
done
for dev in $UNBOUND_DEVICES; do
	bcheck "$dev has no driver" unbound "$dev"
done
g=$(group_of "$EDU_LONE")
if [ -n "$g" ] && [ -f "/sys/kernel/iommu_groups/$g/type" ]; then
	bcheck "default domain type fits iommu=$DMAOWN_IOMMU_MODE" domain_type_ok "$g"
else
	bskip "default domain type fits iommu=$DMAOWN_IOMMU_MODE" "no iommu_groups/N/type"
fi
bcheck "no kernel warning or oops during boot" not_tainted_bad
# The debug kernel (scripts/debug-kernel): a clean run proves something only
# if its checkers are on. The boot's own kmemleak suspects are set aside
# (scan, clear): the report after the tests is the tests' own.
debug_kernel=0
case $DMAOWN_KVER in *-dmaown-debug) debug_kernel=1 ;; esac
debug_locks_on() { grep -qE '^ *debug_locks: +1$' /proc/lockdep_stats; }
if [ "$debug_kernel" = 1 ]; then
	bcheck "debug kernel: lockdep is on (debug_locks 1)" debug_locks_on
	bcheck "debug kernel: KASAN is on" sh -c 'dmesg | grep -q "KernelAddressSanitizer initialized"'
	bcheck "debug kernel: kmemleak is on" sh -c \
		'echo scan > /sys/kernel/debug/kmemleak && echo clear > /sys/kernel/debug/kmemleak'
fi
if [ -f "$DMAOWN_MODULE" ]; then
	# shellcheck disable=SC2086 # DMAOWN_PARAMS is a list of words
	bcheck "insmod $DMAOWN_MODULE${DMAOWN_PARAMS:+ $DMAOWN_PARAMS}" insmod "$DMAOWN_MODULE" $DMAOWN_PARAMS
else
	B_N=$((B_N + 1))
	echo "not ok $B_N - insmod $DMAOWN_MODULE # missing from the image: the build failed" >> "$B_BODY"
	B_FAIL=1
fi

# The IOMMU groups as seen, for the log.
for g in $(ls /sys/kernel/iommu_groups | sort -n); do
	line="group $g [$(cat /sys/kernel/iommu_groups/$g/type 2>/dev/null)]:"
	for d in $(group_members "$g"); do
		line="$line $d($(driver_of "$d"))"
	done
	bdiag "$line"
done
if [ -s "$RES/boot.diag" ]; then
	sed 's/^/# /' "$RES/boot.diag" >> "$B_BODY"
fi
{ echo "TAP version 13"; echo "1..$B_N"; cat "$B_BODY"; } > "$RES/boot.out"
cat "$RES/boot.out"
emit "# test: boot"
cat "$RES/boot.out" >&9
emit "# end: boot rc=$B_FAIL time=0s"
failed=$((failed + B_FAIL))

# --- the tests ---------------------------------------------------------------
state_of() { # the state letter of a process, nothing if gone
	local s
	read -r s 2>/dev/null < "/proc/$1/stat" || return 0
	s=${s##*) }
	echo "${s%% *}"
}
alive() {
	local s
	s=$(state_of "$1")
	[ -n "$s" ] && [ "$s" != Z ]
}
oopsed_now() {
	local t
	# Not `read`: busybox reads one byte at a time, and a sysctl file is at
	# EOF once the offset is not 0, so it would give only the first digit.
	t=$(cat /proc/sys/kernel/tainted)
	[ $((t & 128)) -ne 0 ]
}
# kill_session SIGNAL PID: the session's process group, wait up to 5s
kill_session() {
	local i=0
	kill "-$1" "-$2" 2>/dev/null || kill "-$1" "$2" 2>/dev/null
	while alive "$2" && [ $i -lt 25 ]; do
		sleep 0.2
		i=$((i + 1))
	done
}

stuck=
run_test() { # run_test NAME
	local name=$1 out="$RES/$1.out" err="$RES/$1.err" pid start now rc note='' oopsed=
	log "running $name (timeout ${DMAOWN_TEST_TIMEOUT}s)"
	kmark "running $name"
	# The header now, the output at the end: a test the guest dies in shows
	# up on the host as started and unfinished.
	emit "# test: $name"
	start=$(date +%s)
	(cd /tmp && exec setsid "/tests/$name") </dev/null >"$out" 2>"$err" &
	pid=$!
	# Poll: a test stuck in the kernel must not stop the report. After an
	# oops the test gets 10 more seconds, not the rest of its timeout.
	n=0
	deadline=$((start + DMAOWN_TEST_TIMEOUT))
	while alive "$pid"; do
		now=$(date +%s)
		if [ -z "$oopsed" ] && oopsed_now; then
			oopsed=1
			deadline=$((now + 10))
			log "$name: the kernel oopsed; killing it in 10s if it has not ended"
		fi
		if [ "$now" -ge "$deadline" ]; then
			if [ -n "$oopsed" ]; then
				note=" oops"
			else
				note=" timeout=${DMAOWN_TEST_TIMEOUT}"
			fi
			log "$name: still running after $((now - start))s, killing it"
			kill_session TERM "$pid"
			alive "$pid" && kill_session KILL "$pid"
			if alive "$pid"; then
				note="$note unkillable(state $(state_of "$pid"))"
				stuck=$name
			fi
			break
		fi
		# Short sleeps first: most programs are quick.
		if [ $n -lt 20 ]; then sleep 0.05; else sleep 0.5; fi
		n=$((n + 1))
	done
	if [ -z "$stuck" ]; then
		wait "$pid"
		rc=$?
	else
		rc=255
	fi
	# Whatever the program left behind in its session.
	kill -KILL "-$pid" 2>/dev/null
	now=$(date +%s)
	kmark "finished $name rc=$rc"
	log "$name: rc=$rc in $((now - start))s$note"

	awk 1 "$out"
	[ -s "$err" ] && sed 's/^/# stderr: /' "$err"
	awk 1 "$out" >&9
	[ -s "$err" ] && sed 's/^/# stderr: /' "$err" >&9
	emit "# end: $name rc=$rc time=$((now - start))s$note"
	case $rc in
	0 | 4) grep -q '^not ok' "$out" && failed=$((failed + 1)) ;;
	*) failed=$((failed + 1)) ;;
	esac
}

if [ -n "${DMAOWN_RUN_TESTS+set}" ]; then
	tests=$DMAOWN_RUN_TESTS
else
	tests=$(cd /tests && for t in *_test *_test.sh; do [ -x "$t" ] && echo "$t"; done | sort)
fi
for t in $tests; do
	taint=$(cat /proc/sys/kernel/tainted)
	if [ $((taint & 128)) -ne 0 ]; then
		log "the kernel oopsed (tainted=$taint): not running $t and the rest"
		emit "# dmaown-vm: stopped: kernel oops (tainted=$taint)"
		break
	fi
	if [ -n "$stuck" ]; then
		log "$stuck could not be killed: not running $t and the rest"
		emit "# dmaown-vm: stopped: $stuck could not be killed"
		break
	fi
	if [ ! -x "/tests/$t" ]; then
		emit "# test: $t"
		emit "# end: $t rc=127 missing"
		failed=$((failed + 1))
		continue
	fi
	run_test "$t"
done

# --- the report --------------------------------------------------------------
if [ -w /sys/kernel/debug/kmemleak ]; then
	echo scan > /sys/kernel/debug/kmemleak
	sleep 1
	echo scan > /sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak > "$RES/kmemleak"
fi
# Lockdep turns itself off after its first report, or when a table of its
# runs out: either way the rest of the run was not checked.
if [ "$debug_kernel" = 1 ]; then
	if debug_locks_on; then
		d_rc=0 d_line="ok 1 - debug kernel: lockdep still on after the tests"
	else
		d_rc=1 d_line="not ok 1 - debug kernel: lockdep turned itself off during the tests"
		failed=$((failed + 1))
	fi
	emit "# test: debug-kernel"
	emit "TAP version 13"
	emit "1..1"
	emit "$d_line"
	sed 's/^/# /' /proc/lockdep_stats >&9
	emit "# end: debug-kernel rc=$d_rc time=0s"
fi
taint=$(cat /proc/sys/kernel/tainted)
log "tainted=$taint, $failed failed program(s)"
emit "# dmesg-begin"
dmesg >&9
emit "# dmesg-end"
if [ -s "$RES/kmemleak" ]; then
	emit "# kmemleak-begin"
	cat "$RES/kmemleak" >&9
	emit "# kmemleak-end"
fi
emit "# tainted=$taint"
emit "rc=$failed"
exec 9>&-  # the close waits until the UART has sent everything

if [ "$DMAOWN_SHELL" = 1 ]; then
	log "tests done; shell on the console (exit or poweroff -f to stop)"
	setsid cttyhack sh -l
fi
sync
poweroff -f
echo o > /proc/sysrq-trigger
sleep 10
