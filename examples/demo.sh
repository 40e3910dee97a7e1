#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# flowlane demo (run as root on a kernel that can load flowlane; `make demo`
# runs it in the QEMU guest). It builds a small routed topology, loads the
# module with modprobe and shows it answering over netlink and sysfs.
#
#   client 10.0.1.2 --veth-- 10.0.1.1 router 10.0.2.1 --veth-- 10.0.2.2 server
#
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
flowlane=$top/userspace/flowlane
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "$*"; "$@"; }

for ns in client router server; do
	ip netns add "fl-$ns"
	ip -n "fl-$ns" link set lo up
done
trap 'for ns in client router server; do ip netns del fl-$ns 2>/dev/null; done' EXIT
ip link add c0 netns fl-client type veth peer name r0 netns fl-router
ip link add s0 netns fl-server type veth peer name r1 netns fl-router
ip -n fl-client addr add 10.0.1.2/24 dev c0
ip -n fl-router addr add 10.0.1.1/24 dev r0
ip -n fl-router addr add 10.0.2.1/24 dev r1
ip -n fl-server addr add 10.0.2.2/24 dev s0
for l in "fl-client c0" "fl-router r0" "fl-router r1" "fl-server s0"; do
	set -- $l
	ip -n "$1" link set "$2" up
done
ip -n fl-client route add default via 10.0.1.1
ip -n fl-server route add default via 10.0.2.1
ip netns exec fl-router sysctl -qw net.ipv4.ip_forward=1

run ip netns exec fl-client ping -c 3 -i 0.2 10.0.2.2
run modprobe flowlane
run modinfo -F filename flowlane
run cat /sys/kernel/flowlane/version
run genl ctrl get name flowlane
run ip netns exec fl-router "$flowlane" status
run ip netns exec fl-router "$flowlane" --json status
run modprobe -r flowlane
say "$flowlane status   # after modprobe -r"
"$flowlane" status || true
