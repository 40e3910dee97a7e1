#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Many flows: 400 UDP flows offloaded at once; the flows dump spans several
# netlink messages and resumes after the last id sent, so it lists each flow
# exactly once; counters and a flush agree with it.
#
#   client (sports 47000-47399) ---- router (flowlane) ---- server :5000

source "$(dirname "$0")/engine_lib.sh"
need_root
load_engine
setup_topo
fl_devs

n=400
udp_recv "$sv" 5000
ip netns exec "$cl" "$FLT" udp-send 10.0.2.2 5000 3 64 47000 0 $n > /dev/null
check_eq "server received 3 datagrams of each flow" $((3 * n)) "$(received 5000)"
fl flows > "$FL_TMP/flows"
check_eq "dump lists every flow" $n "$(wc -l < "$FL_TMP/flows")"
check_eq "dump lists each flow once (distinct ids)" $n \
	"$(sed -n 's/^id=\([0-9]*\) .*/\1/p' "$FL_TMP/flows" | sort -u | wc -l)"
check_eq "dump lists each flow once (distinct source ports)" $n \
	"$(sed -n 's/.* osport=\([0-9]*\) .*/\1/p' "$FL_TMP/flows" | sort -u | wc -l)"
check_eq "every flow: slow 2, fast 1" $n "$(grep -c 'o_slow_p=2 o_slow_b=184 o_fast_p=1 ' "$FL_TMP/flows")"
check_eq "stats: flows now" $n "$(fl stats | kv flows)"
check_eq "flush all tears every flow down" $n "$(fl flush | kv count)"
check_eq "after flush: dump empty" 0 "$(fl flows | wc -l)"
# Unloading destroys the record cache: a record still allocated would make
# the kernel warn (guest.sh fails the run on any warning).
rmmod flowlane && pass "rmmod after 400 flows came and went" || fail "rmmod"
exit $ret
