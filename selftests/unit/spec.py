#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The YNL spec, the uapi header and the kernel's operation table agree:
attribute and command names in the same order (so the same numbers), the
enums of definitions, and which operations need CAP_NET_ADMIN.
Prints PASS:/FAIL: lines; exit 1 on any failure."""
import re
import sys

import yaml

top = sys.argv[1]
spec = yaml.safe_load(open(f"{top}/Documentation/netlink/specs/flowlane.yaml"))
header = open(f"{top}/include/uapi/linux/flowlane.h").read()
genl = open(f"{top}/kmod/genl.c").read()
failed = False


def check(what, want, got):
    global failed
    if want == got:
        print(f"PASS: {what}")
    else:
        failed = True
        print(f"FAIL: {what}: spec says {want}, code says {got}")


def c_name(s):
    return s.upper().replace("-", "_")


def header_enum(name):
    m = re.search(r"enum %s \{(.*?)\};" % name, header, re.S)
    if not m:
        return None
    body = re.sub(r"/\*.*?\*/", "", m.group(1), flags=re.S)
    names = [e.split("=")[0].strip() for e in body.split(",")]
    return [n for n in names if n and not n.startswith("__") and not n.endswith("_UNSPEC")]


for aset in spec["attribute-sets"]:
    prefix = c_name(aset["name-prefix"])
    want = [prefix + c_name(a["name"]) for a in aset["attributes"]]
    check(f"attribute set '{aset['name']}'", want, header_enum("flowlane_a_" + aset["name"]))

for d in spec["definitions"]:
    prefix = "FLOWLANE_" + c_name(d["name"]) + "_"
    want = [prefix + c_name(e) for e in d["entries"]]
    check(f"enum '{d['name']}'", want, header_enum("flowlane_" + d["name"].replace("-", "_")))

ops = spec["operations"]["list"]
check("commands", ["FLOWLANE_CMD_" + c_name(o["name"]) for o in ops], header_enum("flowlane_cmd"))

# The kernel's op table: each entry from one FLOWLANE_CMD_ name to the next.
table = genl[genl.index("flowlane_genl_ops[]"):]
table = table[:table.index("};")]
entries = re.split(r"(?=FLOWLANE_CMD_)", table)[1:]
admin = {}
for e in entries:
    cmd = re.match(r"FLOWLANE_CMD_(\w+)", e).group(1)
    admin[cmd] = admin.get(cmd, False) or bool(re.search(r"\bADMIN\b|ADMIN_PERM", e))
for o in ops:
    cmd = c_name(o["name"])
    want = "uns-admin-perm" in o.get("flags", [])
    check(f"command {cmd}: CAP_NET_ADMIN needed", want, admin.get(cmd))

sys.exit(1 if failed else 0)
