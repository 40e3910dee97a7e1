#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Helpers for the package tests (selftests/flowlane_deb.sh in the guest,
# selftests/unit/deb_install.sh on the host), on top of lib.sh: a real
# apt-get and dpkg install the packages of `make deb` on a copy-on-write
# view of this root (selftests/overlay_lib.sh: overlayfs over /, its upper
# layer on tmpfs; entered with chroot), and the purge is judged by the
# upper layer, which holds every file written: compared before the install
# and after the purge.
#
# The caller runs in a mount namespace of its own (unshare -m) on the host;
# in the guest the namespace is the guest's, thrown away at power-off.
# On the host the overlay's lower layer is the live root: a DKMS install by
# another tree meanwhile (/lib/modules, /var/lib/dkms) shows through and
# spoils the comparison, so the host test runs under the guest lock, as
# DKMS installs do (flock /tmp/flowlane-guest.lock; make check holds it).

source "$(dirname "${BASH_SOURCE[0]}")/overlay_lib.sh"

DEB_VER=$("$FL_TOP/scripts/version.sh")
DEB_FILES=("$FL_TOP/.build/deb/flowlane-dkms_${DEB_VER}_all.deb" "$FL_TOP/.build/deb/flowlane_${DEB_VER}_amd64.deb")

in_root() { chroot "$DEB_ROOT" "$@"; }
# A literal for grep -E (kernel releases hold '.' and '+').
re_quote() { printf '%s' "$1" | sed 's/[][\\.*^$+?(){}|]/\\&/g'; }

# deb_left_behind: of "TYPE PATH" lines of the upper layer, those an
# install left: not a whiteout (something of / deleted, make check's
# module), nor a directory of / copied up (something created in it and
# removed again).
deb_left_behind() {
	local type path
	while read -r type path; do
		[ "$type" = c ] && continue
		[ "$type" = d ] && [ -d "$DEB_TMP/lower/${path#./}" ] && continue
		echo "$type $path"
	done
}

# Every path in the upper layer, with its type (whiteouts are 'c').
deb_upper_list() { (cd "$DEB_UPPER" && find . -mindepth 1 -printf '%y %p\n' | sort); }

# The kernels DKMS can build for here: those with headers.
deb_kernels() {
	local d
	for d in /lib/modules/*/build/Makefile; do
		[ -e "$d" ] && basename "$(dirname "$(dirname "$d")")"
	done
}

# deb_setup: the overlay, with the machine's own flowlane hidden in it
# (make dkms-install's registration, source and built copies), so that only
# the package's copy can be found.
deb_setup() {
	local d k
	for d in "${DEB_FILES[@]}"; do
		[ -f "$d" ] || skip "no $d: run 'make deb' first"
	done
	overlay_setup
	DEB_TMP=$OVL_TMP DEB_ROOT=$OVL_ROOT DEB_UPPER=$OVL_UPPER
	mount --bind /proc "$DEB_ROOT/proc" && mount --bind /sys "$DEB_ROOT/sys" &&
	mount --rbind /dev "$DEB_ROOT/dev" &&
	mount -t tmpfs tmpfs "$DEB_ROOT/run" && mount -t tmpfs tmpfs "$DEB_ROOT/tmp" ||
		{ fail "mount /proc, /sys, /dev, /run, /tmp in the overlay"; exit $ksft_fail; }
	# The guest's /dev is a bare devtmpfs: no /dev/fd (bash's <(...), which
	# dkms uses) and no devpts (apt's terminal log). What a booted system has.
	[ -e "$DEB_ROOT/dev/fd" ] || ln -s /proc/self/fd "$DEB_ROOT/dev/fd"
	if ! mountpoint -q "$DEB_ROOT/dev/pts"; then
		mkdir -p "$DEB_ROOT/dev/pts" &&
			mount -t devpts -o newinstance,ptmxmode=0666 devpts "$DEB_ROOT/dev/pts" ||
			fail "mount devpts in the overlay"
	fi

	rm -rf "$DEB_ROOT/var/lib/dkms/flowlane" "$DEB_ROOT"/usr/src/flowlane-*
	find "$DEB_ROOT/lib/modules/" -path '*/updates/dkms/flowlane.ko*' -delete
	for k in $(deb_kernels); do
		in_root depmod -a "$k"
		check_eq "$k: no flowlane module visible before the install" "" \
			"$(in_root modinfo -k "$k" -n flowlane 2>/dev/null)"
	done
	deb_upper_list > "$DEB_TMP/before"
}

# deb_install: apt-get install ./flowlane-dkms*.deb ./flowlane*.deb, offline.
deb_install() {
	local p
	cp "${DEB_FILES[@]}" "$DEB_ROOT/tmp/"
	if in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y \
		"/tmp/${DEB_FILES[0]##*/}" "/tmp/${DEB_FILES[1]##*/}" > "$DEB_TMP/install.log" 2>&1; then
		pass "apt-get install ./flowlane-dkms ./flowlane"
	else
		fail "apt-get install ./flowlane-dkms ./flowlane; its output:"
		cat "$DEB_TMP/install.log"
	fi
	for p in flowlane-dkms flowlane; do
		check_eq "dpkg: $p $DEB_VER is installed and configured" "install ok installed $DEB_VER" \
			"$(in_root dpkg-query -W -f='${Status} ${Version}' "$p" 2>&1)"
	done
	check_eq "flowlane --version (the package's tool)" "flowlane $DEB_VER" "$(in_root flowlane --version 2>&1)"
	in_root dpkg-query -L flowlane flowlane-dkms > "$DEB_TMP/files" 2>&1
}

# deb_check_kernel KVER: DKMS built and installed the package's module for
# KVER into updates/dkms (compressed as the kernel's own modules are: 6.12's
# are .ko.xz), written by this install: it is in the overlay's upper layer
# (under its real path: /lib is /usr/lib on a merged-/usr system).
deb_check_kernel() {
	local k=$1 ko real q
	q=$(re_quote "$k")
	check_match "dkms: flowlane $DEB_VER built and installed for $k" \
		"^flowlane/$DEB_VER, $q, x86_64: installed$" "$(in_root dkms status -m flowlane -k "$k" 2>/dev/null)"
	ko=$(in_root modinfo -k "$k" -n flowlane 2>&1)
	check_match "$k: modinfo finds the package's DKMS build" \
		"^/lib/modules/$q/updates/dkms/flowlane\.ko(\.xz|\.gz|\.zst)?$" "$ko"
	real=$(in_root realpath -e "$ko" 2>/dev/null)
	[ -n "$real" ] && [ -f "$DEB_UPPER$real" ] && pass "$k: $real was written by the install (it is in the overlay's upper layer)" ||
		fail "$k: '$ko' is not in the overlay's upper layer: not the package's build"
	check_eq "$k: the module's version" "$DEB_VER" "$(in_root modinfo -k "$k" -F version flowlane 2>&1)"
}

# deb_purge: apt-get purge, then nothing of the packages is left.
deb_purge() {
	local p left
	if in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y flowlane flowlane-dkms \
		> "$DEB_TMP/purge.log" 2>&1; then
		pass "apt-get purge flowlane flowlane-dkms"
	else
		fail "apt-get purge flowlane flowlane-dkms; its output:"
		cat "$DEB_TMP/purge.log"
	fi
	for p in flowlane-dkms flowlane; do
		check_eq "dpkg: $p is gone" "" \
			"$(in_root dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -v '^unknown ok not-installed$')"
	done

	# Paths in the upper layer now that were not there before. A directory
	# of the lower layer (/) that something was created in and removed from
	# again is copied up empty: no leftover; nor is a deletion. apt's, dpkg's and man-db's
	# records and depmod's indexes change by any install; all else must be
	# as before.
	deb_upper_list > "$DEB_TMP/after"
	local bookkeeping='^[a-z] \./(var/lib/dpkg/|var/log/|var/cache/(apt|debconf|ldconfig|man)/|var/lib/apt/|etc/ld\.so\.cache$|lib/modules/[^/]+/modules\.)'
	left=$(comm -13 "$DEB_TMP/before" "$DEB_TMP/after" | grep -Ev "$bookkeeping" | deb_left_behind)
	check_eq "the purge leaves no file behind (new in the upper layer)" "" "$left"
	[ -z "$left" ] || { echo "# the purge's output:"; sed 's/^/# /' "$DEB_TMP/purge.log"; }
	# A directory of / copied up is no leftover, even when its name says
	# flowlane (a kernel built by scripts/debug-kernel.sh, whose modules
	# directory DKMS built into).
	left=$(cd "$DEB_UPPER" && find . -iname '*flowlane*' -printf '%y %p\n' | sort | deb_left_behind)
	check_eq "no file or directory named flowlane* remains" "" "$left"
	check_eq "no flowlane module copy remains under /lib/modules" "" \
		"$(find "$DEB_ROOT/lib/modules/" -name 'flowlane.ko*' 2>/dev/null)"
	check_eq "dpkg's records name no flowlane file" "" \
		"$(cd "$DEB_ROOT/var/lib/dpkg/info" && ls | grep '^flowlane')"
	while read -r f; do
		[ -e "$DEB_ROOT$f" ] && [ ! -d "$DEB_ROOT$f" ] && echo "$f"
	done < "$DEB_TMP/files" > "$DEB_TMP/remaining"
	check_eq "none of the $(grep -c . "$DEB_TMP/files") paths dpkg listed remains (directories shared with others aside)" "" \
		"$(cat "$DEB_TMP/remaining")"
}
