#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tap-summary.sh DIR: the one place where `make check` counts its results.
# DIR holds, per program run NAME (a stage: "guest", "host", "unit-format"):
#   NAME.tap   what it printed (TAP or KTAP: a plan "1..N", result lines;
#              indented and "#" lines are the tests' own output)
#   NAME.rc    its exit status, written when it ended
#   NAME.plan  optional: the tests it was meant to run, one a line, in order
# and stages.failed: one line per stage that could not run at all.
#
# Prints every failure and every skip, named, then exactly one line
# "N passed, N failed, N skipped" (.ci/run greps it); exits 1 on any failure.
# Counted as failed, each once and named: a "not ok" result; each planned
# test without a result (a crash, a timeout, a guest that stopped); a
# missing plan line (the program stopped before printing it); "1..0"; a
# plan that disagrees with NAME.plan; a result outside the plan or given
# twice; an exit status other than 0 (and other than 1 with a failed
# result, which it only repeats); a run with results but no exit status
# (it never finished); a skip without a reason. Counted as skipped: only
# "ok N ... # SKIP reason" results (whole tests; partial skips are failures
# in selftests/run_tests.sh).
set -u

dir=${1:?usage: tap-summary.sh RESULTS_DIR}

# One stage: print "P|F|S<TAB>description" per counted item.
stage_items() {
	local name=$1 tap=$dir/$1.tap plan=$dir/$1.plan rc=NONE
	[ -r "$dir/$name.rc" ] && rc=$(head -1 "$dir/$name.rc")
	[ -e "$tap" ] || tap=/dev/null
	[ -e "$plan" ] || plan=""
	# A stage with no output and no status never started: only its
	# planned tests (if any) are counted, as not run.
	[ "$tap" = /dev/null ] && [ "$rc" = NONE ] && rc=NOTSTARTED
	awk -v name="$name" -v rc="$rc" -v planfile="$plan" '
	function item(kind, text) { printf "%s\t%s: %s\n", kind, name, text }
	function label(rc) {
		if (rc == 124) return "timed out (exit 124)"
		if (rc == 125) return "did not finish, or its kernel log reported a problem (exit 125; its message is above)"
		if (rc > 128) return "killed by signal " (rc - 128) " (exit " rc ")"
		return "exited " rc
	}
	FILENAME == planfile { nplan++; planned[nplan] = $0; next }
	/^1\.\.[0-9]+/ {
		if (plan != "") { item("F", "a second plan line: " $0); next }
		plan = substr($0, 4) + 0
		next
	}
	/^(not )?ok( |$)/ {
		notok = ($0 ~ /^not /)
		rest = $0; sub(/^(not )?ok */, "", rest)
		if (match(rest, /^[0-9]+/)) {
			num = substr(rest, 1, RLENGTH) + 0; rest = substr(rest, RLENGTH + 1)
		} else {
			num = ++implicit
		}
		implicit = num
		sub(/^ *(- )?/, "", rest)
		if (seen[num]++) { item("F", "result " num " given twice: " $0); next }
		if (num > maxnum) maxnum = num
		if (notok) { item("F", rest); nfailed++; next }
		if (match(rest, /# *[Ss][Kk][Ii][Pp]/)) {
			reason = substr(rest, RSTART + RLENGTH); sub(/^[: ]*/, "", reason)
			if (reason == "") { item("F", "skipped without a reason: " rest); nfailed++ }
			else item("S", rest)
			next
		}
		item("P", rest)
	}
	END {
		if (planfile != "" && nplan == 0) item("F", "nothing was selected to run")
		if (rc != "NOTSTARTED") {
			if (plan == "" && planfile == "") item("F", "no plan line (1..N): it stopped before the end")
			else if (plan == "0") item("F", "planned no tests (1..0): nothing ran")
			else if (plan != "" && planfile != "" && plan + 0 != nplan)
				item("F", "its plan 1.." plan " is not the " nplan " tests it was given")
		}
		expect = planfile != "" ? nplan : plan + 0
		for (i = 1; i <= expect; i++)
			if (!(i in seen)) {
				what = (i in planned) ? planned[i] : "result " i " of 1.." expect
				item("F", what " did not run (no result)")
			}
		for (i = 1; i <= maxnum; i++)
			if ((i in seen) && i > expect && (plan != "" || planfile != ""))
				item("F", "result " i " is outside the plan 1.." expect)
		if (rc == "NONE") item("F", "never finished (no exit status)")
		else if (rc != "NOTSTARTED" && rc != 0 && !(rc == 1 && nfailed > 0))
			item("F", label(rc))
	}' ${plan:+"$plan"} "$tap"
}

stages() {
	local f
	for f in "$dir"/*.tap "$dir"/*.rc "$dir"/*.plan; do
		[ -e "$f" ] || continue
		f=${f##*/}
		echo "${f%.*}"
	done | sort -u
}

items=$(
	for s in $(stages); do stage_items "$s"; done
	[ -r "$dir/stages.failed" ] && sed '/^$/d; s/^/F\tstage: /' "$dir/stages.failed"
)
tab=$'\t'
count() { [ -z "$items" ] && echo 0 || grep -c "^$1$tab" <<< "$items"; }

grep "^F$tab" <<< "$items" | sed "s/^F$tab/    FAIL /"
grep "^S$tab" <<< "$items" | sed "s/^S$tab/    SKIP /"
failed=$(count F)
echo "$(count P) passed, $failed failed, $(count S) skipped"
[ "$failed" = 0 ]
