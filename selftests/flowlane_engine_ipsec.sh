#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# IPsec, as the stock flowtable carries it and where flowlane does better,
# through an ESP tunnel (mode tunnel, static keys) between the router and
# the server, under threshold 0:
#  - a flow routed into the tunnel is offloaded: the fast path hands its
#    packets to the IPsec bundle (XMIT_XFRM), so every one is encrypted,
#    fast-path packets included (the SA counts them all);
#  - a flow offloaded at a packet going the plain way still encrypts the
#    other way: the route of the other direction is looked up with the
#    IPsec policies (the stock flowtable's nf_route() skips them, and its
#    fast path would send those packets in the clear, which the server's
#    policy drops);
#  - a packet that came out of the tunnel (decrypted by the router) never
#    offloads its flow, as with the stock flowtable;
#  - the policy deleted under an offloaded flow: the core finds the bundle
#    stale at the next packet and takes the flow back (teardown "route"),
#    nothing more goes through the old bundle;
#  - a flow whose other direction a policy blocks, or sends to a tunnel
#    without a state yet, is not offloaded.
#
#   client ---- router (flowlane: veth-rc, veth-rs) ==ESP== server
#      10.0.1.0/24 -> 10.0.2.2, UDP: SA 0x100 (router encrypts)
#      10.0.2.2 -> 10.0.1.0/24, UDP dport 6001: SA 0x200 (server encrypts)
#      fd01::/64 -> fd02::2, UDP: SA 0x600 (router encrypts; the first two
#      cases again over IPv6)

source "$(dirname "$0")/engine_lib.sh"
need_root
router_at_threshold 0

KEY=0x0123456789abcdef0123456789abcdef01234567
# sa NS SRC DST SPI: an ESP SA in tunnel mode (AES-GCM, a static key).
sa() {
	ip -n "$1" xfrm state add src "$2" dst "$3" proto esp spi "$4" mode tunnel \
		aead 'rfc4106(gcm(aes))' $KEY 128
}
# policy NS DIR SEL TUNNEL_SRC TUNNEL_DST: traffic selected by SEL (ip
# xfrm's selector words) must go through the tunnel.
policy() {
	ip -n "$1" xfrm policy add $3 dir "$2" tmpl src "$4" dst "$5" proto esp mode tunnel
}
# sa_packets NS SRC DST SPI: the packets an SA has carried.
sa_packets() {
	ip -n "$1" -s xfrm state get src "$2" dst "$3" proto esp spi "$4" |
		sed -n 's/.*[^0-9]\([0-9][0-9]*\)(packets).*/\1/p' | head -1
}

to_sv="src 10.0.1.0/24 dst 10.0.2.2/32 proto udp"
from_sv="src 10.0.2.2/32 dst 10.0.1.0/24 proto udp dport 6001"
{ sa "$rt" 10.0.2.1 10.0.2.2 0x100 && sa "$sv" 10.0.2.1 10.0.2.2 0x100 &&
  sa "$rt" 10.0.2.2 10.0.2.1 0x200 && sa "$sv" 10.0.2.2 10.0.2.1 0x200 &&
  policy "$rt" out "$to_sv" 10.0.2.1 10.0.2.2 &&
  policy "$sv" in "$to_sv" 10.0.2.1 10.0.2.2 &&
  policy "$sv" out "$from_sv" 10.0.2.2 10.0.2.1 &&
  policy "$rt" fwd "$from_sv" 10.0.2.2 10.0.2.1; } ||
	{ fail "xfrm ESP tunnel setup"; exit $ret; }

# 1. Into the tunnel: the first datagram unconfirmed, the second offloads
# the flow, 18 on the fast path; all 20 encrypted by the router.
udp_recv "$sv" 5004
send_udp 10.0.2.2 5004 20 64 46001
check_eq "into the tunnel: 20 datagrams arrive" 20 "$(received 5004)"
check_eq "into the tunnel: the router encrypted all 20 (SA 0x100)" 20 "$(sa_packets "$rt" 10.0.2.1 10.0.2.2 0x100)"
check_eq "into the tunnel: offloaded, 2 slow and 18 fast-path packets (state, slow, fast)" "1 2 18" \
	"$(l=$(flow_line 'osport=46001 '); echo "$(kv state <<< "$l") $(kv o_slow_p <<< "$l") $(kv o_fast_p <<< "$l")")"

# 2. The other way: the server starts a flow to the client in the clear
# (3 datagrams: the second offloads it), then the client answers 10
# times, into the tunnel: encrypted by the fast path, or dropped by the
# server's policy if sent in the clear.
udp_recv "$cl" 6000
ip netns exec "$sv" "$FLT" udp-send 10.0.1.2 6000 3 64 5005 > /dev/null
check_eq "other way: the client got the server's 3" 3 "$(received 6000)"
check_eq "other way: offloaded at the server's second datagram" 1 \
	"$(flow_line 'osport=5005 ' | kv state)"
udp_recv "$sv" 5005
ip netns exec "$cl" "$FLT" udp-send 10.0.2.2 5005 10 64 6000 > /dev/null
check_eq "other way: the server got the client's 10 (encrypted, else its policy drops them)" 10 \
	"$(received 5005)"
check_eq "other way: the router encrypted them (SA 0x100: 20 + 10)" 30 "$(sa_packets "$rt" 10.0.2.1 10.0.2.2 0x100)"
check_eq "other way: the client's 10 took the fast path (reply direction)" 10 \
	"$(flow_line 'osport=5005 ' | kv r_fast_p)"

# 3. Out of the tunnel: the server encrypts, the router decrypts and
# forwards; a packet with a security path never offloads its flow.
offloads=$(fl stats | kv offloads_total)
udp_recv "$cl" 6001
ip netns exec "$sv" "$FLT" udp-send 10.0.1.2 6001 10 64 46200 > /dev/null
check_eq "out of the tunnel: the client got 10" 10 "$(received 6001)"
check_eq "out of the tunnel: the router decrypted 10 (SA 0x200)" 10 "$(sa_packets "$rt" 10.0.2.2 10.0.2.1 0x200)"
check_eq "out of the tunnel: not offloaded (offloads_total unchanged, no record)" "$offloads " \
	"$(fl stats | kv offloads_total) $(flow_line 'osport=46200 ')"

# 1 and 2 over IPv6 (the other direction's lookup fills the IPv6 flow's
# ports): an ESP tunnel fd02::1 -> fd02::2 for UDP from fd01::/64 to the
# server, SA 0x600.
to_sv6="src fd01::/64 dst fd02::2/128 proto udp"
{ sa "$rt" fd02::1 fd02::2 0x600 && sa "$sv" fd02::1 fd02::2 0x600 &&
  policy "$rt" out "$to_sv6" fd02::1 fd02::2 &&
  policy "$sv" in "$to_sv6" fd02::1 fd02::2; } || { fail "IPv6 ESP tunnel setup"; exit $ret; }
udp_recv "$sv" 5006
send_udp fd02::2 5006 20 64 46006
check_eq "IPv6 into the tunnel: 20 datagrams arrive" 20 "$(received 5006)"
check_eq "IPv6 into the tunnel: offloaded, 2 slow and 18 fast (state, slow, fast)" "1 2 18" \
	"$(l=$(flow_line 'osport=46006 '); echo "$(kv state <<< "$l") $(kv o_slow_p <<< "$l") $(kv o_fast_p <<< "$l")")"
udp_recv "$cl" 6006
ip netns exec "$sv" "$FLT" udp-send fd01::2 6006 3 64 5007 > /dev/null
check_eq "IPv6 other way: the client got the server's 3" 3 "$(received 6006)"
udp_recv "$sv" 5007
ip netns exec "$cl" "$FLT" udp-send fd02::2 5007 10 64 6006 > /dev/null
check_eq "IPv6 other way: the server got the client's 10, all on the fast path (received, reply fast)" \
	"10 10" "$(received 5007) $(flow_line 'osport=5007 ' | kv r_fast_p)"
check_eq "IPv6: the router encrypted 20 + 10 (SA 0x600)" 30 "$(sa_packets "$rt" fd02::1 fd02::2 0x600)"

# 4. The router's outbound policy deleted under flows 1 and 2 (the bundle
# of 2's reply direction came from it too): their next datagrams find the
# bundles stale (7.x's flowtable GC finds them so sooner, each second), the
# core takes the flows back ("route": they were busy), the slow path sends
# the datagrams in the clear (no policy now) and the server's policy drops
# them. The SA carried nothing more. (The teardown leaves the conntrack
# entry its UDP timeout less the flowtable's, 600 s here: raised above
# that, or the entry dies with the teardown and the flow reads as a
# conntrack teardown, as in flowlane_engine_counters.sh.)
ip netns exec "$rt" sysctl -qw net.netfilter.nf_conntrack_udp_timeout_stream=1200 \
	net.netfilter.nf_conntrack_udp_timeout=1200 || fail "nf_conntrack_udp_timeout*"
ip -n "$rt" xfrm policy delete $to_sv dir out || fail "policy delete"
udp_recv "$sv" 5004
udp_recv "$sv" 5005
send_udp 10.0.2.2 5004 5 64 46001
ip netns exec "$cl" "$FLT" udp-send 10.0.2.2 5005 2 64 6000 > /dev/null
check_eq "policy deleted: the server's policy drops the 5 + 2 sent in the clear" "0 0" \
	"$(received 5004) $(received 5005)"
check_eq "policy deleted: the SA carried nothing more (still 30)" 30 "$(sa_packets "$rt" 10.0.2.1 10.0.2.2 0x100)"
fold_wait td_route 2
check_eq "policy deleted: both flows' teardowns counted as route (route, idle)" "2 0" \
	"$(t=$(fl stats); echo "$(kv td_route <<< "$t") $(kv td_idle <<< "$t")")"

# 5. The other way blocked, or waiting for a state: a policy that blocks
# client -> server UDP to 5008, one whose template names a peer without a
# state (10.0.2.9) for 5009. The server starts each flow in the clear; the
# lookup for the other direction fails, so neither flow is offloaded (else
# the client's answers would pass the block in the fast path).
ip -n "$rt" xfrm policy add src 10.0.1.0/24 dst 10.0.2.2/32 proto udp dport 5008 \
	dir out action block &&
	policy "$rt" out "src 10.0.1.0/24 dst 10.0.2.2/32 proto udp dport 5009" 10.0.2.1 10.0.2.9 ||
	fail "block and stateless policies"
offloads=$(fl stats | kv offloads_total)
for p in 5008 5009; do
	udp_recv "$cl" 6008
	ip netns exec "$sv" "$FLT" udp-send 10.0.1.2 6008 3 64 $p > /dev/null
	check_eq "other way to $p: the client got the server's 3" 3 "$(received 6008)"
done
check_eq "other way blocked (5008) or without a state (5009): not offloaded (offloads_total unchanged, no record)" \
	"$offloads " "$(fl stats | kv offloads_total) $(flow_line 'osport=500[89] ')"
exit $ret
