#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernel's own YNL tooling (tools/net/ynl/pyynl of linux-source-7.3, the
# newest kernel source in Debian's archive, which selftests/unit/ynl_schema.sh
# extracts into .build) drives every operation
# of the module from Documentation/netlink/specs/flowlane.yaml alone: each
# do, each dump and the "flows" multicast group, and its answers equal the
# flowlane tool's (--json), field by field.
#
#   client 10.0.1.2 -- veth-rc [router: flowlane, masquerade, ct mark 10] veth-rs -- 10.0.2.2 server
#
# One UDP flow of 140 packets under tag vm1's threshold 50: 90 on the fast path.

source "$(dirname "$0")/engine_lib.sh"
need_root
src=${FLOWLANE_BUILD:-$FL_TOP/.build}/linux-source-7.3-ynl
YNL=$src/tools/net/ynl/pyynl
SCHEMA=$src/Documentation/netlink/genetlink.yaml
SPEC=$FL_TOP/Documentation/netlink/specs/flowlane.yaml
[ -f "$YNL/cli.py" ] && [ -f "$SCHEMA" ] ||
	skip "no $YNL/cli.py: run selftests/unit/ynl_schema.sh on the host first (it extracts linux-source-7.3's YNL)"
checktool "/usr/bin/python3 -c 'import yaml, jsonschema'" "YNL needs python3-yaml and python3-jsonschema"
load_engine
setup_topo

ynl() { ip netns exec "$rt" /usr/bin/python3 "$YNL/cli.py" --spec "$SPEC" --schema "$SCHEMA" --output-json "$@"; }
tool() { ip netns exec "$rt" "$FLOWLANE" --json "$@"; }
# same YNL_JSON TOOL_JSON: every field of the YNL answer the tool also
# prints ('-' in YNL's names is '_' in the tool's; booleans are 0/1), as
# "key=value" lines where they differ, and the count of equal fields.
same() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys
def norm(v):
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, str) and v.startswith("0x"):
        return int(v, 16)
    return v
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
a = a if isinstance(a, list) else [a]
b = b if isinstance(b, list) else [b]
if len(a) != len(b):
    print("ynl has %d objects, the tool %d" % (len(a), len(b)))
    sys.exit()
n = 0
for x, y in zip(a, b):
    for k, v in x.items():
        k2 = {"mask": "tag_mask", "version": "module_version"}.get(k, k.replace("-", "_"))
        if k2 in y:
            if norm(v) != norm(y[k2]):
                print("%s: ynl %r, tool %r" % (k, v, y[k2]))
            n += 1
print("%d fields equal" % n)
PY
}
ifindex() { ip netns exec "$rt" cat "/sys/class/net/$1/ifindex"; }

ip netns exec "$rt" nft -f - <<NFT || fail "router ruleset"
table ip ynl {
	chain mark_tenants { type filter hook forward priority 0; ip saddr 10.0.1.2 ct mark set 10; }
	chain snat_out { type nat hook postrouting priority 100; oifname veth-rs masquerade; }
}
NFT

# --- do operations that change state, checked with the tool ---------------
out=$(ynl --do dev-add --json "{\"ifindex\": $(ifindex veth-rc)}") &&
	ynl --do dev-add --json '{"name": "veth-rs"}' > /dev/null
check_eq "ynl dev-add by ifindex and by name" "0 veth-rc veth-rs" \
	"$? $(tool dev list | /usr/bin/python3 -c 'import json,sys; print(" ".join(d["name"] for d in json.load(sys.stdin)))')"
check_eq "ynl dump dev-get equals the tool's dev list" "6 fields equal" \
	"$(same "$(ynl --dump dev-get)" "$(tool dev list)")"
ynl --do tag-new --json '{"name": "vm1", "id": 10, "threshold": 50}' > /dev/null &&
	ynl --do tag-new --json '{"name": "vm2", "id": 20, "offload": 0, "max-flows": 3, "timeout": 20}' > /dev/null
check_eq "ynl tag-new twice" 0 $?
ynl --do tag-set --json '{"name": "vm2", "offload": 1, "threshold": 7}' > /dev/null
check_eq "ynl tag-set" 0 $?
check_eq "ynl do tag-get vm2: what tag set made it" "True 7 3 20" \
	"$(ynl --do tag-get --json '{"name": "vm2"}' | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(bool(d["offload"]), d["threshold"], d["max-flows"], d["timeout"])')"
check_eq "ynl dump tag-get equals the tool's tag list (2 tags x 18 fields)" "36 fields equal" \
	"$(same "$(ynl --dump tag-get)" "$(tool tag list)")"
ynl --do tag-del --json '{"name": "vm2"}' > /dev/null
check_eq "ynl tag-del: the tool sees vm1 alone" "vm1" \
	"$(tool tag list | /usr/bin/python3 -c 'import json,sys; print(" ".join(d["name"] for d in json.load(sys.stdin)))')"
ynl --do policy-set --json '{"threshold": 3, "mask": 65280}' > /dev/null
check_eq "ynl policy-set, then policy-get equals the tool's policy" "5 fields equal" \
	"$(same "$(ynl --do policy-get)" "$(tool status | /usr/bin/python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["policy"]))')")"
check_eq "(policy-get: threshold 3, mask 0xff00)" "3 65280" \
	"$(ynl --do policy-get | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["threshold"], d["mask"])')"
ynl --do policy-set --json '{"threshold": 0, "mask": 65535}' > /dev/null

# --- the multicast group: the kernel's YNL library, subscribed -------------
# Prints "subscribed", then the events' names and flow ids until COUNT came.
ip netns exec "$rt" /usr/bin/python3 - "$YNL" "$SPEC" "$SCHEMA" 2 > "$FL_TMP/events" 2>&1 <<'PY' &
import sys
sys.path.insert(0, sys.argv[1])
from lib import YnlFamily
ynl = YnlFamily(sys.argv[2], sys.argv[3])
ynl.ntf_subscribe("flows")
print("subscribed", flush=True)
# poll_ntf() yields each event as it comes, for at most 300 s in all.
want = int(sys.argv[4])
for m in ynl.poll_ntf(duration=300):
    print(m["name"], m["msg"]["id"], m["msg"].get("orig-fast-packets"), flush=True)
    want -= 1
    if not want:
        break
PY
events_pid=$!
wait_for $((60 * FL_SCALE)) grep -q subscribed "$FL_TMP/events" || fail "YNL did not subscribe to 'flows'"

udp_recv "$sv" 5000
send_udp 10.0.2.2 5000 140 100 40001
check_eq "the server received every packet" 140 "$(received 5000)"
fold_wait

# --- dumps and gets of the live flow, against the tool ---------------------
flows=$(ynl --dump flow-get)
id=$(echo "$flows" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d), d[0]["id"], d[0]["orig-fast-packets"])')
check_match "ynl dump flow-get: one flow, 90 fast packets" "^1 [0-9]+ 90$" "$id"
id=${id#1 }; id=${id% 90}
check_eq "ynl dump flow-get equals the tool's flows (counters, ports, ids)" "" \
	"$(same "$flows" "$(tool flows)" | grep -v 'fields equal$\|^orig-src\|^orig-dst\|^reply-src\|^reply-dst\|^family\|^proto\|^state\|^age\|^idle')"
check_eq "ynl do flow-get by id: the same flow" "$id 90" \
	"$(ynl --do flow-get --json "{\"id\": $id}" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["id"], d["orig-fast-packets"])')"
check_eq "ynl dump flow-get with tag 10: the flow; with tag 99: none" "1 0" \
	"$(ynl --dump flow-get --json '{"tag": 10}' | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))') $(ynl --dump flow-get --json '{"tag": 99}' | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
check_eq "ynl do stats-get equals the tool's namespace stats (12 counters)" "12 fields equal" \
	"$(same "$(ynl --do stats-get)" "$(tool stats | /usr/bin/python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["namespace"]))')")"
# The sweep's longest slice may grow between the two reads: compared for
# presence only.
check_eq "ynl do status-get equals the tool's status (version, 4 counters, the sweep's longest slice)" \
	"6 fields equal" "$(same "$(ynl --do status-get)" "$(tool status)" | grep -v '^sweep-slice-max-ns: ')"

check_eq "ynl do flush: one flow torn down" '{"count": 1}' "$(ynl --do flush)"
check_eq "the tool sees no flow after it" "[]" "$(tool flows)"
wait "$events_pid"
check_eq "the 'flows' group: the flow's offload, then its teardown with 90 fast packets" \
	"subscribed
flow-offload-ntf $id 0
flow-teardown-ntf $id 90" "$(cat "$FL_TMP/events")"

ynl --do dev-del --json '{"name": "veth-rc"}' > /dev/null &&
	ynl --do dev-del --json "{\"ifindex\": $(ifindex veth-rs)}" > /dev/null
check_eq "ynl dev-del by name and by ifindex: no device left" "0 []" "$? $(tool dev list)"
exit $ret
