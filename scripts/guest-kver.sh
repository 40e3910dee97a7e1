#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Print the release of the Debian kernel the guest boots when none is named:
# the newest of the 6.1 line (Debian 12's distribution kernel), with its
# modules and headers installed. Not simply the newest kernel: installing
# 6.12 or making the 7.3 root (scripts/kernels.sh) must not move make demo,
# bench or static to another kernel behind their back.
# FLOWLANE_KVER overrides: a release (6.12.118+deb12-amd64) as it is, or a
# series (6.12, 7.3) for that series' newest release. Debian moves the ABI
# number (6.1.0-N) with its updates, so it is detected, never written down.
set -eu

want=${FLOWLANE_KVER:-6.1}
case "$want" in
*-*) echo "$want"; exit 0 ;;
esac
kver=$(FLOWLANE_KERNELS=$want "$(dirname "$0")/kernels.sh" list 2>/dev/null) && [ -n "$kver" ] &&
	{ echo "$kver"; exit 0; }
echo "no Debian $want kernel with its modules and headers: run 'make deps' (installs linux-image-amd64, linux-image-6.12-amd64 and their headers), and 'make kernels' for 7.3" >&2
exit 1
