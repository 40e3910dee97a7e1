#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The tool's command line on this machine, without the module: exit codes
# and messages are exact.
source "$(dirname "$0")/../lib.sh"

# run_tool EXPECTED_RC EXPECTED_OUTPUT ARGS...: stdout and stderr together.
run_tool() {
	local want_rc=$1 want_out=$2 out rc
	shift 2
	out=$("$FLOWLANE" "$@" 2>&1); rc=$?
	check_eq "flowlane $* exits $want_rc" "$want_rc" "$rc"
	check_eq "flowlane $* says" "$want_out" "$out"
}

ver=$("$FL_TOP/scripts/version.sh")
run_tool 0 "flowlane $ver" --version
run_tool 0 "flowlane $ver" -V
run_tool 1 "flowlane: unknown verb 'frobnicate' (see 'flowlane help')" frobnicate
run_tool 1 "flowlane: unknown option '--frob' (see 'flowlane help')" --frob
run_tool 1 "flowlane: status: unexpected argument 'now' (status takes none)" status now
check_match "help lists the status verb" "^  status +module version" "$("$FLOWLANE" help)"
[ "$("$FLOWLANE" help)" = "$("$FLOWLANE" --help)" ] && pass "help and --help print the same" ||
	fail "help and --help differ"

if [ -d /sys/module ] && [ ! -d /sys/module/flowlane ]; then
	run_tool 1 "flowlane: the flowlane kernel module is not loaded: run 'modprobe flowlane' as root" status
	run_tool 1 "flowlane: the flowlane kernel module is not loaded: run 'modprobe flowlane' as root"
	out=$("$FLOWLANE" --json 2>/dev/null)
	check_eq "--json status without the module" \
		"{\"tool_version\":\"$ver\",\"module_loaded\":false}" "$out"
else
	skip "the flowlane module is loaded on this machine: the absent-module cases need it absent"
fi
exit $ret
