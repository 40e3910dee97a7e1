#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Send one hand-made generic netlink request to the flowlane family and
print how the kernel answered, for the tests of malformed input:

    nlraw.py CMD[d] [TYPE:KIND:VALUE ...]

A "d" after CMD sends a dump request (NLM_F_DUMP).

KIND is u8, u16, u32, u64, str (NUL-terminated), raw (no NUL) or hex
(bytes). CMD and TYPE are numbers, so that anything can be sent. Prints
"ok" or "error <errno name>: <extack message> [attr N]" (the attribute
the kernel pointed at, or "[missing attr N]") and exits 0 either way
(2 on a usage or socket problem).
"""
import errno
import os
import socket
import struct
import sys

NETLINK_GENERIC = 16
GENL_ID_CTRL = 16
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 1, 4, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_ACK_TLVS = 0x200
NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS, NLMSGERR_ATTR_MISS_TYPE = 1, 2, 5
NLA_HDR_OFFSET = 20  # nlmsghdr + genlmsghdr: where the first attribute starts
SOL_NETLINK, NETLINK_EXT_ACK, NETLINK_CAP_ACK = 270, 11, 10


def attr(atype, payload):
    hdr = struct.pack("HH", 4 + len(payload), atype)
    pad = b"\0" * ((4 - len(payload) % 4) % 4)
    return hdr + payload + pad


def encode(spec):
    atype, kind, value = spec.split(":", 2)
    fmt = {"u8": "B", "u16": "H", "u32": "I", "u64": "Q"}
    if kind in fmt:
        payload = struct.pack(fmt[kind], int(value, 0))
    elif kind == "str":
        payload = value.encode() + b"\0"
    elif kind == "raw":
        payload = value.encode()
    elif kind == "hex":
        payload = bytes.fromhex(value)
    else:
        raise ValueError(f"unknown kind '{kind}'")
    return attr(int(atype), payload)


def attrs_of(data):
    out = {}
    while len(data) >= 4:
        alen, atype = struct.unpack("HH", data[:4])
        if alen < 4:
            break
        out[atype & 0x3FFF] = data[4:alen]
        data = data[(alen + 3) & ~3:]
    return out


def request(sock, family, cmd, payload, seq, flags=0):
    body = struct.pack("BBH", cmd, 1, 0) + payload
    msg = struct.pack("IHHII", 16 + len(body), family, NLM_F_REQUEST | NLM_F_ACK | flags, seq, 0) + body
    sock.send(msg)
    replies = []
    while True:
        data = sock.recv(65536)
        while data:
            mlen, mtype, mflags, _, _ = struct.unpack("IHHII", data[:16])
            replies.append((mtype, mflags, data[16:mlen]))
            if mtype in (NLMSG_ERROR, NLMSG_DONE):
                return replies
            data = data[(mlen + 3) & ~3:]


def attr_at(payload, offset):
    """The type of the attribute of our request that starts at offset."""
    pos = NLA_HDR_OFFSET
    while payload:
        alen, atype = struct.unpack("HH", payload[:4])
        if pos == offset:
            return atype
        step = (alen + 3) & ~3
        pos, payload = pos + step, payload[step:]
    return None


def error_of(reply, request_payload):
    """errno, extack message, and which attribute: at the offset the kernel
    pointed to, or the missing one."""
    mtype, mflags, payload = reply
    err = struct.unpack("i", payload[:4])[0]
    msg, where = "", ""
    if mflags & NLM_F_ACK_TLVS:
        # after nlmsgerr with the capped header, or after NLMSG_DONE's int
        tlvs = attrs_of(payload[20:] if mtype == NLMSG_ERROR else payload[4:])
        msg = tlvs.get(NLMSGERR_ATTR_MSG, b"").rstrip(b"\0").decode()
        if NLMSGERR_ATTR_OFFS in tlvs:
            off = struct.unpack("I", tlvs[NLMSGERR_ATTR_OFFS][:4])[0]
            where = f" [attr {attr_at(request_payload, off)}]"
        if NLMSGERR_ATTR_MISS_TYPE in tlvs:
            miss = struct.unpack("I", tlvs[NLMSGERR_ATTR_MISS_TYPE][:4])[0]
            where = f" [missing attr {miss}]"
    return err, msg + where


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
    sock.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
    sock.bind((0, 0))
    replies = request(sock, GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
                      attr(CTRL_ATTR_FAMILY_NAME, b"flowlane\0"), 1)
    family = None
    for mtype, _, payload in replies:
        if mtype == GENL_ID_CTRL:
            family = struct.unpack("H", attrs_of(payload[4:])[CTRL_ATTR_FAMILY_ID][:2])[0]
    if family is None:
        print("flowlane family not registered", file=sys.stderr)
        return 2
    payload = b"".join(encode(s) for s in sys.argv[2:])
    cmd = sys.argv[1]
    flags = NLM_F_DUMP if cmd.endswith("d") else 0
    err, msg = error_of(request(sock, family, int(cmd.rstrip("d")), payload, 2, flags)[-1], payload)
    if err == 0:
        print("ok")
    else:
        print(f"error {errno.errorcode.get(-err, -err)}: {msg}")
    return 0


sys.exit(main())
