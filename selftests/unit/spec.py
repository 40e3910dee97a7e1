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

# The kernel's op table, read as C (comments stripped): each entry is a
# FLOWLANE_OP()/FLOWLANE_DUMP() call (command first, flags fourth) or a
# { .cmd = ..., .flags = ... } initializer; flags go through genl.c's
# #defines down to GENL_* names, so GENL_ADMIN_PERM and
# GENL_UNS_ADMIN_PERM stay apart and a word in a comment counts for nothing.
def strip_comments(c):
    return re.sub(r"//[^\n]*", "", re.sub(r"/\*.*?\*/", " ", c, flags=re.S))


def split_top(text):
    """Split at commas outside (), {} and []."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


code = strip_comments(genl)
defines = dict(re.findall(r"^#define\s+(\w+)\s+(\w+)\s*$", code, re.M))
YNL_FLAG = {"GENL_ADMIN_PERM": "admin-perm", "GENL_UNS_ADMIN_PERM": "uns-admin-perm"}


def flag_names(expr):
    names = []
    for tok in re.findall(r"\w+", expr):
        seen = set()
        while tok in defines and tok not in seen:
            seen.add(tok)
            tok = defines[tok]
        if tok in YNL_FLAG:
            names.append(YNL_FLAG[tok])
        elif tok != "0":
            names.append(tok)
    return sorted(names)


table = code[code.index("flowlane_genl_ops[]"):]
table = table[table.index("{") + 1:]
depth = 1
for i, ch in enumerate(table):
    depth += {"{": 1, "}": -1}.get(ch, 0)
    if depth == 0:
        table = table[:i]
        break
op_flags = {}
for item in split_top(table):
    m = re.match(r"\w+\s*\((.*)\)$", item, re.S)
    if m:
        args = split_top(m.group(1))
        cmd, flags = args[0], args[3] if len(args) > 3 else "0"
    else:
        fields = dict(re.findall(r"\.(\w+)\s*=\s*([^,}]+)", item))
        cmd, flags = fields.get("cmd", "?"), fields.get("flags", "0")
    op_flags.setdefault(cmd.strip().replace("FLOWLANE_CMD_", ""), []).extend(flag_names(flags))
for o in ops:
    if "event" in o:
        continue  # notifications are sent, not requested
    cmd = c_name(o["name"])
    want = sorted(f for f in o.get("flags", []) if f in YNL_FLAG.values())
    got = sorted(set(op_flags[cmd])) if cmd in op_flags else None
    check(f"command {cmd}: permission flags {want}", want, got)

groups = [g["name"] for g in spec.get("mcast-groups", {}).get("list", [])]
hdr_groups = re.findall(r'#define FLOWLANE_MCGRP_\w+\s+"([^"]+)"', header)
check("multicast groups", groups, hdr_groups)

sys.exit(1 if failed else 0)
