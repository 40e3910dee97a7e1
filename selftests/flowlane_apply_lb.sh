#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A load-balanced service through the fast path when the host's uplink has
# a smaller MTU than the VMs and the client (issue 17, point 4: the failure
# that made Ubicloud drop flowtables), IPv4 and IPv6. Each backend of each
# family's service serves a 1 MiB transfer in both directions at once
# through the offloaded flow; the backend's full-sized segments meet the
# uplink's MTU in the host, whose fast path hands them to the slow path,
# which sends "fragmentation needed" / "packet too big"; the client's meet
# the edge router's. Both ends learn path MTU 1400, every byte comes back
# as sent, and most of them went through the fast path. (A small MTU next
# to an end is settled by the MSS it announces: this one is in the middle,
# where only path MTU discovery through the host finds it.) Then hairpin: VMs reaching this host's public
# addresses (their own, another's, the service), with and without the
# fast path.
#
#   client 198.51.100.2 --c0|e0-- edge --e1|up0 (mtu 1400)-- host --vmtap1|eth0-- vm1 10.10.1.2
#     2001:db8:100::2               192.0.2.1   192.0.2.2      (flowlane   2001:db8:1::2
#     (mtu 1500)                                                 apply) --vmtap2|eth0-- vm2 10.10.2.2
#                                                                        2001:db8:2::2
#   services 203.0.113.80:80 and [2001:db8:80::80]:80 -> vm1, vm2 :8080 (round-robin)

source "$(dirname "$0")/engine_lib.sh"
need_root
load_engine

PY=/usr/bin/python3
NP="$PY $FL_TOP/selftests/netpeer.py"
setup_ns client edge host vm1 vm2 || exit $ksft_fail
link() {	# link NS1 DEV1 NS2 DEV2
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}
link "$client" c0 "$edge" e0
link "$edge" e1 "$host" up0
link "$host" vmtap1 "$vm1" eth0
link "$host" vmtap2 "$vm2" eth0
ip -n "$edge" link set e1 mtu 1400
ip -n "$host" link set up0 mtu 1400
ip -n "$client" addr add 198.51.100.2/24 dev c0
ip -n "$client" addr add 2001:db8:100::2/64 dev c0 nodad
ip -n "$client" route add default via 198.51.100.1
ip -n "$client" -6 route add default via 2001:db8:100::1
ip -n "$edge" addr add 198.51.100.1/24 dev e0
ip -n "$edge" addr add 2001:db8:100::1/64 dev e0 nodad
ip -n "$edge" addr add 192.0.2.1/30 dev e1
ip -n "$edge" addr add 2001:db8:ff::1/64 dev e1 nodad
ip -n "$edge" route add 203.0.113.0/24 via 192.0.2.2
ip -n "$edge" -6 route add 2001:db8:80::/64 via 2001:db8:ff::2
ip -n "$host" addr add 192.0.2.2/30 dev up0
ip -n "$host" addr add 2001:db8:ff::2/64 dev up0 nodad
ip -n "$host" route add default via 192.0.2.1
ip -n "$host" -6 route add default via 2001:db8:ff::1
for i in 1 2; do
	ns=vm$i
	ip -n "$host" addr add "10.10.$i.1/24" dev "vmtap$i"
	ip -n "$host" addr add "2001:db8:$i::1/64" dev "vmtap$i" nodad
	ip -n "${!ns}" addr add "10.10.$i.2/24" dev eth0
	ip -n "${!ns}" addr add "2001:db8:$i::2/64" dev eth0 nodad
	ip -n "${!ns}" route add default via "10.10.$i.1"
	ip -n "${!ns}" -6 route add default via "2001:db8:$i::1"
done
for ns in "$edge" "$host"; do
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
done

tool() { ip netns exec "$host" "$FLOWLANE" "$@"; }
py() { "$PY" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
export FLOWLANE_STATE_DIR=$FL_TMP/state
doc=$FL_TMP/host.json
write_doc() {	# write_doc OFFLOAD
	cat > "$doc" << JSON
{
  "fastpath": { "devices": ["up0"], "offload": $1, "threshold": 0 },
  "uplinks": ["up0"],
  "vms": [
    { "name": "vm1", "interfaces": ["vmtap1"], "ipv4": "10.10.1.2", "ipv6": "2001:db8:1::2",
      "public_ipv4": "203.0.113.10", "firewall": [{ "proto": "tcp", "port": 8080 }] },
    { "name": "vm2", "interfaces": ["vmtap2"], "ipv4": "10.10.2.2", "ipv6": "2001:db8:2::2",
      "firewall": [{ "proto": "tcp", "port": 8080 }] }
  ],
  "services": [
    { "name": "www", "address": "203.0.113.80", "proto": "tcp", "port": 80,
      "scheduler": "round-robin",
      "backends": [{ "address": "10.10.1.2", "port": 8080 }, { "address": "10.10.2.2", "port": 8080 }] },
    { "name": "www6", "address": "2001:db8:80::80", "proto": "tcp", "port": 80,
      "scheduler": "round-robin",
      "backends": [{ "address": "2001:db8:1::2", "port": 8080 }, { "address": "2001:db8:2::2", "port": 8080 }] }
  ]
}
JSON
}
write_doc true
out=$(tool apply "$doc" 2>&1); rc=$?
check_eq "apply of the service with the module exits 0" 0 "$rc"
[ "$rc" = 0 ] || echo "$out" | sed 's/^/# /'

for ns in "$vm1" "$vm2"; do
	ip netns exec "$ns" $NP tcp-mirror 8080 > "$FL_TMP/mirror.$ns" 2>&1 &
	wait_for 20 grep -q listening "$FL_TMP/mirror.$ns" || fail "the mirror in $ns did not start"
done

fast_bytes() { tool --json stats | py 'd["namespace"]["fastpath_bytes"]'; }
size=$((1024 * 1024))
# mtu_round FAMILY SERVICE CLIENT BACKEND_FORMAT SPORT: one connection to
# each backend (round-robin: vm1, then vm2), BACKEND_FORMAT giving backend
# N's address with %d.
mtu_round() {
	local fam=$1 vip=$2 cl_addr=$3 fmt=$4 sport=$5 i ns be before got
	for i in 1 2; do
		ns=vm$i
		# shellcheck disable=SC2059
		be=$(printf "$fmt" $i)
		sport=$((sport + 1))
		# A path MTU the client learnt would shrink the MSS it announces,
		# and the backend would never send a segment too big for the uplink.
		ip -n "$client" -"$fam" route flush cache
		before=$(fast_bytes)
		out=$(timeout $((180 * FL_SCALE)) ip netns exec "$client" $NP tcp-roundtrip "$vip" 80 $size $sport)
		check_eq "IPv$fam connection $i: 1 MiB to the service and back, unchanged" \
			"sent=$size back=$size same=yes" "$out"
		check_eq "IPv$fam connection $i went to vm$i (round-robin)" 1 \
			"$(ip netns exec "$host" conntrack -L -f ipv$fam -p tcp --sport $sport 2>/dev/null |
			   grep -c "src=$be ")"
		check_match "IPv$fam: vm$i learnt path MTU 1400 towards the client (the host's fast path punted)" \
			"mtu 1400" "$(ip -n "${!ns}" -"$fam" route get "$cl_addr")"
		check_match "IPv$fam connection $i: the client learnt path MTU 1400 towards the service (from the edge)" \
			"mtu 1400" "$(ip -n "$client" -"$fam" route get "$vip")"
		# 2 MiB of payload crossed the host; the flow is retired (and
		# folded) within about a second of its end.
		fold_fast() { [ $(($(fast_bytes) - before)) -ge $((2 * size * 9 / 10)) ]; }
		wait_for 10 fold_fast
		got=$(($(fast_bytes) - before))
		echo "# IPv$fam connection $i: $got bytes through the fast path"
		check_eq "IPv$fam connection $i: at least 90% of its 2 MiB went through the fast path" yes \
			"$([ "$got" -ge $((2 * size * 9 / 10)) ] && echo yes || echo "no ($got bytes)")"
	done
}
mtu_round 4 203.0.113.80 198.51.100.2 "10.10.%d.2" 41000
mtu_round 6 2001:db8:80::80 2001:db8:100::2 "2001:db8:%d::2" 41100

# Hairpin: VMs reaching public addresses of this host, with and without
# the fast path. vm1 its own public address (translated back to itself:
# the host must take the source, or vm1 would drop a packet from its own
# address), vm2 vm1's public address, vm1 the service (round-robin: itself,
# then vm2). Each connection carries 256 KiB both ways and is seen by
# its backend as coming from the host's address on the backend's tap.
hairpin_round() {	# hairpin_round OFFLOAD FIRST_SPORT
	local offload=$1 sp=$2 before got case from to via back
	write_doc "$offload"
	out=$(tool apply "$doc" 2>&1) || fail "apply with offload $offload: $out"
	for case in "vm1 203.0.113.10 8080 10.10.1" "vm2 203.0.113.10 8080 10.10.1" \
		    "vm1 203.0.113.80 80 10.10.1" "vm1 203.0.113.80 80 10.10.2"; do
		set -- $case
		from=$1 to=$2 via=$3 back=$4
		before=$(fast_bytes)
		out=$(timeout $((60 * FL_SCALE)) ip netns exec "${!from}" $NP tcp-roundtrip "$to" "$via" 262144 "$sp")
		check_eq "offload $offload: $from to $to:$via, 256 KiB there and back" \
			"sent=262144 back=262144 same=yes" "$out"
		check_eq "offload $offload: $from to $to:$via reached $back.2 from the host's $back.1" 1 \
			"$(ip netns exec "$host" conntrack -L -p tcp --sport "$sp" 2>/dev/null |
			   grep -c "src=$back.2 dst=$back.1 sport=8080 ")"
		if [ "$offload" = true ]; then
			fold_some() { [ $(($(fast_bytes) - before)) -ge 262144 ]; }
			wait_for 10 fold_some
		else
			sleep 1.5	# the one-second fold, had anything gone fast
		fi
		got=$(($(fast_bytes) - before))
		check_eq "offload $offload: $from to $to:$via: fast path used" "$offload" \
			"$([ "$got" -ge 262144 ] && echo true || { [ "$got" = 0 ] && echo false || echo "$got bytes"; })"
		sp=$((sp + 1))
	done
}
hairpin_round false 42001
hairpin_round true 42101
exit $ret
