#!/bin/sh
# subordinate.sh: an issuing CA under an external root, with an EC key:
# init --subordinate writes the request, the root signs it, install-ca-cert
# takes the chain, and certificates verify up to the root.
. "$(dirname "$0")/lib.sh"

"$B/keywardctl" sample-config --state-dir "$STATE" --listen "127.0.0.1:$PORT" >"$CONF" 2>/dev/null
check "init --subordinate with an EC P-384 key writes a request" sh -c \
    'ctl init --subordinate --key-type ec:p384 >"$T/init.out" 2>&1 && grep -q "ca-1.csr" "$T/init.out"'
check "the request is signed by a P-384 key" sh -c \
    'openssl req -in "$STATE/ca-1.csr" -noout -verify -text 2>&1 | grep -q "NIST CURVE: P-384"'
check "a plain init does not self-sign while the request waits" sh -c \
    'ctl init >"$T/init1b.out" 2>&1 && grep -q "waiting for the signed certificate" "$T/init1b.out"'
refuse "keyward refuses to start without a CA certificate" sh -c \
    '"$B/keyward-signer" -c "$CONF" --serve 0 2>&1 3</dev/null 4</dev/null 5</dev/null | grep "no CA certificate" >&2; exit 1'

# The external root: a file-based openssl CA made here.
openssl req -x509 -newkey rsa:3072 -nodes -keyout "$T/root.key" -out "$T/root.pem" \
    -subj "/CN=Test External Root" -days 3650 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' >"$T/sub.ext"
openssl x509 -req -in "$STATE/ca-1.csr" -CA "$T/root.pem" -CAkey "$T/root.key" \
    -CAcreateserial -days 1825 -extfile "$T/sub.ext" -out "$T/sub.pem" 2>/dev/null
cat "$T/sub.pem" "$T/root.pem" >"$T/chain.pem"
chmod 644 "$T/chain.pem"

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/other.key" -out "$T/other.pem" -subj "/CN=other" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
chmod 644 "$T/other.pem"
refuse "install-ca-cert refuses a certificate for another key" ctl install-ca-cert "$T/other.pem"
check "install-ca-cert takes the signed chain" ctl install-ca-cert "$T/chain.pem"
check "a second install-ca-cert changes nothing" sh -c 'ctl install-ca-cert "$T/chain.pem" | grep -q "already installed"'
check "init afterwards changes nothing" sh -c 'ctl init >"$T/init2.out" 2>&1 && ! grep -q "created\|issued" "$T/init2.out"'

check "keyward starts" start_keyward
check "ca-cert prints the chain, CA first" sh -c \
    'ctl ca-cert >"$T/ca.pem" && test "$(grep -c BEGIN "$T/ca.pem")" -eq 2 && openssl x509 -in "$T/ca.pem" -noout -subject | grep -q "keyward Demo Root CA"'
csr u1 -subj "/CN=alice" -addext "subjectAltName=email:alice@example.com,otherName:msUPN;UTF8:alice@example.com"
check "issue under the user profile" sh -c 'ctl issue --csr "$T/u1.csr" --profile user --out "$T/u1.pem"'
check "the certificate verifies up to the external root" \
    openssl verify -CAfile "$T/root.pem" -untrusted "$T/sub.pem" "$T/u1.pem"
check "it is signed with ECDSA" sh -c 'openssl x509 -in "$T/u1.pem" -noout -text | grep -q "ecdsa-with-SHA256"'
check "the UPN SAN is kept" sh -c 'openssl x509 -in "$T/u1.pem" -noout -text | grep -q "UPN:alice@example.com\|othername: UPN::alice@example.com"'
check "email protection as the user profile says" sh -c 'openssl x509 -in "$T/u1.pem" -noout -text | grep -q "E-mail Protection"'
check "ledger verify passes" ctl ledger verify

# Privilege separation, read from /proc as an administrator would.
pid_of() { pgrep -f "$1 -c $CONF" | head -1; }
if [ "$(id -u)" = 0 ]; then
	check "the signer runs as keyward-signer" sh -c 'grep -q "^Uid:.*$(id -u keyward-signer)" /proc/$0/status' "$(pid_of keyward-signer)"
	check "the validator runs as keyward-validator" sh -c 'grep -q "^Uid:.*$(id -u keyward-validator)" /proc/$0/status' "$(pid_of keyward-validator)"
	check "the frontend runs as keyward-frontend" sh -c 'grep -q "^Uid:.*$(id -u keyward-frontend)" /proc/$0/status' "$(pid_of keyward-frontend)"
	check "the frontend is jailed in the empty chroot" sh -c 'test "$(readlink /proc/$0/root)" = "$1"' "$(pid_of keyward-frontend)" "$STATE/empty"
	check "no child keeps capabilities" sh -c 'for p in $(pgrep -f "keyward-[a-z]* -c $0"); do grep -q "^CapEff:.*0000000000000000" /proc/$p/status || exit 1; done' "$CONF"
	check "no child may gain privileges" sh -c 'for p in $(pgrep -f "keyward-[a-z]* -c $0"); do grep -q "^NoNewPrivs:.*1" /proc/$p/status || exit 1; done' "$CONF"
	# Mode 2 is a seccomp filter; sanitizer builds run without one.
	sc=2; sc_what="runs under its seccomp filter"
	[ -n "${KEYWARD_SANITIZERS:-}" ] && { sc=0; sc_what="runs without seccomp (sanitizer build)"; }
	check "each child $sc_what" sh -c 'for c in signer validator frontend; do
		s=/proc/$(pgrep -f "keyward-$c -c $1" | head -1)/status
		grep -q "^Seccomp:[[:space:]]*$0\$" "$s" || { echo "keyward-$c:"; grep "^Seccomp" "$s"; exit 1; }
	    done' "$sc" "$CONF"
else
	check "unprivileged start is reported" grep -q "every child runs as this user" "$T/keyward.log"
fi

finish
