# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Sourced by scripts/system-image, scripts/mkdeb and scripts/check-system: a
# command in a Debian tree as a chroot, at native speed on this machine.
#
# in_root ROOT COMMAND...: COMMAND in ROOT, with /proc, /sys and /dev mounted
# in a mount namespace of its own (nothing leaks into the host's), a clean
# environment, nice 5 (on top of the caller's). IN_ROOT_BIND=SRC:DST also
# binds the host directory SRC on ROOT/DST (which must exist).
in_root() {
	unshare --mount --propagation private -- /bin/sh -c '
		r=$1 bind=$2; shift 2
		mount -t proc proc "$r/proc" && mount -t sysfs sys "$r/sys" && mount --rbind /dev "$r/dev" &&
		{ [ -z "$bind" ] || mount --bind "${bind%%:*}" "$r/${bind#*:}"; } &&
		exec nice -n 5 chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 HOME=/root "$@"' sh "$1" "${IN_ROOT_BIND:-}" "${@:2}"
}

# overlay_mount LOWER DIR: DIR/root becomes LOWER with the changes kept in
# DIR/upper (LOWER itself is never written: a cached tree stays as built).
# In the host's mount namespace, so that every in_root sees it; undo with
# overlay_umount DIR.
overlay_mount() {
	mkdir -p "$2/upper" "$2/work" "$2/root"
	mountpoint -q "$2/root" ||
		mount -t overlay overlay -o "lowerdir=$1,upperdir=$2/upper,workdir=$2/work" "$2/root"
}
overlay_umount() {
	! mountpoint -q "$1/root" || umount "$1/root" || umount -l "$1/root"
}

# for_packages ROOT on|off: while on, package scripts in the chroot start
# no service (policy-rc.d), and dpkg does not fsync every file it unpacks
# (force-unsafe-io, as debootstrap and sbuild do: the tree is a scratch
# copy until it is written to a disk). Off before it is.
for_packages() {
	if [ "$2" = on ]; then
		printf '#!/bin/sh\nexit 101\n' > "$1/usr/sbin/policy-rc.d"
		chmod 755 "$1/usr/sbin/policy-rc.d"
		echo force-unsafe-io > "$1/etc/dpkg/dpkg.cfg.d/dmaown-systest-unsafe-io"
	else
		rm -f "$1/usr/sbin/policy-rc.d" "$1/etc/dpkg/dpkg.cfg.d/dmaown-systest-unsafe-io"
	fi
}
