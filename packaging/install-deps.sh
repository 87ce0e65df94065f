#!/bin/sh
# install-deps.sh: the Debian 12 packages keyward builds, runs and tests
# with (one per line in packaging/debian-deps).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
missing=
for p in $(cat "$here/debian-deps"); do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
