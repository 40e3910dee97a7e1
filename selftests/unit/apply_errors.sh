#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Bad input to `flowlane apply|check|diff`: every class is refused with one
# message that names the JSON path of the bad value, exit 1, and nothing is
# applied (the nftables generation does not move). Runs in a fresh network
# namespace, where only "lo" exists.
source "$(dirname "$0")/apply_lib.sh"

good=$FL_WORK/good.json
one_vm_doc "$good"
apply_ok "a good document" "$good"
g0=$(gen)

# refused VERB WHAT DOCUMENT EXPECTED_MESSAGE_AFTER_"flowlane: VERB: FILE: "
n=0
refused() {
	local verb=$1 what=$2 text=$3 want=$4 f out rc want_rc=1
	[ "$verb" = diff ] && want_rc=2	# diff(1): 2 is trouble
	n=$((n + 1))
	f=$FL_WORK/bad$n.json
	printf '%s\n' "$text" > "$f"
	out=$("$FLOWLANE" "$verb" $([ "$verb" = apply ] && echo --nft-only) "$f" 2>&1); rc=$?
	check_eq "$what: $verb exits $want_rc with the path of the bad value" \
		"$want_rc flowlane: $verb: $f: $want" "$rc $out"
}

refused apply "unknown key" '{"uplinks": ["lo"], "vm": []}' \
	"vm: unknown key (known: fastpath, tag_mask, tags, uplinks, conntrack_max, vms, notrack, services)"
refused apply "wrong type" '{"vms": [{"name": "a", "ipv4": 10}]}' \
	"vms[0].ipv4: expected an address or an array of addresses, got an integer"
refused apply "port out of range" \
	'{"vms": [{"name": "a", "ipv4": "10.0.0.2"}, {"name": "b", "ipv4": "10.0.0.3"}, {"name": "c", "ipv4": "10.0.0.4"}, {"name": "d", "ipv4": "10.0.0.5", "firewall": [{"proto": "tcp", "port": 70000}]}]}' \
	"vms[3].firewall[0].port: 70000 is not a port"
refused apply "bad address" '{"vms": [{"name": "a", "ipv4": "10.0.0.256"}]}' \
	"vms[0].ipv4: '10.0.0.256' is not an IPv4 address"
refused apply "overlapping addresses" \
	'{"vms": [{"name": "a", "ipv4": "10.0.0.2"}, {"name": "b", "ipv4": "10.0.0.2"}]}' \
	"vms[1].ipv4: 10.0.0.2 is already the address of vms[0]"
refused apply "overlapping notrack services" \
	'{"notrack": [{"proto": "udp", "port": 53}, {"proto": "udp", "port": "1-100", "address": "10.0.0.0/8"}]}' \
	"notrack[1]: overlaps notrack[0] (same protocol, ports and addresses)"
refused apply "duplicate names" \
	'{"vms": [{"name": "a", "ipv4": "10.0.0.2"}, {"name": "a", "ipv4": "10.0.0.3"}]}' \
	"vms[1].name: 'a' is already the name of vms[0]"
refused apply "duplicate public IPs" \
	'{"uplinks": ["lo"], "vms": [{"name": "a", "ipv4": "10.0.0.2", "public_ipv4": "203.0.113.2"}, {"name": "b", "ipv4": "10.0.0.3", "public_ipv4": "203.0.113.2"}]}' \
	"vms[1].public_ipv4: 203.0.113.2 is already the public address of vms[0]"
refused apply "a tag that does not exist" '{"vms": [{"name": "a", "tag": "gold", "ipv4": "10.0.0.2"}]}' \
	"vms[0].tag: no tag named 'gold' in 'tags'"
refused apply "an uplink that does not exist" '{"uplinks": ["lo", "eth9"]}' \
	"uplinks[1]: no device named 'eth9'"
refused apply "a fast-path device that does not exist" '{"fastpath": {"devices": ["nosuchdev0"]}}' \
	"fastpath.devices[0]: no device named 'nosuchdev0'"
# Patterns: fastpath.devices only, a prefix and a final '*' (issue 17).
refused apply "a bare '*' in fastpath.devices" '{"fastpath": {"devices": ["lo", "*"]}}' \
	"fastpath.devices[1]: '*' alone would put every device on the fast path: give a prefix (\"vmtap-web*\")"
refused apply "a '*' inside a fast-path name" '{"fastpath": {"devices": ["vm*tap"]}}' \
	"fastpath.devices[0]: 'vm*tap': '*' may only end a pattern (\"vmtap-web*\")"
refused apply "a pattern as an uplink" '{"uplinks": ["lo", "eth*"]}' \
	"uplinks[1]: 'eth*' is a pattern: name the interface exactly (patterns go in fastpath.devices)"
refused apply "a pattern as a VM interface" '{"vms": [{"name": "a", "ipv4": "10.0.0.2", "interfaces": ["tap*"]}]}' \
	"vms[0].interfaces[0]: 'tap*' is a pattern: name the interface exactly (patterns go in fastpath.devices)"
# What the module follows need not exist: a pattern, and with `fastpath`
# the uplinks (followed by name); check accepts the document.
f=$FL_WORK/follow.json
printf '%s\n' '{"fastpath": {"devices": ["vmtap-web*"]}, "uplinks": ["eth9"]}' > "$f"
check_eq "a pattern and, with fastpath, a missing uplink: check exits 0" "0 " \
	"$("$FLOWLANE" check "$f" 2>&1 >/dev/null; echo "$? ")"
# Documents that parse but would cut the host off or misroute: refused.
refused apply "a VM interface that is also an uplink" \
	'{"uplinks": ["lo"], "vms": [{"name": "a", "ipv4": "10.0.0.2", "interfaces": ["tap0", "lo"]}]}' \
	"vms[0].interfaces[1]: 'lo' is also uplinks[0]: the VM's anti-spoofing rule would drop every packet forwarded in from the uplink (name the VM's own tap or veth here)"
for pub in 10.1.2.3 172.16.0.1 192.168.1.1; do
	refused apply "public_ipv4 $pub (private)" \
		'{"uplinks": ["lo"], "vms": [{"name": "a", "ipv4": "10.0.0.2", "public_ipv4": "'$pub'"}]}' \
		"vms[0].public_ipv4: $pub is a private address (RFC 1918): 'public_ipv4' is the address the VM is reached by through the uplinks; give the private one as 'ipv4', and a public one here or none (the VM is then masqueraded)"
done
for pc in "0.0.0.0:the unspecified address (0.0.0.0/8)" "127.0.0.1:a loopback address (127.0.0.0/8)" \
	  "224.0.0.1:a multicast address (224.0.0.0/4)" "169.254.1.1:a link-local address (169.254.0.0/16)" \
	  "255.255.255.255:the broadcast address" "240.0.0.1:a reserved address (240.0.0.0/4)"; do
	pub=${pc%%:*}
	refused apply "public_ipv4 $pub (${pc#*:})" \
		'{"uplinks": ["lo"], "vms": [{"name": "a", "ipv4": "10.0.0.2", "public_ipv4": "'$pub'"}]}' \
		"vms[0].public_ipv4: $pub is ${pc#*:}, not a public address: give the address the VM is reached by through the uplinks, or leave 'public_ipv4' out (the VM is then masqueraded)"
done
refused apply "an IPv6 source on a VM without IPv6" \
	'{"vms": [{"name": "a", "ipv4": "10.0.0.2", "firewall": [{"proto": "tcp", "port": 22}, {"proto": "tcp", "source": "2001:db8::/32"}]}]}' \
	"vms[0].firewall[1].source: an IPv6 source, but the VM has no 'ipv6': the rule would never match (give the VM an 'ipv6' address, or an IPv4 source)"
refused apply "an IPv4 source on a VM without IPv4" \
	'{"vms": [{"name": "a", "ipv6": "fd00::2", "firewall": [{"proto": "udp", "source": "192.0.2.0/24"}]}]}' \
	"vms[0].firewall[0].source: an IPv4 source, but the VM has no 'ipv4': the rule would never match (give the VM an 'ipv4' address, or an IPv6 source)"
refused apply "a backend that is no VM's address" \
	'{"vms": [{"name": "a", "ipv4": "10.0.0.2"}], "services": [{"name": "www", "address": "203.0.113.80", "proto": "tcp", "port": 80, "backends": [{"address": "10.0.0.2", "port": 80}, {"address": "10.0.0.9", "port": 80}]}]}' \
	"services[0].backends[1].address: 10.0.0.9 is no VM's 'ipv4': a backend is a VM of this document (add the VM, or remove the backend)"
refused check "check: the same messages" '{"vms": [{"name": "a", "ipv4": "10.0.0.2", "outbound": "maybe"}]}' \
	"vms[0].outbound: 'maybe' is not a policy (accept or drop)"
refused diff "diff: the same messages" '{"tags": [{"name": "t", "id": 0}]}' \
	"tags[0].id: 0 is not a tag id (1-65535 under tag_mask 0xffff)"
# IPv6 prefixes and several IPv4 addresses per VM (issue 17, point 2).
refused apply "two VMs' IPv6 prefixes overlap" \
	'{"vms": [{"name": "a", "ipv6": "2001:db8:1::/48"}, {"name": "b", "ipv4": "10.0.0.3"}, {"name": "c", "ipv6": "2001:db8:1:2::/64"}]}' \
	"vms[2].ipv6: 2001:db8:1:2::/64 of VM 'c' overlaps 2001:db8:1::/48, the 'ipv6' of vms[0] ('a'): give each VM its own prefix"
refused apply "a VM's address inside another VM's prefix" \
	'{"vms": [{"name": "a", "ipv6": "fd00::5"}, {"name": "b", "ipv6": "fd00::/80"}]}' \
	"vms[1].ipv6: fd00::/80 of VM 'b' overlaps fd00::5, the 'ipv6' of vms[0] ('a'): give each VM its own prefix"
refused apply "the same IPv6 address twice" \
	'{"vms": [{"name": "a", "ipv6": "fd00::5"}, {"name": "b", "ipv6": "fd00::5"}]}' \
	"vms[1].ipv6: fd00::5 is already the address of vms[0]"
refused apply "an IPv6 prefix with host bits" '{"vms": [{"name": "a", "ipv6": "2001:db8::1/64"}]}' \
	"vms[0].ipv6: '2001:db8::1/64' has host bits set"
refused apply "an IPv6 prefix shorter than a /32" '{"vms": [{"name": "a", "ipv6": "2001:db8::/31"}]}' \
	"vms[0].ipv6: '2001:db8::/31' is shorter than a /32: give the prefix routed to this VM (a /64, a /80...)"
refused apply "an IPv4 prefix as ipv6" '{"vms": [{"name": "a", "ipv6": "10.0.0.0/24"}]}' \
	"vms[0].ipv6: '10.0.0.0/24' is not an IPv6 address or prefix"
refused apply "an IPv4 address twice in one VM" '{"vms": [{"name": "a", "ipv4": ["10.0.0.2", "10.0.0.3", "10.0.0.2"]}]}' \
	"vms[0].ipv4[2]: 10.0.0.2 is already vms[0].ipv4[0]"
refused apply "an IPv4 address of another VM's list" \
	'{"vms": [{"name": "a", "ipv4": ["10.0.0.2", "10.0.0.3"]}, {"name": "b", "ipv4": ["10.0.0.4", "10.0.0.3"]}]}' \
	"vms[1].ipv4[1]: 10.0.0.3 is already the address of vms[0]"
refused apply "nine IPv4 addresses" \
	'{"vms": [{"name": "a", "ipv4": ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6", "10.0.0.7", "10.0.0.8", "10.0.0.9"]}]}' \
	"vms[0].ipv4: 9 addresses: a VM has 1 to 8 IPv4 addresses"
refused apply "an empty IPv4 list" '{"vms": [{"name": "a", "ipv4": []}]}' \
	"vms[0].ipv4: 0 addresses: a VM has 1 to 8 IPv4 addresses"
refused apply "a public_ipv4 that is the VM's second address" \
	'{"uplinks": ["lo"], "vms": [{"name": "a", "ipv4": ["10.0.0.2", "100.64.0.9"], "public_ipv4": "100.64.0.9"}]}' \
	"vms[0].public_ipv4: 100.64.0.9 is the private address of vms[0]"
refused apply "a service on a VM's second address" \
	'{"vms": [{"name": "a", "ipv4": ["10.0.0.2", "10.0.0.3"]}], "services": [{"name": "www", "address": "10.0.0.3", "proto": "tcp", "port": 80, "backends": [{"address": "10.0.0.2", "port": 80}]}]}' \
	"services[0].address: 10.0.0.3 is an address of vms[0]"
# Load balancing as nftlb does it (issue 17, point 3).
refused apply "a scheduler that does not exist" \
	'{"vms": [{"name": "a", "ipv4": "10.0.0.2"}], "services": [{"name": "www", "address": "203.0.113.80", "proto": "tcp", "port": 80, "scheduler": "lc", "backends": [{"address": "10.0.0.2", "port": 80}]}]}' \
	"services[0].scheduler: 'lc' is not a scheduler (hash, symhash, round-robin or rr, weight)"
refused apply "a weight of 0" \
	'{"vms": [{"name": "a", "ipv4": "10.0.0.2"}], "services": [{"name": "www", "address": "203.0.113.80", "proto": "tcp", "port": 80, "backends": [{"address": "10.0.0.2", "port": 80, "weight": 0}]}]}' \
	"services[0].backends[0].weight: 0 is not a weight (1-1000; to take the backend out, set its 'state' to \"down\" or \"drain\")"
refused apply "a weight over 1000" \
	'{"vms": [{"name": "a", "ipv4": "10.0.0.2"}], "services": [{"name": "www", "address": "203.0.113.80", "proto": "tcp", "port": 80, "backends": [{"address": "10.0.0.2", "port": 80, "weight": 1001}]}]}' \
	"services[0].backends[0].weight: 1001 is not a weight (1-1000; to take the backend out, set its 'state' to \"down\" or \"drain\")"
refused apply "a backend state that does not exist" \
	'{"vms": [{"name": "a", "ipv4": "10.0.0.2"}], "services": [{"name": "www", "address": "203.0.113.80", "proto": "tcp", "port": 80, "backends": [{"address": "10.0.0.2", "port": 80, "state": "off"}]}]}' \
	"services[0].backends[0].state: 'off' is not a backend state (up, down or drain)"
refused apply "a limit that is not a number" \
	'{"vms": [{"name": "a", "ipv4": "10.0.0.2"}], "services": [{"name": "www", "address": "203.0.113.80", "proto": "tcp", "port": 80, "new_connections_per_second": "10", "backends": [{"address": "10.0.0.2", "port": 80}]}]}' \
	"services[0].new_connections_per_second: expected an integer, got a string"
refused apply "weights over 4096 slots" \
	'{"vms": [{"name": "a", "ipv4": "10.0.0.2"}, {"name": "b", "ipv4": "10.0.0.3"}, {"name": "c", "ipv4": "10.0.0.4"}, {"name": "d", "ipv4": "10.0.0.5"}, {"name": "e", "ipv4": "10.0.0.6"}], "services": [{"name": "www", "address": "203.0.113.80", "proto": "tcp", "port": 80, "scheduler": "weight", "backends": [{"address": "10.0.0.2", "port": 80, "weight": 1000}, {"address": "10.0.0.3", "port": 80, "weight": 1000}, {"address": "10.0.0.4", "port": 80, "weight": 1000}, {"address": "10.0.0.5", "port": 80, "weight": 1000}, {"address": "10.0.0.6", "port": 80, "weight": 97}]}]}' \
	"services[0].backends: the weights of the backends that are up add up to 4097, at most 4096 (each weight is a slot of the service's map): lower them"
# IPv6 services: backends of the service's family, inside a VM's ipv6.
V6='{"name": "a", "ipv4": "10.0.0.2", "ipv6": "2001:db8:1::/64"}'
refused apply "an IPv4 backend in an IPv6 service" \
	'{"vms": ['"$V6"'], "services": [{"name": "www6", "address": "2001:db8:80::80", "proto": "tcp", "port": 80, "backends": [{"address": "2001:db8:1::11", "port": 80}, {"address": "10.0.0.2", "port": 80}]}]}' \
	"services[0].backends[1].address: 10.0.0.2 is an IPv4 address and service 'www6' (2001:db8:80::80) is IPv6: a service's backends are of its address's family (give the backend VM's 'ipv6', or make a service of its own for it)"
refused apply "an IPv6 backend in an IPv4 service" \
	'{"vms": ['"$V6"'], "services": [{"name": "www", "address": "203.0.113.80", "proto": "tcp", "port": 80, "backends": [{"address": "2001:db8:1::11", "port": 80}]}]}' \
	"services[0].backends[0].address: 2001:db8:1::11 is an IPv6 address and service 'www' (203.0.113.80) is IPv4: a service's backends are of its address's family (give the backend VM's 'ipv4', or make a service of its own for it)"
refused apply "an IPv6 backend outside every VM's prefix" \
	'{"vms": ['"$V6"'], "services": [{"name": "www6", "address": "2001:db8:80::80", "proto": "tcp", "port": 80, "backends": [{"address": "2001:db8:2::11", "port": 80}]}]}' \
	"services[0].backends[0].address: 2001:db8:2::11 is in no VM's 'ipv6': a backend is a VM of this document (add the VM, or remove the backend)"
refused apply "an IPv6 service inside a VM's prefix" \
	'{"vms": ['"$V6"'], "services": [{"name": "www6", "address": "2001:db8:1::80", "proto": "tcp", "port": 80, "backends": [{"address": "2001:db8:1::11", "port": 80}]}]}' \
	"services[0].address: 2001:db8:1::80 is an address of vms[0]"
refused apply "two IPv6 services on one address and port" \
	'{"vms": ['"$V6"'], "services": [{"name": "a", "address": "2001:db8:80::80", "proto": "tcp", "port": 80, "backends": [{"address": "2001:db8:1::11", "port": 80}]}, {"name": "b", "address": "2001:db8:80::80", "proto": "tcp", "port": 80, "backends": [{"address": "2001:db8:1::12", "port": 80}]}]}' \
	"services[1]: 2001:db8:80::80 tcp port 80 is already services[0]"
refused apply "a service address that is neither family's" \
	'{"vms": ['"$V6"'], "services": [{"name": "www6", "address": "2001:db8::80::1", "proto": "tcp", "port": 80, "backends": [{"address": "2001:db8:1::11", "port": 80}]}]}' \
	"services[0].address: '2001:db8::80::1' is not an IPv4 or IPv6 address"
for c in "::|the unspecified address (::)" "::1|the loopback address (::1)" \
	 "ff02::1|a multicast address (ff00::/8)" "fe80::1|a link-local address (fe80::/10)" \
	 "fec0::1|a site-local address (fec0::/10, deprecated)" \
	 "::ffff:198.51.100.80|an IPv4-mapped or -compatible address (::ffff:0:0/96, ::/96)"; do
	refused apply "an IPv6 service on ${c#*|}" \
		'{"vms": ['"$V6"'], "services": [{"name": "www6", "address": "'"${c%%|*}"'", "proto": "tcp", "port": 80, "backends": [{"address": "2001:db8:1::11", "port": 80}]}]}' \
		"services[0].address: ${c%%|*} is ${c#*|}, not a global unicast address: give the address clients reach the service by"
done

f=$FL_WORK/syntax.json
printf '{"vms": [\n  {"name": "a",}\n]}\n' > "$f"
out=$("$FLOWLANE" apply --nft-only "$f" 2>&1); rc=$?
check_eq "JSON syntax error: file, line and column" \
	"1 flowlane: apply: $f:2:16: string or '}' expected near '}'" "$rc $out"
out=$("$FLOWLANE" apply --nft-only "$FL_WORK/missing.json" 2>&1); rc=$?
check_eq "missing file" "1 flowlane: apply: $FL_WORK/missing.json: No such file or directory" "$rc $out"
out=$("$FLOWLANE" apply 2>&1); rc=$?
check_eq "no FILE" "1 flowlane: apply: missing FILE (type 'flowlane apply FILE'; see 'flowlane help apply')" "$rc $out"
out=$("$FLOWLANE" apply --frob "$good" 2>&1); rc=$?
check_eq "unknown option" "1 flowlane: apply: unknown option '--frob' (apply takes --nft-only, --rebuild, --dry-run, --remove and -v; see 'flowlane help apply')" "$rc $out"

if [ ! -d /sys/module/flowlane ]; then
	out=$("$FLOWLANE" apply "$good" 2>&1); rc=$?
	check_eq "no module, no --nft-only: one sentence" \
		"1 flowlane: apply: the flowlane kernel module is not loaded: run 'modprobe flowlane' as root, or use --nft-only to program only the nftables part" \
		"$rc $out"
fi
check_eq "nothing was applied: no generation bump" "$g0" "$(gen)"
out=$("$FLOWLANE" check "$good" 2>&1); rc=$?
check_eq "check of a good document" "0 $good: valid (1 VMs, 1 tags, 0 notrack services, 0 load-balanced services)" "$rc $out"
check_eq "check changes nothing" "$g0" "$(gen)"

# The shipped examples are valid (their eth0/eth1 renamed to this netns' lo;
# conntrack_max, which no namespace but the initial one may set, left out).
for ex in "$FL_TOP"/examples/*.json; do
	sed 's/"eth[01]"/"lo"/g; s/\["lo", "lo"\]/["lo"]/; /"conntrack_max"/d' "$ex" > "$FL_WORK/example.json"
	out=$("$FLOWLANE" check "$FL_WORK/example.json" 2>&1); rc=$?
	check_eq "example $(basename "$ex") is valid" 0 "$rc"
done
exit $ret
