#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Faults under traffic (issue 7): a firewall change, the per-tag cap,
# `conntrack -F`, a full conntrack table, deletion of a fast-path device,
# deletion of a namespace holding offloaded flows, module unload and reload.
# Each with iperf3 TCP (and UDP) flowing through the router, then exact
# outcomes. A long-lived TCP echo connection (the "chat", client ->
# server:7000) that the policy allows throughout must echo a line after
# every fault; a fresh UDP flow must be offloaded and counted exactly.
# guest.sh fails the run on any kernel report (and scans kmemleak on the
# debug kernel). Allocation failures: flowlane_failslab.sh.
#
#   client2 10.0.3.2 -- veth-rc2 -.
#   client  10.0.1.2 -- veth-rc  -+- router (flowlane) -- veth-rs -- server 10.0.2.2
#                                                                     echo :7000 :7001
#                                                                     iperf3 :5201 :5202
#   and, for the namespace deletion, a second client/router/server.

source "$(dirname "$0")/faults_lib.sh"
need_root
checktool "conntrack --version" "flushes and reads conntrack"
checktool "iperf3 --version" "TCP traffic"
start=$SECONDS
load_engine
setup_topo
fl_devs

# The second client, through a third flowlane device.
setup_ns cl2 || exit $ksft_fail
ip link add veth-c2 netns "$cl2" type veth peer name veth-rc2 netns "$rt"
ip -n "$cl2" addr add 10.0.3.2/24 dev veth-c2
ip -n "$rt" addr add 10.0.3.1/24 dev veth-rc2
ip -n "$cl2" link set veth-c2 up
ip -n "$rt" link set veth-rc2 up
ip -n "$cl2" route add default via 10.0.3.1
ip netns exec "$cl2" ping -qc1 -W5 10.0.2.2 > /dev/null || { fail "client2 does not reach the server"; exit $ksft_fail; }
fl dev add veth-rc2 || fail "dev add veth-rc2"

# Tag 30 (dport 6003) for the cap; the deny chain runs before it and holds
# the firewall change.
ip netns exec "$rt" nft -f - <<NFT || fail "router ruleset"
table inet flt {
	counter denied_tcp {}
	counter denied_udp {}
	chain deny { type filter hook forward priority -10; }
	chain tagging { type filter hook forward priority 0; udp dport 6003 ct mark set 30; }
}
NFT
for p in 7000 7001; do
	ip netns exec "$sv" /usr/bin/python3 "$NETPEER" tcp-echo $p &
done
iperf_servers 5201 5202
listening() { [ "$(ip netns exec "$sv" ss -Hltn | grep -cE ':(7000|7001|5201|5202) ')" = 4 ]; }
wait_for 30 listening || fail "echo and iperf3 servers listening: $(ip netns exec "$sv" ss -Hltn | xargs)"

chat_open main "$cl" 10.0.2.2 7000
check_chat "before any fault"
check_eq "the chat connection is offloaded" 1 "$(chat_flow main | kv state)"

chat_not_tearing_down() { [ "$(chat_flow main | kv state)" != 2 ]; }
tag30_gone() { flow_gone 'odport=6003 '; }
ct_empty() { [ "$(ct_count)" = 0 ]; }
only_main_flows() { [ "$(stat_of flows)" = "$(cat /sys/kernel/flowlane/flows)" ]; }

# A drop rule for flows that are offloaded does not see them (the fast
# path skips the firewall); `flowlane flush` sends them back through it:
# after it returns, no packet of a denied flow gets through.
fault_firewall() {
	echo "# -- firewall change, then flowlane flush (at $((SECONDS - start)) s)"
	chat_open denied "$cl" 10.0.2.2 7001
	chat_say denied hello || fail "the soon denied connection echoes before the change"
	udp_recv "$sv" 7002
	send_udp 10.0.2.2 7002 10 64 47001
	check_eq "firewall: the soon denied UDP flow arrived" 10 "$(received 7002)"
	iperf_start fw 5201 6
	iperf_wait_offloaded 5201 || fail "firewall: iperf3 flow offloaded"
	check_eq "firewall: denied TCP and UDP flows offloaded before the change" "1 1" \
		"$(chat_flow denied | kv state) $(flow_line 'osport=47001 ' | kv state)"

	ip netns exec "$rt" nft add rule inet flt deny tcp dport 7001 counter name denied_tcp drop &&
		ip netns exec "$rt" nft add rule inet flt deny udp dport 7002 counter name denied_udp drop ||
		fail "firewall: add the drop rules"
	check_match "firewall: flowlane flush (the tool) returns" "^flushed [0-9]+ flows$" \
		"$(ip netns exec "$rt" "$FLOWLANE" flush)"

	udp_recv "$sv" 7002
	send_udp 10.0.2.2 7002 5 64 47001
	check_eq "firewall: no packet of the denied UDP flow arrives after the flush" 0 "$(received 7002)"
	check_eq "firewall: the drop rule counted each of its 5 packets" 5 "$(nft_counter "$rt" inet flt denied_udp)"
	chat_say denied after && fail "firewall: the denied TCP connection still echoes" ||
		pass "firewall: the denied TCP connection gets no echo after the flush"
	local n=$(nft_counter "$rt" inet flt denied_tcp)
	[ "${n:-0}" -ge 1 ] && pass "firewall: the TCP drop rule counted the denied segments ($n)" ||
		fail "firewall: expected the TCP drop rule to count at least 1 packet, got '$n'"
	check_eq "firewall: the denied flows are not offloaded again" "" \
		"$(chat_flow denied)$(flow_line 'osport=47001 ')"
	iperf_check fw "firewall"
	check_chat "firewall"
	check_eq "firewall: the chat connection is offloaded again" 1 "$(chat_flow main | kv state)"
	counted_flow "firewall" 45001
	ip netns exec "$rt" nft flush chain inet flt deny
}

# Tag 30 may offload 2 flows: 5 flows of 2 packets each (the second is the
# first eligible one) leave 3 refused, once each; they go on in the slow
# path, each of their eligible packets refused again.
fault_cap() {
	echo "# -- per-tag cap reached (at $((SECONDS - start)) s)"
	local p
	fl tag add cap 30 threshold 0 max 2 > /dev/null || fail "cap: tag add"
	iperf_start cap 5201 6
	iperf_wait_offloaded 5201 || fail "cap: iperf3 flow offloaded"
	udp_recv "$sv" 6003
	for p in 48001 48002 48003 48004 48005; do send_udp 10.0.2.2 6003 2 64 $p; done
	check_eq "cap: flows of tag 30 offloaded" 2 "$(flows_count 'odport=6003 .*state=1')"
	check_eq "cap: refused_cap equals the 3 excess flows" 3 "$(fl tag get cap | kv refused_cap)"
	for p in 48001 48002 48003 48004 48005; do send_udp 10.0.2.2 6003 5 64 $p; done
	check_eq "cap: every packet of the 5 flows arrived (slow path for 3 of them)" 35 "$(received 6003)"
	check_eq "cap: refused again once per eligible packet of the 3 refused flows (3 + 15)" 18 \
		"$(fl tag get cap | kv refused_cap)"
	check_eq "cap: still 2 offloaded" 2 "$(fl tag get cap | kv flows)"
	iperf_check cap "cap"
	check_chat "cap"
	counted_flow "cap" 45002
}

# Every conntrack entry goes, offloaded or not: flowlane retires each
# offloaded flow as a conntrack teardown; established connections are
# picked up again mid-stream by conntrack (nf_conntrack_tcp_loose).
fault_ct_flush() {
	echo "# -- conntrack -F (at $((SECONDS - start)) s)"
	local before td0 flows0 stats0 td1
	iperf_start ctf 5201 6
	iperf_wait_offloaded 5201 || fail "conntrack -F: iperf3 flow offloaded"
	stats0=$(fl stats)
	td0=$(kv td_conntrack <<< "$stats0")
	flows0=$(fl flows | grep 'state=1 ')
	before=$(grep -c . <<< "$flows0")
	ip netns exec "$rt" conntrack -F 2> /dev/null || fail "conntrack -F"
	wait_for 10 tag30_gone
	check_eq "conntrack -F: no flow of tag 30 left" 0 "$(flows_count 'odport=6003 ')"
	wait_for 10 stat_ge td_conntrack $((td0 + before))
	td1=$(stat_of td_conntrack)
	check_eq "conntrack -F: each of the $before offloaded flows counted as a conntrack teardown" \
		$((td0 + before)) "$td1"
	if [ "$td1" != $((td0 + before)) ]; then
		echo "# offloaded before the flush:"
		sed 's/^/#   /' <<< "$flows0"
		echo "# stats before and after:"
		{ echo "$stats0"; fl stats; } | sed 's/^/#   /'
	fi
	iperf_check ctf "conntrack -F"
	check_chat "conntrack -F"
	counted_flow "conntrack -F" 45003
}

# nf_conntrack_max (global; counted per namespace) at the router's count:
# a new flow's packets are dropped, counted by conntrack; offloaded and
# established flows go on. Conntrack makes room by evicting an entry that
# is neither offloaded nor assured (early drop): a conntrack -F first
# leaves only such entries as the case creates.
fault_ct_full() {
	echo "# -- conntrack table full (at $((SECONDS - start)) s)"
	local max0 drop0 n
	ip netns exec "$rt" conntrack -F 2> /dev/null
	wait_for 10 ct_empty ||
		fail "conntrack table full: the router's table empties ($(ct_count) left)"
	check_chat "conntrack table full: before"
	udp_recv "$sv" 6101
	send_udp 10.0.2.2 6101 10 64 49000
	check_eq "conntrack table full: the existing UDP flow is offloaded" 1 "$(flow_line 'osport=49000 ' | kv state)"
	iperf_start full 5202 6
	iperf_wait_offloaded 5202 || fail "conntrack table full: iperf3 flow offloaded"
	n=$(ct_count)
	check_eq "conntrack table full: entries: chat, UDP flow, iperf3 control and data" 4 "$n"
	max0=$(sysctl -n net.netfilter.nf_conntrack_max)
	sysctl -qw net.netfilter.nf_conntrack_max="$n"
	drop0=$(ct_stat drop)

	udp_recv "$sv" 6102
	send_udp 10.0.2.2 6102 5 64 49001
	check_eq "conntrack table full: no packet of a new UDP flow arrives" 0 "$(received 6102)"
	check_eq "conntrack table full: conntrack dropped each of them" 5 $(($(ct_stat drop) - drop0))
	ip netns exec "$cl" /usr/bin/python3 "$NETPEER" tcp-connect 10.0.2.2 7000 &&
		fail "conntrack table full: a new TCP connection was accepted" ||
		pass "conntrack table full: a new TCP connection is refused"
	send_udp 10.0.2.2 6101 10 64 49000
	check_eq "conntrack table full: the offloaded UDP flow goes on (10 + 10)" 20 "$(received 6101)"
	check_chat "conntrack table full"
	iperf_check full "conntrack table full"
	# (iperf3's closed connection may have left the table since.)
	local now=$(ct_count)
	check_eq "conntrack table full: no entry was added (count <= $n)" yes \
		"$([ "$now" -le "$n" ] && echo yes || echo "no, $now")"

	sysctl -qw net.netfilter.nf_conntrack_max="$max0"
	counted_flow "conntrack table full: after nf_conntrack_max is restored" 45004
}

# veth-rc2 deleted with client2's flows offloaded and a UDP stream from it:
# exactly its flows are torn down (device), nothing else.
fault_device() {
	echo "# -- fast-path device deleted (at $((SECONDS - start)) s)"
	local td0 sender n
	udp_recv "$sv" 6200
	ip netns exec "$cl2" "$FLT" udp-send 10.0.2.2 6200 10 64 50002 > /dev/null
	ip netns exec "$cl2" "$FLT" udp-send 10.0.2.2 6200 3000 64 50001 1000 > /dev/null 2>&1 &
	sender=$!
	wait_for 10 offloaded "osport=50001 "
	iperf_start dev 5201 6
	iperf_wait_offloaded 5201 || fail "device: iperf3 flow offloaded"
	n=$(fl flows | grep -c 'osrc=10.0.3.2 ')
	check_eq "device: client2's two flows offloaded" 2 "$n"
	td0=$(stat_of td_device)
	ip -n "$rt" link del veth-rc2
	check_eq "device: no flow of client2 left" 0 "$(flows_count 'osrc=10.0.3.2 ')"
	check_eq "device: exactly client2's flows counted as device teardowns" $((td0 + 2)) "$(stat_of td_device)"
	check_eq "device: flowlane's devices now" "veth-rc veth-rs" \
		"$(ip netns exec "$rt" "$FLOWLANE" dev list | sort | xargs)"
	wait "$sender"	# its count bounds it; it may stop early on ENETUNREACH
	received 6200 > /dev/null
	iperf_check dev "device"
	check_chat "device"
	# Deleting a device flushes the namespace's route cache: the core's fast
	# path tears down a flow whose cached route went stale at its next
	# packet (flowlane counts it as idle); once retired, the flow offloads
	# again at its next packet. Not a device teardown: checked above.
	wait_for 10 chat_not_tearing_down
	check_chat "device: again"
	check_eq "device: the chat connection is offloaded" 1 "$(chat_flow main | kv state)"
	counted_flow "device" 45005
}

# A second router namespace with offloaded flows (IPv4 and IPv6 and a
# stream) is deleted: its flows go, the main router's stay.
fault_netns() {
	echo "# -- namespace with offloaded flows deleted (at $((SECONDS - start)) s)"
	local m_cl=$cl m_rt=$rt m_sv=$sv d_cl d_rt d_sv sender
	setup_topo
	fl_devs
	d_cl=$cl d_rt=$rt d_sv=$sv
	send_udp 10.0.2.2 5000 10 64 46004
	send_udp fd02::2 5000 10 64 46005
	ip netns exec "$d_cl" "$FLT" udp-send 10.0.2.2 5000 3000 64 46006 1000 > /dev/null 2>&1 &
	sender=$!
	wait_for 10 offloaded "osport=46006 "
	check_eq "netns: the doomed router has 3 offloaded flows" 3 "$(flows_count 'state=1 ')"
	cl=$m_cl rt=$m_rt sv=$m_sv
	iperf_start ns 5201 6
	iperf_wait_offloaded 5201 || fail "netns: iperf3 flow offloaded"
	ip netns del "$d_rt"
	wait "$sender"
	iperf_check ns "netns"
	# Both counts move while iperf3's flows end: the two must agree at
	# some instant (the doomed router's 3 flows would keep them apart).
	if wait_for 10 only_main_flows; then
		pass "netns: only the main router's flows are left (sysfs total = main router's)"
	else
		fail "netns: sysfs total $(cat /sys/kernel/flowlane/flows) is not the main router's $(stat_of flows)"
	fi
	ip netns del "$d_cl"
	ip netns del "$d_sv"
	check_chat "netns"
	counted_flow "netns" 45006
}

# rmmod with the chat offloaded, iperf3 and a UDP stream flowing: traffic
# goes on in the slow path; the fresh module offloads the chat again.
fault_unload() {
	echo "# -- module unload and reload (at $((SECONDS - start)) s)"
	local sender
	udp_recv "$sv" 5000
	ip netns exec "$cl" "$FLT" udp-send 10.0.2.2 5000 2000 64 46007 1000 > /dev/null &
	sender=$!
	iperf_start unload 5201 6
	iperf_wait_offloaded 5201 || fail "unload: iperf3 flow offloaded"
	wait_for 10 offloaded "osport=46007 "
	rmmod flowlane && pass "unload: rmmod with traffic flowing" || fail "unload: rmmod with traffic flowing"
	check_chat "unload: without the module"
	engine_insmod && pass "unload: load again" || fail "unload: load again"
	fl_devs
	wait "$sender"
	check_eq "unload: every UDP packet arrived across the unload and reload" 2000 "$(received 5000)"
	iperf_check unload "unload"
	check_chat "unload: after reload"
	check_eq "unload: the fresh module offloads the chat connection again" 1 "$(chat_flow main | kv state)"
	counted_flow "unload" 45007
}

fault_firewall
fault_cap
fault_ct_flush
fault_ct_full
fault_device
fault_netns
fault_unload
echo "# faults: $((SECONDS - start)) s"
exit $ret
