#!/usr/bin/env python3
"""connectproxy.py: a tiny HTTP CONNECT proxy on 127.0.0.1 for keyward's
tests.  It requires Basic proxy authentication (--user, --password-file),
answers 407 without it, tunnels only to 127.0.0.1, and records every
CONNECT as one JSON line in --log: t, target, proxy_authorization (the
header as received, or null), accepted.

usage: connectproxy.py --user U --password-file F --log FILE
                       [--port N] [--port-file FILE]
"""
import argparse
import base64
import json
import os
import select
import signal
import socket
import socketserver
import sys
import threading
import time

HEADER_MAX = 64


class Handler(socketserver.StreamRequestHandler):
    def reply(self, status, extra=""):
        self.wfile.write(("HTTP/1.1 %s\r\n%sContent-Length: 0\r\n\r\n"
                          % (status, extra)).encode())

    def handle(self):
        line = self.rfile.readline(8192).decode("latin-1").split()
        headers = {}
        for _ in range(HEADER_MAX):
            h = self.rfile.readline(8192).decode("latin-1")
            if h in ("\r\n", "\n", ""):
                break
            k, _, v = h.partition(":")
            headers[k.strip().lower()] = v.strip()
        if len(line) != 3 or line[0] != "CONNECT":
            self.reply("405 Method Not Allowed")
            return
        target = line[1]
        auth = headers.get("proxy-authorization")
        accepted = auth == "Basic " + self.server.expected
        host, _, port = target.rpartition(":")
        self.server.record({"t": time.time(), "target": target,
                            "proxy_authorization": auth,
                            "accepted": accepted})
        if not accepted:
            self.reply("407 Proxy Authentication Required",
                       'Proxy-Authenticate: Basic realm="fake"\r\n')
            return
        if host != "127.0.0.1" or not port.isdigit():
            self.reply("403 Forbidden")
            return
        try:
            up = socket.create_connection((host, int(port)), timeout=10)
        except OSError:
            self.reply("502 Bad Gateway")
            return
        self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.relay(self.connection, up)

    def relay(self, a, b):
        """Copies bytes both ways until either side closes."""
        with b:
            while True:
                ready, _, _ = select.select([a, b], [], [], 60)
                if not ready:
                    return
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        return
                    (b if s is a else a).sendall(data)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def record(self, entry):
        with self.lock:
            self.log.write(json.dumps(entry) + "\n")
            self.log.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--user", required=True)
    ap.add_argument("--password-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    args = ap.parse_args()
    with open(args.password_file) as f:
        password = f.readline().rstrip("\r\n")
    srv = Server(("127.0.0.1", args.port), Handler)
    srv.lock = threading.Lock()
    srv.log = open(args.log, "a", encoding="utf-8")
    srv.expected = base64.b64encode(
        ("%s:%s" % (args.user, password)).encode()).decode()
    port = srv.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.rename(args.port_file + ".tmp", args.port_file)
    print(port, flush=True)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
