#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The tool against the real module: version, status with and without the
# module, --json parsed, per-namespace answers.
#
#   init netns                      netns "other"
#   flowlane status  --genl-->      flowlane status (its own totals)

source "$(dirname "$0")/lib.sh"
need_root
checktool "python3 -c 'import json'" "parses --json output"
trap cleanup_ns EXIT

json_get() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

unload_flowlane
out=$("$FLOWLANE" status 2>&1); rc=$?
check_eq "status without the module exits 1" 1 "$rc"
check_eq "status without the module says what to do" \
	"flowlane: the flowlane kernel module is not loaded: run 'modprobe flowlane' as root" "$out"
check_eq "status --json without the module" '{"tool_version":"0.1.0","module_loaded":false}' \
	"$("$FLOWLANE" --json status 2>/dev/null)"

load_flowlane
want=$(modinfo -F version flowlane)
check_eq "--version is the module's version" "flowlane $want" "$("$FLOWLANE" --version)"

out=$("$FLOWLANE" --json status); rc=$?
check_eq "status --json exits 0" 0 "$rc"
check_eq "status --json: module_loaded" True "$(echo "$out" | json_get module_loaded)"
check_eq "status --json: module_version from the kernel" "$want" \
	"$(echo "$out" | json_get module_version)"
for c in flows offloads_total fastpath_packets fastpath_bytes; do
	check_eq "status --json: $c is 0 with nothing offloaded" 0 "$(echo "$out" | json_get $c)"
done
check_match "status (human) names the module version" \
	"^flowlane $want, kernel module $want" "$("$FLOWLANE")"

setup_ns other
out=$(ip netns exec "$other" "$FLOWLANE" --json status); rc=$?
check_eq "status in another netns exits 0" 0 "$rc"
check_eq "status in another netns: module_version" "$want" "$(echo "$out" | json_get module_version)"

out=$("$FLOWLANE" frobnicate 2>&1); rc=$?
check_eq "unknown verb exits 1" 1 "$rc"
check_eq "unknown verb names itself and the verbs there are" \
	"flowlane: unknown verb 'frobnicate' (one of: status, dev, tag, set, flows, stats, top, monitor, flush, apply, check, diff, backend, show-config, help; see 'flowlane help')" "$out"
out=$("$FLOWLANE" status extra 2>&1); rc=$?
check_eq "status with an argument exits 1" 1 "$rc"
check_eq "status with an argument names it" \
	"flowlane: status: unexpected argument 'extra' (status takes none)" "$out"

cleanup_ns
unload_flowlane
exit $ret
