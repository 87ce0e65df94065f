#!/bin/sh
# manual.sh: the manual challenge mode, tried as a new user would: pki
# --scep is told PENDING and polls while an administrator lists the
# request and approves or denies it with keywardctl.
. "$(dirname "$0")/lib.sh"

command -v pki >/dev/null || { not_ok "strongswan-pki is installed"; finish; }
make_ca || { not_ok "CA created"; finish; }
sed -i "s/^scep_challenge = static$/scep_challenge = manual/" "$CONF"
start_keyward || { not_ok "appliance starts"; finish; }
URL="http://127.0.0.1:$PORT/scep"
PY="$top_srcdir/tests/e2e/decide.py"
export URL
count() { sql "SELECT count(*) FROM certs"; }
# id_of CN: the pending request id of a subject, from keywardctl pending.
id_of() { ctl pending | awk -v cn="/CN=$1" '$4 == cn { print $1 }'; }
listed() { test -n "$(id_of "$1")"; }

(cd "$T" && pki --scepca --url "$URL" --caout ca.der --raout ra.der --force) >/dev/null 2>&1
ctl ca-cert >"$T/ca.pem"
RA=$(ls "$T"/ra*.der | head -1)

# poll NAME: pki enrols in the background, polling every second for at
# most 60 s; its pid goes to $T/NAME.pid.
poll() {
	pki --gen --type rsa --size 2048 --outform der >"$T/$1.key" 2>/dev/null
	pki --scep --url "$URL" --in "$T/$1.key" --dn "CN=$1" \
	    --cacert-enc "$RA" --cacert-sig "$RA" --cacert "$T/ca.der" \
	    --interval 1 --maxpolltime 60 --outform pem \
	    >"$T/$1.pem" 2>"$T/$1.err" &
	echo $! >"$T/$1.pid"
}

poll dev1
check "a request without any challenge is queued" wait_for listed dev1
check "nothing is issued before the approval" test "$(count)" -eq 0
check "the client was told PENDING and is polling" sh -c \
    'kill -0 "$(cat "$T/dev1.pid")"'
ID=$(id_of dev1)
check "keywardctl approve issues the certificate" sh -c \
    "ctl approve $ID >'$T/approve.out' && grep -Eq '^approved $ID: issued [0-9A-F]{32}$' '$T/approve.out'"
check "the polling client receives it (CertPoll)" wait "$(cat "$T/dev1.pid")"
check "and it verifies against the CA" openssl verify -CAfile "$T/ca.pem" "$T/dev1.pem"
SERIAL=$(awk '{ print $NF }' "$T/approve.out")
check "it is the certificate the approval issued" sh -c \
    "openssl x509 -in '$T/dev1.pem' -noout -serial | grep -qi '=$SERIAL\$'"
sql "SELECT requester FROM certs WHERE serial='$SERIAL'" >"$T/requester"
check "the ledger names who approved it" \
    grep -q "^scep /CN=dev1, approved by admin uid" "$T/requester"
check "the request has left the queue" sh -c '! listed dev1'
refuse "a decided request cannot be approved again" ctl approve "$ID"
check "the refusal says why" grep -q "is approved" "$T/refused"

poll dev2
check "a second request is queued" wait_for listed dev2
ID2=$(id_of dev2)
n=$(count)
check "keywardctl deny refuses it" ctl deny "$ID2"
if wait "$(cat "$T/dev2.pid")"; then
	not_ok "the polling client is told FAILURE (it succeeded)"
else
	ok "the polling client is told FAILURE"
fi
check "nothing was issued for it" test "$(count)" -eq "$n"

refuse "approve with a non-number is refused" ctl approve abc
refuse "approve of an unknown id is refused" ctl approve 99999
check "which the refusal names" grep -q "no pending request 99999" "$T/refused"

# The validator's side, asked as the frontend asks.
openssl req -new -newkey rsa:2048 -nodes -keyout "$T/x.key" -subj /CN=x \
    -outform DER -out "$T/x.csr" 2>/dev/null
openssl req -new -newkey rsa:2048 -nodes -keyout "$T/y.key" -subj /CN=x \
    -outform DER -out "$T/y.csr" 2>/dev/null
openssl req -x509 -key "$T/x.key" -subj /CN=x -days 1 -outform DER \
    -out "$T/x.self" 2>/dev/null
SOCK=$STATE/run/validator.sock
check "a queued request resent is still PENDING" sh -c \
    "python3 '$PY' '$SOCK' 0 19 TXM '$T/x.csr' '$T/x.self' >/dev/null && python3 '$PY' '$SOCK' 0 19 TXM '$T/x.csr' '$T/x.self' | grep -q '^3 0 - waiting for approval'"
check "its transactionID with another CSR is refused" sh -c \
    "python3 '$PY' '$SOCK' 0 19 TXM '$T/y.csr' '$T/x.self' | grep -q '^2 2 - transactionID already used with another request'"
check "CertPoll for a transaction never seen gets badCertId" sh -c \
    "python3 '$PY' '$SOCK' 0 20 NOSUCH '$T/x.csr' '$T/x.self' | grep -q '^2 4 - no such transaction'"
check "the appliance still serves" ctl status
check "ledger verify passes" ctl ledger verify
finish
