#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# IPv6 load-balanced services (issue 17, point 3), as unit/apply_lb.sh does
# IPv4's: `flowlane apply --nft-only` on this machine's kernel, real TCP
# connections over IPv6, the backend each one reaches. Their DNAT lives in
# `table ip6 flowlane_nat6`, which exists only while the document has an
# IPv6 service; the backend VMs' firewalls see the translated packets.
#
#   [ cl: 2001:db8:c::2, ::3 ] --up0-- [ this netns: flowlane ] --tap1-- [ b1: 2001:db8:1::11 (VM /64) ]
#          service www6 [2001:db8:80::80]:80                    --tap2-- [ b2: 2001:db8:2::12 (VM /128) ]
#
# The cases both families share are in unit/apply_lb_lib.sh.
source "$(dirname "$0")/apply_lb_lib.sh"

# nodad: no duplicate address detection, the addresses are usable at once.
lb_topology 2001:db8:c:: 2001:db8:1:: 2001:db8:2:: 64 nodad
doc=$FL_WORK/lb6.json SVC=www6 VIP=2001:db8:80::80 NAT="ip6 flowlane_nat6"
cat > "$doc" << 'JSON'
{ "vms": [{ "name": "b1", "ipv6": "2001:db8:1::/64", "interfaces": ["tap1"],
            "firewall": [{ "proto": "tcp", "port": 8080 }] },
          { "name": "b2", "ipv6": "2001:db8:2::12", "interfaces": ["tap2"],
            "firewall": [{ "proto": "tcp", "port": 8080 }] }],
  "services": [{ "name": "www6", "address": "2001:db8:80::80", "proto": "tcp", "port": 80,
                 "scheduler": "rr",
                 "backends": [{ "address": "2001:db8:1::11", "port": 8080 },
                              { "address": "2001:db8:2::12", "port": 8080 }] }] }
JSON

svc "s['scheduler'] = 'rr'"
check_eq "the IPv6 NAT table is made, next to the filter table (no uplinks: no IPv4 NAT table)" \
	"inet flowlane|ip6 flowlane_nat6" "$(tables)"
check_eq "dstnat chains: the services vmap at IPv4's priorities" \
	"prerouting: type nat hook prerouting priority dstnat; policy accept;|output: type nat hook output priority -100; policy accept;" \
	"$(for c in prerouting output; do echo "$c: $(nft list chain ip6 flowlane_nat6 $c | grep -o 'type .*')"; done | paste -sd '|')"
check_eq "dstnat rules: the services vmap only" \
	"ip6.daddr . meta.l4proto . th.dport vmap @services|ip6.daddr . meta.l4proto . th.dport vmap @services" \
	"$( ("$Q" rules ip6 flowlane_nat6 prerouting; "$Q" rules ip6 flowlane_nat6 output) | paste -sd '|')"
lb_schedulers ip6.saddr

# The forward chain's firewall of the backend VM judges the translated
# packet (DNAT happened in prerouting): b2 admitting only port 9999 drops
# the SYN sent to it, counted by its default deny. The dropped SYN's
# conntrack entry was never confirmed, so its retransmission is a new
# connection to the service, and the next slot, b1's: from a fresh chain
# (slot 0 first), 4 connections are b1, then 3 times b2 dropped and b1.
svc "s['scheduler'] = 'rr'"
edit_doc "$doc" "d['vms'][1]['firewall'] = [{ 'proto': 'tcp', 'port': 9999 }]"
apply_ok "b2's firewall without port 8080" "$doc"
b2chain=$(elems inet flowlane vm_in6 | sed -n 's/^2001:db8:2::12 : jump //p')
check_eq "firewall: every connection ends at b1 (b2's firewall refuses port 8080)" \
	"b1 b1 b1 b1" "$(seq_lb 4)"
check_eq "firewall: b2's default deny counted the 3 SYNs translated to it" 3 \
	"$(counter "inet flowlane" "$b2chain" "vm b2: default deny")"
edit_doc "$doc" "d['vms'][1]['firewall'] = [{ 'proto': 'tcp', 'port': 8080 }]"
apply_ok "b2's firewall back" "$doc"

lb_drain
lb_no_backend_up
lb_limit
svc "del s['new_connections_per_second']"

out=$("$FLOWLANE" diff "$doc" 2>&1); rc=$?
check_eq "diff after apply: nothing" "0 " "$rc $out"

# Drift: a slot of the IPv6 backend map deleted by hand is shown and put back.
nft delete element ip6 flowlane_nat6 "lbm_${lb#lb_}" '{ 1 }'
out=$("$FLOWLANE" diff -v "$doc" 2>&1); rc=$?
check_eq "drift: diff -v shows the missing slot" \
	"1 + element flowlane_nat6 lbm_${lb#lb_} { 0x00000001 : 2001:db8:2::12 }" \
	"$rc $(echo "$out" | grep 'element flowlane_nat6' | paste -sd '|')"
apply_ok "drift: apply repairs the map" "$doc"
check_eq "drift: the map as the document makes it" \
	"0 : 2001:db8:1::11 . 8080|1 : 2001:db8:2::12 . 8080" "$(map)"
# A hand-made rule in a fixed chain of the IPv6 table.
nft insert rule ip6 flowlane_nat6 prerouting ip6 daddr 2001:db8:80::80 tcp dport 80 dnat to '[2001:db8:1::11]:8080'
out=$("$FLOWLANE" diff "$doc" 2>&1); rc=$?
check_eq "drift: diff shows the rule added to prerouting" \
	"1 - rule flowlane_nat6 prerouting: ip6 daddr 2001:db8:80::80 tcp dport 80 dnat to [2001:db8:1::11]:8080" "$rc $out"
apply_ok "drift: apply takes the rule away" "$doc"
check_eq "drift: prerouting as the document makes it" \
	"ip6.daddr . meta.l4proto . th.dport vmap @services" "$("$Q" rules ip6 flowlane_nat6 prerouting)"
out=$("$FLOWLANE" diff "$doc" 2>&1); rc=$?
check_eq "drift: then diff says nothing" "0 " "$rc $out"

# flowlane backend takes an IPv6 address, alone or as [ADDR]:PORT.
out=$("$FLOWLANE" backend www6 2001:db8:2::12 drain --nft-only "$doc" 2>&1); rc=$?
check_match "backend drain (IPv6): exit 0, applied" "^0 applied .*lb6.json: [0-9]+ changes" "$rc $out"
lbname
check_eq "backend drain (IPv6): the map has b1 only" "0 : 2001:db8:1::11 . 8080" "$(map)"
out=$("$FLOWLANE" backend www6 '[2001:db8:2::12]:8080' up --nft-only "$doc" 2>&1); rc=$?
check_match "backend up ([ADDR]:PORT): exit 0, applied" "^0 applied .*lb6.json: [0-9]+ changes" "$rc $out"
lbname
check_eq "backend up ([ADDR]:PORT): both backends again" \
	"0 : 2001:db8:1::11 . 8080|1 : 2001:db8:2::12 . 8080" "$(map)"
out=$(FLOWLANE_TEST_FAIL_AFTER_COMMIT=1 "$FLOWLANE" backend www6 2001:db8:2::12 down --nft-only "$doc" 2>&1); rc=$?
lbname
check_eq "a failed apply puts the IPv6 map back (restore_previous)" \
	"1 0 : 2001:db8:1::11 . 8080|1 : 2001:db8:2::12 . 8080" "$rc $(map)"

# An IPv4 service next to it: both NAT tables, each with its own service.
v4=$FL_WORK/v4.json
edit_doc "$doc" "d['vms'][0]['ipv4'] = '10.0.1.11'; d['services'].append({'name': 'www4', 'address': '198.51.100.80', 'proto': 'tcp', 'port': 80, 'backends': [{'address': '10.0.1.11', 'port': 8080}]})"
apply_ok "an IPv4 service added" "$doc"
check_eq "both families: three tables" "inet flowlane|ip flowlane_nat|ip6 flowlane_nat6" "$(tables)"
check_eq "both families: one service in each table" "198.51.100.80 . tcp . 80|2001:db8:80::80 . tcp . 80" \
	"$( (elems ip flowlane_nat services; elems ip6 flowlane_nat6 services) | sed 's/ : .*//' | paste -sd '|')"

# A failed apply that would have taken the IPv6 table away leaves it.
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["services"]=d["services"][1:]; json.dump(d, open(sys.argv[2], "w"))' "$doc" "$v4"
out=$(FLOWLANE_TEST_FAIL_AFTER_COMMIT=1 "$FLOWLANE" apply --nft-only "$v4" 2>&1); rc=$?
check_eq "failed apply without IPv6 services: exit 1, the IPv6 table back" \
	"1 inet flowlane|ip flowlane_nat|ip6 flowlane_nat6" "$rc $(tables)"
lbname
check_eq "failed apply without IPv6 services: the IPv6 map as before" \
	"0 : 2001:db8:1::11 . 8080|1 : 2001:db8:2::12 . 8080" "$(map)"

# A document without IPv6 services: the IPv6 table goes, IPv4's stays.
out=$("$FLOWLANE" diff "$v4" 2>&1); rc=$?
check_eq "no IPv6 service any more: diff says so in the document's words" \
	"1 - service www6: ip6 daddr 2001:db8:80::80 tcp dport 80|- service www6: scheduler round-robin|- service www6: backend [2001:db8:1::11]:8080|- service www6: backend [2001:db8:2::12]:8080" \
	"$rc $(echo "$out" | paste -sd '|')"
out=$("$FLOWLANE" diff -v "$v4" 2>&1); rc=$?
check_eq "no IPv6 service any more: diff -v says the table goes" \
	"1 - table flowlane_nat6 (the document needs none)" "$rc $(echo "$out" | grep flowlane_nat6)"
apply_ok "no IPv6 service any more" "$v4"
check_eq "no IPv6 service any more: the IPv6 table is gone" "inet flowlane|ip flowlane_nat" "$(tables)"
out=$("$FLOWLANE" diff "$v4" 2>&1); rc=$?
check_eq "no IPv6 service any more: then diff says nothing" "0 " "$rc $out"

# A table that was deleted by hand comes back; --remove takes all three.
apply_ok "IPv6 service again" "$doc"
nft delete table ip6 flowlane_nat6
out=$("$FLOWLANE" diff -v "$doc" 2>&1); rc=$?
check_eq "IPv6 table deleted by hand: diff -v adds it" "1 + table flowlane_nat6" \
	"$rc $(echo "$out" | grep 'table flowlane_nat6')"
apply_ok "IPv6 table deleted by hand: apply" "$doc"
lbname
check_eq "IPv6 table deleted by hand: the service back, 8 connections alternate" \
	"b1 b2 b1 b2 b1 b2 b1 b2" "$(seq_lb 8)"
# A route for the host's own connect() to find; the output chain's DNAT
# then sends them to the backends.
ip route add 2001:db8:80::/64 dev up0
check_eq "the host's own connections are balanced too (output chain)" "b1 b2" \
	"$(python3 "$P" seq 2001:db8:80::80 80 2 | xargs)"
# The service's own tag in its connections' conntrack mark, over IPv6.
edit_doc "$doc" 'd["tags"] = [{"name": "web", "id": 10}, {"name": "lb", "id": 30}]
for v in d["vms"]: v["tag"] = "web"
d["services"][0]["tag"] = "lb"'
apply_ok "IPv6 service tag lb (30), VMs tag web (10)" "$doc"
check_eq "svc_tag6: the service's address . proto . port to tag lb's mark" \
	"2001:db8:80::80 . tcp . 80 : 30" "$(elems inet flowlane svc_tag6)"
conntrack -F 2> /dev/null
lbname
seq_lb 4 > /dev/null
check_eq "4 IPv6 connections to the service: all marked 30 (the service's tag)" "4 mark=30" \
	"$(conntrack -L -f ipv6 -p tcp --orig-dst 2001:db8:80::80 2> /dev/null |
	   grep -o 'mark=[0-9]*' | sort | uniq -c | xargs)"
out=$("$FLOWLANE" apply --remove --nft-only 2>&1); rc=$?
check_eq "apply --remove: exit 0, no table of flowlane's left" "0 " "$rc $(tables)"
exit $ret
