#!/bin/sh
# scep.sh: SCEP enrolment throughput.  Sets up a keyward appliance in a
# temporary directory the way the end-to-end tests do (SoftHSM token,
# durable ledger, static challenge, loopback listener) with 2 signer
# workers, runs scep-bench against it, and prints how much CPU each
# keyward process used meanwhile.  Needs root, like the tests.
#
#	bench/scep.sh BUILDDIR [scep-bench options: -n REQUESTS -j CONNS ...]
[ $# -ge 1 ] || { echo "usage: $0 BUILDDIR [scep-bench options]" >&2; exit 2; }
top_builddir=$(cd "$1" && pwd) || exit 2
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
shift
export top_builddir top_srcdir
. "$top_srcdir/tests/e2e/lib.sh"

# pid, name and CPU ticks (user + system) of every keyward child.
cpu() {
	for p in $(ps -o pid= --ppid "$KW"); do
		awk '{ print $1, $2, $14 + $15 }' "/proc/$p/stat"
	done | sort
}

# fail FILE: shows what went wrong and leaves nothing behind.
fail() { cat "$1"; stop_keyward; rm -rf "$T"; exit 1; }

make_ca || fail "$T/init.out"
sed -i 's/^\[keyward\]$/[keyward]\nsigner_workers = 2/' "$CONF"
start_keyward || fail "$T/keyward.log"
cpu >"$T/cpu.before"
"$B/bench/scep-bench" -c "$CONF" -u "http://127.0.0.1:$PORT/scep" "$@"
r=$?
cpu >"$T/cpu.after"
hz=$(getconf CLK_TCK)
echo "keyward CPU during the run (s):"
join "$T/cpu.before" "$T/cpu.after" | awk -v hz="$hz" \
    '{ printf "  %-8s %-20s %6.2f\n", $1, $2, ($5 - $3) / hz }'
stop_keyward
rm -rf "$T"
exit $r
