#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Idempotence, incremental changes and atomicity of `flowlane apply`, on
# this machine's kernel in a fresh network namespace:
#   - an unchanged document changes nothing: no nftables generation bump;
#   - one VM changed changes only that VM's elements and chain, every other
#     chain keeps its handle;
#   - a batch the kernel refuses at one element leaves the old ruleset whole;
#   - a document that fails validation touches nothing;
#   - changes made behind flowlane's back in its own tables are repaired;
#   - a document with load-balanced services takes the incremental path too,
#     and removing a VM that is a backend is refused as the full path does.
source "$(dirname "$0")/apply_lib.sh"

doc=$FL_WORK/vms.json
vm_doc 60 > "$doc"
apply_ok "60 VMs from scratch" "$doc"

# Chain handles: a chain that is not recreated keeps its handle.
handles() {
	nft -j list chains inet | python3 -c '
import json, sys
for o in json.load(sys.stdin)["nftables"]:
    c = o.get("chain")
    if c and c["table"] == "flowlane": print(c["name"], c["handle"])' | sort
}

# --- idempotence ---
g0=$(gen); s0=$(snapshot); h0=$(handles)
apply_ok "the same document again" "$doc"
check_eq "unchanged document: apply says so" "applied $doc: unchanged" "$out"
check_eq "unchanged document: no generation bump" "$g0" "$(gen)"
check_eq "unchanged document: diff prints nothing" "" "$("$FLOWLANE" diff "$doc" 2>&1)"
check_eq "unchanged document: same chains, same handles" "$h0" "$(handles)"

# --- one VM's firewall changes ---
edit_doc "$doc" 'd["vms"][7]["firewall"].append({"proto": "udp", "port": "60000-61000"})'
d=$("$FLOWLANE" diff -v "$doc")
old7=$(echo "$h0" | awk '/^in_vm7_/ { print $1 }')
new7=$(echo "$d" | sed -n 's/^+ chain flowlane //p')
check_match "vm7 gets a new chain" "^in_vm7_[0-9a-f]{8}$" "$new7"
check_eq "diff -v: vm7's new chain, its two map elements swapped, old chain gone" \
	"+ chain flowlane $new7
- element flowlane vm_in4 { 10.1.0.9 : jump $old7 }
+ element flowlane vm_in4 { 10.1.0.9 : jump $new7 }
- element flowlane vm_in6 { fd00::8 : jump $old7 }
+ element flowlane vm_in6 { fd00::8 : jump $new7 }
- chain flowlane $old7" "$d"
apply_ok "vm7's firewall changed" "$doc"
check_eq "apply counts the same 6 changes" 6 "$(echo "$out" | sed -n 's/.*: \([0-9]*\) changes in.*/\1/p')"
s1=$(snapshot)
check_eq "vm7's new rule" "flowlane $new7: udp.dport == 60000-61000; accept" \
	"$(echo "$s1" | grep "^flowlane $new7: udp")"
check_eq "every other chain kept its handle" "$(echo "$h0" | grep -v "^in_vm7_")" \
	"$(handles | grep -v "^in_vm7_")"
check_eq "the state differs in vm7's chain and map elements only" \
	"$(echo "$s0" | grep -v "in_vm7_" | sort)" "$(echo "$s1" | grep -v "in_vm7_" | sort)"
g1=$(gen)
[ "$g1" -gt "$g0" ] && pass "a change bumps the generation ($g0 -> $g1)" || fail "generation $g0 -> $g1"

# --- one VM removed, one added, one retagged ---
edit_doc "$doc" 'del d["vms"][9]
d["vms"].append({"name": "new", "ipv4": "10.2.0.1", "tag": "web", "firewall": [{"proto": "icmp"}]})
d["vms"][4]["tag"] = "web"'
apply_ok "remove vm9, add 'new', retag vm4" "$doc"
s2=$(snapshot)
changes=$(diff <(echo "$s1") <(echo "$s2") | grep '^[<>]' | grep -v ' flowlane in_')
# vm9 (10.1.0.11, fd00::a, tap9, public 100.64.0.11): 10 elements gone;
# 'new': 4 added; vm4 (10.1.0.6, fd00::5): tag elements swapped, 4 lines.
check_eq "vm9's 10 elements gone" 10 "$(echo "$changes" | grep -c '^<.*\(10.1.0.11\|fd00::a \|tap9\)')"
check_eq "'new': map, tag, hairpin and masquerade elements added" \
	"> flowlane vm_in4: 10.2.0.1 : jump $(echo "$s2" | grep -o 'in_new_[0-9a-f]*' | head -1)|> flowlane vm_tag4: 10.2.0.1 : 10|> flowlane_nat hairpin4: 10.2.0.1|> flowlane_nat masq4: 10.2.0.1" \
	"$(echo "$changes" | grep '10.2.0.1' | sort | paste -sd '|')"
check_eq "vm4 retagged from bulk (20) to web (10)" \
	"< flowlane vm_tag4: 10.1.0.6 : 20|< flowlane vm_tag6: fd00::5 : 20|> flowlane vm_tag4: 10.1.0.6 : 10|> flowlane vm_tag6: fd00::5 : 10" \
	"$(echo "$changes" | grep '10.1.0.6\|fd00::5 ' | sort | paste -sd '|')"
check_eq "nothing else changed" 18 "$(echo "$changes" | wc -l)"
check_eq "vm9's chain is gone, 'new' has one" "in_new" \
	"$(echo "$s2" | grep -o 'flowlane in_vm9_\|flowlane in_new' | sort -u | sed 's/flowlane //' | xargs)"

# --- atomicity: the kernel refuses the batch at one element ---
g2=$(gen)
edit_doc "$doc" 'd["vms"][3]["firewall"] = []
del d["vms"][5]'
out=$(FLOWLANE_TEST_BAD_ELEMENT=vm3 "$FLOWLANE" apply --nft-only "$doc" 2>&1); rc=$?
check_eq "refused batch: apply exits 1" 1 "$rc"
check_match "refused batch: the kernel's reason and the refused message" \
	"^flowlane: apply: kernel error: No such file or directory.*\(at: add [0-9]+ element\(s\) of set flowlane vm_in4\); nothing was changed$" "$out"
check_eq "refused batch: no generation bump" "$g2" "$(gen)"
check_eq "refused batch: the old ruleset is whole (vm5 still there, vm3 unchanged)" "$s2" "$(snapshot)"
apply_ok "the same document without the fault" "$doc"
check_eq "then it applies: vm5 gone" "" "$(elems inet flowlane vm_in4 | grep '^10.1.0.7 ')"

# --- a document that fails validation touches nothing ---
g3=$(gen); s3=$(snapshot)
edit_doc "$doc" 'd["vms"][0]["firewall"][0]["port"] = 70000'
out=$("$FLOWLANE" apply --nft-only "$doc" 2>&1); rc=$?
check_eq "invalid document refused" \
	"1 flowlane: apply: $doc: vms[0].firewall[0].port: 70000 is not a port" "$rc $out"
check_eq "invalid document: no generation bump" "$g3" "$(gen)"
check_eq "invalid document: ruleset unchanged" "$s3" "$(snapshot)"
edit_doc "$doc" 'd["vms"][0]["firewall"][0]["port"] = 22'

# --- drift: changes behind flowlane's back in its own tables are undone ---
nft add element inet flowlane vm_in4 '{ 10.9.9.9 : drop }'
nft delete element ip flowlane_nat masq4 '{ 10.1.0.3 }'
d=$("$FLOWLANE" diff "$doc")
check_eq "diff shows the drift" "- element flowlane vm_in4 { 10.9.9.9 : drop }|+ element flowlane_nat masq4 { 10.1.0.3 }" \
	"$(echo "$d" | paste -sd '|')"
apply_ok "repair" "$doc"
check_eq "repaired" "$s3" "$(snapshot)"
nft delete table ip flowlane_nat
apply_ok "a deleted table" "$doc"
check_eq "recreated" "$s3" "$(snapshot)"
# --- services: the frame's backends are VMs; VM changes stay incremental ---
# plan DOC: apply --json DOC; how it was planned ("full because ..." when full).
plan() {
	"$FLOWLANE" apply --nft-only --json "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["plan"] + (" because " + d["full_because"] if "full_because" in d else ""))'
}
# vm1 (10.1.0.3, fd00::2) backs both services, vm2 (10.1.0.4) the IPv4 one,
# vm3 (fd00::4) the IPv6 one.
svcdoc=$FL_WORK/svc.json
vm_doc 20 > "$svcdoc"
edit_doc "$svcdoc" 'd["services"] = [
 {"name": "www", "address": "198.51.100.80", "proto": "tcp", "port": 80,
  "backends": [{"address": "10.1.0.3", "port": 8080}, {"address": "10.1.0.4", "port": 8080}]},
 {"name": "www6", "address": "2001:db8:80::80", "proto": "tcp", "port": 80,
  "backends": [{"address": "fd00::2", "port": 8080}, {"address": "fd00::4", "port": 8080}]}]'
check_match "services: the first apply is full" "^full because " "$(plan "$svcdoc")"
check_eq "services: 2 services in the kernel" "198.51.100.80 . tcp . 80|2001:db8:80::80 . tcp . 80" \
	"$( (elems ip flowlane_nat services; elems ip6 flowlane_nat6 services) | sed 's/ : .*//' | paste -sd '|')"
edit_doc "$svcdoc" 'd["vms"].append({"name": "extra", "ipv4": "10.200.0.1"})'
check_eq "services: a VM added: incremental" "incremental" "$(plan "$svcdoc")"
edit_doc "$svcdoc" 'd["vms"][5]["firewall"].append({"proto": "udp", "port": 53})'
check_eq "services: a VM that is no backend changes its firewall: incremental" "incremental" \
	"$(plan "$svcdoc")"
edit_doc "$svcdoc" 'd["vms"][1]["firewall"].append({"proto": "udp", "port": 53})'
check_eq "services: a backend VM (vm1) changes its firewall: incremental" "incremental" \
	"$(plan "$svcdoc")"
g4=$(gen); s4=$(snapshot)
cp "$svcdoc" "$FL_WORK/applied.json"
want=([2]="services[0].backends[1].address: 10.1.0.4 is no VM's 'ipv4'"
      [3]="services[1].backends[1].address: fd00::4 is in no VM's 'ipv6'")
for vm in 2 3; do
	edit_doc "$svcdoc" "del d['vms'][$vm]"
	out=$("$FLOWLANE" apply --nft-only "$svcdoc" 2>&1); rc=$?
	check_eq "services: backend vm$vm removed: refused with the full path's message" \
		"1 flowlane: apply: $svcdoc: ${want[$vm]}: a backend is a VM of this document (add the VM, or remove the backend)" \
		"$rc $out"
	check_eq "services: backend vm$vm removed: no generation bump" "$g4" "$(gen)"
	check_eq "services: backend vm$vm removed: ruleset unchanged" "$s4" "$(snapshot)"
	cp "$FL_WORK/applied.json" "$svcdoc"
done
edit_doc "$svcdoc" 'd["vms"][3]["ipv6"] = "fd00::99"; d["vms"][6]["ipv6"] = "fd00::4"'
check_eq "services: the backend fd00::4 moves from vm3 to vm6: incremental" "incremental" \
	"$(plan "$svcdoc")"
check_eq "services: the same document again: incremental" "incremental" "$(plan "$svcdoc")"
exit $ret
