#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`, the README's main command, runs examples/demo.sh in the
# guest: it must run to its end, and each of its steps checks what it
# shows (exact counters, the round-robin order, the cut flow). This runs
# it as make demo does and requires exit 0, every one of its checks
# passed and none failed, and its last step reached.
source "$(dirname "$0")/lib.sh"
need_root
need_cmd conntrack conntrack

out=$(bash "$FL_TOP/examples/demo.sh" 2>&1)
rc=$?
check_eq "examples/demo.sh exits 0" 0 "$rc"
check_eq "its checks: 9 passed" 9 "$(grep -c '^  ok: ' <<< "$out")"
check_eq "its checks: none failed" "" "$(grep '^  FAILED: ' <<< "$out")"
check_match "it reached its last step (apply --remove)" \
	"removed 2 flowlane tables and the state of the last apply" "$out"
[ "$ret" = 0 ] || sed 's/^/# /' <<< "$out"
check_eq "it unloaded the module" "" "$(awk '$1 == "flowlane"' /proc/modules)"
exit $ret
