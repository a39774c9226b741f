# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # sourced; the names are used elsewhere
#
# The fixed QEMU topology of the dmaown VM tests. Sourced (bash) by
# scripts/vm-test; the guest sees the same names in /etc/dmaown-topology
# (KEY=VALUE lines, sourced by init and exported to every test).
#
# Machine: q35, kernel-irqchip=split, TCG, intel-iommu (intremap=on,
# caching-mode=on). QEMU 7.2's q35 uses ACPI PCI hotplug (acpiphp in the
# guest) for root ports and for the pci-bridge, so device_add/device_del work
# behind 00:05.0, 00:06.0 and 00:07.0; the root bus pcie.0 itself is not
# hot-pluggable.
#
#   pcie.0 (root complex)
#   |-- 00:00.0  q35 host bridge (MCH)                        [own group]
#   |-- 00:03.0  edu          EDU_LONE     qid edu-lone       [own group]  DMA witness
#   |-- 00:04.0  e1000e       NIC_LONE     qid nic-lone       [own group]  driver e1000e
#   |-- 00:05.0  pci-bridge   BRIDGE       qid bridge, shpc=off, no driver
#   |     |                                                   [alias group: the bridge
#   |     |-- 01:01.0  edu    EDU_ALIAS_A  qid edu-alias-a     and all of bus 01; DMA
#   |     |-- 01:02.0  edu    EDU_ALIAS_B  qid edu-alias-b     from bus 01 carries the
#   |     |-- 01:03.0  e1000  NIC_ALIAS    qid nic-alias       bridge's requester ID]
#   |     `-- 01:04.0+ free: device_add ...,bus=bridge,addr=04.0 joins the alias group
#   |-- 00:06.0  pcie-root-port RP_HP1     qid rp-hp1 (pcieport, ACS) [own group]
#   |     `-- 02:00.0  edu    EDU_HP       qid edu-hp         [own group]  removable (device_del)
#   |-- 00:07.0  pcie-root-port RP_HP2     qid rp-hp2 (pcieport, ACS) [own group]
#   |     `-- 03:00.0  empty: device_add edu,bus=rp-hp2 appears here, in a new group
#   |-- 00:08.0  pcie-root-port RP_MF      qid rp-mf (pcieport, ACS)  [own group]
#   |     |-- 04:00.0  edu    EDU_MF_A     qid edu-mf-a, multifunction [one group: two
#   |     `-- 04:00.1  edu    EDU_MF_B     qid edu-mf-b                 functions without
#   |                                                   ACS, each with its own requester ID]
#   |-- 00:1f.0  ICH9 LPC     ICH9_LPC     driver lpc_ich     [one group with 1f.2 and
#   |-- 00:1f.2  ICH9 SATA    ICH9_SATA    driver ahci         1f.3: kernel drivers
#   `-- 00:1f.3  ICH9 SMBus   ICH9_SMBUS   driver i801_smbus   bound, never claimable]
#
# Seen with `iommu=pt` and `iommu=nopt` on 5.10.0-32, 6.1.0-56 and
# 6.12.117+deb12 (group numbers are the kernel's and are not part of the
# contract; tests find groups through /sys/bus/pci/devices/*/iommu_group):
#   group 0: 00:00.0
#   group 1: 00:03.0
#   group 2: 00:04.0 (e1000e)
#   group 3: 00:05.0 01:01.0 01:02.0 01:03.0 (e1000)
#   group 4: 00:06.0 (pcieport)
#   group 5: 00:07.0 (pcieport)
#   group 6: 00:1f.0 (lpc_ich) 00:1f.2 (ahci) 00:1f.3 (i801_smbus)
#   group 7: 02:00.0
# Default domain type (/sys/kernel/iommu_groups/N/type): "identity" with
# iommu=pt, "DMA" with iommu=nopt on all three (not DMA-FQ: caching-mode
# makes intel-iommu flush strictly under virtualization).
# Hot-plug through QMP (tests/guest/selftest/i_hotplug_test.sh, both modes,
# all three kernels): device_del of edu-hp works; a device added behind the
# bridge joins group 3; one added behind rp-hp2 is 03:00.0 in a group of its
# own (the kernel reuses freed group ids).
#
# shpc=off matters: a bridge with an SHPC binds shpchp, which is not DMA-safe
# (no driver_managed_dma) on 6.1+, and that makes the alias group unclaimable.
# ACPI hotplug binds no driver to the bridge, so the group stays claimable.
#
# Hot-plug from a test: see tests/guest/README (dmaown-qmp on /dev/ttyS2).

# Guest-visible names (PCI addresses as in /sys/bus/pci/devices).
EDU_LONE=0000:00:03.0
EDU_LONE_QID='edu-lone'
NIC_LONE=0000:00:04.0
NIC_LONE_QID='nic-lone'
NIC_LONE_DRIVER=e1000e
BRIDGE=0000:00:05.0
BRIDGE_QID='bridge'
BRIDGE_BUS=0000:01
EDU_ALIAS_A=0000:01:01.0
EDU_ALIAS_A_QID='edu-alias-a'
EDU_ALIAS_B=0000:01:02.0
EDU_ALIAS_B_QID='edu-alias-b'
NIC_ALIAS=0000:01:03.0
NIC_ALIAS_QID='nic-alias'
NIC_ALIAS_DRIVER=e1000
ALIAS_GROUP="$BRIDGE $EDU_ALIAS_A $EDU_ALIAS_B $NIC_ALIAS"
ALIAS_FREE_ADDR=04.0
ALIAS_FREE_BDF=0000:01:04.0
RP_HP1=0000:00:06.0
RP_HP1_QID='rp-hp1'
EDU_HP=0000:02:00.0
EDU_HP_QID='edu-hp'
RP_HP2=0000:00:07.0
RP_HP2_QID='rp-hp2'
RP_HP2_CHILD_BDF=0000:03:00.0
ICH9_LPC=0000:00:1f.0
ICH9_SATA=0000:00:1f.2
ICH9_SMBUS=0000:00:1f.3
ICH9_GROUP="$ICH9_LPC $ICH9_SATA $ICH9_SMBUS"
RP_MF=0000:00:08.0
RP_MF_QID='rp-mf'
EDU_MF_A=0000:04:00.0
EDU_MF_A_QID='edu-mf-a'
EDU_MF_B=0000:04:00.1
EDU_MF_B_QID='edu-mf-b'
LONE_DEVICES="$EDU_LONE $NIC_LONE $EDU_HP"
# The edu's full DMA mask: without it edu DMA is limited to 28 bits.
EDU_DMA_MASK=0xffffffffffffffff
# Devices and the driver each must have after boot.
BOUND_DRIVERS="$NIC_LONE=e1000e $NIC_ALIAS=e1000 $ICH9_LPC=lpc_ich $ICH9_SATA=ahci $ICH9_SMBUS=i801_smbus $RP_HP1=pcieport $RP_HP2=pcieport $RP_MF=pcieport"
# Devices that must have no driver after boot.
UNBOUND_DEVICES="$EDU_LONE $BRIDGE $EDU_ALIAS_A $EDU_ALIAS_B $EDU_HP $EDU_MF_A $EDU_MF_B"

# The variables above, for /etc/dmaown-topology.
TOPOLOGY_VARS="EDU_LONE EDU_LONE_QID NIC_LONE NIC_LONE_QID NIC_LONE_DRIVER BRIDGE BRIDGE_QID
BRIDGE_BUS EDU_ALIAS_A EDU_ALIAS_A_QID EDU_ALIAS_B EDU_ALIAS_B_QID NIC_ALIAS NIC_ALIAS_QID
NIC_ALIAS_DRIVER ALIAS_GROUP ALIAS_FREE_ADDR ALIAS_FREE_BDF RP_HP1 RP_HP1_QID EDU_HP EDU_HP_QID
RP_HP2 RP_HP2_QID RP_HP2_CHILD_BDF RP_MF RP_MF_QID EDU_MF_A EDU_MF_A_QID EDU_MF_B EDU_MF_B_QID ICH9_LPC ICH9_SATA ICH9_SMBUS ICH9_GROUP LONE_DEVICES
EDU_DMA_MASK BOUND_DRIVERS UNBOUND_DEVICES"

# topology_qemu_args: the -device/-netdev arguments, into the array
# TOPOLOGY_QEMU_ARGS. The q35 machine adds the ICH9 functions at 00:1f.* by
# itself. Both NICs get a "user" backend with restrict=on (no network needed)
# and no option ROM (iPXE only slows the boot down).
topology_qemu_args() {
	local edu="edu,dma_mask=$EDU_DMA_MASK"

	TOPOLOGY_QEMU_ARGS=(
		-device "$edu,addr=03.0,id=$EDU_LONE_QID"
		-netdev "user,id=net-lone,restrict=on"
		-device "e1000e,addr=04.0,netdev=net-lone,romfile=,id=$NIC_LONE_QID"
		-device "pci-bridge,addr=05.0,chassis_nr=1,shpc=off,id=$BRIDGE_QID"
		-device "$edu,bus=$BRIDGE_QID,addr=01.0,id=$EDU_ALIAS_A_QID"
		-device "$edu,bus=$BRIDGE_QID,addr=02.0,id=$EDU_ALIAS_B_QID"
		-netdev "user,id=net-alias,restrict=on"
		-device "e1000,bus=$BRIDGE_QID,addr=03.0,netdev=net-alias,romfile=,id=$NIC_ALIAS_QID"
		-device "pcie-root-port,addr=06.0,chassis=2,slot=6,id=$RP_HP1_QID"
		-device "$edu,bus=$RP_HP1_QID,addr=00.0,id=$EDU_HP_QID"
		-device "pcie-root-port,addr=07.0,chassis=3,slot=7,id=$RP_HP2_QID"
		-device "pcie-root-port,addr=08.0,chassis=4,slot=8,id=$RP_MF_QID"
		-device "$edu,bus=$RP_MF_QID,addr=00.0,multifunction=on,id=$EDU_MF_A_QID"
		-device "$edu,bus=$RP_MF_QID,addr=00.1,id=$EDU_MF_B_QID"
	)
}

# topology_guest_env: the contents of /etc/dmaown-topology.
topology_guest_env() {
	local v

	echo "# /etc/dmaown-topology: generated from tests/qemu/topology.sh; sh syntax"
	for v in $TOPOLOGY_VARS; do
		printf "%s='%s'\n" "$v" "${!v}"
	done
}
