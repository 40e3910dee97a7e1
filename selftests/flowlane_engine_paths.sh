#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Ways through the router other than plain Ethernet on both sides, under
# threshold 0:
#  - GRE, as the stock flowtable carries it: a GRE (version 0) flow
#    between client and server is offloaded and its packets take the fast
#    path, counted exactly; a GRE flow the router NATs is not (as stock),
#    and still arrives. IPv4 outer headers (ip6gre: not tested).
#  - A bridge: the router's address on a bridge (br-c, port veth-rb): a
#    flow in by the bridge is offloaded with br-c as a flowlane device,
#    both directions on the fast path (the bridge's ports are below it:
#    frames for the router reach br-c's ingress; its transmit forwards to
#    the port). The stock flowtable would resolve the bridge port and
#    transmit on it directly; flowlane keeps the neighbour path on br-c.
#
#   client ---- router (flowlane: veth-rc, veth-rs) ---- server
#   gre-a: 10.0.1.2 <-> 10.0.2.2, inside 192.168.91.1 <-> .2
#   gre-n: 10.0.1.3 <-> 10.0.2.2, the router SNATs 10.0.1.3's GRE to
#          10.0.2.1 (the server's end has that for remote), inside
#          192.168.92.1 <-> .2
#   client veth-cb 10.0.5.2 ---- veth-rb [br-c 10.0.5.1] router

source "$(dirname "$0")/engine_lib.sh"
need_root
router_at_threshold 0
modprobe -q ip_gre || { fail "modprobe ip_gre"; exit $ret; }

# gre NS NAME LOCAL REMOTE INNER/30: a GRE device with an inner address,
# IPv6 off on it (no router solicitation or MLD report in the counts).
gre() {
	ip -n "$1" link add "$2" type gre local "$3" remote "$4" &&
	ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1" &&
	ip -n "$1" addr add "$5" dev "$2" &&
	ip -n "$1" link set "$2" up
}
{ gre "$cl" gre-a 10.0.1.2 10.0.2.2 192.168.91.1/30 &&
  gre "$sv" gre-a 10.0.2.2 10.0.1.2 192.168.91.2/30 &&
  ip -n "$cl" addr add 10.0.1.3/24 dev veth-cl &&
  gre "$cl" gre-n 10.0.1.3 10.0.2.2 192.168.92.1/30 &&
  gre "$sv" gre-n 10.0.2.2 10.0.2.1 192.168.92.2/30 &&
  ip netns exec "$rt" nft -f - <<NFT
table ip nat {
	chain post {
		type nat hook postrouting priority srcnat;
		ip saddr 10.0.1.3 ip protocol gre snat to 10.0.2.1
	}
}
NFT
} || { fail "GRE set-up"; exit $ret; }

# gre_flow OUTER_SRC: the router's record of the GRE flow from OUTER_SRC.
gre_flow() { flow_line "proto=47 osrc=$1 "; }

# 1. 20 datagrams inside gre-a: the first GRE packet is unconfirmed, the
# second offloads the flow, 18 take the fast path.
udp_recv "$sv" 5010
ip netns exec "$cl" "$FLT" udp-send 192.168.91.2 5010 20 64 47001 > /dev/null
check_eq "GRE: 20 datagrams arrive through gre-a" 20 "$(received 5010)"
check_eq "GRE: the flow offloaded, 2 slow and 18 fast-path packets (state, slow, fast)" "1 2 18" \
	"$(l=$(gre_flow 10.0.1.2); echo "$(kv state <<< "$l") $(kv o_slow_p <<< "$l") $(kv o_fast_p <<< "$l")")"
check_eq "GRE: the tool names its protocol and finds it by it" "gre src=10.0.1.2 dst=10.0.2.2" \
	"$(ip netns exec "$rt" "$FLOWLANE" flows proto gre | cut -d' ' -f1-3)"

# 2. The NATed tunnel: as many datagrams arrive, no offload.
offloads=$(fl stats | kv offloads_total)
udp_recv "$sv" 5011
ip netns exec "$cl" "$FLT" udp-send 192.168.92.2 5011 20 64 47002 > /dev/null
check_eq "GRE with NAT: 20 datagrams arrive through gre-n" 20 "$(received 5011)"
check_eq "GRE with NAT: not offloaded (offloads_total unchanged, no record)" "$offloads " \
	"$(fl stats | kv offloads_total) $(gre_flow 10.0.1.3)"

# 3. Through the bridge: 20 datagrams echoed in lock-step; the first reply
# (the entry confirmed) offloads the flow: slow 1 + 1, fast 19 + 19.
{ ip link add veth-cb netns "$cl" type veth peer name veth-rb netns "$rt" &&
  ip -n "$rt" link add br-c type bridge &&
  ip -n "$rt" link set veth-rb master br-c &&
  ip -n "$rt" addr add 10.0.5.1/24 dev br-c &&
  ip -n "$cl" addr add 10.0.5.2/24 dev veth-cb &&
  ip -n "$rt" link set veth-rb up && ip -n "$rt" link set br-c up &&
  ip -n "$cl" link set veth-cb up &&
  ip -n "$cl" route add 10.0.2.2/32 via 10.0.5.1 src 10.0.5.2 &&
  fl dev add br-c; } || { fail "bridge set-up"; exit $ret; }
ip netns exec "$cl" ping -qc1 -W5 -I 10.0.5.2 10.0.2.2 > /dev/null || fail "bridge forwards"
udp_recv "$sv" 5012 echo
check_eq "bridge: 20 echoed" "sent=20 echoed=20" \
	"$(ip netns exec "$cl" "$FLT" udp-ping 10.0.2.2 5012 20 64 47003)"
l=$(flow_line 'osport=47003 ')
check_eq "bridge: offloaded in by br-c, slow 1 + 1, fast 19 + 19 (iif, slow, fast)" \
	"$(ip netns exec "$rt" cat /sys/class/net/br-c/ifindex) 1 1 19 19" \
	"$(kv iif <<< "$l") $(kv o_slow_p <<< "$l") $(kv r_slow_p <<< "$l") $(kv o_fast_p <<< "$l") $(kv r_fast_p <<< "$l")"
check_eq "bridge: the echo server got 20" 20 "$(received 5012)"
exit $ret
