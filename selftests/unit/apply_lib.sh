#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Shared by the host tests of `flowlane apply` (unit/apply_*.sh): each test
# re-executes itself in a fresh network namespace (`unshare -n`), where this
# machine's kernel runs nf_tables, so the real tool programs a real, empty
# ruleset that nothing else shares.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

need_root
if [ -z "${FL_APPLY_NETNS:-}" ]; then
	unshare -n true 2> /dev/null || skip "unshare -n does not work here"
	FL_APPLY_NETNS=1 exec unshare -n "$0" "$@"
fi
ip link set lo up
nft list ruleset > /dev/null 2>&1 || skip "nf_tables is not available"
checktool "python3 -c 'import json'" "reading nft -j output"

FL_WORK=$(mktemp -d)
export FLOWLANE_STATE_DIR=$FL_WORK/state
trap 'rm -rf "$FL_WORK"' EXIT
Q="$FL_TOP/selftests/nft_query.py"

gen() { "$Q" gen; }
elems() { "$Q" elems "$@"; }

# apply_ok WHAT ARGS...: apply --nft-only must succeed; output in $out.
apply_ok() {
	local what=$1 rc
	shift
	out=$("$FLOWLANE" apply --nft-only "$@" 2>&1); rc=$?
	check_eq "$what: apply exits 0" 0 "$rc"
	[ "$rc" = 0 ] || echo "$out"
}

# The whole state flowlane owns, in one text: every element and every rule.
snapshot() { "$Q" snapshot flowlane flowlane_nat; }

# vm_doc N [EXTRA_VM_JSON]: a document with N VMs vm0..vm(N-1), as the
# Ubicloud seed has them: a private IPv4 and IPv6, a tap interface, every
# third VM with a public IPv4, a tag, ssh and https inbound.
vm_doc() {
	python3 - "$@" << 'PY'
import json, sys
n = int(sys.argv[1])
vms = []
for i in range(n):
    j = i + 2
    vm = {"name": "vm%d" % i, "tag": "web" if i % 2 else "bulk",
          "interfaces": ["tap%d" % i],
          "ipv4": "10.%d.%d.%d" % (1 + j // 65536, (j // 256) % 256, j % 256),
          "ipv6": "fd00::%x" % (i + 1),
          "firewall": [{"proto": "tcp", "port": 22, "source": "198.51.100.0/24"},
                       {"proto": "tcp", "port": 443}]}
    if i % 3 == 0:
        vm["public_ipv4"] = "100.%d.%d.%d" % (64 + j // 65536, (j // 256) % 256, j % 256)
    vms.append(vm)
doc = {"tags": [{"name": "web", "id": 10}, {"name": "bulk", "id": 20}],
       "uplinks": ["lo"], "vms": vms}
print(json.dumps(doc, indent=1))
PY
}

# edit_doc FILE PYTHON: rewrite the document with a python statement on `d`.
edit_doc() {
	python3 - "$1" "$2" << 'PY'
import json, sys
d = json.load(open(sys.argv[1]))
exec(sys.argv[2])
json.dump(d, open(sys.argv[1], "w"), indent=1)
PY
}
