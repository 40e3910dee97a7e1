#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run_tests.sh [-o TAPFILE] TEST...: run kselftest-style tests in order and
# print KTAP: a test's own lines are prefixed with "# "; each test is
# bounded by the timeout in ./settings (FLOWLANE_TEST_TIMEOUT overrides it,
# in seconds), times FLOWLANE_TIMEOUT_SCALE for slow debug kernels. With
# -o, the KTAP is also written to TAPFILE for the summary
# (scripts/tap-summary.sh). A TEST is a path relative to this directory,
# or absolute.
#
# Exit 0 is a pass. Exit 4 is a skip of the whole test, and only with its
# reason (the last "SKIP: " line) and no "FAIL:" line before it; anything
# else is a failure: any other status, a timeout, a skip without a reason
# or after a failure, and a pass that printed a "SKIP" line (a part of the
# test left out: skips are whole tests).
set -u

tap=/dev/null
if [ "${1:-}" = -o ]; then
	tap=$(realpath -m "$2")
	shift 2
fi
cd "$(dirname "$0")"
timeout_s=$(( ${FLOWLANE_TEST_TIMEOUT:-$(sed -n 's/^timeout=//p' settings)} * ${FLOWLANE_TIMEOUT_SCALE:-1} ))

{
	echo "KTAP version 1"
	echo "1..$#"
} | tee "$tap"

# A line saying a part was skipped ("SKIP: ..." or "# SKIP ...").
partial='^(# ?)*SKIP\b'

# verdict N TEST RC OUTFILE: the test's KTAP result line.
verdict() {
	local n=$1 t=$2 rc=$3 out=$4 reason head="ok $1 selftests: flowlane: $2"
	reason=$(sed -n 's/^SKIP: //p' "$out" | tail -1)
	case $rc in
	0)
		if grep -Eq "$partial" "$out"; then
			echo "not ok $n selftests: flowlane: $t # passed with a part skipped: $(grep -Em1 "$partial" "$out")"
		else
			echo "$head"
		fi ;;
	4)
		if grep -q '^FAIL: ' "$out"; then
			echo "not ok $n selftests: flowlane: $t # skipped after a failure: $(grep -m1 '^FAIL: ' "$out")"
		elif [ -z "$reason" ]; then
			echo "not ok $n selftests: flowlane: $t # exit 4 (skip) without a 'SKIP: reason' line"
		else
			echo "$head # SKIP $reason"
		fi ;;
	124) echo "not ok $n selftests: flowlane: $t # TIMEOUT ${timeout_s}s" ;;
	*) echo "not ok $n selftests: flowlane: $t # exit=$rc" ;;
	esac
}

n=0
failed=0
for t in "$@"; do
	n=$((n + 1))
	out=$(mktemp)
	cmd=./$t
	case $t in /*) cmd=$t ;; esac
	# Not --foreground: the timeout ends the test's whole process group,
	# so a child it left running (a traffic generator) cannot hold the
	# pipe open and stall the run past the timeout.
	timeout -k 5 "${timeout_s:-300}" "$cmd" < /dev/null 2>&1 | tee "$out" | sed -u 's/^/# /'
	rc=${PIPESTATUS[0]}
	line=$(verdict "$n" "$t" "$rc" "$out")
	rm -f "$out"
	case $line in not*) failed=1 ;; esac
	echo "$line" | tee -a "$tap"
done
exit $failed
