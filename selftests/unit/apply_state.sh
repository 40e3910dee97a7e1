#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# apply's incremental path (the state of the last apply, Documentation/
# config.rst), on this machine's kernel in a fresh network namespace:
#   - it is taken when nothing else changed the ruleset, and an unchanged
#     document then moves nothing (no generation bump, no state rewrite);
#   - it gives the same ruleset and the same changes as the full path
#     (which reads flowlane's tables) and as an apply from scratch;
#   - changes made behind flowlane's back (an element added, a chain
#     deleted, another table) send the next apply down the full path,
#     which repairs them;
#   - a truncated, corrupt, stale or foreign state file is ignored;
#   - a refusal reads the same on both paths.
source "$(dirname "$0")/apply_lib.sh"

doc=$FL_WORK/vms.json
base=$FL_WORK/base.json
vm_doc 20 --icmp > "$base"
cp "$base" "$doc"
state() { ls "$FLOWLANE_STATE_DIR"/applied-net*.state; }
# The ruleset in an order that does not depend on when chains were made:
# by chain (rules in their order), then the chain names.
ruleset() {
	snapshot | LC_ALL=C sort -s -t: -k1,1
	"$Q" chains inet flowlane
}
# same WHAT EXPECTED ACTUAL: two rulesets, a diff when they differ.
same() {
	[ "$2" = "$3" ] && pass "$1" || fail "$1: $(diff <(echo "$2") <(echo "$3") | head -6 | paste -sd ' ')"
}

# apply_v WHAT FILE: apply -v; the plan line in $plan, the last line in $last.
apply_v() {
	apply_ok "$1" -v "$2"
	plan=$(echo "$out" | sed -n 's/^plan: \([a-z]*\):.*/\1/p')
	last=$(echo "$out" | tail -1)
}

apply_v "20 VMs from scratch" "$base"
check_eq "no state yet: the full path" full "$plan"
check_eq "the state file is written" 1 "$(state | wc -l)"

# --- unchanged: incremental, nothing moves ---
g0=$(gen); ino0=$(stat -c '%i %Y' "$(state)")
apply_v "the same document" "$base"
check_eq "unchanged: the incremental path" incremental "$plan"
check_eq "unchanged: says so" "applied $base: unchanged" "$last"
check_eq "unchanged: no generation bump" "$g0" "$(gen)"
check_eq "unchanged: the state file is not rewritten" "$ino0" "$(stat -c '%i %Y' "$(state)")"
t=$(FLOWLANE_TIMING=1 "$FLOWLANE" apply --nft-only "$base" 2>&1 > /dev/null)
check_match "FLOWLANE_TIMING: the phases of an incremental apply, on stderr" \
	"^timing ms: split=[0-9.]+ delta=[0-9.]+ plan=[0-9.]+ commit=[0-9.]+ module_sysctl=[0-9.]+ state=[0-9.]+ free=[0-9.]+$" "$t"

# compare WHAT EDIT: the document edited by EDIT (python on `d`), applied
# over the base two ways: incrementally, and by the full path (no state
# file), which apply_incremental.sh holds to an apply from scratch. Both
# must give the same ruleset and the same changes.
compare() {
	local what=$1 inc full n_inc n_full
	cp "$base" "$doc"
	edit_doc "$doc" "$2"
	apply_v "$what: base" "$base"
	apply_v "$what: incremental" "$doc"
	check_eq "$what: the incremental path" incremental "$plan"
	n_inc=$(echo "$out" | grep -c '^[-+] ')
	inc=$(ruleset)
	apply_v "$what: base again" "$base"
	rm -f "$(state)"
	apply_v "$what: full" "$doc"
	check_eq "$what: without the state, the full path" full "$plan"
	n_full=$(echo "$out" | grep -c '^[-+] ')
	full=$(ruleset)
	check_eq "$what: incremental and full make the same changes" "$n_full" "$n_inc"
	same "$what: incremental ruleset = full path's" "$full" "$inc"
}

compare "firewall of vm7" 'd["vms"][7]["firewall"].append({"proto": "udp", "port": "60000-61000"})'
compare "vm9 removed, a VM added" 'del d["vms"][9]
d["vms"].append({"name": "new", "ipv4": "10.2.0.1", "tag": "web", "interfaces": ["tapn"], "firewall": [{"proto": "icmp"}]})'
compare "retag, outbound, public address, interface" 'd["vms"][4]["tag"] = "web"
d["vms"][5]["outbound"] = "drop"
d["vms"][6]["public_ipv4"] = "100.64.9.9"
d["vms"][8]["interfaces"] = ["tap8", "tap8b"]'
compare "addresses swapped, a VM renamed, another moved" 'a, b = d["vms"][1], d["vms"][2]
a["ipv4"], b["ipv4"] = b["ipv4"], a["ipv4"]
d["vms"][3]["name"] = "renamed"
d["vms"].append(d["vms"].pop(0))'

# --- reordering and reformatting are not changes ---
cp "$base" "$doc"
apply_v "base" "$base"
python3 - "$doc" << 'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["vms"].reverse()
d["vms"][0] = json.loads(json.dumps(d["vms"][0]))   # same VM, its own formatting below
text = json.dumps(d, indent=1).replace('"name": "vm19"', '"name"  :  "vm19"')
open(sys.argv[1], "w").write(text)
PY
g=$(gen)
apply_v "VMs reversed, one reformatted" "$doc"
check_eq "reordered: incremental, unchanged" "incremental|applied $doc: unchanged" "$plan|$last"
check_eq "reordered: no generation bump" "$g" "$(gen)"

# --- behind flowlane's back ---
cp "$base" "$doc"
apply_v "base" "$base"
expect=$(ruleset)
nft add element inet flowlane vm_in4 '{ 10.9.9.9 : drop }'
apply_v "after an element added by hand" "$base"
check_match "an element added by hand: the full path" "^full$" "$plan"
check_match "the full path says why" "^plan: full: .*the ruleset changed since the last apply" "$out"
same "an element added by hand: repaired" "$expect" "$(ruleset)"
apply_v "then" "$base"
check_eq "after the repair, incremental again" incremental "$plan"

c7=$("$Q" chains inet flowlane | grep '^in_vm7_')
[ -n "$c7" ] || fail "vm7's chain before the hand edit: none in $("$Q" chains inet flowlane | xargs)"
nft delete element inet flowlane vm_in4 '{ 10.1.0.9 }'
nft delete element inet flowlane vm_in6 '{ fd00::8 }'
nft delete chain inet flowlane "$c7"
apply_v "after a chain deleted by hand" "$base"
check_eq "a chain deleted by hand: the full path" full "$plan"
same "a chain deleted by hand: repaired" "$expect" "$(ruleset)"

nft add table inet other
apply_v "after another table appeared" "$base"
check_eq "someone else's table: the full path, which changes nothing" "full|applied $base: unchanged" "$plan|$last"
check_eq "someone else's table is left alone" "inet other" "$("$Q" tables | grep other)"

nft delete table ip flowlane_nat
nft add table ip flowlane_nat
g=$(gen)
nft add element inet flowlane vm_in4 '{ 10.9.9.9 : drop }'
nft delete element inet flowlane vm_in4 '{ 10.9.9.9 }'
check_eq "(hand changes move the generation)" 1 "$(( $(gen) > g ))"
apply_v "after flowlane_nat was emptied" "$base"
check_eq "an emptied table: the full path" full "$plan"
same "an emptied table: repaired" "$expect" "$(ruleset)"

# --- the state file itself ---
# corrupt WHAT COMMAND: COMMAND spoils the state file; the next apply of
# a one-VM change must take the full path and give the expected ruleset.
cp "$base" "$doc"
edit_doc "$doc" 'd["vms"][7]["firewall"] = []'
apply_v "base" "$base"
apply_v "the changed document" "$doc"
want=$(ruleset)
corrupt() {
	local what=$1
	apply_v "$what: base" "$base"
	eval "$2"
	apply_v "$what: one VM changed" "$doc"
	check_eq "$what: the full path" full "$plan"
	same "$what: the right ruleset" "$want" "$(ruleset)"
	apply_v "$what: base, and the state is rewritten" "$base"
	check_eq "$what: then incremental again" incremental "$plan"
}
size=$(stat -c %s "$(state)")
corrupt "a truncated state" 'truncate -s $((size / 2)) "$(state)"'
corrupt "an empty state" ': > "$(state)"'
corrupt "a state of random bytes" 'head -c "$size" /dev/urandom > "$(state)"'
# The records start after the head (a few hundred bytes) and the
# document is the last part: a byte changed in each.
flip() { printf '\x7e' | dd of="$(state)" bs=1 seek="$1" conv=notrunc status=none; }
corrupt "a byte changed in the records" 'flip 700'
corrupt "a byte changed in vm7's text in the state" \
	'flip $(( size - $(stat -c %s "$base") + $(grep -bo "\"name\": \"vm7\"" "$base" | cut -d: -f1) + 9 ))'
cp "$(state)" "$FL_WORK/stale"
corrupt "a stale state (of an older apply)" \
	'apply_ok "another VM changed" "$doc"; apply_ok "back" "$base"; cp "$FL_WORK/stale" "$(state)"'
cp "$FLOWLANE" "$FL_WORK/flowlane-copy"
apply_v "base" "$base"
out=$("$FL_WORK/flowlane-copy" apply --nft-only -v "$doc" 2>&1)
check_match "a state written by another build: the full path" \
	"^plan: full: .*written by another build of flowlane" "$out"
same "a state written by another build: the right ruleset" "$want" "$(ruleset)"

# --- refusals read the same on both paths ---
apply_v "base" "$base"
cp "$base" "$doc"
edit_doc "$doc" 'd["vms"][12]["ipv4"] = d["vms"][3]["ipv4"]'
g=$(gen)
inc=$("$FLOWLANE" apply --nft-only "$doc" 2>&1)
check_eq "a duplicate address: refused" \
	"flowlane: apply: $doc: vms[12].ipv4: 10.1.0.5 is already the address of vms[3]" "$inc"
rm -f "$(state)"
check_eq "a duplicate address: the same refusal without the state" "$inc" \
	"$("$FLOWLANE" apply --nft-only "$doc" 2>&1)"
check_eq "refused: no generation bump" "$g" "$(gen)"

# The incremental path checks only the new and changed VMs against the
# others: every kind of collision it must see, each refused in the full
# path's words with nothing applied. vms[3] has a public address, vms[4]
# none, vms[13] is the one edited.
svc='d["services"] = [{"name": "lb", "address": "100.99.0.1", "proto": "tcp", "port": 80,
	"backends": [{"address": d["vms"][0]["ipv4"], "port": 8080}]}]'
cp "$base" "$FL_WORK/svc.json"
edit_doc "$FL_WORK/svc.json" "$svc"
collision() {
	local what=$1 from=$2 inc full g
	cp "$from" "$doc"
	edit_doc "$doc" "$3"
	apply_v "$what: before" "$from"
	g=$(gen)
	inc=$("$FLOWLANE" apply --nft-only "$doc" 2>&1)
	check_match "$what: refused with the path" "^flowlane: apply: $doc: (vms|services)\\[" "$inc"
	check_eq "$what: no generation bump" "$g" "$(gen)"
	rm -f "$(state)"
	full=$("$FLOWLANE" apply --nft-only "$doc" 2>&1)
	check_eq "$what: the same refusal on the full path" "$inc" "$full"
}
collision "a changed VM takes another's name" "$base" 'd["vms"][13]["name"] = "vm3"'
collision "... another's IPv6 address" "$base" 'd["vms"][13]["ipv6"] = d["vms"][3]["ipv6"]'
collision "... another's interface" "$base" 'd["vms"][13]["interfaces"].append("tap3")'
collision "... another's public address" "$base" \
	'd["vms"][13]["public_ipv4"] = d["vms"][3]["public_ipv4"]'
collision "... another's private address as its public one" "$base" \
	'd["vms"][13]["public_ipv4"] = d["vms"][4]["ipv4"]'
collision "... another's public address as its private one" "$base" \
	'd["vms"][13]["ipv4"] = d["vms"][3]["public_ipv4"]'
collision "... its own private address as its public one" "$base" \
	'd["vms"][13]["public_ipv4"] = d["vms"][13]["ipv4"]'
collision "a new VM takes another's address" "$base" \
	'd["vms"].append(dict(d["vms"][3], name="new", interfaces=["tapnew"]))'
collision "a changed VM takes a load-balanced service's address" "$FL_WORK/svc.json" \
	'd["vms"][13]["ipv4"] = "100.99.0.1"'
collision "the VM a backend is removed" "$FL_WORK/svc.json" 'del d["vms"][0]'
collision "the VM a backend is readdressed" "$FL_WORK/svc.json" 'd["vms"][0]["ipv4"] = "10.200.0.1"'

# Three tries: a batch carries the generation its plan was made for, so
# another program's commit between apply's reading of the ruleset and its
# commit makes the kernel refuse it, and apply plans again from the
# ruleset as it is then, three times at most. genid_race.py lands such a
# commit (a table added) inside each of the first N tries, with the state
# file a named pipe that holds apply between the two.
fifo=$FLOWLANE_STATE_DIR/applied-net$(stat -L -c %i /proc/self/ns/net).state
# race N: apply $base from an empty ruleset, N tries raced; "tries=T rc=R",
# the tables after it, and apply's last line.
race() {
	local out
	nft flush ruleset
	mkdir -p "$FLOWLANE_STATE_DIR"
	rm -f "$fifo"
	mkfifo "$fifo"
	out=$(/usr/bin/python3 "$FL_TOP/selftests/genid_race.py" "$fifo" "$1" \
		"$FLOWLANE" apply --nft-only "$base" 2>&1)
	echo "$(echo "$out" | head -1) | $(nft list tables | sed 's/^table //' | LC_ALL=C sort | paste -sd ,) | $(echo "$out" | tail -1)"
}
check_match "no race: one try, applied" \
	'^tries=1 rc=0 \| inet flowlane,ip flowlane_nat \| applied ' "$(race 0)"
check_match "two raced tries: applied at the third" \
	'^tries=3 rc=0 \| inet flowlane,inet genid_race_1,inet genid_race_2,ip flowlane_nat \| applied ' "$(race 2)"
check_eq "three raced tries: refused, nothing changed" \
	"tries=3 rc=1 | inet genid_race_1,inet genid_race_2,inet genid_race_3 | flowlane: apply: the nftables ruleset changed under each of 3 tries (kernel error: Interrupted system call should be restarted (at: batch begin)): another program keeps writing it; stop it, or run apply again when it is done; nothing was changed" \
	"$(race 3)"
nft flush ruleset
exit $ret
