#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dkms-install.sh KVER: register this tree's flowlane with DKMS and build and
# install it for kernel KVER (into /lib/modules/KVER/updates/dkms). Any
# earlier registration of the same version is removed first, so the
# installed module is always built from this tree as it is now.
# For a kernel that lives in a build root (7.3, scripts/kernels.sh), all
# of it happens in that root with the root's own DKMS: the source goes to
# ROOT/usr/src, the module to ROOT/usr/lib/modules/KVER/updates/dkms, and
# this machine's DKMS and /lib/modules are not touched.
set -eu

kver=$1
top=$(cd "$(dirname "$0")/.." && pwd)
ver=$("$top/scripts/version.sh")
kroot=$("$top/scripts/kernels.sh" root "$kver")
src=$kroot/usr/src/flowlane-$ver
log=/tmp/flowlane-dkms.log

# A command where KVER's modules are built: in its root, else here.
at() { "$top/scripts/kernels.sh" run "$kver" "$@"; }

[ "$(id -u)" = 0 ] || { echo "dkms-install.sh must run as root (it writes /usr/src and /lib/modules)" >&2; exit 1; }
at sh -c 'command -v dkms' > /dev/null ||
	{ echo "dkms not found${kroot:+ in $kroot}: run 'make deps' (installs dkms)${kroot:+ and 'make kernels'}" >&2; exit 1; }
[ -e "$("$top/scripts/kernels.sh" build "$kver")/Makefile" ] ||
	{ echo "no headers for $kver: run 'make deps' (installs linux-headers-amd64)" >&2; exit 1; }

if at dkms status -m flowlane -v "$ver" 2>/dev/null | grep -q .; then
	at dkms remove -m flowlane -v "$ver" --all > /dev/null
fi
rm -rf "$src"
mkdir -p "$src"
cp -a "$top/dkms.conf" "$top/Kbuild" "$top/kmod" "$top/include" "$src/"
# Leave kbuild output of the work tree behind.
find "$src" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' -o -name '*.mod*' \) -delete

at dkms add -m flowlane -v "$ver" > /dev/null
if ! at dkms build -m flowlane -v "$ver" -k "$kver" > "$log" 2>&1 ||
   ! at dkms install -m flowlane -v "$ver" -k "$kver" >> "$log" 2>&1; then
	cat "$log" >&2
	cat "$kroot/var/lib/dkms/flowlane/$ver/build/make.log" >&2 2>/dev/null
	exit 1
fi
echo "  DKMS    flowlane $ver installed for $kver: $kroot$(at modinfo -k "$kver" -n flowlane)"
