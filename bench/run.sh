#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: build, boot ONE QEMU guest (2 vCPUs), run the benchmark
# scenarios there against every router variant, interleaved and repeated,
# then write the results: every run as JSON, a Markdown table of medians,
# spread and ratios, and PNG plots (gnuplot).
#
#   bench/run.sh [--kernel SERIES|RELEASE] [--scenarios "pps tcp latency conn table scale"]
#                [--reps N] [--duration S] [--warmup S] [--flows "1 256"]
#                [--scale "1 1000 10000"] [--table "256 100000 1000000"]
#                [--variants "none classic ..."] [--out DIR] [--trace-sweep]
#
# Defaults: every scenario but table, 5 repetitions, 2 s measured (after
# 1 s of warm-up where the tool has one), 1 and 256 flows for pps, 1, 1,000
# and 10,000 VMs for scale, 256, 100,000 and 1,000,000 flows held for table
# (which runs only when named: a guest of 4 GiB, 1,000,000 flows filled in
# each run), all six variants (bench/lib.sh), on the kernel the
# guest boots by default (scripts/guest-kver.sh: 6.1; --kernel 6.12 or 7.3
# or a release, as FLOWLANE_KVER takes). It prints the
# expected duration first. Results go to DIR (default
# bench/results/<UTC timestamp>/) and are copied to bench/results/latest-*
# (JSON, Markdown, PNG). --trace-sweep: in table's flowlane runs, the
# function graph tracer keeps every function over 1 ms inside the sweep,
# in DIR/trace/ (a diagnosis: the tracer slows the sweep).
# Documentation/benchmarks.md explains the scenarios and how to read the
# numbers.

set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

ALL_SCENARIOS="pps tcp latency conn table scale"
scenarios="pps tcp latency conn scale"
reps=5 duration=2 warmup=1 flows="1 256" scale="1 1000 10000" table="256 100000 1000000"
variants="none classic stock stock-n20 flowlane-0 flowlane-20"
out="" trace_sweep=""

die() { echo "bench: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case "$1" in
	--scenarios) scenarios=$2; shift 2 ;;
	--reps) reps=$2; shift 2 ;;
	--duration) duration=$2; shift 2 ;;
	--warmup) warmup=$2; shift 2 ;;
	--flows) flows=$2; shift 2 ;;
	--scale) scale=$2; shift 2 ;;
	--table) table=$2; shift 2 ;;
	--variants) variants=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--trace-sweep) trace_sweep=1; shift ;;
	--kernel) export FLOWLANE_KVER=$2; shift 2 ;;
	*) die "unknown option '$1' (see the usage at the top of $0)" ;;
	esac
done
case "$reps" in ''|*[!0-9]*|0) die "--reps '$reps' is not a positive number" ;; esac
# Whole seconds: iperf3, pgbench and wrk take no fractions.
case "$duration" in ''|*[!0-9]*|0) die "--duration '$duration' is not a positive number of seconds" ;; esac
case "$warmup" in ''|*[!0-9]*) die "--warmup '$warmup' is not a number of seconds" ;; esac
for s in $scenarios; do
	case " $ALL_SCENARIOS " in *" $s "*) ;; *) die "unknown scenario '$s' (known: $ALL_SCENARIOS)" ;; esac
done
# The canonical order whatever was asked: scale replaces the router's
# ruleset, so it runs last in each variant's turn.
scenarios=$(for s in $ALL_SCENARIOS; do case " $scenarios " in *" $s "*) printf '%s ' "$s" ;; esac; done)
scenarios=${scenarios% }
[ -n "$scenarios" ] || die "no scenario given"
source bench/lib.sh
for v in $variants; do
	case " $BENCH_VARIANTS $BENCH_EXTRA_VARIANTS " in *" $v "*) ;; *) die "unknown variant '$v'" ;; esac
done

scripts/deps.sh
command -v gnuplot > /dev/null || die "gnuplot not found: run 'make deps' (installs gnuplot-nox)"
kver=$(scripts/guest-kver.sh)
echo "  BUILD   module and tool for $kver"
make -s tool
scripts/module-build.sh "$kver"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
[ -n "$out" ] || out=bench/results/$stamp
mkdir -p "$out"
out=$(cd "$out" && pwd)
# The guest writes the results through the work tree it shares; anything
# else it sees read-only, or not at all (its /tmp is its own).
case "$out/" in
"$top"/*) ;;
*) die "--out '$out' is outside the work tree $top: the guest cannot write there; give a directory inside it" ;;
esac
rm -f "$out/runs.jsonl" "$out/progress"
touch "$out/progress"

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
t_start=$(date +%s)

# scale: the `flowlane apply` documents, written here (the host's Python
# is much faster than the emulated guest's) into the shared directory.
docs=$out/docs
if [[ " $scenarios " == *" scale "* ]]; then
	mkdir -p "$docs"
	for n in $scale; do
		python3 bench/scaledoc.py "$n" > "$docs/scale-$n.json"
		for v in $variants; do
			case "$v" in flowlane-*)
				python3 bench/scaledoc.py "$n" --threshold "${v#flowlane-}" \
					> "$docs/scale-$n-t${v#flowlane-}.json" ;;
			esac
		done
	done
fi

for n in $table; do
	case "$n" in ''|*[!0-9]*|0) die "--table '$n' is not a positive number of flows" ;; esac
done
BENCH_FLOWS=$flows BENCH_SCALE=$scale BENCH_TABLE=$table
# table: a million flows' conntrack entries, flowtable entries and flowlane
# records need more than the guest's default 2 GiB; slab_nomerge keeps
# flowlane's flow cache apart in /proc/slabinfo, where its memory is read.
if [[ " $scenarios " == *" table "* ]]; then
	export FLOWLANE_GUEST_MEM=${FLOWLANE_GUEST_MEM:-4096}
	export FLOWLANE_GUEST_APPEND="${FLOWLANE_GUEST_APPEND:-} slab_nomerge"
fi
nruns=$(bench_plan | wc -l)
est=$(( $(bench_estimate) + 60 ))	# + build, boot and report
echo "  BENCH   $kver guest, 2 vCPUs: $scenarios; $nruns runs" \
	"($(wc -w <<< "$variants") variants x $reps repetitions), ${duration}s each;" \
	"expect about $((est / 60)) min (host load $load_start)"

# The guest runs the whole matrix in one boot; at most 45 minutes. Its
# progress lines come through the shared directory; its console (errors,
# kernel messages) is kept in guest.log and shown when it fails.
tail -n +1 -F "$out/progress" 2> /dev/null &
tailpid=$!
set +e
timeout_s=$((est * 2 > 2700 ? est * 2 : 2700))
FLOWLANE_GUEST_CPUS=2 selftests/guest.sh --kver "$kver" --timeout "$timeout_s" -- \
	bench/guest.sh "$out/runs.jsonl" "$reps" "$duration" "$warmup" "$flows" "$variants" \
	"$scenarios" "$scale" "$docs" "$table" "${trace_sweep:+$out/trace}" > "$out/guest.log" 2>&1
rc=$?
set -e
sleep 1
kill "$tailpid" 2> /dev/null || true
grep '^bench:' "$out/guest.log" >&2 || true	# errors of single runs
[ "$rc" = 0 ] || tail -40 "$out/guest.log" >&2
t_end=$(date +%s)
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
[ -s "$out/runs.jsonl" ] || die "the guest wrote no results (guest.sh exit $rc)"
[ "$rc" = 0 ] || echo "bench: warning: the guest exited with status $rc; reporting what it measured" >&2

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
python3 bench/report.py --runs "$out/runs.jsonl" --out "$out" \
	--meta "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	--meta "host=$(. /etc/os-release && echo "$PRETTY_NAME"), $(nproc) cores, $cpu, $(free -g | awk '/^Mem:/ { print $2 }') GiB" \
	--meta "host_kernel=$(uname -r)" \
	--meta "guest=QEMU $(qemu-system-x86_64 --version | sed -n '1s/.*version \([^ ]*\).*/\1/p') TCG, 2 vCPUs, ${FLOWLANE_GUEST_MEM:-2048} MiB" \
	--meta "guest_kernel=$kver" \
	--meta "flowlane=$(scripts/version.sh 2> /dev/null || git describe --always --dirty)" \
	--meta "commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- kmod bench userspace || echo +dirty)" \
	--meta "command=bench/run.sh --scenarios '$scenarios' --reps $reps --duration $duration --warmup $warmup --flows '$flows' --scale '$scale' --variants '$variants'${trace_sweep:+ --trace-sweep}" \
	--meta "expected_s=$est" \
	--meta "host_load_start=$load_start" --meta "host_load_end=$load_end" \
	--meta "wall_s=$((t_end - t_start))"

for s in $scenarios; do
	gnuplot -e "dir='$out'; scen='$s'" bench/plots.gp ||
		{ echo "bench: the plots of $s failed" >&2; rc=${rc:-0}; [ "$rc" != 0 ] || rc=1; }
done

mkdir -p bench/results
for f in results.json table.md $(cd "$out" && ls *.png 2> /dev/null); do
	cp "$out/$f" "bench/results/latest-$f"
done
echo "  DONE    $((t_end - t_start)) s (expected $est s); $out/table.md (also bench/results/latest-*)"
cat "$out/table.md"
# A run that failed fails the benchmark, after the report of the others.
failed=$(grep -c '"error": *"' "$out/runs.jsonl" || true)
[ "$failed" = 0 ] || { echo "bench: $failed run(s) failed (see above and $out/guest.log)" >&2; [ "$rc" != 0 ] || rc=1; }
exit "$rc"
