#!/bin/sh
# badinput.sh: bad CSRs and hostile IPC peers each get a clear refusal,
# the appliance keeps serving and the ledger stays intact.
. "$(dirname "$0")/lib.sh"

make_ca && start_keyward || { not_ok "appliance starts"; finish; }

csr ca -subj "/CN=not-a-ca" -addext "basicConstraints=critical,CA:TRUE"
refuse "a CSR asking for CA:TRUE" ctl issue --csr "$T/ca.csr" --profile device
check "the reason names CA:TRUE" grep -q "CA:TRUE" "$T/refused"

openssl req -new -newkey rsa:1024 -nodes -keyout "$T/small.key" -out "$T/small.csr" -subj "/CN=small" 2>/dev/null
refuse "a 1024-bit RSA key" ctl issue --csr "$T/small.csr" --profile device
check "the reason names the key size" grep -q "2048" "$T/refused"

csr sig -subj "/CN=bad-signature"
openssl req -in "$T/sig.csr" -outform DER -out "$T/sig.der"
python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[-5] ^= 0xff; open(sys.argv[1], "wb").write(b)' "$T/sig.der"
refuse "a CSR whose signature does not verify" ctl issue --csr "$T/sig.der" --profile device
check "the reason names the signature" grep -qi "signature" "$T/refused"

csr good -subj "/CN=good"
refuse "an unknown profile" ctl issue --csr "$T/good.csr" --profile nosuch
check "the reason names the profile" grep -q "nosuch" "$T/refused"

head -c 4096 /dev/urandom >"$T/garbage.csr"
refuse "garbage bytes as a CSR" ctl issue --csr "$T/garbage.csr" --profile device
refuse "a missing CSR file" ctl issue --csr "$T/nonexistent.csr" --profile device
refuse "a config with an unknown key" sh -c 'sed "s/^\[ledger\]/[ledger]\nbogus = 1/" "$CONF" >"$T/bad.conf" && "$B/keywardctl" -c "$T/bad.conf" status'
check "the config error names file, line and key" grep -q "bad.conf:[0-9]*:.*bogus" "$T/refused"

sock=$STATE/run/admin.sock
for c in garbage truncated oversized version type trailing badlen nul reason; do
	check "signer drops a peer that sends $c" sh -c 'test "$(python3 "$0" "$1" "$2")" = closed' \
	    "$top_srcdir/tests/e2e/evilpeer.py" "$sock" "$c"
done
check "random bytes as a framed CSR get a CSR error" sh -c \
    'python3 "$0" "$1" csr | grep -q "^error 5 "' "$top_srcdir/tests/e2e/evilpeer.py" "$sock"
check "an unknown CA id gets a not-found error" sh -c \
    'python3 "$0" "$1" ca | grep -q "^error 7 no CA with id 77"' "$top_srcdir/tests/e2e/evilpeer.py" "$sock"

check "the appliance still serves" ctl status
check "the frontend still serves" curl -sf -o /dev/null "http://127.0.0.1:$PORT/ca/keyward.crt"
check "nothing was issued" test "$(sql "SELECT count(*) FROM certs")" -eq 0
check "no signing event was written" test "$(sql "SELECT count(*) FROM events WHERE kind='signing'")" -eq 0
check "ledger verify still passes" ctl ledger verify
check "a good CSR is still issued" sh -c 'ctl issue --csr "$T/good.csr" --profile device >/dev/null'

finish
