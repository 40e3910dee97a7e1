#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Drift: what someone changes by hand inside flowlane's tables, of every
# kind, is shown by `diff` (exit 1) and undone by the next `apply`, in one
# transaction, on this machine's kernel in a fresh network namespace:
#   an accept rule inserted in forward (the firewall is off), a VM chain
#   flushed, a rule added to a VM chain, an extra chain (and a jump to it),
#   a base chain's policy or priority changed, an extra element, an extra
#   set. After each repair the ruleset is the one apply left, rule for rule
#   and element for element, and diff exits 0. Rules read as `nft list`
#   prints them (nftwords.c).
source "$(dirname "$0")/apply_lib.sh"

doc=$FL_WORK/host.json
sed 's/"eth0"/"lo"/g' "$FL_TOP/examples/cloud-host.json" > "$doc"
apply_ok "cloud-host example" "$doc"
# A chain recreated is listed last: chains in name order, rules in theirs.
hooks() { nft list ruleset | grep -o 'chain [a-z_0-9]* {\|type [a-z]* hook [a-z]* priority [a-z0-9+-]*; policy [a-z]*' | paste -sd ' ' | sed 's/ chain /\nchain /g' | sort; }
state() { snapshot | sort -s -t: -k1,1; }
S0=$(state); H0=$(hooks)
web1=$(elems inet flowlane vm_in4 | sed -n 's/^10.10.0.2 : jump //p')

# drifted WHAT EXPECTED_DIFF: diff shows EXPECTED_DIFF (exit 1), apply
# repairs in one generation step, the ruleset is back, diff exits 0.
drifted() {
	local what=$1 want=$2 d rc g
	d=$("$FLOWLANE" diff "$doc" 2>&1); rc=$?
	check_eq "$what: diff exits 1" 1 "$rc"
	check_eq "$what: diff shows it" "$want" "$d"
	g=$(gen)
	apply_ok "$what: apply" "$doc"
	check_eq "$what: repaired in one transaction" "$((g + 1))" "$(gen)"
	check_eq "$what: the rules and elements apply left" "$S0" "$(state)"
	check_eq "$what: the chains, hooks and policies apply left" "$H0" "$(hooks)"
	d=$("$FLOWLANE" diff "$doc" 2>&1); rc=$?
	check_eq "$what: then diff exits 0 and says nothing" "0 " "$rc $d"
}

nft insert rule inet flowlane forward accept
drifted "an accept rule inserted in forward" \
	"- rule flowlane forward: accept"

nft flush chain inet flowlane "$web1"
drifted "a flushed VM chain: its 6 rules to add, in order, nothing else" \
	"+ rule flowlane $web1: ip saddr 198.51.100.0/24 tcp dport 22 accept comment \"vm web1\"
+ rule flowlane $web1: tcp dport 80 accept comment \"vm web1\"
+ rule flowlane $web1: ip saddr 10.10.0.0/16 tcp dport 8000-8100 accept comment \"vm web1\"
+ rule flowlane $web1: meta nfproto ipv4 meta l4proto icmp accept comment \"vm web1\"
+ rule flowlane $web1: meta nfproto ipv6 meta l4proto ipv6-icmp accept comment \"vm web1\"
+ rule flowlane $web1: counter drop comment \"vm web1: default deny\""

nft insert rule inet flowlane "$web1" tcp dport 3306 accept
drifted "a rule added to a VM chain" \
	"- rule flowlane $web1: tcp dport 3306 accept"

nft add rule inet flowlane "$web1" ip saddr 10.0.0.0/8 tcp dport '{ 22, 80 }' accept
drifted "a rule with an anonymous set added to a VM chain (the set goes with it)" \
	"- rule flowlane $web1: ip saddr 10.0.0.0/8 tcp dport @__set0 accept"

nft insert rule inet flowlane forward iifname "vm*" ip6 saddr fd00::/8 udp sport 1000-2000 \
	ct state new,established counter drop comment '"mine"'
drifted "a rule of prefixes, ranges and flags inserted in forward" \
	"- rule flowlane forward: iifname \"vm*\" ip6 saddr fd00::/8 udp sport 1000-2000 ct state established,new counter drop comment \"mine\""

nft add rule ip flowlane_nat postrouting oifname lo ip daddr != 192.0.2.1 meta mark 0x2a masquerade
drifted "a NAT rule appended to postrouting" \
	"- rule flowlane_nat postrouting: oifname \"lo\" ip daddr != 192.0.2.1 meta mark 0x0000002a masquerade"

nft add rule inet flowlane forward meta l4proto tcp limit rate over 10/second burst 5 packets \
	log prefix '"x "' ct mark set jhash ip saddr mod 2 seed 0x1 reject
drifted "a rule of limit, log, hash, ct mark set and reject appended to forward" \
	"- rule flowlane forward: meta l4proto tcp limit rate over 10/second burst 5 packets log prefix \"x \" ct mark set jhash ip saddr mod 2 seed 0x1 reject"

lb=$(elems ip flowlane_nat services | sed -n 's/^203.0.113.80 . tcp . 80 : jump //p')
nft flush chain ip flowlane_nat "$lb"
drifted "a service's chain flushed: its numgen, map and dnat" \
	"+ rule flowlane_nat $lb: meta l4proto tcp dnat to numgen inc mod 2 map @lbm_${lb#lb_} comment \"service www\""

nft add rule inet flowlane forward quota over 10 mbytes drop
drifted "an expression the words do not know: in libnftnl's" \
	"- rule flowlane forward: [ quota bytes 10485760 consumed 0 flags 1 ] drop"

nft add chain inet flowlane mine
nft add rule inet flowlane mine accept
nft add rule inet flowlane forward jump mine
drifted "an extra chain, jumped to from forward" \
	"- rule flowlane forward: jump mine
- chain flowlane mine (not flowlane's)"

nft chain inet flowlane forward '{ policy drop; }'
drifted "forward's policy set to drop" \
	"~ chain flowlane forward: filter hook forward priority 0 policy drop, not filter hook forward priority 0 policy accept: recreated"

nft flush chain ip flowlane_nat postrouting
nft delete chain ip flowlane_nat postrouting
nft add chain ip flowlane_nat postrouting '{ type nat hook postrouting priority 50; policy accept; }'
drifted "postrouting recreated by hand at another priority, empty" \
	"~ chain flowlane_nat postrouting: nat hook postrouting priority 50 policy accept, not nat hook postrouting priority 100 policy accept: recreated"

nft flush chain inet flowlane raw_output
nft delete chain inet flowlane raw_output
drifted "a base chain deleted: recreated with its 4 rules" "+ chain flowlane raw_output (missing)
+ rule flowlane raw_output: ip daddr . meta l4proto . th dport @notrack4 notrack comment \"notrack services\"
+ rule flowlane raw_output: ip saddr . meta l4proto . th sport @notrack4 notrack comment \"notrack services\"
+ rule flowlane raw_output: ip6 daddr . meta l4proto . th dport @notrack6 notrack comment \"notrack services\"
+ rule flowlane raw_output: ip6 saddr . meta l4proto . th sport @notrack6 notrack comment \"notrack services\""

nft add table inet flowlane '{ flags dormant; }'
drifted "the table made dormant (its chains hook nothing)" \
	"~ table flowlane: flags 0x1 (dormant), not 0: reactivated"
check_eq "the dormant table is active again" "" "$(nft list table inet flowlane | grep -o 'flags dormant')"

nft add element inet flowlane vm_in4 '{ 10.9.9.9 : accept }'
drifted "an extra element" "- element flowlane vm_in4 { 10.9.9.9 : accept }"

nft add set inet flowlane mine '{ type ipv4_addr; }'
drifted "an extra set" "- set flowlane mine (not flowlane's)"

# Several at once: one apply, one transaction.
nft insert rule inet flowlane forward accept
nft add rule inet flowlane "$web1" accept
nft add chain ip flowlane_nat mine
nft add element ip flowlane_nat masq4 '{ 10.9.9.9 }'
d=$("$FLOWLANE" diff "$doc")
check_eq "four edits at once: four lines" 4 "$(echo "$d" | wc -l)"
drifted "four edits at once" "$d"

# The document's own changes, in its words and nft's: per VM, service and
# tag, the rules, backends and addresses added and removed.
cp "$doc" "$FL_WORK/new.json"
edit_doc "$FL_WORK/new.json" 'd["vms"][0]["firewall"].append({"proto": "tcp", "port": 22, "source": "198.51.100.128/25"})
d["vms"][0]["firewall"].pop(1)
d["services"][0]["backends"].pop()
d["vms"][1]["tag"] = "web"
d["tags"][1]["threshold"] = 5
d["vms"].append({"name": "new", "ipv6": "fd10::9", "firewall": [{"proto": "icmp"}]})'
d=$("$FLOWLANE" diff "$FL_WORK/new.json"); rc=$?
check_eq "the document's changes: exit 1, one line per fact" '1 - tag batch: id 20 offload off threshold 20 max-flows 0 timeout 0
+ tag batch: id 20 offload off threshold 5 max-flows 0 timeout 0
- service www: backend 10.10.0.3:8080
- vm web1: tcp dport 80 accept
+ vm web1: ip saddr 198.51.100.128/25 tcp dport 22 accept
- vm db1: tag batch (ct mark 20)
+ vm db1: tag web (ct mark 10)
+ vm new: ip6 daddr fd10::9
+ vm new: meta l4proto { icmp, ipv6-icmp } accept' "$rc $d"
nft insert rule inet flowlane forward accept
d=$("$FLOWLANE" diff "$FL_WORK/new.json")
check_eq "a hand change and the document's: the hand change first" \
	"- rule flowlane forward: accept|- tag batch: id 20 offload off threshold 20 max-flows 0 timeout 0" \
	"$(echo "$d" | head -2 | paste -sd '|')"
d=$("$FLOWLANE" diff -v "$FL_WORK/new.json")
check_match "diff -v: the nftables plan instead, with web1's new chain" \
	"^\+ chain flowlane in_web1_[0-9a-f]{8}$" "$d"
exit $ret
