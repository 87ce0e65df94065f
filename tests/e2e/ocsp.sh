#!/bin/sh
# ocsp.sh: the OCSP responder with real clients (openssl ocsp, GnuTLS
# ocsptool, curl for RFC 5019 GET): good, revoked, unknown, unauthorized,
# nonces, several CertIDs, the HTTP caching headers, a revocation seen
# within a second from the cache, hostile requests, and the renewal of
# the responder certificate.
. "$(dirname "$0")/lib.sh"

command -v ocsptool >/dev/null || { not_ok "gnutls-bin is installed"; finish; }
make_ca && start_keyward || { not_ok "appliance starts"; finish; }
URL="http://127.0.0.1:$PORT/ocsp"
PY="$top_srcdir/tests/e2e/ocspreq.py"
export URL PY
ctl ca-cert >"$T/ca.pem"
for d in dev1 dev2 dev3; do
	csr $d -subj "/CN=$d"
	ctl issue --csr "$T/$d.csr" --profile device --out "$T/$d.pem" 2>/dev/null
done
s1=$(openssl x509 -in "$T/dev1.pem" -noout -serial | cut -d= -f2)

# ask CERT [openssl ocsp options]: openssl ocsp's output, also in $T/ask;
# true if the response verifies.  A CertID digest must precede -cert.
ask() {
	c=$1; shift
	openssl ocsp -issuer "$T/ca.pem" "$@" -cert "$T/$c.pem" -url "$URL" \
	    -CAfile "$T/ca.pem" >"$T/ask" 2>&1
	cat "$T/ask"
	grep -q "^Response verify OK" "$T/ask"
}
# status CERT WORD [options]: the response verifies and says WORD.
status() {
	c=$1; w=$2; shift 2
	ask "$c" "$@" | grep -q "$c.pem: $w"
}
# http_get FILE: GET of the request in FILE; headers in $T/h, body $T/r.
http_get() {
	curl -s -D "$T/h" -o "$T/r" "$URL/$(python3 "$PY" get "$1")" "$@"
}
hdr() { sed -n "s/^$1: //Ip" "$T/h" | tr -d '\r'; }
# post_hex FILE: the body of the HTTP answer to a POST, as hex.
post_hex() {
	curl -s -H "Content-Type: application/ocsp-request" \
	    --data-binary @"$1" "$URL" | od -An -tx1 | tr -d ' \n'
}
# echoed REQ: POSTs REQ; the answer verifies, is good and echoes the
# nonce (openssl ocsp compares it with the one in REQ).
echoed() {
	curl -s -H "Content-Type: application/ocsp-request" \
	    --data-binary @"$1" "$URL" -o "$T/echo" &&
	    openssl ocsp -respin "$T/echo" -reqin "$1" -CAfile "$T/ca.pem" \
	    >"$T/echo.txt" 2>&1 &&
	    grep -q "^Response verify OK" "$T/echo.txt" &&
	    ! grep -qi "nonce" "$T/echo.txt" &&
	    openssl ocsp -respin "$T/echo" -resp_text -noverify 2>&1 |
	    grep -q "Cert Status: good"
}
# revoked_with CERT REASON: a nonce-free answer gives that reason.
revoked_with() {
	ask "$1" -no_nonce >/dev/null
	grep -q "$1.pem: revoked" "$T/ask" && grep -q "Reason: $2" "$T/ask"
}
# responder_serial: the serial of the certificate that signs responses.
responder_serial() {
	openssl ocsp -issuer "$T/ca.pem" -cert "$T/dev3.pem" -url "$URL" \
	    -CAfile "$T/ca.pem" -resp_text >"$T/rt" 2>&1
	grep -q "Response verify OK" "$T/rt" || return 1
	sed -n '/Serial Number:$/{n;p;}' "$T/rt" | tr -d ' '
}
renewed() { test "$(responder_serial)" != "$old"; }
ocsp_certs() {
	test "$(sql "SELECT count(*) FROM events WHERE kind = 'ca-installed' AND profile = 'ocsp'")" -eq "$1"
}
lifetime_days() {
	na=$(sed -n 's/^ *Not After *: //p' "$T/rt" | head -1)
	nb=$(sed -n 's/^ *Not Before *: //p' "$T/rt" | head -1)
	echo $(( ($(date -d "$na" +%s) - $(date -d "$nb" +%s)) / 86400 ))
}

check "a nonce request is good and the response verifies" status dev1 good
check "the nonce is echoed" sh -c '! grep -q "WARNING: no nonce" "$T/ask"'
check "a request without nonce is good" status dev1 good -no_nonce
check "a SHA-256 CertID is answered" status dev1 good -no_nonce -sha256
check "a SHA-256 CertID with a nonce is answered" status dev1 good -sha256
check "three certificates in one request" sh -c \
    'openssl ocsp -issuer "$T/ca.pem" -cert "$T/dev1.pem" -cert "$T/dev2.pem" -cert "$T/dev3.pem" -url "$URL" -CAfile "$T/ca.pem" >"$T/m" 2>&1 && test "$(grep -c ": good" "$T/m")" -eq 3'
check "the responder is the delegated OCSP certificate" sh -c \
    'openssl ocsp -issuer "$T/ca.pem" -cert "$T/dev1.pem" -url "$URL" -CAfile "$T/ca.pem" -resp_text 2>/dev/null | grep -q "Subject: CN *= *keyward OCSP Responder"'

openssl ocsp -issuer "$T/ca.pem" -cert "$T/dev2.pem" -no_nonce \
    -reqout "$T/get.der" >/dev/null 2>&1
check "RFC 5019 GET is answered with 200" sh -c \
    'curl -s -D "$T/h" -o "$T/r" "$URL/$(python3 "$PY" get "$T/get.der")" && head -1 "$T/h" | grep -q " 200"'
cp "$T/h" "$T/h.get"
check "GET response is an OCSP response that verifies good" sh -c \
    'openssl ocsp -respin "$T/r" -issuer "$T/ca.pem" -cert "$T/dev2.pem" -CAfile "$T/ca.pem" -no_nonce 2>&1 | grep -q "dev2.pem: good"'
check "Content-Type application/ocsp-response" test "$(hdr Content-Type)" = application/ocsp-response
next=$(openssl ocsp -respin "$T/r" -resp_text -noverify 2>/dev/null | sed -n 's/^ *Next Update: //p' | head -1)
age=$(hdr Cache-Control | sed -n 's/.*max-age=\([0-9]*\).*/\1/p')
left=$(( $(date -d "$next" +%s) - $(date +%s) ))
export age left
check "Cache-Control max-age matches nextUpdate ($age s, $left s left)" sh -c \
    'test -n "$age" && test $((age - left)) -le 2 && test $((left - age)) -le 2'
check "Cache-Control is public, no-transform, must-revalidate" sh -c \
    'grep -qi "^Cache-Control: max-age=[0-9]*, public, no-transform, must-revalidate" "$T/h"'
check "Expires is nextUpdate" test "$(date -d "$(hdr Expires)" +%s)" -eq "$(date -d "$next" +%s)"
check "Last-Modified and ETag are present" sh -c \
    'grep -qi "^Last-Modified: " "$T/h" && grep -qi "^ETag: \"[0-9a-f]\{64\}\"" "$T/h"'
etag=$(hdr ETag)
export etag
check "If-None-Match with the ETag gets 304" sh -c \
    'test "$(curl -s -o /dev/null -w "%{http_code}" -H "If-None-Match: $etag" "$URL/$(python3 "$PY" get "$T/get.der")")" = 304'
check "a GET with base64 '/' left unescaped is answered too" sh -c \
    'curl -s -o "$T/r2" "$URL/$(base64 -w0 "$T/get.der" | sed "s/+/%2B/g; s/=/%3D/g")" && cmp -s "$T/r" "$T/r2"'

check "ocsptool --ask says good" sh -c \
    'ocsptool --ask="$URL" --load-issuer "$T/ca.pem" --load-cert "$T/dev1.pem" --load-trust "$T/ca.pem" >"$T/gnutls" 2>&1 && grep -q "Certificate Status: good" "$T/gnutls" && grep -qi "Verifying OCSP Response: Success" "$T/gnutls"'

s3=$(openssl x509 -in "$T/dev3.pem" -noout -serial | cut -d= -f2)
presigned() {
	test "$(sql "SELECT count(*) FROM ocsp_responses WHERE serial = '$s3'")" -ge 1
}
check "a live certificate is pre-signed before anyone asks" wait_for presigned

check "revoke answers" ctl revoke "$s1" --reason keyCompromise
check "the cached GET shows the revocation within a second" wait_within 10 sh -c \
    'openssl ocsp -issuer "$T/ca.pem" -cert "$T/dev1.pem" -no_nonce -reqout "$T/g1.der" >/dev/null 2>&1 && curl -s -o "$T/r1" "$URL/$(python3 "$PY" get "$T/g1.der")" && openssl ocsp -respin "$T/r1" -issuer "$T/ca.pem" -cert "$T/dev1.pem" -CAfile "$T/ca.pem" -no_nonce 2>&1 | grep -q "dev1.pem: revoked"'
check "a POST without nonce says revoked with the reason" revoked_with dev1 keyCompromise
check "a live (nonce) answer says revoked too" status dev1 revoked
check "ocsptool --ask says revoked" sh -c \
    'ocsptool --ask="$URL" --load-issuer "$T/ca.pem" --load-cert "$T/dev1.pem" --load-trust "$T/ca.pem" >"$T/gnutls" 2>&1; grep -q "Certificate Status: revoked" "$T/gnutls" && grep -q "Verifying OCSP Response: Success" "$T/gnutls"'
s2=$(openssl x509 -in "$T/dev2.pem" -noout -serial | cut -d= -f2)
ctl revoke "$s2" --reason certificateHold >/dev/null
check "a hold shows as revoked with reason certificateHold" wait_within 10 revoked_with dev2 certificateHold
ctl unhold "$s2" >/dev/null
check "a released hold shows as good again" wait_within 10 status dev2 good -no_nonce

check "an unknown serial is unknown" sh -c \
    'openssl ocsp -issuer "$T/ca.pem" -serial 0x1234567890 -url "$URL" -CAfile "$T/ca.pem" 2>&1 | grep -q "0x1234567890: unknown"'
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/other.key" -subj "/CN=Other CA" \
    -days 1 -out "$T/other.pem" 2>/dev/null
check "a foreign issuer gets unauthorized" sh -c \
    'openssl ocsp -issuer "$T/other.pem" -serial 0x01 -url "$URL" 2>&1 | grep -q "unauthorized (6)"'
check "an issuer of ours and a foreign one together: unauthorized" sh -c \
    'openssl ocsp -issuer "$T/ca.pem" -cert "$T/dev3.pem" -issuer "$T/other.pem" -serial 0x01 -url "$URL" 2>&1 | grep -q "unauthorized (6)"'

MALFORMED=30030a0101
head -c 300 /dev/urandom >"$T/junk"
check "random bytes get malformedRequest" test "$(post_hex "$T/junk")" = $MALFORMED
head -c 30 "$T/get.der" >"$T/trunc.der"
check "truncated DER gets malformedRequest" test "$(post_hex "$T/trunc.der")" = $MALFORMED
{ cat "$T/get.der"; printf 'x'; } >"$T/trail.der"
check "trailing bytes get malformedRequest" test "$(post_hex "$T/trail.der")" = $MALFORMED
openssl ocsp -issuer "$T/ca.pem" $(seq -f "-serial %g" 1 1000) -no_nonce \
    -reqout "$T/many.der" >/dev/null 2>&1
check "1000 CertIDs get malformedRequest" test "$(post_hex "$T/many.der")" = $MALFORMED
python3 "$PY" nonce "$T/get.der" 4096 "$T/n4k.der"
check "a 4 KB nonce gets malformedRequest" test "$(post_hex "$T/n4k.der")" = $MALFORMED
python3 "$PY" nonce "$T/get.der" 0 "$T/n0.der"
check "an empty nonce gets malformedRequest" test "$(post_hex "$T/n0.der")" = $MALFORMED
python3 "$PY" nonce "$T/get.der" 128 "$T/n128.der"
check "a 128-byte nonce is answered and echoed" echoed "$T/n128.der"
python3 "$PY" rawnonce "$T/get.der" 16 "$T/nraw.der"
check "a nonce without its inner OCTET STRING is echoed as sent" echoed "$T/nraw.der"
check "a wrong Content-Type gets HTTP 415" sh -c \
    'test "$(curl -s -o /dev/null -w "%{http_code}" -H "Content-Type: text/plain" --data-binary @"$T/get.der" "$URL")" = 415'
check "an oversized GET path gets HTTP 414" sh -c \
    'test "$(curl -s -o /dev/null -w "%{http_code}" "$URL/$(head -c 9000 /dev/zero | tr "\0" A)")" = 414'
check "a GET that is not base64 gets malformedRequest" sh -c \
    'curl -s "$URL/%25%25%25" | od -An -tx1 | tr -d " \n" | grep -qx $0' $MALFORMED
check "a PUT gets an HTTP error" sh -c \
    'test "$(curl -s -o /dev/null -w "%{http_code}" -X PUT --data-binary @"$T/get.der" "$URL")" -ge 400'
check "the responder still serves" status dev3 good
check "every child is still up" sh -c 'ctl status | grep -q "^frontend 0: up (pid [0-9]*, 0 restarts)"'
check "ledger verify passes" ctl ledger verify

# The responder certificate, renewed when it comes within the margin.
old=$(responder_serial)
stop_keyward
sed -i 's/^\[ca\]$/[ca]\nocsp_validity_days = 40\nocsp_renew_days = 35/' "$CONF"
start_keyward
check "a responder certificate within the margin is renewed" wait_for ocsp_certs 2
check "responses are signed by the new certificate" wait_for renewed
check "the new certificate lives 40 days" test "$(lifetime_days)" -eq 40
check "and is not renewed again" ocsp_certs 2
check "ledger verify passes after the renewal" ctl ledger verify

finish
