#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# libFuzzer on the `flowlane apply` document parser (userspace/fuzz/
# fuzz_config.c), ASan, UBSan and LeakSanitizer on: the seeds (the JSON
# files of examples/, the malformed documents and regression inputs of
# userspace/fuzz/corpus/config/), then a short run with a fixed seed and
# run count, so that the suite is deterministic (FLOWLANE_LIBFUZZ_RUNS,
# default 100000; FLOWLANE_LIBFUZZ_SEED, default 1). `make fuzz` runs it
# long; a crash or leak it finds becomes a regression input there.
source "$(dirname "$0")/../lib.sh"
command -v clang > /dev/null || skip "clang is not installed (make deps installs it)"
make -s -C "$FL_TOP/userspace" fuzz > /dev/null 2>&1 || { fail "the fuzz targets do not build"; exit $ret; }
fuzzer=$FL_TOP/userspace/fuzz/fuzz_config
seeds=$FL_TOP/userspace/fuzz/corpus/config
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/new" "$work/examples"
cp "$FL_TOP"/examples/*.json "$work/examples/"

"$fuzzer" -artifact_prefix="$work/" "$seeds"/* "$work"/examples/* > "$work/log" 2>&1 &&
	pass "seeds: $(ls "$seeds" | wc -l) malformed and regression inputs, $(ls "$work/examples" | wc -l) examples run clean" ||
	fail "a seed fails: $(grep -m1 ERROR "$work/log")"
runs=${FLOWLANE_LIBFUZZ_RUNS:-100000}
seed=${FLOWLANE_LIBFUZZ_SEED:-1}
"$fuzzer" -artifact_prefix="$work/" -dict="$FL_TOP/userspace/fuzz/config.dict" \
	-runs="$runs" -seed="$seed" \
	"$work/new" "$seeds" "$work/examples" > "$work/log" 2>&1
rc=$?
check_eq "fuzz_config: no crash or leak in $runs runs (seed $seed)" 0 "$rc"
[ "$rc" = 0 ] || { grep -A8 ERROR "$work/log" | head -20; mkdir -p "$FL_TOP/.build"; cp "$work"/crash-* "$work"/leak-* "$FL_TOP/.build/" 2>/dev/null; }
exit $ret
