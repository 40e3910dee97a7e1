#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark runs, inside the guest (bench/run.sh boots it). One JSON
# object per run is appended to OUT (JSON lines); a progress line per run
# goes to OUT's directory's "progress" file, which bench/run.sh shows as it
# grows (the guest's console reaches the host in 4 KiB chunks).
#
#   bench/guest.sh OUT REPS DURATION WARMUP "FLOWS..." "VARIANTS..."
#
# pps scenario: kernel pktgen in the client sends 64-byte frames (pkt_size
# 60 + FCS) of UDP, 1 flow or FLOWS flows (source ports), through the
# router to the server; the rate is the server's rx_packets delta over
# DURATION seconds, measured after WARMUP seconds of traffic. Runs are
# interleaved: every repetition runs every flow count and every variant,
# the variant order rotated by one each repetition so no variant always
# follows the same one.

set -u
source "$(dirname "$0")/lib.sh"

out=$1 reps=$2 duration=$3 warmup=$4 flows_list=$5 variants=$6
progress=$(dirname "$out")/progress

PG=/proc/net/pktgen

# pktgen_setup: one device on the client's first pktgen thread, sending
# without end (count 0) until told to stop.
pktgen_setup() {
	local mac
	mac=$(ip netns exec "$rt" cat /sys/class/net/veth-rc/address) || return 1
	ip netns exec "$cl" bash -e -s "$mac" <<'PGEOF'
PG=/proc/net/pktgen
echo rem_device_all > $PG/kpktgend_0
echo "add_device veth-cl" > $PG/kpktgend_0
for cmd in "count 0" "clone_skb 0" "pkt_size 60" "delay 0" \
	"dst 10.0.2.99" "dst_mac $1" "src_min 10.0.1.2" "src_max 10.0.1.2" \
	"udp_dst_min 9" "udp_dst_max 9" "udp_src_min 10000" "udp_src_max 10000"; do
	echo "$cmd" > $PG/veth-cl
done
PGEOF
}

# pktgen_flows N: N flows, source ports 10000 .. 10000 + N - 1 in turn
# (udp_src_max is exclusive; min = max means one port).
pktgen_flows() {
	ip netns exec "$cl" sh -c "echo 'udp_src_max $((10000 + ($1 > 1 ? $1 : 0)))' > $PG/veth-cl"
}

rx_sv() { ip netns exec "$sv" cat /sys/class/net/veth-sv/statistics/rx_packets; }

json_str() { printf '"%s"' "$1"; }

# pps_run VARIANT FLOWS REP ORDER: one measurement, one JSON line.
pps_run() {
	local v=$1 flows=$2 rep=$3 order=$4 err="" win="" rx0=0 rx1=0 sent=0 pgpps=0
	local a b t0 t1 off=0 fast=0 fast0=0 ctn=0 load pgjob
	load=$(cut -d' ' -f1-3 /proc/loadavg)
	if ! variant_up "$v"; then
		err="variant setup failed"
	elif ! pktgen_flows "$flows"; then
		err="pktgen setup failed"
	fi
	if [ -z "$err" ]; then
		read -r _ fast0 _ <<< "$(offload_evidence)"
		rx0=$(rx_sv)
		ip netns exec "$cl" sh -c "echo start > $PG/pgctrl" &
		pgjob=$!
		sleep "$warmup"
		win=$(ip netns exec "$sv" bash -c '
			f=/sys/class/net/veth-sv/statistics/rx_packets
			read a < $f; t0=$EPOCHREALTIME
			sleep '"$duration"'
			read b < $f; t1=$EPOCHREALTIME
			echo $a $b $t0 $t1')
		ip netns exec "$cl" sh -c "echo stop > $PG/pgctrl"
		wait "$pgjob"
		sleep 0.3	# the last packets' way through the guest
		rx1=$(rx_sv)
		local res
		res=$(ip netns exec "$cl" cat $PG/veth-cl)
		sent=$(printf '%s\n' "$res" | sed -n 's/.*pkts-sofar: *\([0-9]*\).*/\1/p')
		pgpps=$(printf '%s\n' "$res" | sed -n 's/^ *\([0-9]*\)pps.*/\1/p')
		read -r off fast ctn <<< "$(offload_evidence)"
		fast=$((fast - fast0))
		read -r a b t0 t1 <<< "$win"
		[ -n "${t1:-}" ] || err="no measurement window"
	fi
	variant_down "$v"

	local pps=0 secs=0
	if [ -z "$err" ]; then
		secs=$(awk -v x="$t0" -v y="$t1" 'BEGIN { printf "%.4f", y - x }')
		pps=$(awk -v a="$a" -v b="$b" -v s="$secs" 'BEGIN { printf "%.0f", (b - a) / s }')
	fi
	{
		printf '{"scenario":"pps","flows":%d,"variant":%s,"rep":%d,"order":%d,' \
			"$flows" "$(json_str "$v")" "$rep" "$order"
		printf '"pps":%s,"window_s":%s,"rx_window":%s,' "$pps" "$secs" "$(( ${b:-0} - ${a:-0} ))"
		printf '"sent_total":%s,"rx_total":%s,"pktgen_pps":%s,' \
			"${sent:-0}" "$((rx1 - rx0))" "${pgpps:-0}"
		printf '"offloaded_flows":%s,"fastpath_packets":%s,"ct_entries":%s,' \
			"${off:-0}" "${fast:-0}" "${ctn:-0}"
		printf '"guest_loadavg":"%s","error":%s}\n' "$load" \
			"$( [ -n "$err" ] && json_str "$err" || echo null)"
	} >> "$out"
	[ -z "$err" ] || echo "bench: $v, $flows flows, rep $rep: $err" >&2
	LAST_PPS=$pps
}

fmt_time() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

bench_modules || exit 1
topo_up > /dev/null || { echo "bench: topology setup failed" >&2; exit 1; }
trap topo_down EXIT
pktgen_setup || { echo "bench: pktgen setup failed" >&2; exit 1; }

read -ra V <<< "$variants"
read -ra F <<< "$flows_list"
total=$((reps * ${#F[@]} * ${#V[@]}))
n=0
start=$SECONDS
for ((rep = 1; rep <= reps; rep++)); do
	for flows in "${F[@]}"; do
		for ((i = 0; i < ${#V[@]}; i++)); do
			v=${V[$(((i + rep - 1) % ${#V[@]}))]}
			n=$((n + 1))
			el=$((SECONDS - start))
			if [ $n -gt 1 ]; then
				rem=$(fmt_time $((el * (total - n + 1) / (n - 1))))
			else
				rem="?"
			fi
			printf 'bench: pps %3d flow(s) %-13s rep %d/%d  run %d/%d  elapsed %s  remaining ~%s' \
				"$flows" "$v" "$rep" "$reps" "$n" "$total" "$(fmt_time "$el")" "$rem" >> "$progress"
			pps_run "$v" "$flows" "$rep" "$n"
			printf '  -> %s pps\n' "$LAST_PPS" >> "$progress"
		done
	done
done
echo "bench: $total runs in $(fmt_time $((SECONDS - start)))" >> "$progress"
