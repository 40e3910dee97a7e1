#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The version is written once (kmod/version.h); every other place agrees.
source "$(dirname "$0")/../lib.sh"

want=$("$FL_TOP/scripts/version.sh")
check_match "kmod/version.h holds a version" '^[0-9]+\.[0-9]+\.[0-9]+$' "$want"
check_eq "dkms.conf PACKAGE_VERSION" "$want" \
	"$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$FL_TOP/dkms.conf")"
# A native package: the Debian version is the upstream version itself.
check_eq "debian/changelog's version" "$want" \
	"$(dpkg-parsechangelog -l "$FL_TOP/debian/changelog" -S Version)"
check_eq "the man page's version" "flowlane $want" \
	"$(sed -n 's/^\.TH FLOWLANE 8 "[^"]*" "\([^"]*\)".*/\1/p' "$FL_TOP/Documentation/man/flowlane.8")"
check_eq "flowlane --version" "flowlane $want" "$("$FLOWLANE" --version)"
if [ -f "$FL_TOP/flowlane.ko" ]; then
	check_eq "modinfo of the built module" "$want" "$(modinfo -F version "$FL_TOP/flowlane.ko")"
else
	fail "flowlane.ko not built (run make)"
fi
exit $ret
