#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The test harness itself tells the truth: scripts/tap-summary.sh (the
# counting of `make check`), selftests/run_tests.sh (each test's verdict),
# lib.sh's skip() and the C tests' tap.h are fed the ways a broken suite
# could read green: a crashing program, "1..0", a plan of 3 with 2
# results, a failure followed by a skip, a timeout, a guest that stopped
# or never finished, a skip without a reason, a part skipped. Each must
# count as a failure, named.
source "$(dirname "$0")/../lib.sh"
summary=$FL_TOP/scripts/tap-summary.sh
run_tests=$FL_TOP/selftests/run_tests.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# results CASE: a fresh results directory for one case.
results() { rm -rf "${work:?}/$1"; mkdir -p "$work/$1"; echo "$work/$1"; }

# summarize CASE WHAT EXPECTED_LAST_LINE [REGEX...]: tap-summary's last
# line, its exit status (1 when anything failed) and lines it must print.
summarize() {
	local dir=$work/$1 what=$2 want=$3 out rc re
	shift 3
	out=$("$summary" "$dir"); rc=$?
	check_eq "$what: summary" "$want" "$(tail -1 <<< "$out")"
	case $want in
	*" 0 failed,"*) check_eq "$what: exit status" 0 "$rc" ;;
	*) check_eq "$what: exit status" 1 "$rc" ;;
	esac
	for re in "$@"; do
		check_match "$what: names '$re'" "$re" "$out"
	done
}

# A C test that crashes after one result: no plan line, killed by SIGSEGV.
d=$(results crash)
echo "ok 1 - status: human form" > "$d/unit-format.tap"
echo 139 > "$d/unit-format.rc"
summarize crash "a crashing program" "1 passed, 2 failed, 0 skipped" \
	"FAIL unit-format: no plan line" "FAIL unit-format: killed by signal 11"

d=$(results empty)
printf 'KTAP version 1\n1..0\n' > "$d/host.tap"
echo 0 > "$d/host.rc"
summarize empty "1..0" "0 passed, 1 failed, 0 skipped" "FAIL host: planned no tests \(1\.\.0\)"

d=$(results short)
printf '1..3\nok 1 - a\n# b: output\nok 2 - b\n' > "$d/unit-config.tap"
echo 0 > "$d/unit-config.rc"
summarize short "a plan of 3 with 2 results" "2 passed, 1 failed, 0 skipped" \
	"FAIL unit-config: result 3 of 1\.\.3 did not run"

# The guest timed out in its second test: the third never ran; each is named.
d=$(results timeout)
printf '%s\n' flowlane_a.sh flowlane_b.sh flowlane_c.sh > "$d/guest.plan"
printf 'KTAP version 1\n1..3\nok 1 selftests: flowlane: flowlane_a.sh\n# half of b\n' > "$d/guest.tap"
echo 124 > "$d/guest.rc"
summarize timeout "a guest timeout" "1 passed, 3 failed, 0 skipped" \
	"FAIL guest: flowlane_b.sh did not run" "FAIL guest: flowlane_c.sh did not run" \
	"FAIL guest: timed out \(exit 124\)"

# The guest did not finish (exit 125) before run_tests.sh printed anything.
d=$(results unfinished)
printf '%s\n' flowlane_a.sh flowlane_b.sh > "$d/guest.plan"
echo 125 > "$d/guest.rc"
summarize unfinished "an unfinished guest" "0 passed, 3 failed, 0 skipped" \
	"FAIL guest: flowlane_a.sh did not run" "FAIL guest: flowlane_b.sh did not run" \
	"FAIL guest: did not finish"

# Results but no exit status: the program never returned to check.sh.
d=$(results norc)
printf '1..1\nok 1 - a\n' > "$d/host.tap"
summarize norc "no exit status" "1 passed, 1 failed, 0 skipped" "FAIL host: never finished"

# A stage that never started (DKMS failed): its planned tests, named, and
# the stage's own failure; nothing else.
d=$(results nostart)
printf '%s\n' flowlane_a.sh > "$d/guest.plan"
echo "DKMS install for the guest kernel" > "$d/stages.failed"
summarize nostart "a stage that never started" "0 passed, 2 failed, 0 skipped" \
	"FAIL guest: flowlane_a.sh did not run" "FAIL stage: DKMS install for the guest kernel"

# A failing run exits 1: that repeats its failure and is not counted twice;
# a skip counts as a skip only with its reason, which is listed.
d=$(results mixed)
printf '%s\n' a.sh b.sh c.sh d.sh > "$d/host.plan"
printf 'KTAP version 1\n1..4\nok 1 selftests: flowlane: a.sh\nnot ok 2 selftests: flowlane: b.sh # exit=1\nok 3 selftests: flowlane: c.sh # SKIP no widget here\nok 4 selftests: flowlane: d.sh # SKIP\n' > "$d/host.tap"
echo 1 > "$d/host.rc"
summarize mixed "failure, whole skip, skip without reason" "1 passed, 2 failed, 1 skipped" \
	"FAIL host: selftests: flowlane: b.sh # exit=1" "SKIP host: selftests: flowlane: c.sh # SKIP no widget here" \
	"FAIL host: skipped without a reason"

# Exit 1 with every result passed, and a plan other than the tests given.
d=$(results liar)
printf '%s\n' a.sh b.sh > "$d/host.plan"
printf '1..1\nok 1 - a.sh\n' > "$d/host.tap"
echo 1 > "$d/host.rc"
summarize liar "exit 1 with no failed result" "1 passed, 3 failed, 0 skipped" \
	"FAIL host: exited 1" "FAIL host: its plan 1\.\.1 is not the 2 tests" "FAIL host: b.sh did not run"

d=$(results extra)
printf '1..1\nok 1 - a\nok 2 - b\nok 2 - b again\n' > "$d/unit-format.tap"
echo 0 > "$d/unit-format.rc"
summarize extra "results beyond the plan or twice" "2 passed, 2 failed, 0 skipped" \
	"FAIL unit-format: result 2 is outside the plan" "FAIL unit-format: result 2 given twice"

d=$(results green)
printf 'ok 1 - a\nok 2 - b\n1..2\n' > "$d/unit-format.tap"
echo 0 > "$d/unit-format.rc"
printf '%s\n' a.sh > "$d/guest.plan"
printf 'KTAP version 1\n1..1\nok 1 selftests: flowlane: a.sh # SKIP no failslab\n' > "$d/guest.tap"
echo 0 > "$d/guest.rc"
summarize green "a clean run" "2 passed, 0 failed, 1 skipped" "SKIP guest: .*a.sh # SKIP no failslab"

# run_tests.sh's verdicts, on small tests written here.
tdir=$work/tests
mkdir -p "$tdir"
tcase() { printf '#!/bin/bash\n%s\n' "$2" > "$tdir/$1"; chmod +x "$tdir/$1"; echo "$tdir/$1"; }
lib=$FL_TOP/selftests/lib.sh
tests=(
	"$(tcase pass.sh "source $lib; check_eq one 1 1; exit \$ret")"
	"$(tcase fail_then_skip.sh "source $lib; check_eq one 1 2; skip 'no widget'")"
	"$(tcase raw_fail_then_skip.sh "echo 'FAIL: one'; echo 'SKIP: no widget'; exit 4")"
	"$(tcase skip_no_reason.sh "exit 4")"
	"$(tcase part_skipped.sh "echo 'PASS: one'; echo '# SKIP: the other part'; exit 0")"
	"$(tcase crash.sh 'kill -SEGV $$')"
	"$(tcase hang.sh "sleep 60 & wait")"
	"$(tcase whole_skip.sh "source $lib; skip 'no widget here'")"
	"$(tcase missing_tool.sh "source $lib; need_cmd flowlane-no-such-tool no-such-package; exit 0")"
)
t0=$SECONDS
out=$(FLOWLANE_TEST_TIMEOUT=2 FLOWLANE_TIMEOUT_SCALE=1 "$run_tests" -o "$work/rt.tap" "${tests[@]}"); rc=$?
check_eq "run_tests.sh: exits 1 when a test failed" 1 "$rc"
# The hanging test's child (sleep 60) is stopped with it, not waited for.
check_eq "run_tests.sh: the timeout stops a test's children too (run under 20 s)" yes \
	"$([ $((SECONDS - t0)) -lt 20 ] && echo yes || echo "no: $((SECONDS - t0)) s")"
diff <(grep -v '^#' <<< "$out") "$work/rt.tap" > "$work/rt.diff" &&
	pass "run_tests.sh: the TAP file is what it printed, without the tests' output" ||
	fail "run_tests.sh: the TAP file differs from its output: $(cat "$work/rt.diff")"
verdicts=$(grep -E '^(not )?ok ' "$work/rt.tap" | sed -E 's/^((not )?ok [0-9]+) .*\/([a-z_]+\.sh)( # ([A-Za-z]+).*)?$/\1 \3 \5/' | xargs -d '\n' printf '%s|')
check_eq "run_tests.sh: each verdict" \
	"ok 1 pass.sh |not ok 2 fail_then_skip.sh exit|not ok 3 raw_fail_then_skip.sh skipped|not ok 4 skip_no_reason.sh exit|not ok 5 part_skipped.sh passed|not ok 6 crash.sh exit|not ok 7 hang.sh TIMEOUT|ok 8 whole_skip.sh SKIP|not ok 9 missing_tool.sh exit|" \
	"$verdicts"
check_match "run_tests.sh: a crash shows its status" "crash.sh # exit=139$" "$out"
check_match "run_tests.sh: the timeout is named" "hang.sh # TIMEOUT 2s$" "$out"
check_match "run_tests.sh: a whole skip keeps its reason" "whole_skip.sh # SKIP no widget here$" "$out"
check_match "lib.sh: skip() after a failure says so and fails" "# FAIL: skipping after a failure: no widget" "$out"
check_match "lib.sh: need_cmd names the package" "# FAIL: flowlane-no-such-tool not found: make deps installs it \(Debian package no-such-package\)" "$out"
d=$(results rt)
cp "$work/rt.tap" "$d/host.tap"
echo "$rc" > "$d/host.rc"
summarize rt "run_tests.sh's TAP, counted" "1 passed, 7 failed, 1 skipped"

# engine_lib.sh's dump helpers, with a flctl whose dump fails: an absence
# check must fail, a wait for a flow to go must not succeed.
out=$(bash -c 'source "$1/selftests/engine_lib.sh"
	fl() { echo "flctl: netlink: Operation not permitted" >&2; return 1; }
	check_eq "no flow" "" "$(flows)"
	check_eq "flow x absent" "" "$(flow_line x)"
	check_eq "no flow of x" 0 "$(flows_count x)"
	flow_gone x && echo "GONE" || echo "NOT GONE"
	fl() { printf "id=1 osport=7 state=1\n"; }
	check_eq "one flow" 1 "$(flows_count state=1)"
	check_eq "flow 8 absent" "" "$(flow_line osport=8)"
	flow_gone osport=8 && echo "GONE" || echo "NOT GONE"
	exit $ret' _ "$FL_TOP" 2>&1)
check_eq "engine_lib.sh: absence checks fail when the dump fails, pass when it works" \
	"FAIL FAIL FAIL NOT PASS PASS GONE" "$(grep -oE '^(FAIL|PASS|GONE|NOT)' <<< "$out" | xargs)"
check_match "engine_lib.sh: the dump's failure is shown" \
	"the flows dump failed \(exit 1\): flctl: netlink: Operation not permitted" "$out"

# tap.h: a missing string (NULL, as json_string_value() gives for a
# missing key) fails its check and the program goes on to its plan.
cat > "$work/tap_null.c" <<'EOF'
#include "tap.h"
int main(void)
{
	const char *missing = NULL;

	tap_streq(missing, "0.1.0", "missing key");
	tap_streq("0.1.0", "0.1.0", "present key");
	tap_ok(!tap_strsame(missing, "r1"), "tap_strsame(NULL, s) is false");
	return tap_done();
}
EOF
if cc -Wall -Werror -I"$FL_TOP/userspace/tests" -o "$work/tap_null" "$work/tap_null.c" 2> "$work/cc.log"; then
	out=$("$work/tap_null"); rc=$?
	check_eq "tap.h: a NULL string fails, the program goes on and exits 1" \
		"not ok 1 - missing key|# got:|# (null)|# want:|# 0.1.0|ok 2 - present key|ok 3 - tap_strsame(NULL, s) is false|1..3|rc=1" \
		"$(tr '\n' '|' <<< "$out")rc=$rc"
else
	fail "tap.h test does not build: $(cat "$work/cc.log")"
fi
exit $ret
