#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# libFuzzer on the tool's netlink reply handling (userspace/fuzz/), ASan
# and UBSan on: the committed regression inputs, then a short run
# (FLOWLANE_LIBFUZZ_SECONDS, default 15; `make fuzz` runs longer).
source "$(dirname "$0")/../lib.sh"
command -v clang > /dev/null || skip "clang is not installed (make deps installs it)"
make -s -C "$FL_TOP/userspace" fuzz > /dev/null 2>&1 || { fail "the fuzz target does not build"; exit $ret; }
fuzzer=$FL_TOP/userspace/fuzz/fuzz_replies
seeds=$FL_TOP/userspace/fuzz/corpus/replies
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$fuzzer" -artifact_prefix="$work/" "$seeds"/* > "$work/log" 2>&1 &&
	pass "regression inputs: $(ls "$seeds" | wc -l) run clean" ||
	fail "a regression input fails: $(grep -m1 ERROR "$work/log")"
"$fuzzer" -artifact_prefix="$work/" -max_total_time="${FLOWLANE_LIBFUZZ_SECONDS:-15}" \
	"$work" "$seeds" > "$work/log" 2>&1
rc=$?
check_eq "fuzz_replies: no crash in ${FLOWLANE_LIBFUZZ_SECONDS:-15} s ($(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$work/log") runs)" 0 "$rc"
[ "$rc" = 0 ] || { grep -A8 ERROR "$work/log" | head -20; cp "$work"/crash-* "$FL_TOP/.build/" 2>/dev/null; }
exit $ret
