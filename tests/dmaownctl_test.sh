#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# dmaownctl in the test VM (busybox sh): list/status against the topology in
# text and JSON (parsed by jq, not grepped), device names against lspci, claim -- COMMAND holding and releasing
# (also when COMMAND is killed), holding without COMMAND, all-or-nothing
# claims, the quarantine commands, and the error paths with their messages
# and exit codes (module not loaded, busy, not viable, unknown group/device,
# no IOMMU group).
#
# Needs: dmaownctl, jq and lspci in PATH (or $DMAOWNCTL), /dev/dmaown loaded by init,
# /etc/dmaown-topology's variables (exported by init; defaults below).
# JSON is parsed by jq, as strictly as RFC 8259 (see json_flat), and read as
# PATH=VALUE lines. Device names are compared with lspci's. Both tools are
# in the guest's initramfs (scripts/vm-mkinitramfs). Group ids come from
# sysfs, never from here.
#
# TAP 13 on stdout; exit 0 when every test passed.

: "${EDU_LONE:=0000:00:03.0}" "${NIC_LONE:=0000:00:04.0}" "${NIC_LONE_DRIVER:=e1000e}"
: "${BRIDGE:=0000:00:05.0}" "${EDU_ALIAS_A:=0000:01:01.0}" "${EDU_ALIAS_B:=0000:01:02.0}"
: "${NIC_ALIAS:=0000:01:03.0}" "${NIC_ALIAS_DRIVER:=e1000}"
: "${ICH9_LPC:=0000:00:1f.0}" "${ICH9_SATA:=0000:00:1f.2}" "${ICH9_SMBUS:=0000:00:1f.3}"
: "${DMAOWN_MODULE:=/dmaown/dmaown.ko}"

CTL=${DMAOWNCTL:-$(command -v dmaownctl)}
T=$(mktemp -d /tmp/dmaownctl_test.XXXXXX) || exit 1
BG_PIDS=
cleanup() {
	for p in $BG_PIDS; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

diag() { echo "$*" | sed 's/^/# /'; }

# --- JSON ----------------------------------------------------------------------

# JSON is parsed by jq (in the guest with its libraries, as dmaownctl's are).
# jq 1.6 takes more than RFC 8259: numbers such as 01, +1, 1., .5, nan and
# Infinity, and duplicate member names (the last wins). json_flat refuses
# those too: a lexical pass over the text outside strings for the numbers,
# and jq's --stream events (one per value, in the text's order, duplicates
# included) for the names.
JSON_LEX='
{ s = s $0 "\n" }
END {
	n = length(s)
	i = 1
	while (i <= n) {
		c = substr(s, i, 1)
		if (c == "\"") {
			for (i++; i <= n; i++) {
				c = substr(s, i, 1)
				if (c == "\\")
					i++
				else if (c == "\"")
					break
			}
			i++
			continue
		}
		if (c ~ /[-+.0-9A-Za-z_]/) {
			t = ""
			while (i <= n && substr(s, i, 1) ~ /[-+.0-9A-Za-z_]/) {
				t = t substr(s, i, 1)
				i++
			}
			if (t != "true" && t != "false" && t != "null" &&
			    t !~ /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$/) {
				print "json: not a JSON value: " t > "/dev/stderr"
				exit 1
			}
			continue
		}
		i++
	}
}
'
# One PATH=VALUE line per scalar or empty container, PATH as .a[0].b (. for
# the top), VALUE as jq writes it (strings quoted, '"', '\' and control
# characters escaped).
JQ_FLAT='select(length == 2) |
	(.[0] | map(if type == "number" then "[\(.)]" else ".\(.)" end) | join("") |
		if . == "" then "." else . end) + "=" + (.[1] | tojson)'

# True when no object has a member name twice: a member that starts after a
# sibling, or after its own value closed, must be new (jq's stream gives the
# values in the text's order, and [PATH] when a container closes).
JQ_UNIQUE='reduce inputs as $e ({seen: {}, last: {}, dup: false};
	if ($e | length) == 1 then .last[$e[0][:-2] | tojson] = null
	else $e[0] as $p | reduce range(1; ($p | length) + 1) as $k (.;
		($p[:$k] | tojson) as $q | ($p[:$k - 1] | tojson) as $up |
		if $k < ($p | length) and .last[$up] == $q then .
		elif .seen[$q] then .dup = true
		else .seen[$q] = true | .last[$up] = $q end) end) | .dup | not'
# json_flat < JSON > FLAT: parse (fails on invalid JSON) and flatten.
json_flat() {
	cat > "$T/jf.in"
	awk "$JSON_LEX" "$T/jf.in" || return 1
	jq -e -s 'length == 1' "$T/jf.in" > /dev/null || { echo "json: not one JSON text" >&2; return 1; }
	jq -n -e --stream "$JQ_UNIQUE" "$T/jf.in" > /dev/null ||
		{ echo "json: duplicate member name" >&2; return 1; }
	jq -r --stream "$JQ_FLAT" "$T/jf.in"
}
# jget FLAT PATH: the value at PATH (strings with their quotes); 1 if none.
jget() {
	awk -v p="$2" 'index($0, p "=") == 1 { print substr($0, length(p) + 2); f = 1; exit }
		END { exit !f }' "$1"
}
# jstr FLAT PATH: a string's text, without the quotes; 1 if not a string.
jstr() {
	local v
	v=$(jget "$1" "$2") || return 1
	case $v in \"*\") ;; *) return 1 ;; esac
	v=${v#\"}
	echo "${v%\"}"
}
# jlen FLAT PATH: the number of elements of the array at PATH.
jlen() {
	awk -v p="$2" '
		$0 == p "=[]" { e = 1 }
		index($0, p "[") == 1 {
			r = substr($0, length(p) + 2)
			i = substr(r, 1, index(r, "]") - 1)
			if (!(i in seen)) { seen[i] = 1; c++ }
		}
		END { print c + 0; exit !(e || c) }' "$1"
}
# jstrs FLAT PATH: PATH is an array (maybe empty) of lowercase strings only.
jstrs() {
	awk -v p="$2" '
		$0 == p "=[]" { e = 1 }
		index($0, p "[") == 1 {
			c++
			if (substr($0, length(p) + 1) !~ /^\[[0-9]+\]="[a-z_]+"$/) bad = 1
		}
		END { exit !((e || c) && !bad) }' "$1"
}
# jarr FLAT PATH: the strings of the array at PATH, sorted, space-separated.
jarr() {
	awk -v p="$2" 'index($0, p "[") == 1 {
			r = substr($0, length(p) + 2)
			if (r ~ /^[0-9]+\]="/) {
				v = substr(r, index(r, "=") + 2)
				print substr(v, 1, length(v) - 1)
			}
		}' "$1" | sort | tr '\n' ' ' | sed 's/ $//'
}

# --- helpers -------------------------------------------------------------------

# ctl ARGS...: run dmaownctl; stdout in $T/out, stderr in $T/err, code in $rc.
ctl() {
	"$CTL" "$@" > "$T/out" 2> "$T/err"
	rc=$?
}
expect_rc() { # expect_rc WANT WHAT
	[ "$rc" = "$1" ] && return 0
	diag "$2: exit code $rc, want $1"
	diag "stdout: $(cat "$T/out")"
	diag "stderr: $(cat "$T/err")"
	return 1
}
has() { # has FILE TEXT: FILE has TEXT (fixed string)
	grep -qF -- "$2" "$1" && return 0
	diag "missing in ${1##*/}: $2"
	diag "${1##*/} was: $(cat "$1")"
	return 1
}
same() { # same GOT WANT WHAT
	[ "$1" = "$2" ] && return 0
	diag "$3: got '$1', want '$2'"
	return 1
}
nap() { sleep 0.1; }
group_of() {
	local l
	l=$(readlink "/sys/bus/$2/devices/$1/iommu_group" 2>/dev/null) || return 1
	echo "${l##*/}"
}
pgroup() { group_of "$1" pci; }
driver_of() {
	local l
	l=$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null) || return 0
	echo "${l##*/}"
}
sysfs_groups() { ls /sys/kernel/iommu_groups | sort -n | tr '\n' ' ' | sed 's/ $//'; }
sysfs_members() { ls "/sys/kernel/iommu_groups/$1/devices" | sort | tr '\n' ' ' | sed 's/ $//'; }
# status_json GROUP FLAT: status --json of a group, flattened into FLAT.
status_json() {
	"$CTL" status --json "$1" > "$T/sj" 2> "$T/sjerr" || { diag "status $1: $(cat "$T/sjerr")"; return 1; }
	json_flat < "$T/sj" > "$2" || { diag "status $1: bad JSON: $(cat "$T/sj")"; return 1; }
}
# wait_state GROUP STATE: poll status until the group's state is STATE (10 s).
wait_state() {
	local i=0
	while [ $i -lt 100 ]; do
		status_json "$1" "$T/ws" && [ "$(jstr "$T/ws" .group.state)" = "$2" ] && return 0
		nap
		i=$((i + 1))
	done
	diag "group $1 never became $2 (last: $(jstr "$T/ws" .group.state))"
	return 1
}
# wait_file FILE: until FILE exists and is not empty (10 s).
wait_file() {
	local i=0
	while [ $i -lt 100 ]; do
		[ -s "$1" ] && return 0
		nap
		i=$((i + 1))
	done
	diag "$1 never appeared"
	return 1
}
# running PID: the process exists and is not a zombie.
running() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	[ "${s%% *}" != Z ]
}
# wait_exit PID: wait (10 s, then SIGKILL) for a child; its exit code in $rc.
wait_exit() {
	local i=0
	while [ $i -lt 100 ] && running "$1"; do
		nap
		i=$((i + 1))
	done
	if running "$1"; then
		diag "process $1 did not exit: killed"
		kill -KILL "$1" 2>/dev/null
	fi
	wait "$1"
	rc=$?
}
# hold GROUP|DEVICE: dmaownctl claim without COMMAND in the background, until
# its "holding" line; its pid in $HOLDER.
hold() {
	rm -f "$T/hold.out"
	"$CTL" claim "$@" > "$T/hold.out" 2> "$T/hold.err" &
	HOLDER=$!
	BG_PIDS="$BG_PIDS $HOLDER"
	wait_file "$T/hold.out" || { diag "stderr: $(cat "$T/hold.err")"; return 1; }
}
unhold() {
	kill -TERM "$HOLDER" 2>/dev/null
	wait_exit "$HOLDER"
}

# --- the tests -------------------------------------------------------------------

G_EDU=$(pgroup "$EDU_LONE")
G_NIC=$(pgroup "$NIC_LONE")
G_ALIAS=$(pgroup "$BRIDGE")
G_ICH9=$(pgroup "$ICH9_SATA")

t_setup() {
	[ -x "$CTL" ] || { diag "dmaownctl not found (PATH=$PATH)"; return 1; }
	command -v jq > /dev/null || { diag "jq not found (PATH=$PATH)"; return 1; }
	[ -c /dev/dmaown ] || { diag "/dev/dmaown missing"; return 1; }
	[ -n "$G_EDU" ] && [ -n "$G_NIC" ] && [ -n "$G_ALIAS" ] && [ -n "$G_ICH9" ] ||
		{ diag "topology: groups edu=$G_EDU nic=$G_NIC alias=$G_ALIAS ich9=$G_ICH9"; return 1; }
	diag "dmaownctl=$CTL $(jq --version) groups: edu=$G_EDU nic=$G_NIC alias=$G_ALIAS ich9=$G_ICH9"
}

t_help() {
	ctl --help && expect_rc 0 "--help" && has "$T/out" "Usage: dmaownctl" || return 1
	for c in list status claim info; do
		ctl "$c" --help && expect_rc 0 "$c --help" && has "$T/out" "Usage: dmaownctl $c" ||
			return 1
	done
	ctl frobnicate; expect_rc 2 "unknown command" && has "$T/err" "unknown command" || return 1
	ctl list --bogus; expect_rc 2 "unknown option" || return 1
	ctl status; expect_rc 2 "status without argument" || return 1
	ctl status 'not a device!'; expect_rc 2 "status of a malformed name" &&
		has "$T/err" "is neither a group id nor a device name" || return 1
	ctl claim; expect_rc 2 "claim without argument" || return 1
	ctl claim "$G_EDU" --; expect_rc 2 "claim with '--' and no COMMAND"
}

t_info() {
	ctl info && expect_rc 0 info && cp "$T/out" "$T/info.txt" || return 1
	ctl info --json && expect_rc 0 "info --json" || return 1
	json_flat < "$T/out" > "$T/f" || { diag "$(cat "$T/out")"; return 1; }
	local core legacy api
	# The module and dmaownctl are built from one tree: the same API version.
	api=$(jget "$T/f" .cli_api_version)
	same "$(jget "$T/f" .schema)" 1 schema && same "$(jget "$T/f" .api_version)" "$api" api_version &&
		has "$T/info.txt" "API version $api" &&
		same "$(jstr "$T/f" .node)" /dev/dmaown node || return 1
	# The guard may be disarmed (kprobes disabled), but not in the normal boot.
	same "$(jget "$T/f" .flags.probe_guard)" true "probe_guard in the normal boot" &&
		has "$T/info.txt" "Bind guard:       active" || return 1
	core=$(jget "$T/f" .flags.core_ownership)
	legacy=$(jget "$T/f" .flags.legacy_ownership)
	diag "version $(jstr "$T/f" .version) core=$core legacy=$legacy guard=$(jget "$T/f" .flags.probe_guard) dmd=$(jget "$T/f" .flags.driver_managed_dma)"
	[ "$core/$legacy" = true/false ] || [ "$core/$legacy" = false/true ] ||
		{ diag "core_ownership=$core legacy_ownership=$legacy: want exactly one"; return 1; }
}

# list --json: every sysfs group, in order, with its devices and drivers.
t_list_json() {
	ctl list --json && expect_rc 0 "list --json" || return 1
	json_flat < "$T/out" > "$T/list" || { diag "$(head -c 2000 "$T/out")"; return 1; }
	local want got i=0 g d j drv cls nd
	want=$(sysfs_groups)
	got=$(awk -F= '/^\.groups\[[0-9]+\]\.id=/ { printf "%s%s", sep, $2; sep = " " }' "$T/list")
	same "$got" "$want" "group ids" || return 1
	same "$(jget "$T/list" .schema)" 1 schema || return 1
	for g in $want; do
		p=".groups[$i]"
		nd=$(jlen "$T/list" "$p.devices")
		same "$(jget "$T/list" "$p.nr_devices")" "$nd" "group $g nr_devices" || return 1
		got=$(j=0; while [ $j -lt "$nd" ]; do jstr "$T/list" "$p.devices[$j].name"; j=$((j + 1)); done |
			sort | tr '\n' ' ' | sed 's/ $//')
		same "$got" "$(sysfs_members "$g")" "group $g devices" || return 1
		j=0
		while [ $j -lt "$nd" ]; do
			d=$(jstr "$T/list" "$p.devices[$j].name")
			drv=$(driver_of "$d")
			if [ -n "$drv" ]; then
				same "$(jstr "$T/list" "$p.devices[$j].driver")" "$drv" "$d driver" || return 1
			else
				same "$(jget "$T/list" "$p.devices[$j].driver")" null "$d driver" || return 1
			fi
			same "$(jstr "$T/list" "$p.devices[$j].bus")" pci "$d bus" || return 1
			cls=$(cat "/sys/bus/pci/devices/$d/class")
			same "$(jstr "$T/list" "$p.devices[$j].class")" "${cls#0x}" "$d class" || return 1
			cls=$(cat "/sys/bus/pci/devices/$d/vendor")
			same "$(jstr "$T/list" "$p.devices[$j].vendor_id")" "${cls#0x}" "$d vendor" || return 1
			cls=$(cat "/sys/bus/pci/devices/$d/device")
			same "$(jstr "$T/list" "$p.devices[$j].device_id")" "${cls#0x}" "$d device" || return 1
			j=$((j + 1))
		done
		same "$(jstr "$T/list" "$p.state")" free "group $g state" || return 1
		i=$((i + 1))
	done
	# Every group object has the schema's members, and only JSON types it documents.
	for k in id state owner domain viable reason reasons msi_isolated nr_devices blockers devices; do
		grep -q "^\.groups\[0\]\.$k[=.[]" "$T/list" || { diag "member $k missing"; return 1; }
	done
}

# The lone edu: free, viable, default domain, driver-less; the NIC and the
# ICH9 group: not viable, naming their offenders.
t_list_verdicts() {
	local i=0 g p ge= gn= ga= gi=
	"$CTL" list --json > "$T/lj" && json_flat < "$T/lj" > "$T/list" || return 1
	for g in $(sysfs_groups); do
		case $g in
		"$G_EDU") ge=".groups[$i]" ;;
		"$G_NIC") gn=".groups[$i]" ;;
		"$G_ALIAS") ga=".groups[$i]" ;;
		"$G_ICH9") gi=".groups[$i]" ;;
		esac
		i=$((i + 1))
	done
	p=$ge
	same "$(jget "$T/list" "$p.viable")/$(jstr "$T/list" "$p.domain")/$(jget "$T/list" "$p.owner")" \
		true/default/null "edu group viable/domain/owner" &&
		same "$(jget "$T/list" "$p.devices[0].dma_safe")/$(jget "$T/list" "$p.reason")" true/null \
			"edu dma_safe/reason" &&
		same "$(jlen "$T/list" "$p.blockers")" 0 "edu blockers" || return 1
	p=$gn
	same "$(jget "$T/list" "$p.viable")" false "NIC group viable" &&
		same "$(jarr "$T/list" "$p.blockers")" "$NIC_LONE" "NIC blockers" &&
		same "$(jstr "$T/list" "$p.reason")" \
			"$NIC_LONE is bound to $NIC_LONE_DRIVER, which is not DMA-safe" "NIC reason" &&
		same "$(jget "$T/list" "$p.devices[0].blocks_claim")" true "NIC blocks_claim" &&
		same "$(jstr "$T/list" "$p.devices[0].class_name")" "Ethernet controller" "NIC class" ||
		return 1
	p=$ga
	same "$(jget "$T/list" "$p.viable")" false "alias group viable" &&
		same "$(jarr "$T/list" "$p.blockers")" "$NIC_ALIAS" "alias blockers" &&
		same "$(jstr "$T/list" "$p.reason")" \
			"$NIC_ALIAS is bound to $NIC_ALIAS_DRIVER, which is not DMA-safe" "alias reason" ||
		return 1
	p=$gi
	same "$(jget "$T/list" "$p.viable")" false "ICH9 group viable" &&
		same "$(jarr "$T/list" "$p.blockers")" "$ICH9_LPC $ICH9_SATA $ICH9_SMBUS" "ICH9 blockers" &&
		same "$(jstr "$T/list" "$p.reason")" \
			"$ICH9_LPC is bound to $(driver_of $ICH9_LPC), $ICH9_SATA to $(driver_of $ICH9_SATA) and $ICH9_SMBUS to $(driver_of $ICH9_SMBUS), which are not DMA-safe" \
			"ICH9 reason"
}

# The text list: each group's header, its devices under it, drivers, reasons.
t_list_text() {
	ctl list && expect_rc 0 list || return 1
	local g got want
	# "Group N: ..." headers, then "    NAME ..." device lines: regroup them.
	for g in $(sysfs_groups); do
		got=$(awk -v g="$g" '/^Group / { cur = $2; sub(":", "", cur) }
			/^    [0-9a-f]{4}:/ && cur == g { print $1 }' "$T/out" | sort | tr '\n' ' ' |
			sed 's/ $//')
		same "$got" "$(sysfs_members "$g")" "text list, group $g" || return 1
	done
	has "$T/out" "Group $G_EDU: free, viable, default domain" &&
		has "$T/out" "Not viable: $NIC_LONE is bound to $NIC_LONE_DRIVER, which is not DMA-safe" &&
		has "$T/out" "Not viable: $ICH9_LPC is bound to" &&
		has "$T/out" "Kernel driver in use: $NIC_LONE_DRIVER (not DMA-safe" &&
		has "$T/out" "$NIC_LONE Ethernet controller [0200]: " || return 1
	# The edu (no driver) under its group header.
	awk -v g="$G_EDU" -v d="$EDU_LONE" '/^Group / { cur = $2; sub(":", "", cur) }
		cur == g && $1 == d { getline; if ($0 ~ /Kernel driver in use: none/) f = 1 }
		END { exit !f }' "$T/out" || { diag "edu without 'Kernel driver in use: none'"; return 1; }
}

t_status_device() {
	ctl status "$EDU_LONE" && expect_rc 0 "status $EDU_LONE" || return 1
	has "$T/out" "Group $G_EDU (1 device)" && has "$T/out" "State:       free" &&
		has "$T/out" "Domain:      default" && has "$T/out" "Viable:      yes" &&
		has "$T/out" "Interrupts:  isolated" && has "$T/out" "* $EDU_LONE" &&
		has "$T/out" "Verdict:     can be claimed" || return 1
	# The short form of a PCI name, and JSON with the query.
	ctl status --json "${EDU_LONE#0000:}" && expect_rc 0 "status --json short name" || return 1
	json_flat < "$T/out" > "$T/f" || return 1
	same "$(jget "$T/f" .group.id)" "$G_EDU" "group id" &&
		same "$(jstr "$T/f" .query.device)" "$EDU_LONE" "query.device" &&
		same "$(jstr "$T/f" .query.bus)" pci "query.bus" &&
		same "$(jget "$T/f" .group.msi_isolated)" true "msi_isolated"
}

t_status_group() {
	ctl status "$G_ICH9" && expect_rc 0 "status $G_ICH9" || return 1
	has "$T/out" "Group $G_ICH9 (3 devices)" &&
		has "$T/out" "Viable:      no: $ICH9_LPC is bound to" &&
		has "$T/out" "$ICH9_SATA" &&
		has "$T/out" "Verdict:     cannot be claimed until $ICH9_LPC, $ICH9_SATA and $ICH9_SMBUS are unbound" ||
		return 1
	status_json "$G_ICH9" "$T/f" || return 1
	same "$(jget "$T/f" .query)" null "query of a group" &&
		same "$(jlen "$T/f" .group.devices)" 3 "ICH9 devices"
}

# Options after the operand, GNU style: the same as before it.
t_opts_order() {
	ctl status --json "$G_EDU" && expect_rc 0 "status --json GROUP" || return 1
	json_flat < "$T/out" > "$T/before" || return 1
	ctl status "$G_EDU" --json && expect_rc 0 "status GROUP --json" || return 1
	json_flat < "$T/out" > "$T/after" || { diag "$(cat "$T/out")"; return 1; }
	same "$(jget "$T/after" .group.id)" "$G_EDU" "group id of status GROUP --json" &&
		cmp -s "$T/before" "$T/after" || { diag "status GROUP --json differs"; return 1; }
	ctl status "${EDU_LONE#0000:}" -j && expect_rc 0 "status DEVICE -j" || return 1
	json_flat < "$T/out" > "$T/f" && same "$(jstr "$T/f" .query.device)" "$EDU_LONE" "query.device" ||
		return 1
	ctl status -- "$G_EDU" && expect_rc 0 "status -- GROUP" && has "$T/out" "Group $G_EDU (" ||
		return 1
	ctl list --json && expect_rc 0 "list --json" && json_flat < "$T/out" > /dev/null || return 1
	ctl info --json && expect_rc 0 "info --json" && json_flat < "$T/out" > /dev/null || return 1
	ctl status "$G_EDU" --help && expect_rc 0 "status GROUP --help" &&
		has "$T/out" "Usage: dmaownctl status" || return 1
	ctl status "$G_EDU" --bogus; expect_rc 2 "status GROUP --bogus" &&
		has "$T/err" "dmaownctl: status: unknown option '--bogus'" || return 1
	ctl list --json extra; expect_rc 2 "list --json extra" &&
		has "$T/err" "dmaownctl: list: unexpected argument 'extra'"
}

# Every group object has "reasons", an array of strings ([] here: this
# module may not fill out_group_flags yet; what it contains is not checked).
t_reasons() {
	ctl list --json && expect_rc 0 "list --json" || return 1
	json_flat < "$T/out" > "$T/list" || return 1
	local i=0 g
	for g in $(sysfs_groups); do
		jstrs "$T/list" ".groups[$i].reasons" ||
			{ diag "group $g: reasons not an array of strings: $(grep -F ".groups[$i].reasons" "$T/list")"; return 1; }
		i=$((i + 1))
	done
	[ $i -gt 0 ] || { diag "no groups"; return 1; }
	for g in "$G_EDU" "$G_ICH9"; do
		status_json "$g" "$T/f" || return 1
		jstrs "$T/f" .group.reasons ||
			{ diag "status $g: reasons: $(grep -F .group.reasons "$T/f")"; return 1; }
	done
	# a device that was there at boot never needs a rescan
	status_json "$G_EDU" "$T/f" &&
		same "$(jget "$T/f" .group.devices[0].needs_rescan)" false "edu needs_rescan"
}

t_unknown() {
	local max bad
	max=$(sysfs_groups | tr ' ' '\n' | tail -n 1)
	bad=$((max + 1000))
	ctl status "$bad"; expect_rc 7 "status of group $bad" && has "$T/err" "no such group $bad" ||
		return 1
	ctl claim "$bad"; expect_rc 7 "claim of group $bad" &&
		has "$T/err" "cannot claim group $bad: no such group" || return 1
	ctl status 0000:00:1e.7; expect_rc 7 "status of a missing device" &&
		has "$T/err" "no such device 0000:00:1e.7" || return 1
	ctl claim 0000:00:1e.7; expect_rc 7 "claim of a missing device" || return 1
	ctl claim "$G_EDU" "$bad"; expect_rc 7 "claim of a good and a missing group" || return 1
	status_json "$G_EDU" "$T/f" && same "$(jstr "$T/f" .group.state)" free "edu after failed claim"
}

# quarantine add|remove|list, --json, --persist (modprobe.d options and the
# softdep of the native driver, from libkmod); whatever happens, the list is
# emptied, the NIC rebound and the edu group's type restored after it.
t_quarantine() {
	local typef=/sys/kernel/iommu_groups/$G_EDU/type type0 r
	type0=$(cat "$typef")
	quarantine_checks "$typef" "$type0"
	r=$?
	echo > /sys/module/dmaown/parameters/quarantine
	[ -e "/sys/bus/pci/devices/$NIC_LONE/driver" ] ||
		echo "$NIC_LONE" > "/sys/bus/pci/drivers/$NIC_LONE_DRIVER/bind"
	[ "$(cat "$typef")" = "$type0" ] || echo "$type0" > "$typef" ||
		{ diag "cannot restore group $G_EDU type $type0"; r=1; }
	return $r
}
quarantine_checks() { # TYPEFILE TYPE0
	local d=$T/modprobe.d conf typef=$1 type0=$2
	conf=$d/dmaown-quarantine.conf
	mkdir -p "$d"
	DMAOWN_MODPROBE_D=$d ctl quarantine add --persist "$EDU_LONE"
	expect_rc 0 "quarantine add --persist" || return 1
	has "$conf" "options dmaown quarantine=$EDU_LONE" || return 1
	ctl quarantine list --json && expect_rc 0 "quarantine list --json" || return 1
	json_flat < "$T/out" > "$T/q" || return 1
	same "$(jstr "$T/q" '.entries[0]')" "$EDU_LONE" "the entry" &&
		same "$(jget "$T/q" '.groups[0].group')" "$G_EDU" "the group" &&
		same "$(jget "$T/q" '.groups[0].held')" true "held" &&
		same "$(jstr "$T/q" '.groups[0].holder')" "held by the quarantine" "holder" || return 1
	ctl quarantine list && has "$T/out" "group $G_EDU: held by the quarantine" || return 1
	ctl status "$EDU_LONE" && has "$T/out" "Quarantined" || return 1
	# refusals: a bound driver that is not DMA-safe, bad specs, unlisted
	ctl quarantine add "$NIC_LONE"; expect_rc 5 "quarantine add of a bound NIC" &&
		has "$T/err" "not DMA-safe" || return 1
	ctl quarantine add 0000:00:03; expect_rc 2 "quarantine add of a bad spec" || return 1
	ctl quarantine remove "$NIC_LONE"; expect_rc 7 "quarantine remove of an unlisted device" ||
		return 1
	# the NIC once its driver is gone: its softdep is written
	echo "$NIC_LONE" > "/sys/bus/pci/devices/$NIC_LONE/driver/unbind"
	DMAOWN_MODPROBE_D=$d ctl quarantine add --persist "$NIC_LONE"
	expect_rc 0 "quarantine add --persist of the unbound NIC" &&
		has "$conf" "options dmaown quarantine=$EDU_LONE,$NIC_LONE" &&
		has "$conf" "softdep $NIC_LONE_DRIVER pre: dmaown" || return 1
	DMAOWN_MODPROBE_D=$d ctl quarantine remove --persist "$NIC_LONE" "$EDU_LONE"
	expect_rc 0 "quarantine remove --persist" || return 1
	[ ! -e "$conf" ] || { diag "$conf is still there"; return 1; }
	echo "$NIC_LONE" > "/sys/bus/pci/drivers/$NIC_LONE_DRIVER/bind" ||
		{ diag "cannot rebind $NIC_LONE_DRIVER"; return 1; }
	[ "$(cat "$typef")" = "$type0" ] || echo "$type0" > "$typef" ||
		{ diag "cannot restore group $G_EDU type $type0"; return 1; }
	ctl quarantine list && has "$T/out" "Quarantine list: (empty)"
}

# A device that exists but has no IOMMU group: a platform device.
t_no_group() {
	local d=
	for p in /sys/bus/platform/devices/*; do
		[ -e "$p/iommu_group" ] && continue
		case ${p##*/} in *:* | *'*'*) continue ;; esac
		d=${p##*/}
		break
	done
	[ -n "$d" ] || { echo "SKIP no platform device without an IOMMU group"; return 2; }
	ctl status "platform:$d"; expect_rc 8 "status platform:$d" &&
		has "$T/err" "has no IOMMU group" || return 1
	ctl claim "platform:$d"; expect_rc 8 "claim platform:$d"
}

t_not_viable() {
	ctl claim "$NIC_LONE"; expect_rc 6 "claim $NIC_LONE" &&
		has "$T/err" "cannot claim device $NIC_LONE: group $G_NIC is not viable: $NIC_LONE is bound to $NIC_LONE_DRIVER, which is not DMA-safe" ||
		return 1
	ctl claim "$G_ICH9"; expect_rc 6 "claim group $G_ICH9" &&
		has "$T/err" "cannot claim group $G_ICH9: not viable: $ICH9_LPC is bound to" || return 1
	ctl claim "$EDU_ALIAS_A" -- true; expect_rc 6 "claim $EDU_ALIAS_A" &&
		has "$T/err" "$NIC_ALIAS is bound to $NIC_ALIAS_DRIVER" || return 1
}

# All or nothing: the edu is claimed first, then the NIC fails: the edu is
# released again.
t_all_or_nothing() {
	ctl claim "$EDU_LONE" "$NIC_LONE" -- sh -c 'echo ran > '"$T/ran"
	expect_rc 6 "claim edu + NIC" || return 1
	[ ! -e "$T/ran" ] || { diag "COMMAND ran"; return 1; }
	status_json "$G_EDU" "$T/f" && same "$(jstr "$T/f" .group.state)" free "edu state" &&
		same "$(jstr "$T/f" .group.domain)" default "edu domain"
}

# claim -- COMMAND: held (BUSY, blocking, owner named) while it runs, with
# the descriptor and its number in DMAOWN_FD; released after; exit code kept.
t_claim_command() {
	cat > "$T/cmd.sh" <<-EOF
	#!/bin/sh
	echo "\$DMAOWN_FD" > "$T/cmd.fd"
	echo "\$DMAOWN_GROUPS" > "$T/cmd.groups"
	readlink "/proc/self/fd/\$DMAOWN_FD" > "$T/cmd.link"
	echo "\$PPID" > "$T/cmd.ppid"
	"$CTL" status --json "$G_EDU" > "$T/cmd.json"
	"$CTL" status "$G_EDU" > "$T/cmd.txt"
	exit 3
	EOF
	chmod +x "$T/cmd.sh"
	ctl claim "$EDU_LONE" -- "$T/cmd.sh"
	expect_rc 3 "claim -- cmd (exit 3)" || return 1
	json_flat < "$T/cmd.json" > "$T/f" || return 1
	local ppid
	ppid=$(cat "$T/cmd.ppid")
	same "$(jstr "$T/f" .group.state)" busy "state while held" &&
		same "$(jstr "$T/f" .group.domain)" blocking "domain while held" &&
		same "$(jstr "$T/f" .group.owner.kind)" dmaown "owner.kind" &&
		same "$(jget "$T/f" .group.owner.pid)" "$ppid" "owner.pid" &&
		same "$(jstr "$T/f" .group.owner.comm)" dmaownctl "owner.comm" &&
		same "$(cat "$T/cmd.link")" /dev/dmaown "DMAOWN_FD's file" &&
		same "$(cat "$T/cmd.groups")" "$G_EDU" DMAOWN_GROUPS &&
		has "$T/cmd.txt" "busy (held by dmaownctl[$ppid] through /dev/dmaown)" || return 1
	[ -n "$(cat "$T/cmd.fd")" ] || { diag "DMAOWN_FD empty"; return 1; }
	status_json "$G_EDU" "$T/f" && same "$(jstr "$T/f" .group.state)" free "state after" &&
		same "$(jstr "$T/f" .group.domain)" default "domain after"
}

# COMMAND killed by SIGKILL: dmaownctl reports it, exits 128+9, releases.
t_claim_killed() {
	rm -f "$T/k.pid"
	"$CTL" claim "$G_EDU" -- sh -c 'echo $$ > '"$T/k.pid"'; exec sleep 1000' \
		> "$T/k.out" 2> "$T/k.err" &
	local pid=$!
	BG_PIDS="$BG_PIDS $pid"
	wait_file "$T/k.pid" && wait_state "$G_EDU" busy || return 1
	kill -KILL "$(cat "$T/k.pid")"
	wait_exit "$pid"
	same "$rc" 137 "exit code of dmaownctl" && has "$T/k.err" "was killed by signal 9" ||
		return 1
	wait_state "$G_EDU" free
}

# SIGTERM to dmaownctl is forwarded to COMMAND, whose exit code comes back.
t_claim_forward() {
	rm -f "$T/f.pid" "$T/f.got"
	"$CTL" claim "$EDU_LONE" -- sh -c \
		'trap "echo TERM > '"$T/f.got"'; exit 42" TERM; echo $$ > '"$T/f.pid"'; while :; do sleep 0.1; done' \
		> "$T/fw.out" 2> "$T/fw.err" &
	local pid=$!
	BG_PIDS="$BG_PIDS $pid"
	wait_file "$T/f.pid" && wait_state "$G_EDU" busy || return 1
	kill -TERM "$pid"
	wait_exit "$pid"
	same "$rc" 42 "exit code" && same "$(cat "$T/f.got" 2>/dev/null)" TERM "COMMAND got" ||
		return 1
	wait_state "$G_EDU" free
}

# claim without COMMAND: prints what it holds, holds until SIGINT/SIGTERM.
t_hold() {
	hold "$G_EDU" || return 1
	has "$T/hold.out" "holding group $G_EDU ($EDU_LONE)" || return 1
	status_json "$G_EDU" "$T/f" && same "$(jstr "$T/f" .group.state)" busy "state while held" &&
		same "$(jget "$T/f" .group.owner.pid)" "$HOLDER" "owner.pid" || return 1
	kill -INT "$HOLDER"
	wait_exit "$HOLDER"
	same "$rc" 0 "exit code after SIGINT" && has "$T/hold.out" "released group $G_EDU" || return 1
	wait_state "$G_EDU" free
}

# monitor PID is reading its event fd (the fd is open: events are queued to it).
monitor_ready() {
	local i=0
	while [ $i -lt 100 ]; do
		ls -l "/proc/$1/fd" 2>/dev/null | grep -q 'dmaown-events' && return 0
		running "$1" || break
		nap
		i=$((i + 1))
	done
	diag "monitor $1 has no event fd: $(cat "$T/mon.err")"
	return 1
}

# monitor --json --group: one JSON object a line, the events of the actions
# in order; SIGINT ends it with 0. Then the text form, and SIGTERM.
t_monitor() {
	local pid types='' line i=0 t
	ctl monitor --group x; expect_rc 2 "monitor --group x" || return 1
	ctl monitor --bogus; expect_rc 2 "monitor --bogus" || return 1
	"$CTL" monitor --json --group "$G_EDU" > "$T/mon.out" 2> "$T/mon.err" &
	pid=$!
	BG_PIDS="$BG_PIDS $pid"
	monitor_ready "$pid" || return 1
	ctl claim "$G_EDU" -- true; expect_rc 0 "claim -- true" || return 1
	# the parameter, not quarantine add: that would change the group's type too
	echo "$EDU_LONE" > /sys/module/dmaown/parameters/quarantine || return 1
	echo > /sys/module/dmaown/parameters/quarantine || return 1
	while [ $i -lt 50 ] && [ "$(wc -l < "$T/mon.out")" -lt 4 ]; do nap; i=$((i + 1)); done
	kill -INT "$pid"
	wait_exit "$pid"
	same "$rc" 0 "monitor's exit code after SIGINT" || { diag "$(cat "$T/mon.err")"; return 1; }
	same "$(wc -l < "$T/mon.out")" 4 "monitor lines" || { diag "$(cat "$T/mon.out")"; return 1; }
	while IFS= read -r line; do
		echo "$line" | json_flat > "$T/mf" || { diag "bad JSON line: $line"; return 1; }
		t=$(jstr "$T/mf" .type) || return 1
		types="$types${types:+ }$t"
		same "$(jget "$T/mf" .group)" "$G_EDU" "group of $t" &&
			same "$(jget "$T/mf" .schema)" 1 "schema" || return 1
		jget "$T/mf" .seq | grep -qE '^[1-9][0-9]*$' || { diag "seq: $line"; return 1; }
		case $t in
		claim | release)
			same "$(jstr "$T/mf" .comm)" dmaownctl "comm of $t" &&
				jget "$T/mf" .pid | grep -qE '^[1-9][0-9]*$' || return 1
			;;
		esac
	done < "$T/mon.out"
	same "$types" "claim release quarantine_add quarantine_remove" "event types" || return 1

	"$CTL" monitor > "$T/mon.out" 2> "$T/mon.err" &
	pid=$!
	BG_PIDS="$BG_PIDS $pid"
	monitor_ready "$pid" || return 1
	ctl claim "$G_EDU" -- true; expect_rc 0 "claim -- true" || return 1
	i=0
	while [ $i -lt 50 ] && ! grep -q "release *group $G_EDU by dmaownctl" "$T/mon.out"; do
		nap
		i=$((i + 1))
	done
	kill -TERM "$pid"
	wait_exit "$pid"
	same "$rc" 0 "monitor's exit code after SIGTERM" &&
		grep -qE "^\[[0-9]+\.[0-9]{6}\] claim +group $G_EDU by dmaownctl\[[0-9]+\]" "$T/mon.out" &&
		has "$T/mon.out" "release" || { diag "$(cat "$T/mon.out")"; return 1; }
}

# Busy: a second claim names the holder; status says so too.
t_busy() {
	hold "$EDU_LONE" || return 1
	ctl claim "$G_EDU"; expect_rc 5 "second claim" &&
		has "$T/err" "cannot claim group $G_EDU: busy: held by dmaownctl[$HOLDER] through /dev/dmaown" ||
		{ unhold; return 1; }
	ctl claim "$EDU_LONE" -- true; expect_rc 5 "second claim of the device" &&
		has "$T/err" "group $G_EDU is busy: held by dmaownctl[$HOLDER]" || { unhold; return 1; }
	ctl list && has "$T/out" "Group $G_EDU: busy (held by dmaownctl[$HOLDER] through /dev/dmaown)" ||
		{ unhold; return 1; }
	unhold
	same "$rc" 0 "holder's exit code after SIGTERM" && wait_state "$G_EDU" free
}

# Two devices of one group, and a group with one of its devices: one claim.
t_multi() {
	local drv
	drv=$(driver_of "$NIC_ALIAS")
	[ -n "$drv" ] && echo "$NIC_ALIAS" > "/sys/bus/pci/drivers/$drv/unbind"
	ctl claim "$EDU_ALIAS_A" "$EDU_ALIAS_B" "$G_ALIAS" -- sh -c \
		'"$0" status --json '"$G_ALIAS"' > '"$T/m.json"'; echo "$DMAOWN_GROUPS" > '"$T/m.groups" "$CTL"
	local r=$rc
	[ -n "$drv" ] && echo "$NIC_ALIAS" > "/sys/bus/pci/drivers/$drv/bind"
	rc=$r
	expect_rc 0 "claim of two devices and their group" || return 1
	same "$(driver_of "$NIC_ALIAS")" "$drv" "$NIC_ALIAS rebound" &&
		same "$(cat "$T/m.groups")" "$G_ALIAS" DMAOWN_GROUPS || return 1
	json_flat < "$T/m.json" > "$T/f" && same "$(jstr "$T/f" .group.state)" busy "alias state" &&
		same "$(jlen "$T/f" .group.devices)" 4 "alias devices"
}

# COMMAND not found: 127, and nothing stays claimed.
t_exec_fail() {
	ctl claim "$G_EDU" -- /nonexistent/command
	expect_rc 127 "claim -- /nonexistent" && has "$T/err" "cannot run '/nonexistent/command'" ||
		return 1
	status_json "$G_EDU" "$T/f" && same "$(jstr "$T/f" .group.state)" free "state after"
}

# claim: options before "--" in any order; everything after it is COMMAND's,
# options included.
t_claim_dashdash() {
	rm -f "$T/dd.args" "$T/dd.ran"
	# shellcheck disable=SC2016 # $@ is for the inner sh
	ctl claim "$G_EDU" -- sh -c 'printf "%s\n" "$@" > "$0"' "$T/dd.args" --json -h -- x
	expect_rc 0 "claim GROUP -- sh -c ... --json -h -- x" || return 1
	same "$(tr '\n' ' ' < "$T/dd.args")" "--json -h -- x " "COMMAND's arguments" || return 1
	ctl claim "$G_EDU" -h -- sh -c "echo ran > $T/dd.ran"
	expect_rc 0 "claim GROUP -h -- ..." && has "$T/out" "Usage: dmaownctl claim" || return 1
	[ ! -e "$T/dd.ran" ] || { diag "COMMAND ran after --help"; return 1; }
	# claim has no --json: refused before "--", passed on after it.
	ctl claim "$G_EDU" --json -- sh -c "echo ran > $T/dd.ran"
	expect_rc 2 "claim GROUP --json -- ..." && has "$T/err" "claim: unknown option '--json'" ||
		return 1
	[ ! -e "$T/dd.ran" ] || { diag "COMMAND ran after a usage error"; return 1; }
	status_json "$G_EDU" "$T/f" && same "$(jstr "$T/f" .group.state)" free "state after"
}

# JSON escaping: a holder whose comm has a quote, a backslash, a tab, UTF-8
# (é) and a byte that is not UTF-8 (\377: U+FFFD, written as \ufffd).
t_json_escape() {
	local name
	name=$(printf 'a"b\\c\td\303\251\377')
	cp "$CTL" "$T/$name" || return 1
	"$T/$name" claim "$G_EDU" > "$T/e.out" 2> "$T/e.err" &
	HOLDER=$!
	BG_PIDS="$BG_PIDS $HOLDER"
	wait_file "$T/e.out" || { diag "$(cat "$T/e.err")"; return 1; }
	status_json "$G_EDU" "$T/f" || { unhold; return 1; }
	same "$(jget "$T/f" .group.owner.comm)" "$(printf '"a\\"b\\\\c\\td\303\251\357\277\275"')" \
		"escaped comm" || { unhold; return 1; }
	has "$T/sj" '"comm": "a\"b\\c\td'"$(printf '\303\251')"'\ufffd"' || { unhold; return 1; }
	ctl list --json && json_flat < "$T/out" > /dev/null || { unhold; return 1; }
	ctl status "$G_EDU" && has "$T/out" 'held by a"b\c?d' || { unhold; return 1; }
	unhold
	wait_state "$G_EDU" free
}

# Device names as lspci -nn -D gives them (libpci, pci.ids), the lines of
# list without "(rev xx)"; the JSON names as lspci -mm gives them.
t_lspci_names() {
	command -v lspci > /dev/null || { diag "lspci not in the guest"; return 1; }
	ctl list && expect_rc 0 list || return 1
	awk '/^    [0-9a-f]{4}:/ { sub(/^    /, ""); print }' "$T/out" | sort > "$T/ours"
	lspci -nn -D | sed 's/ (rev [0-9a-f]*)$//' | while read -r slot rest; do
		[ -e "/sys/bus/pci/devices/$slot/iommu_group" ] && echo "$slot $rest"
	done | sort > "$T/lspci"
	[ -s "$T/ours" ] || { diag "no device lines in list"; return 1; }
	cmp -s "$T/ours" "$T/lspci" ||
		{ diag "list and lspci -nn -D differ:"; diff "$T/lspci" "$T/ours" | sed 's/^/  /'; return 1; }
	# pci.ids was read: the NIC has its vendor's name.
	has "$T/ours" "$NIC_LONE Ethernet controller [0200]: Intel Corporation " || return 1
	status_json "$NIC_LONE" "$T/f" || return 1
	lspci -mm -D -s "$NIC_LONE" | awk -F'"' '{ print $2; print $4; print $6 }' > "$T/mm"
	same "$(jstr "$T/f" .group.devices[0].class_name)" "$(sed -n 1p "$T/mm")" "class_name" &&
		same "$(jstr "$T/f" .group.devices[0].vendor_name)" "$(sed -n 2p "$T/mm")" "vendor_name" &&
		same "$(jstr "$T/f" .group.devices[0].device_name)" "$(sed -n 3p "$T/mm")" "device_name"
}

# The JSON parser rejects what is not JSON (so the checks above mean something),
# also what jq alone would take.
t_parser() {
	local bad
	for bad in '{"a":1,}' '{"a":1' '[1 2]' '{"a":01}' '"x' '{"a":1}x' '{a:1}' '{"a":1,"a":2}' \
		'{"a":"\q"}' '[tru]' '[nan]' 'NaN' '[+1]' '[1.]' '[.5]' '[-01]' '[Infinity]' \
		'{"a":{"b":1},"a":{"c":2}}' '{"a":1}{"a":1}' '["a	b"]' '[1]]'; do
		if printf '%s' "$bad" | json_flat > /dev/null 2>&1; then
			diag "accepted: $bad"
			return 1
		fi
	done
	printf '%s' '{"a":[1,-2.5e3,"x\"y\\z\n",true,null,{}],"b":{"c":[]},"d":"[1,\"e\":01]"}' |
		json_flat > "$T/p" &&
		same "$(tr '\n' ' ' < "$T/p")" \
			'.a[0]=1 .a[1]=-2500 .a[2]="x\"y\\z\n" .a[3]=true .a[4]=null .a[5]={} .b.c=[] .d="[1,\"e\":01]" ' \
			"flattened"
}

# Permission denied: in a user namespace, root lacks CAP_SYS_ADMIN over the
# initial namespace, so the module's open() of /dev/dmaown says EPERM. It is
# still kuid 0, the owner of the group nodes.
t_perm() {
	unshare -r true 2>/dev/null || { echo "SKIP no user namespaces (unshare -r)"; return 2; }
	unshare -r "$CTL" list > "$T/out" 2> "$T/err"
	rc=$?
	expect_rc 4 "list without CAP_SYS_ADMIN" &&
		has "$T/err" "cannot open /dev/dmaown: permission denied (needs root or CAP_SYS_ADMIN" ||
		return 1
	# One group: its node, root's, opens for the namespace's root (kuid 0)
	# by its file permission alone, as /dev/vfio/N would; a claim works.
	unshare -r "$CTL" claim "$G_EDU" -- sh -c 'readlink /proc/self/fd/$DMAOWN_FD' \
		> "$T/out" 2> "$T/err"
	rc=$?
	expect_rc 0 "claim of one group without CAP_SYS_ADMIN, through its node" &&
		has "$T/out" "/dev/dmaown-group/$G_EDU" || return 1
	# Two groups: no node will do.
	unshare -r "$CTL" claim "$G_EDU" "$G_ALIAS" -- true > "$T/out" 2> "$T/err"
	rc=$?
	expect_rc 4 "claim of two groups without CAP_SYS_ADMIN"
}

# Module not loaded: every command says so, exit 3; then the module is back.
t_no_module() {
	if ! rmmod dmaown 2> "$T/rmmod.err"; then
		diag "rmmod dmaown: $(cat "$T/rmmod.err")"
		return 1
	fi
	local ok=0
	ctl list; expect_rc 3 "list without the module" &&
		has "$T/err" "the dmaown module is not loaded (try: modprobe dmaown)" || ok=1
	ctl status "$G_EDU"; expect_rc 3 "status without the module" || ok=1
	ctl claim "$G_EDU" -- true; expect_rc 3 "claim without the module" || ok=1
	ctl info --json; expect_rc 3 "info without the module" || ok=1
	insmod "$DMAOWN_MODULE" || { diag "insmod $DMAOWN_MODULE failed"; return 1; }
	local i=0
	while [ ! -c /dev/dmaown ] && [ $i -lt 50 ]; do nap; i=$((i + 1)); done
	ctl info; expect_rc 0 "info after insmod" || ok=1
	return $ok
}

TESTS="
t_setup		dmaownctl, /dev/dmaown and the topology's groups are there
t_help		--help per command, usage errors exit 2
t_info		info and info --json (schema, api_version, one ownership mode, guard armed)
t_list_json	list --json parses and matches sysfs (groups, devices, drivers, ids)
t_list_verdicts	list --json verdicts: edu viable; NIC, alias and ICH9 groups name offenders
t_list_text	list text: devices under their groups, drivers, one-line reasons
t_status_device	status DEVICE (text and JSON, short PCI name)
t_status_group	status GROUP of the ICH9 group: not viable, offenders
t_opts_order	options after the operand: status GROUP --json is status --json GROUP
t_reasons	list --json and status --json: every group has a reasons array of strings
t_unknown	unknown group or device: exit 7 with its message
t_no_group	device without an IOMMU group: exit 8
t_quarantine	quarantine add, list (text, JSON), refusals, --persist with softdeps, remove
t_not_viable	claim of a non-viable group or device: exit 6, offenders named
t_all_or_nothing	claim is all or nothing: a failure releases what was taken
t_claim_command	claim -- COMMAND holds (busy, blocking, owner, DMAOWN_FD) and releases
t_claim_killed	COMMAND killed by SIGKILL: reported, exit 137, released
t_claim_forward	SIGTERM forwarded to COMMAND, its exit code returned, released
t_hold		claim without COMMAND holds until SIGINT, says what it held
t_monitor	monitor --json --group: one JSON line per event of the actions, in order; SIGINT/SIGTERM exit 0
t_busy		a busy group: exit 5, the holder named in claim, status and list
t_multi		two devices and their group in one claim: one group claim
t_exec_fail	COMMAND not found: exit 127, nothing left claimed
t_claim_dashdash	claim: options before --, everything after -- goes to COMMAND
t_json_escape	JSON strings are escaped (holder comm with quote, backslash, tab, UTF-8, not UTF-8)
t_lspci_names	device names in list are lspci -nn's, the JSON names lspci -mm's
t_parser	the JSON parser rejects invalid JSON and flattens valid JSON
t_perm		without CAP_SYS_ADMIN (user namespace): list exit 4; one group's claim through its node
t_no_module	module not loaded: exit 3 with a modprobe hint; reloaded after
"

# Sourced for a host-side check of the helpers: stop here.
[ -n "${DMAOWNCTL_TEST_SOURCE:-}" ] && return 0

echo "TAP version 13"
echo "1..$(echo "$TESTS" | grep -c .)"
n=0
failed=0
setup_ok=1
echo "$TESTS" | grep . > "$T/list.txt"
while IFS='	' read -r fn desc; do
	n=$((n + 1))
	desc=$(echo "$desc" | sed 's/^[	]*//')
	if [ $setup_ok = 0 ]; then
		echo "not ok $n - $desc # setup failed"
		failed=$((failed + 1))
		continue
	fi
	$fn < /dev/null > "$T/diag" 2>&1
	r=$?
	case $r in
	0) echo "ok $n - $desc" ;;
	2) echo "ok $n - $desc # SKIP $(sed -n 's/^SKIP //p' "$T/diag")" ;;
	*)
		echo "not ok $n - $desc"
		failed=$((failed + 1))
		[ "$fn" = t_setup ] && setup_ok=0
		;;
	esac
	grep -v '^SKIP ' "$T/diag" | sed 's/^\([^#]\)/# \1/'
done < "$T/list.txt"
[ $failed -eq 0 ]
