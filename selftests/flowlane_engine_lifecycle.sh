#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Lifecycle, without a kernel warning (guest.sh fails the run on any):
# `conntrack -D` of an offloaded flow, device removal from flowlane and
# from the system, deletion of a namespace with offloaded flows, and module
# unload with traffic flowing (it goes on through the slow path).
#
#   client ---- router (flowlane) ---- server, rebuilt for each part

source "$(dirname "$0")/engine_lib.sh"
need_root
checktool "conntrack --version" "deletes conntrack entries"
load_engine
setup_topo
fl_devs

udp_recv "$sv" 5000
send_udp 10.0.2.2 5000 10 64 46001
check_eq "flow offloaded" 1 "$(flow_line 'osport=46001 ' | kv state)"
ip netns exec "$rt" conntrack -D -p udp --sport 46001 > /dev/null 2>&1
wait_for 5 flow_gone "osport=46001 "
check_eq "conntrack -D: flow gone" "" "$(flow_line 'osport=46001 ')"
check_eq "conntrack -D: counted as a conntrack teardown" 1 "$(fl stats | kv td_conntrack)"
send_udp 10.0.2.2 5000 5 64 46001
check_eq "conntrack -D: traffic goes on" 15 "$(received 5000)"

udp_recv "$sv" 5000
send_udp 10.0.2.2 5000 10 64 46002
check_eq "flow 2 offloaded" 1 "$(flow_line 'osport=46002 ' | kv state)"
fl dev del veth-rc || fail "dev del veth-rc"
check_eq "dev del: flow 2 gone" "" "$(flow_line 'osport=46002 ')"
check_eq "dev del: both flows through it (2, and 1 offloaded again after conntrack -D) counted as device teardowns" 2 "$(fl stats | kv td_device)"
send_udp 10.0.2.2 5000 5 64 46002
check_eq "dev del: traffic goes on through the slow path" 15 "$(received 5000)"
check_eq "dev del: no flow offloaded while veth-rc is not flowlane's" "" "$(flows)"
fl dev add veth-rc || fail "dev add veth-rc again"

send_udp 10.0.2.2 5000 10 64 46003
check_eq "flow 3 offloaded" 1 "$(flow_line 'osport=46003 ' | kv state)"
ip -n "$rt" link del veth-rs
check_eq "link del: flow gone" "" "$(flow_line 'osport=46003 ')"
check_eq "link del: three device teardowns now" 3 "$(fl stats | kv td_device)"
fl dev del veth-rc || fail "dev del veth-rc after its peer link went"
cleanup_ns

setup_topo
fl_devs
send_udp 10.0.2.2 5000 10 64 46004
send_udp fd02::2 5000 10 64 46005
check_eq "two flows offloaded before netns deletion" 2 "$(flows_count state=1)"
# The totals are the live namespaces' (sysfs-kernel-flowlane): the first
# router's offloads left them with its namespace. What is left besides this
# router is the initial namespace's (an earlier test may have offloaded
# there, and the module stays loaded between tests): read from its stats
# (flctl's, as every engine test reads counters).
sys_total() { cat "/sys/kernel/flowlane/$1"; }
init_ns() { local s k; s=$("$FLCTL" stats); for k; do kv "$k" <<< "$s"; done | xargs; }
read -r base_flows base_offloads <<< "$(init_ns flows offloads_total)"
check_eq "sysfs totals: the initial namespace's and this router's two offloads only" \
	"$((base_flows + 2)) $((base_offloads + 2))" "$(sys_total flows) $(sys_total offloads_total)"
ip netns del "$rt"
wait_for 10 sh -c "[ \"\$(cat /sys/kernel/flowlane/flows)\" = $base_flows ]"
check_eq "netns deleted: no flow left in any namespace but the initial one" "$base_flows" \
	"$(cat /sys/kernel/flowlane/flows)"
check_eq "netns deleted: its offloads and fast-path traffic leave the totals (the initial namespace's remain)" \
	"$(init_ns offloads_total fast_packets fast_bytes)" \
	"$(sys_total offloads_total) $(sys_total fastpath_packets) $(sys_total fastpath_bytes)"
cleanup_ns

setup_topo
fl_devs
udp_recv "$sv" 5000
# 10 s of traffic (1000 packets a second): the sender must still be
# sending when rmmod returns, or the unload was not "under traffic".
ip netns exec "$cl" "$FLT" udp-send 10.0.2.2 5000 10000 64 46006 1000 > /dev/null &
sender=$!
wait_for 10 sh -c "ip netns exec $rt $FLCTL flows | grep -q osport=46006"
check_eq "flow offloaded while traffic flows" 1 "$(flow_line 'osport=46006 ' | kv state)"
rmmod flowlane && pass "rmmod with traffic flowing" || fail "rmmod with traffic flowing"
kill -0 "$sender" 2> /dev/null && pass "the sender was still sending when rmmod returned" ||
	fail "the sender had finished before rmmod returned: no traffic across the unload"
wait $sender
check_eq "every packet arrived across the unload" 10000 "$(received 5000)"
engine_insmod && pass "load again" || fail "load again"
check_eq "fresh module: no flows" 0 "$(cat /sys/kernel/flowlane/flows)"
cleanup_ns

# Accounting: the first device turns nf_conntrack_acct on in its namespace
# and the last one gone restores it; a flow whose conntrack entry predates
# that has no accounting and is never offloaded.
setup_topo
acct() { ip netns exec "$rt" sysctl -n net.netfilter.nf_conntrack_acct; }
check_eq "a new namespace: accounting off" 0 "$(acct)"
# A ruleset that tracks connections, so the first flow's entry exists
# (without accounting) before flowlane comes.
ip netns exec "$rt" nft -f - <<NFT || fail "nft ruleset with conntrack"
table inet t { chain fw { type filter hook forward priority 0; ct state new counter; }; }
NFT
udp_recv "$sv" 5000
send_udp 10.0.2.2 5000 5 64 46007
fl_devs
check_eq "dev add: accounting turned on" 1 "$(acct)"
send_udp 10.0.2.2 5000 10 64 46007
send_udp 10.0.2.2 5000 10 64 46008
check_eq "the flow older than accounting: one conntrack entry, never offloaded" "1|" \
	"$(ip netns exec "$rt" conntrack -L -p udp --sport 46007 2> /dev/null | wc -l)|$(flow_line 'osport=46007 ')"
check_eq "a flow newer than accounting: offloaded" 1 "$(flow_line 'osport=46008 ' | kv state)"
check_eq "accounting: the server got all 25" 25 "$(received 5000)"
fl dev del veth-rc || fail "dev del veth-rc"
check_eq "one device left: accounting still on" 1 "$(acct)"
fl dev del veth-rs || fail "dev del veth-rs"
check_eq "the last device gone: accounting restored to off" 0 "$(acct)"
ip netns exec "$rt" sysctl -qw net.netfilter.nf_conntrack_acct=1
fl_devs
fl dev del veth-rc && fl dev del veth-rs || fail "dev del both"
check_eq "accounting on before flowlane: left on" 1 "$(acct)"
exit $ret
