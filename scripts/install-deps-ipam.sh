#!/usr/bin/env bash
# Packages the IPAM / ifupdown / systemd work needs on Debian 12, as root; merge into
# scripts/install-deps.sh. Idempotent: no apt work when everything is installed.
#   ifupdown  - the hook's integration test drives the real ifup/ifdown in namespaces
#   systemd   - systemd-analyze, for contrib/systemd/verify.sh (nothing is started)
#   dpkg      - start-stop-daemon (Essential; listed for clarity), util-linux - unshare
set -euo pipefail
PACKAGES=(ifupdown systemd util-linux iproute2 iputils-ping)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
