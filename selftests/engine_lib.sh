#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Helpers for the engine selftests (flowlane_engine_*.sh), on top of lib.sh.
# They load the module DKMS installed from this tree for the running kernel
# (modprobe; FLOWLANE_KO=PATH insmods another build instead, as make fuzz does),
# drive it with the small
# netlink client selftests/flctl and send fixed-count traffic with
# selftests/fltraffic (both built by `make -C selftests helpers` on the host).
#
# The topology every test builds:
#
#   client                    router                      server
#   10.0.1.2/24  veth-cl --- veth-rc  10.0.1.1 | 10.0.2.1  veth-rs --- veth-sv  10.0.2.2/24
#   fd01::2/64                         fd01::1 | fd02::1                        fd02::2/64
#
# flowlane manages the router namespace (devices veth-rc and veth-rs).

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FLCTL=$FL_TOP/selftests/flctl
FLT=$FL_TOP/selftests/fltraffic
FLOWLANE_KO=${FLOWLANE_KO:-}

# engine_insmod: load flowlane (see FLOWLANE_KO above).
engine_insmod() {
	if [ -n "$FLOWLANE_KO" ]; then
		insmod "$FLOWLANE_KO"
	else
		modprobe flowlane
	fi
}

load_engine() {
	modprobe -q nf_conntrack && modprobe -q nf_flow_table && modprobe -q nf_nat &&
		modprobe -q nf_tables && modprobe -q nft_nat && modprobe -q nft_masq ||
		skip "netfilter modules missing"
	[ -x "$FLCTL" ] && [ -x "$FLT" ] || skip "build selftests/flctl and fltraffic first"
	if ! module_loaded; then
		engine_insmod || { fail "load flowlane (${FLOWLANE_KO:-modprobe})"; exit $ksft_fail; }
	fi
	pin_hook_keys
}

# Registering the first netdev-ingress or forward hook (and removing the
# last) patches kernel text live (static keys in __netif_receive_skb_core,
# nf_hook). QEMU's TCG has been seen to livelock both vCPUs on such a patch
# site while packets flow (soft lockup at a NOP in __netif_receive_skb_core
# during `rmmod` with traffic). A namespace holding an nft ingress and a
# forward chain (with a ct expression, so conntrack's hooks too) keeps
# those keys on, so flowlane's own hook changes during traffic never patch
# text. It is made by the first engine test of a guest and stays for the
# guest's life: removed at each test's end, it flipped the keys back
# between tests, and a 6.12 guest died of an int3 in netif_rx_internal
# (MLD of the next test's new devices, `make check`, 2026-12-07).
FL_PIN=flpin
pin_hook_keys() {
	[ -e "/run/netns/$FL_PIN" ] && return
	ip netns add "$FL_PIN" || return
	# veth, not dummy: selftests/config does not ask for CONFIG_DUMMY.
	ip -n "$FL_PIN" link add pin0 type veth peer name pin1
	ip -n "$FL_PIN" link set pin0 up
	# (nft wants a separator after a chain's closing brace.)
	ip netns exec "$FL_PIN" nft -f - <<NFT || fail "pin the forward hooks' static keys (namespace $FL_PIN)"
table inet pin { chain fw { type filter hook forward priority 0; ct state established accept; }; }
NFT
	# The egress key too (__dev_queue_xmit): tests count with egress chains.
	ip netns exec "$FL_PIN" nft -f - <<NFT || fail "pin the ingress and egress hooks' static keys (CONFIG_NF_TABLES_NETDEV, CONFIG_NETFILTER_EGRESS)"
table netdev pin {
	chain in { type filter hook ingress device pin0 priority 0; }
	chain out { type filter hook egress device pin0 priority 0; }
}
NFT
	# The receive path's first static key, netstamp_needed_key, follows
	# the sockets that ask for timestamps (ping's): a 6.12 guest died of an
	# int3 at that NOP in __netif_receive_skb_core while a namespace went
	# away under traffic. One timestamping socket held keeps it on (in a
	# session of its own: no test's cleanup kills it).
	setsid ip netns exec "$FL_PIN" python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_TIMESTAMP, 1)
time.sleep(86400)' < /dev/null > /dev/null 2>&1 &
	disown
}

setup_topo() {
	setup_ns cl rt sv || exit $ksft_fail
	ip link add veth-cl netns "$cl" type veth peer name veth-rc netns "$rt"
	ip link add veth-rs netns "$rt" type veth peer name veth-sv netns "$sv"
	ip -n "$cl" addr add 10.0.1.2/24 dev veth-cl
	ip -n "$cl" addr add fd01::2/64 dev veth-cl nodad
	ip -n "$rt" addr add 10.0.1.1/24 dev veth-rc
	ip -n "$rt" addr add fd01::1/64 dev veth-rc nodad
	ip -n "$rt" addr add 10.0.2.1/24 dev veth-rs
	ip -n "$rt" addr add fd02::1/64 dev veth-rs nodad
	ip -n "$sv" addr add 10.0.2.2/24 dev veth-sv
	ip -n "$sv" addr add fd02::2/64 dev veth-sv nodad
	for l in "$cl veth-cl" "$rt veth-rc" "$rt veth-rs" "$sv veth-sv"; do
		set -- $l
		ip -n "$1" link set "$2" up
	done
	ip -n "$cl" route add default via 10.0.1.1
	ip -n "$cl" -6 route add default via fd01::1
	ip -n "$sv" route add default via 10.0.2.1
	ip -n "$sv" -6 route add default via fd02::1
	ip netns exec "$rt" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "$rt" sysctl -qw net.ipv6.conf.all.forwarding=1
	# The kernel's flowtable idle timeouts (30 s) are shorter than a slow
	# guest takes to run a test: flows must not expire in the middle.
	ip netns exec "$rt" sysctl -qw net.netfilter.nf_flowtable_udp_timeout=600
	ip netns exec "$rt" sysctl -qw net.netfilter.nf_flowtable_tcp_timeout=600
	# Neighbours resolved up front: no packet of a counted flow waits.
	ip netns exec "$cl" ping -qc1 -W5 10.0.2.2 > /dev/null &&
		ip netns exec "$cl" ping -6 -qc1 -W5 fd02::2 > /dev/null ||
		{ fail "topology does not forward"; exit $ksft_fail; }
}

fl() { ip netns exec "$rt" "$FLCTL" "$@"; }

fl_devs() {
	fl dev add veth-rc && fl dev add veth-rs || { fail "dev add"; exit $ksft_fail; }
}

# router_at_threshold N: the module loaded, the topology up, both router
# devices flowlane's, the default policy offloading at N packets.
router_at_threshold() {
	load_engine
	setup_topo
	fl_devs
	fl policy set threshold "$1" || fail "policy set threshold $1"
}

# kv KEY: the value of KEY in the key=value line on stdin.
kv() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" | head -1; }

# flows: the router's flows dump or, when the dump fails, one line saying
# so: an absence check (check_eq "" "$(flows)") must fail then, not pass.
flows() {
	local out rc
	out=$(fl flows 2>&1)
	rc=$?
	if [ "$rc" != 0 ]; then
		echo "the flows dump failed (exit $rc): $out"
	elif [ -n "$out" ]; then
		printf '%s\n' "$out"
	fi
}

# flow_line MATCH: the flows-dump line containing MATCH (e.g. "osport=40001 "),
# or the dump's failure.
flow_line() { flows | grep -e "$1" -e '^the flows dump failed' | head -1; }

# flows_count MATCH: how many flows match, or the dump's failure.
flows_count() {
	local out
	out=$(flows)
	case $out in
	"the flows dump failed"*) echo "$out" ;;
	*) grep -c -- "$1" <<< "$out" ;;
	esac
}

# flow_gone MATCH: the dump succeeds and holds no flow matching (wait_for's).
flow_gone() {
	local out
	out=$(fl flows) && ! grep -q -- "$1" <<< "$out"
}

# udp_recv NS PORT [echo]: background receiver (or echo server), its output
# in $FL_TMP/recv.PORT; `received PORT` stops it and prints its count.
udp_recv() {
	rm -f "$FL_TMP/recv.$2"
	ip netns exec "$1" "$FLT" udp-${3:-recv} "$2" $((120 * FL_SCALE)) > "$FL_TMP/recv.$2" \
		2> "$FL_TMP/listen.$2" &
	echo $! > "$FL_TMP/pid.$2"
	echo "$1" > "$FL_TMP/ns.$2"
	recv_counter "$1" "$2"
	wait_for 20 grep -q listening "$FL_TMP/listen.$2"
}

# tcp_xfer DST PORT BYTES [FROM TO]: one TCP transfer from namespace FROM
# to TO (default client -> server); prints the number of bytes TO received.
tcp_xfer() {
	rm -f "$FL_TMP/tcp" "$FL_TMP/tcp.listen"
	ip netns exec "${5:-$sv}" "$FLT" tcp-recv "$2" > "$FL_TMP/tcp" 2> "$FL_TMP/tcp.listen" &
	wait_for 20 grep -q listening "$FL_TMP/tcp.listen"
	# Bounded: a flow the fast path mangles stalls instead of ending.
	timeout $((120 * FL_SCALE)) ip netns exec "${4:-$cl}" "$FLT" tcp-send "$1" "$2" "$3" > /dev/null
	wait_for 60 grep -q received "$FL_TMP/tcp"
	kv received < "$FL_TMP/tcp"
}

# recv_counter NS PORT: an nft counter in NS of the UDP datagrams to PORT
# that reach its input hook (table inet flrecv, made once; counts only).
recv_counter() {
	ip netns exec "$1" nft -f - <<NFT || fail "receiver's counter for port $2 in $1"
table inet flrecv { chain in { type filter hook input priority -500; }; }
NFT
	ip netns exec "$1" nft create counter inet flrecv "p$2" 2> /dev/null || return 0
	ip netns exec "$1" nft add rule inet flrecv in udp dport "$2" counter name "p$2" ||
		fail "receiver's counter rule for port $2 in $1"
}

# backlog_empty: no packet waits in any CPU's receive backlog (column 12
# of softnet_stat, hexadecimal): none is still on its way through veth.
backlog_empty() {
	local c
	while read -r -a c; do
		[ $((16#${c[11]})) = 0 ] || return 1
	done < /proc/net/softnet_stat
}

# rx_settled NS PORT: the backlogs are empty and the datagrams to PORT
# reaching NS did not move since the last call (FL_RX_LAST): the last ones
# have arrived (other traffic, e.g. an iperf3 stream beside, moves on).
rx_settled() {
	local now
	backlog_empty || return 1
	now=$(nft_counter "$1" inet flrecv "p$2")
	[ -n "$now" ] && [ "$now" = "${FL_RX_LAST:-}" ] && return 0
	FL_RX_LAST=$now
	return 1
}

# received PORT: once the datagrams to PORT settled, stop the receiver (it
# counts what is still queued) and print its count.
received() {
	FL_RX_LAST=
	wait_for 10 rx_settled "$(cat "$FL_TMP/ns.$1")" "$1" ||
		fail "datagrams to port $1 in $(cat "$FL_TMP/ns.$1") still moving after 10 s"
	kill -TERM "$(cat "$FL_TMP/pid.$1")" 2> /dev/null
	wait_for 30 grep -q received "$FL_TMP/recv.$1"
	kv received < "$FL_TMP/recv.$1"
}

send_udp() { ip netns exec "$cl" "$FLT" udp-send "$@" > /dev/null; }

# nft_counter NS FAMILY TABLE NAME: the packets of a named nft counter.
nft_counter() {
	ip netns exec "$1" nft list counter "$2" "$3" "$4" | sed -n 's/.*packets \([0-9]*\).*/\1/p'
}

# stats_are KEY VALUE...: the router namespace's counters read exactly so
# now (a failed stats command is no match).
stats_are() {
	local s
	s=$(fl stats) || return 1
	while [ $# -ge 2 ]; do
		[ "$(kv "$1" <<< "$s")" = "$2" ] || return 1
		shift 2
	done
}

# fold_wait KEY VALUE...: wait until the counters read so: the sweep folds
# fast-path counters about once a second and torn down flows leave at the
# next GC run. Bounded (5 s, scaled); the exact checks that follow fail
# when a counter never gets there (or went past it).
fold_wait() { wait_for 5 stats_are "$@"; }

FL_TMP=$(mktemp -d)
engine_cleanup() {
	kill $(jobs -p) 2> /dev/null
	cleanup_ns
	rm -rf "$FL_TMP"
}
trap engine_cleanup EXIT
