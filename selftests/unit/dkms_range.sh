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

# BUILD_EXCLUSIVE_CONFIG: a kernel without CONFIG_NF_FLOW_TABLE (or
# conntrack) is refused by DKMS itself. This machine's DKMS, run over a
# DKMS and source tree of its own (--dkmstree, --sourcetree: the machine's
# state untouched) for 6.1's release against made-up kernel sources whose
# .config lacks one option; the control, a .config with all of them,
# reaches the build (a Makefile that only says so).
cfg_dir=$(mktemp -d)
trap 'rm -rf "$cfg_dir"' EXIT
cver=0.0.0cfgtest
mkdir -p "$cfg_dir/src/flowlane-$cver" "$cfg_dir/tree" "$cfg_dir/ksrc/include"
cp -a "$FL_TOP/dkms.conf" "$FL_TOP/Kbuild" "$FL_TOP/kmod" "$FL_TOP/include" "$cfg_dir/src/flowlane-$cver/"
sed -i "s/^PACKAGE_VERSION=.*/PACKAGE_VERSION=\"$cver\"/" "$cfg_dir/src/flowlane-$cver/dkms.conf"
printf 'modules:\n\t@echo made-up kernel sources: build reached\n\t@false\n' > "$cfg_dir/ksrc/Makefile"
dk() { dkms "$@" -m flowlane -v "$cver" --sourcetree "$cfg_dir/src" --dkmstree "$cfg_dir/tree"; }
dk add > /dev/null || fail "dkms add over $cfg_dir/tree"
# dkms_build CONFIG_LINE...: DKMS's exit status and verdict for a kernel
# whose .config holds exactly these lines.
dkms_build() {
	local out rc
	printf '%s\n' "$@" > "$cfg_dir/ksrc/.config"
	rm -f "$cfg_dir/tree/flowlane/$cver/build/make.log"
	out=$(dk build -k 6.1.0-57-amd64 --kernelsourcedir "$cfg_dir/ksrc" 2>&1)
	rc=$?
	if grep -q 'includes a BUILD_EXCLUSIVE directive which does not match this kernel/arch/config' <<< "$out"; then
		echo "$rc excluded"
	elif grep -q "build reached" "$cfg_dir/tree/flowlane/$cver/build/make.log" 2> /dev/null; then
		echo "$rc built"
	else
		echo "$rc neither: $out"
	fi
}
all="CONFIG_NF_FLOW_TABLE=m CONFIG_NF_CONNTRACK=m CONFIG_NET_NS=y"
check_eq "DKMS with NF_FLOW_TABLE, NF_CONNTRACK and NET_NS: it builds" "10 built" "$(dkms_build $all)"
check_eq "DKMS without CONFIG_NF_FLOW_TABLE: refused" "77 excluded" \
	"$(dkms_build CONFIG_NF_CONNTRACK=m CONFIG_NET_NS=y)"
check_eq "DKMS with CONFIG_NF_FLOW_TABLE not set: refused" "77 excluded" \
	"$(dkms_build '# CONFIG_NF_FLOW_TABLE is not set' CONFIG_NF_CONNTRACK=m CONFIG_NET_NS=y)"
check_eq "DKMS without CONFIG_NF_CONNTRACK: refused" "77 excluded" \
	"$(dkms_build CONFIG_NF_FLOW_TABLE=m CONFIG_NET_NS=y)"
check_eq "DKMS with NF_FLOW_TABLE built in (=y): it builds" "10 built" \
	"$(dkms_build CONFIG_NF_FLOW_TABLE=y CONFIG_NF_CONNTRACK=y CONFIG_NET_NS=y)"
check_eq "after the refusals flowlane is registered, not built" "flowlane/$cver: added" \
	"$(dk status 2>&1)"

kver=$(FLOWLANE_KERNELS=7.3 "$FL_TOP/scripts/kernels.sh" list 2>/dev/null) ||
	{ echo "# no 7.3 kernel in the trixie build root: run 'make kernels'"; skip "no trixie build root"; }
root=$("$FL_TOP/scripts/kernels.sh" root "$kver")
ver=0.0.0rangetest
src=$root/usr/src/flowlane-$ver
trap 'rm -rf "$src" "$cfg_dir"' EXIT

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
