#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A flow keeps the MAC addresses it was offloaded with (direct transmit
# writes them itself). When a flowlane device changes its MAC address, or
# goes down, its flows go back to the slow path at once (teardown reason
# "device", also with the stock flowtable's own cleanup loaded) and are offloaded again from what is true then. The server
# counts, by source MAC, the frames the router sends it: after the change,
# every one carries the new address.
#
#   client ---- (veth-rc) router (veth-rs, MAC changed) ---- server

source "$(dirname "$0")/engine_lib.sh"
need_root
# The stock flowtable's own NETDEV_DOWN cleanup (nft_flow_offload, loaded
# wherever nftables offloads flows, often before flowlane) also tears down
# flowlane's flows: the reason must still read "device".
# Loaded in that order here, whatever the tests before this one loaded.
module_loaded && { rmmod flowlane || { fail "rmmod flowlane"; exit $ksft_fail; }; }
modprobe nft_flow_offload || { fail "modprobe nft_flow_offload"; exit $ksft_fail; }
load_engine
setup_topo
old_mac=02:00:00:00:0a:01
new_mac=02:00:00:00:0a:02
ip -n "$rt" link set veth-rs address $old_mac
# Down and up must not lose the router's IPv6 addresses.
ip netns exec "$rt" sysctl -qw net.ipv6.conf.veth-rc.keep_addr_on_down=1
ip -n "$sv" neigh flush dev veth-sv
ip netns exec "$cl" ping -qc1 -W5 10.0.2.2 > /dev/null &&
	ip netns exec "$cl" ping -6 -qc1 -W5 fd02::2 > /dev/null ||
	{ fail "topology does not forward after the MAC change"; exit $ksft_fail; }
ip netns exec "$sv" nft -f - <<NFT || { fail "server's counting ruleset"; exit $ksft_fail; }
table netdev count {
	counter old { }
	counter new { }
	chain in {
		type filter hook ingress device veth-sv priority 0;
		udp dport 5000 ether saddr $old_mac counter name old
		udp dport 5000 ether saddr $new_mac counter name new
	}
}
NFT
fl_devs

udp_recv "$sv" 5000
send_udp 10.0.2.2 5000 10 64 45001
send_udp fd02::2 5000 10 64 45002
check_eq "IPv4 UDP flow offloaded" 1 "$(flow_line 'osport=45001 ' | kv state)"
check_eq "IPv6 UDP flow offloaded" 1 "$(flow_line 'osport=45002 ' | kv state)"

# The router's server-side MAC changes under the offloaded flows.
ip -n "$rt" link set veth-rs address $new_mac
ip -n "$sv" neigh flush dev veth-sv	# no gratuitous ARP by default
fold_wait td_device 2 flows 0
check_eq "MAC change: both flows through veth-rs torn down (device)" 2 "$(fl stats | kv td_device)"
check_eq "MAC change: no flow left offloaded" "" "$(flows)"
send_udp 10.0.2.2 5000 10 64 45001
send_udp fd02::2 5000 10 64 45002
check_eq "both flows offloaded again" "1 1" \
	"$(flow_line 'osport=45001 ' | kv state) $(flow_line 'osport=45002 ' | kv state)"
check_eq "frames from the old MAC: the 20 sent before the change" 20 "$(nft_counter "$sv" netdev count old)"
check_eq "frames from the new MAC: the 20 sent after it" 20 "$(nft_counter "$sv" netdev count new)"

# The client-side device goes down and up under the offloaded flows.
ip -n "$rt" link set veth-rc down
fold_wait td_device 4 flows 0
check_eq "link down: both flows through veth-rc torn down (device)" 4 "$(fl stats | kv td_device)"
check_eq "link down: no flow left offloaded" "" "$(flows)"
ip -n "$rt" link set veth-rc up
wait_for 10 bash -c "ip netns exec $cl ping -qc1 -W1 10.0.2.2 > /dev/null" ||
	fail "IPv4 does not forward after the link came back"
wait_for 10 bash -c "ip netns exec $cl ping -6 -qc1 -W1 fd02::2 > /dev/null" ||
	fail "IPv6 does not forward after the link came back"
send_udp 10.0.2.2 5000 10 64 45001
send_udp fd02::2 5000 10 64 45002
check_eq "after the link came back: both flows offloaded again" "1 1" \
	"$(flow_line 'osport=45001 ' | kv state) $(flow_line 'osport=45002 ' | kv state)"
check_eq "every datagram arrived" 60 "$(received 5000)"
check_eq "frames from the new MAC: 40" 40 "$(nft_counter "$sv" netdev count new)"
check_eq "netns: 6 offloads (each flow 3 times)" 6 "$(fl stats | kv offloads_total)"
exit $ret
