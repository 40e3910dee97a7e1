#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest-side helpers for the benchmarks: the topology and the router
# variants. Sourced by bench/guest.sh, which runs inside the QEMU guest as
# root (selftests/guest.sh).
#
#   client                  router                          server ("the VM")
#   veth-cl 10.0.1.2 --- veth-rc 10.0.1.1 | 10.0.2.1 veth-rs --- veth-sv 10.0.2.2
#   (pktgen, the load                                          (rx counter, the
#    generators and clients)                                    servers)
#
# pktgen sends to the sink address 10.0.2.99, which the router resolves (a
# permanent neighbour) to a MAC address no one owns: veth-sv counts every
# frame the router forwards (rx_packets) and the server drops it in ip_rcv
# (PACKET_OTHERHOST) at almost no cost, with no ICMP error back.
#
# The server namespace is a VM as the Ubicloud seed has them: its public
# address 10.0.3.2 is translated 1:1 to 10.0.2.2 by the router (not in
# `none`, which has no netfilter: clients use 10.0.2.2 there), and a
# firewall lets in only its services' ports.
#
# The namespaces are made once (making them takes seconds in the guest);
# variant_down returns the router to plain routing after every variant: no
# ruleset, no flowlane device (which unhooks flowlane and releases
# conntrack), accounting off, conntrack table flushed. The `none` runs
# check it: their JSON must show 0 conntrack entries.

BENCH_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FLOWLANE=${FLOWLANE:-$BENCH_TOP/userspace/flowlane}
FL_KO=${FL_KO:-$BENCH_TOP/flowlane.ko}

SINK_IP=10.0.2.99
SINK_MAC=02:00:00:00:02:99
VM_IP=10.0.2.2
VM_PUBLIC_IP=10.0.3.2
# The VM's services: nginx (conn), iperf3 (tcp), PostgreSQL and sockperf
# (latency).
VM_PORTS="80, 5201, 5432, 11111"
BENCH_TAG_MARK=10

# Every variant, in the order the runs interleave them. Not in the default
# list (BENCH_EXTRA_VARIANTS): stock-counter (stock with the flowtable's
# counter flag, which adds fast-path packets to conntrack accounting as
# flowlane's flowtable does) and classic-acct (classic with conntrack
# accounting on, as flowlane turns it on in its namespaces: what the
# accounting alone costs the slow path).
BENCH_VARIANTS="none classic stock stock-n20 flowlane-0 flowlane-20"
BENCH_EXTRA_VARIANTS="stock-counter classic-acct"

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

# nsx NS COMMAND...: run COMMAND in network namespace NS. nsenter is about
# half the cost of `ip netns exec` in the emulated guest (no mount
# namespace, no sysfs remount), so per-namespace state is read from /proc
# (per process: /proc/net follows the network namespace) rather than /sys.
nsx() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" "$@"
}

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
	nsx "$rt" sysctl -qw net.ipv4.ip_forward=1
	# The table scenario's sources (bench/workloads.sh) are behind the
	# client: flowlane offloads only flows whose replies the routing table
	# sends back where they came from.
	ip -n "$rt" route add 10.64.0.0/10 via 10.0.1.2
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
# policy, the tenant tag in the ct mark, the VM's 1:1 NAT and firewall,
# masquerade of the client towards the sink (the table scenario's sources,
# outside the client's network, are forwarded as they are). Accepted packets go through
# the chain "allowed", where $1 (a `flow add`, or nothing) runs before the
# accept: `flow add` ends its rule when it does not offload (NFT_BREAK,
# e.g. on a flow's first, unconfirmed packet), so it must not share a rule
# with the accept. Established packets take the same two rules as before
# the VM rules existed: the NAT chains and the firewall see only new flows.
# `ct state untracked accept` lets the notrack service (conn, ctmax case)
# through; untracked packets are not NATed, which is why that case uses
# the VM's own address.
nft_classic() {
	local offload=$1 flowtable=""
	[ -n "$offload" ] && flowtable="flowtable ft { hook ingress priority filter; devices = { veth-rc, veth-rs }; ${2:-} }"
	nsx "$rt" nft -f - <<NFT
table inet bench {
	$flowtable
	chain allowed {
		$offload
		accept
	}
	chain vm_in {
		ct mark set $BENCH_TAG_MARK
		ip daddr $SINK_IP udp dport 9 jump allowed
		ip daddr $VM_IP tcp dport { $VM_PORTS } jump allowed
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state invalid drop
		ct state established,related jump allowed
		ct state untracked accept
		iifname "veth-rc" oifname "veth-rs" jump vm_in
	}
	chain prerouting {
		type nat hook prerouting priority dstnat;
		ip daddr $VM_PUBLIC_IP dnat ip to $VM_IP
	}
	chain postrouting {
		type nat hook postrouting priority srcnat;
		oifname "veth-rs" ip saddr 10.0.1.0/24 ip daddr != $VM_IP masquerade
		oifname "veth-rc" ip saddr $VM_IP snat ip to $VM_PUBLIC_IP
	}
}
NFT
}

# vm_addr VARIANT: the address clients reach the VM by.
vm_addr() {
	if [ "$1" = none ]; then echo "$VM_IP"; else echo "$VM_PUBLIC_IP"; fi
}

fl_rt() { nsx "$rt" "$FLOWLANE" "$@"; }

# variant_up NAME: program the router namespace for one variant.
variant_up() {
	case "$1" in
	none) ;;
	classic) nft_classic "" ;;
	classic-acct)
		nsx "$rt" sysctl -qw net.netfilter.nf_conntrack_acct=1 && nft_classic "" ;;
	stock) nft_classic "meta l4proto { tcp, udp } flow add @ft" ;;
	stock-counter)
		nsx "$rt" sysctl -qw net.netfilter.nf_conntrack_acct=1 &&
		nft_classic "meta l4proto { tcp, udp } flow add @ft" "counter;" ;;
	stock-n20)
		# ct packets needs conntrack accounting, on before the entries exist.
		nsx "$rt" sysctl -qw net.netfilter.nf_conntrack_acct=1 &&
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
		nsx "$rt" sh -c "'$FLOWLANE' dev del veth-rc veth-rs &&
			'$FLOWLANE' tag del tenant && '$FLOWLANE' set threshold 0" > /dev/null ;;
	esac
	nsx "$rt" sh -c 'nft flush ruleset
		sysctl -qw net.netfilter.nf_conntrack_acct=0
		conntrack -F 2> /dev/null; true'
}

# offload_evidence VARIANT [flush]: "OFFLOADED FASTPATH CT OFFLOADS" for
# the router: conntrack entries in the flowtable (stock or flowlane: both
# set IPS_OFFLOAD, which conntrack -L shows as [OFFLOAD]), flowlane's
# namespace fast-path packet and offload counters (0 without flowlane;
# cumulative: the caller takes the deltas; not read for other variants,
# whose runs it would only slow down), conntrack entries. The JSON shows
# with them that each variant did what it says. With "flush", conntrack is
# flushed after (in the same namespace entry: each costs a good part of a
# second in the guest).
offload_evidence() {
	local fl=""
	case "$1" in flowlane-*) fl=$FLOWLANE ;; esac
	nsx "$rt" bash -c '
		num() { [[ $st =~ \"$1\":\ *([0-9]+) ]] && echo "${BASH_REMATCH[1]}" || echo 0; }
		off=$(conntrack -L 2> /dev/null | grep -c OFFLOAD)
		st=$([ -z "$1" ] || "$1" --json stats 2> /dev/null)
		read -r ct < /proc/sys/net/netfilter/nf_conntrack_count
		echo "$off $(num fastpath_packets) ${ct:-0} $(num offloads_total)"
		[ "$2" != flush ] || conntrack -F > /dev/null 2>&1' sh "$fl" "${2:-}"
}

# offloaded_now: how many of the router's conntrack entries are in a
# flowtable right now; sampled in the middle of the TCP scenarios' runs,
# whose flows leave the fast path when they close.
offloaded_now() {
	nsx "$rt" sh -c 'conntrack -L 2> /dev/null | grep -c OFFLOAD'
}

# --- scale: the VMs of a `flowlane apply` document ---------------------

# scale_up VARIANT DOC: replace the router's ruleset with DOC's (a sink VM
# 10.0.2.99 taking the pps traffic among N-1 others, bench/scaledoc.py)
# through `flowlane apply`; --nft-only but for the flowlane variants, whose
# document also carries their fast-path devices, threshold and tag. The
# stock variants add their flowtable in a table of their own after the
# filter, as firewalld does (priority filter + 10: it sees what
# flowlane's forward chain accepted). Prints apply's wall time (s).
scale_up() {
	local v=$1 doc=$2 opt=--nft-only flow=""
	case "$v" in
	flowlane-*) opt="" ;;
	stock) flow="meta l4proto { tcp, udp } flow add @ft" ;;
	stock-n20) flow="meta l4proto { tcp, udp } ct packets > 20 flow add @ft" ;;
	esac
	nsx "$rt" bash -c '
		set -e
		nft delete table inet bench 2> /dev/null || true
		t0=$EPOCHREALTIME
		"$1" apply $2 "$3" > /dev/null
		t1=$EPOCHREALTIME
		if [ -n "$4" ] && ! nft list table inet benchft > /dev/null 2>&1; then
			nft -f - <<NFT
table inet benchft {
	flowtable ft { hook ingress priority filter; devices = { veth-rc, veth-rs }; }
	chain forward {
		type filter hook forward priority filter + 10; policy accept;
		$4
	}
}
NFT
		fi
		awk -v a="$t0" -v b="$t1" "BEGIN { printf \"%.2f\", b - a }"' \
		sh "$FLOWLANE" "$opt" "$doc" "$flow"
}

# --- the time a run takes, for the estimates ------------------------------

# What a run costs on top of what it measures (entering namespaces,
# starting the tools, reading counters, flushing conntrack): about 3 s on
# a quiet 2-core host, estimated from process start-up times in the guest
# (0.1-0.15 s each, about 20 per run); 2-3 times that when the host runs
# other guests (load 8-12). A variant's set-up and tear-down, and the
# servers' start once (PostgreSQL's initdb and tables mostly; 2 min under
# load 10). The progress line corrects the estimate as runs finish.
BENCH_RUN_OVERHEAD=${BENCH_RUN_OVERHEAD:-3}
BENCH_VARIANT_OVERHEAD=${BENCH_VARIANT_OVERHEAD:-3}
BENCH_SERVERS_S=${BENCH_SERVERS_S:-60}

# bench_cases SCENARIO: the cases one variant runs in a scenario.
bench_cases() {
	case "$1" in
	pps) echo "$BENCH_FLOWS" ;;
	tcp) echo "offloads-on offloads-off" ;;
	latency) echo "pgbench rr" ;;
	conn) echo "default ctmax" ;;
	scale) echo "$BENCH_SCALE" ;;
	table) echo "$BENCH_TABLE cap" ;;
	esac
}

# bench_cost SCENARIO CASE: seconds one run should take (DURATION and
# WARMUP set).
bench_cost() {
	local o=$BENCH_RUN_OVERHEAD w=$warmup d=$duration
	case "$1:$2" in
	pps:*) echo $((o + w + d + 1)) ;;
	tcp:offloads-off) echo $((o + w + d + 3)) ;;
	tcp:*) echo $((o + w + d)) ;;
	latency:pgbench) echo $((o + w + d + 1)) ;;
	latency:*) echo $((o + d + 1)) ;;
	conn:ctmax) echo $((o + d + 3)) ;;
	conn:*) echo $((o + d)) ;;
	scale:*) echo $((o + w + d + 2 + $2 / 2000)) ;;	# + apply: 23 s for 10,000 VMs under load 10
	table:cap) echo $((o + w + d + 10)) ;;
	# + filling the tables twice over (about 5,000 new flows a second in
	# the emulated guest), two dumps (about 10,000 flows a second; the
	# second under churn, after 3 s of it), listing and flushing conntrack
	table:*) echo $((o + w + d + 5 + $2 / 2500 + $2 / 5000 + $2 / 20000)) ;;
	esac
}

# bench_plan: one line per run, "REP VARIANT SCENARIO CASE", in the order
# they run: each repetition runs every variant once (the order rotated by
# one per repetition, so no variant always follows the same one), each
# variant every scenario in turn. `none` has no scale or table runs: with
# no netfilter there are no VMs to configure and no flows to hold (its pps
# runs are the ceiling).
bench_plan() {
	local rep i v s c V
	read -ra V <<< "$variants"
	for ((rep = 1; rep <= reps; rep++)); do
		for ((i = 0; i < ${#V[@]}; i++)); do
			v=${V[$(((i + rep - 1) % ${#V[@]}))]}
			for s in $scenarios; do
				case "$s:$v" in scale:none|table:none) continue ;; esac
				for c in $(bench_cases "$s"); do
					echo "$rep $v $s $c"
				done
			done
		done
	done
}

# bench_estimate: the whole run's seconds in the guest, from the plan.
bench_estimate() {
	local t=$BENCH_SERVERS_S rep v s c
	t=$((t + reps * $(wc -w <<< "$variants") * BENCH_VARIANT_OVERHEAD))
	while read -r rep v s c; do
		t=$((t + $(bench_cost "$s" "$c")))
	done <<< "$(bench_plan)"
	echo "$t"
}
