#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/apply.sh [N]: time `flowlane apply --nft-only` with N VMs (default
# 10000) in a fresh network namespace on this machine's kernel:
#   1. from scratch        (target: < 2 s for 10,000 VMs)
#   2. unchanged document  (no nftables change at all)
#   3. one VM's firewall changed, 4. one VM removed, 5. one VM added
#                          (target: < 50 ms each on 10,000 VMs)
# Each case runs 3 times and prints the tool's own wall time (median).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-10000}
if [ -z "${FL_BENCH_NETNS:-}" ]; then
	FL_BENCH_NETNS=1 exec unshare -n "$0" "$@"
fi
fl=$top/userspace/flowlane
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export FLOWLANE_STATE_DIR=$work/state

# The document generator of the host tests, as a function of its own.
doc() { python3 "$top/selftests/vmdoc.py" "$1" "$2" --icmp; }
for v in base fw del add; do doc "$n" $v > "$work/$v.json"; done

now() { date +%s%N; }
# run LABEL FILE [SETUP_FILE]: median of 3 applies of FILE, each after
# applying SETUP_FILE (when given) so that the change is measured alone.
run() {
	local label=$1 file=$2 setup=${3:-} t=() i t0 out
	for i in 1 2 3; do
		[ -n "$setup" ] && "$fl" apply --nft-only "$setup" > /dev/null
		t0=$(now)
		out=$("$fl" apply --nft-only "$file")
		t+=($(( ($(now) - t0) / 1000 )))
	done
	printf '%-34s %8.1f ms   (%s)\n' "$label" \
		"$(printf '%s\n' "${t[@]}" | sort -n | sed -n 2p | awk '{ print $1 / 1000 }')" \
		"$(echo "$out" | tail -1)"
}

echo "flowlane apply --nft-only, $n VMs, kernel $(uname -r), $(nproc) CPUs"
t=()
for i in 1 2 3; do
	nft delete table inet flowlane 2> /dev/null || true
	nft delete table ip flowlane_nat 2> /dev/null || true
	t0=$(now)
	out=$("$fl" apply --nft-only "$work/base.json")
	t+=($(( ($(now) - t0) / 1000 )))
done
printf '%-34s %8.1f ms   (%s)\n' "from scratch" \
	"$(printf '%s\n' "${t[@]}" | sort -n | sed -n 2p | awk '{ print $1 / 1000 }')" "$(echo "$out" | tail -1)"
run "unchanged document" "$work/base.json"
run "one VM's firewall changed" "$work/fw.json" "$work/base.json"
run "one VM removed" "$work/del.json" "$work/base.json"
run "one VM added" "$work/add.json" "$work/base.json"
echo "rules in table inet flowlane: $(nft -a list table inet flowlane | grep -c '# handle' )"
