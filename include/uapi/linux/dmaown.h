/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * dmaown: user DMA ownership of IOMMU groups.
 *
 * /dev/dmaown lets a VM manager check that an IOMMU group is safe to hand to
 * a guest, take it (every device of the group on a blocking domain, no kernel
 * driver allowed to bind), and give it back. Ownership belongs to the open
 * file: closing it, or the owner's death, releases everything.
 *
 * /dev/dmaown needs CAP_SYS_ADMIN at open(). /dev/dmaown-group/N, one node
 * per IOMMU group, needs only its file permission (the admin's chown, ACL or
 * udev rule), and gives a file that acts on group N only: DMAOWN_GET_INFO,
 * and GROUP_STATUS, the claims, the releases and EVENTS_OPEN of group N.
 * Nothing is checked after open(): a file passed over a unix socket
 * (SCM_RIGHTS) works in the receiver.
 */
#ifndef _UAPI_LINUX_DMAOWN_H
#define _UAPI_LINUX_DMAOWN_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * DOC: General ioctl format
 *
 * Every ioctl takes a pointer to a struct that begins with ``__u32 size`` and
 * ``__u32 flags``. @size is sizeof() the struct as the caller knows it:
 * a smaller size than the kernel's first version of the struct is EINVAL; a
 * larger size is accepted when the bytes the kernel does not know are zero,
 * else E2BIG. Structs only grow at their end.
 *
 * One errno, one meaning:
 *  - ENOTTY:     unknown ioctl number;
 *  - EFAULT:     a pointer (the argument, or an ``*_uptr`` field) is bad;
 *  - E2BIG:      non-zero bytes past the end of the struct the kernel knows;
 *  - EOPNOTSUPP: an unknown bit in @flags, or a non-zero ``__reserved``;
 *  - EINVAL:     a malformed field (size too small, unterminated string, ...);
 *  - ENOENT:     no such group or device, or this file holds no such claim;
 *  - ENODEV:     the device has no IOMMU group, or the claim was revoked
 *                (see DMAOWN_GROUP_REVOKED): the release that says so has
 *                still released it;
 *  - EBUSY:      the group is not viable (a device of it is bound to a
 *                driver that is not DMA-safe), it is owned by someone else
 *                (another dmaown file, VFIO, iommufd, dmaown itself: see
 *                DMAOWN_GROUP_HELD), a member is being removed, or the
 *                kernel cannot move it to a blocking domain now (see the
 *                reasons in dmaown_group_status.out_group_flags);
 *  - EALREADY:   this file already holds that claim;
 *  - EAGAIN:     the bind guard is disarmed (kprobes disabled through
 *                debugfs) on a kernel where it is the only defence against
 *                kernel drivers (no DMAOWN_INFO_CORE_OWNERSHIP): retry once
 *                kprobes are enabled again;
 *  - EINTR:      a signal came while waiting for a device (a driver busy
 *                binding or unbinding it); nothing was done;
 *  - EEXIST:     QUARANTINE_ADD of a device already in the quarantine list;
 *  - EACCES:     a file of /dev/dmaown-group/N asked about another group
 *                (or a device of another group);
 *  - EPERM:      the opener of /dev/dmaown lacks CAP_SYS_ADMIN (checked at
 *                open()), or a file of a group node asked for the
 *                quarantine list (QUARANTINE_ADD, QUARANTINE_REMOVE).
 *
 * A file of a group node whose group went away answers ENODEV to every
 * ioctl but GET_INFO, also when a new group takes the same number.
 *
 * An event fd (DMAOWN_EVENTS_OPEN) has errnos of its own, read(2)'s:
 * EINVAL for a buffer smaller than one record, EAGAIN when it is empty and
 * O_NONBLOCK, EINTR when a signal interrupts a blocking read, EFAULT.
 *
 * An ioctl that fails has changed nothing. In particular, when the reply
 * of a claim cannot be written back (EFAULT), the claim is undone; a
 * release writes nothing back.
 *
 * Strings are NUL-terminated within their fixed-size arrays; an input string
 * that fills its array without a NUL is EINVAL.
 */

#define DMAOWN_API_VERSION 4

#define DMAOWN_TYPE 0xD7

enum {
	DMAOWN_CMD_BASE = 0x80,
	DMAOWN_CMD_GET_INFO = DMAOWN_CMD_BASE,
	DMAOWN_CMD_GROUP_STATUS,
	DMAOWN_CMD_GROUP_CLAIM,
	DMAOWN_CMD_GROUP_RELEASE,
	DMAOWN_CMD_DEVICE_CLAIM,
	DMAOWN_CMD_DEVICE_RELEASE,
	DMAOWN_CMD_QUARANTINE_ADD,
	DMAOWN_CMD_QUARANTINE_REMOVE,
	DMAOWN_CMD_EVENTS_OPEN,
};

#define DMAOWN_NAME_LEN 64
#define DMAOWN_BUS_LEN 32
#define DMAOWN_COMM_LEN 16
#define DMAOWN_SPEC_LEN 32

/**
 * enum dmaown_info_flags - dmaown_info.out_flags
 * @DMAOWN_INFO_CORE_OWNERSHIP: claims use the kernel's own DMA-ownership
 *	API (iommu_group_claim_dma_owner, Linux 5.19+): the core refuses
 *	kernel drivers and excludes VFIO/iommufd by itself.
 * @DMAOWN_INFO_LEGACY_OWNERSHIP: the kernel has no DMA-ownership API;
 *	dmaown provides it (own viability walk, own empty paging domain, own
 *	probe denial).
 * @DMAOWN_INFO_PROBE_GUARD: the bind guard (a kprobe on the driver core's
 *	probe path) is armed: kernel drivers that are not DMA-safe cannot
 *	bind to a device of an owned group. Clear while kprobes are disarmed
 *	(/sys/kernel/debug/kprobes/enabled is 0).
 * @DMAOWN_INFO_DRIVER_MANAGED_DMA: the kernel marks DMA-safe drivers with
 *	driver_managed_dma; otherwise an allowlist is used.
 */
enum dmaown_info_flags {
	DMAOWN_INFO_CORE_OWNERSHIP = 1 << 0,
	DMAOWN_INFO_LEGACY_OWNERSHIP = 1 << 1,
	DMAOWN_INFO_PROBE_GUARD = 1 << 2,
	DMAOWN_INFO_DRIVER_MANAGED_DMA = 1 << 3,
};

/**
 * struct dmaown_info - ioctl(DMAOWN_GET_INFO)
 * @size: sizeof(struct dmaown_info)
 * @flags: must be 0
 * @out_api_version: DMAOWN_API_VERSION of the running module
 * @out_flags: enum dmaown_info_flags
 * @out_version: the module's version string
 */
struct dmaown_info {
	__u32 size;
	__u32 flags;
	__u32 out_api_version;
	__u32 out_flags;
	char out_version[32];
};

#define DMAOWN_GET_INFO _IO(DMAOWN_TYPE, DMAOWN_CMD_GET_INFO)

/**
 * enum dmaown_state - dmaown_group_status.out_state
 * @DMAOWN_STATE_FREE: nobody owns the group for user DMA
 * @DMAOWN_STATE_OWNED: this file owns the group
 * @DMAOWN_STATE_BUSY: someone else owns it: another dmaown file, VFIO,
 *	iommufd or any other kernel owner
 */
enum dmaown_state {
	DMAOWN_STATE_FREE = 0,
	DMAOWN_STATE_OWNED = 1,
	DMAOWN_STATE_BUSY = 2,
};

/**
 * enum dmaown_domain - dmaown_group_status.out_domain
 * @DMAOWN_DOMAIN_DEFAULT: the group's default domain (DMA API or identity)
 * @DMAOWN_DOMAIN_BLOCKING: a blocking domain: no DMA reaches memory
 * @DMAOWN_DOMAIN_OTHER: some other domain (e.g. a VFIO container's)
 */
enum dmaown_domain {
	DMAOWN_DOMAIN_DEFAULT = 0,
	DMAOWN_DOMAIN_BLOCKING = 1,
	DMAOWN_DOMAIN_OTHER = 2,
};

/**
 * enum dmaown_device_flags - dmaown_device_info.flags
 * @DMAOWN_DEVICE_DMA_SAFE: the device has no driver, or a DMA-safe one
 * @DMAOWN_DEVICE_BLOCKS_CLAIM: this device is a reason the group is not
 *	viable
 * @DMAOWN_DEVICE_NEEDS_RESCAN: the device joined its group while the group
 *	was owned, so the kernel set up its DMA for the blocking domain; its
 *	default domain translates, and a kernel driver would fault. Drivers
 *	that are not DMA-safe are refused (EBUSY) until the device is removed
 *	and rescanned (API 2)
 * @DMAOWN_DEVICE_QUARANTINED: the device matches an entry of the
 *	quarantine list (API 3)
 */
enum dmaown_device_flags {
	DMAOWN_DEVICE_DMA_SAFE = 1 << 0,
	DMAOWN_DEVICE_BLOCKS_CLAIM = 1 << 1,
	DMAOWN_DEVICE_NEEDS_RESCAN = 1 << 2,
	DMAOWN_DEVICE_QUARANTINED = 1 << 3,
};

/**
 * struct dmaown_device_info - one device of a group, as GROUP_STATUS reports it
 * @name: device name, e.g. "0000:00:02.0"
 * @bus: bus name, e.g. "pci"
 * @driver: bound driver, "" when none
 * @flags: enum dmaown_device_flags
 * @__reserved: 0
 */
struct dmaown_device_info {
	char name[DMAOWN_NAME_LEN];
	char bus[DMAOWN_BUS_LEN];
	char driver[DMAOWN_NAME_LEN];
	__u32 flags;
	__u32 __reserved;
};

/**
 * enum dmaown_group_flags - dmaown_group_status.out_group_flags
 * @DMAOWN_GROUP_REVOKED: this file's claim was revoked (its fd polls
 *	POLLERR); one of the three flags below says why. The group stays on
 *	the blocking domain, and owned by this file, until the file releases
 *	it (ENODEV) or is closed. A revoked claim never returns the group to
 *	its default domain behind its owner.
 * @DMAOWN_GROUP_MEMBER_LOST: a member left the group (hot-removal, sysfs
 *	remove) while this file owned it.
 * @DMAOWN_GROUP_DRIVER_SLIPPED: a driver that is not DMA-safe got bound to
 *	a member despite the guard (its DMA is blocked).
 * @DMAOWN_GROUP_GUARD_DISARMED: the bind guard was found disarmed while
 *	this file owned the group, on a kernel where it is the only defence.
 * @DMAOWN_GROUP_WOUNDED: a member was removed and has not come back; this
 *	kernel cannot move the other members to a new domain safely until a
 *	device joins the group again: claims fail with EBUSY.
 * @DMAOWN_GROUP_HELD: dmaown itself holds the group on its blocking domain:
 *	its owner let go while the kernel could not safely give it back to
 *	its default domain (see @DMAOWN_GROUP_WOUNDED). It goes back once a
 *	device joins the group, or ends when the group is empty. out_state is
 *	DMAOWN_STATE_BUSY, with no owner pid.
 * @DMAOWN_GROUP_RESV_DIRECT: a device of the group has a firmware
 *	direct-mapped region (an RMRR): the IOMMU layer refuses to put it on
 *	a blocking domain, and claims fail with EBUSY.
 * @DMAOWN_GROUP_MEMBER_LEAVING: a member is being removed right now:
 *	claims fail with EBUSY until it is gone.
 * @DMAOWN_GROUP_QUARANTINED: a member is in the quarantine list: the group
 *	never goes back to its default domain behind the admin's back. While
 *	no file owns it and it is not handed to VFIO, dmaown holds it
 *	(@DMAOWN_GROUP_HELD). A file's claim takes it over as it is, and gives
 *	it back to the quarantine when it ends (API 3).
 * @DMAOWN_GROUP_ZERO_WINDOW: the group's default domain translates and maps
 *	nothing for a DMA-safe driver, so handing the group to VFIO passes
 *	through no identity domain (API 3). Without it a hand-off opens a DMA
 *	window and happens only with dmaown.handoff_window=1.
 * @DMAOWN_GROUP_HANDED_OFF: quarantined, and handed to VFIO: vfio-pci is
 *	bound to a member and dmaown let go of the group, so that VFIO can
 *	take it. Kernel drivers that are not DMA-safe stay refused; dmaown
 *	takes the group back when vfio-pci lets go of its last member (API 3).
 * @DMAOWN_GROUP_HANDOFF_AT_ATTACH: the group's default domain is identity,
 *	and dmaown hands it to VFIO at VFIO's attach rather than at vfio-pci's
 *	bind (5.10's VFIO shield): held until type1 attaches the group, let go
 *	with every member's bus mastering off right before that attach, and
 *	taken back after VFIO's detach. The identity domain is crossed only
 *	with bus mastering off (API 3).
 */
enum dmaown_group_flags {
	DMAOWN_GROUP_REVOKED = 1 << 0,
	DMAOWN_GROUP_MEMBER_LOST = 1 << 1,
	DMAOWN_GROUP_DRIVER_SLIPPED = 1 << 2,
	DMAOWN_GROUP_GUARD_DISARMED = 1 << 3,
	DMAOWN_GROUP_WOUNDED = 1 << 4,
	DMAOWN_GROUP_HELD = 1 << 5,
	DMAOWN_GROUP_RESV_DIRECT = 1 << 6,
	DMAOWN_GROUP_MEMBER_LEAVING = 1 << 7,
	DMAOWN_GROUP_QUARANTINED = 1 << 8,
	DMAOWN_GROUP_ZERO_WINDOW = 1 << 9,
	DMAOWN_GROUP_HANDED_OFF = 1 << 10,
	DMAOWN_GROUP_HANDOFF_AT_ATTACH = 1 << 11,
};

/**
 * struct dmaown_group_status - ioctl(DMAOWN_GROUP_STATUS)
 * @size: sizeof(struct dmaown_group_status)
 * @flags: must be 0
 * @group_id: IOMMU group number, as in /sys/kernel/iommu_groups/<N>
 * @out_state: enum dmaown_state
 * @out_domain: enum dmaown_domain
 * @out_viable: 1 when a claim would not be refused for a bound driver
 * @out_nr_devices: number of devices in the group (always the true count)
 * @out_msi_isolated: 1 when the group's MSIs are isolated (interrupt
 *	remapping)
 * @devices_len: capacity of @devices_uptr, in entries (may be 0)
 * @out_owner_pid: when a dmaown file owns the group, the pid of the task
 *	that claimed it; 0 otherwise
 * @devices_uptr: user pointer to an array of struct dmaown_device_info;
 *	the kernel fills min(@devices_len, @out_nr_devices) entries
 * @out_owner_comm: with @out_owner_pid, that task's comm
 * @out_group_flags: enum dmaown_group_flags: why a claim would be refused
 *	although the group looks viable, and what happened to this file's
 *	claim (appended in API version 2; zero from older modules)
 * @__reserved: must be 0
 *
 * Needs no ownership and changes nothing. EINTR when a signal comes while
 * it waits for a device that a driver is binding or unbinding.
 */
struct dmaown_group_status {
	__u32 size;
	__u32 flags;
	__u32 group_id;
	__u32 out_state;
	__u32 out_domain;
	__u32 out_viable;
	__u32 out_nr_devices;
	__u32 out_msi_isolated;
	__u32 devices_len;
	__u32 out_owner_pid;
	__aligned_u64 devices_uptr;
	char out_owner_comm[DMAOWN_COMM_LEN];
	__u32 out_group_flags;
	__u32 __reserved;
};

#define DMAOWN_GROUP_STATUS _IO(DMAOWN_TYPE, DMAOWN_CMD_GROUP_STATUS)

/**
 * struct dmaown_group - ioctl(DMAOWN_GROUP_CLAIM), ioctl(DMAOWN_GROUP_RELEASE)
 * @size: sizeof(struct dmaown_group)
 * @flags: must be 0
 * @group_id: IOMMU group number
 * @out_nr_devices: CLAIM: number of devices of the group when it was claimed
 *
 * GROUP_CLAIM takes the whole group for this file: every device goes on a
 * blocking domain and no kernel driver that is not DMA-safe may bind. It
 * fails with EBUSY when the group is not viable or is owned elsewhere, and
 * with EALREADY when this file already holds a group claim on it. A file
 * that holds device claims in the group gets a group claim on top of them
 * (the group is already its own: nothing else changes). GROUP_RELEASE drops
 * this file's group claim; the group goes back to its default domain when
 * the file holds no device claim in it either. It writes nothing back.
 */
struct dmaown_group {
	__u32 size;
	__u32 flags;
	__u32 group_id;
	__u32 out_nr_devices;
};

#define DMAOWN_GROUP_CLAIM _IO(DMAOWN_TYPE, DMAOWN_CMD_GROUP_CLAIM)
#define DMAOWN_GROUP_RELEASE _IO(DMAOWN_TYPE, DMAOWN_CMD_GROUP_RELEASE)

/**
 * struct dmaown_device - ioctl(DMAOWN_DEVICE_CLAIM), ioctl(DMAOWN_DEVICE_RELEASE)
 * @size: sizeof(struct dmaown_device)
 * @flags: must be 0
 * @name: device name, e.g. "0000:00:03.0"
 * @bus: bus name; "" means "pci"
 * @out_group_id: the device's IOMMU group
 * @__reserved: must be 0
 *
 * Claiming a device claims its whole group for this file. Claims are counted
 * per file: the group stays owned until the file's last claim in it (device
 * or group) is released, or the file is closed. DEVICE_RELEASE writes
 * nothing back.
 */
struct dmaown_device {
	__u32 size;
	__u32 flags;
	char name[DMAOWN_NAME_LEN];
	char bus[DMAOWN_BUS_LEN];
	__u32 out_group_id;
	__u32 __reserved;
};

#define DMAOWN_DEVICE_CLAIM _IO(DMAOWN_TYPE, DMAOWN_CMD_DEVICE_CLAIM)
#define DMAOWN_DEVICE_RELEASE _IO(DMAOWN_TYPE, DMAOWN_CMD_DEVICE_RELEASE)

/**
 * struct dmaown_quarantine - ioctl(DMAOWN_QUARANTINE_ADD),
 *	ioctl(DMAOWN_QUARANTINE_REMOVE)
 * @size: sizeof(struct dmaown_quarantine)
 * @flags: must be 0
 * @spec: one PCI device, by address ("0000:03:00.0", or "03:00.0" for
 *	domain 0) or by "vendor:device" ID ("1234:11e8", four hex digits
 *	each), NUL-terminated
 *
 * The quarantine list names the PCI devices whose IOMMU groups dmaown keeps
 * blocked with no file open: from the moment a matching device is present
 * (at load, or when it is hot-added, before any driver can bind to it),
 * until the entry is removed. It is the module parameter quarantine= (a
 * comma-separated list of the same specs), which reads back in canonical
 * form. While a group is quarantined, drivers that are not DMA-safe may not
 * bind to its devices; vfio-pci and pci-stub may. A device already bound to
 * a driver that is not DMA-safe is left as it is: QUARANTINE_ADD of its
 * address fails with EBUSY; an ID or a boot-time entry that matches it
 * waits, and takes the group when that driver unbinds.
 *
 * QUARANTINE_ADD: EINVAL for a malformed spec, EEXIST when it is listed,
 * ENODEV when a matching device has no IOMMU group, EBUSY as above, ENOSPC
 * when the list is full (32 entries). QUARANTINE_REMOVE: ENOENT when it is
 * not listed, EBUSY while a dmaown file or VFIO holds a group it keeps; a
 * group held by the quarantine goes back to its default domain. Neither
 * writes anything back.
 */
struct dmaown_quarantine {
	__u32 size;
	__u32 flags;
	char spec[DMAOWN_SPEC_LEN];
};

#define DMAOWN_QUARANTINE_ADD _IO(DMAOWN_TYPE, DMAOWN_CMD_QUARANTINE_ADD)
#define DMAOWN_QUARANTINE_REMOVE _IO(DMAOWN_TYPE, DMAOWN_CMD_QUARANTINE_REMOVE)

/**
 * enum dmaown_events_filter - dmaown_events_open.filter
 * @DMAOWN_EVENTS_ALL: every group's events (@group_id must be 0)
 * @DMAOWN_EVENTS_GROUP: only the events of group @group_id (it need not
 *	exist yet); the queue is closed when that group goes away
 */
enum dmaown_events_filter {
	DMAOWN_EVENTS_ALL = 0,
	DMAOWN_EVENTS_GROUP = 1,
};

/**
 * struct dmaown_events_open - ioctl(DMAOWN_EVENTS_OPEN) (API 4)
 * @size: sizeof(struct dmaown_events_open)
 * @flags: must be 0
 * @filter: enum dmaown_events_filter; any other value is EINVAL
 * @group_id: with DMAOWN_EVENTS_GROUP, the IOMMU group (at most INT_MAX,
 *	else EINVAL); 0 otherwise (else EINVAL)
 *
 * Returns a new file descriptor (O_RDONLY | O_CLOEXEC; set O_NONBLOCK with
 * fcntl(2)), an event queue of its own: events that happen from then on
 * are queued to it, up to DMAOWN_EVENTS_QUEUE_LEN records. read(2) returns
 * whole struct dmaown_event records, as many as fit in the buffer; a
 * buffer smaller than one record is EINVAL, and nothing is lost. A
 * blocking read waits for one (interruptibly); with O_NONBLOCK an empty
 * queue is EAGAIN. poll(2) gives POLLIN while a record is there, and
 * POLLHUP once the queue is closed: read(2) returns what is left, then 0.
 * A queue filtered on a group is closed when the group's last device goes
 * away (after its DMAOWN_EVENT_MEMBER_REMOVED). The fd keeps the module
 * loaded, as a /dev/dmaown fd does.
 *
 * The kernel never waits for a reader: when a queue is full, the newest
 * events are dropped and counted, and the next record read after those
 * already queued is a DMAOWN_EVENT_GAP carrying the number dropped.
 * Writes nothing back.
 */
struct dmaown_events_open {
	__u32 size;
	__u32 flags;
	__u32 filter;
	__u32 group_id;
};

#define DMAOWN_EVENTS_OPEN _IO(DMAOWN_TYPE, DMAOWN_CMD_EVENTS_OPEN)

#define DMAOWN_EVENTS_QUEUE_LEN 256

/**
 * enum dmaown_event_type - dmaown_event.type
 * @DMAOWN_EVENT_GAP: @count events were dropped here (the queue was
 *	full); @seq and @time_ns are those of the first one dropped
 * @DMAOWN_EVENT_CLAIM: a dmaown file claimed @group_id (@pid, @comm: the
 *	claimer; @device: the device, for DEVICE_CLAIM); @reason is
 *	DMAOWN_GROUP_QUARANTINED when it took a quarantine hold over
 * @DMAOWN_EVENT_RELEASE: the file's claim of @group_id ended (a release or
 *	its close); @error is ENODEV when the claim had been revoked
 * @DMAOWN_EVENT_REVOKE: the claim of @group_id by @pid was revoked;
 *	@reason: the DMAOWN_GROUP_* flags (DMAOWN_GROUP_REVOKED and why),
 *	@device the device that caused it, if any
 * @DMAOWN_EVENT_DENIED_BIND: the guard refused to bind @driver to @device
 *	(@error: EBUSY); @pid and @comm: the owner, when a file owns it
 * @DMAOWN_EVENT_DRIVER_BOUND: @driver was bound to @device, a member of
 *	@group_id: its viability may have changed
 * @DMAOWN_EVENT_DRIVER_UNBOUND: @driver was unbound from @device
 * @DMAOWN_EVENT_MEMBER_ADDED: @device joined @group_id
 * @DMAOWN_EVENT_MEMBER_REMOVED: @device is leaving @group_id (removal);
 *	@count: the number of devices still in the group, this one included
 * @DMAOWN_EVENT_QUARANTINE_ADD: @group_id became quarantined
 * @DMAOWN_EVENT_QUARANTINE_REMOVE: @group_id is no longer quarantined
 * @DMAOWN_EVENT_VFIO_TAKE: VFIO takes @group_id where dmaown sees it: the
 *	5.10 shield saw type1 attach it (@pid, @comm: the VMM), or the
 *	quarantine handed it to VFIO (@reason DMAOWN_GROUP_HANDED_OFF)
 * @DMAOWN_EVENT_VFIO_LEAVE: VFIO let go of @group_id (type1's detach on
 *	5.10), or the quarantine took it back from VFIO (@reason
 *	DMAOWN_GROUP_HANDED_OFF)
 */
enum dmaown_event_type {
	DMAOWN_EVENT_GAP = 1,
	DMAOWN_EVENT_CLAIM = 2,
	DMAOWN_EVENT_RELEASE = 3,
	DMAOWN_EVENT_REVOKE = 4,
	DMAOWN_EVENT_DENIED_BIND = 5,
	DMAOWN_EVENT_DRIVER_BOUND = 6,
	DMAOWN_EVENT_DRIVER_UNBOUND = 7,
	DMAOWN_EVENT_MEMBER_ADDED = 8,
	DMAOWN_EVENT_MEMBER_REMOVED = 9,
	DMAOWN_EVENT_QUARANTINE_ADD = 10,
	DMAOWN_EVENT_QUARANTINE_REMOVE = 11,
	DMAOWN_EVENT_VFIO_TAKE = 12,
	DMAOWN_EVENT_VFIO_LEAVE = 13,
};

/**
 * struct dmaown_event - one record read(2) from an event fd
 * @size: sizeof(struct dmaown_event): a newer module may append fields
 * @type: enum dmaown_event_type
 * @seq: the event's sequence number, one counter for the whole module,
 *	starting at 1: it increases by one per event, so a filtered queue
 *	sees gaps in it, and a DMAOWN_EVENT_GAP says where events were lost
 * @time_ns: when it happened, CLOCK_MONOTONIC, in nanoseconds
 * @group_id: the IOMMU group
 * @error: a positive errno, or 0 (see each type)
 * @reason: DMAOWN_GROUP_* flags (see each type), or 0
 * @count: see DMAOWN_EVENT_GAP and DMAOWN_EVENT_MEMBER_REMOVED, or 0
 * @pid: the task concerned (see each type), or 0
 * @__reserved: 0
 * @comm: that task's comm, or ""
 * @device: the device's name (e.g. "0000:00:03.0"), or ""
 * @driver: the driver's name, or ""
 *
 * Strings are NUL-terminated and zero-padded; fields a type does not use
 * are zero.
 */
struct dmaown_event {
	__u32 size;
	__u32 type;
	__aligned_u64 seq;
	__aligned_u64 time_ns;
	__u32 group_id;
	__u32 error;
	__u32 reason;
	__u32 count;
	__u32 pid;
	__u32 __reserved;
	char comm[DMAOWN_COMM_LEN];
	char device[DMAOWN_NAME_LEN];
	char driver[DMAOWN_NAME_LEN];
};

#endif /* _UAPI_LINUX_DMAOWN_H */
