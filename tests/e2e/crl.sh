#!/bin/sh
# crl.sh: the CRL as relying parties fetch it (the issued certificate's
# CDP, openssl crl -verify), revocations and holds within a second, CRL
# numbers that keep growing across a ledger restore, the schedule,
# keywardctl crl and export-ocsp, and the AIA pointers in certificates.
. "$(dirname "$0")/lib.sh"

make_ca || { not_ok "CA created"; finish; }
# A short schedule so that the test sees one pass.
sed -i 's/^update_seconds = .*/update_seconds = 2/' "$CONF"
start_keyward || { not_ok "appliance starts"; finish; }
ctl ca-cert >"$T/ca.pem"
for d in dev1 dev2; do
	csr $d -subj "/CN=$d"
	ctl issue --csr "$T/$d.csr" --profile device --out "$T/$d.pem" 2>/dev/null
done
s1=$(openssl x509 -in "$T/dev1.pem" -noout -serial | cut -d= -f2)
s2=$(openssl x509 -in "$T/dev2.pem" -noout -serial | cut -d= -f2)
openssl x509 -in "$T/dev1.pem" -noout -text >"$T/dev1.txt"
CDP=$(sed -n 's/^ *URI:\(http.*\.crl\)$/\1/p' "$T/dev1.txt")
export CDP s1 s2

# fetch: the CRL from the certificate's CDP, as DER in $T/crl.der.
fetch() { curl -sf -D "$T/h" -o "$T/crl.der" "$CDP"; }
crl_text() { openssl crl -inform DER -in "$T/crl.der" -noout -text; }
number() { crl_text | sed -n '/CRL Number/{n;s/ //gp;}'; }
lists() { fetch && crl_text | grep -q "Serial Number: $1"; }
# lists_with SERIAL REASON: the CRL has SERIAL with that reason code.
lists_with() { fetch && crl_text | grep -A4 "Serial Number: $1" | grep -q "$2"; }
not_lists() { fetch && ! crl_text | grep -q "Serial Number: $1"; }
newer_than() { fetch && test "$(number)" -gt "$1"; }
hdr() { sed -n "s/^$1: //Ip" "$T/h" | tr -d '\r'; }
crl_events() { sql "SELECT count(*) FROM events WHERE kind = 'crl'"; }

check "the certificate's CDP is the configured crl_url" test "$CDP" = "http://127.0.0.1:$PORT/crl/keyward.crl"
check "its AIA names the OCSP responder" grep -q "OCSP - URI:http://127.0.0.1:$PORT/ocsp$" "$T/dev1.txt"
check "its AIA names the CA certificate" grep -q "CA Issuers - URI:http://127.0.0.1:$PORT/ca/keyward.crt$" "$T/dev1.txt"
check "the caIssuers URL serves the issuer" sh -c \
    'curl -sf "$(sed -n "s/^ *CA Issuers - URI://p" "$T/dev1.txt")" | openssl x509 -inform DER -noout -subject | grep -q "keyward Demo Root CA"'
check "the OCSP URL from the certificate answers" sh -c \
    'openssl ocsp -issuer "$T/ca.pem" -cert "$T/dev1.pem" -url "$(openssl x509 -in "$T/dev1.pem" -noout -ocsp_uri)" -CAfile "$T/ca.pem" 2>&1 | grep -q "dev1.pem: good"'

check "the CDP serves a DER CRL" fetch
check "Content-Type application/pkix-crl" test "$(hdr Content-Type)" = application/pkix-crl
check "openssl crl -verify accepts it with the CA" sh -c \
    'openssl crl -inform DER -in "$T/crl.der" -CAfile "$T/ca.pem" -noout 2>&1 | grep -q "verify OK"'
check "it is a v2 CRL with AKI and a CRL number" sh -c \
    'crl=$(openssl crl -inform DER -in "$T/crl.der" -noout -text) && echo "$crl" | grep -q "Version 2" && echo "$crl" | grep -q "Authority Key Identifier" && echo "$crl" | grep -q "CRL Number"'
n0=$(number)
now_ms=$(( $(date +%s) * 1000 ))
export n0 now_ms
check "the CRL number is the clock in milliseconds" sh -c \
    'test $((now_ms - n0)) -lt 60000 && test $((n0 - now_ms)) -lt 60000'
lu=$(date -d "$(crl_text | sed -n 's/^ *Last Update: //p')" +%s)
nu=$(date -d "$(crl_text | sed -n 's/^ *Next Update: //p')" +%s)
check "nextUpdate is validity_seconds after thisUpdate" test $((nu - lu)) -eq 86400
check "Expires is nextUpdate" test "$(date -d "$(hdr Expires)" +%s)" -eq "$nu"
check "a CRL with a changed signature fails verification" sh -c \
    'cp "$T/crl.der" "$T/bad.der" && printf "\001" | dd of="$T/bad.der" bs=1 seek=$(( $(stat -c %s "$T/bad.der") - 5 )) conv=notrunc 2>/dev/null && ! openssl crl -inform DER -in "$T/bad.der" -CAfile "$T/ca.pem" -noout 2>&1 | grep -q "verify OK"'

check "a new CRL is signed on the schedule" wait_for newer_than "$n0"
check "keywardctl crl prints a PEM CRL" sh -c \
    'ctl crl >"$T/ctl.pem" && openssl crl -in "$T/ctl.pem" -CAfile "$T/ca.pem" -noout 2>&1 | grep -q "verify OK"'
check "keywardctl crl --out writes DER" sh -c \
    'ctl crl --out "$T/ctl.der" && openssl crl -inform DER -in "$T/ctl.der" -noout'

ev=$(crl_events)
n1=$(fetch >/dev/null; number)
ctl revoke "$s1" --reason keyCompromise >/dev/null
check "a revocation is on the CDP's CRL within a second" wait_within 10 lists_with "$s1" "Key Compromise"
check "with a CRL number above the last" newer_than "$n1"
check "each CRL is recorded in the ledger" test "$(crl_events)" -gt "$ev"
check "keywardctl crl lists it too" sh -c 'ctl crl | openssl crl -noout -text | grep -q "Serial Number: $s1"'
ctl revoke "$s2" --reason certificateHold >/dev/null
check "a hold is listed with reason Certificate Hold" wait_within 10 lists_with "$s2" "Certificate Hold"
ctl unhold "$s2" >/dev/null
check "a released hold leaves the CRL" wait_within 10 not_lists "$s2"
check "the revocation stays" lists "$s1"

# SCEP GetCRL (RFC 8894 3.3.4) on /scep: the CRL in a CertRep.
GETCRL="$B/tests/e2e/getcrl"
curl -sf "http://127.0.0.1:$PORT/scep?operation=GetCACert" -o "$T/ra.p7"
openssl pkcs7 -inform DER -in "$T/ra.p7" -print_certs 2>/dev/null |
    openssl x509 -outform DER -out "$T/ra.der"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/req.key" \
    -subj "/CN=crl-reader" -days 1 -out "$T/req.pem" 2>/dev/null
getcrl() {
	ASAN_OPTIONS=detect_leaks=0 "$GETCRL" "$@"
}
# scep_getcrl [ISSUER.pem]: GetCRL naming the CA (or ISSUER) over HTTP.
scep_getcrl() {
	getcrl request "$T/ra.der" "${1:-$T/ca.pem}" "$T/req.key" "$T/req.pem" \
	    "$T/getcrl.der" &&
	    curl -sf -H "Content-Type: application/x-pki-message" \
	    --data-binary @"$T/getcrl.der" -o "$T/certrep.der" \
	    "http://127.0.0.1:$PORT/scep?operation=PKIOperation" &&
	    getcrl reply "$T/certrep.der" "$T/req.key" "$T/req.pem" \
	    "$T/scep.crl" >"$T/certrep.txt"
}
check "GetCRL gets a signed CertRep with a CRL" scep_getcrl
check "its pkiStatus is SUCCESS" grep -qx "pkiStatus 0" "$T/certrep.txt"
check "the CRL in it verifies and lists the revocation" sh -c \
    'openssl crl -inform DER -in "$T/scep.crl" -CAfile "$T/ca.pem" -noout -text 2>&1 >"$T/y.txt" | grep -q "verify OK" && grep -q "Serial Number: $s1" "$T/y.txt"'
scep_getcrl "$T/req.pem"
check "GetCRL naming another issuer gets FAILURE badRequest" sh -c \
    'grep -qx "pkiStatus 2" "$T/certrep.txt" && grep -qx "failInfo 2" "$T/certrep.txt"'

# export-ocsp: files a static web server maps from the GET URLs.
check "export-ocsp writes the responses and the CRL" sh -c \
    'ctl export-ocsp "$T/www" | grep -q "OCSP responses and the CRL written"'
openssl ocsp -issuer "$T/ca.pem" -cert "$T/dev1.pem" -no_nonce -reqout "$T/q.der" >/dev/null 2>&1
check "the file named by the GET URL is the response" sh -c \
    'f="$T/www/ocsp/$(base64 -w0 "$T/q.der")" && openssl ocsp -respin "$f" -issuer "$T/ca.pem" -cert "$T/dev1.pem" -CAfile "$T/ca.pem" -no_nonce 2>&1 | grep -q "dev1.pem: revoked"'
check "the exported CRL verifies and lists the revocation" sh -c \
    'openssl crl -inform DER -in "$T/www/crl/keyward.crl" -CAfile "$T/ca.pem" -noout -text 2>&1 >"$T/x.txt" | grep -q "verify OK" && grep -q "Serial Number: $s1" "$T/x.txt"'

# A ledger restored from an older backup must not reuse CRL numbers.
BACKUP=$STATE/ledger/backup.sqlite
as_signer sqlite3 "$LEDGER" ".backup '$BACKUP'"
high=$(fetch >/dev/null; number)
ctl revoke "$s2" --reason superseded >/dev/null
wait_within 10 lists "$s2"
high=$(number)
stop_keyward
as_signer cp "$BACKUP" "$LEDGER"
as_signer rm -f "$LEDGER-wal" "$LEDGER-shm"
start_keyward
check "after a restore the restored ledger no longer lists the revocation" sh -c \
    'ctl show "$s2" | grep -q "^status: *valid"'
check "the next CRL number is above every one published" wait_for newer_than "$high"
check "ledger verify passes" ctl ledger verify

finish
