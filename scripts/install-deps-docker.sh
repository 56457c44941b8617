#!/usr/bin/env bash
# Installs what the Docker end-to-end test (scripts/docker-e2e.sh) needs on a fresh
# Debian 12 machine, as root: Debian's docker.io (dockerd, containerd, runc) and a
# static busybox for the offline image. Idempotent and fast when already installed.
#
# The host namespace must never run a dockerd or containerd because of this script:
# a policy-rc.d that forbids service starts is put in place before apt runs, and the
# script checks afterwards that the install started nothing.
set -euo pipefail

# iputils-ping: `ping -M do` (busybox ping cannot forbid fragmentation).
PKGS=(docker.io busybox-static iputils-ping)
POLICY=/usr/sbin/policy-rc.d

log() { printf 'install-deps-docker: %s\n' "$*"; }

if [[ $(id -u) -ne 0 ]]; then
  log "must run as root" >&2
  exit 1
fi

missing=()
for p in "${PKGS[@]}"; do
  # (Not `dpkg -s | grep -q`: grep's early exit kills dpkg with SIGPIPE under pipefail.)
  if [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true) != "install ok installed" ]]; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  log "already installed: ${PKGS[*]}"
  exit 0
fi

# 1. Forbid service starts before anything is installed. A policy-rc.d that exists but
#    would allow a start (exit status other than 101) is set aside for the install and
#    put back afterwards.
saved_policy=""
restore_policy() {
  if [[ -n $saved_policy ]]; then
    mv -f "$saved_policy" "$POLICY"
    log "restored the original $POLICY"
  fi
}
trap restore_policy EXIT
policy_denies() {
  [[ -x $POLICY ]] || return 1
  local rc=0
  "$POLICY" docker start >/dev/null 2>&1 || rc=$?
  [[ $rc -eq 101 ]]
}
if [[ ! -e $POLICY ]]; then
  printf '#!/bin/sh\n# Written by meshd scripts/install-deps-docker.sh: no service starts from apt.\nexit 101\n' >"$POLICY"
  chmod 0755 "$POLICY"
  log "wrote $POLICY (exit 101)"
elif ! policy_denies; then
  saved_policy=$(mktemp /usr/sbin/policy-rc.d.meshd-saved.XXXXXX)
  cp -p "$POLICY" "$saved_policy"
  printf '#!/bin/sh\nexit 101\n' >"$POLICY"
  chmod 0755 "$POLICY"
  log "the existing $POLICY allows starts: replaced for the install"
fi

# 2. Snapshot daemons that already run (someone else's: never ours to stop).
# (pgrep matches at most 15 characters of a name: one call per daemon.)
daemon_pids() { { pgrep -x dockerd || true; pgrep -x containerd || true; } | sort -n; }
before=$(daemon_pids)
start_epoch=$(date +%s)

# 3. Install.
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends "${missing[@]}"; then
  log "install failed; refreshing package lists once and retrying"
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi

# 4. Verify the install started no daemon in the host namespace.
after=$(daemon_pids)
new=$(comm -13 <(printf '%s\n' "$before") <(printf '%s\n' "$after") | sed '/^$/d' || true)
if [[ -n $new ]]; then
  hostns=$(readlink /proc/1/ns/net)
  clk=$(getconf CLK_TCK)
  boot=$(awk '/^btime/ {print $2}' /proc/stat)
  for pid in $new; do
    [[ -r /proc/$pid/stat ]] || continue
    ns=$(readlink "/proc/$pid/ns/net" 2>/dev/null || true)
    # Field 22 of /proc/PID/stat: start time in clock ticks after boot.
    started=$((boot + $(awk '{print $22}' "/proc/$pid/stat") / clk))
    name=$(cat "/proc/$pid/comm")
    log "WARNING: $name (pid $pid) appeared during the install despite $POLICY"
    # Stop it only when it is provably this install's: started after the install began,
    # in the host namespace, and recorded in the package's default pidfile.
    pidfile=""
    case $name in
      dockerd) pidfile=/var/run/docker.pid ;;
      containerd) pidfile=/run/containerd/containerd.pid ;;
    esac
    if [[ $ns == "$hostns" && $started -ge $start_epoch && -n $pidfile && -r $pidfile &&
      $(cat "$pidfile") == "$pid" ]]; then
      log "stopping $name pid $pid (started by this install, per $pidfile)"
      kill -TERM "$pid" || true
    else
      log "not stopping pid $pid: cannot prove this install started it" >&2
    fi
  done
fi
log "installed: ${missing[*]}"
