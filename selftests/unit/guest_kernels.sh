#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest harness on every kernel of FLOWLANE_KERNELS (scripts/kernels.sh):
# each boots, runs its own release, finds its own modules (the 7.3 ones
# mounted from the trixie build root) and loads the flowtable with modprobe,
# with a clean kernel log. Then DKMS: a module DKMS-installed for the kernel
# (the harness' WARN_ON module; in the build root for 7.3) loads with a plain
# modprobe, and its warning fails the run. One or two boots per kernel.
source "$(dirname "$0")/../lib.sh"
[ "${FLOWLANE_GUEST:-qemu}" = none ] && skip "FLOWLANE_GUEST=none: no guest to test"
need_root
# Debian's kernels, each booted by its release: not the image make
# debug-check exports for the guest tests (its modules are no others').
unset FLOWLANE_KERNEL FLOWLANE_GUEST_APPEND

kernels=$("$FL_TOP/scripts/kernels.sh" list) || skip "not every kernel of FLOWLANE_KERNELS is there: run 'make kernels'"
guest="$FL_TOP/selftests/guest.sh"
boot=$((180 * ${FLOWLANE_TIMEOUT_SCALE:-1}))
mod=flowlane-warntest
mkdir -p "$FL_TOP/.build"
modver=0.1

# Register the WARN_ON module with DKMS where KVER's modules are built and
# install it for KVER; its source goes where dkms-install.sh puts flowlane's.
dkms_warn_install() {
	local kver=$1 kroot src
	kroot=$("$FL_TOP/scripts/kernels.sh" root "$kver")
	src=$kroot/usr/src/$mod-$modver
	rm -rf "$src"
	mkdir -p "$src"
	cp "$FL_TOP/selftests/unit/warn_mod/"* "$src/"
	cat > "$src/dkms.conf" <<-EOF
	PACKAGE_NAME="$mod"
	PACKAGE_VERSION="$modver"
	BUILT_MODULE_NAME[0]="warn_test"
	DEST_MODULE_LOCATION[0]="/updates/dkms"
	MAKE[0]="make -C \${kernel_source_dir} M=\${dkms_tree}/$mod/$modver/build modules"
	AUTOINSTALL="no"
	EOF
	"$FL_TOP/scripts/kernels.sh" run "$kver" sh -c \
		"dkms remove -m $mod -v $modver --all >/dev/null 2>&1; dkms add -m $mod -v $modver && dkms install -m $mod -v $modver -k $kver"
}
dkms_warn_remove() {
	"$FL_TOP/scripts/kernels.sh" run "$1" dkms remove -m $mod -v $modver --all > /dev/null 2>&1
	rm -rf "$("$FL_TOP/scripts/kernels.sh" root "$1")/usr/src/$mod-$modver"
}

for kver in $kernels; do
	start=$SECONDS
	out=$("$guest" --kver "$kver" --timeout "$boot" -- \
		sh -c 'modprobe nf_flow_table && modprobe nf_conntrack && modprobe veth && uname -r && nft list ruleset && echo nft-ok' 2>&1); rc=$?
	echo "# $kver: booted and ran in $((SECONDS - start)) s"
	check_eq "$kver: modprobe nf_flow_table nf_conntrack veth, uname -r, nft list ruleset succeed with a clean log" 0 "$rc"
	check_eq "$kver: the guest runs the kernel asked for" "$kver" "$(echo "$out" | grep -Fx -m1 "$kver")"
	check_match "$kver: nft list ruleset ran" "^nft-ok$" "$out"
	[ "$rc" = 0 ] || echo "$out" | sed 's/^/# /'

	if dkms_warn_install "$kver" > "$FL_TOP/.build/dkms-warn.log" 2>&1; then
		out=$("$guest" --kver "$kver" --timeout "$boot" -- \
			sh -c 'modinfo -n warn_test && modprobe warn_test' 2>&1); rc=$?
		check_eq "$kver: modprobe loads the DKMS-installed module, whose WARN_ON fails the run" 125 "$rc"
		# DKMS compresses it as the kernel's own modules are (.ko.xz from 6.12).
		check_eq "$kver: it is DKMS's copy" "/lib/modules/$kver/updates/dkms/warn_test.ko" \
			"$(echo "$out" | grep -m1 '^/lib/modules/' | sed -E 's/\.(xz|zst|gz)$//')"
	else
		fail "$kver: DKMS could not install the WARN_ON module: $(cat "$FL_TOP/.build/dkms-warn.log")"
	fi
	dkms_warn_remove "$kver"
done
exit $ret
