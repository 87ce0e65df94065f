#!/bin/sh
# decide.sh: the validator's decisions, asked on validator.sock the way
# the frontend asks: static challenge, automatic profile, replays of a
# transactionID, renewals, disabled endpoints, and a peer that breaks the
# protocol.  The SCEP envelope around it is scep.sh's business.
. "$(dirname "$0")/lib.sh"

SOCK=$STATE/run/validator.sock
PY="$top_srcdir/tests/e2e/decide.py"
export SOCK PY

# req NAME SUBJECT-CN [PASSWORD] [SAN]: a key, a DER CSR and the
# self-signed certificate a new SCEP client signs its request with.
req() {
	{
		printf '[req]\nprompt = no\ndistinguished_name = dn\n'
		[ -n "${3:-}" ] && printf 'attributes = attrs\n'
		printf '[dn]\nCN = %s\n' "$2"
		[ -n "${3:-}" ] && printf '[attrs]\nchallengePassword = %s\n' "$3"
	} >"$T/$1.cnf"
	set -- "$1" "$2" "${3:-}" "${4:-}"
	openssl req -new -newkey rsa:2048 -nodes -keyout "$T/$1.key" \
	    -config "$T/$1.cnf" ${4:+-addext "subjectAltName=$4"} \
	    -outform DER -out "$T/$1.csr" 2>/dev/null &&
	    openssl req -x509 -new -key "$T/$1.key" -subj "/CN=$2" -days 1 \
	    -outform DER -out "$T/$1.self" 2>/dev/null
}

# decide NAME ENDPOINT TYPE TXID CERT: the answer goes to $T/out.
decide() {
	python3 "$PY" "$SOCK" "$2" "$3" "$4" "$T/$1.csr" "$5" >"$T/out"
}

# answer PATTERN: the last answer matches PATTERN (grep -E).
answer() { grep -qE "$1" "$T/out" || { sed 's/^/# got: /' "$T/out"; false; }; }

serial() { cut -d' ' -f3 "$T/out"; }
col() { sql "SELECT $1 FROM certs WHERE serial='$2'"; }
signings() { sql "SELECT count(*) FROM events WHERE kind='signing'"; }

# cert_der SERIAL FILE: an issued certificate, as its holder has it.
cert_der() {
	ctl show "$1" | sed -n '/BEGIN/,/END/p' | openssl x509 -outform DER -out "$2"
}

make_ca && start_keyward || { not_ok "appliance starts"; finish; }
CHALLENGE=$(cat "$STATE/challenge")
check "the validator's socket is root's alone" sh -c \
    'test "$(stat -c "%a %u" "$SOCK")" = "600 0" || test "$(id -u)" != 0'

req dev1 device-1 "$CHALLENGE"
decide dev1 0 19 TX1 "$T/dev1.self"
check "static challenge: a PKCSReq with the right password is issued" answer "^0 0 [0-9A-F]{32} issued under profile device$"
S1=$(serial)
check "the ledger names the requester by its certificate" \
    test "$(col requester "$S1")" = "scep /CN=device-1"
check "and keeps the transactionID" test "$(col txid "$S1")" = TX1

req alice alice "$CHALLENGE" "otherName:msUPN;UTF8:alice@example.com"
decide alice 0 19 TX2 "$T/alice.self"
check "a CSR asking for a UPN gets the user profile" answer "^0 0 .* profile user$"
S2=$(serial)
check "so says the ledger" test "$(col profile "$S2")" = user

req wrong device-2 "not-the-challenge"
decide wrong 0 19 TX3 "$T/wrong.self"
check "a wrong challenge is refused with badRequest" answer "^2 2 - challenge password does not match$"
req none device-3
decide none 0 19 TX4 "$T/none.self"
check "a missing challenge is refused the same way" answer "^2 2 - challenge password does not match$"
decide none 0 17 TX4 "$T/none.self"
check "RenewalReq from a new client needs the challenge too" answer "^2 2 - challenge password does not match$"
decide dev1 0 20 TX1 "$T/dev1.self"
check "CertPoll for an issued transaction answers its certificate" answer "^0 0 $S1 issued$"
decide dev1 0 20 TX-UNKNOWN "$T/dev1.self"
check "CertPoll for an unknown transaction gets badCertId" answer "^2 4 - no such transaction$"
decide dev1 0 22 TX9 "$T/dev1.self"
check "GetCRL naming no issuer of ours is refused" answer "^2 2 - GetCRL for another issuer$"
decide dev1 1 19 TX5 "$T/dev1.self"
check "the NDES path is off by default" answer "^2 2 - endpoint disabled$"

n=$(signings)
decide dev1 0 19 TX1 "$T/dev1.self"
check "a resent request (same transactionID, same CSR) gets the same certificate" answer "^0 0 $S1 "
check "without signing again" test "$(signings)" -eq "$n"
check "the signer logs the replay" grep -q "replay of $S1 .*txid TX1" "$T/keyward.log"
req dev1x device-1 "$CHALLENGE"
decide dev1x 0 19 TX1 "$T/dev1x.self"
check "the same transactionID with another CSR is refused" answer "^2 2 - transactionID already used with another request$"
check "nothing was signed for it" test "$(signings)" -eq "$n"

# certmonger and strongSwan renew with a PKCSReq signed by the old
# certificate and no challenge.
cert_der "$S1" "$T/dev1.der"
req dev1r device-1
decide dev1r 0 19 TX6 "$T/dev1.der"
check "a PKCSReq signed by a certificate we issued is a renewal" answer "^0 0 [0-9A-F]{32} "
req dev1s device-9
decide dev1s 0 19 TX7 "$T/dev1.der"
check "a renewal must keep the subject" answer "^2 2 - CSR subject differs"

# The NDES path in renewal mode, into the device profile.
stop_keyward
sed -i 's/^\(challenge_file = .*\)$/\1\nndes_challenge = renewal\nndes_profile = device/' "$CONF"
check "keyward restarts with ndes_challenge = renewal" start_keyward
req ren1 device-1
decide ren1 1 17 TX8 "$T/ren1.self"
check "renewal mode refuses a self-signed requester" answer "^2 2 - requester certificate not issued by this CA$"
decide dev1 1 19 TX9 "$T/dev1.self"
check "renewal mode ignores a right challenge without our certificate" answer "^2 2 - requester certificate not issued by this CA$"
decide ren1 1 17 TX8 "$T/dev1.der"
check "renewal mode issues to a certificate we issued" answer "^0 0 [0-9A-F]{32} issued under profile device$"
# Our CA's name and a copy of its certificate re-signed with another key:
# only the signature gives the forgery away.
ctl ca-cert >"$T/ca.pem"
openssl genpkey -algorithm RSA -out "$T/fake.key" 2>/dev/null
openssl x509 -in "$T/ca.pem" -key "$T/fake.key" -out "$T/fake.pem" 2>/dev/null
openssl x509 -req -inform DER -in "$T/ren1.csr" -CA "$T/fake.pem" \
    -CAkey "$T/fake.key" -set_serial 7 -days 1 -outform DER \
    -out "$T/forged.der" 2>/dev/null
decide ren1 1 17 TX8F "$T/forged.der"
check "renewal mode refuses a certificate our CA did not sign" answer "^2 2 - requester certificate not issued by this CA$"
cert_der "$S2" "$T/alice.der"
req alice2 alice "" "otherName:msUPN;UTF8:alice@example.com"
decide alice2 1 17 TX12 "$T/alice.der"
check "the configured profile applies even to a UPN request; the signer's refusal is relayed" answer "^2 2 - profile device does not allow SAN type"
ctl revoke "$S1" --reason certificateHold >/dev/null
req ren2 device-1
decide ren2 1 17 TX10 "$T/dev1.der"
check "a certificate on hold cannot renew" answer "^2 2 - requester certificate $S1 is hold$"
ctl unhold "$S1" >/dev/null
ctl revoke "$S1" --reason keyCompromise >/dev/null
decide ren2 1 17 TX10 "$T/dev1.der"
check "nor can a revoked one" answer "^2 2 - requester certificate $S1 is revoked$"
decide dev1 0 19 TX1 "$T/dev1.self"
check "a resent request whose certificate was revoked is refused" \
    answer "^2 2 - transactionID already used for $S1, since revoked$"

pid=$(pgrep -f "keyward-validator -c $CONF")
for c in endpoint txid csr issue; do
	check "the validator drops a frontend that sends a bad $c" sh -c \
	    'test "$(python3 "$PY" "$SOCK" --raw "$0")" = closed' "$c"
done
check "and keeps running" test "$(pgrep -f "keyward-validator -c $CONF")" = "$pid"
decide ren2 0 19 TX11 "$T/dev1.self"
check "it still decides" answer "^2 2 - challenge password does not match$"
check "no secret reached the log" sh -c '! grep -q "$0" "$T/keyward.log"' "$CHALLENGE"
check "ledger verify passes" ctl ledger verify

finish
