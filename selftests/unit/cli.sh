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
help=$("$FLOWLANE" help)
for verb in status dev tag set flows stats top monitor flush help; do
	check_match "help lists the '$verb' verb" "^  $verb( |$)" "$help"
done
[ "$("$FLOWLANE" help)" = "$("$FLOWLANE" --help)" ] && pass "help and --help print the same" ||
	fail "help and --help differ"

# Refusals decided before any netlink: the same with or without the module.
run_tool 1 "flowlane: tag add: id '70000' is not a number from 1 to 65535" tag add vm1 id 70000
run_tool 1 "flowlane: tag add: id '0' is not a number from 1 to 65535" tag add vm1 id 0
run_tool 1 "flowlane: tag add: tag 'vm1' needs 'id ID' (1 to 65535, the value in the conntrack mark)" tag add vm1 threshold 5
run_tool 1 "flowlane: tag add: tag name 'bad/name' must be 1 to 15 characters of letters, digits, '_', '.', '-'" tag add bad/name id 1
run_tool 1 "flowlane: tag add: tag name 'abcdefghijklmnop' must be 1 to 15 characters of letters, digits, '_', '.', '-'" tag add abcdefghijklmnop id 1
run_tool 1 "flowlane: tag add: unknown keyword 'tag-mask' (see 'flowlane help')" tag add vm1 id 1 tag-mask 3
run_tool 1 "flowlane: tag set: nothing to set for tag 'vm1' (offload, threshold, max-flows, timeout)" tag set vm1
run_tool 1 "flowlane: tag set: threshold '-1' is not a number from 0 to 4294967295" tag set vm1 threshold -1
run_tool 1 "flowlane: tag set: threshold '4294967296' is not a number from 0 to 4294967295" tag set vm1 threshold 4294967296
run_tool 1 "flowlane: tag set: threshold '12abc' is not a number from 0 to 4294967295" tag set vm1 threshold 12abc
run_tool 1 "flowlane: tag set: offload 'maybe' is neither 'on' nor 'off'" tag set vm1 offload maybe
run_tool 1 "flowlane: tag set: unknown keyword 'bogus' (see 'flowlane help')" tag set vm1 bogus 1
run_tool 1 "flowlane: tag set: 'threshold' given twice" tag set vm1 threshold 1 threshold 2
run_tool 1 "flowlane: tag set: 'max-flows' needs a value" tag set vm1 max-flows
run_tool 1 "flowlane: tag del: unexpected argument 'now' (tag del takes only the name)" tag del vm1 now
run_tool 1 "flowlane: tag: expected 'add', 'set', 'del' or 'list', got 'frob'" tag frob
run_tool 1 "flowlane: set: nothing to set (offload, threshold, max-flows, timeout, tag-mask)" set
run_tool 1 "flowlane: set: tag-mask '0' is not a number from 1 to 4294967295" set tag-mask 0
run_tool 1 "flowlane: set: unknown keyword 'id' (see 'flowlane help')" set id 4
run_tool 1 "flowlane: flows: family 'ipv5' is neither 'ipv4' nor 'ipv6'" flows family ipv5
run_tool 1 "flowlane: flows: id '0' is not a flow id (a number from 1)" flows id 0
run_tool 1 "flowlane: flows: id '-3' is not a flow id (a number from 1)" flows id -3
run_tool 1 "flowlane: flows: 'id' shows one flow and takes no other filter" flows id 1 proto udp
run_tool 1 "flowlane: flush: give 'tag NAME' or 'addr ADDR', not both" flush tag a addr 10.0.0.1
run_tool 1 "flowlane: flush: '10.0.0.300' is not an IPv4 or IPv6 address" flush addr 10.0.0.300
run_tool 1 "flowlane: flows: proto 'sctp' is neither 'tcp' nor 'udp'" flows proto sctp
run_tool 1 "flowlane: flows: unexpected 'port' (see 'flowlane help')" flows port 80
run_tool 1 "flowlane: top: interval '0' is not a number from 1 to 3600" top interval 0
run_tool 1 "flowlane: top: 'count' needs a value" top count
run_tool 1 "flowlane: top: unexpected 'foo' (top [interval SEC] [count N])" top foo 1
run_tool 1 "flowlane: monitor: unexpected 'x' (monitor [count N])" monitor x
run_tool 1 "flowlane: monitor: count '0' is not a number from 1 to 4294967295" monitor count 0
run_tool 1 "flowlane: dev: expected 'add DEV...', 'del DEV...' or 'list', got 'frob'" dev frob
run_tool 1 "flowlane: stats: unexpected argument 'x' (stats takes only --prometheus)" stats x
run_tool 1 "flowlane: stats: unexpected argument 'x' (stats takes only --prometheus)" stats --prometheus x

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
