#!/bin/sh
# foundation.sh: a new deployment from sample-config, init, start, issue,
# verify with openssl, query, revoke, and a ledger that notices tampering.
. "$(dirname "$0")/lib.sh"

check "sample-config and init create a CA" make_ca
check "init reports what it created" grep -q "self-signed root created" "$T/init.out"
ev1=$(sql "SELECT count(*) FROM events")
check "second init succeeds" sh -c 'ctl init >"$T/init2.out" 2>&1'
check "second init says everything exists" sh -c '! grep -q "created" "$T/init2.out"'
check "second init writes no event" test "$(sql "SELECT count(*) FROM events")" = "$ev1"

check "keyward starts and the signer answers" start_keyward
check "init while running changes nothing" sh -c 'ctl init >"$T/init3.out" 2>&1 && ! grep -q created "$T/init3.out"'
# The running signer records CRLs of its own; init adds nothing.
check "init while running writes no event" test "$(sql "SELECT count(*) FROM events WHERE kind != 'crl'")" = "$ev1"
check "status shows every child up and the token reachable" sh -c 'ctl status >"$T/status" && grep -q "^signer 0: up" "$T/status" && grep -q "^validator 0: up" "$T/status" && grep -q "^frontend 0: up" "$T/status" && grep -q "reachable" "$T/status"'

check "ca-cert prints the CA" sh -c 'ctl ca-cert >"$T/ca.pem" && openssl x509 -in "$T/ca.pem" -noout'
check "caIssuers URL serves the CA certificate as DER" sh -c \
    'curl -sf "http://127.0.0.1:$PORT/ca/keyward.crt" -o "$T/ca.der" && openssl x509 -inform DER -in "$T/ca.der" -outform PEM | cmp -s - "$T/ca.pem"'

csr dev1 -subj "/CN=device-0001" -addext "subjectAltName=URI:IntuneDeviceId://0001,DNS:dev1.example"
check "issue with an openssl CSR" sh -c 'ctl issue --csr "$T/dev1.csr" --profile device --out "$T/dev1.pem" 2>"$T/issue.err"'
check "openssl verify accepts the certificate" openssl verify -CAfile "$T/ca.pem" "$T/dev1.pem"
serial=$(openssl x509 -in "$T/dev1.pem" -noout -serial | cut -d= -f2)
openssl x509 -in "$T/dev1.pem" -noout -text >"$T/dev1.txt"
check "issue names the serial" grep -q "issued $serial" "$T/issue.err"
check "serial is 128 bits" test "${#serial}" -eq 32
check "key usage is the profile's" grep -q "Digital Signature, Key Encipherment" "$T/dev1.txt"
check "extended key usage is the profile's" grep -q "TLS Web Client Authentication" "$T/dev1.txt"
check "end-entity only" grep -q "CA:FALSE" "$T/dev1.txt"
check "SAN kept as requested" grep -q "URI:IntuneDeviceId://0001" "$T/dev1.txt"
check "CRL distribution point and OCSP URL from the config" sh -c \
    'grep -q "URI:http://127.0.0.1:$PORT/crl/keyward.crl" "$T/dev1.txt" && grep -q "OCSP - URI:http://127.0.0.1:$PORT/ocsp" "$T/dev1.txt"'
nb=$(date -d "$(openssl x509 -in "$T/dev1.pem" -noout -startdate | cut -d= -f2)" +%s)
na=$(date -d "$(openssl x509 -in "$T/dev1.pem" -noout -enddate | cut -d= -f2)" +%s)
check "validity is the profile's 365 days (plus clock skew)" test $(( (na - nb) / 86400 )) -eq 365

lower=$(echo "$serial" | tr 'A-F' 'a-f' | sed 's/../&:/g; s/:$//')
check "show finds it by a lower-case serial with colons" sh -c 'ctl show "$0" >"$T/show" && grep -q "^status: *valid" "$T/show" && grep -q "$1" "$T/show"' "$lower" "$serial"
check "show prints the certificate" sh -c 'sed -n "/BEGIN/,/END/p" "$T/show" | cmp -s - "$T/dev1.pem"'
check "list finds it" sh -c 'ctl list | grep -q "^$0 *valid"' "$serial"
check "list --status valid finds it" sh -c 'ctl list --status valid | grep -q "^$0"' "$serial"
check "list --status revoked does not" sh -c '! ctl list --status revoked | grep -q "^$0"' "$serial"
check "ledger verify passes while running" ctl ledger verify
check "ledger checkpoint signs the head" sh -c 'ctl ledger checkpoint | grep -q "checkpoint signed at event"'
check "ledger verify checks the checkpoint" sh -c 'ctl ledger verify | grep -q "last checkpoint at event [1-9]"'

# Tampering, as someone with the sqlite3 CLI would: drop the guards, edit.
for t in $(sql "SELECT name FROM sqlite_master WHERE type='trigger'"); do
	sql "DROP TRIGGER $t"
done
ev=$(sql "SELECT id FROM events WHERE kind='issued' AND serial='$serial'")
sql "UPDATE events SET profile='user' WHERE id=$ev"
refuse "verify names a changed event field (running)" ctl ledger verify
check "the message names the event" grep -q "event $ev" "$T/refused"
sql "UPDATE events SET profile='device' WHERE id=$ev"
check "verify passes again once restored" ctl ledger verify
subject=$(sql "SELECT subject FROM certs WHERE serial='$serial'")
sql "UPDATE certs SET subject='CN=mallory' WHERE serial='$serial'"
refuse "verify names a changed certificate row (running)" ctl ledger verify
check "the message names the serial" grep -q "$serial" "$T/refused"
sql "UPDATE certs SET subject='$subject' WHERE serial='$serial'"
check "verify passes again once the row is restored" ctl ledger verify

check "revoke with an RFC 5280 reason" ctl revoke "$serial" --reason keyCompromise
check "show reports the revocation" sh -c 'ctl show "$0" | grep -q "keyCompromise"' "$serial"
refuse "revoking twice is refused" ctl revoke "$serial" --reason superseded
refuse "an unknown reason is refused" ctl revoke "$serial" --reason because
refuse "an unknown serial is refused" ctl show 00DEADBEEF
refuse "a serial that is not hex is refused" ctl show xyz

csr dev2 -subj "/CN=device-0002"
ctl issue --csr "$T/dev2.csr" --profile device --out "$T/dev2.pem" 2>/dev/null
s2=$(openssl x509 -in "$T/dev2.pem" -noout -serial | cut -d= -f2)
check "certificateHold puts it on hold" sh -c 'ctl revoke "$0" --reason certificateHold && ctl show "$0" | grep -q "^status: *hold"' "$s2"
check "unhold releases it" sh -c 'ctl unhold "$0" && ctl show "$0" | grep -q "^status: *valid"' "$s2"
refuse "unhold of a valid certificate is refused" ctl unhold "$s2"
check "ledger verify passes after revocations" ctl ledger verify

check "keyward stops on SIGTERM" stop_keyward
check "no child left running" sh -c '! pgrep -f "keyward-(signer|frontend|validator) -c $0"' "$CONF"
ev=$(sql "SELECT id FROM events WHERE kind='revoked'")
sql "UPDATE events SET reason=1 WHERE id=$ev"
check "unchanged revocation verifies (stopped)" ctl ledger verify
sql "UPDATE events SET reason=4 WHERE id=$ev"
refuse "verify names a changed event field (stopped)" ctl ledger verify
check "the message names the event" grep -q "event $ev" "$T/refused"
sql "UPDATE events SET reason=1 WHERE id=$ev"
sql "DELETE FROM certs WHERE serial='$s2'"
refuse "verify notices a deleted certificate row (stopped)" ctl ledger verify
check "the message names the serial" grep -q "$s2" "$T/refused"

check "no private key file under the state directory" sh -c '! grep -rlE "PRIVATE KEY|BEGIN RSA|BEGIN EC" "$0"' "$STATE"
as_signer pkcs11-tool --module /usr/lib/softhsm/libsofthsm2.so --token-label keyward \
    --login --pin "$(cat "$STATE/token.pin")" --list-objects >"$T/objects" 2>&1
check "three private keys in the token" test "$(grep -c "^Private Key Object" "$T/objects")" -eq 3
check "every private key is sensitive and never extractable" sh -c \
    'test "$(grep -c "Access:.*sensitive.*never extractable" "$0")" -eq 3' "$T/objects"

finish
