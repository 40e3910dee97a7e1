#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# flowlane demo: the job it does on a cloud host, as a story (run as root on
# a kernel that can load flowlane; `make demo` runs it in the QEMU guest).
#
#   client 198.51.100.2 --c0|up0-- host --vmtap1|eth0-- vm1 10.10.1.2 (tenant web)
#                                       --vmtap2|eth0-- vm2 10.10.2.2 (tenant batch)
#
# One `flowlane apply` of a document (firewall per VM, 1:1 public IPv4,
# a load-balanced service, two tags with different thresholds) before the
# VMs exist; then their taps appear, traffic of both tenants, the counters,
# a firewall change that cuts an offloaded flow, and a rough side-by-side of
# the classic path and the fast path. Each step checks what it shows and the
# demo stops with an error if it does not hold (selftests/flowlane_demo.sh
# runs it so).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
flowlane=$top/userspace/flowlane
flt=$top/selftests/fltraffic
tmp=$(mktemp -d)
nss="client host vm1 vm2"
cleanup() {
	for ns in $nss; do ip netns del "fl-$ns" 2> /dev/null || true; done
	modprobe -r flowlane 2> /dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
say() { printf '\033[1m$ %s\033[0m\n' "$*"; }
host() { say "flowlane $*"; ip netns exec fl-host "$flowlane" "$@"; }
# ok WHAT EXPECTED ACTUAL: the demo's own check of what a step shows.
ok() {
	if [ "$2" = "$3" ]; then
		printf '  ok: %s (%s)\n' "$1" "$3"
	else
		printf '  FAILED: %s: expected %s, got %s\n' "$1" "$2" "$3"
		exit 1
	fi
}
json() {	# json PYTHON_EXPR FLOWLANE_ARGS...: a value of the tool's JSON
	local expr=$1
	shift
	ip netns exec fl-host "$flowlane" --json "$@" |
		python3 -c "import json,sys; d=json.load(sys.stdin); print($expr)"
}
# A receiver's idle time, s: 3, times FLOWLANE_TIMEOUT_SCALE on a debug
# kernel (make debug-check), where starting the second receiver and the
# sender takes longer than 3 s and the first receiver would give up.
idle=$((3 * ${FLOWLANE_TIMEOUT_SCALE:-1}))
# recv NS PORT: count datagrams to PORT in NS until $idle s pass without one;
# received NS: that count, once it is there.
recv() {
	rm -f "$tmp/recv.$1" "$tmp/listen.$1"
	ip netns exec "fl-$1" "$flt" udp-recv "$2" "$idle" > "$tmp/recv.$1" 2> "$tmp/listen.$1" &
	until grep -q listening "$tmp/listen.$1" 2> /dev/null; do sleep 0.1; done
}
received() {
	until grep -q '^received=' "$tmp/recv.$1" 2> /dev/null; do sleep 0.2; done
	sed -n 's/^received=//p' "$tmp/recv.$1"
}
# send PUBLIC COUNT SPORT [GAP_US]: datagrams from the client to udp/5000.
send() { ip netns exec fl-client "$flt" udp-send "$1" 5000 "$2" 64 "$3" "${4:-200}" > /dev/null; }

for ns in $nss; do
	ip netns add "fl-$ns"
	ip -n "fl-$ns" link set lo up
done
ip link add c0 netns fl-client type veth peer name up0 netns fl-host
ip -n fl-client addr add 198.51.100.2/24 dev c0
ip -n fl-client link set c0 up
ip -n fl-client route add 203.0.113.0/24 via 198.51.100.1
ip -n fl-host addr add 198.51.100.1/24 dev up0
ip -n fl-host link set up0 up

doc=$tmp/host.json
write_doc() {	# write_doc VM1_UDP_PORT: the port vm1's firewall opens
	cat > "$doc" << JSON
{
  "fastpath": { "devices": ["up0"], "offload": true, "threshold": 20 },
  "uplinks": ["up0"],
  "tags": [ { "name": "web", "id": 10, "threshold": 5 },
            { "name": "batch", "id": 20, "threshold": 10 } ],
  "vms": [
    { "name": "vm1", "tag": "web", "interfaces": ["vmtap1"], "ipv4": "10.10.1.2",
      "public_ipv4": "203.0.113.10",
      "firewall": [ { "proto": "udp", "port": $1 }, { "proto": "tcp", "port": 8080 } ] },
    { "name": "vm2", "tag": "batch", "interfaces": ["vmtap2"], "ipv4": "10.10.2.2",
      "public_ipv4": "203.0.113.20",
      "firewall": [ { "proto": "udp", "port": 5000 }, { "proto": "tcp", "port": 8080 } ] }
  ],
  "services": [
    { "name": "www", "address": "203.0.113.80", "proto": "tcp", "port": 80,
      "scheduler": "round-robin",
      "backends": [ { "address": "10.10.1.2", "port": 8080 },
                    { "address": "10.10.2.2", "port": 8080 } ] }
  ]
}
JSON
}

step "1. The host's document: a firewall per VM, 1:1 public IPv4, a load-balanced service, tags web (offload after 5 packets) and batch (after 10). The VMs are not running yet."
modprobe flowlane
write_doc 5000
sed 's/^/    /' "$doc"
host apply "$doc"
host dev list
ok "the VMs' taps are followed by name before they exist" "follow vmtap1: follow vmtap2:" \
	"$(ip netns exec fl-host "$flowlane" dev list | grep -o 'follow vmtap[12]:' | xargs)"

step "2. The VMs start: their taps appear and get the fast path with no command."
for i in 1 2; do
	ip link add "vmtap$i" netns fl-host type veth peer name eth0 netns "fl-vm$i"
	ip -n fl-host addr add "10.10.$i.1/24" dev "vmtap$i"
	ip -n fl-host link set "vmtap$i" up
	ip -n "fl-vm$i" addr add "10.10.$i.2/24" dev eth0
	ip -n "fl-vm$i" link set eth0 up
	ip -n "fl-vm$i" route add default via "10.10.$i.1"
done
host dev list
ok "both taps hooked" "vmtap1 (followed) vmtap2 (followed)" \
	"$(ip netns exec fl-host "$flowlane" dev list | grep -o '^vmtap[12] (followed)' | xargs)"

step "3. Each tenant gets 40 datagrams from outside, to its public address: the first ones take the slow path (firewall, NAT, conntrack), the rest the fast path."
recv vm1 5000
recv vm2 5000
send 203.0.113.10 40 40001
send 203.0.113.20 40 40002
ok "vm1 and vm2 received all 40" "40 40" "$(received vm1) $(received vm2)"
host flows
ok "per flow: tag, slow and fast packets, the VM behind the public address" \
	"10 5 35 10.10.1.2,20 10 30 10.10.2.2" \
	"$(json '",".join("%d %d %d %s" % (f["tag"], f["orig_slow_packets"], f["orig_fast_packets"], f["reply_src"]) for f in sorted(d, key=lambda f: f["tag"]))' flows)"

step "4. What the fast path carried, per namespace and per tag (before the service's TCP connections: from 6.14 on, a FIN no longer takes a flow out of the fast path, so their last packets count as fast on some kernels and not on others)."
host stats
ok "fast-path packets of tag web and of tag batch" "35 30" \
	"$(json '"%d %d" % tuple(t["fastpath_packets"] for t in sorted(d["tags"], key=lambda t: t["id"]))' stats)"

step "5. The load-balanced service www (203.0.113.80:80, round-robin over vm1 and vm2)."
for i in 1 2; do
	ip netns exec "fl-vm$i" python3 -c '
import socket, sys
s = socket.create_server(("", 8080))
while True:
    c, _ = s.accept()
    c.sendall(sys.argv[1].encode() + b"\n")
    c.close()' "vm$i" &
	echo $! >> "$tmp/servers"
done
answers=
for i in 1 2 3 4; do
	for try in $(seq 50); do
		a=$(ip netns exec fl-client python3 -c '
import socket
print(socket.create_connection(("203.0.113.80", 80), timeout=2).makefile().readline().strip())' 2> /dev/null) && break
		sleep 0.1	# the servers are starting
	done
	say "connect 203.0.113.80:80  ->  $a"
	answers="$answers $a"
done
ok "four connections, served in turn" "vm1 vm2 vm1 vm2" "$(echo $answers)"
kill $(cat "$tmp/servers")

step "6. vm1's firewall no longer allows udp/5000. apply flushes vm1's offloaded flow: its next packets meet the new firewall."
write_doc 5001
host apply "$doc"
recv vm1 5000
recv vm2 5000
send 203.0.113.10 10 40001
send 203.0.113.20 10 40002
ok "of 10 more datagrams of each flow, vm1 received none, vm2 all" "0 10" "$(received vm1) $(received vm2)"

step "7. Rough side by side, one run each (make bench measures properly): 20000 datagrams to vm2 as fast as the client sends them, with tag batch's offload off (the classic path) and on, watched by flowlane top."
rate() {	# rate SPORT: datagrams per second vm2 received of 20000 sent
	local t0 t1 n
	recv vm2 5000
	t0=$(date +%s.%N)
	send 203.0.113.20 20000 "$1" 0
	t1=$(date +%s.%N)
	n=$(received vm2)
	echo "$n $(python3 -c "print(int($n / ($t1 - $t0)))")"
}
host tag set batch offload off
read -r n_classic pps_classic <<< "$(rate 41001)"
# Read now: the entry of this one-way flow expires 30 s after its last
# datagram, which the fast run can outlast on a slow (debug) kernel.
classic=$(ip netns exec fl-host conntrack -L -p udp --sport 41001 2> /dev/null)
host tag set batch offload on threshold 0
ip netns exec fl-host "$flowlane" top interval 1 count 3 > "$tmp/top" &
top_pid=$!
read -r n_fast pps_fast <<< "$(rate 41002)"
wait "$top_pid"
say "flowlane top interval 1 count 3   # meanwhile, the fast run"
cat "$tmp/top"
printf '    classic path: %s datagrams/s (%s of 20000 received)\n' "$pps_classic" "$n_classic"
printf '    fast path:    %s datagrams/s (%s of 20000 received)\n' "$pps_fast" "$n_fast"
ok "the classic run's flow: conntrack counted its 20000 packets, never offloaded" "packets=20000 0" \
	"$(grep -o 'packets=[0-9]*' <<< "$classic" | head -1) $(grep -c OFFLOAD <<< "$classic")"
ok "the fast run's flow: offloaded after 2 slow packets, 19998 fast" "offloaded 2 19998" \
	"$(json '" ".join("%s %d %d" % (f["state"], f["orig_slow_packets"], f["orig_fast_packets"]) for f in d if f["orig_sport"] == 41002)' flows)"

step "Done: flowlane apply --remove takes flowlane's tables away; modprobe -r unloads the module."
host apply --remove
