#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Both ends of the load-balancing tests (unit/apply_lb.sh), run inside
network namespaces:

  lbpeer.py server NAME PORT     accept TCP connections; send "NAME\\n" on each,
                                 then echo every line back until it closes
  lbpeer.py seq ADDR PORT N      N connections one after the other: the names
                                 of the backends that answered, one per line
  lbpeer.py hold ADDR PORT FILE  one connection: print the backend's name,
                                 wait until FILE exists, send a line and print
                                 "echo ok" when it comes back ("echo failed")
  lbpeer.py burst ADDR PORT N    N connections opened at once: after 0.5 s,
                                 how many were established (before the first
                                 SYN retransmission, so one SYN each)

LBPEER_SRC=ADDR makes seq and hold connect from ADDR. ADDR may be IPv6.
"""
import os
import select
import socket
import sys
import threading
import time


def serve(name, port):
    # Both families on one socket: IPv4 clients arrive as ::ffff:a.b.c.d.
    srv = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    srv.bind(("::", port))
    srv.listen(64)

    def one(c):
        with c:
            try:
                c.sendall((name + "\n").encode())
                for line in c.makefile("rb"):
                    c.sendall(line)
            except OSError:
                pass    # the client closed with a reset

    while True:
        c, _ = srv.accept()
        threading.Thread(target=one, args=(c,), daemon=True).start()


def connect(addr, port):
    # LBPEER_SRC: the client address to connect from (hash tests).
    src = os.environ.get("LBPEER_SRC")
    s = socket.create_connection((addr, port), timeout=3,
                                 source_address=(src, 0) if src else None)
    f = s.makefile("rb")
    return s, f, f.readline().decode().strip()


def seq(addr, port, n):
    for _ in range(n):
        try:
            s, f, name = connect(addr, port)
            s.close()
        except OSError:
            name = "none"
        print(name, flush=True)


def hold(addr, port, path):
    s, f, name = connect(addr, port)
    print(name, flush=True)
    while not os.path.exists(path):
        time.sleep(0.05)
    try:
        s.sendall(b"still there\n")
        print("echo ok" if f.readline() == b"still there\n" else "echo failed", flush=True)
    except OSError:
        print("echo failed", flush=True)


def burst(addr, port, n):
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET,
                          socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex((addr, port))
        socks.append(s)
    time.sleep(0.5)
    _, w, _ = select.select([], socks, [], 0)
    print(sum(1 for s in w if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "server":
        serve(args[0], int(args[1]))
    elif cmd == "seq":
        seq(args[0], int(args[1]), int(args[2]))
    elif cmd == "hold":
        hold(args[0], int(args[1]), args[2])
    elif cmd == "burst":
        burst(args[0], int(args[1]), int(args[2]))
    else:
        sys.exit(__doc__)
