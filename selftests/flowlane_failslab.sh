#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Memory allocation failures (failslab), with the chat connection of
# faults_lib.sh open and UDP flowing through the router:
#
# 1. The control path, systematically: each flowlane command (first and
#    second device added, tag added, dumps, flush, device and tag removed)
#    is run with its 1st, then 2nd, ... slab allocation failing
#    (/proc/thread-self/fail-nth, set by flctl, FLCTL_FAIL_NTH) until a run
#    completes without reaching the failure; that run must succeed. Every
#    failed run must end (exit 0, 1 or 2: done, refused, or a netlink error),
#    leave the devices and tags as before the command (exit 1 or 2) or as
#    the completed run does (exit 0), never half done, and leave nothing
#    behind (kmemleak, on the debug kernel).
# 2. The packet path, exactly: with failslab restricted to one cache
#    (cache-filter), conntrack's entries (3 failures: the first packets of
#    3 of 5 new flows are dropped, counted by conntrack), then flowlane's
#    flow records (2 failures: a flow is not offloaded at its 2nd and 3rd
#    packet, then is at its 4th).
# Afterwards the module still offloads and counts a new flow exactly.
#
# Needs CONFIG_FAILSLAB and CONFIG_FAULT_INJECTION_DEBUG_FS: Debian's
# distribution kernel has neither, so there this test is a SKIP; the debug
# kernel (selftests/debug.config) has both. It is also a SKIP, whole, when
# the two caches are not marked for failslab (see below).
#
#   client ---- router (flowlane) ---- server (echo :7000)

source "$(dirname "$0")/faults_lib.sh"
need_root
fs=/sys/kernel/debug/failslab
[ -d "$fs" ] || skip "no $fs: this kernel lacks CONFIG_FAILSLAB/CONFIG_FAULT_INJECTION_DEBUG_FS (Debian's distribution kernel does; the debug kernel has them)"
[ -e /proc/self/fail-nth ] || skip "no /proc/self/fail-nth (CONFIG_FAULT_INJECTION)"
checktool "conntrack --version" "reads conntrack's drop counter"
load_engine
setup_topo
# The packet-path part needs both caches marked for failslab, which 6.1
# does only when a cache is created, from the boot parameter
# slub_debug=A,nf_conntrack,flowlane_flow (make debug-check passes it).
# Without the mark the whole test is a skip with that reason: skips are
# whole tests, never a part left out.
for cache in nf_conntrack flowlane_flow; do
	[ "$(cat "/sys/kernel/slab/$cache/failslab" 2> /dev/null)" = 1 ] ||
		skip "cache $cache is not marked for failslab: boot with slub_debug=A,nf_conntrack,flowlane_flow (make debug-check does)"
done

# failslab back to doing nothing, whatever happens.
failslab_off() {
	echo 0 > "$fs/probability"
	echo N > "$fs/cache-filter"
	echo Y > "$fs/ignore-gfp-wait"
	echo 1 > "$fs/times"
}
trap 'failslab_off; engine_cleanup' EXIT
# GFP_KERNEL allocations too (the control path's); probability 0, so only
# fail-nth injects; quiet, no stack per failure.
echo N > "$fs/ignore-gfp-wait"
echo 0 > "$fs/verbose"
echo 0 > "$fs/probability"

ip netns exec "$sv" /usr/bin/python3 "$NETPEER" tcp-echo 7000 &
wait_for 10 sh -c "ip netns exec $sv ss -Hltn | grep -q ':7000 '"
chat_open main "$cl" 10.0.2.2 7000
check_chat "before failslab"
ip netns exec "$cl" "$FLT" udp-send 10.0.2.2 5001 100000 64 40100 2000 > /dev/null 2>&1 &
stream=$!

# sweep WHAT UNDO PROBE ARGS...: flctl ARGS with allocation 1, 2, ...
# failing; UNDO (flctl arguments) after each run puts the state back.
# PROBE (a shell command, or empty for a command that changes nothing)
# prints the state the command changes: after a run that reached the
# failure, it must read as before the command (exit 1 or 2: refused, or a
# netlink error) or as after the run that completes (exit 0): an
# injected run is never half done. One exception: when the allocation
# that failed was the kernel's answer (netlink's ack: the reader gets
# ENOBUFS), the request may have been carried out, as for any netlink
# user, so either state is right. The loop runs inside the router
# namespace: one `ip netns exec` per sweep, not per run.
sweep_in_ns() {
	local undo=$1 probe=$2 n=1 out rc before after st i irc lost
	shift 2
	before=$(eval "$probe")
	: > "$SWEEP_STATES"
	while [ $n -le 400 ]; do
		out=$(FLCTL_FAIL_NTH=$n timeout "$FL_RUN_TIMEOUT" "$FLCTL" "$@" 2>&1)
		rc=$?
		out=${out//$'\n'/ }
		case $rc in
		0|1|2) ;;
		*) echo "bad $n $rc $out"; return ;;
		esac
		if grep -q "fail-nth: not reached" <<< "$out"; then
			after=$(eval "$probe")
			while read -r i irc lost st; do
				[ "$irc" = 0 ] && [ "$st" = "$after" ] && continue
				[ "$irc" != 0 ] && [ "$st" = "$before" ] && continue
				[ "$lost" = 1 ] && [ "$st" = "$after" ] && continue
				echo "halfdone $i $irc state '$st' (before: '$before', after: '$after')"
				return
			done < "$SWEEP_STATES"
			echo "done $n $rc $out"
			return
		fi
		grep -q "fail-nth: injected" <<< "$out" || { echo "noreport $n $rc $out"; return; }
		lost=0
		grep -q "flctl: reading the answer: No buffer space available" <<< "$out" && lost=1
		[ -z "$probe" ] || echo "$n $rc $lost $(eval "$probe")" >> "$SWEEP_STATES"
		[ -z "$undo" ] || "$FLCTL" $undo > /dev/null 2>&1
		n=$((n + 1))
	done
	echo "toomany $n $rc"
}

sweep() {
	local what=$1 undo=$2 probe=$3 r status n rc
	shift 3
	r=$(ip netns exec "$rt" env FLCTL="$FLCTL" FLOWLANE="$FLOWLANE" SWEEP_STATES="$FL_TMP/states" \
		FL_RUN_TIMEOUT=$((30 * FL_SCALE)) \
		bash -c "$(declare -f sweep_in_ns); sweep_in_ns \"\$@\"" sweep "$undo" "$probe" "$@" | tail -1)
	read -r status n rc _ <<< "$r"
	case $status in
	done) check_eq "$what: allocations 1..$((n - 1)) failed in turn, then it succeeds" 0 "$rc" ;;
	bad) fail "$what, allocation $n failing: expected exit 0, 1 or 2, got: ${r#bad }" ;;
	halfdone) fail "$what, allocation $n failing: exit $rc left the state neither as before nor as after: ${r#halfdone * * }" ;;
	*) fail "$what: $r" ;;
	esac
}

# The states the sweeps probe: the devices, the tags (name and policy).
devs='"$FLOWLANE" dev list | sort | xargs'
tags='"$FLCTL" tags | sed -n "s/.*name=\([^ ]*\).*/\1/p" | sort | xargs'
sweep "dev add (the first device: flowtable, hooks)" "dev del veth-rc" "$devs" dev add veth-rc
sweep "dev add (a second device)" "dev del veth-rs" "$devs" dev add veth-rs
check_eq "both devices added" "veth-rc veth-rs" "$(ip netns exec "$rt" "$FLOWLANE" dev list | sort | xargs)"
sweep "tag add" "tag del t1" "$tags" tag add t1 10 threshold 3
send_udp 10.0.2.2 5002 10 64 40101
send_udp fd02::2 5002 10 64 40102
check_eq "flows offloaded for the dumps" 2 "$(flows_count 'odport=5002 .*state=1')"
sweep "flows dump" "" "" flows
sweep "tags dump" "" "" tags
sweep "stats" "" "" stats
sweep "flush" "" "" flush
sweep "tag del" "tag add t1 10 threshold 3" "$tags" tag del t1
sweep "dev del" "dev add veth-rs" "$devs" dev del veth-rs
fl dev add veth-rs || fail "dev add veth-rs after the sweeps"
check_chat "after the control-path sweeps"

# failslab_cache CACHE TIMES: the next TIMES allocations from CACHE fail,
# in any context (softirq included). The caches' marks were checked at the
# start; one lost since is a failure.
failslab_cache() {
	if [ "$(cat /sys/kernel/slab/$1/failslab 2> /dev/null)" != 1 ]; then
		fail "cache $1 is no longer marked for failslab"
		return 1
	fi
	echo Y > "$fs/cache-filter"
	echo 1 > "$fs/interval"
	echo "$2" > "$fs/times"
	echo 100 > "$fs/probability"
}

if failslab_cache nf_conntrack 3; then
	drop0=$(ct_stat drop)
	udp_recv "$sv" 5003
	for p in 40201 40202 40203 40204 40205; do send_udp 10.0.2.2 5003 1 64 $p; done
	check_eq "nf_conntrack cache: 3 of 5 new flows lose their first packet" 2 "$(received 5003)"
	check_eq "nf_conntrack cache: conntrack counted the 3 drops" 3 $(($(ct_stat drop) - drop0))
	check_eq "nf_conntrack cache: every injection used" 0 "$(cat "$fs/times")"
fi
failslab_off

# The filter fails the next allocations of every marked cache, nf_conntrack
# included: the flow's conntrack entry must exist before the injections are
# armed, or they drop its first packets instead (seen on the debug kernel).
udp_recv "$sv" 5004
send_udp 10.0.2.2 5004 1 64 40301
wait_for 10 sh -c "ip netns exec $rt conntrack -L -p udp --sport 40301 2> /dev/null |
	grep -q 'sport=40301 '" || fail "flowlane_flow cache: the flow's conntrack entry"
if failslab_cache flowlane_flow 2; then
	send_udp 10.0.2.2 5004 2 64 40301
	check_eq "flowlane_flow cache: no offload while its record cannot be allocated" "" \
		"$(flow_line 'osport=40301 ')"
	send_udp 10.0.2.2 5004 3 64 40302
	check_eq "flowlane_flow cache: the next flow offloads at its 2nd packet (2 slow, 1 fast)" "2 1" \
		"$(l=$(flow_line 'osport=40302 '); echo "$(kv o_slow_p <<< "$l") $(kv o_fast_p <<< "$l")")"
	send_udp 10.0.2.2 5004 1 64 40301
	check_eq "flowlane_flow cache: the first flow offloads at its 4th packet (4 slow, 0 fast)" "4 0" \
		"$(l=$(flow_line 'osport=40301 '); echo "$(kv o_slow_p <<< "$l") $(kv o_fast_p <<< "$l")")"
	check_eq "flowlane_flow cache: every packet arrived" 7 "$(received 5004)"
	check_eq "flowlane_flow cache: every injection used" 0 "$(cat "$fs/times")"
else
	received 5004 > /dev/null
fi
failslab_off

kill "$stream" 2> /dev/null
wait "$stream" 2> /dev/null
check_chat "after failslab"
counted_flow "after failslab" 40401
exit $ret
