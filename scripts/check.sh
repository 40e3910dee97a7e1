#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The whole test suite, as `make check` runs it on a fresh Debian 12 machine:
#   1. install missing Debian packages (scripts/deps.sh)
#   2. build the module (warnings are errors) and the tool
#   3. host tests: the tool's unit tests, version agreement, the CLI, the
#      guest harness itself
#   4. for each kernel of scripts/kernels.sh (6.1, 6.12, 7.3; FLOWLANE_KERNELS
#      picks fewer): DKMS-install the module for it (warnings are errors),
#      boot it in the guest and run every selftest in selftests/Makefile
# and end with one line: "N passed, N failed, N skipped", counted by
# scripts/tap-summary.sh from every program's TAP, plan and exit status.
#
# FLOWLANE_TESTS="NAME..." runs only the tests named (see below).
# FLOWLANE_GUEST=none runs step 4's tests on this machine (see selftests/guest.sh).
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
	unit/apply_state.sh unit/apply_errors.sh unit/apply_json.sh unit/apply_drift.sh unit/apply_prefix.sh
	unit/apply_lb.sh unit/apply_lb6.sh
	unit/harness.sh unit/guest_harness.sh
	unit/kernels.sh unit/guest_kernels.sh unit/dkms_range.sh unit/kconfig.sh
	unit/units.sh unit/systemd_boot.sh unit/ynl_schema.sh unit/deb_install.sh"
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

# tap_program NAME COMMAND...: COMMAND prints TAP; keep it as NAME.tap and
# its exit status as NAME.rc, for scripts/tap-summary.sh.
tap_program() {
	local name=$1
	shift
	"$@" > "$results/$name.tap"
	echo $? > "$results/$name.rc"
	sed 's/^/    /' "$results/$name.tap"
}

# The kernels the guest suite runs on: every Debian line flowlane supports
# (scripts/kernels.sh; FLOWLANE_KERNELS="6.1" or "6.1 7.3" picks fewer,
# FLOWLANE_KVER=RELEASE exactly one, as make debug-check does).
# The tree's module is built here for the first of them, with warnings as
# errors; each kernel's DKMS build (below) is the build that is tested.
step "kernels"
scripts/kernels.sh install || stage_failed "kernels installed (scripts/kernels.sh)"
case "${FLOWLANE_KVER:-}" in
*-*) kvers=$FLOWLANE_KVER ;;	# one release named whole (make debug-check's)
*) kvers=$(scripts/kernels.sh list) || stage_failed "kernels listed (scripts/kernels.sh list)" ;;
esac
kver=${kvers%%$'\n'*}
echo "kernels: $(echo $kvers)"

# The module where that kernel's modules build (7.3: in its build root,
# where its headers' path is the root's own).
step "build"
if [ -z "$kver" ] || ! make -s tool || ! scripts/module-build.sh "$kver"; then
	stage_failed "module and tool build without warnings"
fi

# The Debian packages (unit/deb_install.sh and unit/systemd_boot.sh install
# them); make deb exits with lintian's verdict.
step "packages"
make -s deb || stage_failed "make deb: packages built, lintian clean"

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

# guest_suite KVER: DKMS-install for KVER (a warning is an error there
# too), boot it and run the guest tests; stage guest-KVER.
guest_suite() {
	local k=$1 name=guest-$1 t0=$SECONDS

	step "dkms install for $k"
	if ! FLOWLANE_WERROR=1 scripts/dkms-install.sh "$k"; then
		stage_failed "DKMS install for $k"
		return
	fi
	step "guest selftests on $k"
	[ -z "$guest_tests" ] || printf '%s\n' $guest_tests > "$results/$name.plan"
	selftests/guest.sh --kver "$k" --accel
	selftests/guest.sh --kver "$k" --timeout $((2400 * ${FLOWLANE_TIMEOUT_SCALE:-1})) -- \
		selftests/run_tests.sh -o "$results/$name.tap" $guest_tests
	echo $? > "$results/$name.rc"
	echo "$k: $((SECONDS - t0)) s" >> "$results/kernels.times"
}

if [ -n "$guest_tests" ]; then
	for k in $kvers; do
		guest_suite "$k"
	done
fi

step "summary"
# Per kernel first (its guest stage alone, counted the same way), then the
# whole run: the last line is the one .ci/run reads.
for k in $kvers; do
	[ -e "$results/guest-$k.rc" ] || [ -e "$results/guest-$k.tap" ] || continue
	one=$(mktemp -d)
	cp "$results/guest-$k".* "$one/"
	echo "  $k: $(scripts/tap-summary.sh "$one" | tail -1) in $(sed -n "s/^$k: //p" "$results/kernels.times" 2>/dev/null)"
	rm -rf "$one"
done
scripts/tap-summary.sh "$results"
