#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Read nf_tables for flowlane's tests, semantically.

  nft_query.py gen                          the ruleset generation (NFT_MSG_GETGEN)
  nft_query.py elems FAMILY TABLE SET       one element per line, sorted
  nft_query.py chains FAMILY TABLE          chain names, sorted
  nft_query.py rules FAMILY TABLE CHAIN     one line per rule, from `nft -j`
  nft_query.py tables                       "family name" of every table
  nft_query.py snapshot TABLE...            "TABLE SET: element" (sorted in each set) and
                                            "TABLE CHAIN: rule" (in order) lines of the tables

Elements and rules are printed in a small canonical form built from the
JSON that `nft -j list` prints, e.g.
  10.0.0.2 : jump in_web1_0011aabb
  ip.saddr == 198.51.100.0/24; tcp.dport == 22; accept
"""
import json
import socket
import struct
import subprocess
import sys

NFNL_SUBSYS_NFTABLES = 10
NFT_MSG_GETGEN = 16
NFTA_GEN_ID = 1


def generation():
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)  # NETLINK_NETFILTER
    s.bind((0, 0))
    msg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN
    payload = struct.pack("BBH", socket.AF_UNSPEC, 0, 0)
    hdr = struct.pack("=IHHII", 16 + len(payload), msg_type, 1, 1, 0)  # NLM_F_REQUEST
    s.send(hdr + payload)
    data = s.recv(65536)
    length, mtype, _, _, _ = struct.unpack_from("=IHHII", data)
    off = 16 + 4
    while off + 4 <= length:
        alen, atype = struct.unpack_from("=HH", data, off)
        if atype & 0x3FFF == NFTA_GEN_ID:
            return struct.unpack_from(">I", data, off + 4)[0]
        off += (alen + 3) & ~3
    raise SystemExit("no generation in the reply")


def nft_json(*args):
    out = subprocess.run(["nft", "-j", "list"] + list(args), check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)["nftables"]


def val(x):
    if isinstance(x, (str, int)):
        return str(x)
    if isinstance(x, list):
        if len(x) == 2 and not isinstance(x[0], list):   # map element [key, value]
            return "%s : %s" % (val(x[0]), val(x[1]))
        return "{ %s }" % ", ".join(val(e) for e in x)
    if isinstance(x, dict):
        if "concat" in x:
            return " . ".join(val(e) for e in x["concat"])
        if "prefix" in x:
            return "%s/%s" % (x["prefix"]["addr"], x["prefix"]["len"])
        if "range" in x:
            return "%s-%s" % (val(x["range"][0]), val(x["range"][1]))
        if "elem" in x:
            return val(x["elem"]["val"])
        if "set" in x:
            return val(x["set"]) if isinstance(x["set"], list) else "@" + x["set"]
        if "payload" in x:
            p = x["payload"]
            if "protocol" in p:
                return "%s.%s" % (p["protocol"], p["field"])
            return "payload(%s,%s,%s)" % (p["base"], p["offset"], p["len"])
        if "meta" in x:
            return "meta.%s" % x["meta"]["key"]
        if "ct" in x:
            return "ct.%s" % x["ct"]["key"]
        if "jump" in x:
            return "jump %s" % x["jump"]["target"]
        if "goto" in x:
            return "goto %s" % x["goto"]["target"]
        if "map" in x:
            return "%s map %s" % (val(x["map"]["key"]), val(x["map"]["data"]))
        if "numgen" in x:
            return "numgen %s mod %s" % (x["numgen"]["mode"], x["numgen"]["mod"])
        if "jhash" in x:
            return "jhash %s mod %s" % (val(x["jhash"]["expr"]), x["jhash"]["mod"])
        if "symhash" in x:
            return "symhash mod %s" % x["symhash"]["mod"]
        if "&" in x:
            return "%s & %s" % (val(x["&"][0]), val(x["&"][1]))
        return json.dumps(x, sort_keys=True)
    return json.dumps(x)


def stmt(s):
    (k, v), = s.items()
    if k == "match":
        return "%s %s %s" % (val(v["left"]), v["op"], val(v["right"]))
    if k in ("accept", "drop", "return", "notrack", "masquerade"):
        return k
    if k in ("jump", "goto"):
        return "%s %s" % (k, v["target"])
    if k == "vmap":
        return "%s vmap %s" % (val(v["key"]), val(v["data"]))
    if k == "counter":
        return "counter"
    if k == "limit":
        return "limit rate %s%s/%s burst %s" % ("over " if v.get("inv") else "", v["rate"],
                                                v["per"], v.get("burst", 0))
    if k == "mangle":
        return "%s set %s" % (val(v["key"]), val(v["value"]))
    if k in ("snat", "dnat"):
        return "%s to %s" % (k, val(v["addr"]))
    return json.dumps(s, sort_keys=True)


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "gen":
        print(generation())
    elif cmd == "tables":
        for o in nft_json("tables"):
            if "table" in o:
                print(o["table"]["family"], o["table"]["name"])
    elif cmd == "elems":
        fam, table, name = argv[2:5]
        kind = "set"
        objs = [o for o in nft_json("table", fam, table) if "set" in o or "map" in o]
        for o in objs:
            obj = o.get("set") or o.get("map")
            if obj["name"] == name:
                for e in sorted(val(e) for e in obj.get("elem", [])):
                    print(e)
                return 0
        raise SystemExit("no %s %s in %s %s" % (kind, name, fam, table))
    elif cmd == "snapshot":
        lines = []
        for o in nft_json("ruleset"):
            (kind, obj), = o.items()
            if not isinstance(obj, dict) or obj.get("table") not in argv[2:]:
                continue
            if kind in ("set", "map"):
                lines += sorted("%s %s: %s" % (obj["table"], obj["name"], val(e))
                                for e in obj.get("elem", []))
            elif kind == "rule":
                lines.append("%s %s: %s" % (obj["table"], obj["chain"],
                                            "; ".join(stmt(s) for s in obj["expr"])))
        for line in lines:
            print(line)
    elif cmd == "chains":
        names = [o["chain"]["name"] for o in nft_json("table", *argv[2:4]) if "chain" in o]
        for n in sorted(names):
            print(n)
    elif cmd == "rules":
        fam, table, chain = argv[2:5]
        for o in nft_json("chain", fam, table, chain):
            if "rule" in o:
                print("; ".join(stmt(s) for s in o["rule"]["expr"]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
