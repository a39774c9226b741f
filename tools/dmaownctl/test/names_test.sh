#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: names_test.sh NAMES_TEST
#
# The naming module (names.c, libpci) against lspci: on this host, every
# PCI device's line as dmaownctl list prints it is lspci -nn -D's, without
# "(rev xx)". Then the JSON names of fixed ids: a known device, an unknown
# device of a known vendor, an unknown vendor, a class known only by its
# base class.
set -euo pipefail
prog=${1:?usage: names_test.sh NAMES_TEST}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
bad() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }

if ! command -v lspci > /dev/null; then
	n=$((n + 1))
	echo "ok $n - lines as lspci -nn -D # SKIP no lspci (apt-get install pciutils)"
elif [ -z "$(ls /sys/bus/pci/devices 2>/dev/null)" ]; then
	n=$((n + 1))
	echo "ok $n - lines as lspci -nn -D # SKIP no PCI device on this host"
else
	"$prog" | LC_ALL=C sort > "$tmp/ours"
	lspci -nn -D | sed 's/ (rev [0-9a-f]*)$//' | LC_ALL=C sort > "$tmp/lspci"
	if diff -u "$tmp/lspci" "$tmp/ours" > "$tmp/diff"; then
		ok "lines as lspci -nn -D ($(wc -l < "$tmp/ours") devices)"
	else
		bad "lines as lspci -nn -D"
		sed 's/^/# /' "$tmp/diff"
	fi
fi

# ids NAME CLASS VEN DEV WANT: the four lines joined with '|'.
ids() {
	local got
	got=$("$prog" "$2" "$3" "$4" | paste -sd '|')
	if [ "$got" = "$5" ]; then ok "$1"; else bad "$1: got '$got', want '$5'"; fi
}
if [ -r /usr/share/misc/pci.ids ] || [ -r /usr/share/hwdata/pci.ids ]; then
	ids "known device" 020000 8086 10d3 \
		'Ethernet controller [0200]: Intel Corporation 82574L Gigabit Network Connection [8086:10d3]|Ethernet controller|Intel Corporation|82574L Gigabit Network Connection'
	ids "unknown device" 068000 8086 ffff \
		'Bridge [0680]: Intel Corporation Device [8086:ffff]|Bridge|Intel Corporation|(null)'
	ids "unknown vendor" 00ff00 1234 11e8 \
		'Unclassified device [00ff]: Device [1234:11e8]|Unclassified device|(null)|(null)'
else
	n=$((n + 1))
	echo "ok $n - names of fixed ids # SKIP no pci.ids"
fi
echo "names_test: $((n - fails)) passed, $fails failed"
[ "$fails" = 0 ]
