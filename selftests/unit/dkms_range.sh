#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dkms.conf's kernel range, and what it is for: installing a kernel flowlane
# cannot build for must not break the kernel's installation. The range is
# checked as DKMS checks it (bash =~); then, in the trixie build root (this
# machine's DKMS and kernels untouched), flowlane is registered with a range
# lowered to end below 7.3, and dpkg installs the 7.3 headers package: its
# DKMS hook must skip flowlane with DKMS's message and dpkg exit 0.
source "$(dirname "$0")/../lib.sh"
need_root

conf="$FL_TOP/dkms.conf"
range=$(sed -n 's/^BUILD_EXCLUSIVE_KERNEL="\(.*\)"$/\1/p' "$conf")
check_match "dkms.conf limits the kernels with BUILD_EXCLUSIVE_KERNEL" '.' "$range"
for k in 6.1.0-57-amd64 6.12.118+deb12-amd64 6.19.2+deb13-amd64 7.0.1+deb13-amd64 7.3.4+deb13-amd64; do
	[[ $k =~ $range ]] && in=yes || in=no
	check_eq "$k is in the range" yes "$in"
done
for k in 5.10.0-30-amd64 6.0.12-amd64 7.4.0+deb13-amd64 7.10.1-amd64 8.0.0-amd64 16.1.0-1-amd64; do
	[[ $k =~ $range ]] && in=yes || in=no
	check_eq "$k is out of the range" no "$in"
done

kver=$(FLOWLANE_KERNELS=7.3 "$FL_TOP/scripts/kernels.sh" list 2>/dev/null) ||
	{ echo "# no 7.3 kernel in the trixie build root: run 'make kernels'"; skip "no trixie build root"; }
root=$("$FL_TOP/scripts/kernels.sh" root "$kver")
ver=0.0.0rangetest
src=$root/usr/src/flowlane-$ver
trap 'rm -rf "$src"' EXIT

# The range lowered to end at 7.2: 7.3 is now "newer than any it knows".
rm -rf "$src"
mkdir -p "$src"
cp -a "$FL_TOP/dkms.conf" "$FL_TOP/Kbuild" "$FL_TOP/kmod" "$FL_TOP/include" "$src/"
sed -i -e 's/7\\\.\[0-3\]/7\\.[0-2]/' -e "s/^PACKAGE_VERSION=.*/PACKAGE_VERSION=\"$ver\"/" "$src/dkms.conf"
lowered=$(sed -n 's/^BUILD_EXCLUSIVE_KERNEL="\(.*\)"$/\1/p' "$src/dkms.conf")
[[ $kver =~ $lowered ]] && in=yes || in=no
check_eq "$kver is out of the lowered range /$lowered/" no "$in"

# All in one run in the root, over an empty DKMS tree (a tmpfs) that holds
# this registration only: the root's own DKMS state stays as it was.
out=$("$FL_TOP/scripts/kernels.sh" run "$kver" bash -c '
	kver=$1 ver=$2
	mount -t tmpfs tmpfs /var/lib/dkms
	dkms add -m flowlane -v "$ver" > /dev/null || exit 90
	cd /tmp && apt-get download -q "linux-headers-$kver" > /dev/null 2>&1 || exit 91
	dpkg -i /tmp/linux-headers-"$kver"_*.deb; echo "dpkg-exit=$?"
	dkms status -m flowlane -v "$ver" -k "$kver"; echo status-done
	rm -f /tmp/linux-headers-"$kver"_*.deb' bash "$kver" "$ver" 2>&1)
check_match "dpkg configures the headers of $kver with flowlane registered (exit 0)" '^dpkg-exit=0$' "$out"
check_eq "DKMS's hook tried flowlane for $kver" "Autoinstall of module flowlane/$ver for kernel $kver (x86_64)" \
	"$(echo "$out" | grep '^Autoinstall of module')"
check_match "DKMS says why it skips flowlane" \
	'^for module flowlane/0\.0\.0rangetest includes a BUILD_EXCLUSIVE directive$' "$out"
check_eq "DKMS says it skipped it" "Autoinstall on $kver was skipped for module(s) flowlane." \
	"$(echo "$out" | grep '^Autoinstall on ')"
check_eq "flowlane is left registered, not built" "flowlane/$ver: added" \
	"$(echo "$out" | grep '^flowlane/')"
echo "$out" | sed "s/^/# /"
exit $ret
