#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Small traffic ends for flowlane's guest tests (no nc/socat needed).

  netpeer.py tcp-listen PORT FILE     accept forever; append each peer's address to FILE
  netpeer.py tcp-connect IP PORT      exit 0 when connected within 2 s, else 1
  netpeer.py udp-echo PORT            echo every datagram
  netpeer.py udp-count PORT FILE      count datagrams; write the count to FILE
  netpeer.py udp-send IP PORT SPORT   one datagram from SPORT; print "reply" or "timeout"
  netpeer.py udp-flood IP PORT N      N datagrams, each from a new source port
  netpeer.py tcp-echo PORT            echo every line of every connection
  netpeer.py tcp-chat IP PORT [SECS]  one long-lived connection: print "connected
                                      sport=N", then send each line of stdin and
                                      print "echo LINE", or "timeout" after SECS
                                      (default 5)
  netpeer.py tcp-mirror PORT          send back every byte of every connection
                                      (IPv4 and IPv6); print "listening"
  netpeer.py tcp-roundtrip IP PORT BYTES [SPORT]
                                      send BYTES seeded pseudo-random bytes to a
                                      tcp-mirror while reading them back; print
                                      "sent=N back=N same=yes|no"
"""
import socket
import sys
import threading

# asm-generic/socket.h; Python names SO_RCVBUF but not its CAP_NET_ADMIN form.
SO_RCVBUFFORCE = 33


def echo_lines(c):
    with c:
        while True:
            data = c.recv(4096)
            if not data:
                return
            c.sendall(data)


def mirror(port):
    s = socket.socket(socket.AF_INET6)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port))
    s.listen(16)
    print("listening", flush=True)
    while True:
        c, _ = s.accept()
        threading.Thread(target=echo_lines, args=(c,), daemon=True).start()


def roundtrip(ip, port, size, sport):
    """Both directions at once, as a bulk transfer: the writer never waits
    for the reader, so both carry full-sized segments."""
    import random
    data = random.Random(size).randbytes(size)
    s = socket.create_connection((ip, port), timeout=60,
                                 source_address=("", sport) if sport else None)
    writer = threading.Thread(target=s.sendall, args=(data,), daemon=True)
    writer.start()
    back = bytearray()
    try:
        while len(back) < size:
            chunk = s.recv(65536)
            if not chunk:
                break
            back += chunk
    except OSError:
        pass
    writer.join(5)
    s.close()
    print("sent=%d back=%d same=%s" % (size, len(back),
                                       "yes" if back == data else "no"))
    return 0 if back == data else 1


def chat(ip, port, secs):
    s = socket.create_connection((ip, port), timeout=secs)
    print("connected sport=%d" % s.getsockname()[1], flush=True)
    f = s.makefile("rb")
    for line in sys.stdin:
        s.sendall(line.encode())
        try:
            got = f.readline().decode().rstrip("\n")
        except (socket.timeout, OSError):
            got = None
        # After a timeout the stream is out of step: stop there.
        print("echo " + got if got else "timeout", flush=True)
        if not got:
            return 1
    return 0


def main(a):
    cmd = a[1]
    if cmd == "tcp-listen":
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", int(a[2])))
        s.listen(16)
        while True:
            c, peer = s.accept()
            with open(a[3], "a") as f:
                f.write(peer[0] + "\n")
            c.close()
    elif cmd == "tcp-connect":
        try:
            socket.create_connection((a[2], int(a[3])), timeout=2).close()
            return 0
        except OSError:
            return 1
    elif cmd == "udp-echo":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", int(a[2])))
        while True:
            data, peer = s.recvfrom(2048)
            s.sendto(data, peer)
    elif cmd == "udp-count":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        # A burst of tiny datagrams to a receiver slowed by TCG overflows
        # the default buffer (rmem_default holds ~280 of them): room for
        # any burst a test sends, forced past rmem_max (we are root).
        s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 8 << 20)
        s.bind(("0.0.0.0", int(a[2])))
        n = 0
        while True:
            s.recvfrom(2048)
            n += 1
            with open(a[3], "w") as f:
                f.write("%d\n" % n)
    elif cmd == "udp-send":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", int(a[4])))
        s.settimeout(1.5)
        s.sendto(b"ping", (a[2], int(a[3])))
        try:
            s.recvfrom(2048)
            print("reply")
        except socket.timeout:
            print("timeout")
    elif cmd == "tcp-echo":
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", int(a[2])))
        s.listen(16)
        while True:
            c, _ = s.accept()
            threading.Thread(target=echo_lines, args=(c,), daemon=True).start()
    elif cmd == "tcp-chat":
        return chat(a[2], int(a[3]), float(a[4]) if len(a) > 4 else 5)
    elif cmd == "tcp-mirror":
        mirror(int(a[2]))
    elif cmd == "tcp-roundtrip":
        return roundtrip(a[2], int(a[3]), int(a[4]), int(a[5]) if len(a) > 5 else 0)
    elif cmd == "udp-flood":
        for _ in range(int(a[4])):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.sendto(b"x", (a[2], int(a[3])))
            s.close()
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
