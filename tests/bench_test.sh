#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# bench_test.sh - run each benchmark program of bench/ once, with tiny
# counts, in the test topology, so that they cannot rot. Checks only that
# each runs and prints its result lines: the numbers are not judged (see
# scripts/bench for the benchmarks themselves).
#
# The programs are looked for in /bench/, /tests/ and $PATH (built by
# `make -C bench`; scripts/bench --smoke packs them in /bench/); without
# them the whole program is skipped (exit 4, "1..0 # SKIP"). Uses the
# test topology (tests/qemu/topology.sh): EDU_LONE and EDU_HP, each alone in
# its group and driver-less; vfio-pci and pci-stub loaded, bound to nothing;
# for dmaown-bench-handoff, the guest's QEMU (scripts/vm-mkinitramfs --qemu).
# Leaves everything as it found it: devices driver-less without an
# override, dmaown loaded.
#
# Output: TAP 13. Exit status: 0, 1 on a failure, 4 when skipped.

: "${EDU_LONE:=0000:00:03.0}" "${EDU_HP:=0000:02:00.0}"
: "${DMAOWN_MODULE:=/dmaown/dmaown.ko}"
PROGS="dmaown-bench-cycle dmaown-bench-scale dmaown-bench-probe dmaown-bench-handoff"
PLAN=7

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; failed=1; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
diag() { sed 's/^/# /'; }

echo "TAP version 13"
dir=
for d in /bench /tests $(echo "$PATH" | tr : ' '); do
	if [ -x "$d/dmaown-bench-cycle" ]; then
		dir=$d
		break
	fi
done
if [ -z "$dir" ]; then
	# scripts/vm-test and scripts/bench --smoke both pack them in /bench.
	echo "1..1"
	echo "not ok 1 - dmaown-bench-* in /bench, /tests or \$PATH (make -C bench)"
	exit 1
fi
echo "1..$PLAN"
missing=
for p in $PROGS; do
	[ -x "$dir/$p" ] || missing="$missing $p"
done
if [ -z "$missing" ]; then
	ok "bench programs present in $dir"
else
	not_ok "bench programs present in $dir (missing:$missing)"
fi

group_of() {
	l=$(readlink "/sys/bus/pci/devices/$1/iommu_group") || return 1
	echo "${l##*/}"
}
driver_of() {
	l=$(readlink "/sys/bus/pci/devices/$1/driver") || return 0
	echo "${l##*/}"
}
# Leave DEV driver-less, without an override.
restore_dev() {
	drv=$(driver_of "$1")
	[ -z "$drv" ] || echo "$1" > "/sys/bus/pci/drivers/$drv/unbind"
	echo > "/sys/bus/pci/devices/$1/driver_override"
}

# check OUTPUT-FILE PATTERN...: every pattern has a line in the output.
check() {
	file=$1
	shift
	for pat in "$@"; do
		if ! grep -qE "$pat" "$file"; then
			echo "no line matching '$pat'" | diag
			return 1
		fi
	done
	return 0
}

out=/tmp/bench_test.$$
g_lone=$(group_of "$EDU_LONE")
g_hp=$(group_of "$EDU_HP")

# --- cycle: dmaown against VFIO on EDU_LONE, bound to vfio-pci ----------------
vfio=--no-vfio
if [ -n "$g_lone" ] && [ -d /sys/bus/pci/drivers/vfio-pci ]; then
	echo vfio-pci > "/sys/bus/pci/devices/$EDU_LONE/driver_override"
	echo "$EDU_LONE" > /sys/bus/pci/drivers/vfio-pci/bind 2>/dev/null
	[ "$(driver_of "$EDU_LONE")" = vfio-pci ] && vfio=
fi
if [ -z "$g_lone" ]; then
	not_ok "dmaown-bench-cycle: $EDU_LONE has no IOMMU group"
elif "$dir/dmaown-bench-cycle" -g "$g_lone" -n 2 -r 1 $vfio > "$out" 2>&1 &&
	check "$out" '^cycle rep=1 .*dmaown_ns=[0-9]+ dmaown_keep_ns=[0-9]+' \
		"^core rep=1 .*claim_own=[-0-9.]+ .*release_own=[-0-9.]+" &&
	{ [ -n "$vfio" ] || check "$out" '^cycle rep=1 .*vfio_ns=[0-9]+ .*ratio=[0-9.]+'; }; then
	diag < "$out"
	if [ -n "$vfio" ]; then
		skip "dmaown-bench-cycle against VFIO" "$EDU_LONE could not be bound to vfio-pci"
	else
		ok "dmaown-bench-cycle against VFIO on group $g_lone"
	fi
else
	diag < "$out"
	not_ok "dmaown-bench-cycle on group $g_lone"
fi
[ -n "$g_lone" ] && restore_dev "$EDU_LONE"

# --- scale: two groups ----------------------------------------------------------
if [ -z "$g_lone" ] || [ -z "$g_hp" ]; then
	not_ok "dmaown-bench-scale: no IOMMU group for $EDU_LONE or $EDU_HP"
elif "$dir/dmaown-bench-scale" -g "$g_hp,$g_lone" -n 2 -r 1 > "$out" 2>&1 &&
	check "$out" '^mem_first rep=1 groups=2 .*slab_b=[-0-9]+' \
		'^batch rep=1 groups=2 .*one_claim_ns=[0-9]+ .*many_close_ns=[0-9]+' \
		'^lookup rep=1 .*near_own_ns=[0-9]+ far_own_ns=[0-9]+' \
		'^depth rep=1 .*one_claim_d1_ns=[0-9]+ .*one_claim_d2_ns=[0-9]+ .*one_claim_ratio='; then
	diag < "$out"
	ok "dmaown-bench-scale on groups $g_hp,$g_lone"
else
	diag < "$out"
	not_ok "dmaown-bench-scale on groups $g_hp,$g_lone"
fi

# --- probe: pci-stub on EDU_LONE, dmaown unloaded, loaded, owning EDU_HP --------
if [ -z "$g_lone" ] || [ -z "$g_hp" ]; then
	not_ok "dmaown-bench-probe: no IOMMU group for $EDU_LONE or $EDU_HP"
elif "$dir/dmaown-bench-probe" -d "$EDU_LONE" -D pci-stub -o "$g_hp" -n 2 -r 1 \
	-m "$DMAOWN_MODULE" > "$out" 2>&1 &&
	check "$out" '^probe round=1 .*unloaded_bind_ns=[0-9]+ .*owned_bind_ns=[0-9]+ .*loaded_bind_ratio=[0-9.]+'; then
	diag < "$out"
	ok "dmaown-bench-probe with pci-stub on $EDU_LONE"
else
	diag < "$out"
	not_ok "dmaown-bench-probe with pci-stub on $EDU_LONE"
fi
[ -n "$g_lone" ] && restore_dev "$EDU_LONE"

# --- handoff: the guest's QEMU on EDU_LONE, plain and quarantined -------------
if [ -z "$g_lone" ]; then
	not_ok "dmaown-bench-handoff: $EDU_LONE has no IOMMU group"
elif [ ! -x /usr/bin/qemu-system-x86_64 ] || [ ! -d /sys/bus/pci/drivers/vfio-pci ]; then
	skip "dmaown-bench-handoff on $EDU_LONE" "no /usr/bin/qemu-system-x86_64 or no vfio-pci"
elif "$dir/dmaown-bench-handoff" -d "$EDU_LONE" -r 1 -w 0 > "$out" 2>&1 &&
	check "$out" '^handoff_setup group=[0-9]+ .*window=[01] zero_window=[01]' \
		'^handoff round=1 .*plain_usable_ns=[0-9]+ .*quar_usable_ns=[0-9]+ .*plain2_usable_ns=[0-9]+' \
		'^handoff round=1 .*quar_handoff_ns=[0-9]+ .*ratio=[0-9.]+ .*control_ratio=[0-9.]+' &&
	[ -z "$(cat /sys/module/dmaown/parameters/quarantine)" ]; then
	diag < "$out"
	ok "dmaown-bench-handoff on $EDU_LONE"
else
	diag < "$out"
	echo "quarantine list afterwards: '$(cat /sys/module/dmaown/parameters/quarantine 2>&1)'" | diag
	not_ok "dmaown-bench-handoff on $EDU_LONE"
fi
[ -n "$g_lone" ] && restore_dev "$EDU_LONE"

# --- the state the programs leave behind ------------------------------------------
if [ -d /sys/module/dmaown ] || insmod "$DMAOWN_MODULE"; then
	if [ -d /sys/module/dmaown ] && [ -c /dev/dmaown ]; then
		ok "dmaown is loaded afterwards"
	else
		not_ok "dmaown is loaded afterwards"
	fi
else
	not_ok "dmaown is loaded afterwards (insmod failed)"
fi
left=
for d in "$EDU_LONE" "$EDU_HP"; do
	[ -z "$(driver_of "$d")" ] || left="$left $d=$(driver_of "$d")"
done
if [ -z "$left" ]; then
	ok "devices driver-less afterwards"
else
	not_ok "devices driver-less afterwards (bound:$left)"
fi
rm -f "$out"
exit $failed
