#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The module as an operator meets it: the DKMS-installed copy loads with a
# plain modprobe, registers the generic netlink family "flowlane" and
# /sys/kernel/flowlane/, reports the version modinfo reports, and unloads
# leaving nothing behind, repeatedly.

source "$(dirname "$0")/lib.sh"
need_root
checktool "modinfo --version" "reads the installed module's version"
checktool "genl ctrl list" "iproute2's genl shows generic netlink families"

unload_flowlane

path=$(modinfo -n flowlane 2>/dev/null)
# The release is a literal (6.12.118+deb12-amd64 holds a '+'); the module
# may be compressed (.ko.xz where the kernel's config says so).
case "$path" in
"/lib/modules/$(uname -r)/updates/dkms/flowlane.ko"|"/lib/modules/$(uname -r)/updates/dkms/flowlane.ko."*)
	pass "modprobe finds the DKMS-installed module ($path)" ;;
*)
	fail "modprobe finds the DKMS-installed module: '$path' is not /lib/modules/$(uname -r)/updates/dkms/flowlane.ko[.xz]" ;;
esac
want=$(modinfo -F version flowlane)

for round in 1 2 3; do
	load_flowlane
	module_loaded && pass "round $round: modprobe flowlane loads it" ||
		fail "round $round: /sys/module/flowlane missing after modprobe"
	check_eq "round $round: sysfs version equals modinfo version" \
		"$want" "$(cat /sys/kernel/flowlane/version 2>&1)"
	check_match "round $round: genl family 'flowlane' is registered" \
		"Name: flowlane" "$(genl ctrl get name flowlane 2>&1)"

	unload_flowlane
	module_loaded && fail "round $round: module still loaded after modprobe -r" ||
		pass "round $round: modprobe -r unloads it"
	[ -e /sys/kernel/flowlane ] && fail "round $round: /sys/kernel/flowlane left behind" ||
		pass "round $round: /sys/kernel/flowlane removed"
	genl ctrl get name flowlane > /dev/null 2>&1 &&
		fail "round $round: genl family still registered after unload" ||
		pass "round $round: genl family gone after unload"
done

load_flowlane
check_eq "sysfs version is read-only for everyone" "444" \
	"$(stat -c %a /sys/kernel/flowlane/version)"
echo x 2>/dev/null > /sys/kernel/flowlane/version &&
	fail "writing sysfs version succeeded" || pass "writing sysfs version is refused"
check_match "kernel log announces the version" \
	"flowlane: version $want loaded" "$(dmesg)"
unload_flowlane
exit $ret
