#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The scenarios' workloads, inside the guest: the servers in the server
# namespace (the VM) and one measurement function per scenario. Sourced by
# bench/guest.sh after bench/lib.sh.
#
# m_SCENARIO VARIANT CASE measures one run with the router already set up
# for VARIANT and sets: VAL (the figure), UNIT, BETTER (higher or lower),
# X (more JSON members, each starting with a comma), MID (conntrack
# entries in a flowtable, sampled halfway through; "null" when not
# sampled) and ERR (why the run has no figure; empty when it has one). A
# tool that fails or prints nothing parsable sets ERR: a run never reports
# a 0 it did not measure.

PG=/proc/net/pktgen
BENCH_TMP=${BENCH_TMP:-/tmp/flbench}
TCP_STREAMS=${TCP_STREAMS:-8}		# firewalld's 16 x 128, scaled to 2 vCPUs
CONN_CLIENTS=${CONN_CLIENTS:-8}		# wrk's concurrent connections
CONN_CTMAX=${CONN_CTMAX:-128}		# nf_conntrack_max of the ctmax case
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -1)

# half [WARMUP]: seconds to the middle of the measured window, where the
# mid-run samples are taken (whole-second durations; no process started).
half() { local t=$(((2 * ${1:-0} + duration) * 5)); echo "$((t / 10)).$((t % 10))"; }

# usecs EPOCHREALTIME: microseconds, for bash's integer arithmetic.
usecs() { local s=${1/./}; echo $((10#$s)); }

# tool_err NAME FILE: ERR from a tool's last lines of output.
tool_err() { ERR="$1 failed: $(tail -3 "$2" | tr '\n"\\' '  /' | cut -c1-200)"; }

# --- pps ------------------------------------------------------------------

# pktgen_dev THREAD DEV SRC_MIN SRC_MAX SPORT [RATEP]: the client's pktgen
# thread THREAD emptied and given DEV (veth-cl, or veth-cl@N for a second
# thread on it), sending 60-byte UDP to the sink from SRC_MIN..SRC_MAX,
# port SPORT, without end (count 0) until told to stop; at most RATEP
# packets a second when given.
pktgen_dev() {
	local mac
	mac=$(ip netns exec "$rt" cat /sys/class/net/veth-rc/address) || return 1
	nsx "$cl" bash -e -s "$mac" "$@" <<'PGEOF'
PG=/proc/net/pktgen
# rem_device_all takes effect when the thread next runs (the write waits
# 125 ms only), and then also removes a device added meanwhile (a table
# run after the churn lost veth-cl so: "cannot create .../veth-cl"). So
# ask only a thread that has devices, and add once it has none.
devs() { sed -n 's/^\(Running\|Stopped\): *//p' "$PG/kpktgend_$1" | tr -d ' \n'; }
if [ -n "$(devs "$2")" ]; then
	echo rem_device_all > $PG/kpktgend_$2
	for i in $(seq 100); do [ -n "$(devs "$2")" ] || break; sleep 0.1; done
	[ -z "$(devs "$2")" ]
	sleep 0.2
fi
echo "add_device $3" > $PG/kpktgend_$2
for cmd in "count 0" "clone_skb 0" "pkt_size 60" "delay 0" ${7:+"ratep $7"} \
	"dst 10.0.2.99" "dst_mac $1" "src_min $4" "src_max $5" \
	"udp_dst_min 9" "udp_dst_max 9" "udp_src_min $6" "udp_src_max $6"; do
	echo "$cmd" > "$PG/$3"
done
PGEOF
}

# pktgen_setup: the pps scenario's device: one flow from the client's
# address, on the first thread.
pktgen_setup() { pktgen_dev 0 veth-cl 10.0.1.2 10.0.1.2 10000; }

# pktgen_run N: N flows, source ports 10000 .. 10000 + N - 1 in turn
# (udp_src_max is exclusive; min = max means one port), sending until
# stopped (pgctrl's start returns then).
pktgen_run() {
	nsx "$cl" sh -c "echo 'udp_src_max $((10000 + ($1 > 1 ? $1 : 0)))' > $PG/veth-cl &&
		echo start > $PG/pgctrl"
}

# RX_SV: a bash function printing veth-sv's received packets, from
# /proc/net/dev (nsx has no sysfs of the namespace; the name and the byte
# count may run together: "veth-sv:123456789").
RX_SV='rx() { local l; while read -r l; do
	case $l in veth-sv:*) set -- ${l#veth-sv:}; echo "$2"; return ;; esac
done < /proc/net/dev; }'
rx_sv() { nsx "$sv" bash -c "$RX_SV; rx"; }

# m_pps VARIANT FLOWS: the server's received packets per second over
# DURATION after WARMUP seconds of pktgen.
m_pps() {
	local pgjob
	PPS_RX0=$(rx_sv)
	pktgen_run "$2" &
	pgjob=$!
	sleep "$warmup"
	pps_window "$2" "$pgjob"
}

# pps_window FLOWS PGJOB: with pktgen running as job PGJOB (started after
# PPS_RX0 was read), the server's packets per second over DURATION; stops
# pktgen and sets VAL, UNIT, X (or ERR).
pps_window() {
	local flows=$1 pgjob=$2 win res sent pgpps a b t0 t1 rx1 secs us
	# Both reads and their times in one shell: no process start between.
	win=$(nsx "$sv" bash -c "$RX_SV"'
		a=$(rx); t0=$EPOCHREALTIME
		sleep '"$duration"'
		b=$(rx); t1=$EPOCHREALTIME
		echo $a $b $t0 $t1')
	nsx "$cl" sh -c "echo stop > $PG/pgctrl"
	wait "$pgjob" || { ERR="pktgen failed (setting $flows flows or running)"; return; }
	sleep 0.3	# the last packets' way through the guest
	rx1=$(rx_sv)
	res=$(nsx "$cl" cat $PG/veth-cl)
	sent=$(printf '%s\n' "$res" | sed -n 's/.*pkts-sofar: *\([0-9]*\).*/\1/p')
	pgpps=$(printf '%s\n' "$res" | sed -n 's/^ *\([0-9]*\)pps.*/\1/p')
	read -r a b t0 t1 <<< "$win"
	[ -n "${t1:-}" ] || { ERR="no measurement window"; return; }
	us=$(($(usecs "$t1") - $(usecs "$t0")))
	secs=$((us / 1000000)).$(printf '%06d' $((us % 1000000)))
	VAL=$(((b - a) * 1000000 / us))
	UNIT=pps BETTER=higher
	X=",\"flows\":$flows,\"pps\":$VAL,\"window_s\":$secs,\"rx_window\":$((b - a))"
	X+=",\"sent_total\":${sent:-0},\"rx_total\":$((rx1 - PPS_RX0)),\"pktgen_pps\":${pgpps:-0}"
}

# --- bulk TCP ---------------------------------------------------------------

# veth_offloads on|off: TSO, GSO and GRO on the four veths. Off, every
# packet of the TCP streams crosses the router as one MTU-sized skb.
veth_offloads() {
	nsx "$cl" ethtool -K veth-cl tso "$1" gso "$1" gro "$1" &&
	nsx "$rt" sh -c "ethtool -K veth-rc tso $1 gso $1 gro $1 &&
		ethtool -K veth-rs tso $1 gso $1 gro $1" &&
	nsx "$sv" ethtool -K veth-sv tso "$1" gso "$1" gro "$1"
}

# m_tcp VARIANT offloads-on|offloads-off: iperf3, TCP_STREAMS parallel
# streams from the client to the VM's public address, the receiver's
# throughput over DURATION after WARMUP omitted seconds.
m_tcp() {
	local f=$BENCH_TMP/iperf3.out job mbps
	if [ "$2" = offloads-off ]; then
		veth_offloads off || { ERR="ethtool -K failed"; veth_offloads on; return; }
	fi
	nsx "$cl" iperf3 -c "$(vm_addr "$1")" -P "$TCP_STREAMS" -t "$duration" \
		-O "$warmup" -f m > "$f" 2>&1 &
	job=$!
	sleep "$(half "$warmup")"
	MID=$(offloaded_now)
	wait "$job" || tool_err iperf3 "$f"
	[ "$2" = offloads-off ] && { veth_offloads on || ERR="ethtool -K (back on) failed"; }
	[ -z "$ERR" ] || return
	mbps=$(awk '/^\[SUM\].*receiver/ { for (i = 1; i < NF; i++)
		if ($(i + 1) == "Mbits/sec") print $i }' "$f")
	[ -n "$mbps" ] || { tool_err "iperf3 (no [SUM] receiver line)" "$f"; return; }
	VAL=$mbps UNIT=Mbit/s BETTER=higher
	X=",\"streams\":$TCP_STREAMS"
}

# --- latency ----------------------------------------------------------------

# pg_start: PostgreSQL in the VM, as user postgres, data and socket on the
# guest's tmpfs, no durability (nothing here survives the boot anyway),
# then pgbench's tables (scale 1: -S reads one row by key per transaction).
pg_start() {
	local d=$BENCH_TMP/pg
	[ -x "$PG_BIN/postgres" ] || { echo "bench: no PostgreSQL server in /usr/lib/postgresql: run 'make deps'" >&2; return 1; }
	mkdir -p "$d" && chown postgres: "$d" || return 1
	runuser -u postgres -- "$PG_BIN/initdb" -D "$d/data" -A trust -E UTF8 \
		--locale=C --no-sync > "$d/initdb.log" 2>&1 ||
		{ cat "$d/initdb.log" >&2; return 1; }
	# The client comes through the router (by its own address, or the
	# router's in `none`... either way from outside): trust it too.
	echo "host all all 0.0.0.0/0 trust" >> "$d/data/pg_hba.conf"
	nsx "$sv" runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$d/data" -l "$d/server.log" \
		-w -t 120 -o "-c listen_addresses=$VM_IP -c unix_socket_directories=$d \
		-c fsync=off -c synchronous_commit=off -c full_page_writes=off \
		-c shared_buffers=64MB -c max_connections=20" start < /dev/null > "$d/pg_ctl.log" 2>&1 ||
		{ cat "$d/server.log" >&2; return 1; }
	# No vacuum step (v): -S only reads by primary key.
	nsx "$sv" runuser -u postgres -- sh -c "createdb -h '$d' bench &&
		pgbench -i -q -s 1 -I dtGp -h '$d' bench" > "$d/init.log" 2>&1 ||
		{ cat "$d/init.log" >&2; return 1; }
}

pg_stop() {
	[ -d "$BENCH_TMP/pg/data" ] &&
		nsx "$sv" runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$BENCH_TMP/pg/data" \
			-m immediate stop > /dev/null 2>&1
}

# m_latency VARIANT pgbench|rr: pgbench's select-only transaction, one
# client, from the client namespace (the seed's host) to the VM's public
# address, for WARMUP + DURATION: its average latency (ms); or sockperf's TCP ping-pong of its
# smallest message (14 bytes: its own header), the median of half the
# round trip as sockperf reports it (us).
m_latency() {
	local f=$BENCH_TMP/latency.out job dst
	dst=$(vm_addr "$1")
	if [ "$2" = pgbench ]; then
		# Its connection (a new backend: slow in the emulated guest) is
		# in the warm-up's time, and out of its tps.
		nsx "$cl" pgbench -h "$dst" -p 5432 -U postgres -n -S -c 1 -j 1 \
			-T "$((warmup + duration))" bench > "$f" 2>&1 &
	else
		nsx "$cl" sockperf ping-pong --tcp -i "$dst" -p 11111 -m 14 \
			-t "$duration" > "$f" 2>&1 &
	fi
	job=$!
	sleep "$(half "$([ "$2" = pgbench ] && echo "$warmup")")"
	MID=$(offloaded_now)
	wait "$job" || { tool_err "$2" "$f"; return; }
	if [ "$2" = pgbench ]; then
		# One client, one transaction at a time: its latency is 1 / tps,
		# pgbench's tps "without initial connection time". (pgbench's
		# own "latency average" counts the connection in.)
		local tps avg
		tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)$/\1/p' "$f")
		avg=$(sed -n 's/^latency average = \([0-9.]*\) ms$/\1/p' "$f")
		case "$tps" in *[1-9]*) VAL=$(awk -v t="$tps" 'BEGIN { printf "%.4f", 1000 / t }') ;; esac
		UNIT=ms X=",\"tps\":${tps:-null},\"pgbench_latency_average_ms\":${avg:-null}"
	else
		sed -i 's/\x1b\[[0-9;]*m//g' "$f"
		# The median, not the average: a descheduled vCPU adds round
		# trips of tens of ms that make the average swing by 3x.
		local avg p99
		VAL=$(sed -n 's/.*percentile 50.000 = *\([0-9.]*\).*/\1/p' "$f")
		avg=$(sed -n 's/.*Summary: Latency is \([0-9.]*\) usec.*/\1/p' "$f")
		p99=$(sed -n 's/.*percentile 99.000 = *\([0-9.]*\).*/\1/p' "$f")
		UNIT=us X=",\"avg_us\":${avg:-null},\"p99_us\":${p99:-null}"
	fi
	BETTER=lower
	[ -n "$VAL" ] || tool_err "$2 (no latency in its output)" "$f"
}

# --- short flows --------------------------------------------------------------

# nginx_start: nginx in the VM, one worker, a 3-byte answer, no log, no
# keep-alive (every request a new connection), its files on the tmpfs.
nginx_start() {
	local d=$BENCH_TMP/nginx
	mkdir -p "$d"
	cat > "$d/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $d/nginx.pid;
error_log stderr error;
events { worker_connections 1024; }
http {
	access_log off;
	keepalive_timeout 0;
	client_body_temp_path $d/body;
	proxy_temp_path $d/proxy;
	fastcgi_temp_path $d/fastcgi;
	uwsgi_temp_path $d/uwsgi;
	scgi_temp_path $d/scgi;
	server {
		listen $VM_IP:80 backlog=4096;
		location / { return 200 "ok\n"; }
	}
}
EOF
	serve nginx nginx -e stderr -p "$d" -c "$d/nginx.conf"
}

# notrack.json: the notrack seed's fix as flowlane expresses it (see
# examples/notrack-web.json): the web port out of conntrack, both ways.
notrack_doc() {
	echo '{ "notrack": [ { "proto": "tcp", "port": 80 } ] }' > "$BENCH_TMP/notrack.json"
}

# conn_ctmax_up VARIANT / conn_ctmax_down: the notrack seed's host: a small
# conntrack table (global: set in the guest's initial namespace) and, for
# the flowlane variants, port 80 untracked through `flowlane apply`.
conn_ctmax_up() {
	sysctl -qw net.netfilter.nf_conntrack_max="$CONN_CTMAX" || return 1
	case "$1" in
	flowlane-*) nsx "$rt" "$FLOWLANE" apply --nft-only "$BENCH_TMP/notrack.json" > /dev/null ;;
	esac
}

conn_ctmax_down() {
	sysctl -qw net.netfilter.nf_conntrack_max="$CT_MAX_DEFAULT"
	case "$1" in flowlane-*)
		nsx "$rt" sh -c 'nft delete table inet flowlane; nft delete table ip flowlane_nat' 2> /dev/null ;;
	esac
	true
}

# m_conn VARIANT default|ctmax: wrk with CONN_CLIENTS connections, each
# request on a new connection (Connection: close), to the VM's own address
# (untracked packets are not NATed, so the ctmax case cannot use the public
# one; the default case uses the same for comparison): requests, that is
# new connections, per second.
m_conn() {
	local f=$BENCH_TMP/wrk.out job rps errs
	if [ "$2" = ctmax ]; then
		conn_ctmax_up "$1" || { ERR="ctmax setup failed"; conn_ctmax_down "$1"; return; }
	fi
	nsx "$cl" wrk -t 1 -c "$CONN_CLIENTS" -d "${duration}s" -H "Connection: close" \
		"http://$VM_IP/" > "$f" 2>&1 &
	job=$!
	sleep "$(half)"
	MID=$(offloaded_now)
	wait "$job" || tool_err wrk "$f"
	[ "$2" = ctmax ] && conn_ctmax_down "$1"
	[ -z "$ERR" ] || return
	rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$f")
	errs=$(sed -n 's/.*Socket errors: connect \([0-9]*\), read \([0-9]*\), write \([0-9]*\), timeout \([0-9]*\).*/\1 \2 \3 \4/p' "$f")
	read -r ec er ew et <<< "${errs:-0 0 0 0}"
	[ -n "$rps" ] || { tool_err "wrk (no Requests/sec)" "$f"; return; }
	VAL=$rps UNIT=conn/s BETTER=higher
	X=",\"clients\":$CONN_CLIENTS,\"socket_errors\":{\"connect\":$ec,\"read\":$er,\"write\":$ew,\"timeout\":$et}"
	[ "$2" = ctmax ] && X+=",\"nf_conntrack_max\":$CONN_CTMAX"
}

# --- scale ------------------------------------------------------------------

# m_scale VARIANT N: the pps scenario (1 flow) with the router's ruleset
# made by `flowlane apply` of N VMs (bench/scaledoc.py; the documents are
# written by bench/run.sh into DOCS).
m_scale() {
	local doc t
	case "$1" in
	flowlane-*) doc=$DOCS/scale-$2-t${1#flowlane-}.json ;;
	*) doc=$DOCS/scale-$2.json ;;
	esac
	[ -r "$doc" ] || { ERR="no document $doc"; return; }
	t=$(scale_up "$1" "$doc") || { ERR="flowlane apply of $2 VMs failed"; return; }
	m_pps "$1" 1
	X+=",\"vms\":$2,\"apply_s\":$t"
}

# --- table: the fast path holding many flows -------------------------------

# The table scenario's flows come from TABLE_SRC upward, never from the
# client's own 10.0.1.0/24, which the router masquerades (a million flows
# masqueraded to one address towards one sink port would run out of
# source ports): the router forwards them to the sink unchanged. The cap
# case: TABLE_CAP_FLOWS flows of the tenant's tag, capped at TABLE_CAP in
# the flowlane variants, so that most of its packets are those of refused
# flows (issue 15: no lock per packet).
TABLE_SRC=10.64.0.1
TABLE_CAP=${TABLE_CAP:-1000}
TABLE_CAP_FLOWS=${TABLE_CAP_FLOWS:-10000}
# The dump under churn (issue 15): TABLE_CHURN flows a second come and go
# while flowlane's variants dump their N flows a second time. They come
# from 10.96.0.0/11 (beside TABLE_SRC's at most 2^15 addresses, inside
# the router's route back to 10.64.0.0/10), tag churn (mark
# TABLE_CHURN_MARK) with a fast-path idle timeout of 1 s.
TABLE_CHURN=${TABLE_CHURN:-10000}
TABLE_CHURN_NET=10.96.0.0/11
TABLE_CHURN_MARK=11

# ip_plus ADDR N: the IPv4 address N after ADDR.
ip_plus() {
	local a b c d v
	IFS=. read -r a b c d <<< "$1"
	v=$(((a << 24) + (b << 16) + (c << 8) + d + $2))
	echo "$((v >> 24 & 255)).$((v >> 16 & 255)).$((v >> 8 & 255)).$((v & 255))"
}

# table_pktgen N: the pktgen device set for N flows, pairs of source
# address and port: 2^k ports (k: N's factors of 2, at most 15) and
# N / 2^k addresses, both counted up at each packet. Their periods are
# coprime, so the pairs repeat only after N packets: every flow gets one
# packet per N sent.
table_pktgen() {
	local ports=1 ips
	while [ $(($1 % (ports * 2))) = 0 ] && [ "$ports" -lt 32768 ]; do
		ports=$((ports * 2))
	done
	ips=$(($1 / ports))
	nsx "$cl" sh -e -c "echo 'src_min $TABLE_SRC' > $PG/veth-cl
		echo 'src_max $(ip_plus "$TABLE_SRC" $((ips - 1)))' > $PG/veth-cl
		echo 'udp_src_min 10000' > $PG/veth-cl
		echo 'udp_src_max $((10000 + (ports > 1 ? ports : 0)))' > $PG/veth-cl"
}

# table_ct_size N: conntrack's limit and hash table (both global, set from
# the guest's initial namespace) large enough for N flows, never smaller
# than they are.
table_ct_size() {
	local max
	max=$(sysctl -n net.netfilter.nf_conntrack_max)
	[ "$max" -ge $(($1 * 2)) ] || sysctl -qw net.netfilter.nf_conntrack_max=$(($1 * 2))
	[ "$(cat /sys/module/nf_conntrack/parameters/hashsize)" -ge "$1" ] ||
		echo "$1" > /sys/module/nf_conntrack/parameters/hashsize
}

# table_udp_timeout SEC [STREAM_SEC [FLOWTABLE_SEC]]: the router's
# timeouts of UDP flows: conntrack's (unreplied, and replied: STREAM_SEC,
# default SEC) and the flowtable's idle timeout (default SEC). A million
# flows take longer than the default 30 s to get their second packet in the
# emulated guest, and would expire before it; and once pktgen stops, their
# dump takes longer than the flowtable's 30 s.
table_udp_timeout() {
	nsx "$rt" sysctl -qw net.netfilter.nf_conntrack_udp_timeout="$1" \
		net.netfilter.nf_conntrack_udp_timeout_stream="${2:-$1}" \
		net.netfilter.nf_flowtable_udp_timeout="${3:-$1}"
}

# status_num KEY: a number of `flowlane --json status` (read from stdin).
status_num() { sed -n "s/.*\"$1\": *\([0-9]*\).*/\1/p"; }

# table_count VARIANT: the router's flows that count as in place: offloaded
# ones for flowlane (its own gauge), conntrack entries otherwise (a stock
# flowtable's entries cannot be counted short of listing them all).
table_count() {
	case "$1" in
	flowlane-*)
		fl_rt --json status | status_num flows ;;
	*) ct_count ;;
	esac
}

# ct_count: the router's conntrack entries.
ct_count() { nsx "$rt" cat /proc/sys/net/netfilter/nf_conntrack_count; }

# lines_timed CMD...: "LINES MICROSECONDS" of one run of CMD, its output
# counted, not kept (declared into the router's shell by its callers).
lines_timed() {
	local t0 t1 n
	t0=$EPOCHREALTIME; n=$("$@" | wc -l); t1=$EPOCHREALTIME
	echo "$n $(( ${t1/./} - ${t0/./} ))"
}

# table_fill VARIANT WANT: wait until table_count reaches WANT (at most
# 60 s + 1 s per 1,000 flows: the slow path of the emulated guest set up
# 291,180 of a million flows in 230 s beside a kernel build); prints the
# seconds it took.
table_fill() {
	local t0=$SECONDS limit=$((60 + $2 / 1000)) n=0
	while [ $((SECONDS - t0)) -le "$limit" ]; do
		n=$(table_count "$1")
		[ "${n:-0}" -ge "$2" ] && { echo $((SECONDS - t0)); return 0; }
		sleep 1
	done
	echo "only ${n:-0} of $2 after $limit s"
	return 1
}

# table_flowlane: flowlane's own figures with the flows in place (pktgen
# stopped, the flows not yet timed out): the slab memory of its flow
# records per flow (the guest boots with slab_nomerge, so the cache is its
# own), the longest sweep slice the namespace has run, and a dump of
# every flow through the tool: its time and its lines.
table_flowlane() {
	local slab st n us
	slab=$(awk '$1 == "flowlane_flow" { print $3 * $4 }' /proc/slabinfo)
	st=$(fl_rt --json status)
	read -r n us _ <<< "$(table_dump_timed)"
	X+=",\"flowlane_flows\":$(status_num flows <<< "$st")"
	X+=",\"slab_bytes\":${slab:-null}"
	X+=",\"sweep_slice_max_ns\":$(status_num sweep_slice_max_ns <<< "$st")"
	X+=",\"dump_lines\":${n:-null},\"dump_us\":${us:-null}"
}

# table_ct_dump: the time and lines of one `conntrack -L` in the router
# (`ct_dump_us`, `ct_dump_lines`), last in a run: the same kind of walk
# over the same entries by conntrack's own dump, the reference for how
# flowlane's dump grows with N on this machine (memory that no longer fits
# the caches and the emulator's TLB makes every walk slower per entry as N
# grows, not only flowlane's). After a churn, it first waits (up to 15 s)
# for the churn's entries to expire (5 s unreplied), so that it walks
# about the N entries flowlane's dump walked.
table_ct_dump() {
	local n us i
	for ((i = 0; i < 15; i++)); do
		[ "$(ct_count)" -le $(($1 + $1 / 100)) ] && break
		sleep 1
	done
	read -r n us <<< "$(nsx "$rt" bash -c "$(declare -f lines_timed)"'
		lines_timed conntrack -L 2> /dev/null')"
	X+=",\"ct_dump_lines\":${n:-null},\"ct_dump_us\":${us:-null}"
}

# table_dump_timed: "LINES MICROSECONDS OFFLOADS_BEFORE OFFLOADS_AFTER" of
# one full `flowlane flows` dump in the router, flowlane's count of
# offloads read just before and after it (one process: none started
# between the reads and the dump).
table_dump_timed() {
	nsx "$rt" bash -c "$(declare -f status_num lines_timed)"'
		o0=$("$1" --json status | status_num offloads_total)
		t=$(lines_timed "$1" flows)
		o1=$("$1" --json status | status_num offloads_total)
		echo $t $o0 $o1' sh "$FLOWLANE"
}

# churn_pktgen on|off: on: the second pktgen thread sends TABLE_CHURN * 4
# packets a second from a window of TABLE_CHURN / 2 addresses of
# TABLE_CHURN_NET (one port each), which churn_shift moves on every 0.5 s:
# each flow gets 4 packets in its half second (flowlane-0 offloads it at
# its second), then none; thread 0 (the N flows' device) is emptied: the N
# flows stay in place without packets (600 s timeouts). off: thread 1
# emptied (pktgen_setup puts thread 0 back).
churn_pktgen() {
	local net=${TABLE_CHURN_NET%/*}
	if [ "$1" = off ]; then
		nsx "$cl" sh -c "echo rem_device_all > $PG/kpktgend_1"
		return
	fi
	nsx "$cl" sh -c "echo rem_device_all > $PG/kpktgend_0" &&
		pktgen_dev 1 veth-cl@1 "$net" "$(ip_plus "$net" $((TABLE_CHURN / 2 - 1)))" \
			20000 $((TABLE_CHURN * 4))
}

# churn_shift FLAG_FILE: move pktgen's churn window on by TABLE_CHURN / 2
# addresses every 0.5 s, round TABLE_CHURN_NET, while FLAG_FILE exists (a
# job of its own; killing it would leave the loop in the namespace).
churn_shift() {
	local w=$((TABLE_CHURN / 2)) size=$((1 << (32 - ${TABLE_CHURN_NET#*/})))
	nsx "$cl" bash -c "$(declare -f ip_plus)"'
		i=1
		while [ -e "$4" ]; do
			a=$(ip_plus "$1" $(((i * $2) % ($3 - $2))))
			echo "src_max $(ip_plus "$a" $(($2 - 1)))" > /proc/net/pktgen/veth-cl@1
			echo "src_min $a" > /proc/net/pktgen/veth-cl@1
			i=$((i + 1))
			sleep 0.5
		done' sh "${TABLE_CHURN_NET%/*}" "$w" "$size" "$1"
}

# table_churn_dump: the dump again while TABLE_CHURN flows a second come
# and go: in place after 3 s of churn (flows of tag churn offloaded and
# timing out 1 s after their last packet), then dumped. Records the dump's
# time and lines, the churn measured over it (offloads a second) and the
# longest sweep slice after it (the churn's teardowns are the sweep's
# work). Conntrack forgets the churn's entries 5 s after their last
# packet (unreplied UDP; the N flows' entries are offloaded, which keeps
# them): at 600 s, a long dump's churn would fill the table.
table_churn_dump() {
	local h pgjob shiftjob t n us o0 o1
	table_udp_timeout 5 600 600
	h=$(nsx "$rt" nft --echo --handle insert rule inet bench vm_in \
		ip saddr "$TABLE_CHURN_NET" ip daddr "$SINK_IP" udp dport 9 \
		ct mark set "$TABLE_CHURN_MARK" jump allowed | sed -n 's/.*# handle \([0-9]*\).*/\1/p')
	[ -n "$h" ] && fl_rt tag add churn id "$TABLE_CHURN_MARK" threshold 0 timeout 1 > /dev/null &&
		churn_pktgen on || { ERR="churn setup failed"; return; }
	nsx "$cl" sh -c "echo start > $PG/pgctrl" &
	pgjob=$!
	touch "$BENCH_TMP/churn"
	churn_shift "$BENCH_TMP/churn" &
	shiftjob=$!
	sleep 3
	t=$(table_dump_timed)
	rm -f "$BENCH_TMP/churn"
	wait "$shiftjob"
	nsx "$cl" sh -c "echo stop > $PG/pgctrl"
	wait "$pgjob"
	read -r n us o0 o1 <<< "$t"
	X+=",\"churn_dump_lines\":${n:-null},\"churn_dump_us\":${us:-null}"
	X+=",\"churn_per_s\":$(( ${us:-0} > 0 ? (${o1:-0} - ${o0:-0}) * 1000000 / us : 0 ))"
	X+=",\"churn_sweep_slice_max_ns\":$(fl_rt --json status | status_num sweep_slice_max_ns)"
	churn_pktgen off
	fl_rt flush tag churn > /dev/null
	fl_rt tag del churn > /dev/null
	nsx "$rt" nft delete rule inet bench vm_in handle "$h" ||
		ERR="churn cleanup failed"
}

# sweep_trace_on: with BENCH_TRACE set (bench/run.sh --trace-sweep), the
# function graph tracer records, from here to sweep_trace_off, every
# function that ran for more than 1 ms inside flowlane's sweep
# (flowlane_flow_sweep and all it calls, interrupts that came in
# included): where a long slice's time went. A function that does no
# waiting yet took a long time tells of a vCPU that stood still. The tracer
# slows the sweep itself (every call inside it is traced): its runs say
# where time goes, not how fast. It is switched on once and stays on for
# the guest's life: switching it rewrites the entry of every kernel
# function, and the second switch of a run on 6.1 under TCG (2026-12-07)
# crashed the guest (an int3 of that rewrite no handler claimed,
# "kernel BUG at kernel/entry/common.c:463").
SWEEP_TRACE=/sys/kernel/tracing
sweep_trace_on() {
	[ -n "${BENCH_TRACE:-}" ] || return 0
	if [ "$(cat $SWEEP_TRACE/current_tracer 2> /dev/null)" = function_graph ]; then
		echo > $SWEEP_TRACE/trace && echo 1 > $SWEEP_TRACE/tracing_on
		return
	fi
	mountpoint -q $SWEEP_TRACE || mount -t tracefs tracefs $SWEEP_TRACE || return 1
	echo 0 > $SWEEP_TRACE/tracing_on &&
	echo nop > $SWEEP_TRACE/current_tracer &&
	echo flowlane_flow_sweep > $SWEEP_TRACE/set_graph_function &&
	echo 1000 > $SWEEP_TRACE/tracing_thresh &&
	echo 8192 > $SWEEP_TRACE/buffer_size_kb &&
	echo function_graph > $SWEEP_TRACE/current_tracer &&
	echo > $SWEEP_TRACE/trace &&
	echo 1 > $SWEEP_TRACE/tracing_on
}

# sweep_trace_off NAME: the trace into BENCH_TRACE/NAME.txt, and into the
# run's record the longest function inside the sweep other than the sweep
# itself and the scheduler's cond_resched between slices ("FUNCTION
# MICROSECONDS"), the recording stopped (the tracer stays).
sweep_trace_off() {
	local f=$BENCH_TRACE/$1.txt longest
	[ -n "${BENCH_TRACE:-}" ] || return 0
	echo 0 > $SWEEP_TRACE/tracing_on
	mkdir -p "$BENCH_TRACE" && cat $SWEEP_TRACE/trace > "$f"
	longest=$(sed -n 's/.* \([0-9.]*\) us *|.*\/\* \([^ ]*\).*\*\/.*/\2 \1/p' "$f" |
		grep -v -e '^flowlane_flow_sweep ' -e 'cond_resched' | sort -k2 -g -r | head -1)
	X+=",\"sweep_trace_longest\":\"${longest:-none over 1 ms}\""
}

# m_table VARIANT N|cap: pps with N flows in the router's tables (cap:
# TABLE_CAP_FLOWS flows, the tag capped at TABLE_CAP in the flowlane
# variants). The flows are put in place first: pktgen runs until every
# one is offloaded (flowlane) or tracked (the others), then as long again
# (every flow has had its next packet by then: a stock flowtable offloads
# at the second), then the window. flowlane's own figures follow.
m_table() {
	local v=$1 n=$2 cap="" want pgjob fill udp
	[ "$n" = cap ] && n=$TABLE_CAP_FLOWS cap=$TABLE_CAP
	want=$n
	table_ct_size "$n"
	case "$v:$cap" in
	flowlane-*:?*)
		want=$cap
		fl_rt tag set tenant max-flows "$cap" > /dev/null || { ERR="tag set max-flows $cap failed"; return; } ;;
	esac
	table_pktgen "$n" || { ERR="pktgen setup for $n flows failed"; return; }
	udp=$(nsx "$rt" sysctl -n net.netfilter.nf_conntrack_udp_timeout \
		net.netfilter.nf_conntrack_udp_timeout_stream \
		net.netfilter.nf_flowtable_udp_timeout | xargs)
	table_udp_timeout 600
	PPS_RX0=$(rx_sv)
	case "$v" in flowlane-*) sweep_trace_on || ERR="sweep trace setup failed" ;; esac
	nsx "$cl" sh -c "echo start > $PG/pgctrl" &
	pgjob=$!
	if fill=$(table_fill "$v" "$want"); then
		sleep $((fill + warmup))
		pps_window "$n" "$pgjob"
		X+=",\"fill_s\":$fill"
		case "$v" in flowlane-*)
			table_flowlane
			[ -n "$cap" ] || [ "$TABLE_CHURN" = 0 ] || table_churn_dump
			[ -n "$cap" ] || table_ct_dump "$n" ;;
		esac
	else
		nsx "$cl" sh -c "echo stop > $PG/pgctrl"
		wait "$pgjob"
		ERR="$n flows: $fill"
	fi
	case "$v" in flowlane-*) sweep_trace_off "sweep-$v-$2" ;; esac
	table_udp_timeout $udp
	[ -z "$cap" ] || case "$v" in flowlane-*) fl_rt tag set tenant max-flows 0 > /dev/null ;; esac
	pktgen_setup || ERR=${ERR:-"pktgen reset failed"}
}

# --- the servers ----------------------------------------------------------------

# serve NAME COMMAND...: a server in the VM, in the foreground of its own
# background job (nsenter execs it: $! is the server), its output in a log
# file: a daemon holding the guest's console would keep the guest from
# finishing.
SERVER_PIDS=()
serve() {
	local name=$1
	shift
	nsx "$sv" "$@" < /dev/null > "$BENCH_TMP/$name.log" 2>&1 &
	SERVER_PIDS+=($!)
}

# wait_port PORT: until something listens on the VM's PORT (10 s at most).
wait_port() {
	local i
	for ((i = 0; i < 50; i++)); do
		nsx "$sv" ss -Hltn "sport = :$1" | grep -q . && return 0
		sleep 0.2
	done
	return 1
}

# servers_start "SCENARIOS": what the scenarios need, in the VM.
servers_start() {
	mkdir -p "$BENCH_TMP" || return 1
	case " $1 " in *" pps "*|*" scale "*|*" table "*)
		pktgen_setup || { echo "bench: pktgen setup failed" >&2; return 1; } ;;
	esac
	case " $1 " in *" tcp "*)
		serve iperf3 iperf3 -s -B "$VM_IP"
		wait_port 5201 || { echo "bench: iperf3 server failed" >&2; return 1; } ;;
	esac
	case " $1 " in *" latency "*)
		local t=$SECONDS
		pg_start || { echo "bench: PostgreSQL failed to start" >&2; return 1; }
		PG_START_S=$((SECONDS - t))
		serve sockperf sockperf server --tcp -i "$VM_IP" -p 11111
		wait_port 11111 || { echo "bench: sockperf server failed" >&2; return 1; } ;;
	esac
	case " $1 " in *" conn "*)
		nginx_start
		wait_port 80 || { echo "bench: nginx failed to start" >&2; cat "$BENCH_TMP/nginx.log" >&2; return 1; }
		notrack_doc
		CT_MAX_DEFAULT=$(sysctl -n net.netfilter.nf_conntrack_max) ;;
	esac
}

# servers_warm "SCENARIOS": one short request loop to each server, through
# plain routing, before the first measured run: the first requests a fresh
# server answers in the emulated guest are slow (its pages, libraries and
# caches are cold), and would otherwise count against the first variant.
servers_warm() {
	case " $1 " in *" tcp "*)
		nsx "$cl" iperf3 -c "$VM_IP" -t 1 > /dev/null 2>&1 || return 1 ;;
	esac
	case " $1 " in *" latency "*)
		nsx "$cl" pgbench -h "$VM_IP" -U postgres -n -S -T 1 bench > /dev/null 2>&1 &&
		nsx "$cl" sockperf ping-pong --tcp -i "$VM_IP" -p 11111 -m 14 -t 1 > /dev/null 2>&1 ||
			return 1 ;;
	esac
	case " $1 " in *" conn "*)
		nsx "$cl" wrk -t 1 -c 2 -d 1s -H "Connection: close" "http://$VM_IP/" > /dev/null 2>&1 ||
			return 1 ;;
	esac
	nsx "$rt" conntrack -F > /dev/null 2>&1
	true
}

servers_stop() {
	pg_stop
	[ ${#SERVER_PIDS[@]} -eq 0 ] || kill "${SERVER_PIDS[@]}" 2> /dev/null
	true
}
