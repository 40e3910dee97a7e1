#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run_tests.sh [-o TAPFILE] TEST...: run kselftest-style tests in order and
# print KTAP: a test's own lines are prefixed with "# "; exit 4 is a skip;
# each test is bounded by the timeout in ./settings (times
# FLOWLANE_TIMEOUT_SCALE, for slow debug kernels). With -o, the KTAP is
# also written to TAPFILE for the summary.
set -u

tap=/dev/null
if [ "${1:-}" = -o ]; then
	tap=$(realpath -m "$2")
	shift 2
fi
cd "$(dirname "$0")"
timeout_s=$(( $(sed -n 's/^timeout=//p' settings) * ${FLOWLANE_TIMEOUT_SCALE:-1} ))

{
	echo "KTAP version 1"
	echo "1..$#"
} | tee "$tap"

n=0
failed=0
for t in "$@"; do
	n=$((n + 1))
	out=$(mktemp)
	timeout --foreground -k 5 "${timeout_s:-300}" ./"$t" 2>&1 | tee "$out" | sed -u 's/^/# /'
	rc=${PIPESTATUS[0]}
	# A skip carries the test's reason (its last "SKIP: " line), as KTAP allows.
	reason=$(sed -n 's/^SKIP: //p' "$out" | tail -1)
	rm -f "$out"
	case $rc in
	0) line="ok $n selftests: flowlane: $t" ;;
	4) line="ok $n selftests: flowlane: $t # SKIP${reason:+ $reason}" ;;
	124) line="not ok $n selftests: flowlane: $t # TIMEOUT ${timeout_s}s"; failed=1 ;;
	*) line="not ok $n selftests: flowlane: $t # exit=$rc"; failed=1 ;;
	esac
	echo "$line" | tee -a "$tap"
done
exit $failed
