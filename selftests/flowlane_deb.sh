#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages as an operator meets them (`make deb` builds them into
# .build/deb): a real apt-get and dpkg install flowlane-dkms and flowlane on
# a copy-on-write view of this root (overlayfs, the upper layer on tmpfs,
# entered with chroot), the package's postinst has DKMS build the module for
# the running kernel, `modprobe flowlane` loads that copy, `flowlane status`
# answers, and `apt-get purge` takes every file away again: the overlay's
# upper layer, which holds every file written, is compared before and after.
#
# The machine's own DKMS registration of flowlane (make check's) is hidden in
# the overlay first, so that only the package's copy can load.

source "$(dirname "$0")/lib.sh"
need_root
checktool "apt-get --version" "installs the packages"
checktool "dkms --version" "the packages' postinst builds with it"

ver=$("$FL_TOP/scripts/version.sh")
kver=$(uname -r)
debs=("$FL_TOP/.build/deb/flowlane-dkms_${ver}_all.deb" "$FL_TOP/.build/deb/flowlane_${ver}_amd64.deb")
for d in "${debs[@]}"; do
	[ -f "$d" ] || skip "no $d: run 'make deb' first"
done
[ -e "/lib/modules/$kver/build/Makefile" ] || skip "no headers for the running kernel $kver"

unload_flowlane
tmp=$(mktemp -d /tmp/fldeb.XXXXXX)
root=$tmp/root
upper=$tmp/upper
cleanup() {
	module_loaded && modprobe -r flowlane
	# Innermost mounts first.
	for m in dev/pts dev proc sys run tmp; do
		umount "$root/$m" 2>/dev/null
	done
	umount "$root" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

mkdir -p "$root" "$upper" "$tmp/work"
mount -t overlay overlay -o "lowerdir=/,upperdir=$upper,workdir=$tmp/work" "$root" ||
	{ fail "mount an overlay over / (upper on tmpfs)"; exit $ret; }
mount --bind /proc "$root/proc" && mount --bind /sys "$root/sys" &&
mount --bind /dev "$root/dev" && mount --bind /dev/pts "$root/dev/pts" &&
mount -t tmpfs tmpfs "$root/run" && mount -t tmpfs tmpfs "$root/tmp" ||
	{ fail "mount /proc, /sys, /dev, /run, /tmp in the overlay"; exit $ret; }
in_root() { chroot "$root" "$@"; }

# Hide the machine's own flowlane: registration, source and built copies.
rm -rf "$root/var/lib/dkms/flowlane" "$root"/usr/src/flowlane-*
find "$root/lib/modules" -path '*/updates/dkms/flowlane.ko*' -delete
in_root depmod -a "$kver"
check_eq "no flowlane module is left visible before the install" "" \
	"$(in_root modinfo -n flowlane 2>/dev/null)"

# Every path in the upper layer, with its type (whiteouts are 'c').
upper_list() { (cd "$upper" && find . -mindepth 1 -printf '%y %p\n' | sort); }
upper_list > "$tmp/before"

cp "${debs[@]}" "$root/tmp/"
log=$tmp/install.log
if in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-download \
	"/tmp/${debs[0]##*/}" "/tmp/${debs[1]##*/}" > "$log" 2>&1; then
	pass "apt-get install ./flowlane-dkms ./flowlane"
else
	fail "apt-get install ./flowlane-dkms ./flowlane; its output:"
	cat "$log"
fi
for p in flowlane-dkms flowlane; do
	check_eq "dpkg: $p $ver is installed and configured" "install ok installed $ver" \
		"$(in_root dpkg-query -W -f='${Status} ${Version}' "$p" 2>&1)"
done
check_match "dkms: flowlane $ver built and installed for $kver" \
	"^flowlane/$ver, $kver, x86_64: installed" "$(in_root dkms status -m flowlane -k "$kver" 2>&1)"

ko=/lib/modules/$kver/updates/dkms/flowlane.ko
check_eq "modinfo finds the package's DKMS build" "$ko" "$(in_root modinfo -n flowlane 2>&1)"
[ -f "$upper$ko" ] && pass "$ko was written by the install (it is in the overlay's upper layer)" ||
	fail "$ko is not in the overlay's upper layer: not the package's build"

if in_root modprobe flowlane; then
	pass "modprobe flowlane"
	check_eq "the loaded module is the package's build (srcversion)" \
		"$(in_root modinfo -F srcversion flowlane)" "$(cat /sys/module/flowlane/srcversion)"
	check_eq "the loaded module's version" "$ver" "$(cat /sys/module/flowlane/version)"
	check_match "flowlane status (the package's tool) answers" \
		"^flowlane $ver, kernel module $ver$" "$(in_root flowlane status 2>&1 | head -1)"
	modprobe -r flowlane || fail "modprobe -r flowlane"
else
	fail "modprobe flowlane"
fi

# The package's own files, as dpkg knows them, before they go.
in_root dpkg-query -L flowlane flowlane-dkms > "$tmp/files" 2>&1
check_match "dpkg lists the tool, its units and the module source" \
	"^/usr/sbin/flowlane$" "$(grep -x /usr/sbin/flowlane "$tmp/files")"

if in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y flowlane flowlane-dkms > "$log" 2>&1; then
	pass "apt-get purge flowlane flowlane-dkms"
else
	fail "apt-get purge flowlane flowlane-dkms; its output:"
	cat "$log"
fi
for p in flowlane-dkms flowlane; do
	check_eq "dpkg: $p is gone" "" \
		"$(in_root dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -v '^unknown ok not-installed$')"
done

# What the purge left: paths that are in the upper layer now and were not
# before. A directory of the lower layer (/) that something was created in
# and removed from again is copied up empty-handed: not a leftover. apt's,
# dpkg's and man-db's records and depmod's indexes change by any install;
# everything else must be as before.
upper_list > "$tmp/after"
bookkeeping='^[a-z] \./(var/lib/dpkg/|var/log/|var/cache/(apt|debconf|ldconfig|man)/|var/lib/apt/|etc/ld\.so\.cache$|lib/modules/'"$kver"'/modules\.)'
left=$(comm -13 "$tmp/before" "$tmp/after" | grep -Ev "$bookkeeping" |
	while read -r type path; do
		[ "$type" = d ] && [ -d "/${path#./}" ] && continue
		echo "$type $path"
	done)
check_eq "the purge leaves no file behind (new in the upper layer)" "" "$left"
check_eq "no file or directory named flowlane* remains" "" \
	"$(cd "$upper" && find . -iname '*flowlane*' ! -type c | sort)"
check_eq "no flowlane module copy remains under /lib/modules" "" \
	"$(find "$root/lib/modules" -name 'flowlane.ko*' 2>/dev/null)"
check_eq "dpkg's records name no flowlane file" "" \
	"$(cd "$root/var/lib/dpkg/info" && ls | grep '^flowlane')"
while read -r f; do
	[ -e "$root$f" ] && [ ! -d "$root$f" ] && echo "$f"
done < "$tmp/files" > "$tmp/remaining"
check_eq "none of the $(wc -l < "$tmp/files") paths dpkg listed remains (directories shared with others aside)" "" \
	"$(cat "$tmp/remaining")"
exit $ret
