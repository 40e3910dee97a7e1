#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Counters that stay exact and a tag that stays the flow's:
# - conntrack's zeroing get (`conntrack -L -z`, which any CAP_NET_ADMIN of
#   the namespace may run) resets the counts flowlane's fast-path share is
#   computed from: the tag and namespace totals go on counting from where
#   they were, the flow's own numbers start again from the reset;
# - a flow keeps the tag it was offloaded with when the tag mask changes:
#   the dump shows it and `flush tag` finds it;
# - a deleted tag's live flows follow the default policy and count
#   against the default policy's cap until they go;
# - an active flow the core takes back because its route went stale is a
#   "route" teardown, not an "idle" one.
#
#   client ---- router (flowlane; nft: udp dport -> ct mark) ---- server
#   dport 7001 -> mark 10 (tag "rs": threshold 2)
#   dport 7002 -> mark 20 (tag "fx": threshold 0)
#   dport 7003 -> mark 30 (tag "dl": threshold 0, deleted later)
#   dport 7009: no mark (the default policy)

source "$(dirname "$0")/engine_lib.sh"
need_root
need_cmd conntrack conntrack
load_engine
setup_topo
fl_devs

ip netns exec "$rt" nft -f - <<NFT || fail "nft ruleset"
table inet t {
	chain fw {
		type filter hook forward priority 0;
		udp dport 7001 ct mark set 10
		udp dport 7002 ct mark set 20
		udp dport 7003 ct mark set 30
	}
}
NFT
fl tag add rs 10 threshold 2 > /dev/null || fail "tag add rs"
fl tag add fx 20 threshold 0 > /dev/null || fail "tag add fx"
fl tag add dl 30 threshold 0 > /dev/null || fail "tag add dl"
for p in 7001 7002 7003 7009; do udp_recv "$sv" $p; done

# tag_is NAME KEY VALUE: the tag's counter reads so now.
tag_is() { [ "$(fl tag get "$1" | kv "$2")" = "$3" ]; }

# 1. A counter reset. 12 packets: 2 slow (threshold), 10 fast, folded.
send_udp 10.0.2.2 7001 12 64 42001
wait_for 5 tag_is rs fast_packets 10
check_eq "before the reset: tag rs fast-path packets" 10 "$(fl tag get rs | kv fast_packets)"
ip netns exec "$rt" conntrack -L -z > /dev/null 2>&1 || fail "conntrack -L -z"
send_udp 10.0.2.2 7001 7 64 42001
wait_for 5 tag_is rs fast_packets 17
check_eq "after the reset and 7 more: tag rs counts 10 + 7 fast-path packets" 17 \
	"$(fl tag get rs | kv fast_packets)"
check_eq "after the reset: the namespace counts 17 fast-path packets" 17 \
	"$(fl stats | kv fast_packets)"
l=$(flow_line 'osport=42001 ')
check_eq "after the reset: the flow's own numbers start from it (slow, fast)" "0 7" \
	"$(kv o_slow_p <<< "$l") $(kv o_fast_p <<< "$l")"
send_udp 10.0.2.2 7001 3 64 42001
wait_for 5 tag_is rs fast_packets 20
check_eq "3 more: tag rs 20, namespace 20, flow 10" "20 20 10" \
	"$(fl tag get rs | kv fast_packets) $(fl stats | kv fast_packets) $(flow_line 'osport=42001 ' | kv o_fast_p)"
check_eq "bytes follow: tag rs fast-path bytes for 20 packets of 92 bytes" 1840 \
	"$(fl tag get rs | kv fast_bytes)"

# 2. A tag mask change: the flow keeps tag 20 (its mark now reads as no
# tag under 0xff00) in the dump and for `flush tag 20`.
send_udp 10.0.2.2 7002 5 64 42002
check_eq "tag fx: flow offloaded with tag 20" 20 "$(flow_line 'osport=42002 ' | kv tag)"
fl policy set mask 0xff00 || fail "policy set mask 0xff00"
check_eq "mask 0xff00: the flow still shows tag 20" 20 "$(flow_line 'osport=42002 ' | kv tag)"
check_eq "mask 0xff00: flush tag 20 finds the flow" "count=1" "$(fl flush tag 20 | tr -d ' ')"
wait_for 5 flow_gone "osport=42002 "
check_eq "flush tag 20: the flow is gone" "" "$(flow_line 'osport=42002 ')"
check_eq "flush tag 20: tag rs's flow stays" 1 "$(flow_line 'osport=42001 ' | kv state)"
fl policy set mask 0xffff || fail "policy set mask back"

# 3. A deleted tag's two flows count against the default cap (3): one
# untagged flow more fits, a second does not.
send_udp 10.0.2.2 7003 5 64 42031
send_udp 10.0.2.2 7003 5 64 42032
check_eq "tag dl: two flows offloaded" 2 "$(fl tag get dl | kv flows)"
fl tag del dl > /dev/null || fail "tag del dl"
check_eq "tag dl deleted: its flows stay offloaded (default policy offloads)" 2 \
	"$(flows_count 'odport=7003 ')"
fl policy set max 3 || fail "policy set max 3"
refused=$(fl stats | kv refused_cap)
send_udp 10.0.2.2 7009 5 64 42091
send_udp 10.0.2.2 7009 5 64 42092
check_eq "default cap 3 with the deleted tag's 2 flows: one untagged flow offloads" \
	1 "$(flow_line 'osport=42091 ' | kv state)"
check_eq "default cap 3: the second untagged flow does not" "" "$(flow_line 'osport=42092 ')"
check_eq "default cap 3: its 4 eligible packets refused" $((refused + 4)) \
	"$(fl stats | kv refused_cap)"
check_eq "the deleted tag's flows keep tag 30: flush tag 30 takes both" "count=2" \
	"$(fl flush tag 30 | tr -d ' ')"
wait_for 5 flow_gone "odport=7003 "
send_udp 10.0.2.2 7009 5 64 42093
check_eq "they left the default's count: a new untagged flow offloads" \
	1 "$(flow_line 'osport=42093 ' | kv state)"
fl policy set max 0 || fail "policy set max 0"

# 4. A route added in the router makes cached routes stale (IPv4: all, the
# route cache generation; IPv6: those under its prefix): the core takes an
# active flow on the neighbour path back at its next packet (at its GC on
# 7.x). That is a route teardown, not an idle one. The flows go to the
# server through a VLAN (vrs10) on a link of its own (veth-rw) that is not
# a flowlane device: the way below vrs10 is not resolved, the flows keep
# the neighbour path, whose route the core checks (a direct-transmit
# flow's it does not).
ip link add veth-rw netns "$rt" type veth peer name veth-sw netns "$sv" &&
	ip -n "$rt" link set veth-rw up && ip -n "$sv" link set veth-sw up &&
	ip -n "$rt" link add link veth-rw name vrs10 type vlan id 10 &&
	ip -n "$sv" link add link veth-sw name vsv10 type vlan id 10 &&
	ip -n "$rt" addr add 10.0.12.1/24 dev vrs10 && ip -n "$sv" addr add 10.0.12.2/24 dev vsv10 &&
	ip -n "$rt" addr add fd12::1/64 dev vrs10 nodad && ip -n "$sv" addr add fd12::2/64 dev vsv10 nodad &&
	ip -n "$rt" link set vrs10 up && ip -n "$sv" link set vsv10 up &&
	fl dev add vrs10 || fail "VLAN set-up"
ip netns exec "$cl" ping -qc1 -W5 10.0.12.2 > /dev/null &&
	ip netns exec "$cl" ping -6 -qc1 -W5 fd12::2 > /dev/null || fail "VLAN forwards"
# The core's teardown leaves a conntrack entry its UDP timeout (replied;
# 6.12: unreplied for a one-way flow) less the flowtable's (setup_topo's
# 600 s): more than 0, or the entry dies with the teardown and the flow
# reads as a conntrack teardown.
ip netns exec "$rt" sysctl -qw net.netfilter.nf_conntrack_udp_timeout_stream=1200 \
	net.netfilter.nf_conntrack_udp_timeout=1200 || fail "nf_conntrack_udp_timeout*"
idle0=$(fl stats | kv td_idle)
send_udp 10.0.12.2 7009 5 64 42041
check_eq "route: IPv4 flow through the VLAN offloaded" 1 "$(flow_line 'osport=42041 ' | kv state)"
ip -n "$rt" route add 10.9.9.0/24 dev veth-rs || fail "route add"
send_udp 10.0.12.2 7009 3 64 42041
fold_wait td_route 1
check_eq "route: the IPv4 flow's teardown counted as route" 1 "$(fl stats | kv td_route)"
send_udp fd12::2 7009 5 64 42042
check_eq "route: IPv6 flow through the VLAN offloaded" 1 "$(flow_line 'osport=42042 ' | kv state)"
# (IPv6 invalidates the cached routes under the changed prefix only: a
# host route to the server, the same way out.)
ip -n "$rt" -6 route add fd12::2/128 dev vrs10 || fail "route add (IPv6)"
send_udp fd12::2 7009 3 64 42042
fold_wait td_route 2
check_eq "route: the IPv6 flow's teardown counted as route" 2 "$(fl stats | kv td_route)"
check_eq "route: no idle teardown counted for them" "$idle0" "$(fl stats | kv td_idle)"

check_eq "server got rs's 22" 22 "$(received 7001)"
check_eq "server got fx's 5" 5 "$(received 7002)"
check_eq "server got dl's 10" 10 "$(received 7003)"
check_eq "server got the untagged 15 and the route case's 16" 31 "$(received 7009)"

exit $ret
