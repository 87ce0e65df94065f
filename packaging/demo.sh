#!/bin/sh
# demo.sh: install the dependencies, build, create a demo deployment under
# /var/lib/keyward-demo (SoftHSM token, a CA, a static challenge) if absent, and run the
# appliance in the foreground on 127.0.0.1:8080.  Stop it with Ctrl-C.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
# The service users must reach the state directory, so not under a home.
state=${KEYWARD_DEMO_DIR:-/var/lib/keyward-demo}
listen=${KEYWARD_LISTEN:-127.0.0.1:8080}
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo

"$top/packaging/install-deps.sh"
[ -x "$top/configure" ] || (cd "$top" && autoreconf -fi >/dev/null)
mkdir -p "$top/build/demo"
cd "$top/build/demo"
[ -f Makefile ] || "$top/configure" -q
make -s -j"$(nproc)"

bin=$top/build/demo
if ! $sudo test -f "$state/keyward.conf"; then
	$sudo mkdir -p "$state"
	$sudo "$bin/keywardctl" sample-config --state-dir "$state" \
	    --listen "$listen" >"/tmp/keyward.conf.$$"
	$sudo mv "/tmp/keyward.conf.$$" "$state/keyward.conf"
fi
$sudo "$bin/keywardctl" -c "$state/keyward.conf" init
cat <<MSG

keyward demo: configuration $state/keyward.conf
  CA certificate:  http://$listen/ca/keyward.crt
  SCEP URL:        http://$listen/scep   (static challenge in $state/challenge)
  admin:           $sudo $bin/keywardctl -c $state/keyward.conf status | list | show SERIAL
  issue by hand:   $sudo $bin/keywardctl -c $state/keyward.conf issue --csr FILE --profile device

MSG
exec $sudo "$bin/keyward" -c "$state/keyward.conf"
