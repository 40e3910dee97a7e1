#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Shared by unit/apply_lb.sh (IPv4) and unit/apply_lb6.sh (IPv6): one client
# namespace with two addresses, two backend VMs each serving lbpeer.py on
# port 8080 behind its own tap, this namespace running `flowlane apply
# --nft-only`; and the cases both families check alike: the schedulers,
# drain, no backend up, the connection-rate limit.
#
#   [ cl: CL1, CL2 ] --up0-- [ this netns: flowlane ] --tap1-- [ b1: B1:8080 ]
#              service SVC VIP:80                     --tap2-- [ b2: B2:8080 ]
source "$(dirname "${BASH_SOURCE[0]}")/apply_lib.sh"

P=$FL_TOP/selftests/lbpeer.py
trap 'kill $(jobs -p) 2> /dev/null; cleanup_ns; rm -rf "$FL_WORK"' EXIT

# lb_topology NET_CL NET_B1 NET_B2 PLEN [FLAG...]: the namespaces and links;
# each NET is an address prefix to which the host part is appended (.1 or
# ::1 this side, the client's .2 and .3, b1's .11, b2's .12), every address
# added with the FLAGs. Sets CL1, CL2, B1, B2 and starts the servers.
lb_topology() {
	local ncl=$1 nb1=$2 nb2=$3 plen=$4 d ns
	shift 4
	CL1=${ncl}2 CL2=${ncl}3 B1=${nb1}11 B2=${nb2}12
	setup_ns cl b1 b2 || exit $ksft_fail
	ip link add name up0 type veth peer name eth0 netns "$cl"
	ip link add name tap1 type veth peer name eth0 netns "$b1"
	ip link add name tap2 type veth peer name eth0 netns "$b2"
	for d in up0 tap1 tap2; do ip link set "$d" up; done
	for ns in $cl $b1 $b2; do ip -n "$ns" link set eth0 up; done
	ip addr add "${ncl}1/$plen" dev up0 "$@"
	ip addr add "${nb1}1/$plen" dev tap1 "$@"
	ip addr add "${nb2}1/$plen" dev tap2 "$@"
	ip -n "$cl" addr add "$CL1/$plen" dev eth0 "$@"
	ip -n "$cl" addr add "$CL2/$plen" dev eth0 "$@"
	ip -n "$cl" route add default via "${ncl}1"
	ip -n "$b1" addr add "$B1/$plen" dev eth0 "$@"
	ip -n "$b1" route add default via "${nb1}1"
	ip -n "$b2" addr add "$B2/$plen" dev eth0 "$@"
	ip -n "$b2" route add default via "${nb2}1"
	ip netns exec "$b1" python3 "$P" server b1 8080 &
	ip netns exec "$b2" python3 "$P" server b2 8080 &
	wait_for 30 lb_listening "$b1" && wait_for 30 lb_listening "$b2" ||
		fail "the backends' servers did not start"
}
lb_listening() { ip netns exec "$1" ss -Hltn 'sport = :8080' | grep -q LISTEN; }

# What the tests set before using the functions below: doc (the document),
# SVC (the service's name), VIP (its address), NAT (its NAT table, as
# "FAMILY NAME").

# svc PYTHON: edit the service (s) and its backends (b1, b2), then apply.
svc() {
	edit_doc "$doc" "s = d['services'][0]; b1, b2 = s['backends']; $1"
	apply_ok "$1" "$doc"
	lbname
}
# lb: the service's chain now (named after the service's hash).
lbname() { lb=$(elems $NAT services | sed -n "s/^$VIP . tcp . 80 : jump //p"); }
# seq N [SRC]: the backends of N connections, one after the other.
seq_lb() { ip netns exec "$cl" env LBPEER_SRC="${2:-}" python3 "$P" seq "$VIP" 80 "$1" | xargs; }
# burst N: how many of N simultaneous connections were established.
burst() { ip netns exec "$cl" python3 "$P" burst "$VIP" 80 "$1"; }
rules() { "$Q" rules $NAT "$lb"; }
map() { elems $NAT "lbm_${lb#lb_}" | paste -sd '|'; }
tables() { nft list tables | sed 's/^table //' | sort | paste -sd '|'; }
# counter TABLE CHAIN COMMENT: the packets of the rules of CHAIN with COMMENT.
counter() {
	nft -j list chain "${1%% *}" "${1#* }" "$2" | python3 -c '
import json, sys
print(sum(e["counter"]["packets"] for o in json.load(sys.stdin)["nftables"]
          if o.get("rule", {}).get("comment") == sys.argv[1]
          for e in o["rule"]["expr"] if "counter" in e))' "$3"
}
# both: the backend map with one slot each, b1 first.
both() { echo "0 : $B1 . 8080|1 : $B2 . 8080"; }

# lb_schedulers SADDR: every scheduler's rule and the backends it picks;
# SADDR is the family's source address expression (ip.saddr, ip6.saddr).
lb_schedulers() {
	local src got
	svc "s['scheduler'] = 'rr'"
	check_eq "rr: numgen inc over the two backends" \
		"meta.l4proto == tcp; dnat to numgen inc mod 2 map @lbm_${lb#lb_}" "$(rules)"
	check_eq "rr: 8 connections alternate" "b1 b2 b1 b2 b1 b2 b1 b2" "$(seq_lb 8)"

	svc "s['scheduler'] = 'weight'; b1['weight'] = 3"
	check_eq "weight 3:1: four slots, three of b1" \
		"0 : $B1 . 8080|1 : $B1 . 8080|2 : $B1 . 8080|3 : $B2 . 8080" "$(map)"
	check_eq "weight 3:1: exactly 6 and 2 of 8 connections, in slot order" \
		"b1 b1 b1 b2 b1 b1 b1 b2" "$(seq_lb 8)"
	svc "s['scheduler'] = 'rr'"
	check_eq "rr ignores weights: one slot each" "$(both)" "$(map)"

	svc "s['scheduler'] = 'hash'; del b1['weight']"
	check_eq "hash: jhash of the client's address" \
		"meta.l4proto == tcp; dnat to jhash $1 mod 2 map @lbm_${lb#lb_}" "$(rules)"
	for src in "$CL1" "$CL2"; do
		got=$(seq_lb 8 "$src")
		check_eq "hash: the 8 connections of $src reach one backend" 1 \
			"$(echo "$got" | tr ' ' '\n' | grep -v none | sort -u | wc -l)$(echo "$got" | grep -o none)"
	done

	svc "s['scheduler'] = 'symhash'"
	check_eq "symhash: symmetric hash" \
		"meta.l4proto == tcp; dnat to symhash mod 2 map @lbm_${lb#lb_}" "$(rules)"
	got=$(seq_lb 8)
	check_eq "symhash: every connection is answered" 8 "$(echo "$got" | wc -w)$(echo "$got" | grep -o none)"
}

# lb_drain: established connections to both backends go on, new ones avoid
# b1; ends with b1 draining, b2 up.
lb_drain() {
	svc "s['scheduler'] = 'rr'"
	ip netns exec "$cl" python3 "$P" hold "$VIP" 80 "$FL_WORK/go" > "$FL_WORK/h1" &
	wait_for 20 test -s "$FL_WORK/h1"
	ip netns exec "$cl" python3 "$P" hold "$VIP" 80 "$FL_WORK/go" > "$FL_WORK/h2" &
	wait_for 20 test -s "$FL_WORK/h2"
	check_eq "two held connections, one per backend" "b1 b2" \
		"$(cat "$FL_WORK/h1" "$FL_WORK/h2" | sort | xargs)"
	# h1: the one to b1 (numgen's position depends on the connections before).
	if grep -q b2 "$FL_WORK/h1"; then
		mv "$FL_WORK/h1" "$FL_WORK/h" && mv "$FL_WORK/h2" "$FL_WORK/h1" && mv "$FL_WORK/h" "$FL_WORK/h2"
	fi
	svc "b1['state'] = 'drain'"
	check_eq "drain: b1 has no slot" "0 : $B2 . 8080" "$(map)"
	check_eq "drain: 4 new connections, none to b1" "b2 b2 b2 b2" "$(seq_lb 4)"
	touch "$FL_WORK/go"
	wait_for 20 lb_two_lines "$FL_WORK/h1" && wait_for 20 lb_two_lines "$FL_WORK/h2"
	check_eq "drain: the established connection to b1 still carries bytes" "b1 echo ok" \
		"$(xargs < "$FL_WORK/h1")"
	check_eq "drain: the established connection to b2 was not disturbed" "b2 echo ok" \
		"$(xargs < "$FL_WORK/h2")"
}
lb_two_lines() { [ "$(wc -l < "$1")" = 2 ]; }

# lb_no_backend_up, then lb_limit: a service without a backend up drops new
# connections with a counter; one limited to 2 new connections a second
# drops the others first.
lb_no_backend_up() {
	svc "b1['state'] = 'drain'; b2['state'] = 'down'"
	check_eq "no backend up: the chain drops with a counter" "counter; drop" "$(rules)"
	check_eq "no backend up: a new connection is not established" 0 "$(burst 1)"
	check_eq "no backend up: its one SYN counted" 1 \
		"$(counter "$NAT" "$lb" "service $SVC: no backend up")"
}
lb_limit() {
	svc "b1['state'] = 'up'; b2['state'] = 'up'; s['new_connections_per_second'] = 2"
	check_eq "limit: new connections over 2/second dropped first" \
		"limit rate over 2/second burst 2; counter; drop|meta.l4proto == tcp; dnat to numgen inc mod 2 map @lbm_${lb#lb_}" \
		"$(rules | paste -sd '|')"
	check_eq "limit: 2 of 6 simultaneous connections established" 2 "$(burst 6)"
	check_eq "limit: the other 4 SYNs counted and dropped" 4 \
		"$(counter "$NAT" "$lb" "service $SVC: over new_connections_per_second")"
}
