#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What check, diff, apply and show-config report, for people and scripts,
# on this machine's kernel in a fresh network namespace:
#   - --json: one JSON object each, parsed here, with the same facts as the
#     words;
#   - diff and apply --dry-run exit like diff(1): 0 the same, 1 different,
#     2 trouble; neither changes anything;
#   - a sysctl this namespace cannot set (nf_conntrack_max outside the
#     initial namespace) is refused by check, diff and apply before
#     anything is committed: the previous ruleset stays, to the byte.
source "$(dirname "$0")/apply_lib.sh"

# field JSON EXPR: a python expression on the parsed object `d`.
field() { python3 -c 'import json, sys; d = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }

doc=$FL_WORK/doc.json
one_vm_doc "$doc"

# --- check ---
j=$("$FLOWLANE" check --json "$doc"); rc=$?
check_eq "check --json: exit 0, valid, the counts" \
	"0 check $doc True 1 1 0 0 0" \
	"$rc $(field "$j" '" ".join(str(x) for x in (d["verb"], d["file"], d["valid"], d["vms"], d["tags"], d["notrack_services"], d["load_balanced_services"], d["exit"]))')"

# --- before the first apply: everything differs ---
g0=$(gen)
words=$("$FLOWLANE" diff "$doc"); rc=$?
check_eq "diff of a new document exits 1 (different)" 1 "$rc"
check_eq "diff: the document's words, the host's parts first, VM a's rules last" \
	"+ host: uplink \"lo\"|+ vm a: tcp dport 22 accept" "$(echo "$words" | head -1)|$(echo "$words" | grep -v sysctl | tail -1)"
check_eq "diff -v: the nftables plan, flowlane's table first" "+ table flowlane" \
	"$("$FLOWLANE" diff -v "$doc" | head -1)"
check_eq "diff: the sysctl it would set, last" \
	"~ sysctl net.ipv4.ip_forward = 1 (now 0; the host routes its VMs)" "$(echo "$words" | tail -1)"
j=$("$FLOWLANE" --json diff "$doc"); rc=$?; j0=$j
check_eq "diff --json: exit 1, not the same" "1 False 1" "$rc $(field "$j" '"%s %s" % (d["same"], d["exit"])')"
check_eq "diff --json: the same lines as the words" "$words" \
	"$(field "$j" '"\n".join(d["document"] + d["sysctls"])')"
check_eq "diff --json: changes counts the nftables lines, as diff -v prints them" \
	"$("$FLOWLANE" diff -v "$doc" | grep -vc '^~ sysctl')|$("$FLOWLANE" diff -v "$doc" | grep -v '^~ sysctl')" \
	"$(field "$j" 'd["changes"]')|$(field "$j" '"\n".join(d["nftables"])')"
dry=$("$FLOWLANE" apply --dry-run --nft-only "$doc"); rc=$?
check_eq "apply --dry-run: exit 1 and diff's lines" "1 $words" "$rc $dry"
check_eq "diff and --dry-run changed nothing" "$g0" "$(gen)"

# --- apply --json ---
j=$("$FLOWLANE" apply --nft-only "$doc" --json); rc=$?
check_eq "apply --json: exit 0, full plan, the changes diff counted" \
	"0 apply full $(field "$j0" 'd["changes"]')" \
	"$rc $(field "$j" '" ".join(str(x) for x in (d["verb"], d["plan"], d["changes"]))')"
check_eq "apply --json: the sysctl it set" \
	"['sysctl net.ipv4.ip_forward: 0 -> 1 (the host routes its VMs)']" "$(field "$j" 'd["sysctls"]')"
check_match "apply --json: its time in ms" "^[0-9]+\.[0-9]+$" "$(field "$j" 'd["ms"]')"

# --- the same document again: nothing differs ---
out=$("$FLOWLANE" diff "$doc"); rc=$?
check_eq "diff of the applied document: exit 0, nothing printed" "0 " "$rc $out"
j=$("$FLOWLANE" diff "$doc" --json); rc=$?
check_eq "diff --json of the applied document" "0 True 0 [] []" \
	"$rc $(field "$j" '" ".join(str(x) for x in (d["same"], d["changes"], d["nftables"], d["sysctls"]))')"
out=$("$FLOWLANE" apply --nft-only --dry-run "$doc"); rc=$?
check_eq "apply --dry-run of the applied document: exit 0, nothing printed" "0 " "$rc $out"

# --- show-config --json ---
j=$("$FLOWLANE" show-config --json); rc=$?
check_eq "show-config --json: exit 0, the document, no difference in the kernel" "0 True 0" \
	"$rc $(field "$j" '"%s %s" % (d["document"] == json.load(open("'"$doc"'")), d["kernel_differences"])')"

# --- refusals: words on stderr, and the object says them too ---
bad=$FL_WORK/bad.json
echo '{"vms": [{"name": "a", "ipv4": 10}]}' > "$bad"
j=$("$FLOWLANE" diff --json "$bad" 2> "$FL_WORK/err"); rc=$?
check_eq "diff of a bad document: exit 2 (trouble), the error in the object" \
	"2 $bad: vms[0].ipv4: expected an address or an array of addresses, got an integer" "$rc $(field "$j" 'd["error"]')"
check_eq "... and in words on stderr" \
	"flowlane: diff: $bad: vms[0].ipv4: expected an address or an array of addresses, got an integer" "$(cat "$FL_WORK/err")"
j=$("$FLOWLANE" apply --json --nft-only "$bad" 2> /dev/null); rc=$?
check_eq "apply --json of a bad document: exit 1, the error" \
	"1 $bad: vms[0].ipv4: expected an address or an array of addresses, got an integer" "$rc $(field "$j" 'd["error"]')"
out=$("$FLOWLANE" apply --dry-run --nft-only "$bad" 2>&1); rc=$?
check_eq "apply --dry-run of a bad document: exit 2" \
	"2 flowlane: apply: $bad: vms[0].ipv4: expected an address or an array of addresses, got an integer" "$rc $out"

# --- a step after the commit fails: the previous ruleset comes back ---
s0=$(snapshot); g0=$(gen)
cp "$doc" "$FL_WORK/prev.json"
edit_doc "$doc" 'd["vms"][0]["firewall"].append({"proto": "tcp", "port": 443})'
out=$(FLOWLANE_TEST_FAIL_AFTER_COMMIT=1 "$FLOWLANE" apply --nft-only "$doc" 2>&1); rc=$?
check_eq "failure after the commit: exit 1, one sentence saying the ruleset was restored" \
	"1 flowlane: apply: FLOWLANE_TEST_FAIL_AFTER_COMMIT: a step after the commit failed; the previous ruleset was restored" \
	"$rc $out"
check_eq "failure after the commit: the previous rules and elements" "$s0" "$(snapshot)"
check_eq "failure after the commit: two commits (the change, its undoing)" "$((g0 + 2))" "$(gen)"
check_eq "failure after the commit: show-config has the previous document" \
	"$(cat "$FL_WORK/prev.json")" "$("$FLOWLANE" show-config 2> /dev/null)"
"$FLOWLANE" diff "$doc" > /dev/null; rc=$?
check_eq "failure after the commit: diff still sees the change to make" 1 "$rc"
nft delete table inet flowlane; nft delete table ip flowlane_nat
out=$(FLOWLANE_TEST_FAIL_AFTER_COMMIT=1 "$FLOWLANE" apply --nft-only "$doc" 2>&1); rc=$?
check_eq "failure after a first commit: exit 1, restored" \
	"1 flowlane: apply: FLOWLANE_TEST_FAIL_AFTER_COMMIT: a step after the commit failed; the previous ruleset was restored" \
	"$rc $out"
check_eq "failure after a first commit: flowlane's tables are gone again" "" \
	"$(nft list tables | grep flowlane)"
apply_ok "then without the fault" "$doc"
check_eq "then the change is there" 1 "$(snapshot | grep -c 'tcp.dport == 443; accept')"

# --- apply --remove: flowlane's tables and state go, nothing else ---
nft add table inet other
out=$("$FLOWLANE" apply --remove --nft-only 2>&1); rc=$?
check_eq "apply --remove: exit 0, what it removed" \
	"0 removed 2 flowlane tables and the state of the last apply" "$rc $out"
check_eq "apply --remove: only the other table is left" "table inet other" "$(nft list tables)"
out=$("$FLOWLANE" show-config 2>&1); rc=$?
check_eq "apply --remove: no state left" \
	"1 flowlane: show-config: nothing applied in this network namespace" "$rc $out"
j=$("$FLOWLANE" apply --remove --json); rc=$?
check_eq "apply --remove again: nothing to remove (JSON)" "0 0 False" \
	"$rc $(field "$j" '"%s %s" % (d["tables_removed"], d["state_removed"])')"
out=$("$FLOWLANE" apply --remove "$doc" 2>&1); rc=$?
check_eq "apply --remove FILE refused, with what to type" \
	"1 flowlane: apply: --remove takes no FILE and no other option but --nft-only and -v (type 'flowlane apply --remove')" \
	"$rc $out"
nft delete table inet other
apply_ok "apply after --remove" "$doc"
check_eq "apply after --remove: the same rules and elements as before" \
	"$(snapshot)" "$("$FLOWLANE" apply --remove > /dev/null; "$FLOWLANE" apply --nft-only "$doc" > /dev/null; snapshot)"

# --- a sysctl this namespace cannot set: refused before the commit ---
ctmax=$(cat /proc/sys/net/netfilter/nf_conntrack_max 2> /dev/null)
if [ -z "$ctmax" ] || [ -w /proc/sys/net/netfilter/nf_conntrack_max ]; then
	skip "nf_conntrack_max is writable here (or absent): no refusal to test"
fi
edit_doc "$doc" 'd["conntrack_max"] = '"$((ctmax + 1))"'
d["vms"][0]["firewall"].append({"proto": "udp", "port": 53})'
before=$(nft -j list ruleset | sha256sum); g1=$(gen)
why="cannot set sysctl net.netfilter.nf_conntrack_max = $((ctmax + 1)) (conntrack_max) in this network namespace: Permission denied (it is $ctmax; set it from the initial namespace, or remove 'conntrack_max' from the document)"
for verb in check diff apply; do
	out=$("$FLOWLANE" $verb $([ $verb = apply ] && echo --nft-only) "$doc" 2>&1); rc=$?
	check_eq "$verb refuses the conntrack_max it cannot set" \
		"$([ $verb = diff ] && echo 2 || echo 1) flowlane: $verb: $why" "$rc $out"
done
check_eq "after the refusal: no generation bump" "$g1" "$(gen)"
check_eq "after the refusal: the previous ruleset, to the byte (nft -j)" "$before" "$(nft -j list ruleset | sha256sum)"
check_eq "after the refusal: show-config still has the previous document" "1" \
	"$("$FLOWLANE" show-config | grep -c '"port": 22')"
exit $ret
