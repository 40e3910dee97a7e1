#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Print the `flowlane apply` document of the scale scenario: N VMs, one of
them the pps sink (10.0.2.99, UDP port 9 allowed) that bench/guest.sh sends
to, the N-1 others shaped as in the apply tests (selftests/vmdoc.py: a tap
interface, private IPv4 and IPv6, every third with a public IPv4, ssh and
https inbound). All in the tag `tenant` (id 10, the ct mark the other
variants set by hand).

    scaledoc.py N [--threshold T]

--threshold adds the fast path (the router's two veths, threshold T, the
tag's too): the document of the flowlane-T variant, applied with the
module. Without it the document is for `flowlane apply --nft-only`.
"""
import argparse
import json

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("n", type=int)
ap.add_argument("--threshold", type=int)
a = ap.parse_args()

tag = {"name": "tenant", "id": 10}
doc = {"tags": [tag], "uplinks": ["veth-rc"]}
if a.threshold is not None:
    doc["fastpath"] = {"devices": ["veth-rc", "veth-rs"], "threshold": a.threshold}
    tag["threshold"] = a.threshold
vms = [{"name": "sink", "tag": "tenant", "ipv4": "10.0.2.99",
        "firewall": [{"proto": "udp", "port": 9}]}]
for i in range(a.n - 1):
    j = i + 2
    vm = {"name": "vm%d" % i, "tag": "tenant", "interfaces": ["tap%d" % i],
          "ipv4": "10.%d.%d.%d" % (1 + j // 65536, (j // 256) % 256, j % 256),
          "ipv6": "fd00::%x" % (i + 1),
          "firewall": [{"proto": "tcp", "port": 22, "source": "198.51.100.0/24"},
                       {"proto": "tcp", "port": 443}]}
    if i % 3 == 0:
        vm["public_ipv4"] = "100.%d.%d.%d" % (64 + j // 65536, (j // 256) % 256, j % 256)
    vms.append(vm)
doc["vms"] = vms
print(json.dumps(doc, indent=1))
