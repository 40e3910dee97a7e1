#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `flowlane apply --nft-only` with real traffic: VMs (namespaces) behind a
# host that routes them, an outside client on the uplink.
#
#   client 198.51.100.2 --c0|up0-- host 198.51.100.1 --vmtap1|eth0-- vm1 10.10.1.2
#     routes 203.0.113.0/24          flowlane apply      (public 203.0.113.10, tag web=10)
#     and 10.10.0.0/16 via host                 --vmtap2|eth0-- vm2 10.10.2.2
#                                                        (no public address: masquerade)
#
# Checks: allowed ports reachable, others refused; 1:1 NAT both ways;
# masquerade; the VM's tag in the conntrack mark; a firewall change cutting
# an established flow on its next packet; a notrack service carrying many
# flows under a tiny nf_conntrack_max without one conntrack entry.
source "$(dirname "$0")/lib.sh"
need_root
checktool "ip netns list" "network namespaces"
checktool "conntrack --version" "reading conntrack entries"
PY=/usr/bin/python3
checktool "$PY -c 1" "the traffic helper"
NP="$PY $FL_TOP/selftests/netpeer.py"
modprobe -q veth; modprobe -q nf_conntrack
work=$(mktemp -d)
ct_max_before=$(sysctl -n net.netfilter.nf_conntrack_max 2>/dev/null)
cleanup() {
	[ -n "$ct_max_before" ] && sysctl -qw net.netfilter.nf_conntrack_max="$ct_max_before"
	for p in $(jobs -p); do kill "$p" 2>/dev/null; done
	cleanup_ns
	rm -rf "$work"
}
trap cleanup EXIT
setup_ns client host vm1 vm2 || exit $ksft_fail

link() {	# link NS1 DEV1 NS2 DEV2
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}
link "$client" c0 "$host" up0
link "$host" vmtap1 "$vm1" eth0
link "$host" vmtap2 "$vm2" eth0
ip -n "$client" addr add 198.51.100.2/24 dev c0
ip -n "$client" route add 203.0.113.0/24 via 198.51.100.1
ip -n "$client" route add 10.10.0.0/16 via 198.51.100.1
ip -n "$host" addr add 198.51.100.1/24 dev up0
ip -n "$host" addr add 10.10.1.1/24 dev vmtap1
ip -n "$host" addr add 10.10.2.1/24 dev vmtap2
ip -n "$vm1" addr add 10.10.1.2/24 dev eth0
ip -n "$vm1" route add default via 10.10.1.1
ip -n "$vm2" addr add 10.10.2.2/24 dev eth0
ip -n "$vm2" route add default via 10.10.2.1

doc=$work/host.json
write_doc() {	# write_doc VM1_FIREWALL_JSON
	cat > "$doc" << JSON
{
  "uplinks": ["up0"],
  "tags": [{ "name": "web", "id": 10 }],
  "vms": [
    { "name": "vm1", "tag": "web", "interfaces": ["vmtap1"], "ipv4": "10.10.1.2",
      "public_ipv4": "203.0.113.10", "firewall": $1 },
    { "name": "vm2", "interfaces": ["vmtap2"], "ipv4": "10.10.2.2", "firewall": [] }
  ],
  "notrack": [{ "proto": "udp", "port": 9999, "address": "10.10.1.2" }]
}
JSON
}
write_doc '[{ "proto": "tcp", "port": 22 }, { "proto": "udp", "port": 5000 }, { "proto": "icmp" }]'
export FLOWLANE_STATE_DIR=$work/state
out=$(ip netns exec "$host" "$FLOWLANE" apply --nft-only "$doc" 2>&1); rc=$?
check_eq "apply in the host namespace" 0 "$rc"
check_match "apply turns forwarding on and says so" \
	"sysctl net.ipv4.ip_forward: 0 -> 1 \(the host routes its VMs\)" "$out"

# Servers.
ip netns exec "$vm1" $NP tcp-listen 22 "$work/vm1-22" &
ip netns exec "$vm1" $NP tcp-listen 23 "$work/vm1-23" &
ip netns exec "$vm1" $NP udp-echo 5000 &
ip netns exec "$vm1" $NP udp-count 9999 "$work/vm1-9999" &
ip netns exec "$vm2" $NP tcp-listen 22 "$work/vm2-22" &
ip netns exec "$client" $NP tcp-listen 8080 "$work/client-8080" &
listening() { ip netns exec "$1" ss -Hln | grep -q ":$2 "; }
for ns_port in "$vm1:22" "$vm1:23" "$vm1:5000" "$vm1:9999" "$vm2:22" "$client:8080"; do
	wait_for 30 listening "${ns_port%:*}" "${ns_port#*:}" ||
		fail "server on $ns_port did not start"
done

# Inbound through the 1:1 NAT: allowed and refused.
ip netns exec "$client" $NP tcp-connect 203.0.113.10 22
check_eq "vm1 tcp/22 allowed from outside through its public address" 0 $?
check_eq "vm1 sees the client's own address (no SNAT inbound)" "198.51.100.2" \
	"$(cat "$work/vm1-22" 2>/dev/null)"
ip netns exec "$client" $NP tcp-connect 203.0.113.10 23
check_eq "vm1 tcp/23 refused (not in its firewall)" 1 $?
check_eq "vm1 tcp/23 never saw the connection" "" "$(cat "$work/vm1-23" 2>/dev/null)"
ip netns exec "$client" $NP tcp-connect 10.10.2.2 22
check_eq "vm2 tcp/22 refused (empty firewall: default deny)" 1 $?
ip netns exec "$client" ping -c 1 -W 2 203.0.113.10 > /dev/null
check_eq "vm1 answers ICMP through its public address" 0 $?

# The tag in the conntrack mark.
check_eq "vm1's inbound flow carries tag web (10) in ct mark" "mark=10" \
	"$(ip netns exec "$host" conntrack -L -p tcp --dport 22 2>/dev/null | grep -o 'mark=[0-9]*' | head -1)"

# Outbound: 1:1 SNAT for vm1, masquerade for vm2.
ip netns exec "$vm1" $NP tcp-connect 198.51.100.2 8080
check_eq "vm1 reaches the outside" 0 $?
ip netns exec "$vm2" $NP tcp-connect 198.51.100.2 8080
check_eq "vm2 reaches the outside" 0 $?
check_eq "outside sees vm1 as its public address, vm2 as the host's (masquerade)" \
	"203.0.113.10 198.51.100.1" "$(xargs < "$work/client-8080")"
check_eq "vm1's outbound flow carries its tag too" "mark=10" \
	"$(ip netns exec "$host" conntrack -L -p tcp --dport 8080 -s 10.10.1.2 2>/dev/null | grep -o 'mark=[0-9]*' | head -1)"

# A firewall change cuts an established flow on its next packet.
check_eq "udp/5000 flow answered" reply "$(ip netns exec "$client" $NP udp-send 203.0.113.10 5000 40000)"
write_doc '[{ "proto": "tcp", "port": 22 }, { "proto": "icmp" }]'
out=$(ip netns exec "$host" "$FLOWLANE" apply --nft-only "$doc" 2>&1)
check_match "apply of the changed firewall: only vm1's chain and elements" "applied .*: 4 changes" "$out"
check_eq "the flow's conntrack entry is still there" 1 \
	"$(ip netns exec "$host" conntrack -L -p udp --dport 5000 2>/dev/null | grep -c 'sport=40000')"
check_eq "its next packet is dropped by the new firewall" timeout \
	"$(ip netns exec "$client" $NP udp-send 203.0.113.10 5000 40000)"
ip netns exec "$client" $NP tcp-connect 203.0.113.10 22
check_eq "tcp/22 still allowed after the change" 0 $?

# notrack: many flows under a tiny conntrack table, none tracked.
sysctl -qw net.netfilter.nf_conntrack_max=8
n_before=$(ip netns exec "$host" conntrack -C)
ip netns exec "$client" $NP udp-flood 10.10.1.2 9999 300
wait_for 20 grep -qsx 300 "$work/vm1-9999"
got=$(cat "$work/vm1-9999" 2>/dev/null)
check_eq "300 notrack flows all delivered with nf_conntrack_max=8" 300 "$got"
# Where they were lost, if they were: vm1's socket (RcvbufErrors) or the host.
[ "$got" = 300 ] || ip netns exec "$vm1" awk '/^Udp:/ { print "# vm1 " $0 }' /proc/net/snmp
check_eq "no conntrack entry for the notrack service" 0 \
	"$(ip netns exec "$host" conntrack -L -p udp --dport 9999 2>/dev/null | wc -l)"
# Not equal: on a slow (debug) kernel an older entry may expire meanwhile.
n_after=$(ip netns exec "$host" conntrack -C)
[ "$n_after" -le "$n_before" ] && pass "the host's conntrack count did not grow ($n_before, then $n_after)" ||
	fail "the host's conntrack count grew: $n_before, then $n_after"

# IPv6 anti-spoofing and outbound drop, with real traffic: vm1 gets an
# IPv6 address (and a second one it has no right to), vm2 "outbound":
# "drop" and ICMP allowed in. Counted where they are dropped (the host's
# rules, by comment and family) and where they would arrive (the
# client's echo requests).
sysctl -qw net.netfilter.nf_conntrack_max="$ct_max_before"
ip -n "$client" addr add fd51::2/64 dev c0 nodad
ip -n "$client" -6 route add fd10::/16 via fd51::1
ip -n "$host" addr add fd51::1/64 dev up0 nodad
ip -n "$host" addr add fd10:1::1/64 dev vmtap1 nodad
ip -n "$vm1" addr add fd10:1::2/64 dev eth0 nodad
ip -n "$vm1" addr add fd10:1::99/64 dev eth0 nodad
ip -n "$vm1" -6 route add default via fd10:1::1
ip netns exec "$client" nft -f - << NFT || fail "the client's wire counters"
table inet wire {
	counter req4 {}
	counter req6 {}
	chain in {
		type filter hook input priority 0;
		icmp type echo-request counter name req4
		icmpv6 type echo-request counter name req6
	}
}
NFT
wire() { ip netns exec "$client" nft list counter inet wire "$1" | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }
# dropped COMMENT FAMILY: packets counted by flowlane's forward rule with
# that comment whose source address is of FAMILY (ip or ip6).
dropped() {
	ip netns exec "$host" nft -j list chain inet flowlane forward | $PY -c '
import json, sys
comment, family = sys.argv[1], sys.argv[2]
def payloads(e):
    left = e.get("match", {}).get("left", {})
    for p in left.get("concat", []) + [left]:
        if isinstance(p, dict) and "payload" in p:
            yield p["payload"]
rules = [x["rule"] for x in json.load(sys.stdin)["nftables"] if "rule" in x]
m = [r for r in rules if r.get("comment") == comment and
     {"protocol": family, "field": "saddr"} in [p for e in r["expr"] for p in payloads(e)]]
if len(m) != 1:
    print("%d rules %s for %s" % (len(m), comment, family))
else:
    print(sum(e["counter"]["packets"] for e in m[0]["expr"] if "counter" in e))' "$1" "$2"
}
edit() { $PY -c 'import json, sys; d = json.load(open(sys.argv[1])); exec(sys.argv[2]); json.dump(d, open(sys.argv[1], "w"))' "$doc" "$1"; }
edit 'd["vms"][0]["ipv6"] = "fd10:1::2"; d["vms"][1]["outbound"] = "drop"; d["vms"][1]["firewall"] = [{"proto": "icmp"}]'
out=$(ip netns exec "$host" "$FLOWLANE" apply --nft-only "$doc" 2>&1)
check_eq "apply: vm1 with IPv6, vm2 outbound drop" 0 $?
check_match "apply turns IPv6 forwarding on" "sysctl net.ipv6.conf.all.forwarding: 0 -> 1" "$out"
check_eq "before: no spoofed or outbound packet dropped" "0 0" "$(dropped anti-spoofing ip6) $(dropped 'outbound drop' ip)"

ip netns exec "$vm1" ping -6 -c 3 -i 0.2 -W 2 -I fd10:1::2 fd51::2 > /dev/null
check_eq "vm1 pings the client from its own IPv6 address" 0 $?
ip netns exec "$vm1" ping -6 -c 3 -i 0.2 -W 1 -I fd10:1::99 fd51::2 > /dev/null
check_eq "vm1 pinging from an address it does not own gets no answer" 1 $?
check_eq "the client got the 3 echo requests of vm1's own address, none of the spoofed ones" 3 "$(wire req6)"
check_eq "the host's anti-spoofing rule dropped the 3 spoofed requests" 3 "$(dropped anti-spoofing ip6)"

ip netns exec "$vm2" ping -c 3 -i 0.2 -W 1 198.51.100.2 > /dev/null
check_eq "vm2 (outbound drop) cannot ping out" 1 $?
check_eq "the host's outbound drop rule dropped its 3 requests" 3 "$(dropped 'outbound drop' ip)"
check_eq "the client got none of them" 0 "$(wire req4)"
ip netns exec "$client" ping -c 3 -i 0.2 -W 2 10.10.2.2 > /dev/null
check_eq "vm2 (outbound drop) still answers: the client's pings come back" 0 $?
check_eq "answering dropped nothing more" 3 "$(dropped 'outbound drop' ip)"
exit $ret
