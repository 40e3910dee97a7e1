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
run_tool 1 "flowlane: unknown verb 'frobnicate' (one of: status, dev, tag, set, flows, stats, top, monitor, flush, apply, check, diff, backend, show-config, help; see 'flowlane help')" frobnicate
run_tool 1 "flowlane: unknown option '--frob' (the options are --json, --help and --version; see 'flowlane help')" --frob
run_tool 1 "flowlane: status: unexpected argument 'now' (status takes none)" status now
help=$("$FLOWLANE" help)
for verb in status dev tag set flows stats top monitor flush help; do
	check_match "help lists the '$verb' verb" "^  $verb( |$)" "$help"
done
[ "$("$FLOWLANE" help)" = "$("$FLOWLANE" --help)" ] && pass "help and --help print the same" ||
	fail "help and --help differ"

# Options wherever users put them; each verb's usage with --help or help VERB.
usage_flows="Usage: flowlane [--json] flows [tag NAME] [addr ADDR] [proto tcp|udp|gre] [family ipv4|ipv6] | flows id N
  offloaded flows with slow/fast packets and bytes per direction"
run_tool 0 "$usage_flows" flows --help
run_tool 0 "$usage_flows" flows -h
run_tool 0 "$usage_flows" --help flows
run_tool 0 "$usage_flows" help flows
run_tool 0 "$usage_flows" flows tag x --help
run_tool 0 "Usage: flowlane [--json] apply [--nft-only] [--rebuild] [--dry-run] [-v] FILE | apply --remove
  make this host match FILE (Documentation/config.rst); --remove: take flowlane's tables and state away" apply --help
run_tool 0 "Usage: flowlane [--json] set POLICY [tag-mask MASK]
  the namespace's default policy, for flows without a known tag

POLICY is any of: offload on|off, threshold N (packets on the slow
path first), max-flows M (0: no cap), timeout SEC (fast-path idle)." help set
run_tool 0 "flowlane $ver" status --version
run_tool 1 "flowlane: help: unknown verb 'frob' (one of: status, dev, tag, set, flows, stats, top, monitor, flush, apply, check, diff, backend, show-config, help)" help frob
run_tool 1 "flowlane: help: unexpected argument 'tag' (help takes one VERB)" help flows tag
for verb in status dev tag set flows stats top monitor flush apply check diff show-config help; do
	out=$("$FLOWLANE" help $verb)
	check_eq "help $verb prints only that verb (2 lines, or 5 with POLICY)" \
		"$([ $verb = tag ] || [ $verb = set ] && echo 5 || echo 2)" "$(echo "$out" | wc -l)"
done
# --json before or after the verb: the same object (a file that does not exist).
missing=/nonexistent/doc.json
j1=$("$FLOWLANE" --json check $missing 2>/dev/null); rc1=$?
j2=$("$FLOWLANE" check $missing --json 2>/dev/null); rc2=$?
j3=$("$FLOWLANE" check -j $missing 2>/dev/null)
check_eq "check --json: exit 1 either way" "1 1" "$rc1 $rc2"
check_eq "--json before and after the verb: the same output" "$j1" "$j2"
check_eq "-j after the verb: the same output" "$j1" "$j3"
check_eq "check --json: a refusal a script parses" \
	"check|$missing|1|$missing: No such file or directory" \
	"$(echo "$j2" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("|".join(str(d[k]) for k in ("verb","file","exit","error")))')"
run_tool 1 "flowlane: check: unknown option '--frob' (check takes only FILE; see 'flowlane help check')" check --frob x.json
run_tool 2 "flowlane: diff: missing FILE (type 'flowlane diff FILE'; see 'flowlane help diff')" diff
# "--" ends the options: what follows is the verb's, as it is.
run_tool 1 "flowlane: check: unknown option '--json' (check takes only FILE; see 'flowlane help check')" check -- --json
# Verbs with no report refuse --json, and say what to type.
run_tool 1 "flowlane: set: --json is not supported: 'set' prints no report (run it without --json; its exit code says whether it worked)" set offload on --json
run_tool 1 "flowlane: tag add: --json is not supported: 'tag add' prints no report (run it without --json; its exit code says whether it worked)" --json tag add vm1 id 3
run_tool 1 "flowlane: dev del: --json is not supported: 'dev del' prints no report (run it without --json; its exit code says whether it worked)" dev del lo -j
run_tool 1 "flowlane: stats: --json and --prometheus are two formats: give one ('flowlane stats --json' or 'flowlane stats --prometheus')" stats --prometheus --json
run_tool 1 "flowlane: flows: 'tag' needs a value (see 'flowlane help flows')" flows tag
run_tool 1 "flowlane: flows: unexpected '--frob' (see 'flowlane help flows')" flows --frob

# Refusals decided before any netlink: the same with or without the module.
run_tool 1 "flowlane: tag add: id '70000' is not a number from 1 to 65535" tag add vm1 id 70000
run_tool 1 "flowlane: tag add: id '0' is not a number from 1 to 65535" tag add vm1 id 0
run_tool 1 "flowlane: tag add: tag 'vm1' needs 'id ID' (1 to 65535, the value in the conntrack mark)" tag add vm1 threshold 5
run_tool 1 "flowlane: tag add: tag name 'bad/name' must be 1 to 15 characters of letters, digits, '_', '.', '-'" tag add bad/name id 1
run_tool 1 "flowlane: tag add: tag name 'abcdefghijklmnop' must be 1 to 15 characters of letters, digits, '_', '.', '-'" tag add abcdefghijklmnop id 1
run_tool 1 "flowlane: tag add: unknown keyword 'tag-mask' (see 'flowlane help tag')" tag add vm1 id 1 tag-mask 3
run_tool 1 "flowlane: tag set: nothing to set for tag 'vm1' (offload, threshold, max-flows, timeout)" tag set vm1
run_tool 1 "flowlane: tag set: threshold '-1' is not a number from 0 to 4294967295" tag set vm1 threshold -1
run_tool 1 "flowlane: tag set: threshold '4294967296' is not a number from 0 to 4294967295" tag set vm1 threshold 4294967296
run_tool 1 "flowlane: tag set: threshold '12abc' is not a number from 0 to 4294967295" tag set vm1 threshold 12abc
run_tool 1 "flowlane: tag set: offload 'maybe' is neither 'on' nor 'off'" tag set vm1 offload maybe
run_tool 1 "flowlane: tag set: unknown keyword 'bogus' (see 'flowlane help tag')" tag set vm1 bogus 1
run_tool 1 "flowlane: tag set: 'threshold' given twice" tag set vm1 threshold 1 threshold 2
run_tool 1 "flowlane: tag set: 'max-flows' needs a value (see 'flowlane help tag')" tag set vm1 max-flows
run_tool 1 "flowlane: tag del: unexpected argument 'now' (tag del takes only the name)" tag del vm1 now
run_tool 1 "flowlane: tag: expected 'add', 'set', 'del' or 'list', got 'frob'" tag frob
run_tool 1 "flowlane: set: nothing to set (offload, threshold, max-flows, timeout, tag-mask)" set
run_tool 1 "flowlane: set: tag-mask '0' is not a number from 1 to 4294967295" set tag-mask 0
run_tool 1 "flowlane: set: unknown keyword 'id' (see 'flowlane help set')" set id 4
run_tool 1 "flowlane: flows: family 'ipv5' is neither 'ipv4' nor 'ipv6'" flows family ipv5
run_tool 1 "flowlane: flows: id '0' is not a flow id (a number from 1)" flows id 0
run_tool 1 "flowlane: flows: id '-3' is not a flow id (a number from 1)" flows id -3
run_tool 1 "flowlane: flows: 'id' shows one flow and takes no other filter" flows id 1 proto udp
run_tool 1 "flowlane: flush: give 'tag NAME' or 'addr ADDR', not both" flush tag a addr 10.0.0.1
run_tool 1 "flowlane: flush: '10.0.0.300' is not an IPv4 or IPv6 address" flush addr 10.0.0.300
run_tool 1 "flowlane: flows: proto 'sctp' is not 'tcp', 'udp' or 'gre'" flows proto sctp
run_tool 1 "flowlane: flows: unexpected 'port' (see 'flowlane help flows')" flows port 80
run_tool 1 "flowlane: top: interval '0' is not a number from 1 to 3600" top interval 0
run_tool 1 "flowlane: top: 'count' needs a value (top [interval SEC] [count N])" top count
run_tool 1 "flowlane: top: unexpected 'foo' (top [interval SEC] [count N])" top foo 1
run_tool 1 "flowlane: monitor: unexpected 'x' (monitor [count N])" monitor x
run_tool 1 "flowlane: monitor: count '0' is not a number from 1 to 4294967295" monitor count 0
run_tool 1 "flowlane: dev: expected 'add DEV|PATTERN...', 'del DEV|PATTERN...' or 'list', got 'frob'" dev frob
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
