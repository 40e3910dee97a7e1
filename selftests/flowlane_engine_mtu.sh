#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A smaller MTU in the middle, both families: the router's link to the
# server has MTU 1400 while client and server have 1500. Offloaded flows'
# oversize packets fall back to the slow path, which sends ICMP "fragmentation
# needed" / ICMPv6 "packet too big"; the client learns the path MTU. Then the
# link's MTU shrinks to 1280 while the flows are offloaded: flowlane takes
# them back to the slow path (a flow checks packets against the MTU it was
# offloaded with), the client learns 1280, and TCP transfers arrive whole.
#
#   client (mtu 1500) ---- router ==(veth-rs mtu 1400, then 1280)== server (mtu 1500)

source "$(dirname "$0")/engine_lib.sh"
need_root
load_engine
setup_topo
ip -n "$rt" link set veth-rs mtu 1400
fl_devs

udp_recv "$sv" 5000
send_udp 10.0.2.2 5000 10 64 45001
send_udp fd02::2 5000 10 64 45002
check_eq "IPv4 UDP flow offloaded" 1 "$(flow_line 'osport=45001 ' | kv state)"
check_eq "IPv6 UDP flow offloaded" 1 "$(flow_line 'osport=45002 ' | kv state)"
# One 1450-byte datagram (DF for IPv4) on each offloaded flow.
send_udp 10.0.2.2 5000 1 1450 45001
send_udp fd02::2 5000 1 1450 45002
check_match "IPv4: the client learnt path MTU 1400 from the router" "mtu 1400" \
	"$(ip -n "$cl" route get 10.0.2.2)"
check_match "IPv6: the client learnt path MTU 1400 from the router" "mtu 1400" \
	"$(ip -n "$cl" -6 route get fd02::2)"
check_eq "IPv4 flow still offloaded after its oversize packet" 1 "$(flow_line 'osport=45001 ' | kv state)"

# The MTU shrinks under the offloaded flows: 1350 bytes fit the flows'
# remembered 1400 but not the link any more.
ip -n "$rt" link set veth-rs mtu 1280
fold_wait td_device 2
check_eq "MTU change: both flows through veth-rs torn down (device)" 2 "$(fl stats | kv td_device)"
send_udp 10.0.2.2 5000 1 1350 45001
send_udp fd02::2 5000 1 1350 45002
check_match "IPv4: the client learnt the new path MTU 1280" "mtu 1280" \
	"$(ip -n "$cl" route get 10.0.2.2)"
check_match "IPv6: the client learnt the new path MTU 1280" "mtu 1280" \
	"$(ip -n "$cl" -6 route get fd02::2)"
check_eq "the small datagrams arrived, the oversize ones did not" 20 "$(received 5000)"

for dst in 10.0.2.2 fd02::2; do
	check_eq "TCP to $dst over the 1280 link: 2 MiB arrive whole" 2097152 "$(tcp_xfer $dst 5001 2097152)"
done
check_eq "netns: 4 offloads (2 UDP, 2 TCP)" 4 "$(fl stats | kv offloads_total)"
exit $ret
