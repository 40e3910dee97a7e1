#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Print a flowlane apply document of N VMs, shaped like the Ubicloud seed
has them: a private IPv4 and IPv6, a tap interface, every third VM with a
public IPv4, a tag, ssh and https inbound (and ICMP with --icmp).

    vmdoc.py N [base|fw|del|add] [--icmp] [--service]

fw adds a port range to the middle VM's firewall, del removes that VM, add
appends one VM: the one-VM changes the apply tests and bench/apply.sh time.
--service adds a load-balanced service "www" (198.51.100.80 tcp 80) whose
backends are vm0 and vm1 (N >= 2).
"""
import json
import sys

args = [a for a in sys.argv[1:] if a not in ("--icmp", "--service")]
n = int(args[0])
variant = args[1] if len(args) > 1 else "base"
vms = []
for i in range(n):
    j = i + 2
    vm = {"name": "vm%d" % i, "tag": "web" if i % 2 else "bulk",
          "interfaces": ["tap%d" % i],
          "ipv4": "10.%d.%d.%d" % (1 + j // 65536, (j // 256) % 256, j % 256),
          "ipv6": "fd00::%x" % (i + 1),
          "firewall": [{"proto": "tcp", "port": 22, "source": "198.51.100.0/24"},
                       {"proto": "tcp", "port": 443}]}
    if "--icmp" in sys.argv:
        vm["firewall"].append({"proto": "icmp"})
    if i % 3 == 0:
        vm["public_ipv4"] = "100.%d.%d.%d" % (64 + j // 65536, (j // 256) % 256, j % 256)
    vms.append(vm)
if variant == "fw":
    vms[n // 2]["firewall"].append({"proto": "udp", "port": "60000-61000"})
elif variant == "del":
    del vms[n // 2]
elif variant == "add":
    vms.append({"name": "extra", "ipv4": "10.200.0.1",
                "firewall": [{"proto": "tcp", "port": 80}]})
doc = {"tags": [{"name": "web", "id": 10}, {"name": "bulk", "id": 20}],
       "uplinks": ["lo"], "vms": vms}
if "--service" in sys.argv:
    doc["services"] = [{"name": "www", "address": "198.51.100.80", "proto": "tcp", "port": 80,
                        "backends": [{"address": vms[i]["ipv4"], "port": 8080}
                                     for i in (0, 1)]}]
print(json.dumps(doc, indent=1))
