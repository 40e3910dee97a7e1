#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every verb of the flowlane tool against the real module, output parsed
# and compared exactly; every admin operation refused without
# CAP_NET_ADMIN; malformed and out-of-range attributes refused by the
# kernel with a message naming the attribute.
#
#   client 10.0.1.2 -- veth-rc [router: flowlane, masquerade, ct mark 10] veth-rs -- 10.0.2.2 server
#
# One UDP flow of 140 packets (128-byte IP packets) under tag vm1's
# threshold 50: 50 packets on the slow path, 90 on the fast path.

source "$(dirname "$0")/engine_lib.sh"
need_root
checktool "/usr/bin/python3 -c 'import prometheus_client'" "parses stats --prometheus"
load_engine
setup_topo

py() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
tool() { ip netns exec "$rt" "$FLOWLANE" "$@"; }
# nflows ARGS...: how many flows `flowlane flows ARGS` lists, or its
# failure (a failed dump must not read as "0 flows").
nflows() {
	local out rc
	out=$(tool flows "$@" 2>&1)
	rc=$?
	[ "$rc" = 0 ] || { echo "flows $* failed (exit $rc): $out"; return; }
	[ -z "$out" ] && echo 0 || wc -l <<< "$out"
}
nobody() { ip netns exec "$rt" setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$FLOWLANE" "$@"; }

ip netns exec "$rt" nft -f - <<NFT || fail "router ruleset"
table ip api {
	chain mark_tenants { type filter hook forward priority 0; ip saddr 10.0.1.2 ct mark set 10; }
	chain snat_out { type nat hook postrouting priority 100; oifname veth-rs masquerade; }
}
NFT

# --- devices --------------------------------------------------------------
tool dev add veth-rc veth-rs; check_eq "dev add exits 0" 0 $?
check_eq "dev list" "veth-rc veth-rs" "$(tool dev list | xargs)"
check_eq "dev list --json" "veth-rc,veth-rs" "$(tool --json dev list | py '",".join(x["name"] for x in d)')"
check_eq "dev add of a missing device" \
	"flowlane: dev add: no device 'nope0' in this network namespace" "$(tool dev add nope0 2>&1)"

# --- tags and default policy -----------------------------------------------
tool tag add vm1 id 10 threshold 50; check_eq "tag add exits 0" 0 $?
tool tag add vm2 id 20 offload off max-flows 3 timeout 20; check_eq "tag add with a full policy" 0 $?
out=$(tool --json tag list)
check_eq "tag list --json: names and ids" "vm1:10 vm2:20" \
	"$(echo "$out" | py '" ".join("%s:%d" % (t["name"], t["id"]) for t in d)')"
check_eq "tag list --json: vm2 policy" "False 0 3 20" \
	"$(echo "$out" | py '" ".join(str(d[1][k]) for k in ("offload", "threshold", "max_flows", "timeout"))')"
tool tag set vm2 offload on threshold 7; check_eq "tag set exits 0" 0 $?
check_eq "tag set changed only what was named" "True 7 3 20" \
	"$(tool --json tag list | py '" ".join(str(d[1][k]) for k in ("offload", "threshold", "max_flows", "timeout"))')"
check_eq "tag add of an existing name: the kernel's reason" \
	"flowlane: tag add vm1: kernel error: a tag with this name exists" "$(tool tag add vm1 id 11 2>&1)"
check_eq "tag add of an existing id: the kernel's reason" \
	"flowlane: tag add vm3: kernel error: a tag with this id exists" "$(tool tag add vm3 id 10 2>&1)"
check_eq "tag set of an unknown tag: the kernel's reason" \
	"flowlane: tag set vm9: kernel error: no tag with this name" "$(tool tag set vm9 threshold 1 2>&1)"
tool tag del vm2; check_eq "tag del exits 0" 0 $?
check_eq "tag del removed it" "vm1" "$(tool --json tag list | py '" ".join(t["name"] for t in d)')"

tool set threshold 3 tag-mask 0xff00; check_eq "set exits 0" 0 $?
out=$(tool --json status)
check_eq "status --json: default policy" "True 3 0 0 0xff00" \
	"$(echo "$out" | py '" ".join(str(d["policy"][k]) for k in ("offload", "threshold", "max_flows", "timeout", "tag_mask"))')"
check_eq "status --json: devices and tag count" "veth-rc,veth-rs 1" \
	"$(echo "$out" | py '",".join(d["devices"]) + " " + str(d["tags"])')"
tool set tag-mask 0xffff threshold 0

# --- one flow, exact counters ----------------------------------------------
# The monitor sees this flow's offload and, after the flush below, its end.
tool --json monitor count 2 > "$FL_TMP/events" 2> "$FL_TMP/events.err" &
monitor_pid=$!
wait_for 10 grep -q "monitoring" "$FL_TMP/events.err" || fail "monitor did not subscribe"
udp_recv "$sv" 5000
send_udp 10.0.2.2 5000 140 100 40001
check_eq "the server received every packet" 140 "$(received 5000)"
out=$(tool --json flows)
check_eq "flows --json: one flow" 1 "$(echo "$out" | py 'len(d)')"
check_eq "flows --json: tuples, NAT visible in the reply tuple" \
	"ipv4 udp 10.0.1.2:40001>10.0.2.2:5000 10.0.2.2:5000>10.0.2.1:40001" \
	"$(echo "$out" | py '"%s %s %s:%d>%s:%d %s:%d>%s:%d" % (d[0]["family"], d[0]["proto"], d[0]["orig_src"], d[0]["orig_sport"], d[0]["orig_dst"], d[0]["orig_dport"], d[0]["reply_src"], d[0]["reply_sport"], d[0]["reply_dst"], d[0]["reply_dport"])')"
check_eq "flows --json: tag, devices, state" "10 veth-rc veth-rs offloaded" \
	"$(echo "$out" | py '"%d %s %s %s" % (d[0]["tag"], d[0]["iif_name"], d[0]["oif_name"], d[0]["state"])')"
check_eq "flows --json: 50 slow, 90 fast packets and their bytes" "50 6400 90 11520 0 0 0 0" \
	"$(echo "$out" | py '" ".join(str(d[0][k]) for k in ("orig_slow_packets", "orig_slow_bytes", "orig_fast_packets", "orig_fast_bytes", "reply_slow_packets", "reply_slow_bytes", "reply_fast_packets", "reply_fast_bytes"))')"
check_match "flows (human): one conntrack-like line" \
	"^udp src=10\.0\.1\.2 dst=10\.0\.2\.2 sport=40001 dport=5000 src=10\.0\.2\.2 dst=10\.0\.2\.1 sport=5000 dport=40001 tag=10 veth-rc>veth-rs orig slow=50/6400 fast=90/11520 reply slow=0/0 fast=0/0 age=[0-9]+s idle=[0-9]+s \[OFFLOADED\]$" \
	"$(tool flows)"
check_eq "flows tag vm1" 1 "$(nflows tag vm1)"
check_eq "flows proto tcp" 0 "$(nflows proto tcp)"
check_eq "flows addr 10.0.2.1 (the NAT address)" 1 "$(nflows addr 10.0.2.1)"
check_eq "flows addr 10.9.9.9" 0 "$(nflows addr 10.9.9.9)"
check_eq "flows family ipv4" 1 "$(nflows family ipv4)"
check_eq "flows family ipv6" 0 "$(nflows family ipv6)"
check_eq "flows tag vm1 proto udp addr 10.0.2.2 (all filters at once)" 1 \
	"$(nflows tag vm1 proto udp addr 10.0.2.2 family ipv4)"
id=$(tool --json flows | py 'd[0]["id"]')
check_eq "flows id N: that one flow" "$id 90" "$(tool --json flows id "$id" | py '"%d %d" % (d[0]["id"], d[0]["orig_fast_packets"])')"
check_eq "flows id of no flow: the kernel's reason" \
	"flowlane: flows: kernel error: no offloaded flow with this id" "$(tool flows id 999999 2>&1)"
check_eq "flows tag of an unknown tag" "flowlane: flows: kernel error: no tag with this name" \
	"$(tool flows tag vm7 2>&1)"

# --- stats, prometheus, top -------------------------------------------------
fast_folded() { [ "$(tool --json stats | py 'd["namespace"]["fastpath_packets"]')" = 90 ]; }
wait_for 5 fast_folded || fail "fast-path packets not folded into stats within 5 s"
out=$(tool --json stats)
check_eq "stats --json: namespace" "1 1 90 11520" \
	"$(echo "$out" | py '" ".join(str(d["namespace"][k]) for k in ("flows", "offloads_total", "fastpath_packets", "fastpath_bytes"))')"
check_eq "stats --json: tag vm1" "vm1 10 1 1 90 11520" \
	"$(echo "$out" | py '" ".join(str(d["tags"][0][k]) for k in ("name", "id", "flows", "offloads_total", "fastpath_packets", "fastpath_bytes"))')"
tool stats --prometheus > "$FL_TMP/prom"
check_eq "stats --prometheus parses, with the exact samples" \
	"flowlane_fastpath_packets_total=90 flowlane_tag_fastpath_bytes_total{tag=vm1,tag_id=10}=11520 flowlane_teardowns_total{reason=flush}=0" \
	"$(/usr/bin/python3 - "$FL_TMP/prom" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
want = {("flowlane_fastpath_packets_total", ()),
        ("flowlane_tag_fastpath_bytes_total", (("tag", "vm1"), ("tag_id", "10"))),
        ("flowlane_teardowns_total", (("reason", "flush"),))}
out = []
for fam in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in fam.samples:
        key = (s.name, tuple(sorted(s.labels.items())))
        if key in want:
            lab = ",".join("%s=%s" % kv for kv in key[1])
            out.append("%s%s=%d" % (s.name, "{%s}" % lab if lab else "", s.value))
print(" ".join(sorted(out)))
PY
)"
out=$(tool top interval 1 count 2)
check_eq "top prints 2 frames" 2 "$(echo "$out" | grep -c '^TAG ')"
check_match "top shows vm1 with its flow" "^vm1 +10 +1 " "$out"
# The flow is idle now: the second frame's rates are exactly 0.
out=$(tool --json top interval 1 count 2)
check_eq "top --json: 2 frames, a JSON object each; rates null in the first, the idle flow's 0 in the second" \
	"None 1 None None None vm1 10 1 None None None|1 1 0.0 0.0 0.0 vm1 10 1 0.0 0.0 0.0" \
	"$(echo "$out" | /usr/bin/python3 -c '
import json, sys
rates = ("offloads_per_s", "fastpath_packets_per_s", "fastpath_bits_per_s")
frames = []
for line in sys.stdin:
    d = json.loads(line)
    ns, t = d["namespace"], d["tags"][0]
    dt = d["interval_s"]
    f = [None if dt is None else int(0.9 < dt < 30), ns["flows"]] + [ns[k] for k in rates]
    f += [t["name"], t["id"], t["flows"]] + [t[k] for k in rates]
    frames.append(" ".join(str(x) for x in f))
print("|".join(frames))')"

# --- flush -----------------------------------------------------------------
check_eq "flush addr of no flow" "flushed 0 flows" "$(tool flush addr 10.9.9.9)"
check_eq "flush tag vm1" "flushed 1 flows" "$(tool flush tag vm1)"
check_eq "no flow left after flush" 0 "$(tool --json flows | py 'len(d)')"
wait_for 10 bash -c "! kill -0 $monitor_pid 2>/dev/null" || fail "monitor did not see 2 events"
check_eq "monitor: an offload, then a teardown by flush" "offload:10.0.1.2:40001 teardown:flush:10.0.1.2:40001" \
	"$(py_lines() { /usr/bin/python3 -c 'import json,sys; print(" ".join(":".join(filter(None, (e["event"], e.get("reason"), e["flow"]["orig_src"], str(e["flow"]["orig_sport"])))) for e in map(json.loads, sys.stdin)))'; }; py_lines < "$FL_TMP/events")"
check_eq "monitor: the teardown carries the final counters" "50 90 11520" \
	"$(tail -1 "$FL_TMP/events" | py '"%d %d %d" % (d["flow"]["orig_slow_packets"], d["flow"]["orig_fast_packets"], d["flow"]["orig_fast_bytes"])')"
flush_counted() { [ "$(tool --json stats | py 'd["namespace"]["teardown_flush"]')" = 1 ]; }
wait_for 5 flush_counted && pass "flush counted as teardown reason 'flush'" ||
	fail "teardown_flush is not 1"

# --- permissions -------------------------------------------------------------
for args in "dev add veth-rc" "dev del veth-rc" "tag add x id 3" "tag set vm1 threshold 1" \
	    "tag del vm1" "set threshold 1" "flows" "flush"; do
	check_eq "without CAP_NET_ADMIN: $args" "1 kernel error: Operation not permitted" \
		"$(out=$(nobody $args 2>&1); echo "$? ${out#*: *: }")"
done
check_eq "without CAP_NET_ADMIN: monitor" "1 flowlane: monitor: kernel error: Operation not permitted" \
	"$(out=$(nobody monitor count 1 2>&1); echo "$? $out")"
for args in "status" "dev list" "tag list" "stats"; do
	nobody $args > /dev/null 2>&1
	check_eq "without CAP_NET_ADMIN, read-only: $args" 0 $?
done
check_eq "the refused operations changed nothing" "veth-rc veth-rs|vm1" \
	"$(tool dev list | xargs)|$(tool --json tag list | py '" ".join(t["name"] for t in d)')"

# --- malformed input, straight to the kernel (see nlraw.py) --------------------
raw() { ip netns exec "$rt" /usr/bin/python3 "$FL_TOP/selftests/nlraw.py" "$@"; }
# Commands: 1 STATUS_GET, 2 DEV_ADD, 5 TAG_NEW, 6 TAG_SET, 10 POLICY_SET, 13 FLUSH.
# Tag attributes: 2 NAME, 3 ID, 4 OFFLOAD, 7 TIMEOUT, 8 MASK; flush: 2 ADDR.
check_eq "tag id of the wrong width" "error EINVAL: invalid attribute length [attr 3]" "$(raw 5 2:str:t1 3:u32:7)"
check_eq "tag id 0" "error ERANGE: integer out of range [attr 3]" "$(raw 5 2:str:t1 3:u16:0)"
check_eq "tag name too long" "error EINVAL: Attribute failed policy validation [attr 2]" \
	"$(raw 5 2:str:abcdefghijklmnopqrst 3:u16:5)"
check_eq "tag name without its NUL" "error EINVAL: Attribute failed policy validation [attr 2]" "$(raw 5 2:raw:t1 3:u16:5)"
check_eq "tag name with a '/'" "error EINVAL: tag name: letters, digits, '_', '-', '.' [attr 2]" "$(raw 5 2:str:a/b 3:u16:5)"
check_eq "tag without a name" "error EINVAL:  [missing attr 2]" "$(raw 5 3:u16:5)"
check_eq "tag without an id" "error EINVAL:  [missing attr 3]" "$(raw 5 2:str:t1)"
check_eq "offload 2" "error ERANGE: integer out of range [attr 4]" "$(raw 6 2:str:vm1 4:u8:2)"
check_eq "timeout over a day" "error ERANGE: integer out of range [attr 7]" "$(raw 6 2:str:vm1 7:u32:100000)"
check_eq "tag mask 0" "error ERANGE: integer out of range [attr 8]" "$(raw 10 8:u32:0)"
check_eq "flush address of 3 bytes" "error ERANGE: binary attribute size out of range [attr 2]" "$(raw 13 2:hex:0a0000)"
check_eq "flush address of 5 bytes" "error EINVAL: address must be 4 (IPv4) or 16 (IPv6) bytes [attr 2]" \
	"$(raw 13 2:hex:0a000001ff)"
check_eq "an attribute a command does not take" "error EINVAL: Unknown attribute type [attr 2]" "$(raw 1 2:u32:1)"
check_eq "attribute 1 to a command without attributes" \
	"error EINVAL: this command takes no attributes [attr 1]" "$(raw 1 1:u32:1)"
check_eq "an unknown command" "error ENOTSUP: " "$(raw 99)"
check_eq "flow dump filter: family 7" "error EINVAL: family must be AF_INET (2) or AF_INET6 (10)" \
	"$(raw 12d 3:u8:7)"
check_eq "flow get: id 0" "error ERANGE: integer out of range [attr 2]" "$(raw 12 2:u64:0)"
check_eq "flow dump: a counter is no filter" "error EINVAL: Unsupported attribute [attr 17]" "$(raw 12d 17:u64:1)"
check_eq "device by a missing ifindex" "error ENODEV: no device with this ifindex [attr 1]" "$(raw 2 1:u32:9999)"
check_eq "the malformed requests changed nothing" "vm1" "$(tool --json tag list | py '" ".join(t["name"] for t in d)')"

exit $ret
