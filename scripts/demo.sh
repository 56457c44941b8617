#!/usr/bin/env bash
# meshd demo: three hosts (network namespaces mshdemo1..3) on one underlay segment (a switch
# namespace with a bridge), each with its own br0 (10.47.0.N/16) and a meshd. Shows pings
# across the encrypted mesh and host 1's status, then removes everything it created.
# Needs root. Exits non-zero if any ping fails.
# Env: MESHD_DEMO_BUILD=debug|release (default release), MESHD_BIN to skip the build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SW=mshdemosw
HOSTS=(mshdemo1 mshdemo2 mshdemo3)
PORT=6786
WORK=$(mktemp -d /tmp/mshdemo.XXXXXX)
PIDS=()

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

cleanup() {
  local rc=$?
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  for ns in "${HOSTS[@]}" "$SW"; do
    ip netns del "$ns" 2>/dev/null || true
  done
  if [ "$rc" -ne 0 ]; then
    for i in 1 2 3; do
      [ -f "$WORK/meshd$i.log" ] && { echo "--- meshd$i log (tail):"; tail -n 20 "$WORK/meshd$i.log"; }
    done
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$(id -u)" -ne 0 ]; then echo "demo.sh: needs root" >&2; exit 1; fi

say "dependencies"
bash scripts/install-deps.sh

if [ -n "${MESHD_BIN:-}" ]; then
  MESHD=$MESHD_BIN
else
  CONFIG=${MESHD_DEMO_BUILD:-release}
  say "build meshd ($CONFIG)"
  swift build -c "$CONFIG" --product meshd
  MESHD=$PWD/.build/$CONFIG/meshd
fi
[ -x "$MESHD" ] || { echo "demo.sh: no meshd at $MESHD" >&2; exit 1; }

say "underlay: switch namespace $SW, hosts ${HOSTS[*]} on 192.0.2.0/24"
for ns in "${HOSTS[@]}" "$SW"; do ip netns del "$ns" 2>/dev/null || true; done
ip netns add "$SW"
ip -n "$SW" link set lo up
ip -n "$SW" link add mshdsw0 type bridge stp_state 0
ip -n "$SW" link set mshdsw0 up
for i in 1 2 3; do
  ns=mshdemo$i
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip -n "$SW" link add "mshdp$i" type veth peer name mshdu0 netns "$ns"
  ip -n "$SW" link set "mshdp$i" master mshdsw0 up
  ip -n "$ns" addr add "192.0.2.$i/24" dev mshdu0
  ip -n "$ns" link set mshdu0 up
  ip netns exec "$ns" "$MESHD" create-bridge --bridge br0 --address "10.47.0.$i/16"
done

say "cluster secret and daemons"
(umask 077; "$MESHD" gen-secret > "$WORK/secret")
declare -A PEERS=([1]="" [2]="--peer 192.0.2.1:$PORT" [3]="--peer 192.0.2.1:$PORT --peer 192.0.2.2:$PORT")
for i in 1 2 3; do
  # shellcheck disable=SC2086 # PEERS holds several words on purpose
  ip netns exec "mshdemo$i" "$MESHD" up --bridge br0 --secret-file "$WORK/secret" \
    --listen "192.0.2.$i:$PORT" --state-dir "$WORK/state$i" --socket "$WORK/meshd$i.sock" \
    --nickname "mshdemo$i" \
    ${PEERS[$i]} </dev/null >"$WORK/meshd$i.log" 2>&1 &
  PIDS+=($!)
  echo "meshd on mshdemo$i: pid $!"
done

wait_ping() { # ns address
  for _ in $(seq 1 100); do
    ip netns exec "$1" ping -n -q -c 1 -W 1 "$2" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}

say "waiting for sessions"
failed=0
for pair in "1 10.47.0.2" "1 10.47.0.3" "3 10.47.0.2"; do
  read -r from to <<<"$pair"
  wait_ping "mshdemo$from" "$to" || { echo "no session from mshdemo$from to $to"; failed=1; }
done

for pair in "1 10.47.0.2" "1 10.47.0.3" "3 10.47.0.2"; do
  read -r from to <<<"$pair"
  say "ping from mshdemo$from (10.47.0.$from) to $to"
  ip netns exec "mshdemo$from" ping -n -c 3 -i 0.3 -W 2 "$to" || failed=1
done

say "meshd status on mshdemo1"
"$MESHD" status --socket "$WORK/meshd1.sock" || failed=1

if [ "$failed" -ne 0 ]; then
  say "demo FAILED: some pings did not get through"
  exit 1
fi
say "demo OK"
