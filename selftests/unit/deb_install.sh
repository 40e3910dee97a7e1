#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages of `make deb` on this machine, without a guest: a real
# apt-get installs flowlane-dkms and flowlane on a copy-on-write view of the
# root (selftests/deb_lib.sh, in a mount namespace of its own), the postinst
# has DKMS build and install the module for every kernel with headers (on
# the project machine 6.1 and 6.12; its own kernel is not among them, which
# DKMS treats as a chroot's first install: every kernel), the tool runs,
# and `apt-get purge` leaves no file. Loading the module is the guest's part
# (selftests/flowlane_deb.sh).
[ -n "${FL_DEB_UNSHARED:-}" ] || FL_DEB_UNSHARED=1 exec unshare -m --propagation private "$0" "$@"

source "$(dirname "$0")/../deb_lib.sh"
need_root
checktool "apt-get --version" "installs the packages"
checktool "dkms --version" "the packages' postinst builds with it"

kernels=$(deb_kernels)
[ -n "$kernels" ] || skip "no kernel headers under /lib/modules: run 'make deps'"
deb_setup
deb_install
for k in $kernels; do
	deb_check_kernel "$k"
done
deb_purge
exit $ret
