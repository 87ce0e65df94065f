#!/bin/sh
# intunetoken.sh: [intune] auth = token end to end.  keywardctl intune-key
# makes the client assertion key in the token and the certificate for the
# app registration; then pki --scep enrols while keyward-signer builds and
# signs every client assertion the fake Entra ID checks.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intunelib.sh"

command -v pki >/dev/null || { not_ok "strongswan-pki is installed"; finish; }
make_pki || { not_ok "test PKI"; finish; }
make_ca || { not_ok "CA created"; finish; }

ikey() {
	ctl intune-key --subject "CN=keyward test app,O=keyward" \
	    --out "$T/intune.pem" >"$T/ikey.out" 2>&1
}
objects() {
	as_signer pkcs11-tool --module /usr/lib/softhsm/libsofthsm2.so \
	    --token-label keyward --login --pin "$(cat "$STATE/token.pin")" \
	    --list-objects 2>&1
}
intune_rows() {
	sql "SELECT count(*) FROM events WHERE profile = 'intune'"
}

check "keywardctl intune-key succeeds" ikey
check "it generated the key in the token" grep -q \
    "key keyward-.*intune.*: generated in the token" "$T/ikey.out"
check "it wrote a certificate with the subject asked for" sh -c \
    'openssl x509 -in "$0/intune.pem" -noout -subject | grep -q "CN *= *keyward test app"' "$T"
objects >"$T/objects"
check "the token holds a private key labelled for Intune" grep -q \
    "label: *keyward-.*intune" "$T/objects"
check "that key is sensitive and never extractable" sh -c \
    'grep -A8 "^Private Key Object" "$0" | grep -A6 "label: *keyward-.*intune" | grep -q "Access:.*sensitive.*never extractable"' "$T/objects"
check "no private key was written to a file" sh -c \
    '! grep -rlE "PRIVATE KEY" "$0" "$1/intune.pem"' "$STATE" "$T"
check "the ledger records the certificate once" test "$(intune_rows)" = 1
THUMB=$(openssl x509 -in "$T/intune.pem" -outform DER |
    openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=')
export THUMB
check "the printed x5t#S256 is the certificate's SHA-256 thumbprint" \
    grep -qF "x5t#S256 $THUMB" "$T/ikey.out"

cp "$T/intune.pem" "$T/intune.first"
objects >"$T/objects.first"
check "a second keywardctl intune-key succeeds" ikey
check "and says the key and certificate already exist" sh -c \
    'grep -q "intune.*: already exists" "$0" && grep -q "Intune certificate: already exists" "$0"' "$T/ikey.out"
check "it wrote the same certificate" cmp "$T/intune.first" "$T/intune.pem"
objects >"$T/objects"
check "the token holds the same objects" cmp "$T/objects.first" "$T/objects"
check "the ledger still records one Intune certificate" \
    test "$(intune_rows)" = 1

CLIENT_CERT=$T/intune.pem
start_fakes || { not_ok "fake server starts"; cat "$T"/*.err; cleanup; finish; }
FPORT=$(cat "$T/fake.port")
cat >>"$CONF" <<CONF
[intune]
tenant = contoso.onmicrosoft.com
client_id = $CLIENT_ID
auth = token
authority = https://127.0.0.1:$FPORT/
graph_url = https://127.0.0.1:$FPORT/
tls_ca_bundle = $T/ca.pem
request_timeout = 3
notification_deadline = 30
CONF
start_keyward || { not_ok "appliance starts"; cleanup; finish; }
URL="http://127.0.0.1:$PORT/certsrv/mscep/mscep.dll"

(cd "$T" && pki --scepca --url "$URL" --caout ca.der --raout ra.der --force) >/dev/null 2>&1
RA=$(ls "$T"/ra*.der 2>/dev/null | head -1)
: >"$FLOG"
pki --gen --type rsa --size 2048 --outform der >"$T/dev1.key" 2>/dev/null
check "pki --scep enrols with auth = token" pki --scep --url "$URL" \
    --in "$T/dev1.key" --dn "CN=dev1" --password "intune-challenge-dev1" \
    --cacert-enc "$RA" --cacert-sig "$RA" --cacert "$T/ca.der" \
    --interval 1 --maxpolltime 60 --outform pem
check "the fake issued tokens and saw validateRequest, successNotification" \
    flog '"token" in R and "validateRequest" in R and "successNotification" in R'
TOKENS='[form(e) for e in L if e["route"] == "token"]'
check "every token request carried a client assertion and no secret" \
    flog "all('client_assertion' in f and 'client_secret' not in f for f in $TOKENS)"
check "the assertions are PS256 naming the certificate by x5t#S256" \
    flog "all((lambda h: h['alg'] == 'PS256' and h['x5t#S256'] == env['THUMB'])(json.loads(base64.urlsafe_b64decode(f['client_assertion'].split('.')[0] + '=='))) for f in $TOKENS)"
check "no assertion in the appliance's log" sh -c \
    "! grep -q 'eyJ' '$T/keyward.log'"

cleanup
finish
