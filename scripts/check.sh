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
# and end with one line: "N passed, N failed, N skipped".
#
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
stage_failed() { echo "not ok - $1" >> "$results/stages.tap"; }

step "dependencies"
scripts/deps.sh || { stage_failed "dependencies installed"; }

# The module is built for the kernel the guest boots (the engine tests
# insmod this build), whatever other kernels' headers are installed.
kver=$(scripts/guest-kver.sh)

step "build"
if ! make -s all KDIR="/lib/modules/$kver/build"; then
	stage_failed "module and tool build without warnings"
fi

step "host tests"
make -s -C selftests helpers || stage_failed "selftest helpers build"
if make -s -C userspace tests; then
	userspace/tests/test_format | tee "$results/unit-format.tap" | sed 's/^/    /'
	userspace/tests/test_config | tee "$results/unit-config.tap" | sed 's/^/    /'
else
	stage_failed "tool unit tests build"
fi
selftests/run_tests.sh -o "$results/host.tap" unit/versions.sh unit/cli.sh unit/spec.sh unit/docs.sh \
	unit/static.sh unit/fuzz_replies.sh unit/fuzz_config.sh unit/apply_ruleset.sh unit/apply_incremental.sh \
	unit/apply_state.sh unit/apply_errors.sh unit/guest_harness.sh

step "dkms install"
if [ -n "$kver" ] && scripts/dkms-install.sh "$kver"; then
	step "guest selftests on $kver"
	selftests/guest.sh --kver "$kver" --accel
	tests=$(make -s -C selftests list)
	selftests/guest.sh --kver "$kver" --timeout $((2400 * ${FLOWLANE_TIMEOUT_SCALE:-1})) -- \
		selftests/run_tests.sh -o "$results/guest.tap" $tests
	rc=$?
	case $rc in
	124) stage_failed "guest run finished within its timeout" ;;
	125) stage_failed "guest kernel log free of WARNING/BUG/Oops/lockdep/leak reports" ;;
	esac
	[ -s "$results/guest.tap" ] || stage_failed "guest selftests produced results"
else
	stage_failed "DKMS install for the guest kernel"
fi

# Count every TAP result line of every stage.
passed=$(cat "$results"/*.tap 2>/dev/null | grep -E '^ok ' | grep -vc '# SKIP')
skipped=$(cat "$results"/*.tap 2>/dev/null | grep -E '^ok ' | grep -c '# SKIP')
failed=$(cat "$results"/*.tap 2>/dev/null | grep -cE '^not ok ')
step "summary"
grep -hE '^not ok|# SKIP' "$results"/*.tap 2>/dev/null | sed 's/^/    /'
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
