#!/usr/bin/env python3
"""evilpeer.py: plays a broken or hostile peer on a signer or validator
socket.

Usage: evilpeer.py SOCKET CASE.  Prints what came back: "closed" when the
signer dropped the connection, "error CODE MESSAGE" for an IPC_ANS_ERROR,
or "answer TYPE" for anything else.
"""
import os
import socket
import struct
import sys

VERSION = 7  # IPC_VERSION in ipc/ipc.h
REQ_ISSUE, REQ_PING, REQ_REVOKE, REQ_LIST = 100, 10, 102, 112
REQ_DIRLIST, REQ_SYNC = 150, 152


def frame(mtype, body, version=VERSION, length=None, ca_id=1):
    if length is None:
        length = len(body)
    return struct.pack("!HHIII", version, mtype, 7, ca_id, length) + body


def lp(data):
    return struct.pack("!I", len(data)) + data


CASES = {
    "garbage": os.urandom(300),
    "truncated": frame(REQ_PING, b"")[:9],
    "oversized": frame(REQ_ISSUE, b"", length=64 * 1024 * 1024),
    "version": frame(REQ_PING, b"", version=99),
    "type": frame(4242, b""),
    "trailing": frame(REQ_PING, b"x"),
    "badlen": frame(REQ_ISSUE, lp(b"device") + struct.pack("!I", 900000)
                    + b"\0" * 40),
    "nul": frame(REQ_REVOKE, lp(b"0A\0B") + struct.pack("!I", 1)),
    "reason": frame(REQ_REVOKE, lp(b"0A") + struct.pack("!I", 99)),
    "csr": frame(REQ_ISSUE, lp(b"device") + lp(os.urandom(200)) + lp(b"")
                 + lp(b"") + lp(b"") + struct.pack("!I", 0)),
    "ca": frame(REQ_PING, b"", ca_id=77),
    "dirlist": frame(REQ_DIRLIST, struct.pack("!Q", 0)),
    "sync": frame(REQ_SYNC, b""),
    "sync_trailing": frame(REQ_SYNC, b"x"),
}


def main():
    path, case = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    try:
        s.sendall(CASES[case])
        if case == "truncated":
            s.shutdown(socket.SHUT_WR)
        hdr = s.recv(16, socket.MSG_WAITALL)
    except (ConnectionResetError, BrokenPipeError):
        hdr = b""
    if len(hdr) < 16:
        print("closed")
        return
    _, mtype, _, _, length = struct.unpack("!HHIII", hdr)
    body = s.recv(length, socket.MSG_WAITALL) if length else b""
    if mtype == 1:
        code, n = struct.unpack("!II", body[:8])
        print("error", code, body[8:8 + n].decode())
    else:
        print("answer", mtype)


if __name__ == "__main__":
    main()
