#!/bin/sh
# scep.sh: SCEP enrolment throughput.  Sets up a keyward appliance in a
# temporary directory the way the end-to-end tests do (SoftHSM token,
# durable ledger, static challenge, loopback listener) with 2 signer
# workers, runs scep-bench against it, and prints how much CPU each
# keyward process used meanwhile.  Needs root, like the tests.
#
#	bench/scep.sh BUILDDIR [-r RUNS] [scep-bench options: -n REQUESTS ...]
#
# With -r, that many runs, each on a fresh appliance and each with its
# own ratio, then their median: a shared machine's speed drifts between
# runs, and one run can land in a slow spell.
[ $# -ge 1 ] || { echo "usage: $0 BUILDDIR [-r RUNS] [scep-bench options]" >&2; exit 2; }
top_builddir=$(cd "$1" && pwd) || exit 2
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
shift
runs=1
if [ "$1" = "-r" ]; then
	runs=$2
	shift 2
fi
case $runs in ''|*[!0-9]*|0) echo "$0: -r wants a number of runs" >&2; exit 2;; esac
export top_builddir top_srcdir

# pid, name and CPU ticks (user + system) of every keyward child.
cpu() {
	for p in $(ps -o pid= --ppid "$KW"); do
		awk '{ print $1, $2, $14 + $15 }' "/proc/$p/stat"
	done | sort
}

# fail FILE: shows what went wrong and leaves nothing behind.
fail() { cat "$1"; stop_keyward; rm -rf "$T"; exit 1; }

# One new appliance (lib.sh makes its directory and port), one
# scep-bench run; its output is added to $out.
one_run() {
	. "$top_srcdir/tests/e2e/lib.sh"
	make_ca || fail "$T/init.out"
	sed -i 's/^\[keyward\]$/[keyward]\nsigner_workers = 2/' "$CONF"
	start_keyward || fail "$T/keyward.log"
	cpu >"$T/cpu.before"
	"$B/bench/scep-bench" -c "$CONF" -u "http://127.0.0.1:$PORT/scep" \
	    "$@" >"$T/bench.out"
	r=$?
	cpu >"$T/cpu.after"
	cat "$T/bench.out"
	cat "$T/bench.out" >>"$out"
	hz=$(getconf CLK_TCK)
	echo "keyward CPU during the run (s):"
	join "$T/cpu.before" "$T/cpu.after" | awk -v hz="$hz" \
	    '{ printf "  %-8s %-20s %6.2f\n", $1, $2, ($5 - $3) / hz }'
	stop_keyward
	rm -rf "$T"
	return $r
}

out=$(mktemp) || exit 2
rc=0
run=0		# not i: lib.sh's functions use that
while [ $run -lt "$runs" ]; do
	run=$((run + 1))
	[ "$runs" -gt 1 ] && echo "run $run of $runs"
	one_run "$@" || rc=1
done
if [ "$runs" -gt 1 ]; then
	awk '/^ratio:/ { print $2 }' "$out" | sort -n | awk '
	    { r[NR] = $1 }
	    END { printf "median:    ratio %.2f over %d runs (%.2f to %.2f)\n",
		r[int((NR + 1) / 2)], NR, r[1], r[NR] }'
fi
rm -f "$out"
exit $rc
