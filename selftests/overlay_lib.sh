#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A copy-on-write view of this root for tests that install or boot
# something on "this machine" without changing it: overlayfs over /, its
# upper layer (every file written) on a tmpfs that goes away with the test.
# Used by selftests/deb_lib.sh (apt and dpkg install the packages in it,
# entered with chroot) and selftests/unit/systemd_boot.sh (systemd-nspawn
# boots it).
#
# The caller runs in a mount namespace of its own (unshare -m) on the host;
# in the guest the namespace is the guest's, thrown away at power-off.
# The lower layer is the live root: what another program writes to / during
# the test shows through.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# overlay_setup: mount the overlay at $OVL_ROOT, upper layer $OVL_UPPER, the
# bare / it was made of (no submounts) at $OVL_TMP/lower; all on a tmpfs at
# $OVL_TMP. A failure here ends the test. overlay_cleanup (the EXIT trap
# set here; a caller with more to clean calls it from its own) undoes it.
overlay_setup() {
	OVL_TMP=$(mktemp -d /tmp/flovl.XXXXXX)
	trap overlay_cleanup EXIT
	OVL_ROOT=$OVL_TMP/root
	OVL_UPPER=$OVL_TMP/upper
	mount -t tmpfs tmpfs "$OVL_TMP" &&
	mkdir -p "$OVL_ROOT" "$OVL_UPPER" "$OVL_TMP/work" "$OVL_TMP/lower" &&
	mount --bind / "$OVL_TMP/lower" &&
	mount -t overlay overlay -o "lowerdir=/,upperdir=$OVL_UPPER,workdir=$OVL_TMP/work" "$OVL_ROOT" ||
		{ fail "mount an overlay over / (upper on tmpfs)"; exit $ksft_fail; }
}

overlay_cleanup() {
	umount -R "$OVL_ROOT" 2>/dev/null
	umount "$OVL_TMP/lower" 2>/dev/null
	umount "$OVL_TMP" 2>/dev/null
	rm -rf "$OVL_TMP"
}
