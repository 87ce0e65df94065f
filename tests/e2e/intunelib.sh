# intunelib.sh: the fake Entra ID / Graph / Intune server and the CONNECT
# proxy for the end-to-end tests, on loopback with a test CA made here.
# Sourced after lib.sh.

FAKE=$top_srcdir/tests/fake
CLIENT_ID=11111111-2222-3333-4444-555555555555
SECRET='S3cr3t+/&=%value'
PROXY_PASS='pr0xy:pa55'
FLOG=$T/fake.log
PLOG=$T/proxy.log
PIDS=

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	PIDS=
}
trap 'cleanup; rm -rf "$T"' INT TERM

# A test CA, the fake's server certificate for 127.0.0.1, the app
# registration's certificate and key, a device CSR and its certificate.
make_pki() {
	cd "$T" || return 1
	printf 'subjectAltName=IP:127.0.0.1\n' >san.ext
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem \
	    -days 2 -subj "/CN=keyward Test CA" &&
	    openssl req -new -newkey rsa:2048 -nodes -keyout srv.key \
	    -out srv.csr -subj "/CN=127.0.0.1" &&
	    openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key \
	    -CAcreateserial -days 2 -extfile san.ext -out srv.pem &&
	    openssl req -x509 -newkey rsa:2048 -nodes -keyout app.key \
	    -out app.pem -days 2 -subj "/CN=keyward app" &&
	    openssl req -new -newkey rsa:2048 -nodes -keyout dev.key \
	    -outform DER -out dev.csr -subj "/CN=device-1" &&
	    openssl req -inform DER -in dev.csr -out dev.csr.pem &&
	    openssl x509 -req -in dev.csr.pem -CA ca.pem -CAkey ca.key \
	    -CAcreateserial -days 1 -out dev.pem &&
	    printf '%s\n' "$SECRET" >secret && printf 'wrong\n' >badsecret &&
	    printf 'kw:%s\n' "$PROXY_PASS" >proxy.cred &&
	    printf 'kw:nope\n' >badproxy.cred &&
	    printf '%s\n' "$PROXY_PASS" >proxy.pass &&
	    chmod 600 app.key secret badsecret proxy.cred badproxy.cred
	r=$?
	cd - >/dev/null
	return $r
} 2>/dev/null

# CLIENT_CERT: the app registration's certificate, if not app.pem.
start_fakes() {
	python3 "$FAKE/fakeintune.py" --cert "$T/srv.pem" --key "$T/srv.key" \
	    --port-file "$T/fake.port" --log "$FLOG" --client-id "$CLIENT_ID" \
	    --secret-file "$T/secret" --client-cert "${CLIENT_CERT:-$T/app.pem}" \
	    >/dev/null 2>"$T/fake.err" &
	PIDS="$PIDS $!"
	python3 "$FAKE/connectproxy.py" --user kw --password-file \
	    "$T/proxy.pass" --port-file "$T/proxy.port" --log "$PLOG" \
	    >/dev/null 2>"$T/proxy.err" &
	PIDS="$PIDS $!"
	wait_for test -s "$T/fake.port" && wait_for test -s "$T/proxy.port"
}

# intune_appliance [CONF-LINE...]: the CA, an [intune] section speaking to
# the fake (plus the lines given), the appliance started, and $URL, $RA
# for pki --scep on the Intune path.
intune_appliance() {
	make_ca || return 1
	[ "$(id -u)" = 0 ] && chown keyward-validator "$T/secret"
	cat >>"$CONF" <<CONF
[intune]
tenant = contoso.onmicrosoft.com
client_id = $CLIENT_ID
secret_file = $T/secret
authority = https://127.0.0.1:$FPORT/
graph_url = https://127.0.0.1:$FPORT/
tls_ca_bundle = $T/ca.pem
request_timeout = 3
notification_deadline = 30
CONF
	printf '%s\n' "$@" >>"$CONF"
	start_keyward || return 1
	URL="http://127.0.0.1:$PORT/certsrv/mscep/mscep.dll"
	(cd "$T" && pki --scepca --url "$URL" --caout ca.der --raout ra.der \
	    --force) >/dev/null 2>&1
	RA=$(ls "$T"/ra*.der 2>/dev/null | head -1)
	test -n "$RA"
}

# enrol NAME [pki options]: a key, and pki --scep with CN=NAME polling
# every second; the certificate in $T/NAME.pem.
enrol() {
	dev=$1; shift
	pki --gen --type rsa --size 2048 --outform der >"$T/$dev.key" 2>/dev/null
	pki --scep --url "$URL" --in "$T/$dev.key" --dn "CN=$dev" \
	    --password "intune-challenge-$dev" --cacert-enc "$RA" \
	    --cacert-sig "$RA" --cacert "$T/ca.der" --interval 1 \
	    --maxpolltime 60 --outform pem "$@" >"$T/$dev.pem" 2>"$T/$dev.err"
}

fake() {
	curl -sf --cacert "$T/ca.pem" -d "$1" \
	    "https://127.0.0.1:$FPORT/_control" >/dev/null
}

# script ROUTE JSON-LIST [TXID]: queues answers for the next requests.
script() {
	fake "{\"op\":\"script\",\"route\":\"$1\",\"responses\":$2${3:+,\"txid\":\"$3\"}}"
}

# flog PYEXPR: PYEXPR holds over the fake's log: L the entries, R their
# routes, body(e) the JSON body, form(e) the form fields, gaps(route) the
# times between requests to route, CSR the base64 of the device CSR, env
# the environment.
flog() { pycheck "$FLOG" "$1"; }
plog() { pycheck "$PLOG" "$1"; }
pycheck() {
	python3 - "$1" "$2" "$T" <<'EOF'
import base64, json, os, re, sys, urllib.parse
L = [json.loads(l) for l in open(sys.argv[1])]
R = [e.get("route") for e in L]
env = os.environ
body = lambda e: json.loads(e["body"])
form = lambda e: dict(urllib.parse.parse_qsl(e["body"]))
times = lambda r: [e["t"] for e in L if e["route"] == r]
gaps = lambda r: [b - a for a, b in zip(times(r), times(r)[1:])]
CSR = base64.b64encode(open(sys.argv[3] + "/dev.csr", "rb").read()).decode()
ok = eval(sys.argv[2])
if not ok:
    print("routes:", R)
sys.exit(0 if ok else 1)
EOF
}
