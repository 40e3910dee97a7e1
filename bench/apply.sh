#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/apply.sh [-r REPS] [-s] [N]: time `flowlane apply --nft-only` with N
# VMs (default 10000) in a fresh network namespace on this machine's kernel;
# -s: the document also has a load-balanced service (vmdoc.py --service).
# Each round runs every case once (the cases are interleaved, so a burst of
# load on a shared machine hits all of them alike); the table gives the
# median of REPS rounds (default 5), and where the tool's time went
# (FLOWLANE_TIMING phases, medians):
#
#   from scratch            no tables, no state          (target: < 2 s at 10,000)
#   unchanged               the same document again      (no nftables change)
#   one VM added            } incremental: the state     (target: < 50 ms at
#   one VM's firewall       } of the last apply holds      10,000)
#   one VM removed          }
#   firewall, full read     the same change without a state file: the path
#                           taken after someone else changed the ruleset
#
# Each one-VM case starts from the base document applied. "wall" is what a
# caller waits, from fork to exit (bash's EPOCHREALTIME, nothing else
# wrapped around the tool); "cpu" is its user+sys time, less dependent on
# what else runs on the machine. The kernel work of the commit is in both. FLOWLANE=path times another build of the
# tool (for before/after comparisons).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
reps=5
svc=
if [ "${1:-}" = -r ]; then
	reps=$2
	shift 2
fi
if [ "${1:-}" = -s ]; then
	svc=--service
	shift
fi
n=${1:-10000}
if [ -z "${FL_BENCH_NETNS:-}" ]; then
	FL_BENCH_NETNS=1 exec unshare -n "$0" -r "$reps" ${svc:+-s} "$n"
fi
fl=${FLOWLANE:-$top/userspace/flowlane}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export FLOWLANE_STATE_DIR=$work/state
ip link set lo up

# The document generator of the host tests, as a function of its own.
doc() { python3 "$top/selftests/vmdoc.py" "$1" "$2" --icmp $svc; }
for v in base fw del add; do doc "$n" $v > "$work/$v.json"; done

# timed LABEL FILE: one apply of FILE; appends "wall_ms cpu_ms" to LABEL's
# file, and keeps the tool's last line and its FLOWLANE_TIMING phases.
# Nothing wraps the tool, so the wall time is its own: bash's EPOCHREALTIME
# around it, and its CPU time from bash's `times` (getrusage of the
# children) just before and after, read only once it exited.
timed() {
	local label=$1 file=$2 t0 t1
	times > "$work/times0"
	t0=$EPOCHREALTIME
	FLOWLANE_TIMING=1 "$fl" apply --nft-only "$file" > "$work/out" 2> "$work/phases"
	t1=$EPOCHREALTIME
	times > "$work/times1"
	awk -v a="$t0" -v b="$t1" '
		function ms(line,  f) { split(line, f, /[ ms]+/); return (f[1] * 60 + f[2] + f[3] * 60 + f[4]) * 1000 }
		FNR == 2 { c[FILENAME] = ms($0) }
		END { printf "%.1f %.1f\n", (b - a) * 1000, c[ARGV[2]] - c[ARGV[1]] }' \
		"$work/times0" "$work/times1" >> "$work/t.$label"
	tail -1 "$work/out" > "$work/last.$label"
	sed -n 's/^timing ms: //p' "$work/phases" >> "$work/p.$label"
}
quiet() { "$fl" apply --nft-only "$1" > /dev/null; }
scratch() {
	nft delete table inet flowlane 2> /dev/null || true
	nft delete table ip flowlane_nat 2> /dev/null || true
	nft delete table ip6 flowlane_nat6 2> /dev/null || true
	rm -f "$FLOWLANE_STATE_DIR"/*
}

labels="scratch unchanged add fw del full"
declare -A name=([scratch]="from scratch" [unchanged]="unchanged" [add]="one VM added"
	[fw]="one VM's firewall changed" [del]="one VM removed"
	[full]="firewall changed, full read")
echo "flowlane apply --nft-only, $n VMs ($(grep -c '"name": "vm' "$work/base.json") in the document${svc:+, one service}," \
	"$(stat -c %s "$work/base.json") bytes), kernel $(uname -r), $(nproc) CPUs"
echo "load before: $(uptime | sed 's/.*load average/load average/')"
for r in $(seq "$reps"); do
	scratch
	timed scratch "$work/base.json"
	timed unchanged "$work/base.json"
	timed add "$work/add.json"
	quiet "$work/base.json"
	timed fw "$work/fw.json"
	quiet "$work/base.json"
	timed del "$work/del.json"
	quiet "$work/base.json"
	rm -f "$FLOWLANE_STATE_DIR"/*
	timed full "$work/fw.json"
	quiet "$work/base.json"
done
echo "load after:  $(uptime | sed 's/.*load average/load average/')"

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
printf '%-28s %10s %16s %10s   %s\n' case "wall ms" "(min-max)" "cpu ms" "the tool says (last round)"
for l in $labels; do
	w=$(cut -d' ' -f1 "$work/t.$l" | median)
	lo=$(cut -d' ' -f1 "$work/t.$l" | sort -n | head -1)
	hi=$(cut -d' ' -f1 "$work/t.$l" | sort -n | tail -1)
	c=$(cut -d' ' -f2 "$work/t.$l" | median)
	printf '%-28s %10.1f %16s %10.1f   %s\n' "${name[$l]}" "$w" "($lo-$hi)" "$c" \
		"$(sed "s|$work/||" "$work/last.$l")"
done
echo "median of $reps interleaved rounds; rules in table inet flowlane:" \
	"$(nft -a list table inet flowlane | grep -c '# handle')"
echo
echo "where the time goes (ms, medians; split: the document cut into VMs;"
echo "delta/parse: the model, incremental or whole; commit: the kernel's):"
for l in $labels; do
	printf '%-28s' "${name[$l]}"
	for ph in $(head -1 "$work/p.$l" | sed 's/=[0-9.]*//g'); do
		printf ' %s=%s' "$ph" "$(sed -n "s/.*\b$ph=\([0-9.]*\).*/\1/p" "$work/p.$l" | median)"
	done
	echo
done
