#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark runs, inside the guest (bench/run.sh boots it). One JSON
# object per run is appended to OUT (JSON lines); a progress line per run
# goes to OUT's directory's "progress" file, which bench/run.sh shows as it
# grows (the guest's console reaches the host in 4 KiB chunks).
#
#   bench/guest.sh OUT REPS DURATION WARMUP "FLOWS..." "VARIANTS..." \
#                  "SCENARIOS..." "SCALE..." DOCS "TABLE..." [TRACE_DIR]
#
# The scenarios (bench/workloads.sh, Documentation/benchmarks.md): pps,
# tcp, latency, conn, table, scale. Runs are interleaved by variant: every
# repetition sets up every variant once, in an order rotated by one each
# repetition, and runs every selected scenario's cases under it
# (bench_plan in bench/lib.sh), so each repetition pairs every variant's
# runs of a case within minutes of each other.

set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/workloads.sh"

out=$1 reps=$2 duration=$3 warmup=$4 BENCH_FLOWS=$5 variants=$6
scenarios=$7 BENCH_SCALE=$8 DOCS=$9 BENCH_TABLE=${10} BENCH_TRACE=${11:-}
progress=$(dirname "$out")/progress

fmt_time() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# jstr STRING: STRING as a JSON string (the few characters ERR can hold).
jstr() { local s=${1//\\/\\\\}; printf '"%s"' "${s//\"/\\\"}"; }

# run_one REP ORDER VARIANT SCENARIO CASE: one measurement, one JSON line.
# flowlane's counters are read after each run (FL_BEFORE: their values
# before it, read when the variant was set up); their deltas show the fast
# path at work. conntrack is flushed after, so that no run inherits
# another's entries.
run_one() {
	local rep=$1 n=$2 v=$3 s=$4 c=$5 load l1 l5 l15 fast0 offl0 off fast ctn offl t0
	VAL="" UNIT="" BETTER=higher X="" MID=null ERR=""
	read -r l1 l5 l15 _ < /proc/loadavg
	load="$l1 $l5 $l15"
	read -r _ fast0 _ offl0 <<< "$FL_BEFORE"
	t0=$SECONDS
	if [ -n "${VARIANT_ERR:-}" ]; then
		ERR=$VARIANT_ERR
	else
		"m_$s" "$v" "$c"
	fi
	FL_BEFORE=$(offload_evidence "$v" flush)
	read -r off fast ctn offl <<< "$FL_BEFORE"
	case "$VAL" in
	'') [ -n "$ERR" ] || ERR="no result" ;;
	*[!0-9.]*) ERR="not a number: '$VAL'" ;;
	*[1-9]*) ;;
	*) ERR=${ERR:-"measured 0 $UNIT"} ;;
	esac
	[ -z "$ERR" ] || VAL=0
	{
		printf '{"scenario":"%s","case":"%s","variant":"%s","rep":%d,"order":%d,' \
			"$s" "$c" "$v" "$rep" "$n"
		printf '"value":%s,"unit":"%s","better":"%s","run_s":%d%s,' \
			"$VAL" "$UNIT" "$BETTER" $((SECONDS - t0)) "$X"
		printf '"offloaded_flows":%s,"offloaded_mid":%s,"fastpath_packets":%s,' \
			"${off:-0}" "$MID" "$(( ${fast:-0} - ${fast0:-0} ))"
		printf '"offloads":%s,"ct_entries":%s,"guest_loadavg":"%s","error":%s}\n' \
			"$(( ${offl:-0} - ${offl0:-0} ))" "${ctn:-0}" "$load" \
			"$( [ -n "$ERR" ] && jstr "$ERR" || echo null)"
	} >> "$out"
	[ -z "$ERR" ] || echo "bench: $s $c, $v, rep $rep: $ERR" >&2
}

bench_modules || exit 1
topo_up > /dev/null || { echo "bench: topology setup failed" >&2; exit 1; }
trap 'servers_stop; topo_down' EXIT
t_servers=$SECONDS
servers_start "$scenarios" || exit 1
servers_warm "$scenarios" || { echo "bench: a server does not answer through plain routing" >&2; exit 1; }
echo "bench: servers up in $(fmt_time $((SECONDS - t_servers)))${PG_START_S:+ (PostgreSQL ${PG_START_S}s)}" >> "$progress"

# The plan, with each run's expected cost: the remaining time is the
# expected cost of what is left, scaled by how the runs so far compared
# with their own expectation.
mapfile -t plan <<< "$(bench_plan)"  # (no /dev/fd in the guest for <(...))
total=${#plan[@]}
expect_total=0
for p in "${plan[@]}"; do
	read -r _ _ s c <<< "$p"
	expect_total=$((expect_total + $(bench_cost "$s" "$c")))
done
expect_done=0 n=0 cur="" start=$SECONDS
for p in "${plan[@]}"; do
	read -r rep v s c <<< "$p"
	n=$((n + 1))
	if [ "$rep $v" != "$cur" ]; then
		[ -z "$cur" ] || variant_down "${cur#* }"
		cur="$rep $v" VARIANT_ERR=""
		variant_up "$v" || VARIANT_ERR="variant setup failed"
		FL_BEFORE="0 0 0 0"
		case "$v" in flowlane-*) FL_BEFORE=$(offload_evidence "$v") ;; esac
	fi
	el=$((SECONDS - start))
	rem="?"
	[ "$expect_done" -gt 0 ] &&
		rem=$(fmt_time $((el * (expect_total - expect_done) / expect_done)))
	printf 'bench: %-7s %-12s %-12s rep %d/%d  run %d/%d  elapsed %s  remaining ~%s' \
		"$s" "$c" "$v" "$rep" "$reps" "$n" "$total" "$(fmt_time "$el")" "$rem" >> "$progress"
	run_one "$rep" "$n" "$v" "$s" "$c"
	if [ -n "$ERR" ]; then
		printf '  -> FAILED: %s\n' "$ERR" >> "$progress"
	else
		printf '  -> %s %s\n' "$VAL" "$UNIT" >> "$progress"
	fi
	expect_done=$((expect_done + $(bench_cost "$s" "$c")))
done
[ -z "$cur" ] || variant_down "${cur#* }"
echo "bench: $total runs in $(fmt_time $((SECONDS - start)))" >> "$progress"
