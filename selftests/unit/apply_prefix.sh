#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A VM with an IPv6 prefix and two IPv4 addresses (issue 17, point 2), with
# `flowlane apply --nft-only` on this machine's kernel and real packets:
# anti-spoofing lets every address of the prefix and both IPv4 addresses
# out and nothing else, the inbound firewall and the tag apply to every
# address of the prefix, and the elements are prefixes in interval sets.
#
#   [ cl: 2001:db8:9::2, 192.0.2.2 ] --up0-- [ this netns: flowlane ] --vmtap0-- [ vm ]
#                                               vm "a": fd00:1:2:3::/64, 10.0.0.2 + 10.0.0.3
source "$(dirname "$0")/apply_lib.sh"

trap 'cleanup_ns; rm -rf "$FL_WORK"' EXIT
setup_ns vm cl || exit $ksft_fail
ip link add name vmtap0 type veth peer name eth0 netns "$vm"
ip link add name up0 type veth peer name eth0 netns "$cl"
ip link set vmtap0 up
ip link set up0 up
ip -n "$vm" link set eth0 up
ip -n "$cl" link set eth0 up
ip addr add 10.0.0.1/24 dev vmtap0
ip addr add 192.0.2.1/24 dev up0
ip -6 addr add fd00:1:2:3::1/64 dev vmtap0 nodad
ip -6 addr add 2001:db8:9::1/64 dev up0 nodad
for a in 10.0.0.2/24 10.0.0.3/24 10.0.0.9/24; do ip -n "$vm" addr add "$a" dev eth0; done
# ::5 and ::6 are the VM's; fd00:1:2:4::5 is outside its prefix (spoofed).
for a in fd00:1:2:3::5/64 fd00:1:2:3::6/64 fd00:1:2:4::5/64; do
	ip -n "$vm" -6 addr add "$a" dev eth0 nodad
done
ip -n "$vm" route add default via 10.0.0.1
ip -n "$vm" -6 route add default via fd00:1:2:3::1
ip -n "$cl" addr add 192.0.2.2/24 dev eth0
ip -n "$cl" -6 addr add 2001:db8:9::2/64 dev eth0 nodad
ip -n "$cl" route add default via 192.0.2.1
ip -n "$cl" -6 route add default via 2001:db8:9::1

doc=$FL_WORK/prefix.json
cat > "$doc" << 'JSON'
{ "tags": [{ "name": "web", "id": 10 }],
  "vms": [{ "name": "a", "tag": "web", "interfaces": ["vmtap0"],
            "ipv4": ["10.0.0.2", "10.0.0.3"], "ipv6": "fd00:1:2:3::/64",
            "firewall": [{ "proto": "icmp" }, { "proto": "tcp", "port": 22 }] }] }
JSON
apply_ok "a VM with a /64 and two IPv4 addresses" "$doc"

chain=$(elems inet flowlane vm_in4 | sed -n 's/^10.0.0.2 : jump //p')
check_match "the VM's chain" "^in_a_[0-9a-f]{8}$" "$chain"
check_eq "vm_in6: the prefix, to the VM's chain" "fd00:1:2:3::/64 : jump $chain" \
	"$(elems inet flowlane vm_in6)"
check_eq "vm_in4: both addresses, to the same chain" \
	"10.0.0.2 : jump $chain|10.0.0.3 : jump $chain" "$(elems inet flowlane vm_in4 | paste -sd '|')"
check_eq "vm_src6: interface . prefix" "vmtap0 . fd00:1:2:3::/64" "$(elems inet flowlane vm_src6)"
check_eq "vm_src4: interface . each address" "vmtap0 . 10.0.0.2|vmtap0 . 10.0.0.3" \
	"$(elems inet flowlane vm_src4 | paste -sd '|')"
check_eq "vm_tag6: the prefix's tag" "fd00:1:2:3::/64 : 10" "$(elems inet flowlane vm_tag6)"
check_eq "vm_tag4: both addresses tagged" "10.0.0.2 : 10|10.0.0.3 : 10" \
	"$(elems inet flowlane vm_tag4 | paste -sd '|')"
# One lookup per packet still: interval sets, not one rule per prefix.
flags_of() { nft list "$1" inet flowlane "$2" | sed -n "s/^[[:space:]]*flags /$2:/p"; }
check_eq "the IPv6 sets keyed by address are interval sets" \
	"vm_in6:interval vm_tag6:interval vm_outdrop6:interval vm_src6:interval" \
	"$( (flags_of map vm_in6; flags_of map vm_tag6; flags_of set vm_outdrop6; flags_of set vm_src6) | xargs)"
check_eq "forward chain has 19 rules" 19 "$(nft -j list chain inet flowlane forward |
	python3 -c 'import json,sys; print(sum("rule" in o for o in json.load(sys.stdin)["nftables"]))')"

# counter CHAIN COMMENT: the sum of the packet counters of the rules of
# flowlane's CHAIN whose comment is COMMENT.
counter() {
	nft -j list chain inet flowlane "$1" | python3 -c '
import json, sys
n = 0
for o in json.load(sys.stdin)["nftables"]:
    r = o.get("rule")
    if r and r.get("comment") == sys.argv[1]:
        n += sum(e["counter"]["packets"] for e in r["expr"] if "counter" in e)
print(n)' "$2"
}
ping1() { ip netns exec "$1" ping -q -c 1 -W 2 "${@:2}" > /dev/null 2>&1; }

# Inbound: every address of the prefix and both IPv4 addresses reach the
# VM's firewall (ICMP allowed); UDP to the prefix is dropped by its
# default deny, exactly one count per datagram.
for dst in fd00:1:2:3::5 fd00:1:2:3::6 10.0.0.2 10.0.0.3; do
	ping1 "$cl" "$dst" && pass "inbound: the client reaches $dst" ||
		fail "inbound: the client does not reach $dst"
done
deny0=$(counter "$chain" "vm a: default deny")
for i in 1 2 3; do
	ip netns exec "$cl" bash -c 'echo x > /dev/udp/fd00:1:2:3::6/9999' 2> /dev/null
done
check_eq "inbound: 3 UDP datagrams to fd00:1:2:3::6 dropped by the VM's default deny" \
	$((deny0 + 3)) "$(counter "$chain" "vm a: default deny")"

# Outbound anti-spoofing: the VM's addresses pass, others are counted and dropped.
for src in fd00:1:2:3::5 fd00:1:2:3::6; do
	ping1 "$vm" -I "$src" 2001:db8:9::2 && pass "outbound: the VM sends from $src" ||
		fail "outbound: the VM cannot send from $src"
done
for src in 10.0.0.2 10.0.0.3; do
	ping1 "$vm" -I "$src" 192.0.2.2 && pass "outbound: the VM sends from $src" ||
		fail "outbound: the VM cannot send from $src"
done
spoof0=$(counter forward anti-spoofing)
ping1 "$vm" -I fd00:1:2:4::5 2001:db8:9::2 && fail "outbound: a source outside the prefix passed"
ping1 "$vm" -I 10.0.0.9 192.0.2.2 && fail "outbound: an IPv4 source not the VM's passed"
check_eq "anti-spoofing dropped exactly the 2 spoofed pings" $((spoof0 + 2)) \
	"$(counter forward anti-spoofing)"

# Tags: a new flow to any address of the prefix carries the VM's tag.
if command -v conntrack > /dev/null; then
	check_eq "the flow to fd00:1:2:3::6 carries tag web (mark 10)" "mark=10" \
		"$(conntrack -L -f ipv6 -d fd00:1:2:3::6 -p icmpv6 2> /dev/null | grep -o 'mark=[0-9]*' | sort -u)"
	check_eq "the flow from 10.0.0.3 carries tag web (mark 10)" "mark=10" \
		"$(conntrack -L -s 10.0.0.3 -p icmp 2> /dev/null | grep -o 'mark=[0-9]*' | sort -u)"
fi

# Readdressing: a new prefix swaps the elements in one apply, and the old
# prefix no longer reaches the VM's firewall.
edit_doc "$doc" 'd["vms"][0]["ipv6"] = "fd00:1:2:3:4::/80"'
apply_ok "the VM's prefix narrowed to a /80" "$doc"
check_eq "vm_in6 after narrowing" "fd00:1:2:3:4::/80 : jump $chain" "$(elems inet flowlane vm_in6)"
ping1 "$cl" fd00:1:2:3::6 && fail "fd00:1:2:3::6, outside the /80, still answers through flowlane" ||
	pass "fd00:1:2:3::6, outside the /80, no longer answers through flowlane"
out=$("$FLOWLANE" diff "$doc" 2>&1); rc=$?
check_eq "diff after apply: nothing" "0 " "$rc $out"
exit $ret
