#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/apply.sh [-r REPS] [N]: time `flowlane apply --nft-only` with N VMs
# (default 10000) in a fresh network namespace on this machine's kernel.
# Each round runs every case once (the cases are interleaved, so a burst of
# load on a shared machine hits all of them alike); the table gives the
# median of REPS rounds (default 5):
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
# caller waits; "cpu" is the tool's task-clock (perf) or user+sys, the
# number that does not depend on what else runs on the machine. The kernel
# work of the commit is in both. FLOWLANE=path times another build of the
# tool (for before/after comparisons).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
reps=5
if [ "${1:-}" = -r ]; then
	reps=$2
	shift 2
fi
n=${1:-10000}
if [ -z "${FL_BENCH_NETNS:-}" ]; then
	FL_BENCH_NETNS=1 exec unshare -n "$0" -r "$reps" "$n"
fi
fl=${FLOWLANE:-$top/userspace/flowlane}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export FLOWLANE_STATE_DIR=$work/state
ip link set lo up

# The document generator of the host tests, as a function of its own.
doc() { python3 "$top/selftests/vmdoc.py" "$1" "$2" --icmp; }
for v in base fw del add; do doc "$n" $v > "$work/$v.json"; done

have_perf=false
perf stat -x, -e task-clock true > /dev/null 2>&1 && have_perf=true

# timed LABEL FILE: one apply of FILE; appends "wall_ms cpu_ms" to LABEL's
# file and keeps the tool's last line.
timed() {
	local label=$1 file=$2 t0 t1 cpu
	t0=$(date +%s%N)
	if $have_perf; then
		perf stat -x, -e task-clock -o "$work/cpu" "$fl" apply --nft-only "$file" > "$work/out"
		t1=$(date +%s%N)
		cpu=$(awk -F, '/task-clock/ { printf "%.1f", $1 }' "$work/cpu")
	else
		/usr/bin/time -f '%U %S' -o "$work/cpu" "$fl" apply --nft-only "$file" > "$work/out"
		t1=$(date +%s%N)
		cpu=$(awk '{ printf "%.1f", ($1 + $2) * 1000 }' "$work/cpu")
	fi
	echo "$(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.1f", d / 1e6 }') $cpu" >> "$work/t.$label"
	tail -1 "$work/out" > "$work/last.$label"
}
quiet() { "$fl" apply --nft-only "$1" > /dev/null; }
scratch() {
	nft delete table inet flowlane 2> /dev/null || true
	nft delete table ip flowlane_nat 2> /dev/null || true
	rm -f "$FLOWLANE_STATE_DIR"/*
}

labels="scratch unchanged add fw del full"
declare -A name=([scratch]="from scratch" [unchanged]="unchanged" [add]="one VM added"
	[fw]="one VM's firewall changed" [del]="one VM removed"
	[full]="firewall changed, full read")
echo "flowlane apply --nft-only, $n VMs ($(grep -c '"name": "vm' "$work/base.json") in the document," \
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
