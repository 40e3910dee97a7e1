#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# module-build.sh KVER [DIR]: build the flowlane.ko of the tree DIR (default:
# this one) for kernel release KVER, with no warning allowed, where KVER's
# modules build: on this machine for its own kernels (/lib/modules/KVER/
# build), inside the trixie build root for a root kernel (7.3: its headers
# and compiler are trixie's; the root sees the tree at the same path).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] || { echo "usage: module-build.sh KVER [DIR]" >&2; exit 2; }
kver=$1
tree=$(cd "${2:-$top}" && pwd)
kdir=$("$top/scripts/kernels.sh" build "$kver")
root=$("$top/scripts/kernels.sh" root "$kver")
case "$tree" in
"$top"|"$top"/*) ;;
*) [ -z "$root" ] || { echo "module-build.sh: $tree is outside $top, which is all the build root sees" >&2; exit 2; } ;;
esac
exec "$top/scripts/kernels.sh" run "$kver" make -s -C "$tree" module KDIR="${kdir#$root}"
