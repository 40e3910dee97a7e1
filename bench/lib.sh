#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest-side helpers for the benchmarks: the topology and the router
# variants. Sourced by bench/guest.sh, which runs inside the QEMU guest as
# root (selftests/guest.sh).
#
#   client                  router                          server
#   veth-cl 10.0.1.2 --- veth-rc 10.0.1.1 | 10.0.2.1 veth-rs --- veth-sv 10.0.2.2
#   (pktgen)                                                   (rx counter)
#
# pktgen sends to the sink address 10.0.2.99, which the router resolves (a
# permanent neighbour) to a MAC address no one owns: veth-sv counts every
# frame the router forwards (rx_packets) and the server drops it in ip_rcv
# (PACKET_OTHERHOST) at almost no cost, with no ICMP error back.
#
# The namespaces are made once (making them takes seconds in the guest);
# variant_down returns the router to plain routing after every run: no
# ruleset, no flowlane device (which unhooks flowlane and releases
# conntrack), accounting off, conntrack table flushed. The `none` runs
# check it: their JSON must show 0 conntrack entries.

BENCH_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FLOWLANE=${FLOWLANE:-$BENCH_TOP/userspace/flowlane}
FL_KO=${FL_KO:-$BENCH_TOP/flowlane.ko}

SINK_IP=10.0.2.99
SINK_MAC=02:00:00:00:02:99
BENCH_TAG_MARK=10

# Every variant, in the order the runs interleave them. Not in the default
# list: stock-counter (stock with the flowtable's counter flag, which adds
# fast-path packets to conntrack accounting as flowlane's flowtable does).
BENCH_VARIANTS="none classic stock stock-n20 flowlane-0 flowlane-20"

bench_modules() {
	local m
	for m in nf_conntrack nf_flow_table nf_flow_table_inet nf_nat nf_tables \
		nft_ct nft_nat nft_masq nft_chain_nat nft_flow_offload pktgen veth; do
		modprobe -q "$m" || { echo "bench: modprobe $m failed" >&2; return 1; }
	done
	if [ ! -d /sys/module/flowlane ]; then
		insmod "$FL_KO" || { echo "bench: insmod $FL_KO failed" >&2; return 1; }
	fi
}

BENCH_NS=()

# topo_up: client, router and server namespaces ($cl $rt $sv), wired and
# with neighbours resolved, no netfilter anywhere yet.
topo_up() {
	local id
	id=$(mktemp -u XXXXXX)
	cl=bcl-$id rt=brt-$id sv=bsv-$id
	BENCH_NS=("$cl" "$rt" "$sv")
	for ns in "${BENCH_NS[@]}"; do
		ip netns add "$ns" && ip -n "$ns" link set lo up || return 1
	done
	ip link add veth-cl netns "$cl" type veth peer name veth-rc netns "$rt" &&
	ip link add veth-rs netns "$rt" type veth peer name veth-sv netns "$sv" || return 1
	ip -n "$cl" addr add 10.0.1.2/24 dev veth-cl
	ip -n "$rt" addr add 10.0.1.1/24 dev veth-rc
	ip -n "$rt" addr add 10.0.2.1/24 dev veth-rs
	ip -n "$sv" addr add 10.0.2.2/24 dev veth-sv
	ip -n "$cl" link set veth-cl up
	ip -n "$rt" link set veth-rc up
	ip -n "$rt" link set veth-rs up
	ip -n "$sv" link set veth-sv up
	ip -n "$cl" route add default via 10.0.1.1
	ip -n "$sv" route add default via 10.0.2.1
	ip netns exec "$rt" sysctl -qw net.ipv4.ip_forward=1
	ip -n "$rt" neigh replace "$SINK_IP" lladdr "$SINK_MAC" dev veth-rs nud permanent
	# Both sides' neighbours, before any netfilter exists.
	ip netns exec "$cl" ping -qc1 -W5 10.0.2.2 > /dev/null
}

topo_down() {
	local ns
	for ns in "${BENCH_NS[@]}"; do
		ip netns del "$ns" 2> /dev/null
	done
	BENCH_NS=()
}

# The classic router ruleset: conntrack, a stateful filter with a drop
# policy, the tenant tag in the ct mark, masquerade. Accepted packets go
# through the chain "allowed", where $1 (a `flow add`, or nothing) runs
# before the accept: `flow add` ends its rule when it does not offload
# (NFT_BREAK, e.g. on a flow's first, unconfirmed packet), so it must not
# share a rule with the accept.
nft_classic() {
	local offload=$1 flowtable=""
	[ -n "$offload" ] && flowtable="flowtable ft { hook ingress priority filter; devices = { veth-rc, veth-rs }; ${2:-} }"
	ip netns exec "$rt" nft -f - <<NFT
table inet bench {
	$flowtable
	chain allowed {
		$offload
		accept
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state invalid drop
		ct state established,related jump allowed
		iifname "veth-rc" oifname "veth-rs" ct mark set $BENCH_TAG_MARK jump allowed
	}
	chain postrouting {
		type nat hook postrouting priority srcnat;
		oifname "veth-rs" masquerade
	}
}
NFT
}

fl_rt() { ip netns exec "$rt" "$FLOWLANE" "$@"; }

# variant_up NAME: program the router namespace for one variant.
variant_up() {
	case "$1" in
	none) ;;
	classic) nft_classic "" ;;
	stock) nft_classic "meta l4proto { tcp, udp } flow add @ft" ;;
	stock-counter)
		ip netns exec "$rt" sysctl -qw net.netfilter.nf_conntrack_acct=1 &&
		nft_classic "meta l4proto { tcp, udp } flow add @ft" "counter;" ;;
	stock-n20)
		# ct packets needs conntrack accounting, on before the entries exist.
		ip netns exec "$rt" sysctl -qw net.netfilter.nf_conntrack_acct=1 &&
		nft_classic "meta l4proto { tcp, udp } ct packets > 20 flow add @ft" ;;
	flowlane-*)
		local n=${1#flowlane-}
		fl_rt dev add veth-rc veth-rs > /dev/null &&
		fl_rt set threshold "$n" > /dev/null &&
		fl_rt tag add tenant id "$BENCH_TAG_MARK" threshold "$n" > /dev/null &&
		nft_classic "" ;;
	*) echo "bench: unknown variant '$1'" >&2; return 1 ;;
	esac
}

# variant_down NAME: back to plain routing (one process per namespace
# entered: each costs a good part of a second in the guest).
variant_down() {
	case "$1" in
	flowlane-*)
		ip netns exec "$rt" sh -c "'$FLOWLANE' dev del veth-rc veth-rs &&
			'$FLOWLANE' tag del tenant && '$FLOWLANE' set threshold 0" > /dev/null ;;
	esac
	ip netns exec "$rt" sh -c 'nft flush ruleset
		sysctl -qw net.netfilter.nf_conntrack_acct=0
		conntrack -F 2> /dev/null; true'
}

# offload_evidence: "OFFLOADED FASTPATH CT" for the router: conntrack
# entries in the flowtable (stock or flowlane: both set IPS_OFFLOAD, which
# conntrack -L shows as [OFFLOAD]), flowlane's namespace fast-path packet
# counter (0 without flowlane; cumulative: the caller takes the delta),
# conntrack entries. The JSON shows with them that each variant did what it
# says.
offload_evidence() {
	ip netns exec "$rt" sh -c '
		off=$(conntrack -L 2> /dev/null | grep -c OFFLOAD)
		fast=$("$1" --json stats 2> /dev/null |
			grep -o "\"fastpath_packets\": *[0-9]*" | head -1 | grep -o "[0-9]*\$")
		echo "$off ${fast:-0} $(conntrack -C 2> /dev/null || echo 0)"' sh "$FLOWLANE"
}
