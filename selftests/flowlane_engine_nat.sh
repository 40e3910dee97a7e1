#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# IPv4 and IPv6, UDP and TCP, through masquerade and DNAT: the flows offload
# after the threshold (10), the dump shows both tuples (NAT visible), the
# counts are exact for UDP and TCP transfers arrive whole.
#
#   client ------------- router ------------------------------ server
#   10.0.1.2, fd01::2    masquerade out of veth-rs             10.0.2.2, fd02::2
#                        DNAT 10.0.1.1:8000 -> 10.0.2.2:5000
#                        DNAT [fd01::1]:8000 -> [fd02::2]:5000

source "$(dirname "$0")/engine_lib.sh"
need_root
router_at_threshold 10

ip netns exec "$rt" nft -f - <<NFT || fail "nft NAT ruleset"
table inet nat {
	chain pre {
		type nat hook prerouting priority -100;
		ip daddr 10.0.1.1 udp dport 8000 dnat ip to 10.0.2.2:5000
		ip6 daddr fd01::1 udp dport 8000 dnat ip6 to [fd02::2]:5000
	}
	chain post {
		type nat hook postrouting priority 100;
		oifname "veth-rs" masquerade
	}
}
NFT

# On the wire: the server counts the datagrams to port 5000 by source
# address. Masquerade must rewrite every one of them, the 90 of each flow
# the fast path forwards included: all from the router, none from the
# client.
ip netns exec "$sv" nft -f - <<NFT || fail "nft wire counters on the server"
table inet wire {
	counter from_router4 {}
	counter from_client4 {}
	counter from_router6 {}
	counter from_client6 {}
	chain in {
		type filter hook input priority 0;
		ip saddr 10.0.2.1 udp dport 5000 counter name from_router4
		ip saddr 10.0.1.2 udp dport 5000 counter name from_client4
		ip6 saddr fd02::1 udp dport 5000 counter name from_router6
		ip6 saddr fd01::2 udp dport 5000 counter name from_client6
	}
}
NFT

udp_recv "$sv" 5000
send_udp 10.0.2.2 5000 100 64 43001
send_udp fd02::2 5000 100 64 43002
send_udp 10.0.1.1 8000 100 64 43003
send_udp fd01::1 8000 100 64 43004
check_eq "server received all 400 datagrams" 400 "$(received 5000)"
check_eq "on the wire: IPv4 datagrams from the router's address, from the client's" "200 0" \
	"$(nft_counter "$sv" inet wire from_router4) $(nft_counter "$sv" inet wire from_client4)"
check_eq "on the wire: IPv6 datagrams from the router's address, from the client's" "200 0" \
	"$(nft_counter "$sv" inet wire from_router6) $(nft_counter "$sv" inet wire from_client6)"

check() {	# NAME SPORT RSRC RDST RSPORT IPLEN
	local l
	l=$(flow_line "osport=$2 ")
	check_eq "$1: slow 10" 10 "$(kv o_slow_p <<< "$l")"
	check_eq "$1: fast 90" 90 "$(kv o_fast_p <<< "$l")"
	check_eq "$1: fast bytes" $((90 * $6)) "$(kv o_fast_b <<< "$l")"
	check_eq "$1: reply tuple after NAT" "$3 $4 $5" \
		"$(kv rsrc <<< "$l") $(kv rdst <<< "$l") $(kv rsport <<< "$l")"
}
check "IPv4 masquerade" 43001 10.0.2.2 10.0.2.1 5000 92
check "IPv6 masquerade" 43002 fd02::2 fd02::1 5000 112
check "IPv4 DNAT+masquerade" 43003 10.0.2.2 10.0.2.1 5000 92
check "IPv6 DNAT+masquerade" 43004 fd02::2 fd02::1 5000 112
check_eq "IPv4 DNAT: original tuple before NAT" "10.0.1.1 8000" \
	"$(flow_line 'osport=43003 ' | kv odst) $(flow_line 'osport=43003 ' | kv odport)"

for dst in 10.0.2.2 fd02::2; do
	check_eq "TCP to $dst through masquerade: 1 MiB arrives whole" 1048576 "$(tcp_xfer $dst 5001 1048576)"
done
# A closed TCP connection leaves the fast path on every kernel: at its FIN
# or RST before 6.14, at flowlane's next gc pass (about a second) on kernels
# whose core keeps closing flows (NF_FLOW_CLOSING), though this router keeps
# idle flows for 600 s. Their last fast-path packets fold in after that.
tcp_folded() { stats_are td_finrst 2 && [ "$(fl stats | kv fast_packets)" -gt 360 ]; }
wait_for 10 tcp_folded
s=$(fl stats)
check_eq "netns: 6 offloads (4 UDP, 2 TCP)" 6 "$(kv offloads_total <<< "$s")"
check_eq "netns: the TCP flows ended by FIN/RST" 2 "$(kv td_finrst <<< "$s")"
check_eq "netns: only the 4 UDP flows stay offloaded" 4 "$(kv flows <<< "$s")"
fp=$(kv fast_packets <<< "$s")
[ "${fp:-0}" -gt 360 ] && pass "netns: TCP took the fast path too ($fp > 360 fast packets)" ||
	fail "netns: fast packets $fp, expected more than the 360 of UDP"

# flush matches an address in either tuple: the masquerade address
# 10.0.2.1 is in the reply tuple of the two IPv4 flows only (their
# original ones hold 10.0.1.2 -> 10.0.2.2 and 10.0.1.2 -> 10.0.1.1), and
# the IPv6 flows do not hold it at all.
check_eq "flush by the masquerade (reply tuple) address 10.0.2.1" 2 \
	"$(fl flush addr 10.0.2.1 | kv count)"
check_eq "flush by 10.0.2.1: the IPv4 flows gone" "" \
	"$(flows | grep -e 'osport=43001 ' -e 'osport=43003 ' -e '^the flows dump failed')"
check_eq "flush by 10.0.2.1: the IPv6 flows still offloaded" "1 1" \
	"$(flow_line 'osport=43002 ' | kv state) $(flow_line 'osport=43004 ' | kv state)"
check_eq "flush by the IPv6 masquerade address fd02::1: both IPv6 flows" 2 \
	"$(fl flush addr fd02::1 | kv count)"
check_eq "flush by fd02::1: no flow left" "" "$(flows)"
exit $ret
