#!/bin/sh
# ocsp-bench.sh: OCSP throughput of keyward against its yardsticks, in one
# run, with one load generator (wrk, keep-alive, on loopback):
#  (a) cached RFC 5019 GET from keyward vs nginx serving the same
#      pre-signed response (keywardctl export-ocsp) as a static file, one
#      nginx worker per keyward frontend;
#  (b) live nonce responses from keyward vs the token's raw RSA-2048
#      signing rate through libp11 (bench/tokenrate, one session);
#  (c) cached POST responses from keyward vs `openssl ocsp -index ...
#      -multi 2` answering for a CA of the same shape whose keys are files
#      (a token key cannot leave the token, so it serves a replica CA:
#      RSA-3072 CA, RSA-2048 responder, like keyward's defaults).
# Not a test: run it by hand on a quiet machine, as root (keyward drops
# to its users).  It prints each figure and the ratios to the targets.
#
# usage: bench/ocsp-bench.sh [BUILD_DIR [SECONDS [CONNECTIONS]]]
set -u
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
top_builddir=$(cd "${1:-$top_srcdir/build/plain}" && pwd)
DUR=${2:-5}
CONNS=${3:-32}
export top_srcdir top_builddir
for t in wrk nginx openssl curl; do
	command -v $t >/dev/null || { echo "ocsp-bench: needs $t"; exit 1; }
done
[ -x "$top_builddir/bench/tokenrate" ] || {
	echo "ocsp-bench: build first (no $top_builddir/bench/tokenrate)"; exit 1; }
. "$top_srcdir/tests/e2e/lib.sh"
# Servers run in process groups of their own, stopped as a group:
# openssl ocsp -multi forks workers that would outlive their parent.
PIDS=
cleanup() {
	for p in $PIDS; do kill -- "-$p" 2>/dev/null; done
	stop_keyward
	rm -rf "$T"
}
trap 'cleanup; exit 1' INT TERM
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# rps URL [wrk args]: requests per second as wrk measured them.
rps() {
	u=$1; shift
	wrk -t1 -c"$CONNS" -d"${DUR}s" "$@" "$u" 2>&1 |
	    sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p'
}
# post_lua FILE: a wrk script that POSTs FILE as an OCSP request.
post_lua() {
	printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = '
	printf '"application/ocsp-request"\nlocal f = io.open("%s", "rb")\n' "$1"
	printf 'wrk.body = f:read("*a")\nf:close()\n'
}
die() { echo "ocsp-bench: $*"; cleanup; exit 1; }

make_ca || die "cannot create the CA (see $T/init.out)"
raw=$("$B/bench/tokenrate" -c "$CONF" -r ocsp -s "$DUR" | sed -n 's/^signatures\/s //p')
start_keyward || die "keyward does not start"
ctl ca-cert >"$T/ca.pem"
csr dev -subj "/CN=bench-device"
ctl issue --csr "$T/dev.csr" --profile device --out "$T/dev.pem" 2>/dev/null
openssl ocsp -issuer "$T/ca.pem" -cert "$T/dev.pem" -no_nonce \
    -reqout "$T/plain.der" >/dev/null 2>&1
openssl ocsp -issuer "$T/ca.pem" -cert "$T/dev.pem" \
    -reqout "$T/nonce.der" >/dev/null 2>&1
GETPATH=/ocsp/$(python3 "$top_srcdir/tests/e2e/ocspreq.py" get "$T/plain.der")
# The first request signs and stores the response; the rest are cached.
curl -sf -o /dev/null "http://127.0.0.1:$PORT$GETPATH" || die "no OCSP answer"
ctl export-ocsp "$T/www" >/dev/null || die "export-ocsp failed"
post_lua "$T/plain.der" >"$T/plain.lua"
post_lua "$T/nonce.der" >"$T/nonce.lua"

# nginx: as many workers as keyward has frontends.
NPORT=$(free_port)
frontends=$(sed -n 's/^frontends *= *//p' "$CONF")
mkdir -p "$T/nginx"
cat >"$T/nginx/nginx.conf" <<EOF
worker_processes ${frontends:-1};
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	server {
		listen 127.0.0.1:$NPORT;
		merge_slashes off;
		root $T/www;
		location /ocsp/ { default_type application/ocsp-response; }
	}
}
EOF
setsid nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" -g 'daemon off;' &
PIDS="$PIDS $!"
wait_for curl -sf -o /dev/null "http://127.0.0.1:$NPORT$GETPATH" ||
    die "nginx does not serve the exported response"

# openssl ocsp with file keys: a replica CA, responder and certificate.
R=$T/replica
mkdir -p "$R"
openssl req -x509 -newkey rsa:3072 -nodes -keyout "$R/ca.key" -days 2 \
    -subj "/O=keyward/CN=keyward Demo Root CA" -out "$R/ca.pem" 2>/dev/null
printf 'extendedKeyUsage = OCSPSigning\n' >"$R/ocsp.ext"
openssl req -newkey rsa:2048 -nodes -keyout "$R/ocsp.key" \
    -subj "/CN=keyward OCSP Responder" 2>/dev/null |
    openssl x509 -req -CA "$R/ca.pem" -CAkey "$R/ca.key" -set_serial 2 \
    -days 2 -extfile "$R/ocsp.ext" -out "$R/ocsp.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$R/dev.key" \
    -subj "/CN=bench-device" 2>/dev/null |
    openssl x509 -req -CA "$R/ca.pem" -CAkey "$R/ca.key" -set_serial 3 \
    -days 2 -out "$R/dev.pem" 2>/dev/null
printf 'V\t%s\t\t03\tunknown\t/CN=bench-device\n' \
    "$(date -u -d tomorrow +%y%m%d%H%M%SZ)" >"$R/index.txt"
OPORT=$(free_port)
# -multi puts itself in a process group of its own (setpgid).
openssl ocsp -index "$R/index.txt" -port "$OPORT" -rsigner "$R/ocsp.pem" \
    -rkey "$R/ocsp.key" -CA "$R/ca.pem" -multi 2 -nmin 60 \
    >"$R/ocsp.log" 2>&1 &
PIDS="$PIDS $!"
openssl ocsp -issuer "$R/ca.pem" -cert "$R/dev.pem" -no_nonce \
    -reqout "$R/plain.der" >/dev/null 2>&1
post_lua "$R/plain.der" >"$R/plain.lua"
wait_for openssl ocsp -issuer "$R/ca.pem" -cert "$R/dev.pem" \
    -url "http://127.0.0.1:$OPORT" -CAfile "$R/ca.pem" ||
    die "openssl ocsp does not answer"

echo "ocsp-bench: wrk -t1 -c$CONNS -d${DUR}s on loopback, $(nproc) cores," \
    "${frontends:-1} frontend(s), $(grep -c '^signer' "$STATE/run/status") signer worker(s)"
kw_get=$(rps "http://127.0.0.1:$PORT$GETPATH")
ng_get=$(rps "http://127.0.0.1:$NPORT$GETPATH")
kw_live=$(rps "http://127.0.0.1:$PORT/ocsp" -s "$T/nonce.lua")
kw_post=$(rps "http://127.0.0.1:$PORT/ocsp" -s "$T/plain.lua")
os_post=$(rps "http://127.0.0.1:$OPORT/" -s "$R/plain.lua")
ctl status >/dev/null || die "keyward failed during the run"
awk -v a="$kw_get" -v b="$ng_get" -v c="$kw_live" -v d="$raw" \
    -v e="$kw_post" -v f="$os_post" 'BEGIN {
	printf "(a) cached GET, keyward        %10.0f responses/s\n", a
	printf "    nginx, same file           %10.0f responses/s\n", b
	printf "    ratio %.2f (target >= 0.80) %s\n", a / b, (a / b >= 0.8 ? "met" : "MISSED")
	printf "(b) live nonce, keyward        %10.0f responses/s\n", c
	printf "    raw token RSA-2048 signing %10.0f signatures/s\n", d
	printf "    ratio %.2f (target >= 0.80) %s\n", c / d, (c / d >= 0.8 ? "met" : "MISSED")
	printf "(c) cached POST, keyward       %10.0f responses/s\n", e
	printf "    openssl ocsp -multi 2      %10.0f responses/s\n", f
	printf "    ratio %.1f (target >= 5)   %s\n", e / f, (e / f >= 5 ? "met" : "MISSED")
}'
cleanup
