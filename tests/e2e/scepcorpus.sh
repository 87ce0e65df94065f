#!/bin/sh
# scepcorpus.sh: the SCEP bad-input regression corpus.  Unparsable bodies
# (tests/corpus/scep) get HTTP 400; well-formed messages with one thing
# wrong get a CertRep FAILURE with the failInfo that frontend/scep_parse.c
# gives for it.  Nothing is issued, the appliance keeps serving and the
# ledger verifies.
. "$(dirname "$0")/lib.sh"

make_ca && start_keyward || { not_ok "appliance starts"; finish; }
. "$(dirname "$0")/sceptool.sh"
CORPUS=$top_srcdir/tests/corpus/scep
fetch_chain || not_ok "GetCACert gives the RA"
n_certs=$(issued_count)
n_signing=$(signing_count)
children() { ps -o pid= --ppid "$KW" | sort | tr -d ' ' | tr '\n' ' '; }
kids=$(children)

# http_code METHOD FILE: the status of a POST of FILE, or of a GET with
# FILE as message= (base64-encoded unless it is text already).
http_code() {
	case $1 in
	POST)	curl -s -o /dev/null -w '%{http_code}' --data-binary @"$2" \
		    "$URL?operation=PKIOperation" ;;
	GET)	case $2 in
		*.b64)	tr -d '\n' <"$2" >"$T/msg" ;;
		*)	base64 -w0 "$2" >"$T/msg" ;;
		esac
		curl -s -o /dev/null -w '%{http_code}' -G \
		    --data-urlencode message@"$T/msg" \
		    "$URL?operation=PKIOperation" ;;
	esac
}
for f in "$CORPUS"/*.der "$CORPUS"/*.b64 "$CORPUS"/*.bin; do
	for m in POST GET; do
		check "$m $(basename "$f") gets HTTP 400" \
		    test "$(http_code $m "$f")" = 400
	done
done

# Well-formed requests with one thing wrong, each from its own key.
req_csr sig && req_envelope sig "$T/sig.csr" "$T/ra.pem" -aes256
check "a signature that does not verify: badMessageCheck" \
    req_fails sig badMessageCheck -x
req_csr type && req_envelope type "$T/type.csr" "$T/ra.pem" -aes256
check "an unknown messageType: badRequest" req_fails type badRequest -m 99
check "a messageType that is not a number: badRequest" \
    req_fails type badRequest -m PKCSReq
req_csr md5 && req_envelope md5 "$T/md5.csr" "$T/ra.pem" -aes256
check "an MD5 signature: badAlg" req_fails md5 badAlg -d md5
openssl req -x509 -new -newkey rsa:2048 -nodes -keyout "$T/other.key" \
    -subj "/CN=keyward SCEP RA" -out "$T/other.pem" 2>/dev/null
req_csr recip && req_envelope recip "$T/recip.csr" "$T/other.pem" -aes256
check "an envelope for a certificate that is not the RA: badMessageCheck" \
    req_fails recip badMessageCheck
req_csr csrsig
python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[-5] ^= 0xff; open(sys.argv[1], "wb").write(b)' "$T/csrsig.csr"
req_envelope csrsig "$T/csrsig.csr" "$T/ra.pem" -aes256
check "a CSR whose own signature is wrong: badRequest" \
    req_fails csrsig badRequest
req_csr junk && head -c 600 /dev/urandom >"$T/junk.bin" &&
    req_envelope junk "$T/junk.bin" "$T/ra.pem" -aes256
check "an envelope holding random bytes, not a CSR: badMessageCheck" \
    req_fails junk badMessageCheck
req_csr bare && cp "$T/bare.csr" "$T/bare.env"
check "a CSR signed without an envelope: badRequest" \
    req_fails bare badRequest
req_csr wrong "not-the-challenge" &&
    req_envelope wrong "$T/wrong.csr" "$T/ra.pem" -aes256
check "a wrong challenge: badRequest" req_fails wrong badRequest

check "nothing was issued" test "$(issued_count)" -eq "$n_certs"
check "no signing event was written" test "$(signing_count)" -eq "$n_signing"
check "no keyward process died or was restarted" test -n "$kids" -a "$(children)" = "$kids"
check "the appliance still serves" ctl status
check "GetCACaps is still answered" sh -c \
    'curl -sf "$URL?operation=GetCACaps" | grep -qx POSTPKIOperation'
req_csr good && req_envelope good "$T/good.csr" "$T/ra.pem" -aes256
check "a good request is still issued" req_send good
check "and verifies against the GetCACert chain" req_issued good
check "ledger verify passes" ctl ledger verify
finish
