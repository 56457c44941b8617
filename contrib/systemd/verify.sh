#!/bin/sh
# Checks meshd.service with `systemd-analyze verify` against a scratch root that holds the
# unit, the example /etc/default/meshd and a meshd binary; starts nothing.
#   sh contrib/systemd/verify.sh [MESHD_BINARY]    (default .build/debug/meshd)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../../.build/debug/meshd}
root=$(mktemp -d /tmp/meshd-unit.XXXXXX)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/usr/local/bin" "$root/etc/default" "$root/etc/systemd/system" \
  "$root/usr/lib/systemd"
cp -a /usr/lib/systemd/system "$root/usr/lib/systemd/"
cp "$bin" "$root/usr/local/bin/meshd"
cp "$here/meshd.default" "$root/etc/default/meshd"
cp "$here/meshd.service" "$root/etc/systemd/system/meshd.service"
# --man=no: the unit names man:meshd(8), which the scratch root has no man database for.
systemd-analyze verify --man=no --root="$root" /etc/systemd/system/meshd.service
