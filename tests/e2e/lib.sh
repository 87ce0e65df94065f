# lib.sh: shared by the end-to-end tests.  Each test script gets its own
# keyward under a temporary state directory, listening on a free loopback
# port, and reports in TAP.
set -u

top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_srcdir=${top_srcdir:-$top_builddir}
B=$top_builddir
T=$(mktemp -d /tmp/keyward-e2e.XXXXXX)
chmod 755 "$T"		# the service users must reach the state directory
CONF=$T/keyward.conf
STATE=$T/state
LEDGER=$STATE/ledger/ledger.sqlite
KW=
tap_n=0

mkdir "$T/bin"
# A free port below the kernel's ephemeral range: a port the kernel handed
# out and we released could go to a fake server's port 0 next.
PORT=$(python3 -c '
import random, socket
lo = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
for _ in range(1000):
    p = random.randrange(max(lo - 12000, 1024), lo)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    print(p)
    break
')
[ -n "$PORT" ] || { echo "lib.sh: no free port below the ephemeral range" >&2; exit 1; }
export SOFTHSM2_CONF=$STATE/softhsm2.conf
export T CONF STATE LEDGER PORT B
# ctl works in sub-shells too (sh -c '...'), hence a script, not a function.
printf '#!/bin/sh\nexec "%s/keywardctl" -c "%s" "$@"\n' "$B" "$CONF" >"$T/bin/ctl"
chmod 755 "$T/bin/ctl"
PATH=$T/bin:$PATH

ok()     { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
not_ok() { tap_n=$((tap_n + 1)); tap_failed=1; echo "not ok $tap_n - $*"; }
tap_failed=

# check DESC CMD...: passes when CMD exits 0; output goes to $T/last.
check() {
	d=$1; shift
	if "$@" >"$T/last" 2>&1; then ok "$d"; else not_ok "$d"; sed 's/^/# /' "$T/last"; fi
}

# refuse DESC CMD...: passes when CMD exits non-zero with one line on
# stderr, which is kept in $T/refused.
refuse() {
	d=$1; shift
	if "$@" >"$T/refused.out" 2>"$T/refused"; then
		not_ok "$d (accepted)"
	elif ! lines=$(wc -l <"$T/refused") || [ "$lines" -ne 1 ]; then
		not_ok "$d (not one line:)"; sed 's/^/# /' "$T/refused"
	else
		ok "$d: $(cat "$T/refused")"
	fi
}

# Runs a command as the signer's user, so files in its directories stay its.
as_signer() {
	if [ "$(id -u)" = 0 ]; then runuser -u keyward-signer -- "$@"; else "$@"; fi
}

sql() { as_signer sqlite3 "$LEDGER" "$@"; }

# wait_within N CMD...: polls a condition every 0.1 s, at most N times.
wait_within() {
	n=$1; shift
	i=0
	while [ $i -lt "$n" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# wait_for CMD...: polls a condition, at most 10 s.
wait_for() { wait_within 100 "$@"; }

make_ca() {
	"$B/keywardctl" sample-config --state-dir "$STATE" \
	    --listen "127.0.0.1:$PORT" >"$CONF" 2>"$T/sample.err" &&
	    ctl init >"$T/init.out" 2>&1
}

start_keyward() {
	"$B/keyward" -c "$CONF" 2>>"$T/keyward.log" &
	KW=$!
	wait_for ctl status
}

stop_keyward() {
	[ -n "$KW" ] || return 0
	kill -TERM "$KW" 2>/dev/null
	wait "$KW"
	r=$?
	KW=
	return $r
}

# csr NAME OPENSSL-REQ-ARGS...: a fresh key and CSR under $T.
csr() {
	name=$1; shift
	openssl req -new -newkey rsa:2048 -nodes -keyout "$T/$name.key" \
	    -out "$T/$name.csr" "$@" 2>/dev/null
}

finish() {
	stop_keyward
	echo "1..$tap_n"
	# A failure shows the appliance's log, for a CI run to be readable.
	if [ -s "$T/keyward.log" ] && [ -n "${VERBOSE:-}$tap_failed" ]; then
		tail -n 80 "$T/keyward.log" | sed 's/^/# /'
	fi
	[ -n "${KEEP:-}" ] || rm -rf "$T"
	exit 0
}
trap 'stop_keyward; rm -rf "$T"' INT TERM
