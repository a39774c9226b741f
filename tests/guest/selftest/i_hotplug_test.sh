#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Harness self-test: hot-plug through dmaown-qmp, on every kernel.
#  1. device_del the edu behind root port rp-hp1 (EDU_HP);
#  2. device_add an edu behind root port rp-hp2: a group of its own;
#  3. device_add an edu behind the pci-bridge: it joins the alias group;
#  4. device_del both again.
# Expect: all pass.
. /etc/dmaown-topology
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); echo "not ok $n - $*"; }
t() { d=$1; shift; if "$@" >/dev/null; then ok "$d"; else nok "$d"; fi; }
wait_for() { # wait_for present|absent BDF
	i=0
	while [ $i -lt 100 ]; do
		if [ "$1" = present ] && [ -e "/sys/bus/pci/devices/$2" ]; then return 0; fi
		if [ "$1" = absent ] && [ ! -e "/sys/bus/pci/devices/$2" ]; then return 0; fi
		sleep 0.2
		i=$((i + 1))
	done
	echo "$2 not $1 after 20s" >&2
	return 1
}
group() { l=$(readlink "/sys/bus/pci/devices/$1/iommu_group") && echo "${l##*/}"; }
same_group() { [ -n "$(group "$1")" ] && [ "$(group "$1")" = "$(group "$2")" ]; }
alone() { g=$(group "$1") && [ "$(ls /sys/kernel/iommu_groups/$g/devices)" = "$1" ]; }
edu='"driver": "edu", "dma_mask": 18446744073709551615'

echo "TAP version 13"
echo "1..11"
t "the host relay answers" dmaown-qmp -p
t "device_del $EDU_HP_QID" dmaown-qmp device_del "{\"id\": \"$EDU_HP_QID\"}"
t "DEVICE_DELETED $EDU_HP_QID" dmaown-qmp -t 30 -e DEVICE_DELETED "\"$EDU_HP_QID\""
t "$EDU_HP is gone" wait_for absent "$EDU_HP"
t "device_add edu behind $RP_HP2_QID" dmaown-qmp device_add "{$edu, \"bus\": \"$RP_HP2_QID\", \"id\": \"st-edu-rp\"}"
t "$RP_HP2_CHILD_BDF appears" wait_for present "$RP_HP2_CHILD_BDF"
t "$RP_HP2_CHILD_BDF is alone in its group" alone "$RP_HP2_CHILD_BDF"
t "device_add edu behind $BRIDGE_QID at $ALIAS_FREE_ADDR" dmaown-qmp device_add "{$edu, \"bus\": \"$BRIDGE_QID\", \"addr\": \"$ALIAS_FREE_ADDR\", \"id\": \"st-edu-br\"}"
t "$ALIAS_FREE_BDF appears in the alias group" eval "wait_for present $ALIAS_FREE_BDF && same_group $ALIAS_FREE_BDF $BRIDGE"
t "device_del both" eval "dmaown-qmp device_del '{\"id\": \"st-edu-rp\"}' >/dev/null && dmaown-qmp device_del '{\"id\": \"st-edu-br\"}' >/dev/null"
t "both are gone" eval "wait_for absent $RP_HP2_CHILD_BDF && wait_for absent $ALIAS_FREE_BDF"
