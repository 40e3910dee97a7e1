#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest harness itself: it returns the command's status, fails a run
# whose kernel logged a WARNING even when the command succeeded, and
# enforces its timeout. Three short guest boots.
source "$(dirname "$0")/../lib.sh"
[ "${FLOWLANE_GUEST:-qemu}" = none ] && skip "FLOWLANE_GUEST=none: no guest to test"

kver=$("$FL_TOP/scripts/guest-kver.sh") || skip "no guest kernel"
guest="$FL_TOP/selftests/guest.sh"
# A debug kernel (make debug-check) boots several times slower.
boot=$((120 * ${FLOWLANE_TIMEOUT_SCALE:-1}))

out=$("$guest" --timeout "$boot" -- bash -c 'echo from-guest; exit 3' 2>&1); rc=$?
check_eq "the command's exit status comes back" 3 "$rc"
check_match "the command's output is streamed" "^from-guest$" "$out"

# A module whose init does WARN_ON(1): the broken-module case. Built inside
# the work tree, which the guest shares (its /tmp is its own).
mkdir -p "$FL_TOP/.build"
build=$(mktemp -d "$FL_TOP/.build/warn_mod.XXXXXX")
trap 'rm -rf "$build"' EXIT
cp "$FL_TOP/selftests/unit/warn_mod/"* "$build/"
if make -s -C "/lib/modules/$kver/build" M="$build" modules > "$build/log" 2>&1; then
	out=$("$guest" --timeout "$boot" -- insmod "$build/warn_test.ko" 2>&1); rc=$?
	check_eq "a WARNING in the guest kernel fails the run" 125 "$rc"
	check_match "the report is shown" "the guest kernel reported a problem" "$out"
else
	fail "could not build the WARN test module: $(cat "$build/log")"
fi

out=$("$guest" --timeout 20 -- sleep 600 2>&1); rc=$?
check_eq "a command past the timeout is stopped" 124 "$rc"
check_match "the timeout is reported" "timed out after 20s" "$out"
exit $ret
