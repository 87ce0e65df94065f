#!/usr/bin/env python3
"""ocspreq.py: OCSP requests no ordinary client sends, for ocsp.sh.

Usage: ocspreq.py nonce REQ.der LEN OUT.der
         REQ.der (one CertID, no nonce) with a nonce of LEN bytes
       ocspreq.py rawnonce REQ.der LEN OUT.der
         the same, the nonce's extnValue without the inner OCTET STRING
       ocspreq.py get REQ.der
         prints the RFC 5019 GET path element: URL-encoded base64
"""
import base64
import sys
import urllib.parse

NONCE_OID = bytes.fromhex("06092b0601050507300102")  # 1.3.6.1.5.5.7.48.1.2


def tlv(tag, body):
    n = len(body)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + body


def first(der):
    """The body of the first TLV in der, and the whole first TLV."""
    n, off = der[1], 2
    if n & 0x80:
        k = n & 0x7F
        n, off = int.from_bytes(der[2:2 + k], "big"), 2 + k
    return der[off:off + n], der[:off + n]


def with_nonce(req, length, inner):
    tbs_tlv, _ = first(req)           # OCSPRequest's content
    tbs, _ = first(tbs_tlv)           # TBSRequest's content
    _, reqlist_tlv = first(tbs)       # its requestList, whole
    value = bytes(range(256)) * (length // 256 + 1)
    value = value[:length]
    extn = tlv(0x04, value) if inner else value
    ext = tlv(0x30, NONCE_OID + tlv(0x04, extn))
    exts = tlv(0xA2, tlv(0x30, ext))
    return tlv(0x30, tlv(0x30, reqlist_tlv + exts))


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    with open(path, "rb") as f:
        req = f.read()
    if cmd == "get":
        print(urllib.parse.quote(base64.b64encode(req).decode(), safe=""))
        return
    out = with_nonce(req, int(sys.argv[3]), cmd == "nonce")
    with open(sys.argv[4], "wb") as f:
        f.write(out)


main()
