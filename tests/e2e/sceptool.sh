# sceptool.sh: requests made with openssl and sent with
# tests/tools/scep-request, for tests that source it after lib.sh and
# make_ca.  Files go under $T, named after the request.
URL="http://127.0.0.1:$PORT/scep"
SCEPREQ=$B/tests/tools/scep-request
CHALLENGE=$(cat "$STATE/challenge")
export URL SCEPREQ CHALLENGE

# fetch_chain: GetCACert's certificates into $T/chain.pem, the RA (first)
# into $T/ra.pem.
fetch_chain() {
	curl -sf "$URL?operation=GetCACert" >"$T/cacert.der" &&
	    openssl pkcs7 -inform DER -in "$T/cacert.der" -print_certs \
	    -out "$T/chain.pem" && openssl x509 -in "$T/chain.pem" -out "$T/ra.pem"
}

# req_csr NAME [CHALLENGE]: $T/NAME.key and the DER CSR $T/NAME.csr with
# CN=NAME and a challengePassword (the appliance's by default).
req_csr() {
	printf '[req]\ndistinguished_name = dn\nattributes = attrs\nprompt = no\n[dn]\nCN = %s\n[attrs]\nchallengePassword = %s\n' \
	    "$1" "${2:-$CHALLENGE}" >"$T/$1.cnf"
	openssl req -new -newkey rsa:2048 -nodes -keyout "$T/$1.key" \
	    -config "$T/$1.cnf" -outform DER -out "$T/$1.csr" 2>/dev/null
}

# req_envelope NAME IN RECIPIENT [openssl cms options]: $T/NAME.env, the
# file IN enveloped by openssl cms to the certificate RECIPIENT.
req_envelope() {
	name=$1 in=$2 recip=$3; shift 3
	openssl cms -encrypt -binary -in "$in" -recip "$recip" -outform DER \
	    -out "$T/$name.env" "$@"
}

# req_send NAME [scep-request options]: posts $T/NAME.env signed with
# $T/NAME.key; the answer is in $T/NAME.out, the status is the tool's.
req_send() {
	name=$1; shift
	"$SCEPREQ" -u "$URL" -k "$T/$name.key" -e "$T/$name.env" "$@" \
	    >"$T/$name.out" 2>"$T/$name.err"
}

# req_fails NAME FAILINFO [scep-request options]: the answer is a CertRep
# FAILURE with exactly that failInfo.
req_fails() {
	name=$1 want=$2; shift 2
	req_send "$name" "$@"
	r=$?
	[ $r -eq 1 ] && [ "$(cat "$T/$name.out")" = "FAILURE $want" ] && return 0
	echo "exit $r: $(cat "$T/$name.out" "$T/$name.err")"
	return 1
}

# req_issued NAME: the answer held a certificate for NAME's key that
# verifies against the GetCACert chain.
req_issued() {
	openssl verify -CAfile "$T/chain.pem" "$T/$1.out" &&
	    test "$(openssl x509 -in "$T/$1.out" -noout -pubkey)" = \
	    "$(openssl pkey -in "$T/$1.key" -pubout)"
}

issued_count() { sql "SELECT count(*) FROM certs"; }
signing_count() { sql "SELECT count(*) FROM events WHERE kind='signing'"; }
