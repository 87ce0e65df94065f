#!/usr/bin/env python3
"""decide.py: asks the validator for a decision, as the frontend does.

Usage: decide.py SOCKET ENDPOINT TYPE TXID CSR.der CERT.der
       decide.py SOCKET --raw CASE
Prints "STATUS FAILINFO SERIAL REASON" (SERIAL "-" when empty), or
"closed" when the validator dropped the connection.
"""
import socket
import struct
import sys

VERSION, REQ_DECIDE, ANS_DECIDE, REQ_ISSUE = 7, 130, 131, 100  # ipc/ipc.h


def frame(mtype, body):
    return struct.pack("!HHIII", VERSION, mtype, 9, 1, len(body)) + body


def lp(data):
    return struct.pack("!I", len(data)) + data


def decide_body(endpoint, mtype, txid, csr, cert, issuer=b"", subject=b"",
                serial=b""):
    return (struct.pack("!II", endpoint, mtype) + lp(txid) + lp(csr)
            + lp(cert) + lp(issuer) + lp(subject) + lp(serial))


# Messages a sane frontend never sends: each must cost it the connection.
RAW = {
    "endpoint": frame(REQ_DECIDE, decide_body(7, 19, b"T1", b"x", b"y")),
    "txid": frame(REQ_DECIDE, decide_body(0, 19, b"T\n1", b"x", b"y")),
    "csr": frame(REQ_DECIDE, decide_body(0, 19, b"T1", b"x" * 64,
                                         b"y" * 64)),
    "issue": frame(REQ_ISSUE, lp(b"device") + lp(b"x") + lp(b"")
                   + lp(b"") + lp(b"") + struct.pack("!I", 0)),
}


def answer(s):
    try:
        hdr = s.recv(16, socket.MSG_WAITALL)
    except ConnectionResetError:
        hdr = b""
    if len(hdr) < 16:
        return "closed"
    _, mtype, _, _, length = struct.unpack("!HHIII", hdr)
    body = s.recv(length, socket.MSG_WAITALL) if length else b""
    if mtype != ANS_DECIDE:
        return "answer %d" % mtype
    status, fail, n = struct.unpack("!III", body[:12])
    serial = body[12:12 + n].decode()
    (m,) = struct.unpack("!I", body[12 + n:16 + n])
    reason = body[16 + n:16 + n + m].decode()
    return "%d %d %s %s" % (status, fail, serial or "-", reason)


def main():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(sys.argv[1])
    if sys.argv[2] == "--raw":
        msg = RAW[sys.argv[3]]
    else:
        ep, mtype, txid = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
        with open(sys.argv[5], "rb") as f:
            csr = f.read()
        with open(sys.argv[6], "rb") as f:
            cert = f.read()
        msg = frame(REQ_DECIDE, decide_body(ep, mtype, txid.encode(), csr,
                                            cert))
    s.sendall(msg)
    print(answer(s))


if __name__ == "__main__":
    main()
