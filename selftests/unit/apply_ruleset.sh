#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `flowlane apply --nft-only` on this machine's kernel, in a fresh network
# namespace: the ruleset it programs, read back with `nft -j` and checked
# rule by rule and element by element; other tables left alone.
#
#   [ netns: lo; table inet other (someone else's) ]
#        flowlane apply examples/cloud-host.json (eth0 -> lo)
source "$(dirname "$0")/apply_lib.sh"

nft -f - << 'NFT'
table inet other {
	set keep { type ipv4_addr; elements = { 192.0.2.1 } }
	chain c1 { type filter hook forward priority 10; policy accept; ip saddr @keep counter accept; }
}
NFT
other_before=$(nft list table inet other)

doc=$FL_WORK/host.json
sed 's/"eth0"/"lo"/g' "$FL_TOP/examples/cloud-host.json" > "$doc"
apply_ok "cloud-host example" "$doc"
check_match "apply reports its changes" "^applied .*host.json: [0-9]+ changes in [0-9.]+ ms$" "$out"

check_eq "tables: flowlane's two and the other one" \
	"inet flowlane|inet other|ip flowlane_nat" "$(nft list tables | sed 's/^table //' | sort | paste -sd '|')"
check_eq "the other table is untouched" "$other_before" "$(nft list table inet other)"

# Everything below reads one snapshot: "TABLE SET: element", "TABLE CHAIN: rule".
S=$(snapshot)
sel() { echo "$S" | sed -n "s/^$1 $2: //p"; }
elems() { sel "$2" "$3"; }

# The inbound verdict maps: one element per VM address, to the VM's chain.
web1=$(elems inet flowlane vm_in4 | sed -n 's/^10.10.0.2 : jump //p')
db1=$(elems inet flowlane vm_in4 | sed -n 's/^10.10.0.3 : jump //p')
check_match "web1's chain is named after it and its firewall" "^in_web1_[0-9a-f]{8}$" "$web1"
check_match "db1's chain is named after it and its firewall" "^in_db1_[0-9a-f]{8}$" "$db1"
check_eq "vm_in6: web1's IPv6 address to the same chain" "fd10::2 : jump $web1" \
	"$(elems inet flowlane vm_in6)"
check_eq "VM chains and the fixed ones" \
	"forward $db1 $web1 raw_output raw_prerouting" \
	"$(echo "$S" | sed -n 's/^flowlane \([a-z_0-9]*\): .*/\1/p' | grep -v '^vm_\|^notrack' | sort -u | xargs)"

# web1's firewall, rule by rule: source prefixes, single ports, a range,
# ICMP for both families, then the default deny.
check_eq "web1's firewall" "ip.saddr == 198.51.100.0/24; tcp.dport == 22; accept
tcp.dport == 80; accept
ip.saddr == 10.10.0.0/16; tcp.dport == 8000-8100; accept
meta.l4proto == icmp; accept
meta.l4proto == ipv6-icmp; accept
counter; drop" "$(sel flowlane "$web1")"
check_eq "db1's firewall" "ip.saddr == 10.10.0.0/16; tcp.dport == 5432; accept
counter; drop" "$(sel flowlane "$db1")"

# The forward chain: constant length, whatever the number of VMs.
fwd=$(sel flowlane forward)
check_eq "forward chain has 19 rules" 19 "$(echo "$fwd" | wc -l)"
check_match "anti-spoofing on VM interfaces" \
	"meta.iifname == @vm_ifaces; meta.iifname . ip.saddr != @vm_src4; counter; drop" "$fwd"
check_match "replies accepted before the firewall" "^ct.direction == reply; accept$" "$fwd"
check_match "new flows tagged by destination VM" \
	"^ct.state in new; ct.mark set ip.daddr map @vm_tag4$" "$fwd"
check_match "new flows tagged by source VM" \
	"^ct.state in new; ct.mark set ip.saddr map @vm_tag4$" "$fwd"
check_match "new flows of a service tagged by the address the client connected to" \
	"^ct.state in new; meta.nfproto == ipv4; ct.mark set ct.ip daddr . meta.l4proto . ct.proto-dst map @svc_tag4$" "$fwd"
check_match "one verdict-map lookup for every VM" "^ip.daddr vmap @vm_in4$" "$fwd"
check_match "outbound policy by set" "^ip.saddr == @vm_outdrop4; counter; drop$" "$fwd"
check_eq "rule order: spoofing, untracked, state, tags (VMs', then services'), firewall, outbound" \
	"drop drop accept accept accept accept drop accept accept ct.mark ct.mark ct.mark ct.mark ct.mark ct.mark vmap vmap drop drop" \
	"$(echo "$fwd" | awk -F'; ' '{ v = $NF; if (v ~ /ct.mark set/) v = "ct.mark"; else if (v ~ /vmap/) v = "vmap"; printf "%s ", v }' | xargs)"

check_eq "tags: web = 10, batch = 20 in the conntrack mark" \
	"10.10.0.2 : 10|10.10.0.3 : 20" "$(elems inet flowlane vm_tag4 | paste -sd '|')"
check_eq "tag of web1's IPv6 address" "fd10::2 : 10" "$(elems inet flowlane vm_tag6)"
check_eq "VM interfaces" "vmtap-db1|vmtap-web1" "$(elems inet flowlane vm_ifaces | paste -sd '|')"
check_eq "VM interface . source address" "vmtap-db1 . 10.10.0.3|vmtap-web1 . 10.10.0.2" \
	"$(elems inet flowlane vm_src4 | paste -sd '|')"
check_eq "outbound drop: db1" "10.10.0.3" "$(elems inet flowlane vm_outdrop4)"
check_eq "notrack service" "203.0.113.53 . udp . 53" "$(elems inet flowlane notrack4)"
check_eq "notrack in prerouting before conntrack, both directions" \
	"ip.daddr . meta.l4proto . th.dport == @notrack4; notrack|ip.saddr . meta.l4proto . th.sport == @notrack4; notrack" \
	"$(sel flowlane raw_prerouting | head -2 | paste -sd '|')"
check_eq "raw chains hook at priority raw, forward at filter" \
	"hook prerouting priority raw hook output priority raw hook forward priority filter" \
	"$(nft list table inet flowlane | grep -o 'hook [a-z]* priority [a-z]*' | xargs)"

# NAT: 1:1 both ways, masquerade for the VM without a public address.
check_eq "1:1 dnat: public -> private" "203.0.113.10 : 10.10.0.2" "$(elems ip flowlane_nat dnat4)"
check_eq "1:1 snat: private -> public" "10.10.0.2 : 203.0.113.10" "$(elems ip flowlane_nat snat4)"
check_eq "masquerade: db1 only" "10.10.0.3" "$(elems ip flowlane_nat masq4)"
check_eq "uplinks" "lo" "$(elems ip flowlane_nat uplinks)"
check_eq "postrouting: snat map, then masquerade, on uplinks only; then hairpin towards VMs" \
	"meta.oifname == @uplinks; snat to ip.saddr map @snat4
meta.oifname == @uplinks; ip.saddr == @masq4; masquerade
meta.oifname != @uplinks; ct.status in dnat; ip.saddr == @hairpin4; masquerade" \
	"$(sel flowlane_nat postrouting)"
check_eq "hairpin: every VM's IPv4 address" "10.10.0.2|10.10.0.3" \
	"$(elems ip flowlane_nat hairpin4 | paste -sd '|')"
check_eq "prerouting: services vmap, then 1:1 dnat map" \
	"ip.daddr . meta.l4proto . th.dport vmap @services
dnat to ip.daddr map @dnat4" "$(sel flowlane_nat prerouting)"

# The load-balanced service: one vmap element, a chain, a backend map.
lb=$(elems ip flowlane_nat services | sed -n 's/^203.0.113.80 . tcp . 80 : jump //p')
check_match "service www reached by address . proto . port" "^lb_www_[0-9a-f]{8}$" "$lb"
check_eq "round robin over the backends" \
	"meta.l4proto == tcp; dnat to numgen inc mod 2 map @lbm_${lb#lb_}" \
	"$(sel flowlane_nat "$lb")"
check_eq "backends" "0 : 10.10.0.2 . 8080|1 : 10.10.0.3 . 8080" \
	"$(elems ip flowlane_nat "lbm_${lb#lb_}" | paste -sd '|')"

# show-config prints the applied document.
check_eq "show-config prints the applied document" "$(cat "$doc")" "$("$FLOWLANE" show-config 2>&1)"

# --rebuild recreates the same ruleset.
before=$(snapshot)
apply_ok "--rebuild" --rebuild "$doc"
check_eq "--rebuild gives the same ruleset" "$before" "$(snapshot)"
check_eq "the other table is still untouched" "$other_before" "$(nft list table inet other)"

# Every rule says whose or what it is; every drop is counted.
rules_json() { nft -j list ruleset | python3 -c '
import json, sys
for o in json.load(sys.stdin)["nftables"]:
    r = o.get("rule")
    if not r or r["table"] not in ("flowlane", "flowlane_nat"): continue
    kinds = [list(e)[0] for e in r["expr"]]
    print("%s|%s|%s" % (r["chain"][:3], r.get("comment", "NONE"), ",".join(kinds)))'; }
R=$(rules_json)
check_eq "every rule of flowlane's carries a comment" 0 "$(echo "$R" | grep -c '|NONE|')"
check_eq "every drop is counted (anti-spoofing 2, invalid 1, outbound 2, the VMs' 2)" \
	"7 7" "$(echo "$R" | grep -c '[|,]drop$') $(echo "$R" | grep -c '[|,]counter,drop$')"
check_eq "the comments: purpose, VM or service" \
	"1:1 dnat|1:1 snat|anti-spoofing|ct direction reply accept|ct mark set (service tag)|ct mark set (tag)|ct state invalid drop|ct state related accept|hairpin masquerade|inbound firewall vmap|load-balanced services vmap|masquerade|notrack services|notrack services accepted|outbound drop|service www|vm db1|vm db1: default deny|vm web1|vm web1: default deny" \
	"$(echo "$R" | cut -d'|' -f2 | sort -u | paste -sd '|')"

# A document with only a fast path (a router) programs no nftables rule:
# the tables go; one without uplinks or services, no NAT table.
router=$FL_WORK/router.json
sed 's/"eth[01]"/"lo"/g; s/\["lo", "lo"\]/["lo"]/' "$FL_TOP/examples/router.json" > "$router"
d=$("$FLOWLANE" diff -v "$router"); rc=$?
check_eq "router after cloud-host: diff -v takes both tables away" \
	"1 - table flowlane (the document needs none)|- table flowlane_nat (the document needs none)" \
	"$rc $(echo "$d" | grep -v sysctl | paste -sd '|')"
apply_ok "router: the fast path only" "$router"
check_eq "router: no flowlane table left, the other one kept" "table inet other" "$(nft list tables)"
apply_ok "router again" "$router"
check_eq "router again: unchanged" "applied $router: unchanged" "$out"
echo '{"vms": [{"name": "a", "ipv4": "10.0.0.2"}]}' > "$FL_WORK/noup.json"
apply_ok "VMs without uplinks" "$FL_WORK/noup.json"
check_eq "VMs without uplinks: the filter table only" "table inet other|table inet flowlane" \
	"$(nft list tables | paste -sd '|')"

# The raw chains hook every packet before conntrack, for the notrack
# entries only: VMs alone have none; notrack entries bring them, and a
# document without them again takes them away through the drift check.
chains() { "$Q" chains inet flowlane | xargs; }
S=$(snapshot)
in_a=$(elems inet flowlane vm_in4 | sed -n 's/^10.0.0.2 : jump //p')
check_match "VMs without notrack: the VM's chain" "^in_a_[0-9a-f]{8}$" "$in_a"
check_eq "VMs without notrack: forward and the VM's chain, no raw chain" \
	"forward $in_a" "$(chains)"
nt=$FL_WORK/notrack.json
cp "$FL_WORK/noup.json" "$nt"
edit_doc "$nt" 'd["notrack"] = [{"proto": "udp", "port": 53, "address": "192.0.2.53"}]'
apply_ok "VMs and a notrack entry" "$nt"
check_eq "VMs with notrack: the raw chains too" \
	"forward $in_a raw_output raw_prerouting" "$(chains)"
S=$(snapshot)
check_eq "VMs with notrack: 4 notrack rules in each raw chain" "4 4" \
	"$(sel flowlane raw_prerouting | grep -c '; notrack$') $(sel flowlane raw_output | grep -c '; notrack$')"
check_eq "VMs with notrack: the raw chains hook at priority raw (hooks sorted)" \
	"hook forward priority filter|hook output priority raw|hook prerouting priority raw" \
	"$(nft list table inet flowlane | grep -o 'hook [a-z]* priority [a-z]*' | sort | paste -sd '|')"
d=$("$FLOWLANE" diff -v "$FL_WORK/noup.json"); rc=$?
check_eq "notrack gone: diff -v takes the element and the raw chains away" "1 - element flowlane notrack4 { 192.0.2.53 . udp . 53 }
- chain flowlane raw_output (no notrack entry needs it)
- chain flowlane raw_prerouting (no notrack entry needs it)" "$rc $d"
apply_ok "VMs without notrack again" "$FL_WORK/noup.json"
check_eq "VMs without notrack again: no raw chain left" "forward $in_a" "$(chains)"
apply_ok "VMs without notrack, once more" "$FL_WORK/noup.json"
check_eq "VMs without notrack, once more: unchanged" "applied $FL_WORK/noup.json: unchanged" "$out"
exit $ret
