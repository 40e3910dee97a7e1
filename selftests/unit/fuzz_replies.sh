#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# libFuzzer on the tool's netlink reply handling (userspace/fuzz/), ASan
# and UBSan on: the committed regression inputs, then a short run with a
# fixed seed and run count, so that the suite is deterministic
# (FLOWLANE_LIBFUZZ_RUNS, default 100000; FLOWLANE_LIBFUZZ_SEED, default 1).
# Exploring is for long runs with other seeds: a crash they find becomes a
# regression input in userspace/fuzz/corpus/replies/.
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
runs=${FLOWLANE_LIBFUZZ_RUNS:-100000}
seed=${FLOWLANE_LIBFUZZ_SEED:-1}
"$fuzzer" -artifact_prefix="$work/" -runs="$runs" -seed="$seed" \
	"$work" "$seeds" > "$work/log" 2>&1
rc=$?
check_eq "fuzz_replies: no crash in $runs runs (seed $seed)" 0 "$rc"
[ "$rc" = 0 ] || { grep -A8 ERROR "$work/log" | head -20; cp "$work"/crash-* "$FL_TOP/.build/" 2>/dev/null; }
exit $ret
