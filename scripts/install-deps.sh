#!/usr/bin/env bash
# Installs what meshd's build, tests, demo and benchmarks need on Debian 12, as root.
# Idempotent: when every package is already installed it does no apt work at all.
# Swift itself is preinstalled at /opt/swift and is not handled here.
set -euo pipefail

PACKAGES=(
  libsodium-dev iproute2 iputils-ping tcpdump iperf3 python3 socat procps bind9-dnsutils
  wireguard-go wireguard-tools tinc curl ifupdown util-linux
  lintian dpkg-dev binutils systemd nftables python3-prometheus-client
)

log() { printf 'install-deps: %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  log "must run as root"
  exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ! command -v python3 >/dev/null 2>&1 || ! python3 -m pip --version >/dev/null 2>&1; then
  if ! dpkg-query -W -f='${Status}' python3-pip 2>/dev/null | grep -q "install ok installed"; then
    missing+=(python3-pip)
  fi
fi

if [ ${#missing[@]} -gt 0 ]; then
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  log "apt packages already installed"
fi

if python3 -c 'import noise' >/dev/null 2>&1; then
  log "python noiseprotocol already installed"
else
  log "installing python noiseprotocol"
  python3 -m pip install --quiet noiseprotocol 2>/dev/null ||
    python3 -m pip install --quiet --break-system-packages noiseprotocol
fi

# Docker for the end-to-end test (never started in this namespace: see the script).
bash "$(dirname "${BASH_SOURCE[0]}")/install-deps-docker.sh"
