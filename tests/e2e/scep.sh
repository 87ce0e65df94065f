#!/bin/sh
# scep.sh: SCEP enrolment and renewal with strongSwan's pki as the client,
# tried as a new user would, against the static challenge on /scep.
. "$(dirname "$0")/lib.sh"

command -v pki >/dev/null || { not_ok "strongswan-pki is installed"; finish; }
make_ca && start_keyward || { not_ok "appliance starts"; finish; }
URL="http://127.0.0.1:$PORT/scep"
CHALLENGE=$(cat "$STATE/challenge")
export URL CHALLENGE
count() { sql "SELECT count(*) FROM certs"; }

check "GetCACaps advertises what strongSwan needs" sh -c \
    'curl -sf "$URL?operation=GetCACaps" | grep -qx AES && curl -sf "$URL?operation=GetCACaps" | grep -qx SHA-256 && curl -sf "$URL?operation=GetCACaps" | grep -qx POSTPKIOperation'
check "GetCACert returns the RA and CA certificates" sh -c \
    'cd "$T" && pki --scepca --url "$URL" --caout ca.der --raout ra.der --force 2>/dev/null && test -s ca.der && ls ra*.der'
ctl ca-cert >"$T/ca.pem"
RA=$(ls "$T"/ra*.der | head -1)
export RA

# enrol NAME KEYBITS [pki options...]: a key and an enrolment.
enrol() {
	name=$1; bits=$2; shift 2
	pki --gen --type rsa --size "$bits" --outform der >"$T/$name.key" 2>/dev/null &&
	    pki --scep --url "$URL" --in "$T/$name.key" --dn "CN=$name" \
	    --cacert-enc "$RA" --cacert-sig "$RA" --cacert "$T/ca.der" \
	    --outform pem "$@" >"$T/$name.pem" 2>"$T/$name.err"
}

check "pki --scep enrols an RSA-2048 key (AES-128, SHA-256)" enrol dev1 2048 --password "$CHALLENGE"
check "the certificate verifies against the CA" openssl verify -CAfile "$T/ca.pem" "$T/dev1.pem"
check "the device profile was chosen" sh -c 'openssl x509 -in "$T/dev1.pem" -noout -text | grep -q "TLS Web Client Authentication"'
check "pki --scep enrols an RSA-4096 key with 3DES" enrol dev2 4096 --password "$CHALLENGE" --cipher des3
check "it verifies too" openssl verify -CAfile "$T/ca.pem" "$T/dev2.pem"
check "a SHA-512 signed request is accepted" enrol dev4 2048 --password "$CHALLENGE" --digest sha512
check "a SHA-1 signed request is accepted" enrol dev5 2048 --password "$CHALLENGE" --digest sha1
n=$(count)
if enrol dev3 2048 --password wrong --maxpolltime 1; then
	not_ok "a wrong challenge is refused (accepted)"
else
	ok "a wrong challenge is refused"
fi
check "pki reports the failure from the CertRep" grep -qi "fail" "$T/dev3.err"
check "nothing was issued for the wrong challenge" test "$(count)" -eq "$n"
check "the refusal is logged without the secret" sh -c '! grep -q "$CHALLENGE" "$T/keyward.log"'

check "pki --scep renews with the old certificate and key" enrol dev1b 2048 \
    --cert "$T/dev1.pem" --key "$T/dev1.key" --dn "CN=dev1"
check "the renewed certificate verifies" openssl verify -CAfile "$T/ca.pem" "$T/dev1b.pem"

check "garbage to PKIOperation gets HTTP 400" sh -c \
    'test "$(head -c 2000 /dev/urandom | curl -s -o /dev/null -w "%{http_code}" --data-binary @- "$URL?operation=PKIOperation")" = 400'
check "a 10 MB body gets HTTP 413" sh -c \
    'head -c 10000000 /dev/zero >"$T/big" && test "$(curl -s -o /dev/null -w "%{http_code}" --data-binary @"$T/big" "$URL?operation=PKIOperation")" = 413'
check "a GET PKIOperation with garbage base64 gets HTTP 400" sh -c \
    'test "$(curl -s -o /dev/null -w "%{http_code}" "$URL?operation=PKIOperation&message=%25%25notbase64")" = 400'
check "an unknown operation gets HTTP 400" sh -c \
    'test "$(curl -s -o /dev/null -w "%{http_code}" "$URL?operation=Bogus")" = 400'
check "the appliance still serves" ctl status
check "ledger verify passes" ctl ledger verify

finish
