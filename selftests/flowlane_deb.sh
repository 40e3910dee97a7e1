#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages as an operator meets them (`make deb` builds them into
# .build/deb): a real apt-get and dpkg install flowlane-dkms and flowlane on
# a copy-on-write view of the guest's root (selftests/deb_lib.sh), the
# postinst has DKMS build the module for every kernel with headers, the
# running one included, `modprobe flowlane` loads that copy, `flowlane
# status` answers, and `apt-get purge` takes every file away again, module
# copies included. The machine's own DKMS registration of flowlane (make
# check's) is hidden in the overlay first: only the package's copy can load.

source "$(dirname "$0")/deb_lib.sh"
need_root
checktool "apt-get --version" "installs the packages"
checktool "dkms --version" "the packages' postinst builds with it"
kver=$(uname -r)
[ -e "/lib/modules/$kver/build/Makefile" ] || skip "no headers for the running kernel $kver"

unload_flowlane
deb_setup
deb_install
for k in $(deb_kernels); do
	deb_check_kernel "$k"
done

if in_root modprobe flowlane; then
	pass "modprobe flowlane"
	check_eq "the loaded module is the package's build for $kver (srcversion)" \
		"$(in_root modinfo -F srcversion flowlane)" "$(cat /sys/module/flowlane/srcversion)"
	check_eq "flowlane status (the package's tool) answers" "flowlane $DEB_VER, kernel module $DEB_VER" \
		"$(in_root flowlane status 2>&1 | head -1)"
	modprobe -r flowlane || fail "modprobe -r flowlane"
else
	fail "modprobe flowlane"
fi

deb_purge
exit $ret
