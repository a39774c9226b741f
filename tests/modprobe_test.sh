#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The module as an installed system loads it: modprobe from updates/dkms
# (where DKMS puts it), with parameters, and the admin's safe_drivers= list.
# TAP 13. Leaves dmaown loaded from /dmaown/dmaown.ko, as init did.

. /etc/dmaown-topology 2>/dev/null
NIC=${NIC_LONE:-0000:00:04.0}
NIC_DRV=${NIC_LONE_DRIVER:-e1000e}
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { # description, command...
	d=$1; shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}
loaded() { grep -q '^dmaown ' /proc/modules; }
kver=$(uname -r)
case $kver in
5.10.*) legacy=1 ;;
*) legacy=0 ;;
esac

echo "TAP version 13"
echo "1..9"

rmmod dmaown 2>/dev/null
check "modprobe finds dmaown in updates/dkms" \
	sh -c "modprobe dmaown && grep -q '^dmaown ' /proc/modules"
check "/dev/dmaown appears" test -c /dev/dmaown
check "modprobe -r unloads it" sh -c "modprobe -r dmaown && ! grep -q '^dmaown ' /proc/modules"

# The admin declares the NIC's driver DMA-safe.
mark=$(dmesg | wc -l)
check "modprobe dmaown safe_drivers=$NIC_DRV,foo" modprobe dmaown "safe_drivers=$NIC_DRV,foo"
check "the parameter reads back" \
	grep -qx "$NIC_DRV,foo" /sys/module/dmaown/parameters/safe_drivers
status=$(dmaownctl status "$NIC" 2>&1)
echo "$status" | sed 's/^/# /'
if [ $legacy = 1 ]; then
	# 5.10: no driver_managed_dma, so the admin's list decides.
	check "5.10: the group of $NIC_DRV is viable by the admin's list" \
		sh -c "echo \"\$0\" | grep -q 'Viable: *yes'" "$status"
	check "5.10: and can be claimed with $NIC_DRV bound" dmaownctl claim "$NIC" -- true
else
	# driver_managed_dma kernels: the core decides; the list is ignored, and
	# the log says so.
	check "$kver: the group of $NIC_DRV stays not viable" \
		sh -c "echo \"\$0\" | grep -q 'Viable: *no'" "$status"
	check "$kver: the log says safe_drivers is ignored" \
		sh -c "dmesg | tail -n +$((mark + 1)) | grep -q 'safe_drivers is ignored'"
fi
rmmod dmaown
check "$NIC is still bound to $NIC_DRV" \
	sh -c "readlink /sys/bus/pci/devices/$NIC/driver | grep -q '/$NIC_DRV\$'"
check "insmod /dmaown/dmaown.ko again" insmod /dmaown/dmaown.ko $DMAOWN_PARAMS

exit $((failed > 0))
