#!/bin/sh
# scepclients.sh: SCEP enrolment with requests that openssl enveloped
# (AES-256, RSA-OAEP key transport, 3DES, single DES with and without
# [scep] legacy) and with certmonger, against the static challenge.  The
# whole test runs on a private D-Bus session bus, for certmonger.
if [ -z "${KW_PRIVATE_BUS:-}" ] && command -v dbus-run-session >/dev/null; then
	KW_PRIVATE_BUS=1 exec dbus-run-session -- sh "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

make_ca && start_keyward || { not_ok "appliance starts"; finish; }
. "$(dirname "$0")/sceptool.sh"
check "GetCACert gives the RA and the CA chain" fetch_chain

# enrol NAME DESC [openssl cms options]: a new key and CSR, enveloped to
# the RA with those options, issued, and verified against the chain.
enrol() {
	name=$1 desc=$2; shift 2
	check "$desc: issued" enrol_one "$name" "$@"
	check "$desc: the certificate verifies against the GetCACert chain" \
	    req_issued "$name"
}
enrol_one() {
	name=$1; shift
	req_csr "$name" && req_envelope "$name" "$T/$name.csr" "$T/ra.pem" "$@" &&
	    req_send "$name" || { cat "$T/$name.out" "$T/$name.err"; return 1; }
}
enrol aes256 "AES-256-CBC, RSA PKCS#1 v1.5" -aes256
enrol oaep "AES-256-CBC, RSA-OAEP key transport" -aes256 \
    -keyopt rsa_padding_mode:oaep
enrol des3 "3DES-CBC" -des3

n=$(issued_count)
req_csr des && req_envelope des "$T/des.csr" "$T/ra.pem" -des \
    -provider legacy -provider default
check "single DES gets FAILURE badAlg" req_fails des badAlg
check "nothing was issued for single DES" test "$(issued_count)" -eq "$n"
stop_keyward
sed -i 's/^\[scep\]$/[scep]\nlegacy = yes/' "$CONF"
check "the appliance restarts with [scep] legacy = yes" start_keyward
enrol des2 "single DES with [scep] legacy = yes" -des -provider legacy \
    -provider default

# certmonger, with its state under $T: its requests, CAs and temporary
# files by environment, its lock file under HOME.
CM=$T/certmonger
mkdir -p "$CM/requests" "$CM/cas" "$CM/tmp" "$CM/home"
CERTMONGER_REQUESTS_DIR=$CM/requests CERTMONGER_CAS_DIR=$CM/cas
CERTMONGER_TMPDIR=$CM/tmp HOME=$CM/home
export CERTMONGER_REQUESTS_DIR CERTMONGER_CAS_DIR CERTMONGER_TMPDIR HOME
sysstate() {
	find /var/lib/certmonger /run/certmonger -printf '%p %s %T@\n' \
	    2>/dev/null | sort
}
sysstate >"$T/sys.before"
# Asked without activating anything: a getcert call before certmonger owns
# its name would make the bus start a certmonger of its own.
cm_ready() {
	dbus-send --session --print-reply --dest=org.freedesktop.DBus \
	    /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner \
	    string:org.fedorahosted.certmonger | grep -q "boolean true"
}
certmonger -s -n >"$CM/log" 2>&1 &
CMPID=$!
check "certmonger starts on the private session bus" wait_for cm_ready
check "getcert add-scep-ca adds keyward" getcert add-scep-ca -s -c keyward \
    -u "$URL"
check "getcert request is accepted" getcert request -s -c keyward \
    -k "$CM/dev.key" -f "$CM/dev.crt" -L "$CHALLENGE" -N CN=certmonger-dev
check "certmonger saves the issued certificate" wait_for test -s "$CM/dev.crt"
cp "$CM/dev.crt" "$T/certmonger.out" && cp "$CM/dev.key" "$T/certmonger.key"
check "it is for certmonger's key and verifies against the GetCACert chain" \
    req_issued certmonger
check "it has the subject certmonger asked for" sh -c \
    'openssl x509 -in "$0" -noout -subject | grep -q "CN *= *certmonger-dev"' \
    "$T/certmonger.out"
check "certmonger monitors it" sh -c 'getcert list -s | grep -q "status: MONITORING"'
kill -TERM "$CMPID"
wait "$CMPID"
sysstate >"$T/sys.after"
check "certmonger wrote nothing under /var/lib or /run" cmp "$T/sys.before" \
    "$T/sys.after"
check "its request is in the private store" sh -c 'ls "$0"/requests/* >/dev/null' "$CM"

check "the appliance still serves" ctl status
check "ledger verify passes" ctl ledger verify
finish
