#!/bin/sh
# intunescep.sh: the intune challenge mode end to end, tried as a new user
# would: pki --scep enrols at /certsrv/mscep/mscep.dll while the fake
# Entra ID / Graph / Intune server (tests/fake/fakeintune.py) stands in for
# Microsoft.  Intune must vouch for each request before anything is signed
# and acknowledge the certificate before it is handed out.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intunelib.sh"

command -v pki >/dev/null || { not_ok "strongswan-pki is installed"; finish; }
make_pki || { not_ok "test PKI"; finish; }
start_fakes || { not_ok "fake server starts"; cat "$T"/*.err; cleanup; finish; }
FPORT=$(cat "$T/fake.port")
export FPORT
intune_appliance || { not_ok "appliance starts"; cleanup; finish; }
check "the Intune path serves GetCACert" test -n "$RA"
count() { sql "SELECT count(*) FROM certs"; }
status_of() { sql "SELECT status FROM certs WHERE txid = '$1'"; }

: >"$FLOG"
check "a request Intune accepts is issued" enrol dev1
check "the certificate verifies against the CA" sh -c \
    'ctl ca-cert >"$T/chain.pem" && openssl verify -CAfile "$T/chain.pem" "$T/dev1.pem"'
check "the fake saw token, discovery, validateRequest, successNotification, in that order" \
    flog '[r for r in R if r != "token"] == ["discovery", "validateRequest", "successNotification"] and R.index("token") < R.index("discovery")'
check "validateRequest and successNotification name one transaction and one CSR" \
    flog 'body(L[R.index("validateRequest")])["request"]["transactionId"] == body(L[R.index("successNotification")])["notification"]["transactionId"] and body(L[R.index("validateRequest")])["request"]["certificateRequest"] == body(L[R.index("successNotification")])["notification"]["certificateRequest"]'
TX1=$(python3 -c 'import json,sys; print([json.loads(json.loads(l)["body"])["request"]["transactionId"] for l in open(sys.argv[1]) if json.loads(l)["route"] == "validateRequest"][-1])' "$FLOG")
check "the challenge reached Intune inside the CSR" \
    flog 'b"intune-challenge-dev1" in base64.b64decode(body(L[R.index("validateRequest")])["request"]["certificateRequest"])'
sql "SELECT status, (SELECT group_concat(kind) FROM events e WHERE e.serial = c.serial) FROM certs c WHERE txid = '$TX1'" >"$T/tx1"
check "the ledger holds it as valid, released after Intune's acknowledgement" \
    grep -qx 'valid|signing,issued,withheld,released' "$T/tx1"

: >"$FLOG"
script validateRequest '[{"code": "ChallengeExpired"}]'
n=$(count)
if enrol dev2; then not_ok "a challenge Intune rejects is refused (issued)"; else ok "a challenge Intune rejects is refused"; fi
check "nothing was issued for it" test "$(count)" -eq "$n"
check "and no successNotification was sent" flog '"successNotification" not in R and "validateRequest" in R'
check "the log names Intune's result" grep -q "ChallengeExpired" "$T/keyward.log"

: >"$FLOG"
script validateRequest '[{"status": 500}, {"status": 500}]'
if enrol dev3; then not_ok "validateRequest answering 500 issues nothing (issued)"; else ok "validateRequest answering 500 issues nothing"; fi
check "nothing was issued then either" test "$(count)" -eq "$n"

# successNotification fails for a while: PENDING, then CertPoll.
: >"$FLOG"
script successNotification '[{"status": 500}, {"status": 500}, {"status": 500}]'
check "an unacknowledged certificate reaches the client once Intune acknowledges" enrol dev4
check "the client was told PENDING and polled for it" flog 'R.count("successNotification") == 4'
check "it verifies" openssl verify -CAfile "$T/chain.pem" "$T/dev4.pem"
check "a CertPoll was answered PENDING while it was withheld" \
    grep -q "messageType 20): PENDING, waiting for Intune" "$T/keyward.log"

# The same enrolment with a certificate assertion (key in a file only the
# validator reads), through the CONNECT proxy with Basic credentials.
stop_keyward
PPORT=$(cat "$T/proxy.port")
[ "$(id -u)" = 0 ] && chown keyward-validator "$T/app.key" "$T/proxy.cred"
sed -i "s|^secret_file = .*|auth = certificate\\
certificate_file = $T/app.pem\\
key_file = $T/app.key\\
proxy = http://127.0.0.1:$PPORT\\
proxy_credentials_file = $T/proxy.cred|" "$CONF"
start_keyward || not_ok "appliance restarts with certificate auth and the proxy"
: >"$FLOG"
: >"$PLOG"
check "certificate auth through the proxy: a request Intune accepts is issued" enrol dev5
check "the token requests carried a PS256 assertion and no secret" \
    flog 'all("client_secret" not in form(e) and json.loads(base64.urlsafe_b64decode(form(e)["client_assertion"].split(".")[0] + "=="))["alg"] == "PS256" for e in L if e["route"] == "token") and "token" in R and "successNotification" in R'
check "every request went through the proxy with our Basic credentials" \
    plog 'L and all(e["accepted"] and e["target"] == "127.0.0.1:" + env["FPORT"] for e in L)'

check "no secret or token in the appliance's log" sh -c \
    "! grep -qF -e '$SECRET' -e '$PROXY_PASS' -e 'fk.' -e 'eyJ' '$T/keyward.log'"
check "the appliance still serves" ctl status
check "ledger verify passes" ctl ledger verify
cleanup
finish
