#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What the fast path must refuse, as the stock flowtable does, under
# threshold 0 (every other flow offloads at its first eligible packet):
#  - a flow with a conntrack helper (ftp): the helper must see every packet;
#  - a flow with sequence adjustment (SYN proxy in the router rewrites
#    sequence numbers: the fast path would not);
#  - packets with IPv4 options: never offload a flow on one, and an
#    offloaded flow's packet with options takes the slow path;
#  - asymmetric routing: the table sends the replies by veth-rx, the fast
#    path would send them back by veth-rc, where the flow came in;
#  - flows whose packets the core's fast path would punt every time: IPv4
#    and IPv6 fragments (conntrack reassembled them before the forward
#    hook; the core sees each fragment), an IPv6 destination options
#    header, packets without DF longer than the way out's MTU.
# Each case sends a counted flow and checks it arrived whole and that the
# namespace's offloads_total did not move for it; a control flow beside it
# (through the same ruleset) offloads exactly once, so the setup itself is
# not what keeps the flows slow.
# Not covered: NAT clash (IPS_NAT_CLASH needs two CPUs racing to confirm
# the same new UDP flow; the refusal is in flowlane_eligible()).
#
#   client ---- router (flowlane: veth-rc, veth-rs) ---- server
#      veth-cx -- veth-rx (not flowlane's): the way back to 10.0.9.2

source "$(dirname "$0")/engine_lib.sh"
need_root
router_at_threshold 0

offloads() { fl stats | kv offloads_total; }

# check_offloads N WHAT: exactly N offloads since the previous check, so
# each flow is judged alone (a running total would let one case's extra
# offload hide another's missing one).
offloads_seen=$(offloads)
check_offloads() {
	local now
	now=$(offloads)
	check_eq "$2: offloads since the previous check" "$1" "$(( ${now:-0} - offloads_seen ))"
	offloads_seen=${now:-$offloads_seen}
}

case_helper() {
	modprobe -q nf_conntrack_ftp || { fail "nf_conntrack_ftp module"; return; }
	ip netns exec "$rt" nft -f - <<NFT || { fail "nft ftp helper ruleset"; return; }
table inet helper {
	ct helper ftp-std { type "ftp" protocol tcp; }
	chain pre {
		type filter hook prerouting priority 0;
		tcp dport 21 ct helper set "ftp-std"
	}
}
NFT
	check_eq "helper: 200000 bytes to port 21 arrive" 200000 "$(tcp_xfer 10.0.2.2 21 200000)"
	check_offloads 0 "helper flow (ftp) not offloaded"
	check_eq "control: 200000 bytes to port 5001 arrive" 200000 "$(tcp_xfer 10.0.2.2 5001 200000)"
	check_offloads 1 "control TCP flow offloaded"
	ip netns exec "$rt" nft delete table inet helper
}

# SYNs the router's SYN proxy received (the sum of its per-CPU hex counts).
synproxy_syns() {
	local n=0 h
	for h in $(ip netns exec "$rt" awk 'NR > 1 { print $2 }' /proc/net/stat/synproxy); do
		n=$((n + 16#$h))
	done
	echo $n
}

# SYN proxy in the forward chain (the nftables wiki's recipe): the router
# answers the SYN itself, then opens the connection to the server with
# its own sequence numbers and translates them for the rest of the flow.
case_seqadj() {
	ip netns exec "$rt" sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0
	ip netns exec "$rt" nft -f - <<NFT || { fail "nft synproxy ruleset"; return; }
table ip sp {
	chain pre {
		type filter hook prerouting priority raw;
		tcp dport 8080 tcp flags syn notrack
	}
	chain fw {
		type filter hook forward priority filter;
		tcp dport 8080 ct state invalid,untracked synproxy mss 1460 wscale 7 timestamp sack-perm
		ct state invalid drop
	}
}
NFT
	check_eq "seqadj: 200000 bytes through the SYN proxy arrive" 200000 \
		"$(tcp_xfer 10.0.2.2 8080 200000)"
	check_eq "seqadj: the router's SYN proxy took the one SYN" 1 "$(synproxy_syns)"
	check_offloads 0 "flow with sequence adjustment not offloaded"
	# The control: a TCP flow through the same ruleset (strict TCP
	# tracking, invalid packets dropped) that the SYN proxy leaves alone.
	check_eq "seqadj control: 200000 bytes to port 5001 arrive" 200000 \
		"$(tcp_xfer 10.0.2.2 5001 200000)"
	check_eq "seqadj control: the SYN proxy took no other SYN" 1 "$(synproxy_syns)"
	check_offloads 1 "seqadj control: TCP flow beside the SYN proxy offloaded"
	ip netns exec "$rt" nft delete table ip sp
	ip netns exec "$rt" sysctl -qw net.netfilter.nf_conntrack_tcp_loose=1
}

# udp_opts SPORT COUNT OPTS: COUNT 64-byte datagrams to 10.0.2.2:5003;
# OPTS 1: with IPv4 options (three NOPs and an end of list).
udp_opts() {
	ip netns exec "$cl" python3 - "$@" <<'PY'
import socket, sys
sport, count, opts = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.0.1.2", sport))
if opts:
    s.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, b"\x01\x01\x01\x00")
for _ in range(count):
    s.sendto(b"\0" * 64, ("10.0.2.2", 5003))
PY
}

case_ip_options() {
	udp_recv "$sv" 5003
	udp_opts 46001 20 1
	check_offloads 0 "flow whose packets carry IPv4 options not offloaded"
	udp_opts 46002 10 0
	check_offloads 1 "control UDP flow offloaded"
	udp_opts 46002 5 1
	check_eq "all 35 datagrams arrive" 35 "$(received 5003)"
	local l
	l=$(flow_line 'osport=46002 ')
	# 10 plain: the first unconfirmed, the second offloads it; 8 fast.
	# Then 5 with options: the fast path leaves them to the slow path.
	check_eq "offloaded flow: its 5 packets with options took the slow path" \
		"7 8" "$(kv o_slow_p <<< "$l") $(kv o_fast_p <<< "$l")"
}

# udp_from SRC SPORT COUNT DPORT: COUNT 64-byte datagrams from SRC to
# 10.0.2.2:DPORT.
udp_from() {
	ip netns exec "$cl" python3 - "$@" <<'PY'
import socket, sys
src, sport, count, dport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, sport))
for _ in range(count):
    s.sendto(b"\0" * 64, ("10.0.2.2", dport))
PY
}

case_asymmetric() {
	ip link add veth-cx netns "$cl" type veth peer name veth-rx netns "$rt" &&
	ip -n "$cl" addr add 10.0.3.2/24 dev veth-cx &&
	ip -n "$cl" addr add 10.0.9.2/32 dev veth-cl &&
	ip -n "$rt" addr add 10.0.3.1/24 dev veth-rx &&
	ip -n "$cl" link set veth-cx up && ip -n "$rt" link set veth-rx up &&
	ip -n "$rt" route add 10.0.9.2/32 via 10.0.3.2 dev veth-rx &&
	ip netns exec "$rt" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.veth-rc.rp_filter=0 &&
	ip netns exec "$cl" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.veth-cx.rp_filter=0 || { fail "asymmetric route setup"; return; }
	check_match "asymmetric: the router sends 10.0.9.2's replies by veth-rx" "dev veth-rx" \
		"$(ip -n "$rt" route get 10.0.9.2 from 10.0.2.2 iif veth-rs)"
	udp_recv "$sv" 5005
	udp_from 10.0.9.2 46005 10 5005
	check_eq "asymmetric: 10 datagrams arrive" 10 "$(received 5005)"
	check_offloads 0 "flow whose replies the table routes by another device not offloaded"
	udp_recv "$sv" 5005
	udp_from 10.0.1.2 46006 10 5005
	check_eq "control: 10 datagrams from 10.0.1.2 arrive" 10 "$(received 5005)"
	check_offloads 1 "control UDP flow with a symmetric route offloaded"
}

# udp_py FAMILY SPORT COUNT DPORT SIZE [dstopts]: datagrams to the server
# with DF clear (IPv4: the client fragments what exceeds its MTU, as IPv6
# does), and with a destination options header (PadN) if asked.
udp_py() {
	ip netns exec "$cl" python3 - "$@" <<'PY'
import socket, sys
fam, sport, count, dport, size = sys.argv[1], *map(int, sys.argv[2:6])
if fam == "4":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, 10, 0)  # IP_MTU_DISCOVER: IP_PMTUDISC_DONT
    dst = "10.0.2.2"
else:
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    dst = "fd02::2"
    if len(sys.argv) > 6:  # IPV6_DSTOPTS: next header, length 0, PadN of 4
        s.setsockopt(socket.IPPROTO_IPV6, 59, bytes([0, 0, 1, 4, 0, 0, 0, 0]))
s.bind(("", sport))
for _ in range(count):
    s.sendto(b"\0" * size, (dst, dport))
PY
}

case_core_punts() {
	udp_recv "$sv" 5006
	udp_py 4 46101 10 5006 3000
	check_offloads 0 "IPv4 flow of fragmented datagrams (3000 bytes, MTU 1500) not offloaded"
	udp_py 6 46102 10 5006 3000
	check_offloads 0 "IPv6 flow of fragmented datagrams not offloaded"
	udp_py 6 46103 10 5006 64 dstopts
	check_offloads 0 "IPv6 flow with a destination options header not offloaded"
	udp_py 6 46104 10 5006 64
	check_offloads 1 "control: IPv6 flow without extension headers offloaded"
	check_eq "fragments, options and control: 40 datagrams arrive" 40 "$(received 5006)"

	ip -n "$rt" link set veth-rs mtu 1400 || { fail "mtu 1400"; return; }
	udp_recv "$sv" 5006
	udp_py 4 46105 10 5006 1450
	check_offloads 0 "IPv4 flow of 1478-byte packets without DF, way out MTU 1400, not offloaded"
	udp_py 4 46106 10 5006 64
	check_offloads 1 "control: 92-byte packets through MTU 1400 offloaded"
	check_eq "oversize (the router fragments them) and control: 20 datagrams arrive" 20 \
		"$(received 5006)"
	ip -n "$rt" link set veth-rs mtu 1500
}

case_helper
case_seqadj
case_ip_options
case_asymmetric
case_core_punts
check_eq "no flowlane record of any refused flow" "" \
	"$(flows | grep -E -e 'odport=(21|8080) |osport=(46001|46005|46101|46102|46103|46105) ' -e '^the flows dump failed')"
exit $ret
