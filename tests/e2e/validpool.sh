#!/bin/sh
# validpool.sh: the validator's connections to the signer.  It holds one
# to each signer worker, so that issuances run on all of them, and makes
# them again when the workers are restarted.
. "$(dirname "$0")/lib.sh"

command -v pki >/dev/null || { not_ok "strongswan-pki is installed"; finish; }
make_ca || { not_ok "a CA is made"; finish; }
sed -i 's/^\[keyward\]$/[keyward]\nsigner_workers = 2/' "$CONF"
start_keyward || { not_ok "appliance starts"; finish; }
URL="http://127.0.0.1:$PORT/scep"
CHALLENGE=$(cat "$STATE/challenge")
SOCK=$STATE/run/signer-valid.sock
export URL CHALLENGE SOCK
pki --scepca --url "$URL" --caout "$T/ca.der" --raout "$T/ra.der" \
    --force >/dev/null 2>&1
RA=$(ls "$T"/ra*.der | head -1)

# enrol NAME: a key and an enrolment with the static challenge.
enrol() {
	pki --gen --type rsa --size 2048 --outform der >"$T/$1.key" 2>/dev/null &&
	    pki --scep --url "$URL" --in "$T/$1.key" --dn "CN=$1" \
	    --cacert-enc "$RA" --cacert-sig "$RA" --cacert "$T/ca.der" \
	    --password "$CHALLENGE" --outform pem >"$T/$1.pem" 2>"$T/$1.err"
}

# The signer workers' pids, one a line.
workers() {
	ps -o pid=,comm= --ppid "$KW" | awk '$2 == "keyward-signer" { print $1 }' | sort
}

# The pids of the signer workers holding an accepted connection on
# signer-valid.sock (or socket $1), one a line per connection.
holders() {
	ss -xpH state connected src "${1:-$SOCK}" |
	    sed -n 's/.*"keyward-signer",pid=\([0-9]*\),.*/\1/p' | sort
}
# Each worker holds exactly one.
one_each() { test "$(holders)" = "$(workers)" && test "$(workers | wc -l)" -eq 2; }
export KW

check "an enrolment succeeds" enrol dev1
check "the validator holds one connection to each signer worker" wait_for one_each
check "and its blocking one (the CA certificate) on a socket of its own" \
    test "$(holders "$STATE/run/signer-valid-block.sock" | wc -l)" -eq 1

old=$(workers)
for p in $old; do
	kill -9 "$p"
done
restarted() { test "$(workers | wc -l)" -eq 2 && test -z "$(workers | grep -Fx "$old")"; }
check "the supervisor restarted both signer workers" wait_for restarted
check "the validator saw its connections go" grep -q "signer connection lost" "$T/keyward.log"
check "an enrolment succeeds after the restart" enrol dev2
check "it verifies against the CA" sh -c \
    'openssl x509 -inform der -in "$T/ca.der" >"$T/ca.pem" && openssl verify -CAfile "$T/ca.pem" "$T/dev2.pem"'
check "the validator again holds one connection to each new worker" wait_for one_each
check "ledger verify passes" ctl ledger verify
finish
