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
#    both directions on the fast path. With only br-c hooked, the packets
#    pass the bridge (frames for the router reach br-c's ingress; the
#    neighbour path's transmit on br-c forwards to the port). With the
#    port hooked too, the way is resolved below br-c as the stock
#    flowtable does: the port's hook takes the client's packets before the
#    bridge and the replies are transmitted on the port directly; br-c
#    passes only the slow path's packets. Unhooking br-c tears such a flow
#    down although the core's flow names only the port.
#  - A VLAN whose lower device is hooked (vrv20 on veth-rv): the lower
#    device's hook takes the client's tagged frames (the core pops the
#    tag), before the VLAN device, which receives only the slow path's.
#  - The bridge's VLAN cases of the kernel's nft_flowtable.sh and of its
#    VLAN filtering (each with its hooked lower device, the client's VLAN
#    device counting the tagged replies it gets):
#    a VLAN device as the bridge's port (vrx10 on veth-rx in br-x): the
#    way is bridge, VLAN, veth; the core's hook on veth-rx pops the tag;
#    a filtering bridge that tags on its port (br-t, pvid 30 untagged on
#    the bridge, 30 tagged on veth-rt): direct transmit on veth-rt with the
#    core pushing the tag on 7.x; 6.x's core pushes none, so the replies
#    keep the neighbour path on br-t and the client's packets its hook;
#    a VLAN device on a filtering bridge whose port untags (bru40 on br-u,
#    40 pvid untagged on veth-ru): the frames on veth-ru carry no tag.
#  - QinQ: VLAN 20 inside 802.1ad VLAN 100 (vrq20 on vrq100 on veth-rq):
#    the core matches and pops both tags at veth-rq's hook.
#  - PPPoE: the router dials the client's access concentrator (pppd's
#    kernel-mode PPPoE on veth-rp, the client's pppoe-server): the core
#    matches and pops the session header at veth-rp's hook, and the
#    replies are transmitted on ppp-r (6.x: its PPPoE channel adds the
#    headers) or on veth-rp with the header pushed by the core (7.x).
#    IPv4 and IPv6. Hanging up tears the flows down with ppp-r. The same
#    over a VLAN (the session in VLAN 50, IPv4).
#  - IP-in-IP: the client reaches the server through an ipip tunnel to
#    the router (tun-r, over veth-ri). On 7.x, whose core pushes and pops
#    the outer header, the way resolves below tun-r as the stock
#    flowtable's does: veth-ri's hook takes the client's outer packets and
#    the replies leave by veth-ri, tun-r passes the slow path's only. On
#    6.x the flow is not offloaded. IPv6 in IPv6 (ip6tnl): the same on
#    7.x, the neighbour path through the tunnel device on 6.x. IPv6 in
#    IPv4 (sit): the neighbour path through sit-r. A GRE device (IPv4):
#    not offloaded.
#
#   client ---- router (flowlane: veth-rc, veth-rs) ---- server
#   gre-a: 10.0.1.2 <-> 10.0.2.2, inside 192.168.91.1 <-> .2
#   gre-n: 10.0.1.3 <-> 10.0.2.2, the router SNATs 10.0.1.3's GRE to
#          10.0.2.1 (the server's end has that for remote), inside
#          192.168.92.1 <-> .2
#   client veth-cb 10.0.5.2 ---- veth-rb [br-c 10.0.5.1] router
#   client veth-cv [vcv20 10.0.6.2] ---- veth-rv [vrv20 10.0.6.1] router
#   client veth-cx [vcx10 10.0.7.2] ---- veth-rx [vrx10] [br-x 10.0.7.1]
#   client veth-cy [vcy30 10.0.8.2] ---- veth-rt [br-t 10.0.8.1, pvid 30]
#   client veth-cu 10.0.9.2 ---- veth-ru [br-u] [bru40 10.0.9.1]
#   client veth-cq [vcq100] [vcq20 10.0.10.2] ---- veth-rq [vrq100] [vrq20 10.0.10.1]
#   client veth-cp [ppp0 10.0.11.2, fd11::2] ---- veth-rp [ppp-r 10.0.11.1] router
#   client veth-cw [vcw50] [ppp-cw 10.0.12.2] ---- veth-rw [vrw50] [ppp-w 10.0.12.1] router
#   client veth-ci 192.168.95.2 [tun-c 10.0.13.2] ---- veth-ri 192.168.95.1 [tun-r 10.0.13.1] router
#          veth-ci [sit-c fd14::2] ---- veth-ri [sit-r fd14::1]
#          veth-ci [gre-ci 10.0.14.2] ---- veth-ri [gre-ri 10.0.14.1]
#   client veth-cj fd95::2 [tun6-c fd13::2] ---- veth-rj fd95::1 [tun6-r fd13::1] router
#
# A device's share of a flow is counted by netdev chains on the flow's port
# (watch, below), not by the device's totals. IPv6 stays off where no
# IPv6 address is needed, and the neighbours are permanent all the same:
# as few router solicitations, MLD reports and ARP as can be.

source "$(dirname "$0")/engine_lib.sh"
need_root
router_at_threshold 0
modprobe -q ip_gre || { fail "modprobe ip_gre"; exit $ret; }

# v6off NS DEV...: IPv6 off on the devices (no router solicitation or MLD
# report in the counts).
v6off() {
	local ns=$1 dev
	shift
	for dev; do
		ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1" || return
	done
}

# pin NS ADDR DEV PEER_NS PEER_DEV: a permanent neighbour entry for ADDR
# on DEV, PEER_DEV's MAC address (no ARP in the counts).
pin() {
	ip -n "$1" neigh replace "$2" dev "$3" nud permanent \
		lladdr "$(ip -n "$4" -br link show "$5" | awk '{ print $3 }')"
}

# link CLIENT_DEV ROUTER_DEV: a veth pair between client and router, IPv6
# off on both ends, both up.
link() {
	ip link add "$1" netns "$cl" type veth peer name "$2" netns "$rt" &&
	v6off "$cl" "$1" && v6off "$rt" "$2" &&
	ip -n "$cl" link set "$1" up && ip -n "$rt" link set "$2" up
}

# vlan NS LOWER NAME ID [PROTO]: a VLAN device (802.1Q unless PROTO),
# IPv6 off, up.
vlan() {
	ip -n "$1" link add link "$2" name "$3" type vlan proto "${5:-802.1Q}" id "$4" &&
	v6off "$1" "$3" && ip -n "$1" link set "$3" up
}

# bridge_dev NAME [FILTERING]: a bridge of the router's, IPv6 off, up.
bridge_dev() {
	ip -n "$rt" link add "$1" type bridge vlan_filtering "${2:-0}" &&
	v6off "$rt" "$1" && ip -n "$rt" link set "$1" up
}

# via CLIENT_DEV ROUTER_DEV N: the client's 10.0.N.2 on CLIENT_DEV, the
# router's 10.0.N.1 on ROUTER_DEV, neighbours pinned both ways, and the
# client's route to the server by it.
via() {
	ip -n "$cl" addr add "10.0.$3.2/24" dev "$1" &&
	ip -n "$rt" addr add "10.0.$3.1/24" dev "$2" &&
	pin "$rt" "10.0.$3.2" "$2" "$cl" "$1" && pin "$cl" "10.0.$3.1" "$1" "$rt" "$2" &&
	ip -n "$cl" route replace 10.0.2.2/32 via "10.0.$3.1" src "10.0.$3.2"
}

# watch NS PORT DEV...: count the datagrams to or from the server's PORT
# that each DEV of NS receives (ingress) and sends (egress), before any
# other hook sees them. A device's own totals count more than the flow: a
# bridge's or pppd's own frames fell inside a counted window in runs on
# 6.12 ("expected '1 1 20', got '1 2 20'" on br-x, "'1 20', got '1 21'"
# on ppp-r).
watch() {
	local ns=$1 port=$2 dev
	shift 2
	for dev in "$@"; do
		# (Declared, deleted and made anew: a second watch of DEV starts
		# from 0.)
		ip netns exec "$ns" nft -f - <<NFT || return 1
table netdev watch-$dev
delete table netdev watch-$dev
table netdev watch-$dev {
	counter rx {}
	counter tx {}
	chain in { type filter hook ingress device "$dev" priority -1000; udp sport $port counter name rx; udp dport $port counter name rx; }
	chain out { type filter hook egress device "$dev" priority -1000; udp sport $port counter name tx; udp dport $port counter name tx; }
}
NFT
	done
}

# seen NS DEV rx|tx: the datagrams watch counted.
seen() { nft_counter "$1" netdev "watch-$2" "$3"; }

# by_kernel SIX SEVEN: SIX on 6.1 and 6.12, SEVEN on 7.x, whose core
# pushes a direct-transmit flow's VLAN tags itself.
by_kernel() { case $(uname -r) in 6.*) echo "$1" ;; *) echo "$2" ;; esac; }

# echoed20 WHAT PORT SPORT [ADDR]: 20 datagrams from the client's SPORT
# to the server's PORT (at ADDR, default 10.0.2.2), echoed in lock-step.
echoed20() {
	udp_recv "$sv" "$2" echo
	check_eq "$1: 20 echoed" "sent=20 echoed=20" \
		"$(ip netns exec "$cl" "$FLT" udp-ping "${4:-10.0.2.2}" "$2" 20 64 "$3")"
	check_eq "$1: the echo server got 20" 20 "$(received "$2")"
}

# echo20 WHAT PORT SPORT DEV [ADDR]: echoed20, and the first reply (the
# entry confirmed) offloads the flow: slow 1 + 1, fast 19 + 19, routed in
# by the router's DEV.
echo20() {
	local l
	echoed20 "$1" "$2" "$3" "$5"
	l=$(flow_line "osport=$3 ")
	check_eq "$1: offloaded, routed in by $4, slow 1 + 1, fast 19 + 19 (iif, slow, fast)" \
		"$(ip netns exec "$rt" cat "/sys/class/net/$4/ifindex") 1 1 19 19" \
		"$(kv iif <<< "$l") $(kv o_slow_p <<< "$l") $(kv r_slow_p <<< "$l") $(kv o_fast_p <<< "$l") $(kv r_fast_p <<< "$l")"
}

# gre NS NAME LOCAL REMOTE INNER/30: a GRE device with an inner address,
# IPv6 off on it.
gre() {
	ip -n "$1" link add "$2" type gre local "$3" remote "$4" &&
	v6off "$1" "$2" &&
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

# 3. Through the bridge, only br-c hooked.
{ ip link add veth-cb netns "$cl" type veth peer name veth-rb netns "$rt" &&
  ip -n "$rt" link add br-c type bridge &&
  ip -n "$rt" link set veth-rb master br-c &&
  v6off "$rt" veth-rb br-c && v6off "$cl" veth-cb &&
  ip -n "$rt" addr add 10.0.5.1/24 dev br-c &&
  ip -n "$cl" addr add 10.0.5.2/24 dev veth-cb &&
  ip -n "$rt" link set veth-rb up && ip -n "$rt" link set br-c up &&
  ip -n "$cl" link set veth-cb up &&
  ip -n "$cl" route add 10.0.2.2/32 via 10.0.5.1 src 10.0.5.2 &&
  fl dev add br-c; } || { fail "bridge set-up"; exit $ret; }
ip netns exec "$cl" ping -qc1 -W5 -I 10.0.5.2 10.0.2.2 > /dev/null || fail "bridge forwards"
echo20 bridge 5012 47003 br-c

# 4. The port hooked too. The bridge learned the client's address on
# veth-rb (case 3): the reply's way resolves to it. Both directions' first
# datagram takes the slow path through br-c, the other 19 pass beside it.
{ pin "$rt" 10.0.5.2 br-c "$cl" veth-cb && pin "$cl" 10.0.5.1 veth-cb "$rt" br-c &&
  fl dev add veth-rb; } || { fail "bridge port set-up"; exit $ret; }
watch "$rt" 5013 br-c || fail "bridge port: netdev counters"
echo20 "bridge port" 5013 47004 br-c
check_eq "bridge port: br-c received and sent the slow path's 1 + 1 only (rx tx)" "1 1" \
	"$(seen "$rt" br-c rx) $(seen "$rt" br-c tx)"

# 5. Unhooking br-c tears down the flows routed by it: case 3's and case
# 4's, whose core flow names veth-rb and veth-rs only.
td0=$(fl stats | kv td_device)
fl dev del br-c || fail "dev del br-c"
check_eq "bridge port: dev del br-c tore down both flows routed by it (td_device, records left)" \
	"$((td0 + 2)) 0" \
	"$(fl stats | kv td_device) $(flows_count 'osport=4700[34] ')"

# 6. Through a VLAN whose lower device is hooked: the client's route to
# the server now goes by it.
{ link veth-cv veth-rv && vlan "$cl" veth-cv vcv20 20 && vlan "$rt" veth-rv vrv20 20 &&
  via vcv20 vrv20 6 && fl dev add veth-rv && fl dev add vrv20; } || { fail "VLAN set-up"; exit $ret; }
watch "$rt" 5014 vrv20 || fail "VLAN: netdev counters"
echo20 VLAN 5014 47005 vrv20
check_eq "VLAN: vrv20 received the slow path's datagram only" 1 "$(seen "$rt" vrv20 rx)"
# The replies: 7.x's core tags them itself and transmits on veth-rv; 6.1's
# and 6.12's transmit directly on vrv20, whose transmit tags them.
how=$(by_kernel "all 20 replies, the fast path's transmitted on it" \
	"the slow path's reply only, the fast path's tagged by the core on veth-rv")
check_eq "VLAN: vrv20 sent $how" "$(by_kernel 20 1)" "$(seen "$rt" vrv20 tx)"

# 7. A VLAN device as the bridge's port, as nft_flowtable.sh's "bridge and
# VLAN": the replies leave by vrx10 on 6.x (its transmit tags them), by
# veth-rx on 7.x; br-x passes the slow path's only.
{ link veth-cx veth-rx && vlan "$cl" veth-cx vcx10 10 && vlan "$rt" veth-rx vrx10 10 &&
  bridge_dev br-x && ip -n "$rt" link set vrx10 master br-x &&
  via vcx10 br-x 7 && fl dev add veth-rx && fl dev add br-x; } ||
	{ fail "VLAN port set-up"; exit $ret; }
ip netns exec "$cl" ping -qc1 -W5 -I 10.0.7.2 10.0.2.2 > /dev/null || fail "VLAN port: br-x forwards"
{ watch "$rt" 5015 br-x vrx10 && watch "$cl" 5015 vcx10; } || fail "VLAN port: netdev counters"
echo20 "VLAN port" 5015 47006 br-x
check_eq "VLAN port: br-x received and sent the slow path's 1 + 1 only, vrx10 sent $(by_kernel 20 1) (rx tx vrx10-tx)" \
	"1 1 $(by_kernel 20 1)" "$(seen "$rt" br-x rx) $(seen "$rt" br-x tx) $(seen "$rt" vrx10 tx)"
check_eq "VLAN port: the client's vcx10 received the 20 replies tagged" 20 "$(seen "$cl" vcx10 rx)"

# 8. A filtering bridge that tags on its port: br-t's own frames are in
# VLAN 30 (its pvid, untagged on br-t), veth-rt carries 30 tagged.
{ link veth-cy veth-rt && vlan "$cl" veth-cy vcy30 30 && bridge_dev br-t 1 &&
  ip -n "$rt" link set veth-rt master br-t &&
  bridge -n "$rt" vlan del dev veth-rt vid 1 && bridge -n "$rt" vlan add dev veth-rt vid 30 &&
  bridge -n "$rt" vlan del dev br-t vid 1 self && bridge -n "$rt" vlan add dev br-t vid 30 pvid untagged self &&
  via vcy30 br-t 8 && fl dev add veth-rt && fl dev add br-t; } ||
	{ fail "tagging bridge set-up"; exit $ret; }
ip netns exec "$cl" ping -qc1 -W5 -I 10.0.8.2 10.0.2.2 > /dev/null || fail "tagging bridge: br-t forwards"
{ watch "$rt" 5016 br-t && watch "$cl" 5016 vcy30; } || fail "tagging bridge: netdev counters"
echo20 "tagging bridge" 5016 47007 br-t
check_eq "tagging bridge: br-t received and sent $(by_kernel "all 20 + 20 (no tag pushed by 6.x's core)" "the slow path's 1 + 1 only") (rx tx)" \
	"$(by_kernel "20 20" "1 1")" \
	"$(seen "$rt" br-t rx) $(seen "$rt" br-t tx)"
check_eq "tagging bridge: the client's vcy30 received the 20 replies tagged" 20 "$(seen "$cl" vcy30 rx)"

# 9. A VLAN device on a filtering bridge whose port untags: bru40's frames
# are in VLAN 40 on br-u, untagged on veth-ru. 6.x transmits the replies
# on bru40 (tagged, then untagged by the bridge on its port), 7.x on
# veth-ru; the client's packets are taken by veth-ru's hook on both.
{ link veth-cu veth-ru && bridge_dev br-u 1 && ip -n "$rt" link set veth-ru master br-u &&
  bridge -n "$rt" vlan add dev veth-ru vid 40 pvid untagged &&
  bridge -n "$rt" vlan add dev br-u vid 40 self && vlan "$rt" br-u bru40 40 &&
  via veth-cu bru40 9 && fl dev add veth-ru && fl dev add bru40; } ||
	{ fail "untagging bridge set-up"; exit $ret; }
ip netns exec "$cl" ping -qc1 -W5 -I 10.0.9.2 10.0.2.2 > /dev/null || fail "untagging bridge: bru40 forwards"
{ watch "$rt" 5017 bru40 br-u && watch "$cl" 5017 veth-cu; } || fail "untagging bridge: netdev counters"
echo20 "untagging bridge" 5017 47008 bru40
check_eq "untagging bridge: bru40 and br-u received the slow path's 1 only, bru40 sent $(by_kernel 20 1) (rx br-rx tx)" \
	"1 1 $(by_kernel 20 1)" "$(seen "$rt" bru40 rx) $(seen "$rt" br-u rx) $(seen "$rt" bru40 tx)"
check_eq "untagging bridge: the client's veth-cu received the 20 replies" 20 "$(seen "$cl" veth-cu rx)"

# 10. QinQ: two tags, the way vrq20, vrq100, veth-rq. 6.x transmits the
# replies on vrq20 (the VLAN devices tag them), 7.x on veth-rq.
{ link veth-cq veth-rq &&
  vlan "$cl" veth-cq vcq100 100 802.1ad && vlan "$cl" vcq100 vcq20 20 &&
  vlan "$rt" veth-rq vrq100 100 802.1ad && vlan "$rt" vrq100 vrq20 20 &&
  via vcq20 vrq20 10 && fl dev add veth-rq && fl dev add vrq20; } ||
	{ fail "QinQ set-up"; exit $ret; }
{ watch "$rt" 5018 vrq20 vrq100 && watch "$cl" 5018 vcq20; } || fail "QinQ: netdev counters"
echo20 QinQ 5018 47009 vrq20
check_eq "QinQ: vrq20 and vrq100 received the slow path's 1 only, vrq20 sent $(by_kernel 20 1) (rx outer-rx tx)" \
	"1 1 $(by_kernel 20 1)" "$(seen "$rt" vrq20 rx) $(seen "$rt" vrq100 rx) $(seen "$rt" vrq20 tx)"
check_eq "QinQ: the client's vcq20 received the 20 replies, both tags on" 20 "$(seen "$cl" vcq20 rx)"

# gso_xfer WHAT CLIENT_ADDR PORT OUT_DEV MAX WHY: 1 MiB from the server to
# CLIENT_ADDR:PORT over TCP; the server's veth hands the router GSO packets
# of several segments, and OUT_DEV must be handed no frame over MAX bytes
# (WHY: the headers that make MAX). The fast path carries it.
gso_xfer() {
	local fast0
	ip netns exec "$rt" nft -f - <<NFT || fail "$1: netdev length counters"
table netdev gso-$3 {
	counter gso_in {}
	counter big_out {}
	chain in { type filter hook ingress device "veth-rs" priority -1000; tcp dport $3 meta length > 1500 counter name gso_in; }
	chain out { type filter hook egress device "$4" priority -1000; meta length > $5 counter name big_out; }
}
NFT
	fast0=$(fl stats | kv fast_packets)
	check_eq "$1: 1 MiB from the server arrives in full over TCP" 1048576 \
		"$(tcp_xfer "$2" "$3" 1048576 "$sv" "$cl")"
	check_eq "$1: the server's GSO packets reached the router (veth-rs received some over 1500 bytes)" yes \
		"$([ "$(nft_counter "$rt" netdev "gso-$3" gso_in)" -gt 0 ] && echo yes)"
	check_eq "$1: $4 was handed no frame over $5 bytes ($6)" 0 \
		"$(nft_counter "$rt" netdev "gso-$3" big_out)"
	# fast_packets: folded by the sweep, the flow's share at its
	# teardown (FIN).
	wait_for 5 fast_grew "$fast0"
	check_eq "$1: the TCP transfer took the fast path (fast_packets grew)" yes \
		"$(fast_grew "$fast0" && echo yes)"
}
fast_grew() { [ "$(fl stats | kv fast_packets)" -gt "$1" ]; }

# 11. PPPoE, IPv4 and IPv6 (IPV6CP: link-local addresses on both ends),
# no LCP echo or compression on the link. veth-rp computes checksums
# itself (tx off): 7.x's core hands it the replies with their UDP checksum
# still to be filled in (CHECKSUM_PARTIAL, as from the server's veth), which
# a NIC does on transmit but a veth passes on as is, and the client's
# user-space pppoe reads the frames from a packet socket unfilled.
for t in pppd pppoe-server ethtool; do
	command -v "$t" > /dev/null || { fail "$t not found: run 'make deps' (installs ppp, pppoe, ethtool)"; exit $ret; }
done
modprobe -q pppoe || { fail "modprobe pppoe"; exit $ret; }
ppp_opts="noauth lcp-echo-interval 0 novj noccp nopcomp noaccomp mtu 1492 mru 1492"
# ppp_dial CLIENT_DEV ROUTER_DEV PPP N OPTS [CLIENT_PPP]: the client's
# pppoe-server on CLIENT_DEV (its end 10.0.N.2, the device named
# CLIENT_PPP if given) and the router's pppd dialling it in kernel mode on
# ROUTER_DEV as PPP (10.0.N.1), both with the options OPTS; pppd's output
# in $FL_TMP/pppd-PPP.
ppp_dial() {
	tr ' ' '\n' <<< "$5${6:+ ifname $6}" > "$FL_TMP/pppoe-server-$3" &&
	ip netns exec "$cl" pppoe-server -I "$1" -L "10.0.$4.2" -R "10.0.$4.1" -N 1 \
		-O "$FL_TMP/pppoe-server-$3" -X "$FL_TMP/pppoe-server-$3.pid" &&
	timeout $((30 * FL_SCALE)) ip netns exec "$rt" pppd plugin rp-pppoe.so "$2" ifname "$3" \
		noipdefault ipcp-accept-local ipcp-accept-remote nodefaultroute updetach $5 > "$FL_TMP/pppd-$3"
}
# The client's end is configured by its own pppd, a moment after the
# router's reports the link up; IPV6CP may finish after IPCP.
ppp_up() {
	ip -n "$cl" -4 addr show dev ppp0 2> /dev/null | grep -q 'inet 10.0.11.2 ' &&
	ip -n "$cl" -6 addr show dev ppp0 2> /dev/null | grep -q 'inet6 fe80:' &&
	ip -n "$rt" -6 addr show dev ppp-r 2> /dev/null | grep -q 'inet6 fe80:'
}
{ link veth-cp veth-rp && ip netns exec "$rt" ethtool -K veth-rp tx off > /dev/null &&
  ppp_dial veth-cp veth-rp ppp-r 11 "$ppp_opts +ipv6" && wait_for 10 ppp_up &&
  ip -n "$cl" route replace 10.0.2.2/32 dev ppp0 src 10.0.11.2 &&
  ip -n "$cl" addr add fd11::2/128 dev ppp0 nodad &&
  ip -n "$cl" -6 route replace fd02::2/128 dev ppp0 src fd11::2 &&
  ip -n "$rt" -6 route add fd11::2/128 dev ppp-r &&
  fl dev add veth-rp && fl dev add ppp-r; } ||
	{ fail "PPPoE set-up: $(cat "$FL_TMP/pppd-ppp-r" 2> /dev/null | tail -3 | xargs)"; exit $ret; }
{ watch "$rt" 5019 ppp-r && watch "$cl" 5019 ppp0; } || fail "PPPoE: netdev counters"
echo20 PPPoE 5019 47010 ppp-r
check_eq "PPPoE: ppp-r received the slow path's 1 only, sent $(by_kernel 20 1) (rx tx)" \
	"1 $(by_kernel 20 1)" "$(seen "$rt" ppp-r rx) $(seen "$rt" ppp-r tx)"
check_eq "PPPoE: the client's ppp0 received the 20 replies" 20 "$(seen "$cl" ppp0 rx)"
# The same over IPv6 (the core pops and pushes the session header for
# either protocol).
{ watch "$rt" 5021 ppp-r && watch "$cl" 5021 ppp0; } || fail "PPPoE IPv6: netdev counters"
echo20 "PPPoE IPv6" 5021 47012 ppp-r fd02::2
check_eq "PPPoE IPv6: ppp-r received the slow path's 1 only, sent $(by_kernel 20 1) (rx tx)" \
	"1 $(by_kernel 20 1)" "$(seen "$rt" ppp-r rx) $(seen "$rt" ppp-r tx)"
check_eq "PPPoE IPv6: the client's ppp0 received the 20 replies" 20 "$(seen "$cl" ppp0 rx)"
# 1 MiB server -> client over TCP, full-size segments through the session
# (MSS 1452 for the PPPoE MTU of 1492). The server's veth hands the router
# GSO packets of several segments; veth-rp must be handed frames of the
# session's size only: 7.x's core, which pushes the session header itself,
# segments first (needs_gso_segment, which stock sets for PPPoE), 6.x
# transmits on ppp-r, which segments before its channel. A GSO packet with
# the header pushed would still arrive on 7.3, whose pppoe module segments
# PPPoE on veth-rp (pppoe_gso_segment): only its length at veth-rp's
# egress shows it (without the flag, 218 of them in a run on 7.3).
gso_xfer PPPoE 10.0.11.2 5020 veth-rp 1514 "Ethernet 14 + PPPoE 8 + MTU 1492"

# 12. The session ends under the offloaded echo flows: the router's pppd
# hangs up while the client keeps sending, and ppp-r goes away. The flows
# routed by it are torn down with it (reason device), although on 7.x the
# core's flows name veth-rp only, which stays.
check_eq "PPPoE hang-up: the IPv4 and IPv6 echo flows are still offloaded" "1 1" \
	"$(flows_count 'osrc=10.0.11.2 ') $(flows_count 'osrc=fd11::2 ')"
td0=$(fl stats | kv td_device)
ip netns exec "$cl" "$FLT" udp-send 10.0.2.2 5019 3000 64 47010 1000 > /dev/null 2>&1 &
sender=$!
sleep 0.5
pkill -f "pppd plugin rp-pppoe.so veth-rp ifname ppp-r" || fail "PPPoE hang-up: no pppd to stop"
ppp_gone() { ! ip -n "$rt" link show ppp-r > /dev/null 2>&1; }
wait_for 10 ppp_gone || fail "PPPoE hang-up: ppp-r still there"
wait "$sender"
fold_wait td_device $((td0 + 2))
# (The client's datagrams after its own ppp0 went are routed by veth-cl
# from 10.0.1.2: a new flow.)
check_eq "PPPoE hang-up: both flows torn down with ppp-r (td_device, records left)" "$((td0 + 2)) 0 0" \
	"$(fl stats | kv td_device) $(flows_count 'osrc=10.0.11.2 ') $(flows_count 'osrc=fd11::2 ')"
check_eq "PPPoE hang-up: veth-rp still hooked, ppp-r gone" \
	"veth-rc veth-rs veth-rb veth-rv vrv20 veth-rx br-x veth-rt br-t veth-ru bru40 veth-rq vrq20 veth-rp" \
	"$(ip netns exec "$rt" "$FLOWLANE" dev list 2>&1 | xargs)"

# 13. PPPoE over a VLAN, as access lines are often delivered (the session
# in VLAN 50: vrw50 on veth-rw): the core pops the tag and the session
# header at veth-rw's hook, before vrw50 and ppp-w. The replies leave by
# ppp-w on 6.x (its channel adds the session header, vrw50 the tag), by
# veth-rw on 7.x with both pushed by the core, GSO packets segmented
# first. IPv4 only; the client's end is named ppp-cw.
ppp_w_up() { ip -n "$cl" -4 addr show dev ppp-cw 2> /dev/null | grep -q 'inet 10.0.12.2 '; }
{ link veth-cw veth-rw && vlan "$cl" veth-cw vcw50 50 && vlan "$rt" veth-rw vrw50 50 &&
  ip netns exec "$rt" ethtool -K veth-rw tx off > /dev/null &&
  ppp_dial vcw50 vrw50 ppp-w 12 "$ppp_opts" ppp-cw && wait_for 10 ppp_w_up &&
  ip -n "$cl" route replace 10.0.2.2/32 dev ppp-cw src 10.0.12.2 &&
  fl dev add veth-rw && fl dev add ppp-w; } ||
	{ fail "PPPoE over VLAN set-up: $(cat "$FL_TMP/pppd-ppp-w" 2> /dev/null | tail -3 | xargs)"; exit $ret; }
{ watch "$rt" 5022 ppp-w && watch "$cl" 5022 ppp-cw; } || fail "PPPoE over VLAN: netdev counters"
echo20 "PPPoE over VLAN" 5022 47013 ppp-w
check_eq "PPPoE over VLAN: ppp-w received the slow path's 1 only, sent $(by_kernel 20 1) (rx tx)" \
	"1 $(by_kernel 20 1)" "$(seen "$rt" ppp-w rx) $(seen "$rt" ppp-w tx)"
check_eq "PPPoE over VLAN: the client's ppp-cw received the 20 replies" 20 "$(seen "$cl" ppp-cw rx)"
# (1514 bytes with the tag beside the frame, as an accelerated tag, 1518
# with it in the frame: one segment either way.)
gso_xfer "PPPoE over VLAN" 10.0.12.2 5023 veth-rw 1518 "Ethernet 14 + VLAN 4 + PPPoE 8 + MTU 1492"

# tunnel_echo WHAT PORT SPORT RDEV CDEV ADDR WAY: 20 datagrams echoed
# through a tunnel from the client's CDEV to the router's RDEV (both
# watched), to the server's ADDR. WAY tunnel: offloaded on the core's
# tunnel way (echo20), RDEV passes the slow path's 1 + 1 only; device:
# offloaded on the neighbour path through RDEV (echo20), which passes all
# 20 + 20; slow: not offloaded, RDEV passes all 20 + 20. CDEV gets the 20
# replies in every case.
tunnel_echo() {
	local offloads
	{ watch "$rt" "$2" "$4" && watch "$cl" "$2" "$5"; } || fail "$1: netdev counters"
	offloads=$(fl stats | kv offloads_total)
	if [ "$7" = slow ]; then
		echoed20 "$1" "$2" "$3" "$6"
		check_eq "$1: not offloaded (offloads_total unchanged, no record)" "$offloads " \
			"$(fl stats | kv offloads_total) $(flow_line "osport=$3 ")"
	else
		echo20 "$1" "$2" "$3" "$4" "$6"
	fi
	if [ "$7" = tunnel ]; then
		check_eq "$1: $4 received and sent the slow path's 1 + 1 only (rx tx)" "1 1" \
			"$(seen "$rt" "$4" rx) $(seen "$rt" "$4" tx)"
	else
		check_eq "$1: $4 received and sent all 20 + 20 (rx tx)" "20 20" \
			"$(seen "$rt" "$4" rx) $(seen "$rt" "$4" tx)"
	fi
	check_eq "$1: the client's $5 received the 20 replies" 20 "$(seen "$cl" "$5" rx)"
}

# tunnel_tcp WHAT ADDR PORT WAY: 1 MiB from the server to the client's
# ADDR over TCP through the tunnel, in full; the flow offloaded unless WAY
# is slow (full-size segments inside the tunnel: 7.x's tunnel way gives the
# server's GSO packets their outer header, GSO type IPXIP4 or IPXIP6).
tunnel_tcp() {
	local offloads
	offloads=$(fl stats | kv offloads_total)
	check_eq "$1: 1 MiB from the server arrives in full over TCP" 1048576 \
		"$(tcp_xfer "$2" "$3" 1048576 "$sv" "$cl")"
	check_eq "$1: the TCP flow $(if [ "$4" = slow ]; then echo "not offloaded"; else echo offloaded; fi) (offloads_total grew by)" \
		"$(if [ "$4" = slow ]; then echo 0; else echo 1; fi)" \
		"$(($(fl stats | kv offloads_total) - offloads))"
}

# 14. IP-in-IP: the client's tun-c to the router's tun-r, over veth-ci and
# veth-ri (both hooked). 7.x: offloaded, tun-r receives and sends the slow
# path's 1 only. 6.x, whose core has no way through an ipip device but its
# neighbour path (which carried 1 of 20 packets fast): not offloaded, all
# 20 each way pass tun-r on the slow path.
{ modprobe -q ipip && link veth-ci veth-ri &&
  ip -n "$cl" addr add 192.168.95.2/24 dev veth-ci && ip -n "$rt" addr add 192.168.95.1/24 dev veth-ri &&
  pin "$rt" 192.168.95.2 veth-ri "$cl" veth-ci && pin "$cl" 192.168.95.1 veth-ci "$rt" veth-ri &&
  ip -n "$cl" link add tun-c type ipip local 192.168.95.2 remote 192.168.95.1 &&
  ip -n "$rt" link add tun-r type ipip local 192.168.95.1 remote 192.168.95.2 &&
  ip -n "$cl" addr add 10.0.13.2/32 dev tun-c && ip -n "$rt" addr add 10.0.13.1/32 dev tun-r &&
  ip -n "$cl" link set tun-c up && ip -n "$rt" link set tun-r up &&
  ip -n "$rt" route add 10.0.13.2/32 dev tun-r &&
  ip -n "$cl" route replace 10.0.2.2/32 dev tun-c src 10.0.13.2 &&
  fl dev add veth-ri && fl dev add tun-r; } || { fail "IPIP set-up"; exit $ret; }
tunnel_echo IPIP 5024 47014 tun-r tun-c 10.0.2.2 "$(by_kernel slow tunnel)"
tunnel_tcp IPIP 10.0.13.2 5025 "$(by_kernel slow tunnel)"

# 15. IPv6 in IPv6: ip6tnl devices tun6-c and tun6-r (encaplimit none, as
# 7.x's core requires of its way) over veth-cj and veth-rj (IPv6 on, both
# router devices hooked): on 7.x the tunnel's way, as IP-in-IP; on 6.x the
# neighbour path through tun6-r, which carries an IPv6 flow fast.
{ modprobe -q ip6_tunnel && link veth-cj veth-rj &&
  ip netns exec "$cl" sysctl -qw net.ipv6.conf.veth-cj.disable_ipv6=0 &&
  ip netns exec "$rt" sysctl -qw net.ipv6.conf.veth-rj.disable_ipv6=0 &&
  ip -n "$cl" addr add fd95::2/64 dev veth-cj nodad && ip -n "$rt" addr add fd95::1/64 dev veth-rj nodad &&
  pin "$rt" fd95::2 veth-rj "$cl" veth-cj && pin "$cl" fd95::1 veth-cj "$rt" veth-rj &&
  ip -n "$cl" link add tun6-c type ip6tnl mode ip6ip6 local fd95::2 remote fd95::1 encaplimit none &&
  ip -n "$rt" link add tun6-r type ip6tnl mode ip6ip6 local fd95::1 remote fd95::2 encaplimit none &&
  ip -n "$cl" addr add fd13::2/128 dev tun6-c nodad && ip -n "$rt" addr add fd13::1/128 dev tun6-r nodad &&
  ip -n "$cl" link set tun6-c up && ip -n "$rt" link set tun6-r up &&
  ip -n "$rt" -6 route add fd13::2/128 dev tun6-r &&
  ip -n "$cl" -6 route replace fd02::2/128 dev tun6-c src fd13::2 &&
  fl dev add veth-rj && fl dev add tun6-r; } || { fail "ip6tnl set-up"; exit $ret; }
tunnel_echo ip6tnl 5026 47015 tun6-r tun6-c fd02::2 "$(by_kernel device tunnel)"
tunnel_tcp ip6tnl fd13::2 5027 "$(by_kernel device tunnel)"

# 16. IPv6 in IPv4 (sit) and GRE devices over veth-ci and veth-ri, every
# router device hooked; no kernel's core has a tunnel way through them.
# The IPv6 flow through sit takes the neighbour path through sit-r; the
# IPv4 flow through the GRE device is not offloaded (as through ipip on
# 6.x: the neighbour path through it failed).
{ modprobe -q sit &&
  ip -n "$cl" link add sit-c type sit local 192.168.95.2 remote 192.168.95.1 &&
  ip -n "$rt" link add sit-r type sit local 192.168.95.1 remote 192.168.95.2 &&
  ip -n "$cl" addr add fd14::2/128 dev sit-c nodad && ip -n "$rt" addr add fd14::1/128 dev sit-r nodad &&
  ip -n "$cl" link set sit-c up && ip -n "$rt" link set sit-r up &&
  ip -n "$rt" -6 route add fd14::2/128 dev sit-r &&
  ip -n "$cl" -6 route replace fd02::2/128 dev sit-c src fd14::2 &&
  fl dev add sit-r; } || { fail "sit set-up"; exit $ret; }
tunnel_echo sit 5028 47016 sit-r sit-c fd02::2 device
{ ip -n "$cl" link add gre-ci type gre local 192.168.95.2 remote 192.168.95.1 &&
  ip -n "$rt" link add gre-ri type gre local 192.168.95.1 remote 192.168.95.2 &&
  v6off "$cl" gre-ci && v6off "$rt" gre-ri &&
  ip -n "$cl" addr add 10.0.14.2/32 dev gre-ci && ip -n "$rt" addr add 10.0.14.1/32 dev gre-ri &&
  ip -n "$cl" link set gre-ci up && ip -n "$rt" link set gre-ri up &&
  ip -n "$rt" route add 10.0.14.2/32 dev gre-ri &&
  ip -n "$cl" route replace 10.0.2.2/32 dev gre-ci src 10.0.14.2 &&
  fl dev add gre-ri; } || { fail "GRE device set-up"; exit $ret; }
tunnel_echo "GRE device" 5029 47017 gre-ri gre-ci 10.0.2.2 slow
exit $ret
