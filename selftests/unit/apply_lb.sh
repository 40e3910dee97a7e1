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
#
# The cases both families share are in unit/apply_lb_lib.sh.
source "$(dirname "$0")/apply_lb_lib.sh"

lb_topology 192.0.2. 10.0.1. 10.0.2. 24
doc=$FL_WORK/lb.json SVC=www VIP=198.51.100.80 NAT="ip flowlane_nat"
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

lb_schedulers ip.saddr
lb_drain
svc "b1['state'] = 'up'; b2['state'] = 'down'"
check_eq "down: 4 new connections, none to b2" "b1 b1 b1 b1" "$(seq_lb 4)"
lb_no_backend_up
lb_limit

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
