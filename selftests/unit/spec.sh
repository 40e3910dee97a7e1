#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Documentation/netlink/specs/flowlane.yaml, the uapi header and the
# kernel's op table agree (see spec.py); and spec.py bites: copies of
# genl.c with a permission flag changed or dropped must fail it, a comment
# naming ADMIN must change nothing.
source "$(dirname "$0")/../lib.sh"
/usr/bin/python3 -c 'import yaml' 2>/dev/null || { fail "python3-yaml is missing (make deps installs it)"; exit 1; }
spec=$(dirname "$0")/spec.py
/usr/bin/python3 "$spec" "$FL_TOP" || ret=$ksft_fail

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/Documentation/netlink/specs" "$work/include/uapi/linux" "$work/kmod"
cp "$FL_TOP/Documentation/netlink/specs/flowlane.yaml" "$work/Documentation/netlink/specs/"
cp "$FL_TOP/include/uapi/linux/flowlane.h" "$work/include/uapi/linux/"

# mutant WHAT EXPECTED_EXIT FAIL_REGEX SED_SCRIPT: spec.py on genl.c so changed.
mutant() {
	local out rc
	sed "$4" "$FL_TOP/kmod/genl.c" > "$work/kmod/genl.c"
	cmp -s "$FL_TOP/kmod/genl.c" "$work/kmod/genl.c" && { fail "$1: the sed script changed nothing"; return; }
	out=$(/usr/bin/python3 "$spec" "$work" 2>&1); rc=$?
	check_eq "$1: spec.py exit status" "$2" "$rc"
	[ -z "$3" ] || check_match "$1: names the command" "$3" "$out"
}
mutant "ADMIN is GENL_ADMIN_PERM (not UNS)" 1 "FAIL: command DEV_ADD: permission flags" \
	's/^#define ADMIN GENL_UNS_ADMIN_PERM$/#define ADMIN GENL_ADMIN_PERM/'
mutant "FLOW_GET's flag dropped, ADMIN left in a comment" 1 "FAIL: command FLOW_GET: permission flags" \
	's/^\t\t\.flags\t = ADMIN,$/\t\t\/* .flags = ADMIN, *\//'
mutant "FLUSH's flag written out as GENL_UNS_ADMIN_PERM" 0 "" \
	's/flowlane_flush_policy, ADMIN)/flowlane_flush_policy, GENL_UNS_ADMIN_PERM)/'
mutant "STATUS_GET with ADMIN in a comment" 0 "" \
	's/flowlane_no_attrs_policy, 0),/flowlane_no_attrs_policy, 0 \/* not ADMIN *\/),/'
exit $ret
