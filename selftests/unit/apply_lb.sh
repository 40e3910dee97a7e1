#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Load balancing as nftlb does it (issue 17, point 3), with `flowlane apply
# --nft-only` on this machine's kernel and real TCP connections: the
# backend each connection reaches, for every scheduler and backend state,
# that a state change leaves established connections alone, and the
# service's own tag in its connections' conntrack mark.
#
#   [ cl: 192.0.2.2, .3 ] --up0-- [ this netns: flowlane ] --tap1-- [ b1: 10.0.1.11:8080 ]
#                 service www 198.51.100.80:80             --tap2-- [ b2: 10.0.2.12:8080 ]
source "$(dirname "$0")/apply_lib.sh"

P=$FL_TOP/selftests/lbpeer.py
trap 'kill $(jobs -p) 2> /dev/null; cleanup_ns; rm -rf "$FL_WORK"' EXIT
setup_ns cl b1 b2 || exit $ksft_fail
ip link add name up0 type veth peer name eth0 netns "$cl"
ip link add name tap1 type veth peer name eth0 netns "$b1"
ip link add name tap2 type veth peer name eth0 netns "$b2"
for d in up0 tap1 tap2; do ip link set "$d" up; done
for ns in $cl $b1 $b2; do ip -n "$ns" link set eth0 up; done
ip addr add 192.0.2.1/24 dev up0
ip addr add 10.0.1.1/24 dev tap1
ip addr add 10.0.2.1/24 dev tap2
ip -n "$cl" addr add 192.0.2.2/24 dev eth0
ip -n "$cl" addr add 192.0.2.3/24 dev eth0
ip -n "$cl" route add default via 192.0.2.1
ip -n "$b1" addr add 10.0.1.11/24 dev eth0
ip -n "$b1" route add default via 10.0.1.1
ip -n "$b2" addr add 10.0.2.12/24 dev eth0
ip -n "$b2" route add default via 10.0.2.1
ip netns exec "$b1" python3 "$P" server b1 8080 &
ip netns exec "$b2" python3 "$P" server b2 8080 &
up() { ip netns exec "$1" ss -Hltn 'sport = :8080' | grep -q LISTEN; }
wait_for 30 up "$b1" && wait_for 30 up "$b2" || fail "the backends' servers did not start"

doc=$FL_WORK/lb.json
cat > "$doc" << 'JSON'
{ "vms": [{ "name": "b1", "ipv4": "10.0.1.11", "interfaces": ["tap1"],
            "firewall": [{ "proto": "tcp", "port": 8080 }] },
          { "name": "b2", "ipv4": "10.0.2.12", "interfaces": ["tap2"],
            "firewall": [{ "proto": "tcp", "port": 8080 }] }],
  "services": [{ "name": "www", "address": "198.51.100.80", "proto": "tcp", "port": 80,
                 "scheduler": "rr",
                 "backends": [{ "address": "10.0.1.11", "port": 8080 },
                              { "address": "10.0.2.12", "port": 8080 }] }] }
JSON
# svc PYTHON: edit the service (s) and its backends (b1, b2), then apply.
svc() {
	edit_doc "$doc" "s = d['services'][0]; b1, b2 = s['backends']; $1"
	apply_ok "$1" "$doc"
	lbname
}
# lb: the service's chain now (named after the service's hash).
lbname() { lb=$(elems ip flowlane_nat services | sed -n 's/^198.51.100.80 . tcp . 80 : jump //p'); }
# seq N [SRC]: the backends of N connections, one after the other.
seq_lb() { ip netns exec "$cl" env LBPEER_SRC="${2:-}" python3 "$P" seq 198.51.100.80 80 "$1" | xargs; }
rules() { "$Q" rules ip flowlane_nat "$lb"; }
map() { elems ip flowlane_nat "lbm_${lb#lb_}" | paste -sd '|'; }
# counter COMMENT: the packets counted by the rule of the service's chain with COMMENT.
counter() {
	nft -j list chain ip flowlane_nat "$lb" | python3 -c '
import json, sys
print(sum(e["counter"]["packets"] for o in json.load(sys.stdin)["nftables"]
          if o.get("rule", {}).get("comment") == sys.argv[1]
          for e in o["rule"]["expr"] if "counter" in e))' "$1"
}

svc "s['scheduler'] = 'rr'"
check_eq "rr: numgen inc over the two backends" \
	"meta.l4proto == tcp; dnat to numgen inc mod 2 map @lbm_${lb#lb_}" "$(rules)"
check_eq "rr: 8 connections alternate" "b1 b2 b1 b2 b1 b2 b1 b2" "$(seq_lb 8)"

svc "s['scheduler'] = 'weight'; b1['weight'] = 3"
check_eq "weight 3:1: four slots, three of b1" \
	"0 : 10.0.1.11 . 8080|1 : 10.0.1.11 . 8080|2 : 10.0.1.11 . 8080|3 : 10.0.2.12 . 8080" "$(map)"
check_eq "weight 3:1: exactly 6 and 2 of 8 connections, in slot order" \
	"b1 b1 b1 b2 b1 b1 b1 b2" "$(seq_lb 8)"
svc "s['scheduler'] = 'rr'"
check_eq "rr ignores weights: one slot each" "0 : 10.0.1.11 . 8080|1 : 10.0.2.12 . 8080" "$(map)"

svc "s['scheduler'] = 'hash'; del b1['weight']"
check_eq "hash: jhash of the client address" \
	"meta.l4proto == tcp; dnat to jhash ip.saddr mod 2 map @lbm_${lb#lb_}" "$(rules)"
for src in 192.0.2.2 192.0.2.3; do
	got=$(seq_lb 8 "$src")
	check_eq "hash: the 8 connections of $src reach one backend" 1 \
		"$(echo "$got" | tr ' ' '\n' | grep -v none | sort -u | wc -l)$(echo "$got" | grep -o none)"
done

svc "s['scheduler'] = 'symhash'"
check_eq "symhash: symmetric hash" \
	"meta.l4proto == tcp; dnat to symhash mod 2 map @lbm_${lb#lb_}" "$(rules)"
got=$(seq_lb 8)
check_eq "symhash: every connection is answered" 8 "$(echo "$got" | wc -w)$(echo "$got" | grep -o none)"

# drain: established connections to both backends go on, new ones avoid b1.
svc "s['scheduler'] = 'rr'"
ip netns exec "$cl" python3 "$P" hold 198.51.100.80 80 "$FL_WORK/go" > "$FL_WORK/h1" &
wait_for 20 test -s "$FL_WORK/h1"
ip netns exec "$cl" python3 "$P" hold 198.51.100.80 80 "$FL_WORK/go" > "$FL_WORK/h2" &
wait_for 20 test -s "$FL_WORK/h2"
check_eq "two held connections, one per backend" "b1 b2" "$(cat "$FL_WORK/h1" "$FL_WORK/h2" | xargs)"
svc "b1['state'] = 'drain'"
check_eq "drain: b1 has no slot" "0 : 10.0.2.12 . 8080" "$(map)"
check_eq "drain: 4 new connections, none to b1" "b2 b2 b2 b2" "$(seq_lb 4)"
touch "$FL_WORK/go"
two_lines() { [ "$(wc -l < "$1")" = 2 ]; }
wait_for 20 two_lines "$FL_WORK/h1" && wait_for 20 two_lines "$FL_WORK/h2"
check_eq "drain: the established connection to b1 still carries bytes" "b1 echo ok" \
	"$(cat "$FL_WORK/h1" | xargs)"
check_eq "drain: the established connection to b2 was not disturbed" "b2 echo ok" \
	"$(cat "$FL_WORK/h2" | xargs)"

svc "b1['state'] = 'up'; b2['state'] = 'down'"
check_eq "down: 4 new connections, none to b2" "b1 b1 b1 b1" "$(seq_lb 4)"

svc "b1['state'] = 'drain'; b2['state'] = 'down'"
check_eq "no backend up: the chain drops with a counter" "counter; drop" "$(rules)"
check_eq "no backend up: a new connection is not established" 0 \
	"$(ip netns exec "$cl" python3 "$P" burst 198.51.100.80 80 1)"
check_eq "no backend up: its one SYN counted" 1 "$(counter "service www: no backend up")"

svc "b1['state'] = 'up'; b2['state'] = 'up'; s['new_connections_per_second'] = 2"
check_eq "limit: new connections over 2/second dropped first" \
	"limit rate over 2/second burst 2; counter; drop|meta.l4proto == tcp; dnat to numgen inc mod 2 map @lbm_${lb#lb_}" \
	"$(rules | paste -sd '|')"
check_eq "limit: 2 of 6 simultaneous connections established" 2 \
	"$(ip netns exec "$cl" python3 "$P" burst 198.51.100.80 80 6)"
check_eq "limit: the other 4 SYNs counted and dropped" 4 \
	"$(counter "service www: over new_connections_per_second")"

out=$("$FLOWLANE" diff "$doc" 2>&1); rc=$?
check_eq "diff after apply: nothing" "0 " "$rc $out"

# The drift check covers the backend map: a slot turned to b1 by hand is
# shown and put back by the next apply.
nft delete element ip flowlane_nat "lbm_${lb#lb_}" '{ 1 }'
nft add element ip flowlane_nat "lbm_${lb#lb_}" '{ 1 : 10.0.1.11 . 8080 }'
out=$("$FLOWLANE" diff -v "$doc" 2>&1); rc=$?
check_eq "drift: diff -v shows the hand-changed slot" \
	"1 - element flowlane_nat lbm_${lb#lb_} { 0x00000001 : 10.0.1.11 }|+ element flowlane_nat lbm_${lb#lb_} { 0x00000001 : 10.0.2.12 }" \
	"$rc $(echo "$out" | grep 'element flowlane_nat lbm_' | paste -sd '|')"
apply_ok "drift: apply repairs the map" "$doc"
check_eq "drift: the map as the document makes it" "0 : 10.0.1.11 . 8080|1 : 10.0.2.12 . 8080" "$(map)"
out=$("$FLOWLANE" diff "$doc" 2>&1); rc=$?
check_eq "drift: then diff says nothing" "0 " "$rc $out"

# flowlane backend: the state written to the document and applied at once.
state_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["services"][0]["backends"][1].get("state", "up"))' "$doc"; }
out=$("$FLOWLANE" backend www 10.0.2.12 drain --nft-only "$doc" 2>&1); rc=$?
check_match "backend drain: exit 0, applied" "^0 applied .*lb.json: [0-9]+ changes" "$rc $out"
check_eq "backend drain: the document says drain" drain "$(state_of)"
lbname
check_eq "backend drain: the map has b1 only" "0 : 10.0.1.11 . 8080" "$(map)"
check_eq "backend drain: new connections reach b1 only" "b1 b1" "$(seq_lb 2)"
out=$("$FLOWLANE" diff "$doc" 2>&1); rc=$?
check_eq "backend drain: the document and the kernel agree" "0 " "$rc $out"
out=$("$FLOWLANE" backend www 10.0.2.12:8080 up --nft-only "$doc" 2>&1); rc=$?
check_eq "backend up (ADDR:PORT): exit 0, the key gone (up is the default)" "0 up" "$rc $(state_of)"
lbname
check_eq "backend up: both backends again" "0 : 10.0.1.11 . 8080|1 : 10.0.2.12 . 8080" "$(map)"
before=$(cat "$doc")
out=$(FLOWLANE_TEST_FAIL_AFTER_COMMIT=1 "$FLOWLANE" backend www 10.0.2.12 down --nft-only "$doc" 2>&1); rc=$?
check_eq "backend whose apply fails: exit 1, the document's previous text back" \
	"1 $before" "$rc $(cat "$doc")"
check_match "backend whose apply fails: says so" "the apply failed; .*lb.json is back to its previous text" "$out"
lbname
check_eq "backend whose apply fails: the kernel unchanged too" "0 : 10.0.1.11 . 8080|1 : 10.0.2.12 . 8080" "$(map)"
for c in "www 10.0.9.9 down:flowlane: backend: service 'www' in $doc has no backend 10.0.9.9" \
	 "web 10.0.2.12 down:flowlane: backend: $doc has no service named 'web'" \
	 "www 10.0.2.12 off:flowlane: backend: 'off' is not a backend state (up, down or drain) (usage: flowlane backend SERVICE ADDR[:PORT] up|down|drain [--nft-only] [FILE])"; do
	out=$("$FLOWLANE" backend ${c%%:*} --nft-only "$doc" 2>&1); rc=$?
	check_eq "backend ${c%%:*}: refused" "1 ${c#*:}" "$rc $out"
done
check_eq "backend refusals: the document untouched" "$before" "$(cat "$doc")"

# A service's own tag: its connections carry it in the conntrack mark (what
# the module reads), whichever backend VM they reach; without one they
# carry the backend VM's tag, as before.
marks() {	# the marks of the connections to the service, counted
	conntrack -L -p tcp --orig-dst 198.51.100.80 2> /dev/null |
		grep -o 'mark=[0-9]*' | sort | uniq -c | xargs
}
edit_doc "$doc" 'd["tags"] = [{"name": "web", "id": 10}, {"name": "lb", "id": 30}]
for v in d["vms"]: v["tag"] = "web"
d["services"][0]["tag"] = "lb"'
apply_ok "service tag lb (30), VMs tag web (10)" "$doc"
check_eq "svc_tag4: the service's address . proto . port to tag lb's mark" \
	"198.51.100.80 . tcp . 80 : 30" "$(elems inet flowlane svc_tag4)"
conntrack -F 2> /dev/null
seq_lb 4 > /dev/null
check_eq "4 connections to the service: all marked 30 (the service's tag)" "4 mark=30" "$(marks)"
edit_doc "$doc" 'del d["services"][0]["tag"]'
apply_ok "the service's tag removed" "$doc"
check_eq "svc_tag4: empty" "" "$(elems inet flowlane svc_tag4)"
conntrack -F 2> /dev/null
seq_lb 4 > /dev/null
check_eq "4 connections to the service: all marked 10 (the backend VM's tag)" "4 mark=10" "$(marks)"
edit_doc "$doc" 'd["services"][0]["tag"] = "nosuch"'
out=$("$FLOWLANE" check "$doc" 2>&1); rc=$?
check_eq "a service tag that is no tag: refused" \
	"1 flowlane: check: $doc: services[0].tag: no tag named 'nosuch' in 'tags'" "$rc $out"
exit $ret
