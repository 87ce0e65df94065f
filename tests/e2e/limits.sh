#!/bin/sh
# limits.sh: the frontend's HTTP limits against a real appliance with
# small limits: slow, silent, greedy and deaf clients are cut off, the
# connection and in-flight caps hold, and honest clients are served
# meanwhile.  The clients are tests/e2e/limits.py.
. "$(dirname "$0")/lib.sh"

L=$top_srcdir/tests/e2e/limits.py
command -v pki >/dev/null || { not_ok "strongswan-pki is installed"; finish; }
# Small limits, so that each is reached within seconds.
limits() {
	make_ca && sed -i "s/^listen = .*/&\nmax_connections = 4\n\
max_inflight = 1\nread_timeout = 5\nwrite_timeout = 2\nidle_timeout = 3\n\
max_body = 32768\nmax_headers = 24576/" "$CONF"
}
limits && start_keyward || { not_ok "appliance starts"; finish; }
URL="http://127.0.0.1:$PORT/scep"
CHALLENGE=$(cat "$STATE/challenge")
export URL CHALLENGE L
(cd "$T" && pki --scepca --url "$URL" --caout ca.der --raout ra.der --force >/dev/null 2>&1)
ctl ca-cert >"$T/ca.pem"
RA=$(ls "$T"/ra*.der | head -1)
export RA

# enrol NAME URL [pki options...]: a key and an enrolment.
enrol() {
	name=$1; url=$2; shift 2
	pki --gen --type rsa --size 2048 --outform der >"$T/$name.key" 2>/dev/null &&
	    pki --scep --url "$url" --in "$T/$name.key" --dn "CN=$name" \
	    --cacert-enc "$RA" --cacert-sig "$RA" --cacert "$T/ca.der" \
	    --password "$CHALLENGE" --outform pem "$@" >"$T/$name.pem" 2>"$T/$name.err"
}

# result DESC PID OUTFILE: a background client's verdict.
result() {
	wait "$2"
	r=$?
	check "$1: $(tail -1 "$3")" test "$r" -eq 0
}

# client DESC MODE ARGS...: a limits.py client's verdict, with what it saw.
client() {
	d=$1; shift
	python3 "$L" "$@" >"$T/client.out" 2>&1
	r=$?
	check "$d: $(tail -1 "$T/client.out")" test "$r" -eq 0
}

python3 "$L" slow "$PORT" 5 >"$T/slow.out" 2>&1 &
slow=$!
check "GetCACaps is served while a client trickles its request" \
    curl -sf -o /dev/null --max-time 5 "$URL?operation=GetCACaps"
check "pki enrols while a client trickles its request" enrol dev1 "$URL"
check "the certificate verifies" openssl verify -CAfile "$T/ca.pem" "$T/dev1.pem"
result "a client sending one byte a second is dropped at read_timeout" "$slow" "$T/slow.out"
client "a silent connection is dropped at idle_timeout" idle "$PORT" 3 5
client "a 10 MB POST gets 413 before its body is read" bigpost "$PORT"
client "headers beyond max_headers are refused" headers "$PORT" 30000

# PKIOperation by GET, 20 KiB of it, through a proxy that rewrites pki's POST.
mkdir "$T/proxy"
python3 "$L" proxy "$PORT" 20480 "$T/proxy" >"$T/proxy.out" 2>&1 &
proxy=$!
wait_for test -s "$T/proxy/port"
check "pki enrols with its PKIOperation sent as a 20 KiB GET" \
    enrol dev2 "http://127.0.0.1:$(cat "$T/proxy/port")/scep"
kill "$proxy"
check "the GET's request target was at least 20 KiB" test "$(cat "$T/proxy/get.len")" -ge 20480
check "that certificate verifies too" openssl verify -CAfile "$T/ca.pem" "$T/dev2.pem"

client "at max_connections the next client waits until one closes" cap "$PORT" 4
client "a client that never reads is dropped at write_timeout" nowrite "$PORT" 2
check "the frontend says why" grep -q "dropping a client: reply not taken in 2 s" "$T/keyward.log"

# In flight: with the signer stopped, one PKIOperation waits, the next is
# turned away at once, and the rest of HTTP goes on.
signers=$(pgrep -f "keyward-signer -c $CONF --serve")
kill -STOP $signers
python3 "$L" hold "$PORT" "$T/proxy/pkimsg.der" >"$T/hold.out" 2>&1 &
hold=$!
check "the frontend takes a PKIOperation while the signer is stopped" wait_for grep -qx sent "$T/hold.out"
check "GetCACaps is served meanwhile" curl -sf -o /dev/null --max-time 5 "$URL?operation=GetCACaps"
curl -s -o /dev/null -D "$T/busy.hdr" -w '%{http_code}' --max-time 5 \
    -H "Content-Type: application/x-pki-message" --data-binary @"$T/proxy/pkimsg.der" \
    "$URL?operation=PKIOperation" >"$T/busy.code"
check "a second PKIOperation gets 503 at once (max_inflight 1)" test "$(cat "$T/busy.code")" = 503
check "the 503 says when to retry" grep -qi "^Retry-After: [0-9]" "$T/busy.hdr"
kill -CONT $signers
result "the waiting PKIOperation completes once the signer runs" "$hold" "$T/hold.out"

# A client that leaves while its request waits: its answer goes nowhere.
kill -STOP $signers
python3 "$L" hold "$PORT" "$T/proxy/pkimsg.der" leave >"$T/leave.out" 2>&1 &
leave=$!
wait_for grep -qx sent "$T/leave.out"
kill -CONT $signers
result "a client goes away while its PKIOperation waits" "$leave" "$T/leave.out"
check "the frontend serves on" wait_for curl -sf -o /dev/null --max-time 5 "$URL?operation=GetCACert"
check "the frontend never died" grep -q "^frontend 0 [0-9]* 0$" "$STATE/run/status"

# Losing every signer connection fails the waiting call with 503, and the
# frontend exits for a fresh start with fresh connections.
kill -STOP $signers
python3 "$L" hold "$PORT" "$T/proxy/pkimsg.der" >"$T/lost.out" 2>&1 &
lost=$!
wait_for grep -qx sent "$T/lost.out"
kill -KILL $signers
wait "$lost"
check "a call on a lost signer connection gets 503" grep -q "HTTP 503" "$T/lost.out"
check "the frontend restarts for new connections" grep -q "no signer connection left; exiting for a restart" "$T/keyward.log"
check "and serves again" wait_for curl -sf -o /dev/null --max-time 5 "$URL?operation=GetCACert"
check "ledger verify passes" ctl ledger verify

finish
