#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Threshold semantics, exactly: the slow path carries the first N packets
# of a flow (both directions), the packet that brings the count to N
# offloads it, the rest take the fast path. N = 50: flows of N-1, N, N+1 and
# 140 packets; N = 0 (a tag): the first eligible packet, which for UDP is
# the second (the first one's conntrack entry is not confirmed yet).
#
#   client ---- router (flowlane: veth-rc, veth-rs) ---- server
#   UDP 10.0.1.2:4000x -> 10.0.2.2:5000, 64-byte payload (92-byte IP packets)

source "$(dirname "$0")/engine_lib.sh"
need_root
router_at_threshold 50
ip netns exec "$rt" nft -f - <<NFT || fail "nft ruleset"
table inet t {
	chain fw {
		type filter hook forward priority 0;
		udp sport 40009 ct mark set 7
	}
}
NFT
fl tag add zero 7 threshold 0 > /dev/null || fail "tag add zero"

udp_recv "$sv" 5000
send_udp 10.0.2.2 5000 49 64 40001
send_udp 10.0.2.2 5000 50 64 40002
send_udp 10.0.2.2 5000 51 64 40003
send_udp 10.0.2.2 5000 140 64 40004
send_udp 10.0.2.2 5000 10 64 40009
check_eq "server received every packet" 300 "$(received 5000)"

check_eq "N-1 = 49 packets: not offloaded" "" "$(flow_line 'osport=40001 ')"
l=$(flow_line 'osport=40002 ')
check_eq "N = 50: slow path carried 50" 50 "$(kv o_slow_p <<< "$l")"
check_eq "N = 50: fast path carried 0" 0 "$(kv o_fast_p <<< "$l")"
l=$(flow_line 'osport=40003 ')
check_eq "N+1 = 51: slow 50" 50 "$(kv o_slow_p <<< "$l")"
check_eq "N+1 = 51: fast 1" 1 "$(kv o_fast_p <<< "$l")"
l=$(flow_line 'osport=40004 ')
check_eq "140 packets: slow 50" 50 "$(kv o_slow_p <<< "$l")"
check_eq "140 packets: fast 90" 90 "$(kv o_fast_p <<< "$l")"
check_eq "140 packets: slow bytes 50 x 92" 4600 "$(kv o_slow_b <<< "$l")"
check_eq "140 packets: fast bytes 90 x 92" 8280 "$(kv o_fast_b <<< "$l")"
check_eq "140 packets: reply direction empty" 0 "$(kv r_fast_p <<< "$l")"
check_eq "140 packets: state offloaded" 1 "$(kv state <<< "$l")"
check_eq "140 packets: original tuple" "10.0.1.2 10.0.2.2" \
	"$(kv osrc <<< "$l") $(kv odst <<< "$l")"
l=$(flow_line 'osport=40009 ')
check_eq "N = 0 (tag 7): slow 2" 2 "$(kv o_slow_p <<< "$l")"
check_eq "N = 0 (tag 7): fast 8" 8 "$(kv o_fast_p <<< "$l")"
check_eq "N = 0 (tag 7): tag" 7 "$(kv tag <<< "$l")"

# Both directions count: 20 datagrams echoed back under N = 10 is 40
# packets; whichever direction's packet brings the count to 10 offloads.
# Lock-step (each datagram waits for its echo): a reply still on its way
# through the slow path while the request that reaches N offloads the flow
# would be an 11th slow-path packet, a race and not the semantics under test.
fl policy set threshold 10 || fail "policy set threshold 10"
udp_recv "$sv" 5002 echo
check_eq "lock-step client: 20 sent, 20 echoed" "sent=20 echoed=20" \
	"$(ip netns exec "$cl" "$FLT" udp-ping 10.0.2.2 5002 20 64 40010)"
check_eq "echo server received 20" 20 "$(received 5002)"
l=$(flow_line 'osport=40010 ')
check_eq "two-way flow, N = 10: slow path carried 10 in all" 10 \
	$(( $(kv o_slow_p <<< "$l") + $(kv r_slow_p <<< "$l") ))
check_eq "two-way flow: 20 packets each way, slow + fast" "20 20" \
	"$(( $(kv o_slow_p <<< "$l") + $(kv o_fast_p <<< "$l") )) $(( $(kv r_slow_p <<< "$l") + $(kv r_fast_p <<< "$l") ))"
fl policy set threshold 50 || fail "policy set threshold 50"

fold_wait flows 5 offloads_total 5 fast_packets 129
s=$(fl stats)
check_eq "netns: flows offloaded now" 5 "$(kv flows <<< "$s")"
check_eq "netns: offloads total" 5 "$(kv offloads_total <<< "$s")"
check_eq "netns: fast-path packets (0+1+90+8 + 30 two-way)" 129 "$(kv fast_packets <<< "$s")"
check_eq "netns: fast-path bytes" $((129 * 92)) "$(kv fast_bytes <<< "$s")"
t=$(fl tag get zero)
check_eq "tag zero: flows" 1 "$(kv flows <<< "$t")"
check_eq "tag zero: fast-path packets" 8 "$(kv fast_packets <<< "$t")"
check_eq "sysfs flows (all namespaces)" 5 "$(cat /sys/kernel/flowlane/flows)"
check_eq "sysfs fastpath_packets" 129 "$(cat /sys/kernel/flowlane/fastpath_packets)"
check_eq "sysfs fastpath_bytes" $((129 * 92)) "$(cat /sys/kernel/flowlane/fastpath_bytes)"
check_eq "sysfs offloads_total" 5 "$(cat /sys/kernel/flowlane/offloads_total)"

# N = 1 (a tag) offloads at the second packet too: the first packet is
# counted but its conntrack entry is not confirmed yet.
ip netns exec "$rt" nft add rule inet t fw udp sport 40011 ct mark set 11 || fail "nft rule for tag one"
fl tag add one 11 threshold 1 > /dev/null || fail "tag add one"
udp_recv "$sv" 5003
send_udp 10.0.2.2 5003 10 64 40011
check_eq "N = 1: server received 10" 10 "$(received 5003)"
l=$(flow_line 'osport=40011 ')
check_eq "N = 1 (tag 11): slow 2, fast 8, offloaded" "2 8 1 11" \
	"$(kv o_slow_p <<< "$l") $(kv o_fast_p <<< "$l") $(kv state <<< "$l") $(kv tag <<< "$l")"
exit $ret
