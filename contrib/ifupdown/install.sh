#!/bin/sh
# Installs the meshd ifupdown hook: one script in /etc/network/if-pre-up.d, with symlinks in
# if-up.d (ifupdown runs it in the post-up phase) and if-down.d (pre-down).
#
#   sh contrib/ifupdown/install.sh             # into /etc/network
#   DESTDIR=/tmp/root sh contrib/ifupdown/install.sh
#
# run-parts only runs names made of letters, digits, '_' and '-': hence "meshd", no suffix.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
etc=${DESTDIR:-}/etc/network

mkdir -p "$etc/if-pre-up.d" "$etc/if-up.d" "$etc/if-down.d" "$etc/if-post-down.d"
install -m 0755 "$here/meshd" "$etc/if-pre-up.d/meshd"
ln -sfn ../if-pre-up.d/meshd "$etc/if-up.d/meshd"
ln -sfn ../if-pre-up.d/meshd "$etc/if-down.d/meshd"
