#!/usr/bin/env python3
"""limits.py: hostile and patient HTTP clients for limits.sh, on loopback.

Each mode prints one line saying what it saw and exits 0 when that is what
the frontend's limits promise, 1 when not.  Every wait is bounded.

  slow PORT SECS        one byte a second; cut off within SECS (+1 s)?
  idle PORT SECS MAX    not a byte; cut off at SECS, before MAX?
  bigpost PORT          10 MB body: 413 before the body was read?
  headers PORT SIZE     headers of SIZE bytes: 400 or 431?
  cap PORT N            N idle connections: is the next one held back
                        until one of them closes?
  nowrite PORT SECS     a client that never reads: cut off after SECS?
  hold PORT FILE [leave]  POST FILE as PKIOperation; says "sent" once
                        the frontend has read it, then waits for the
                        answer (HTTP 200 wanted), or with leave goes away
  proxy PORT PAD DIR    SCEP proxy that turns POST PKIOperation into a
                        GET of at least PAD bytes (port in DIR/port)
"""
import base64
import http.server
import select
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

HOST = "127.0.0.1"
LIMIT = 60  # seconds: no mode waits longer


def done(ok, what):
    print(what, flush=True)
    sys.exit(0 if ok else 1)


def connect(port, rcvbuf=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(LIMIT)
    s.connect((HOST, port))
    return s


def closed(s, wait):
    """True if the peer ended the connection within wait seconds."""
    r, _, _ = select.select([s], [], [], wait)
    if not r:
        return False
    try:
        return s.recv(65536) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True


def response(s, wait=LIMIT):
    """The status code of the answer on s, 0 if none came."""
    data = b""
    end = time.monotonic() + wait
    while b"\r\n" not in data and time.monotonic() < end:
        r, _, _ = select.select([s], [], [], end - time.monotonic())
        if not r:
            break
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            break
        if not chunk:
            break
        data += chunk
    parts = data.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def server_side(port, peer_port):
    """(state, tx_queue, rx_queue) of the frontend's socket to peer_port,
    or None.  State 1 is ESTABLISHED."""
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            p = line.split()
            lport = int(p[1].split(":")[1], 16)
            rport = int(p[2].split(":")[1], 16)
            if lport == port and rport == peer_port:
                tx, rx = p[4].split(":")
                return int(p[3], 16), int(tx, 16), int(rx, 16)
    return None


def wait_until(cond, wait):
    """Polls cond every 50 ms; the seconds it took, or None."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < wait:
        if cond():
            return time.monotonic() - t0
        time.sleep(0.05)
    return None


def slow(port, secs):
    s = connect(port)
    t0 = time.monotonic()
    req = b"GET /scep?operation=GetCACaps HTTP/1.1\r\nHost: k\r\n" \
        b"X-Slow: " + b"a" * 200 + b"\r\n\r\n"
    for i in range(len(req)):
        try:
            s.send(req[i:i + 1])
        except (ConnectionResetError, BrokenPipeError):
            break
        if closed(s, 1.0) or time.monotonic() - t0 > secs + 5:
            break
    took = time.monotonic() - t0
    done(secs - 0.5 <= took <= secs + 1.0,
         "cut off after %.1f s (read_timeout %d s)" % (took, secs))


def idle(port, secs, longer):
    s = connect(port)
    t0 = time.monotonic()
    cut = closed(s, longer + 2)
    took = time.monotonic() - t0
    done(cut and secs - 0.5 <= took <= secs + 1.0 and took < longer,
         "silent client cut off after %.1f s (idle_timeout %d s)" %
         (took, secs))


def bigpost(port):
    s = connect(port)
    total = 10 * 1000 * 1000
    s.sendall(b"POST /scep?operation=PKIOperation HTTP/1.1\r\nHost: k\r\n"
              b"Content-Type: application/x-pki-message\r\n"
              b"Content-Length: %d\r\n\r\n" % total)
    s.setblocking(False)
    sent, chunk, t0 = 0, b"\0" * 65536, time.monotonic()
    while sent < total and time.monotonic() - t0 < LIMIT:
        r, w, _ = select.select([s], [s], [], 1.0)
        if r:
            break
        if w:
            try:
                sent += s.send(chunk)
            except BlockingIOError:
                pass
            except (ConnectionResetError, BrokenPipeError):
                break
    s.setblocking(True)
    code = response(s, 5)
    done(code == 413 and sent < total // 2,
         "HTTP %d after %d of %d body bytes" % (code, sent, total))


def headers(port, size):
    s = connect(port)
    s.sendall(b"GET /scep?operation=GetCACaps HTTP/1.1\r\nHost: k\r\n"
              b"X-Pad: " + b"a" * size + b"\r\n\r\n")
    code = response(s)
    done(code in (400, 431), "HTTP %d for %d bytes of headers" % (code, size))


def cap(port, n):
    held = [connect(port) for _ in range(n)]
    extra = connect(port)
    extra.sendall(b"GET /scep?operation=GetCACaps HTTP/1.1\r\nHost: k\r\n\r\n")
    early = response(extra, 1.0)
    if early:
        done(False, "connection %d served at once (HTTP %d)" % (n + 1, early))
    held.pop(0).close()
    code = response(extra, 3.0)
    alive = 0
    for s in held:
        s.setblocking(False)
        try:
            alive += s.recv(1) != b""
        except BlockingIOError:
            alive += 1
        except ConnectionResetError:
            pass
    done(code == 200 and alive == n - 1,
         "connection %d waited, then HTTP %d once one closed; %d of %d "
         "others still open" % (n + 1, code, alive, n - 1))


def flood(s, data):
    try:
        s.sendall(data)
    except OSError:
        pass


def nowrite(port, secs):
    """Pipelines more requests than the socket buffers can hold replies
    for, never reads, and measures how long the frontend's side stood
    still (the write stalled) before it went away."""
    s = connect(port, rcvbuf=4096)
    me = s.getsockname()[1]
    req = b"GET /scep?operation=GetCACaps HTTP/1.1\r\nHost: k\r\n\r\n"
    threading.Thread(target=flood, args=(s, req * 40000), daemon=True).start()
    last, moved, t0 = None, time.monotonic(), time.monotonic()
    side = server_side(port, me)
    while side is not None and side[0] == 1 and \
            time.monotonic() - t0 < LIMIT:
        if side != last:
            last, moved = side, time.monotonic()
        time.sleep(0.05)
        side = server_side(port, me)
    still = time.monotonic() - moved
    ended = side is None or side[0] != 1
    done(ended and secs - 0.5 <= still <= secs + 1.0,
         "client that never reads cut off after its reply stood still "
         "%.1f s (write_timeout %d s)" % (still, secs))


def hold(port, path, leave):
    body = open(path, "rb").read()
    s = connect(port)
    me = s.getsockname()[1]
    s.sendall(b"POST /scep?operation=PKIOperation HTTP/1.1\r\nHost: k\r\n"
              b"Content-Type: application/x-pki-message\r\n"
              b"Content-Length: %d\r\n\r\n" % len(body) + body)
    if wait_until(lambda: (server_side(port, me) or (0, 0, 1))[2] == 0,
                  10) is None:
        done(False, "the frontend did not read the request")
    print("sent", flush=True)
    if leave:
        s.close()
        done(True, "went away while the PKIOperation waited")
    code = response(s)
    done(code == 200, "held PKIOperation answered with HTTP %d" % code)


class Proxy(http.server.BaseHTTPRequestHandler):
    upstream = None
    pad = 0
    out = None

    def log_message(self, fmt, *args):
        pass

    def forward(self, path):
        try:
            with urllib.request.urlopen(self.upstream + path,
                                        timeout=LIMIT) as r:
                code, ctype, body = r.status, r.headers["Content-Type"], \
                    r.read()
        except urllib.error.HTTPError as e:
            code, ctype, body = e.code, e.headers["Content-Type"], e.read()
        self.send_response(code)
        self.send_header("Content-Type", ctype or "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.forward(self.path)

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with open(self.out + "/pkimsg.der", "wb") as f:
            f.write(body)
        path = self.path.split("?")[0] + "?operation=PKIOperation&message=" \
            + urllib.parse.quote(base64.b64encode(body), safe="")
        path += "&pad=" + "p" * max(0, self.pad - len(path))
        with open(self.out + "/get.len", "w") as f:
            f.write("%d\n" % len(path))
        self.forward(path)


def proxy(port, pad, out):
    Proxy.upstream = "http://%s:%d" % (HOST, port)
    Proxy.pad = pad
    Proxy.out = out
    srv = http.server.HTTPServer((HOST, 0), Proxy)
    with open(out + "/port", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    threading.Timer(LIMIT * 2, srv.shutdown).start()
    srv.serve_forever()


def main():
    a = sys.argv[1:]
    modes = {
        "slow": lambda: slow(int(a[1]), int(a[2])),
        "idle": lambda: idle(int(a[1]), int(a[2]), int(a[3])),
        "bigpost": lambda: bigpost(int(a[1])),
        "headers": lambda: headers(int(a[1]), int(a[2])),
        "cap": lambda: cap(int(a[1]), int(a[2])),
        "nowrite": lambda: nowrite(int(a[1]), int(a[2])),
        "hold": lambda: hold(int(a[1]), a[2], a[3:] == ["leave"]),
        "proxy": lambda: proxy(int(a[1]), int(a[2]), a[3]),
    }
    if not a or a[0] not in modes:
        done(False, __doc__)
    modes[a[0]]()


if __name__ == "__main__":
    main()
