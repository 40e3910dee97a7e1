#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `flowlane apply` with the module: the document's devices, default policy
# and tags are programmed into flowlane, a VM's flow is offloaded after its
# tag's threshold with exact counters, and a firewall change that denies
# the flow cuts it on its very next packet, although it was in the fast
# path (the fast path skips the firewall: apply must flush it).
# The module follows the uplink and the VMs' interfaces by name (issue 17):
# vm2's tap is created after apply and its traffic is offloaded both ways.
# A NAT change (vm2's public address) and a firewall change (vm1's) each
# flush the flows of the changed VM only. A step that fails after the
# commit, or the module refusing half way, leaves the ruleset and the
# module as they were (issue 18).
#
#   client 198.51.100.2 --c0|up0-- host (flowlane apply) --vmtap1|eth0-- vm1 10.10.1.2
#                                   public 203.0.113.10 -> vm1 (1:1 NAT), tag web = 10

source "$(dirname "$0")/engine_lib.sh"
need_root
load_engine

setup_ns client host vm1 vm2 || exit $ksft_fail
ip link add c0 netns "$client" type veth peer name up0 netns "$host"
ip link add vmtap1 netns "$host" type veth peer name eth0 netns "$vm1"
for l in "$client c0" "$host up0" "$host vmtap1" "$vm1 eth0"; do
	set -- $l
	ip -n "$1" link set "$2" up
done
ip -n "$client" addr add 198.51.100.2/24 dev c0
ip -n "$client" route add 203.0.113.0/24 via 198.51.100.1
ip -n "$host" addr add 198.51.100.1/24 dev up0
ip -n "$host" addr add 10.10.1.1/24 dev vmtap1
ip -n "$vm1" addr add 10.10.1.2/24 dev eth0
ip -n "$vm1" route add default via 10.10.1.1
# The core's flowtable idle timeout (30 s) is shorter than the steps from
# vm1's first flow to the NAT change take on a debug kernel: the flows this
# test follows must leave the fast path only by what apply does.
ip netns exec "$host" sysctl -qw net.netfilter.nf_flowtable_udp_timeout=600 ||
	fail "the host's flowtable UDP timeout"

tool() { ip netns exec "$host" "$FLOWLANE" "$@"; }
py() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
export FLOWLANE_STATE_DIR=$FL_TMP/state
doc=$FL_TMP/host.json
vm2_public=203.0.113.20
write_doc() {	# write_doc VM1_FIREWALL_JSON [FASTPATH_DEVICES_JSON]
	local devs='["up0"]'
	[ -z "${2:-}" ] || devs=$2
	cat > "$doc" << JSON
{
  "fastpath": { "devices": $devs, "offload": true, "threshold": 0 },
  "uplinks": ["up0"],
  "tags": [{ "name": "web", "id": 10, "threshold": 5 }],
  "vms": [
    { "name": "vm1", "tag": "web", "interfaces": ["vmtap1"], "ipv4": "10.10.1.2",
      "public_ipv4": "203.0.113.10", "firewall": $1 },
    { "name": "vm2", "tag": "web", "interfaces": ["vmtap2"], "ipv4": "10.10.2.2",
      "public_ipv4": "$vm2_public", "firewall": [{ "proto": "udp", "port": 5002 }] }
  ]
}
JSON
}

write_doc '[{ "proto": "udp", "port": 5000 }]'
out=$(tool apply "$doc" 2>&1); rc=$?
check_eq "apply with the module exits 0" 0 "$rc"
[ "$rc" = 0 ] || echo "$out" | sed 's/^/# /'
check_eq "the module's devices: up0 by name and followed, vmtap1 followed, vmtap2 followed before it exists" \
	"up0 (followed, also by name) vmtap1 (followed) follow up0: up0 follow vmtap1: vmtap1 follow vmtap2:" \
	"$(tool dev list | xargs)"
check_eq "the module's tags are the document's" "web 10 5 True" \
	"$(tool --json tag list | py '" ".join("%s %d %d %s" % (t["name"], t["id"], t["threshold"], t["offload"]) for t in d)')"
check_eq "the default policy is the document's" "True 0" \
	"$(tool --json status | py '"%s %d" % (d["policy"]["offload"], d["policy"]["threshold"])')"

# A flow to vm1's public address: 5 packets on the slow path, 15 fast.
udp_recv "$vm1" 5000
ip netns exec "$client" "$FLT" udp-send 203.0.113.10 5000 20 64 40001 > /dev/null
check_eq "vm1 received every packet" 20 "$(received 5000)"
check_eq "the flow: tag web, 5 slow and 15 fast packets, NAT to vm1" "10 5 15 10.10.1.2" \
	"$(tool --json flows | py '" ".join("%d %d %d %s" % (f["tag"], f["orig_slow_packets"], f["orig_fast_packets"], f["reply_src"]) for f in d)')"

out=$(tool apply "$doc" 2>&1)
check_eq "applying the same document again flushes nothing" 1 "$(tool --json flows | py 'len(d)')"

# vm2 starts after apply: its tap appears, the module hooks it (no apply),
# and a two-way flow through it is offloaded after the tag's 5 packets.
ip link add vmtap2 netns "$host" type veth peer name eth0 netns "$vm2"
ip -n "$host" link set vmtap2 up && ip -n "$vm2" link set eth0 up &&
	ip -n "$host" addr add 10.10.2.1/24 dev vmtap2 &&
	ip -n "$vm2" addr add 10.10.2.2/24 dev eth0 &&
	ip -n "$vm2" route add default via 10.10.2.1 || fail "vm2's tap"
check_eq "vmtap2, created after apply, is hooked" "vmtap2 (followed)" "$(tool dev list | grep '^vmtap2 ')"
udp_recv "$vm2" 5002 echo
check_eq "lock-step client to vm2's public address: 20 sent, 20 echoed" "sent=20 echoed=20" \
	"$(ip netns exec "$client" "$FLT" udp-ping 203.0.113.20 5002 20 64 40020)"
check_eq "vm2's echo server received 20" 20 "$(received 5002)"
check_eq "vm2's flow: tag web, 5 packets slow in all, 20 each way, both directions fast, NAT to vm2" \
	"10 5 20 20 True True 10.10.2.2" \
	"$(tool --json flows | py '" ".join("%d %d %d %d %s %s %s" % (f["tag"], f["orig_slow_packets"] + f["reply_slow_packets"], f["orig_slow_packets"] + f["orig_fast_packets"], f["reply_slow_packets"] + f["reply_fast_packets"], f["orig_fast_packets"] > 0, f["reply_fast_packets"] > 0, f["reply_src"]) for f in d if f["reply_src"] == "10.10.2.2")')"
# A pattern in fastpath.devices instead of the uplink's name: the module
# swaps the by-name device for the pattern, up0 stays hooked throughout
# (followed as the uplink), so no flow is torn down.
td=$(tool --json stats | py 'd["namespace"]["teardown_device"]')
write_doc '[{ "proto": "udp", "port": 5000 }]' '["vmtap*"]'
out=$(tool apply "$doc" 2>&1); rc=$?
check_eq "apply with fastpath.devices [\"vmtap*\"] exits 0" 0 "$rc"
[ "$rc" = 0 ] || echo "$out" | sed 's/^/# /'
check_eq "the module's devices: all followed, the pattern too" \
	"up0 (followed) vmtap1 (followed) vmtap2 (followed) follow up0: up0 follow vmtap1: vmtap1 follow vmtap2: vmtap2 pattern vmtap*:" \
	"$(tool dev list | xargs)"
check_eq "no flow torn down by the change of reasons" "$td 2" \
	"$(tool --json stats | py 'd["namespace"]["teardown_device"]') $(tool --json flows | py 'len([f for f in d if f["state"] == "offloaded"])')"

# vm2's public address changes: apply flushes the flows of the addresses
# whose NAT elements changed (vm2's old public address and its private
# one), not vm1's. A new flow to the new address is offloaded again.
vm2_public=203.0.113.21
write_doc '[{ "proto": "udp", "port": 5000 }]' '["vmtap*"]'
out=$(tool apply "$doc" 2>&1); rc=$?
check_eq "apply of vm2's new public address exits 0" 0 "$rc"
[ "$rc" = 0 ] || echo "$out" | sed 's/^/# /'
check_eq "the NAT change flushed vm2's flow, not vm1's" "1 0" \
	"$(tool --json flows | py '"%d %d" % tuple(len([f for f in d if f["state"] == "offloaded" and f["reply_src"] == a]) for a in ("10.10.1.2", "10.10.2.2"))')"
udp_recv "$vm2" 5002 echo
check_eq "lock-step client to vm2's new public address: 20 sent, 20 echoed" "sent=20 echoed=20" \
	"$(ip netns exec "$client" "$FLT" udp-ping 203.0.113.21 5002 20 64 40021)"
check_eq "vm2's echo server received 20" 20 "$(received 5002)"
check_eq "vm2's flow through its new address is offloaded both ways" "True True" \
	"$(tool --json flows | py '" ".join("%s %s" % (f["orig_fast_packets"] > 0, f["reply_fast_packets"] > 0) for f in d if f["reply_src"] == "10.10.2.2" and f["state"] == "offloaded")')"

# The firewall no longer allows udp/5000: the offloaded flow's next packet
# must not reach vm1.
write_doc '[{ "proto": "tcp", "port": 22 }]'
out=$(tool apply "$doc" 2>&1); rc=$?
check_eq "apply of the changed firewall exits 0" 0 "$rc"
check_eq "the changed VM's flow left the fast path, vm2's stayed" "0 1" \
	"$(tool --json flows | py '"%d %d" % tuple(len([f for f in d if f["state"] == "offloaded" and f["reply_src"] == a]) for a in ("10.10.1.2", "10.10.2.2"))')"
# Counted in the host, independently of apply's own rules: the 5 packets
# reach up0 (ingress, ahead of every other hook), none leaves by vmtap1
# (egress, which the fast path's transmit passes too).
ip netns exec "$host" nft -f - <<NFT || fail "nft counters on the host's devices"
table netdev wire {
	counter in_up0 {}
	counter out_vmtap1 {}
	chain in { type filter hook ingress device up0 priority -1000; udp dport 5000 counter name in_up0; }
	chain out { type filter hook egress device vmtap1 priority -1000; udp dport 5000 counter name out_vmtap1; }
}
NFT
udp_recv "$vm1" 5000
ip netns exec "$client" "$FLT" udp-send 203.0.113.10 5000 5 64 40001 > /dev/null
check_eq "the denied flow's 5 packets reached the host" 5 "$(nft_counter "$host" netdev wire in_up0)"
check_eq "none of them left the host towards vm1" 0 "$(nft_counter "$host" netdev wire out_vmtap1)"
check_eq "no packet of the denied flow reaches vm1 after apply" 0 "$(received 5000)"

# Nothing half applied (issue 18): when a step after the nftables commit
# fails, the ruleset goes back to the previous document's and the module's
# policy, devices and tags to what they were before this apply.
module_state() {
	tool dev list
	tool --json tag list | py '" ".join("%s %d %d %d %s" % (t["name"], t["id"], t["threshold"], t["max_flows"], t["offload"]) for t in d)'
	tool --json status | py '"policy %s %d" % (d["policy"]["offload"], d["policy"]["threshold"])'
}
cp "$doc" "$FL_TMP/prev.json"
before=$(module_state)
# The failing document changes every part: threshold 0 -> 3, the fast-path
# device up0 -> the pattern vmtap*, a new VM followed by its tap's name,
# tag web deleted and tag db made.
changed() {	# changed EXTRA_VM_INTERFACES_JSON
	/usr/bin/python3 - "$FL_TMP/prev.json" "$1" > "$doc" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["fastpath"].update(devices=["vmtap*"], threshold=3)
d["tags"] = [{"name": "db", "id": 20, "threshold": 2, "max_flows": 50}]
for vm in d["vms"]:
    vm["tag"] = "db"
d["vms"].append({"name": "vm3", "interfaces": json.loads(sys.argv[2]), "ipv4": "10.10.3.2"})
print(json.dumps(d, indent=1))
PY
}
changed '["vmtap3"]'
out=$(FLOWLANE_TEST_FAIL_AFTER_COMMIT=1 tool apply "$doc" 2>&1); rc=$?
check_eq "a failure after the module's changes: exit 1, ruleset and module restored" \
	"1 flowlane: apply: FLOWLANE_TEST_FAIL_AFTER_COMMIT: a step after the commit failed; the previous ruleset and the module's policy, devices and tags were restored" \
	"$rc $out"
check_eq "the module's policy, devices and tags are as before" "$before" "$(module_state)"
tool diff "$FL_TMP/prev.json" > /dev/null; rc=$?
check_eq "the ruleset is the previous document's (diff exits 0)" 0 "$rc"
check_eq "show-config has the previous document" "$(cat "$FL_TMP/prev.json")" \
	"$(tool show-config 2> /dev/null)"

# A real refusal half way through the module's part: with 4092 patterns
# made by hand beside apply's 3 followed names, the module takes one more
# (the pattern vmtap*, the 4096th) and refuses the next (vmtap3), after
# the policy has changed. Both go back; the hand-made patterns stay.
many=()
for i in $(seq 1 4092); do many+=("p$i*"); done
check_eq "4092 patterns by hand: 4095 in all" "0 4095" \
	"$(tool dev add "${many[@]}"; echo "$? $(tool dev list | grep -c '^\(pattern\|follow\) ')")"
before=$(module_state)
changed '["vmtap3"]'
out=$(tool apply "$doc" 2>&1); rc=$?
check_eq "the module refuses the 4097th pattern: exit 1, its error, then the restore" \
	"1|flowlane: apply: fast path on devices named vmtap3: kernel error: too many device patterns in this namespace (limit 4096)|flowlane: apply: the module refused part of $doc; the previous ruleset and the module's policy, devices and tags were restored" \
	"$rc|$(echo "$out" | paste -sd'|')"
check_eq "after the refusal: the module's policy, devices and tags are as before" "$before" \
	"$(module_state)"
tool diff "$FL_TMP/prev.json" > /dev/null; rc=$?
check_eq "after the refusal: the ruleset is the previous document's (diff exits 0)" 0 "$rc"
exit $ret
