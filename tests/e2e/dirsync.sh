#!/bin/sh
# dirsync.sh: the directory sync end to end.  Two devices enrol through
# Intune with their Entra device id as CN, a third with its Intune device
# id; the fake's directory then deletes, disables and re-enables them, and
# keywardctl sync (or the schedule) must revoke, hold and release their
# certificates, while Graph throttling or failing changes nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intunelib.sh"

DEV1=0b7c3a52-1d2e-4f60-8a91-5c3d2e1f0a01
DEV2=0b7c3a52-1d2e-4f60-8a91-5c3d2e1f0a02
DEV3=0b7c3a52-1d2e-4f60-8a91-5c3d2e1f0a03

command -v pki >/dev/null || { not_ok "strongswan-pki is installed"; finish; }
make_pki || { not_ok "test PKI"; finish; }
start_fakes || { not_ok "fake server starts"; cat "$T"/*.err; cleanup; finish; }
FPORT=$(cat "$T/fake.port")
intune_appliance "cn_binding = entra" "sync_interval = 0" ||
    { not_ok "appliance starts"; cleanup; finish; }

# device OBJID DEVICEID ENABLED: puts an Entra device in the directory.
device() {
	fake "{\"op\":\"dir\",\"kind\":\"devices\",\"action\":\"put\",\"id\":\"$1\",\"obj\":{\"deviceId\":\"$2\",\"accountEnabled\":$3}}"
}
state() { sql "SELECT status || ' ' || rev_reason FROM certs WHERE subject LIKE '%$1%'"; }
# is VALUE SQL: the query answers exactly VALUE.
is() {
	v=$(sql "$2")
	[ "$v" = "$1" ] || { echo "got '$v'"; return 1; }
}
# after_sync EXIT LINE: keywardctl sync exits EXIT having printed LINE.
after_sync() {
	ctl sync >"$T/sync.out" 2>&1
	r=$?
	[ $r -eq "$1" ] && [ "$(cat "$T/sync.out")" = "$2" ] && return 0
	echo "exit $r: $(cat "$T/sync.out")"
	return 1
}

device obj-1 $DEV1 true && device obj-2 $DEV2 true
check "device 1 enrols through Intune" enrol $DEV1
check "device 2 enrols through Intune" enrol $DEV2
check "the ledger binds each certificate to its Entra device id" \
    is "entra:$DEV1,entra:$DEV2" "SELECT group_concat(dir_ids) FROM certs"

check "a sync with both devices enabled changes nothing" \
    after_sync 0 "2 checked, 0 revoked, 0 held, 0 released, 0 unanswered"
check "both certificates are valid" \
    is valid,valid "SELECT group_concat(status) FROM certs"

fake "{\"op\":\"dir\",\"kind\":\"devices\",\"action\":\"delete\",\"id\":\"obj-1\"}"
script graph '[{"status": 429, "retry_after": 1}]'
check "a sync Graph throttles reports the devices unanswered" \
    after_sync 3 "2 checked, 0 revoked, 0 held, 0 released, 2 unanswered"
check "throttling revoked nothing" test "$(state $DEV1)" = "valid -1"
script graph '[{"status": 500}]'
check "a sync Graph fails with 500 reports the devices unanswered" \
    after_sync 3 "2 checked, 0 revoked, 0 held, 0 released, 2 unanswered"
check "a Graph outage revoked nothing" test "$(state $DEV1)" = "valid -1"

check "a sync after the device's deletion revokes one certificate" \
    after_sync 0 "2 checked, 1 revoked, 0 held, 0 released, 0 unanswered"
check "the deleted device's certificate is revoked, cessationOfOperation" \
    test "$(state $DEV1)" = "revoked 5"
check "the other certificate is untouched" test "$(state $DEV2)" = "valid -1"

fake "{\"op\":\"dir\",\"kind\":\"devices\",\"action\":\"patch\",\"id\":\"obj-2\",\"obj\":{\"accountEnabled\":false}}"
check "a sync after disabling the device holds one certificate" \
    after_sync 0 "1 checked, 0 revoked, 1 held, 0 released, 0 unanswered"
check "the disabled device's certificate is on hold" \
    test "$(state $DEV2)" = "hold 6"
check "a second sync leaves the hold as it is" \
    after_sync 0 "1 checked, 0 revoked, 0 held, 0 released, 0 unanswered"
fake "{\"op\":\"dir\",\"kind\":\"devices\",\"action\":\"patch\",\"id\":\"obj-2\",\"obj\":{\"accountEnabled\":true}}"
check "a sync after re-enabling the device releases the hold" \
    after_sync 0 "1 checked, 0 revoked, 0 held, 1 released, 0 unanswered"
check "the re-enabled device's certificate is valid again" \
    test "$(state $DEV2)" = "valid -1"
G='[e["path"] for e in L if e["route"] == "graph"]'
check "each sync made one devices delta query, and no per-device look-up" \
    flog "all(p.startswith('/v1.0/devices/delta?') for p in $G) and len($G) == 7"
check "the first read the whole directory, selecting deviceId and accountEnabled" \
    flog "'deltatoken' not in $G[0] and 'deviceId' in $G[0] and 'accountEnabled' in $G[0]"
check "every later one asked only for what changed since the last that succeeded" \
    flog "all('deltatoken' in p for p in $G[1:]) and $G[1] == $G[2] == $G[3]"
check "the revocation, the hold and its release are in the event log" \
    is revoked,hold,unhold "SELECT group_concat(kind) FROM (SELECT kind FROM events WHERE kind IN ('revoked', 'hold', 'unhold') ORDER BY id)"

EVIL=$top_srcdir/tests/e2e/evilpeer.py
check "the signer keeps its directory list from admin peers" sh -c \
    'test "$(python3 "$0" "$1" dirlist)" = closed' "$EVIL" "$STATE/run/admin.sock"
check "the validator drops a sync request with a body" sh -c \
    'test "$(python3 "$0" "$1" sync_trailing)" = closed' "$EVIL" "$STATE/run/validator-admin.sock"
check "and takes no sync request on the frontend's socket" sh -c \
    'test "$(python3 "$0" "$1" sync)" = closed' "$EVIL" "$STATE/run/validator.sock"
check "the validator-admin socket is root's and the admin group's only" \
    test "$(stat -c %a "$STATE/run/validator-admin.sock")" = 660

# A CN bound as the Intune device id: one managedDevices GET per sync.
stop_keyward
sed -i 's/^cn_binding = entra$/cn_binding = intune/' "$CONF"
start_keyward || { not_ok "appliance restarts"; cleanup; finish; }
fake "{\"op\":\"dir\",\"kind\":\"managedDevices\",\"action\":\"put\",\"id\":\"$DEV3\",\"obj\":{\"azureADDeviceId\":\"$DEV1\"}}"
check "device 3 enrols through Intune" enrol $DEV3
check "its certificate is bound to its Intune device id" \
    is "intune:$DEV3" "SELECT dir_ids FROM certs WHERE subject LIKE '%$DEV3%'"
: >"$FLOG"
check "a sync finds the managed device" \
    after_sync 0 "2 checked, 0 revoked, 0 held, 0 released, 0 unanswered"
check "by its id in Intune" flog \
    "any(e['path'].startswith('/v1.0/deviceManagement/managedDevices/$DEV3?') for e in L)"
fake "{\"op\":\"dir\",\"kind\":\"managedDevices\",\"action\":\"delete\",\"id\":\"$DEV3\"}"
check "a sync after its deletion in Intune revokes its certificate" \
    after_sync 0 "2 checked, 1 revoked, 0 held, 0 released, 0 unanswered"
check "cessationOfOperation" test "$(state $DEV3)" = "revoked 5"

# The sync's blocking calls (the directory list, the status changes) go
# on a connection of their own; it is made again after the signer
# workers restart.
for p in $(pgrep -f "keyward-signer -c $CONF --serve"); do
	kill -9 "$p"
done
check "the signer answers again after its workers were killed" wait_for ctl status
enabled() {
	fake "{\"op\":\"dir\",\"kind\":\"devices\",\"action\":\"patch\",\"id\":\"obj-2\",\"obj\":{\"accountEnabled\":$1}}"
}
enabled false
check "a sync after the restart lists the ledger and holds" \
    after_sync 0 "1 checked, 0 revoked, 1 held, 0 released, 0 unanswered"
check "the disabled device's certificate is on hold again" \
    test "$(state $DEV2)" = "hold 6"
enabled true
check "a sync after re-enabling it releases the hold" \
    after_sync 0 "1 checked, 0 revoked, 0 held, 1 released, 0 unanswered"

# The schedule: a one-second interval holds a disabled device unasked.
stop_keyward
sed -i 's/^sync_interval = 0$/sync_interval = 1/' "$CONF"
start_keyward || { not_ok "appliance restarts"; cleanup; finish; }
enabled false
check "the scheduled sync holds the disabled device's certificate" \
    wait_for is "hold 6" "SELECT status || ' ' || rev_reason FROM certs WHERE dir_ids = 'entra:$DEV2'"
check "the revoked certificate stayed revoked" test "$(state $DEV1)" = "revoked 5"

check "no secret or token in the appliance's log" sh -c \
    "! grep -qF -e '$SECRET' -e 'eyJ' '$T/keyward.log'"
check "ledger verify passes" ctl ledger verify
cleanup
finish
