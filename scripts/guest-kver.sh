#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Print the release of the Debian distribution kernel the guest boots: the
# newest /boot/vmlinuz-*-amd64 that also has modules and headers installed.
# FLOWLANE_KVER overrides. Debian moves the ABI number (6.1.0-N) with its
# updates, so it is detected, never written down.
set -eu

if [ -n "${FLOWLANE_KVER:-}" ]; then
	echo "$FLOWLANE_KVER"
	exit 0
fi
for image in $(ls /boot/vmlinuz-*-amd64 2>/dev/null | sort -rV); do
	kver=${image#/boot/vmlinuz-}
	if [ -d "/lib/modules/$kver/kernel" ] && [ -e "/lib/modules/$kver/build/Makefile" ]; then
		echo "$kver"
		exit 0
	fi
done
echo "no Debian kernel with its headers found in /boot and /lib/modules: run 'make deps' (installs linux-image-amd64 and linux-headers-amd64)" >&2
exit 1
