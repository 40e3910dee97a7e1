#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The flowlane family under fuzzing (nlfuzz: random and mutated requests
# from 4 threads) while traffic is forwarded and offloaded; afterwards the
# kernel log is clean (guest.sh checks it) and the module still works: a
# counted flow reads back exactly.
#
#   client -- veth-rc [router: flowlane, nlfuzz] veth-rs -- server
#
# FLOWLANE_FUZZ_COUNT messages (default 50000; `make fuzz` sends 1,000,000),
# from FLOWLANE_FUZZ_SEED (default fixed, so that the suite is repeatable;
# `make fuzz` draws one and prints it).

source "$(dirname "$0")/engine_lib.sh"
need_root
[ -x "$FL_TOP/selftests/nlfuzz" ] || skip "build selftests/nlfuzz first (make -C selftests helpers)"
load_engine
setup_topo

tool() { ip netns exec "$rt" "$FLOWLANE" "$@"; }
py() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
count=${FLOWLANE_FUZZ_COUNT:-50000}
seed=${FLOWLANE_FUZZ_SEED:-0x5eed}

tool dev add veth-rc veth-rs || fail "dev add"
tool tag add t1 id 1 threshold 5 || fail "tag add"
ip netns exec "$rt" nft -f - <<NFT || fail "router ruleset"
table ip fz {
	chain mark_all { type filter hook forward priority 0; ct mark set 1; }
}
NFT

# Traffic all along: one long flow, offloaded early, under the fuzzing.
ip netns exec "$cl" "$FLT" udp-send 10.0.2.2 5001 20000 64 40002 500 > /dev/null &
traffic=$!
start=$SECONDS
out=$(ip netns exec "$rt" "$FL_TOP/selftests/nlfuzz" "$count" 4 "$seed")
echo "# nlfuzz seed $seed: $out in $((SECONDS - start)) s"
check_match "nlfuzz sent every message" "^sent=$count " "$out"
wait $traffic

# Whatever the fuzzer changed, put a known state back, then count a flow.
tool set offload on threshold 0 max-flows 0 timeout 0 tag-mask 0xffff || fail "reset the default policy"
for t in $(tool --json tag list | py '" ".join(t["name"] for t in d)'); do
	tool tag del "$t" || fail "tag del $t"
done
tool flush > /dev/null || fail "flush"
# The fuzzer may have added patterns (FLOWLANE_A_DEV_PATTERN: any string,
# control characters included, so NUL-separated) and lo (ifindex 1), or
# removed either veth; `dev add` of a list is all or nothing, so each
# missing one is added on its own.
# The names are bytes, not always UTF-8: read and written back as such. A
# list that cannot be read fails the test (no pattern would be deleted).
tool --json dev list > "$FL_TMP/devs.json" || fail "dev list --json after fuzzing"
/usr/bin/python3 -c 'import json,sys
d = json.loads(sys.stdin.buffer.read().decode("utf-8", "surrogateescape"))
sys.stdout.buffer.write(b"".join(x["pattern"].encode("utf-8", "surrogateescape") + b"\0"
                                 for x in d if "devices" in x))' < "$FL_TMP/devs.json" > "$FL_TMP/patterns" ||
	fail "read the patterns of dev list --json after fuzzing"
while IFS= read -r -d '' p; do
	ip netns exec "$rt" "$FL_TOP/selftests/flctl" dev delpat "$p" > /dev/null ||
		fail "delete the fuzzer's pattern '$p'"
done < "$FL_TMP/patterns"
have=" $(tool --json dev list | py '" ".join(x["name"] for x in d if "ifindex" in x)') "
for d in $have; do
	case "$d" in veth-rc|veth-rs) ;; *) tool dev del "$d" || fail "dev del $d" ;; esac
done
for d in veth-rc veth-rs; do
	[[ $have == *" $d "* ]] || tool dev add "$d" || fail "dev add $d after fuzzing"
done
check_eq "devices after fuzzing" "veth-rc veth-rs" "$(tool dev list | sort | xargs)"
tool tag add vm1 id 1 threshold 50 || fail "tag add after fuzzing"
udp_recv "$sv" 5002
send_udp 10.0.2.2 5002 140 100 40003
check_eq "the server received every packet" 140 "$(received 5002)"
check_eq "after fuzzing, the flow reads 50 slow and 90 fast packets, tag 1" "50 90 1" \
	"$(tool --json flows | py '" ".join("%d %d %d" % (f["orig_slow_packets"], f["orig_fast_packets"], f["tag"]) for f in d if f["orig_sport"] == 40003)')"
exit $ret
