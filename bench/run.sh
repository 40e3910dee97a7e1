#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: build, boot ONE QEMU guest (2 vCPUs), run the benchmark
# scenarios there against every router variant, interleaved and repeated,
# then write the results: every run as JSON, a Markdown table of medians,
# spread and ratios, and PNG plots (gnuplot).
#
#   bench/run.sh [--reps N] [--duration S] [--warmup S] [--flows "1 256"]
#                [--variants "none classic ..."] [--out DIR]
#
# Defaults: 7 repetitions, 3 s measured after 1 s of warm-up, 1 and 256
# flows, all six variants (bench/lib.sh). Results go to DIR (default
# bench/results/<UTC timestamp>/) and are copied to bench/results/latest-*
# (JSON, Markdown, PNG). Documentation/benchmarks.md explains the
# scenario and how to read the numbers.

set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

reps=7 duration=3 warmup=1 flows="1 256"
variants="none classic stock stock-n20 flowlane-0 flowlane-20"
out=""

die() { echo "bench: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case "$1" in
	--reps) reps=$2; shift 2 ;;
	--duration) duration=$2; shift 2 ;;
	--warmup) warmup=$2; shift 2 ;;
	--flows) flows=$2; shift 2 ;;
	--variants) variants=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	*) die "unknown option '$1' (see the usage at the top of $0)" ;;
	esac
done
case "$reps" in ''|*[!0-9]*|0) die "--reps '$reps' is not a positive number" ;; esac

scripts/deps.sh
command -v gnuplot > /dev/null || die "gnuplot not found: run 'make deps' (installs gnuplot-nox)"
echo "  BUILD   module and tool"
make -s module tool KDIR="/lib/modules/$(scripts/guest-kver.sh)/build"

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

kver=$(scripts/guest-kver.sh)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
t_start=$(date +%s)
ncases=$(( $(wc -w <<< "$flows") * $(wc -w <<< "$variants") ))
echo "  BENCH   $kver guest, 2 vCPUs: pps, $ncases cases x $reps repetitions," \
	"${duration}s each (host load $load_start)"

# The guest runs the whole matrix in one boot; at most 45 minutes. Its
# progress lines come through the shared directory; its console (errors,
# kernel messages) is kept in guest.log and shown when it fails.
tail -n +1 -F "$out/progress" 2> /dev/null &
tailpid=$!
set +e
FLOWLANE_GUEST_CPUS=2 selftests/guest.sh --kver "$kver" --timeout 2700 -- \
	bench/guest.sh "$out/runs.jsonl" "$reps" "$duration" "$warmup" "$flows" "$variants" \
	> "$out/guest.log" 2>&1
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
	--meta "command=bench/run.sh --reps $reps --duration $duration --warmup $warmup --flows '$flows' --variants '$variants'" \
	--meta "host_load_start=$load_start" --meta "host_load_end=$load_end" \
	--meta "wall_s=$((t_end - t_start))"

gnuplot -e "dir='$out'" bench/plots.gp

mkdir -p bench/results
for f in results.json table.md pps-ratios.png pps-distribution.png; do
	cp "$out/$f" "bench/results/latest-$f"
done
echo "  DONE    $((t_end - t_start)) s; $out/table.md (also bench/results/latest-*)"
cat "$out/table.md"
exit "$rc"
