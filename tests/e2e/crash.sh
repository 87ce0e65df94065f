#!/bin/sh
# crash.sh: kill -9 of signer workers while certificates are issued in a
# loop.  The supervisor restarts them, every signing event ends in issued
# or abandoned, and every certificate handed out is in the ledger.
. "$(dirname "$0")/lib.sh"

N=40
make_ca && start_keyward || { not_ok "appliance starts"; finish; }

i=0
while [ $i -lt $N ]; do
	i=$((i + 1))
	csr "c$i" -subj "/CN=crash-$i"
done

# The issuing loop: a certificate counts as handed out when issue wrote it.
(
	i=0
	while [ $i -lt $N ]; do
		i=$((i + 1))
		ctl issue --csr "$T/c$i.csr" --profile device --out "$T/c$i.pem" 2>>"$T/issue.err" ||
		    rm -f "$T/c$i.pem"
	done
	touch "$T/loop.done"
) &
loop=$!

# Kill every signer worker three times, each after a few more issues.
killed=0
for k in 1 2 3; do
	want=$((k * N / 4))
	wait_for sh -c 'test "$(sqlite3 "$0" "$1")" -ge "$2"' "$LEDGER" \
	    "SELECT count(*) FROM events WHERE kind='signing'" "$want"
	for p in $(pgrep -f "keyward-signer -c $CONF --serve"); do
		kill -9 "$p" && killed=$((killed + 1))
	done
done
wait "$loop"
echo "# killed $killed signer workers"

check "the issuing loop finished" test -f "$T/loop.done"
check "the supervisor restarted the signer" sh -c 'grep -q "signer [0-9]* (pid [0-9]*) killed by signal 9; restarting" "$T/keyward.log"'
check "the signer answers again" wait_for ctl status
orphans="SELECT count(*) FROM events s WHERE s.kind='signing' AND NOT EXISTS (SELECT 1 FROM events e WHERE e.serial = s.serial AND e.kind IN ('issued', 'abandoned'))"
check "no signing event is left without issued or abandoned" wait_for sh -c 'test "$(sqlite3 "$0" "$1")" -eq 0' "$LEDGER" "$orphans"
sql "SELECT 'orphan', id, serial, owner FROM events s WHERE s.kind='signing' AND NOT EXISTS (SELECT 1 FROM events e WHERE e.serial = s.serial AND e.kind IN ('issued', 'abandoned'))" | sed 's/^/# /'
echo "# abandoned: $(sql "SELECT count(*) FROM events WHERE kind='abandoned'"), issued: $(sql "SELECT count(*) FROM events WHERE kind='issued'")"

missing=0
handed=0
for f in "$T"/c*.pem; do
	[ -f "$f" ] || continue
	handed=$((handed + 1))
	s=$(openssl x509 -in "$f" -noout -serial | cut -d= -f2)
	[ "$(sql "SELECT count(*) FROM certs WHERE serial='$s'")" -eq 1 ] || missing=$((missing + 1))
done
echo "# handed out: $handed"
check "certificates were handed out" test "$handed" -gt 0
check "every certificate handed out is in the ledger" test "$missing" -eq 0
check "no abandoned serial has a certificate" test "$(sql "SELECT count(*) FROM certs c JOIN events e ON e.serial = c.serial AND e.kind = 'abandoned'")" -eq 0
check "ledger verify passes" ctl ledger verify

finish
