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
#
# Then devices by name pattern ('vmtap*', issue 17): VM "taps" (veths whose
# router end is vmtapN) created, renamed and moved into and out of the
# router after the pattern was added, the pattern deleted, a device added
# both by name and by pattern, bad input, and the router namespace deleted
# with patterns and traffic (the module then unloads, the log stays clean).
#
#   vm (eth0 10.0.3.2) ---- (vmtap0 10.0.3.1) router ---- server
#   vm2 (eth0 10.0.4.2) --- (vmtap1 10.0.4.1, created in ns st, moved in)

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

# ---- devices by name pattern ----------------------------------------------
tool() { ip netns exec "$rt" "$FLOWLANE" "$@"; }
# vm_link VMNS DEV NET: the VM end (eth0, .2) and the router end DEV (.1)
# of 10.0.NET.0/24 configured and up; the VM routes everything via .1.
vm_link() {
	ip -n "$1" addr add "10.0.$3.2/24" dev eth0 && ip -n "$1" link set eth0 up &&
		ip -n "$rt" addr add "10.0.$3.1/24" dev "$2" && ip -n "$rt" link set "$2" up &&
		ip -n "$1" route add default via "10.0.$3.1" &&
		ip netns exec "$1" ping -qc1 -W5 10.0.2.2 > /dev/null
}
# vm_send VMNS COUNT SPORT: COUNT 64-byte datagrams to the server's :5000.
vm_send() { ip netns exec "$1" "$FLT" udp-send 10.0.2.2 5000 "$2" 64 "$3" > /dev/null; }
# offloaded SPORT: "slow fast state" of the flow from SPORT (original
# direction), or the dump's failure, or "" when it is not offloaded.
offloaded() {
	local l
	l=$(flow_line "osport=$1 ")
	[ -z "$l" ] || echo "$(kv o_slow_p <<< "$l") $(kv o_fast_p <<< "$l") $(kv state <<< "$l")"
}
dev_list() { tool dev list 2>&1 | xargs; }
setup_ns vm vm2 st || exit $ksft_fail
fl policy set threshold 5 || fail "policy set threshold 5"
udp_recv "$sv" 5000

check_eq "dev add 'vmtap*' before any vmtap exists" 0 "$(tool dev add 'vmtap*'; echo $?)"
check_eq "dev list: the pattern, no device yet" "veth-rc veth-rs pattern vmtap*:" "$(dev_list)"
ip link add vmtap0 netns "$rt" type veth peer name eth0 netns "$vm"
vm_link "$vm" vmtap0 3 || fail "VM behind vmtap0 does not reach the server"
check_eq "dev list: vmtap0, created after the pattern, hooked by it" \
	"veth-rc veth-rs vmtap0 (pattern vmtap*) pattern vmtap*: vmtap0" "$(dev_list)"
check_eq "dev list --json" \
	'[{"name":"veth-rc","ifindex":N,"explicit":true},{"name":"veth-rs","ifindex":N,"explicit":true},{"name":"vmtap0","ifindex":N,"explicit":false,"pattern":"vmtap*"},{"pattern":"vmtap*","devices":["vmtap0"],"hook_failures":0}]' \
	"$(tool --json dev list | sed 's/"ifindex":[1-9][0-9]*/"ifindex":N/g')"
vm_send "$vm" 20 46001
check_eq "new tap, threshold 5: 5 slow, 15 fast, offloaded" "5 15 1" "$(offloaded 46001)"

# Renamed out of the pattern (a veth renames only when down: the flow goes
# then, reason "device"), its traffic is no longer offloaded; renamed back
# in, it is again.
td=$(fl stats | kv td_device)
ip -n "$rt" link set vmtap0 down && ip -n "$rt" link set vmtap0 name vm0 &&
	ip -n "$rt" link set vm0 up || fail "rename vmtap0 to vm0"
fold_wait td_device $((td + 1)) flows 0
check_eq "renamed out: dev list without it" "veth-rc veth-rs pattern vmtap*:" "$(dev_list)"
wait_for 10 bash -c "ip netns exec $vm ping -qc1 -W1 10.0.2.2 > /dev/null" || fail "vm0 does not forward"
vm_send "$vm" 20 46002
check_eq "renamed out: its new flow is not offloaded" "" "$(offloaded 46002)"
ip -n "$rt" link set vm0 down && ip -n "$rt" link set vm0 name vmtap0 &&
	ip -n "$rt" link set vmtap0 up || fail "rename vm0 back to vmtap0"
check_eq "renamed back in: hooked again" \
	"veth-rc veth-rs vmtap0 (pattern vmtap*) pattern vmtap*: vmtap0" "$(dev_list)"
wait_for 10 bash -c "ip netns exec $vm ping -qc1 -W1 10.0.2.2 > /dev/null" || fail "vmtap0 does not forward"
vm_send "$vm" 20 46003
check_eq "renamed back in: 5 slow, 15 fast" "5 15 1" "$(offloaded 46003)"

# Moved into the namespace (NETDEV_REGISTER in the new one), then out.
ip link add vmtap1 netns "$st" type veth peer name eth0 netns "$vm2"
check_eq "a vmtap in another namespace is not the router's" \
	"veth-rc veth-rs vmtap0 (pattern vmtap*) pattern vmtap*: vmtap0" "$(dev_list)"
ip -n "$st" link set vmtap1 netns "$rt" || fail "move vmtap1 into the router"
vm_link "$vm2" vmtap1 4 || fail "VM behind vmtap1 does not reach the server"
check_eq "moved in: vmtap1 hooked" \
	"veth-rc veth-rs vmtap0 (pattern vmtap*) vmtap1 (pattern vmtap*) pattern vmtap*: vmtap0 vmtap1" "$(dev_list)"
vm_send "$vm2" 20 46004
check_eq "moved in: 5 slow, 15 fast" "5 15 1" "$(offloaded 46004)"
td=$(fl stats | kv td_device)
ip -n "$rt" link set vmtap1 netns "$st" || fail "move vmtap1 out of the router"
fold_wait td_device $((td + 1))
check_eq "moved out: its flow torn down (device)" $((td + 1)) "$(fl stats | kv td_device)"
check_eq "moved out: unhooked" \
	"veth-rc veth-rs vmtap0 (pattern vmtap*) pattern vmtap*: vmtap0" "$(dev_list)"

# By name and by pattern: each reason alone keeps the device hooked.
td=$(fl stats | kv td_device)
check_eq "dev add vmtap0 (already the pattern's)" 0 "$(tool dev add vmtap0; echo $?)"
check_eq "dev list: vmtap0 by both" \
	"veth-rc veth-rs vmtap0 (pattern vmtap*, also by name) pattern vmtap*: vmtap0" "$(dev_list)"
check_eq "dev del 'vmtap*': vmtap0 stays (by name)" 0 "$(tool dev del 'vmtap*'; echo $?)"
check_eq "dev list: vmtap0 by name only" "veth-rc veth-rs vmtap0" "$(dev_list)"
check_eq "its flow still offloaded" "5 15 1" "$(offloaded 46003)"
tool dev add 'vmtap*' && tool dev del vmtap0 || fail "pattern back, name dropped"
check_eq "dev del vmtap0: stays (pattern)" \
	"veth-rc veth-rs vmtap0 (pattern vmtap*) pattern vmtap*: vmtap0" "$(dev_list)"
check_eq "its flow still offloaded, no device teardown" "5 15 1 $td" \
	"$(offloaded 46003) $(fl stats | kv td_device)"

# Deleting the pattern unhooks the devices it alone brought, tearing down
# their flows.
vm_send "$vm" 20 46003	# 20 more on the fast path
check_eq "dev del 'vmtap*'" 0 "$(tool dev del 'vmtap*'; echo $?)"
fold_wait td_device $((td + 1))
check_eq "pattern deleted: vmtap0's flow torn down (device)" "$((td + 1)) " \
	"$(fl stats | kv td_device) $(offloaded 46003)"
check_eq "pattern deleted: only the named devices left" "veth-rc veth-rs" "$(dev_list)"

# Bad input: the module's refusals, word for word.
check_eq "a bare '*'" "flowlane: dev add *: kernel error: a device pattern needs a prefix before '*' (\"vmtap*\")" \
	"$(tool dev add '*' 2>&1)"
check_eq "a pattern of 16 characters" "flowlane: dev add abcdefghijklmno*: kernel error: Attribute failed policy validation" \
	"$(tool dev add 'abcdefghijklmno*' 2>&1)"
tool dev add 'vmtap*' || fail "dev add 'vmtap*' again"
check_eq "the same pattern twice" "flowlane: dev add vmtap*: kernel error: device pattern already added" \
	"$(tool dev add 'vmtap*' 2>&1)"
check_eq "deleting a pattern that is not there" "flowlane: dev del tap*: kernel error: no such device pattern" \
	"$(tool dev del 'tap*' 2>&1)"
check_eq "dev del of a device only a pattern hooked" \
	"flowlane: dev del vmtap0: kernel error: device was added by a pattern: delete the pattern" \
	"$(tool dev del vmtap0 2>&1)"
# A hook the notifier cannot register is counted on the pattern and
# logged: a device that already carries the kernel's most ingress hooks
# (MAX_HOOK_COUNT, 1024: nft chains) is renamed into the pattern.
ip link add hf0 netns "$rt" type veth peer name hf1 netns "$st"
{
	echo "table netdev full {"
	for i in $(seq 1 1024); do
		echo "chain c$i { type filter hook ingress device hf0 priority 0; }"
	done
	echo "}"
} | ip netns exec "$rt" nft -f - || fail "1024 ingress chains on hf0"
ip -n "$rt" link set hf0 name vmtap9 || fail "rename hf0 to vmtap9"
check_eq "the failure is counted on the pattern" \
	"pattern vmtap*: vmtap0 (1 hook failures: see the kernel log)" "$(tool dev list | grep '^pattern vmtap')"
check_match "and logged" "cannot hook device vmtap9 matching pattern vmtap\\*: error -7" "$(dmesg | tail -20)"
check_eq "--json: hook_failures 1" 1 \
	"$(tool --json dev list | /usr/bin/python3 -c 'import json,sys; print([p["hook_failures"] for p in json.load(sys.stdin) if p.get("pattern") == "vmtap*" and "devices" in p][0])')"
ip netns exec "$rt" nft delete table netdev full || fail "nft delete table netdev full"

many=()
for i in $(seq 1 4095); do many+=("p$i*"); done
check_eq "4095 more patterns: 4096 in all" 0 "$(tool dev add "${many[@]}"; echo $?)"
check_eq "the 4097th" "flowlane: dev add p4096*: kernel error: too many device patterns in this namespace (limit 4096)" \
	"$(tool dev add 'p4096*' 2>&1)"
check_eq "dev list: 4096 patterns" 4096 "$(tool dev list | grep -c '^pattern ')"

# The router namespace goes with its patterns, hooked taps and traffic on
# the fast path; then the module unloads and the log says nothing bad.
ip netns exec "$vm" "$FLT" udp-send 10.0.2.2 5000 10000000 64 46005 0 > /dev/null 2>&1 &
flood=$!
flood_offloaded() { [ "$(offloaded 46005 | cut -d' ' -f3)" = 1 ]; }
wait_for 20 flood_offloaded || fail "the flood's flow was not offloaded"
mark="flowlane-selftest-$$-netns-delete"
echo "$mark" > /dev/kmsg
ip netns del "$rt" || fail "ip netns del router"
kill "$flood" 2> /dev/null
wait "$flood" 2> /dev/null
wait_for 20 bash -c "! ip netns list | grep -q '^$rt '"
# rmmod: the module may have been insmodded (FLOWLANE_KO), not installed.
check_eq "router namespace gone, module unloads" 0 "$(rmmod flowlane; echo $?)"
check_eq "kernel log since the namespace deletion: no warning" "" \
	"$(dmesg | sed -n "/$mark/,\$p" | grep -E 'WARNING|BUG|leak|refcount|Call Trace' | head -3)"
exit $ret
