#!/bin/sh
# demo.sh: install the dependencies, build, create a demo deployment under
# ./demo (SoftHSM token, a CA, a static challenge) if absent, and run the
# appliance in the foreground on 127.0.0.1:8080.  Stop it with Ctrl-C.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
state=${KEYWARD_DEMO_DIR:-$top/demo}
listen=${KEYWARD_LISTEN:-127.0.0.1:8080}
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo

"$top/packaging/install-deps.sh"
cd "$top"
[ -x configure ] || autoreconf -fi >/dev/null
[ -f Makefile ] || ./configure -q
make -s -j"$(nproc)"

if [ ! -f "$state/keyward.conf" ]; then
	mkdir -p "$state"
	./keywardctl sample-config --state-dir "$state" --listen "$listen" \
	    >"$state/keyward.conf.new"
	mv "$state/keyward.conf.new" "$state/keyward.conf"
fi
$sudo ./keywardctl -c "$state/keyward.conf" init
cat <<MSG

keyward demo: configuration $state/keyward.conf
  SCEP URL:        http://$listen/scep   (static challenge in $state/challenge)
  CA certificate:  http://$listen/ca/keyward.crt
  admin:           $sudo ./keywardctl -c $state/keyward.conf status | list | show SERIAL
  issue by hand:   $sudo ./keywardctl -c $state/keyward.conf issue --csr FILE --profile device

MSG
exec $sudo ./keyward -c "$state/keyward.conf"
