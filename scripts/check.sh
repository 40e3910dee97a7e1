#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The whole test suite, as `make check` runs it on a fresh Debian 12 machine:
#   1. install missing Debian packages (scripts/deps.sh)
#   2. build the module (warnings are errors) and the tool
#   3. host tests: the tool's unit tests, version agreement, the CLI, the
#      guest harness itself
#   4. DKMS-install the module for the guest kernel
#   5. boot the guest and run every selftest in selftests/Makefile there
# and end with one line: "N passed, N failed, N skipped", counted by
# scripts/tap-summary.sh from every program's TAP, plan and exit status.
#
# FLOWLANE_TESTS="NAME..." runs only the tests named (see below).
# FLOWLANE_GUEST=none runs step 5 on this machine (see selftests/guest.sh).
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
results=$top/.build/results
rm -rf "$results"
mkdir -p "$results"
start=$SECONDS

step() { printf '\n==> %s (%ds)\n' "$*" $((SECONDS - start)); }

# A stage that could not run at all counts as one failure, named.
stage_failed() { echo "$1" >> "$results/stages.failed"; }

step "dependencies"
scripts/deps.sh || { stage_failed "dependencies installed"; }

# The tests of each stage. FLOWLANE_TESTS="NAME..." runs only those named
# (C unit tests by program name, host tests as unit/X.sh, guest tests as
# flowlane_X.sh); a stage with none of them selected is not run.
c_tests="test_format test_config"
host_tests="unit/versions.sh unit/cli.sh unit/spec.sh unit/docs.sh unit/static.sh
	unit/fuzz_replies.sh unit/fuzz_config.sh unit/apply_ruleset.sh unit/apply_incremental.sh
	unit/apply_state.sh unit/apply_errors.sh unit/harness.sh unit/guest_harness.sh"
guest_tests=$(make -s -C selftests list) || stage_failed "the list of guest tests (make -C selftests list)"
if [ -n "${FLOWLANE_TESTS+set}" ]; then
	selected() { local t; for t in $1; do case " $FLOWLANE_TESTS " in *" $t "*) echo "$t" ;; esac; done | xargs; }
	for t in $FLOWLANE_TESTS; do
		case " $(echo $c_tests $host_tests $guest_tests) " in
		*" $t "*) ;;
		*) stage_failed "FLOWLANE_TESTS names '$t', which is no test: see scripts/check.sh and 'make -C selftests list'" ;;
		esac
	done
	c_tests=$(selected "$c_tests")
	host_tests=$(selected "$host_tests")
	guest_tests=$(selected "$guest_tests")
	echo "FLOWLANE_TESTS: only ${c_tests:+$c_tests }${host_tests:+$host_tests }$guest_tests"
	[ -n "$c_tests$host_tests$guest_tests" ] || stage_failed "FLOWLANE_TESTS='$FLOWLANE_TESTS' selects no test"
fi
# What each stage is to run, before it runs: a test that never ran (a
# crash, a timeout, a guest that did not boot) is then counted by name.
[ -z "$host_tests" ] || printf '%s\n' $host_tests > "$results/host.plan"
[ -z "$guest_tests" ] || printf '%s\n' $guest_tests > "$results/guest.plan"

# tap_program NAME COMMAND...: COMMAND prints TAP; keep it as NAME.tap and
# its exit status as NAME.rc, for scripts/tap-summary.sh.
tap_program() {
	local name=$1
	shift
	"$@" > "$results/$name.tap"
	echo $? > "$results/$name.rc"
	sed 's/^/    /' "$results/$name.tap"
}

# The module is built for the kernel the guest boots (the engine tests
# insmod this build), whatever other kernels' headers are installed.
kver=$(scripts/guest-kver.sh)

step "build"
if ! make -s all KDIR="/lib/modules/$kver/build"; then
	stage_failed "module and tool build without warnings"
fi

step "host tests"
make -s -C selftests helpers || stage_failed "selftest helpers build"
if [ -n "$c_tests" ]; then
	if make -s -C userspace tests; then
		for t in $c_tests; do
			tap_program "unit-${t#test_}" "userspace/tests/$t"
		done
	else
		stage_failed "tool unit tests build"
	fi
fi
if [ -n "$host_tests" ]; then
	selftests/run_tests.sh -o "$results/host.tap" $host_tests
	echo $? > "$results/host.rc"
fi

if [ -n "$guest_tests" ]; then
	step "dkms install"
	if [ -n "$kver" ] && scripts/dkms-install.sh "$kver"; then
		step "guest selftests on $kver"
		selftests/guest.sh --kver "$kver" --timeout $((2400 * ${FLOWLANE_TIMEOUT_SCALE:-1})) -- \
			selftests/run_tests.sh -o "$results/guest.tap" $guest_tests
		echo $? > "$results/guest.rc"
	else
		stage_failed "DKMS install for the guest kernel"
	fi
fi

step "summary"
scripts/tap-summary.sh "$results"
