#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Helpers for flowlane's selftests, in the shape of the kernel's
# tools/testing/selftests/net/lib.sh: exit 0 pass, 1 fail, 4 skip; checks
# print "PASS: ..." or "FAIL: ..."; helpers wait for conditions, never sleep
# blindly.

ksft_pass=0
ksft_fail=1
ksft_skip=4

# Absolute paths, so tests can cd where they like.
FL_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FLOWLANE=${FLOWLANE:-$FL_TOP/userspace/flowlane}

ret=$ksft_pass
FL_NS_LIST=()

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; ret=$ksft_fail; }

# check_eq WHAT EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1 ($3)"
	else
		fail "$1: expected '$2', got '$3'"
	fi
}

# check_match WHAT REGEX TEXT
check_match() {
	if printf '%s' "$3" | grep -Eq -- "$2"; then
		pass "$1"
	else
		fail "$1: '$3' does not match /$2/"
	fi
}

# skip REASON: the whole test is skipped, with its reason. A test that
# already recorded a failure is not skipped but fails: a skip must never
# hide a failure (run_tests.sh also reports exit 4 after a FAIL: line as
# a failure).
skip() {
	if [ "$ret" != "$ksft_pass" ]; then
		echo "FAIL: skipping after a failure: $*"
		exit $ksft_fail
	fi
	echo "SKIP: $*"
	exit $ksft_skip
}

# checktool "COMMAND ARGS" "what it is for": skip the test when missing.
checktool() {
	if ! eval "$1" > /dev/null 2>&1; then
		skip "could not run '$1' ($2)"
	fi
}

# need_cmd COMMAND PACKAGE: a program `make deps` installs; without it the
# test fails at once (never leaves checks out silently).
need_cmd() {
	command -v "$1" > /dev/null && return 0
	fail "$1 not found: make deps installs it (Debian package $2)"
	exit $ksft_fail
}

need_root() {
	[ "$(id -u)" = 0 ] || skip "needs root"
}

# setup_ns VAR...: create uniquely named network namespaces, with lo up,
# and store their names in the variables; cleanup_ns removes them all.
setup_ns() {
	local var name
	for var in "$@"; do
		name="$var-$(mktemp -u XXXXXX)"
		ip netns add "$name" || { fail "ip netns add $name"; return 1; }
		ip -n "$name" link set lo up
		FL_NS_LIST+=("$name")
		eval "$var=$name"
	done
}

cleanup_ns() {
	local ns
	for ns in "${FL_NS_LIST[@]}"; do
		# Daemons a test started there (pppd) would keep it alive.
		ip netns pids "$ns" 2> /dev/null | xargs -r kill 2> /dev/null
		ip netns del "$ns" 2>/dev/null
	done
	FL_NS_LIST=()
}

# Bounds on waits grow with the test timeouts on slow (debug) kernels:
# `make debug-check` sets FLOWLANE_TIMEOUT_SCALE.
FL_SCALE=${FLOWLANE_TIMEOUT_SCALE:-1}

# wait_for SECONDS COMMAND...: poll every 0.1 s until COMMAND succeeds,
# for at most SECONDS times FL_SCALE (every bound scales, so callers pass
# the bound of the distribution kernel).
wait_for() {
	local deadline=$((SECONDS + $1 * FL_SCALE))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

module_loaded() { [ -d /sys/module/flowlane ]; }

# load_flowlane: load the DKMS-installed module with plain modprobe.
load_flowlane() {
	module_loaded && return 0
	modprobe flowlane || { fail "modprobe flowlane"; return 1; }
}

unload_flowlane() {
	module_loaded || return 0
	modprobe -r flowlane || { fail "modprobe -r flowlane"; return 1; }
}
