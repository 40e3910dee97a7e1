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

# vm_doc N: a document with N VMs vm0..vm(N-1) (selftests/vmdoc.py, which
# bench/apply.sh uses too).
vm_doc() { /usr/bin/python3 "$FL_TOP/selftests/vmdoc.py" "$@"; }

# one_vm_doc FILE: a valid document of one VM "a" with tag "web", 1:1 NAT
# and one firewall rule: the base of the refusal and --json tests.
one_vm_doc() {
	cat > "$1" << 'JSON'
{ "uplinks": ["lo"], "tags": [{ "name": "web", "id": 10 }],
  "vms": [{ "name": "a", "tag": "web", "ipv4": "10.0.0.2", "public_ipv4": "203.0.113.2",
            "firewall": [{ "proto": "tcp", "port": 22 }] }] }
JSON
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
