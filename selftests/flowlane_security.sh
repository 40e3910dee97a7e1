#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Privilege boundaries. A process without CAP_NET_ADMIN changes and dumps
# nothing (flowlane_api.sh checks every operation); here: an unprivileged
# user in a user namespace of its own manages flowlane in its own network
# namespace only, sees no other namespace's flows, tags or counters, and
# changes nothing outside; every sysfs file is read-only, and the totals
# and tags only the initial namespace's root reads.
#
#   netns rt (owned by the initial user ns): flowlane, tag "host", one flow
#   netns of `unshare -Urn` run by uid 65534: its own tag "mine"

source "$(dirname "$0")/engine_lib.sh"
need_root
load_engine
setup_topo

tool() { ip netns exec "$rt" "$FLOWLANE" "$@"; }
py() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
# as_tenant CMD...: uid 65534 in a new user and network namespace.
as_tenant() {
	setpriv --reuid=65534 --regid=65534 --clear-groups -- unshare -Urn bash -c "$*"
}

as_tenant true 2> /dev/null || skip "unprivileged user namespaces are disabled here"

tool dev add veth-rc veth-rs && tool tag add host id 7 || fail "router setup"
ip netns exec "$rt" nft -f - <<NFT || fail "router ruleset"
table ip sec {
	chain mark7 { type filter hook forward priority 0; ct mark set 7; }
}
NFT
udp_recv "$sv" 5000
send_udp 10.0.2.2 5000 20 64 40001
check_eq "the server received every packet" 20 "$(received 5000)"
check_eq "the router has one offloaded flow, tag 7" "1 7" "$(tool --json flows | py '"%d %d" % (len(d), d[0]["tag"])')"

fl=$FLOWLANE
out=$(as_tenant "ip link set lo up; ip link add tn0 type veth peer name tn1;
	$fl tag add mine id 9 threshold 3 && $fl dev add tn0 tn1 &&
	$fl --json tag list && $fl --json flows && $fl --json stats && $fl --json dev list" 2>&1)
rc=$?
check_eq "in its own user and network namespace, uid 65534 manages flowlane" 0 "$rc"
lines=()
mapfile -t lines <<< "$out"
check_eq "it sees its own tag only" "mine" "$(echo "${lines[0]}" | py '" ".join(t["name"] for t in d)')"
check_eq "it sees no flow of another namespace" 0 "$(echo "${lines[1]}" | py 'len(d)')"
check_eq "its counters are its own" "0 0" \
	"$(echo "${lines[2]}" | py '"%d %d" % (d["namespace"]["offloads_total"], d["namespace"]["fastpath_packets"])')"
check_eq "its devices are its own" "tn0 tn1" "$(echo "${lines[3]}" | py '" ".join(x["name"] for x in d)')"

check_eq "the router's tags are untouched" "host" "$(tool --json tag list | py '" ".join(t["name"] for t in d)')"
check_eq "the router's flow is untouched" 1 "$(tool --json flows | py 'len(d)')"
check_eq "the initial namespace has no tag 'mine'" "" "$("$FLOWLANE" --json tag list | py '" ".join(t["name"] for t in d)')"

# From the tenant's namespace, the router's namespace is out of reach even
# by path: it cannot enter it (no CAP_SYS_ADMIN over its owner).
as_tenant "nsenter --net=/run/netns/$rt true" 2> /dev/null &&
	fail "the tenant entered the router's namespace" ||
	pass "the tenant cannot enter the router's namespace"

bad=$(find /sys/kernel/flowlane -type f -perm /222)
check_eq "no sysfs file of flowlane is writable" "" "$bad"
for f in $(find /sys/kernel/flowlane -type f); do
	if echo 1 2> /dev/null > "$f"; then
		fail "writing $f succeeded"
	fi
done
pass "writing any sysfs file of flowlane is refused ($(find /sys/kernel/flowlane -type f | wc -l) files)"

# The totals (every namespace's flows) and the initial namespace's tags are
# for the initial namespace's root alone: not for another user, nor for a
# tenant's root in its own user namespace (sysfs is the same there).
"$FLOWLANE" tag add hosttag id 77 || fail "tag add hosttag (initial namespace)"
check_eq "the totals and tags are mode 0400, the version 0444" \
	"0444 version|" \
	"$(stat -c '%04a %n' /sys/kernel/flowlane/version | sed 's|/sys/kernel/flowlane/||')|$(find /sys/kernel/flowlane -type f ! -name version ! -perm 0400)"
check_eq "root reads the total: the router's one flow" 1 "$(cat /sys/kernel/flowlane/flows)"
check_eq "root reads the initial namespace's tag" 77 "$(cat /sys/kernel/flowlane/tags/hosttag/id)"
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }
for f in flows offloads_total fastpath_packets fastpath_bytes tags/hosttag/id tags/hosttag/flows; do
	out=$(nobody cat "/sys/kernel/flowlane/$f" 2>&1)
	check_match "uid 65534 cannot read $f" "Permission denied" "$out"
	out=$(as_tenant "cat /sys/kernel/flowlane/$f" 2>&1)
	check_match "a tenant's root in its user namespace cannot read $f" "Permission denied" "$out"
done
check_eq "anyone reads the version" "$(cat /sys/kernel/flowlane/version)" "$(nobody cat /sys/kernel/flowlane/version)"
"$FLOWLANE" tag del hosttag || fail "tag del hosttag"

# CAP_NET_ADMIN held only in a child user namespace is no power over a
# network namespace that user namespace does not own: uid 65534 as root of
# its own `unshare -Ur` (no network namespace of its own) inside the
# router's namespace is refused everything that needs the capability, and
# still reads what needs none (the control: it did run the tool).
in_child_userns() {
	ip netns exec "$rt" setpriv --reuid=65534 --regid=65534 --clear-groups -- \
		unshare -Ur "$FLOWLANE" "$@" 2>&1
}
check_eq "root of a child user namespace reads the router's stats" "0 1" \
	"$(out=$(in_child_userns --json stats); echo "$? $(echo "$out" | py 'd["namespace"]["flows"]')")"
for args in "tag add x id 3" "tag del host" "set threshold 1" "dev del veth-rc" "flows" "flush"; do
	check_eq "CAP_NET_ADMIN in a child user namespace only, in the router's: $args refused" \
		"1 kernel error: Operation not permitted" "$(out=$(in_child_userns $args); echo "$? ${out#*: *: }")"
done
check_eq "CAP_NET_ADMIN in a child user namespace only: monitor refused" \
	"1 flowlane: monitor: kernel error: Operation not permitted" \
	"$(out=$(in_child_userns monitor count 1); echo "$? $out")"
check_eq "the refused operations changed nothing (devices, tags, flows)" "veth-rc veth-rs|host|1" \
	"$(tool dev list | xargs)|$(tool --json tag list | py '" ".join(t["name"] for t in d)')|$(tool --json flows | py 'len(d)')"

# A tenant's flush and monitor touch no other namespace: while the
# tenant's monitor listens, the tenant flushes (nothing: the router's flow
# stays), then the router's flow is flushed and a new one offloaded there;
# the router's own monitor sees both events, the tenant's none, and is
# still listening (not failed).
as_tenant "exec $fl --json monitor" > "$FL_TMP/tenant.events" 2> "$FL_TMP/tenant.err" &
tenant_mon=$!
tool --json monitor count 2 > "$FL_TMP/router.events" 2> "$FL_TMP/router.err" &
router_mon=$!
wait_for 10 grep -q monitoring "$FL_TMP/tenant.err" || fail "the tenant's monitor did not subscribe: $(cat "$FL_TMP/tenant.err")"
wait_for 10 grep -q monitoring "$FL_TMP/router.err" || fail "the router's monitor did not subscribe"
check_eq "the tenant's flush flushes nothing of the router's" "0 flushed 0 flows" \
	"$(out=$(as_tenant "$fl flush" 2>&1); echo "$? $out")"
check_eq "after the tenant's flush the router's flow is still offloaded" 1 "$(tool --json flows | py 'len(d)')"
check_eq "the router's flush" "flushed 1 flows" "$(tool flush)"
udp_recv "$sv" 5000
send_udp 10.0.2.2 5000 10 64 40002
check_eq "the router offloaded a new flow" 1 "$(tool --json flows | py 'len(d)')"
check_eq "server received the new flow's 10" 10 "$(received 5000)"
wait_for 10 bash -c "! kill -0 $router_mon 2> /dev/null" || fail "the router's monitor did not see 2 events"
check_eq "the router's monitor: a teardown by flush, an offload" "teardown offload" \
	"$(/usr/bin/python3 -c 'import json, sys; print(" ".join(json.loads(l)["event"] for l in sys.stdin))' < "$FL_TMP/router.events")"
kill -0 "$tenant_mon" 2> /dev/null && pass "the tenant's monitor is still listening" ||
	fail "the tenant's monitor ended: $(cat "$FL_TMP/tenant.err")"
check_eq "the tenant's monitor saw no event of the router's namespace" "" "$(cat "$FL_TMP/tenant.events")"
kill "$tenant_mon" 2> /dev/null
exit $ret
