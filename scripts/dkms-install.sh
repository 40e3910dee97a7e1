#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dkms-install.sh KVER: register this tree's flowlane with DKMS and build and
# install it for kernel KVER (into /lib/modules/KVER/updates/dkms). Any
# earlier registration of the same version is removed first, so the
# installed module is always built from this tree as it is now.
set -eu

kver=$1
top=$(cd "$(dirname "$0")/.." && pwd)
ver=$("$top/scripts/version.sh")
src=/usr/src/flowlane-$ver

command -v dkms > /dev/null || { echo "dkms not found: run 'make deps' (installs dkms)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "dkms-install.sh must run as root (it writes /usr/src and /lib/modules)" >&2; exit 1; }
[ -e "/lib/modules/$kver/build/Makefile" ] ||
	{ echo "no headers for $kver: run 'make deps' (installs linux-headers-amd64)" >&2; exit 1; }

if dkms status -m flowlane -v "$ver" 2>/dev/null | grep -q .; then
	dkms remove -m flowlane -v "$ver" --all > /dev/null
fi
rm -rf "$src"
mkdir -p "$src"
cp -a "$top/dkms.conf" "$top/Kbuild" "$top/kmod" "$top/include" "$src/"
# Leave kbuild output of the work tree behind.
find "$src" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' -o -name '*.mod*' \) -delete

dkms add -m flowlane -v "$ver" > /dev/null
if ! dkms build -m flowlane -v "$ver" -k "$kver" > /tmp/flowlane-dkms.log 2>&1 ||
   ! dkms install -m flowlane -v "$ver" -k "$kver" >> /tmp/flowlane-dkms.log 2>&1; then
	cat /tmp/flowlane-dkms.log >&2
	cat "/var/lib/dkms/flowlane/$ver/build/make.log" >&2 2>/dev/null
	exit 1
fi
echo "  DKMS    flowlane $ver installed for $kver: $(modinfo -k "$kver" -n flowlane)"
