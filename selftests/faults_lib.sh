#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Helpers for the fault tests (flowlane_faults.sh, flowlane_failslab.sh), on
# top of engine_lib.sh: a long-lived TCP echo connection ("chat") that must
# outlive every fault the policy allows it to, short iperf3 runs in the
# background, exact UDP counts, conntrack's own numbers.

source "$(dirname "${BASH_SOURCE[0]}")/engine_lib.sh"

NETPEER=$FL_TOP/selftests/netpeer.py
# A chat whose reader died must not kill the test with SIGPIPE: the write
# fails and the check after it says so.
trap '' PIPE

declare -A chat_fd iperf_pid
chat_n=0

# chat_open NAME NS IP PORT: connect and keep the connection; its lines go
# through a FIFO held open on a descriptor of this shell.
chat_open() {
	local fd
	mkfifo "$FL_TMP/chat.$1.in"
	ip netns exec "$2" /usr/bin/python3 "$NETPEER" tcp-chat "$3" "$4" $((5 * FL_SCALE)) \
		< "$FL_TMP/chat.$1.in" > "$FL_TMP/chat.$1.out" 2>&1 &
	exec {fd}> "$FL_TMP/chat.$1.in"
	chat_fd[$1]=$fd
	wait_for 10 grep -q connected "$FL_TMP/chat.$1.out" ||
		{ fail "chat $1: no connection to $3:$4: $(cat "$FL_TMP/chat.$1.out")"; exit $ksft_fail; }
}

chat_sport() { sed -n 's/^connected sport=//p' "$FL_TMP/chat.$1.out"; }

# chat_say NAME LINE: 0 if the line came back (within the helper's 5 s,
# times FL_SCALE).
chat_say() {
	local out=$FL_TMP/chat.$1.out
	echo "$2" >&"${chat_fd[$1]}" 2> /dev/null || return 1
	wait_for 10 grep -qxE "echo $2|timeout" "$out"
	grep -qx "echo $2" "$out"
}

# check_chat WHAT: the long-lived connection of the main client still
# carries data both ways.
check_chat() {
	local line="$1-$((++chat_n))"
	line=${line// /_}
	if chat_say main "$line"; then
		pass "$1: the established TCP connection still echoes a line"
	else
		fail "$1: the established TCP connection: expected 'echo $line', got '$(tail -1 "$FL_TMP/chat.main.out")'"
	fi
}

# chat_flow NAME: the flows-dump line of that connection, if offloaded.
chat_flow() { flow_line "osport=$(chat_sport "$1") "; }

# iperf_start NAME PORT SECONDS: a short iperf3 run client -> server in
# the background; its own timeout bounds it. At 50 Mbit/s: unbounded, it
# takes both vCPUs of an emulated guest, and the test's own commands then
# crawl until it ends. Runs of a few seconds, times FL_SCALE: the fault
# must hit the run while it carries data, and in a busy guest a 3 s run
# can end between two polls of iperf_wait_offloaded; on a debug kernel a
# 6 s run ended between a case's count of offloaded flows and its fault.
iperf_start() {
	ip netns exec "$cl" timeout $((($3 + 30) * FL_SCALE)) iperf3 -c 10.0.2.2 -p "$2" \
		-t $(($3 * FL_SCALE)) -b 50M -J > "$FL_TMP/iperf.$1" 2>&1 &
	iperf_pid[$1]=$!
}

iperf_servers() {
	local p
	for p in "$@"; do
		ip netns exec "$sv" iperf3 -s -p "$p" > /dev/null 2>&1 &
	done
}

# iperf_wait_offloaded PORT: the data connection to PORT is offloaded (the
# control connection to the same port is, too, once it carried data).
iperf_wait_offloaded() {
	wait_for 30 offloaded "odport=$1 " && return 0
	echo "# flows to port $1: $(fl flows | grep "odport=$1 ")"
	echo "# conntrack: $(ip netns exec "$rt" conntrack -L -p tcp --dport "$1" 2> /dev/null)"
	return 1
}

# offloaded MATCH: a flow whose dump line contains MATCH is offloaded.
offloaded() { fl flows | grep -q -- "$1.*state=1"; }

# iperf_check NAME WHAT: waits for the run (bounded by its timeout) and
# checks that it ended well and moved data.
iperf_check() {
	local rc bytes
	wait "${iperf_pid[$1]}"
	rc=$?
	bytes=$(/usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("error") or int(d["end"]["sum_received"]["bytes"]))' \
		< "$FL_TMP/iperf.$1" 2>&1 | tail -1)
	if [ "$rc" = 0 ] && [ "$bytes" -gt 0 ] 2> /dev/null; then
		pass "$2: iperf3 TCP run across the fault completed ($bytes bytes)"
	else
		fail "$2: iperf3 across the fault: expected exit 0 and bytes received, got exit $rc, '$bytes'"
	fi
}

# counted_flow WHAT SPORT: the module still works: a fresh 20-packet UDP
# flow under the default policy (threshold 0; a UDP flow's first packet is
# never eligible, its second offloads it) reads 2 slow and 18 fast packets.
# Its receiver (a sink, started once) is not read: the packets' arrival is
# checked by each case, and each read costs seconds in a busy guest.
counted_flow() {
	local l
	if [ -z "${sink_started:-}" ]; then
		ip netns exec "$sv" "$FLT" udp-recv 5999 900 > /dev/null 2> "$FL_TMP/sink" &
		sink_started=1
		wait_for 10 grep -q listening "$FL_TMP/sink"
	fi
	send_udp 10.0.2.2 5999 20 64 "$2"
	l=$(flow_line "osport=$2 ")
	check_eq "$1: a new flow is offloaded and counted exactly (slow fast)" "2 18" \
		"$(kv o_slow_p <<< "$l") $(kv o_fast_p <<< "$l")"
}

stat_of() { fl stats | kv "$1"; }
# stat_ge KEY N: for wait_for.
stat_ge() { [ "$(stat_of "$1")" -ge "$2" ]; }
ct_count() { ip netns exec "$rt" sysctl -n net.netfilter.nf_conntrack_count; }
# ct_stat KEY: conntrack's per-CPU statistic KEY in the router, summed.
ct_stat() {
	ip netns exec "$rt" conntrack -S 2> /dev/null |
		sed -n "s/.*\\b$1=\\([0-9]*\\).*/\\1/p" | awk '{ s += $1 } END { print s + 0 }'
}
