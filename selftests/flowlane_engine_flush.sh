#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Flush by tag, by address, all: the flows are torn down at once and their
# next packet goes through the slow path, so through the firewall as it is
# now. A drop rule added while the flows are offloaded does not see them
# (the fast path bypasses it) until the flush.
#
#   client ---- router (flowlane; nft: dport 7001 -> tag 10, 7002 -> tag 20) ---- server

source "$(dirname "$0")/engine_lib.sh"
need_root
checktool "conntrack --version" "reads the conntrack entry a flush leaves"
load_engine
setup_topo
fl_devs

ip netns exec "$rt" nft -f - <<NFT || fail "nft ruleset"
table inet t {
	chain fw {
		type filter hook forward priority 0;
		udp dport 7001 ct mark set 10
		udp dport 7002 ct mark set 20
	}
}
NFT
fl tag add a 10 > /dev/null && fl tag add b 20 > /dev/null || fail "tag add"

udp_recv "$sv" 7001
udp_recv "$sv" 7002
send_udp 10.0.2.2 7001 10 64 42001
send_udp 10.0.2.2 7002 10 64 42002
check_eq "both flows offloaded" 2 "$(flows_count 'state=1 ')"

# A new firewall rule, counting what it drops: offloaded flows do not
# pass through it...
ip netns exec "$rt" nft add counter inet t dropped
ip netns exec "$rt" nft insert rule inet t fw udp dport '{ 7001, 7002 }' counter name dropped drop
send_udp 10.0.2.2 7001 5 64 42001
send_udp 10.0.2.2 7002 5 64 42002
check_eq "before flush: flow a bypasses the new drop rule" 15 "$(received 7001)"
check_eq "before flush: flow b bypasses the new drop rule" 15 "$(received 7002)"
check_eq "before flush: the drop rule counted nothing" 0 "$(nft_counter "$rt" inet t dropped)"

# ...until flowlane flushes them.
check_eq "flush tag 10 tears down one flow" 1 "$(fl flush tag 10 | kv count)"
check_eq "flush tag 10: flow a gone" "" "$(flow_line 'osport=42001 ')"
check_eq "flush tag 10: flow b still offloaded" 1 "$(flow_line 'osport=42002 ' | kv state)"
udp_recv "$sv" 7001
udp_recv "$sv" 7002
send_udp 10.0.2.2 7001 5 64 42001
send_udp 10.0.2.2 7002 5 64 42002
check_eq "after flush: the drop rule dropped flow a's 5 packets (its counter)" 5 \
	"$(nft_counter "$rt" inet t dropped)"
check_eq "after flush: none of flow a's packets arrived" 0 "$(received 7001)"
check_eq "after flush: flow b still bypasses it" 5 "$(received 7002)"
t=$(fl tag get a)
check_eq "tag a: teardown by flush" 1 "$(kv td_flush <<< "$t")"
check_eq "tag a: fast-path packets (2 slow, 13 fast before the flush)" 13 \
	"$(kv fast_packets <<< "$t")"

check_eq "flush by the server's address" 1 "$(fl flush addr 10.0.2.2 | kv count)"
check_eq "flush by address: no flow left" "" "$(flows)"
ip netns exec "$rt" nft flush chain inet t fw
udp_recv "$sv" 7002
send_udp 10.0.2.2 7002 5 64 42002
check_eq "flow b offloaded again once the firewall accepts it" 1 \
	"$(flow_line 'osport=42002 ' | kv state)"
check_eq "flow b: its 5 new packets arrived" 5 "$(received 7002)"
check_eq "flush all" 1 "$(fl flush | kv count)"
check_eq "flush all: nothing to flush" 0 "$(fl flush | kv count)"
# Two IPv6 flows, to the server's two addresses: the flush by one
# address takes only the flow that has it.
ip -n "$sv" addr add fd02::3/64 dev veth-sv nodad
send_udp fd02::2 7003 10 64 42003
send_udp fd02::3 7003 10 64 42004
check_eq "IPv6 flows to fd02::2 and fd02::3 offloaded" "1 1" \
	"$(flow_line 'osport=42003 ' | kv state) $(flow_line 'osport=42004 ' | kv state)"
check_eq "flush by an IPv6 address" 1 "$(fl flush addr fd02::2 | kv count)"
check_eq "flush by IPv6 address: its flow gone" "" "$(flow_line 'osport=42003 ')"
check_eq "flush by IPv6 address: the flow to fd02::3 still offloaded" 1 \
	"$(flow_line 'osport=42004 ' | kv state)"
check_eq "flush all: the last flow" 1 "$(fl flush | kv count)"

# A flow offloaded again keeps its conntrack entry, and its slow share is
# everything before this offload, its earlier fast packets included. The
# entry outlives the teardown only if conntrack's timeout is longer than
# the flowtable's (the core takes the latter off at teardown): a replied
# UDP flow (120 s) under a 60 s flowtable timeout. Lock-step echo, 10
# datagrams each way (threshold 0: the first reply offloads; slow 1 + 1,
# fast 9 + 9), a flush, 5 more each way: the first request offloads it
# again with orig 11 (10 + itself) and reply 10 slow; fast 4 and 5.
ip netns exec "$rt" sysctl -qw net.netfilter.nf_flowtable_udp_timeout=60
udp_recv "$sv" 7004 echo
check_eq "two-way flow: 10 echoed" "sent=10 echoed=10" \
	"$(ip netns exec "$cl" "$FLT" udp-ping 10.0.2.2 7004 10 64 42005)"
l=$(flow_line 'osport=42005 ')
check_eq "two-way flow offloaded: slow 1 + 1, fast 9 + 9" "1 1 9 9" \
	"$(kv o_slow_p <<< "$l") $(kv r_slow_p <<< "$l") $(kv o_fast_p <<< "$l") $(kv r_fast_p <<< "$l")"
check_eq "flush the two-way flow" 1 "$(fl flush addr 10.0.2.2 | kv count)"
check_eq "its conntrack entry outlived the teardown" 1 \
	"$(ip netns exec "$rt" conntrack -L -p udp --sport 42005 2> /dev/null | wc -l)"
check_eq "5 more echoed" "sent=5 echoed=5" \
	"$(ip netns exec "$cl" "$FLT" udp-ping 10.0.2.2 7004 5 64 42005)"
l=$(flow_line 'osport=42005 ')
check_eq "offloaded again: slow 11 + 10 (the first offload's fast packets included), fast 4 + 5" \
	"1 11 10 4 5" \
	"$(kv state <<< "$l") $(kv o_slow_p <<< "$l") $(kv r_slow_p <<< "$l") $(kv o_fast_p <<< "$l") $(kv r_fast_p <<< "$l")"
check_eq "echo server received 15" 15 "$(received 7004)"
check_eq "flush all: the re-offloaded flow" 1 "$(fl flush | kv count)"
s=$(fl stats)
check_eq "netns: 7 flush teardowns" 7 "$(kv td_flush <<< "$s")"
check_eq "netns: flows now" 0 "$(kv flows <<< "$s")"
exit $ret
