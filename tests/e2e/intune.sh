#!/bin/sh
# intune.sh: keyward's Intune client (validator/intune*.c, driven by
# tests/tools/intune-probe) against the fake Entra ID / Graph / Intune
# server and a CONNECT proxy, all on loopback with a test CA made here:
# both ways of authenticating, the order and shape of what Intune is
# sent, every way a call can fail, retries, Retry-After, the proxy, and
# that no secret reaches the log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intunelib.sh"

PROBE=$B/tests/tools/intune-probe
OUT=$T/out

# conf NAME [KEY = VALUE ...]: a configuration pointing at the fake;
# a KEY given replaces the default line for it.
conf() {
	name=$1; shift
	f=$T/$name.conf
	{
		printf '[keyward]\nlog_level = debug\n[token]\n'
		printf 'pin_file = %s/none\n[ca]\nsubject = CN=x\n' "$T"
		# The module alone: no SCEP path bound to it, so no profiles.
		printf '[scep]\nndes_challenge = off\n'
		printf '[intune]\ntenant = contoso.onmicrosoft.com\n'
		printf 'client_id = %s\nsecret_file = %s/secret\n' \
		    "$CLIENT_ID" "$T"
		printf 'authority = https://127.0.0.1:%s/\n' "$FPORT"
		printf 'graph_url = https://127.0.0.1:%s/\n' "$FPORT"
		printf 'tls_ca_bundle = %s/ca.pem\nrequest_timeout = 2\n' "$T"
		printf 'connect_timeout = 2\nnotification_deadline = 20\n'
	} >"$f"
	for kv in "$@"; do
		if grep -q "^${kv%% = *} = " "$f"; then
			sed -i "s|^${kv%% = *} = .*|$kv|" "$f"
		else
			printf '%s\n' "$kv" >>"$f"
		fi
	done
}

# probe CONF OP...: runs the client with an empty fake log; outcomes go
# to $OUT, its exit status to $RC, its log to run.log and probe.log.
probe() {
	c=$1; shift
	: >"$FLOG"
	"$PROBE" "$T/$c.conf" "$@" >"$OUT" 2>"$T/run.log"
	RC=$?
	cat "$T/run.log" >>"$T/probe.log"
}

# out PATTERN: the probe's outcomes match PATTERN (grep -E).
out() { grep -qE "$1" "$OUT" || { sed 's/^/# got: /' "$OUT"; false; }; }

make_pki || { not_ok "test PKI"; finish; }
start_fakes || { not_ok "fake server and proxy start"; cat "$T"/*.err; cleanup; finish; }
FPORT=$(cat "$T/fake.port")
PPORT=$(cat "$T/proxy.port")
export FPORT
conf secret
conf cert "auth = certificate" "certificate_file = $T/app.pem" \
    "key_file = $T/app.key"
conf rs256 "auth = certificate" "certificate_file = $T/app.pem" \
    "key_file = $T/app.key" "assertion_alg = RS256"

# Secret authentication, the whole flow.
probe secret validate TX1 "$T/dev.csr" then success TX1 "$T/dev.csr" "$T/dev.pem"
check "secret: validateRequest and successNotification succeed" \
    test "$(grep -c '^TX1 Success ' "$OUT")" = 2 -a "$RC" = 0
check "the fake saw token, token, discovery, validateRequest, successNotification" \
    flog 'R == ["token", "token", "discovery", "validateRequest", "successNotification"]'
check "one token per scope, with the client secret, scopes as Microsoft spells them" \
    flog 'sorted(form(e)["scope"] for e in L[:2]) == ["https://api.manage.microsoft.com//.default", "https://graph.microsoft.com/.default"] and all(form(e)["client_secret"] == "S3cr3t+/&=%value" and form(e)["grant_type"] == "client_credentials" and form(e)["client_id"] == "11111111-2222-3333-4444-555555555555" for e in L[:2])'
check "discovery asks for Intune's service principal endpoints, without a query" \
    flog 'L[2]["path"] == "/v1.0/servicePrincipals/appId=0000000a-0000-0000-c000-000000000000/endpoints" and L[2]["headers"]["Authorization"].startswith("Bearer fk.")'
check "validateRequest carries exactly transactionId, the CSR and callerInfo" \
    flog 'body(L[3]) == {"request": {"transactionId": "TX1", "certificateRequest": CSR, "callerInfo": "keyward/0.1.0"}}'
check "Intune calls carry api-version, UserAgent, JSON types and a new client-request-id each" \
    flog 'all(e["headers"]["api-version"] == "2018-02-20" and e["headers"]["UserAgent"] == "keyward/0.1.0" and e["headers"]["Content-Type"] == "application/json; charset=utf-8" and e["headers"]["Accept"] == "application/json" for e in L[3:]) and len({e["headers"]["client-request-id"] for e in L}) == 5 and all(re.fullmatch("[0-9a-f-]{36}", e["headers"]["client-request-id"]) for e in L)'
THUMB=$(openssl x509 -in "$T/dev.pem" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g')
SERIAL=$(openssl x509 -in "$T/dev.pem" -noout -serial | sed 's/.*=//')
export THUMB SERIAL
check "successNotification names the same transaction and CSR, and the certificate" \
    flog '(n := body(L[4])["notification"])["transactionId"] == "TX1" and n["certificateRequest"] == CSR and n["certificateThumbprint"] == env["THUMB"] and n["certificateSerialNumber"] == env["SERIAL"] and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z", n["certificateExpirationDateUtc"]) and n["issuingCertificateAuthority"] == "keyward Test CA" and n["certificateAuthority"] == "keyward Test CA" and n["caConfiguration"] == "keyward/1" and n["callerInfo"] == "keyward/0.1.0"'

probe secret failure TX2 "$T/dev.csr" 0x80004005 "CA refused: key too short"
check "failureNotification: hResult as a signed 32-bit number, the description" \
    flog 'body(L[-1]) == {"notification": {"transactionId": "TX2", "certificateRequest": CSR, "hResult": -2147467259, "errorDescription": "CA refused: key too short", "callerInfo": "keyward/0.1.0"}}'

# Certificate authentication: the fake checks the assertion's signature
# with openssl, its thumbprint, audience, issuer, subject and time window.
probe cert validate TX3 "$T/dev.csr"
check "certificate (PS256, x5t#S256): Entra ID accepts the assertion" out "^TX3 Success "
check "the token requests carry a JWT assertion and no secret" \
    flog 'all("client_secret" not in form(e) and form(e)["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" and json.loads(base64.urlsafe_b64decode(form(e)["client_assertion"].split(".")[0] + "==")) ["alg"] == "PS256" for e in L if e["route"] == "token")'
probe rs256 validate TX4 "$T/dev.csr"
check "certificate (RS256, x5t): accepted too" out "^TX4 Success "

# Concurrency: one fetch per token and discovery, and a slow call holds
# up nothing else.
script validateRequest '[{"delay": 1.5}]' SLOW
probe secret validate SLOW "$T/dev.csr" validate FAST "$T/dev.csr"
check "a fast call ends while a slow one waits on Intune" \
    sh -c "head -1 '$OUT' | grep -q '^FAST Success' && tail -1 '$OUT' | grep -q '^SLOW Success'"
check "concurrent calls share one token per scope and one discovery" \
    flog 'R.count("token") == 2 and R.count("discovery") == 1 and R.count("validateRequest") == 2'

# Intune's verdicts.
script validateRequest '[{"code": "ChallengeExpired", "desc": "challenge expired at 12:00"}]'
probe secret validate TX5 "$T/dev.csr"
check "a rejected challenge maps to ChallengeExpired with Intune's description" \
    out "^TX5 ChallengeExpired ChallengeExpired: challenge expired at 12:00 \(client-request-id [0-9a-f-]{36}\)$"
check "and is not retried" flog 'R.count("validateRequest") == 1'
check "Intune's refusal counts as a verdict (exit 2)" test "$RC" = 2
CODES="CertificateRequestDecodingFailed ChallengePasswordMissing ChallengeDeserializationError ChallengeDecryptionError ChallengeDecodingError ChallengeInvalidTimestamp SubjectNameMissing SubjectNameMismatch SubjectAltNameMissing SubjectAltNameMismatch KeyUsageMismatch KeyLengthMismatch EnhancedKeyUsageMissing EnhancedKeyUsageMismatch AadKeyIdentifierListMissing RegisteredKeyMismatch SigningCertThumbprintMismatch ScepProfileNoLongerTargetedToTheClient SignatureValidationFailed BadCertificateRequestIdInChallenge BadDeviceIdInChallenge BadUserIdInChallenge"
args=
for c in $CODES BrandNewCode; do
	script validateRequest "[{\"code\": \"$c\"}]" "T-$c"
	args="$args validate T-$c $T/dev.csr"
done
probe secret $args
check "each Intune result code maps to its own result, an unknown one to Unknown" \
    sh -c "for c in $CODES; do grep -q \"^T-\$c \$c \$c: scripted\" '$OUT' || exit 1; done; grep -q '^T-BrandNewCode Unknown BrandNewCode' '$OUT'"

# Failures before Intune.
conf down "authority = https://127.0.0.1:1/"
probe down validate TX6 "$T/dev.csr"
check "token endpoint down: a transport error, nothing sent to Intune" \
    sh -c "grep -qE '^TX6 transport-error Intune token: .*' '$OUT' && ! test -s '$FLOG'"
check "a failure to reach Entra ID is no verdict (exit 3)" test "$RC" = 3
conf badsecret "secret_file = $T/badsecret"
probe badsecret validate TX7 "$T/dev.csr"
check "an invalid secret: Entra ID's refusal, named" \
    out "^TX7 auth-error Intune token: Entra ID refused us \(HTTP 401\): invalid_client: AADSTS7000215: Invalid client secret provided\."
check "and no call to Intune" flog '"validateRequest" not in R and R.count("token") == 1'
script discovery '[{"omit_scep": true}]'
probe secret validate TX8 "$T/dev.csr"
check "discovery without the SCEP service: a discovery error, no call to Intune" \
    sh -c "grep -q '^TX8 discovery-error discovery: Graph lists no ScepRequestValidationFEService' '$OUT' && ! grep -q validateRequest '$FLOG'"
script discovery '[{"paged": true}]'
probe secret validate TX9 "$T/dev.csr"
check "discovery follows @odata.nextLink to the SCEP service" \
    sh -c "grep -q '^TX9 Success' '$OUT' && test \$(grep -c '\"discovery\"' '$FLOG') = 2"
conf notrust "tls_ca_bundle = /etc/ssl/certs/ca-certificates.crt"
probe notrust validate TX10 "$T/dev.csr"
check "a server the trust store does not vouch for: refused, not retried" \
    sh -c "grep -qE '^TX10 transport-error .*(certificate|SSL)' '$OUT' && ! test -s '$FLOG'"

# Failures of validateRequest itself.
script validateRequest '[{"status": 500}, {"status": 500}]'
probe secret validate TX11 "$T/dev.csr"
check "validateRequest 500: retried once, then an HTTP error" \
    sh -c "grep -q '^TX11 http-error Intune: HTTP 500' '$OUT' && test \$(grep -c '\"validateRequest\"' '$FLOG') = 2"
script validateRequest '[{"delay": 3}, {"delay": 3}]'
probe secret validate TX12 "$T/dev.csr"
check "validateRequest slower than request_timeout: two attempts, a transport error" \
    sh -c "grep -qiE '^TX12 transport-error Intune: .*timed? ?out' '$OUT' && test \$(grep -c '\"validateRequest\"' '$FLOG') = 2"
# libcurl itself sends once more when a reused connection dies before
# any answer, so two attempts may make three requests.
script validateRequest '[{"reset": true}, {"reset": true}, {"reset": true}]'
probe secret validate TX13 "$T/dev.csr"
check "every connection reset: a transport error after two attempts" \
    sh -c "grep -q '^TX13 transport-error Intune: .*reset' '$OUT' && grep -q 'attempt 2 in' '$T/run.log' && test \$(grep -c '\"validateRequest\"' '$FLOG') -ge 2"
script validateRequest '[{"reset": true}]'
probe secret validate TX14 "$T/dev.csr"
check "one connection reset: the call still succeeds" out "^TX14 Success "
script validateRequest '[{"body": "{\"code\": \"Succ"}]'
probe secret validate TX15 "$T/dev.csr"
check "malformed JSON: a protocol error, not retried" \
    sh -c "grep -q '^TX15 protocol-error unreadable reply from Intune' '$OUT' && test \$(grep -c '\"validateRequest\"' '$FLOG') = 1"
script validateRequest '[{"status": 401}]'
probe secret validate TX16 "$T/dev.csr"
check "401 from Intune: a new Intune token, then success" \
    sh -c "grep -q '^TX16 Success' '$OUT'" 
check "in that order" flog 'R == ["token", "token", "discovery", "validateRequest", "token", "validateRequest"] and L[3]["headers"]["Authorization"] != L[5]["headers"]["Authorization"]'
script validateRequest '[{"status": 404}]'
probe secret validate TX17 "$T/dev.csr"
check "404 from Intune: discovery again, then success" \
    flog 'R == ["token", "token", "discovery", "validateRequest", "discovery", "validateRequest"]'
check "the fake refuses a bearer token it did not issue" sh -c \
    "test \"\$(curl -s -o /dev/null -w '%{http_code}' --cacert '$T/ca.pem' -H 'Authorization: Bearer fk.forged' -H 'api-version: 2018-02-20' -d '{}' 'https://127.0.0.1:$FPORT/RACerts/ScepRequestValidationFEService/Gateway/StatelessScepRequestValidationService/ScepActions/validateRequest')\" = 401"

# Retries with backoff and Retry-After, timed by the fake's clock.
script successNotification '[{"status": 500}, {"status": 503}]'
probe secret success TX18 "$T/dev.csr" "$T/dev.pem"
check "successNotification failing twice, then acknowledged on the third attempt" \
    sh -c "grep -q '^TX18 Success' '$OUT'"
check "with growing backoff between attempts (>= 1 s, then >= 2 s)" \
    flog '(g := gaps("successNotification")) and len(g) == 2 and g[0] >= 1.0 and g[1] >= 2.0'
script validateRequest '[{"status": 429, "retry_after": 3}]'
probe secret validate TX19 "$T/dev.csr"
check "429 with Retry-After: 3 is honoured, then success" \
    flog '(g := gaps("validateRequest")) and len(g) == 1 and 3.0 <= g[0] < 4.5'
check "and the retry succeeds" out "^TX19 Success "
script validateRequest '[{"status": 429, "retry_after": 60}]'
probe secret validate TX20 "$T/dev.csr"
check "a Retry-After beyond the deadline: throttled, not waited for" \
    sh -c "grep -q '^TX20 throttled Intune: HTTP 429, throttled beyond the deadline' '$OUT' && test \$(grep -c '\"validateRequest\"' '$FLOG') = 1"

# Through an HTTP proxy with Basic authentication.
conf proxy "proxy = http://127.0.0.1:$PPORT" \
    "proxy_credentials_file = $T/proxy.cred"
probe proxy validate TX21 "$T/dev.csr"
check "through the CONNECT proxy: success" out "^TX21 Success "
export PROXY_PASS
check "the proxy saw CONNECTs to the fake with our Basic credentials" \
    plog 'L and all(e["accepted"] and e["target"] == "127.0.0.1:" + env["FPORT"] and base64.b64decode(e["proxy_authorization"][6:]).decode() == "kw:" + env["PROXY_PASS"] for e in L)'
: >"$PLOG"
conf badproxy "proxy = http://127.0.0.1:$PPORT" \
    "proxy_credentials_file = $T/badproxy.cred"
probe badproxy validate TX22 "$T/dev.csr"
check "wrong proxy credentials: a transport error, nothing reaches the fake" \
    sh -c "grep -q '^TX22 transport-error' '$OUT' && ! test -s '$FLOG' && grep -q '\"accepted\": false' '$PLOG'"

# Configuration and credential files.
printf '[token]\npin_file = /x\n[ca]\nsubject = CN=x\n[intune]\ntenant = contoso.onmicrosoft.com\n' >"$T/half.conf"
refuse "[intune] without client_id is refused" "$PROBE" "$T/half.conf" validate X "$T/dev.csr"
chmod 644 "$T/app.key"
refuse "an assertion key others may read is refused" "$PROBE" "$T/cert.conf" validate X "$T/dev.csr"
chmod 600 "$T/app.key"

# The fake's directory (for the directory sync to come): a Graph token,
# then objects, 404s and delta queries.
GTOKEN=$(curl -s --cacert "$T/ca.pem" --data-urlencode grant_type=client_credentials \
    --data-urlencode client_id=$CLIENT_ID --data-urlencode "client_secret=$SECRET" \
    --data-urlencode scope=https://graph.microsoft.com/.default \
    "https://127.0.0.1:$FPORT/contoso.onmicrosoft.com/oauth2/v2.0/token" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
graph() {
	curl -s --cacert "$T/ca.pem" -H "Authorization: Bearer $GTOKEN" -g \
	    "https://127.0.0.1:$FPORT$1" >"$T/$2"
}
fake '{"op":"dir","kind":"devices","action":"put","id":"obj-1","obj":{"deviceId":"dev-1","accountEnabled":true,"displayName":"PC-1"}}'
fake '{"op":"dir","kind":"users","action":"put","id":"u-1","obj":{"userPrincipalName":"jane@contoso.com","accountEnabled":true,"displayName":"Jane"}}'
graph /v1.0/devices/delta delta0
graph "/v1.0/devices(deviceId='dev-1')?\$select=id,accountEnabled" g1
check "a device by its Entra device id, only the fields selected" \
    pycheck "$T/g1" 'L[0]["id"] == "obj-1" and L[0]["accountEnabled"] is True and "displayName" not in L[0]'
graph /v1.0/users/jane@contoso.com g2
check "a user without \$select: the default property set, no accountEnabled" \
    pycheck "$T/g2" 'L[0]["displayName"] == "Jane" and "accountEnabled" not in L[0]'
fake '{"op":"dir","kind":"devices","action":"patch","id":"obj-1","obj":{"accountEnabled":false}}'
fake '{"op":"dir","kind":"users","action":"delete","id":"u-1"}'
graph /v1.0/users/jane@contoso.com g3
check "a deleted user is a Graph 404, Request_ResourceNotFound" \
    pycheck "$T/g3" 'L[0]["error"]["code"] == "Request_ResourceNotFound"'
DLINK=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["@odata.deltaLink"].split("/", 3)[3])' "$T/delta0")
graph "/$DLINK" g4
check "the device delta since the last link holds only the disabled device" \
    pycheck "$T/g4" '[(d["id"], d["accountEnabled"]) for d in L[0]["value"]] == [("obj-1", False)]'

# Nothing secret in anything the client logged, at debug level.
check "the client logged at debug level" grep -q "token for 3599 s" "$T/probe.log"
check "no secret, proxy password, token or assertion in the client's log" \
    sh -c "! grep -qF -e '$SECRET' -e '$PROXY_PASS' -e 'fk.' -e 'eyJ' -e 'BEGIN' '$T/probe.log'"

cleanup
finish
