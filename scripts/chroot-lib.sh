# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Sourced by scripts/system-image and scripts/mkdeb: a command in a Debian
# tree as a chroot, at native speed on this machine.
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
