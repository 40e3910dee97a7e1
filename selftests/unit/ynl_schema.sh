#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Documentation/netlink/specs/flowlane.yaml as the kernel's own YNL judges
# it: valid against the genetlink schema its `protocol` names, taken from
# the newest kernel source in Debian's archive (linux-source-7.3 of
# trixie-backports, which `make kernels` installs in the trixie build root),
# checked with python3-jsonschema; and loaded by that source's YNL library
# (tools/net/ynl/pyynl, SpecFamily), which resolves every attribute set,
# operation and multicast group the spec names.
source "$(dirname "$0")/../lib.sh"

tarball=$("$FL_TOP/scripts/kernels.sh" source) ||
	{ fail "no linux-source-7.3 in the trixie root: run 'make kernels'"; exit $ret; }
/usr/bin/python3 -c 'import jsonschema, yaml' 2>/dev/null ||
	skip "python3-jsonschema or python3-yaml missing: run 'make deps'"

# The schemas and tools/net/ynl, extracted once (about 20 s); the guest
# test flowlane_ynl.sh drives the module with the same copy.
src=${FLOWLANE_BUILD:-$FL_TOP/.build}/linux-source-7.3-ynl
if [ ! -f "$src/.done" ] || [ "$src/.done" -ot "$tarball" ] || [ ! -f "$src/tools/net/ynl/pyynl/cli.py" ]; then
	rm -rf "$src" && mkdir -p "$src"
	tar -xJf "$tarball" -C "$src" --strip-components=1 --wildcards \
		'linux-source-7.3/Documentation/netlink/*.yaml' 'linux-source-7.3/tools/net/ynl/pyynl/lib/*' \
		'linux-source-7.3/tools/net/ynl/pyynl/cli.py' ||
		{ fail "extract the YNL schemas and library from $tarball"; exit $ret; }
	touch "$src/.done"
fi

spec=$FL_TOP/Documentation/netlink/specs/flowlane.yaml
out=$(/usr/bin/python3 - "$spec" "$src" <<'PY'
import sys, yaml, jsonschema
spec_path, src = sys.argv[1], sys.argv[2]
spec = yaml.safe_load(open(spec_path))
schema_path = "%s/Documentation/netlink/%s.yaml" % (src, spec["protocol"])
schema = yaml.safe_load(open(schema_path))
errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(spec), key=lambda e: list(e.path))
print("schema %s.yaml: %d errors" % (spec["protocol"], len(errors)))
for e in errors:
    print("  %s: %s" % ("/".join(map(str, e.path)), e.message))
sys.path.insert(0, src + "/tools/net/ynl/pyynl")
from lib import SpecFamily
fam = SpecFamily(spec_path, schema_path)
print("ynl: %d attribute sets, %d operations, %d multicast groups" %
      (len(fam.attr_sets), len(fam.msgs), len(fam.mcast_groups)))
PY
)
check_eq "the spec against the kernel's schema, and loaded by the kernel's YNL" \
	"schema genetlink.yaml: 0 errors
ynl: $(/usr/bin/python3 -c '
import sys, yaml
s = yaml.safe_load(open(sys.argv[1]))
print("%d attribute sets, %d operations, %d multicast groups" % (len(s["attribute-sets"]), len(s["operations"]["list"]), len(s["mcast-groups"]["list"])))' "$spec")" \
	"$out"
exit $ret
