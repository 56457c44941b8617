#!/usr/bin/env bash
# bench/scale.sh — how meshd's mesh scales with the number of hosts, in network namespaces.
#
# For each N: N hosts as namespaces mshsc<pid>h<i> on one underlay segment (a switch namespace
# mshsc<pid>sw with a bridge; host i has veth mshu0 = 192.0.2.i/24 and a br0 made by
# `meshd create-bridge` with 10.47.0.i/16). Every daemon runs `meshd up --peer 192.0.2.1:6786`
# (host 1 only; host 1 gets no --peer) with --log-level warning. Measures:
#   converge   seconds from starting the first daemon until every host lists N-1 established
#              peers (polled over the control sockets by bench/scale_poll.py)
#   ctrl B/s   steady-state control traffic per host: the sum over hosts of the underlay veth's
#              tx_bytes over STEADY_SECONDS after convergence (there is no data traffic),
#              divided by N and by the seconds
#   RSS        VmRSS of every daemon at the end (median and max), and CPU% per daemon (mean)
#              during the steady-state window
# Prints a table and writes bench/out/scale.md. A benchmark, not a test: targets are reported
# (40 hosts converge within 30 s; RSS <= 40 MB per daemon), never enforced.
#
# Usage: bench/scale.sh [N...]            (default: 10 20 40)
# Environment:
#   MESHD=PATH               the meshd binary (default: build and use .build/release/meshd)
#   CONVERGE_TIMEOUT=SECS    give up waiting for a full mesh after this long (default 120)
#   STEADY_SECONDS=SECS      the steady-state window (default 30)
#   KEEP=1                   keep the work directory (logs, state) after the run
# Everything it creates is namespaced and named mshsc<pid>…; nothing touches the caller's
# namespace, and only the daemons it started are stopped, by PID.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT_DIR=$ROOT/bench/out
PREFIX="mshsc$$"
CONVERGE_TIMEOUT=${CONVERGE_TIMEOUT:-120}
STEADY_SECONDS=${STEADY_SECONDS:-30}
PORT=6786
WORK=""
NAMESPACES=()
PIDS=()
ROWS=()

log() { printf '[scale %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# stop_daemons: SIGTERM to every daemon this script started, then SIGKILL to stragglers.
stop_daemons() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 50); do
    local alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
}

# teardown: daemons, then namespaces (hosts first, the switch last).
teardown() {
  stop_daemons
  local ns
  for ((i = ${#NAMESPACES[@]} - 1; i >= 0; i--)); do
    ns=${NAMESPACES[i]}
    ip netns del "$ns" 2>/dev/null || true
  done
  NAMESPACES=()
}

cleanup() {
  local rc=$?
  teardown
  if [[ -n $WORK && ${KEEP:-0} != 1 ]]; then rm -rf "$WORK"; fi
  [[ -n $WORK && ${KEEP:-0} == 1 ]] && log "kept $WORK"
  exit "$rc"
}

add_ns() {
  ip netns add "$1"
  NAMESPACES+=("$1")
  ip -n "$1" link set lo up
}

meshd_binary() {
  if [[ -n ${MESHD:-} ]]; then
    [[ -x $MESHD ]] || { log "MESHD=$MESHD is not executable"; exit 2; }
    return
  fi
  log "building meshd (release)"
  swift build --package-path "$ROOT" -c release --product meshd -Xswiftc -cross-module-optimization >&2
  MESHD=$ROOT/.build/release/meshd
}

# build_network N: the switch namespace and N hosts with underlay and br0.
build_network() {
  local n=$1 sw="${PREFIX}sw" ns
  add_ns "$sw"
  ip -n "$sw" link add mshsw0 type bridge stp_state 0
  ip -n "$sw" link set mshsw0 up
  for ((i = 1; i <= n; i++)); do
    ns="${PREFIX}h$i"
    add_ns "$ns"
    ip -n "$sw" link add "mshp$i" type veth peer name mshu0 netns "$ns"
    ip -n "$sw" link set "mshp$i" master mshsw0 up
    ip -n "$ns" link set mshu0 address "$(underlay_mac "$i")"
    ip -n "$ns" addr add "192.0.2.$i/24" dev mshu0
    ip -n "$ns" link set mshu0 up
    ip netns exec "$ns" "$MESHD" create-bridge --bridge br0 --address "10.47.0.$i/16" >/dev/null
  done
  # Static neighbours on the underlay (STATIC_ARP=0 turns this off). Every namespace shares
  # the kernel's one ARP table and its gc_thresh3 limit (1024 entries on this machine), so
  # N hosts that each learn N-1 neighbours hit "neighbor table overflow" near N=32: ARP fails
  # and datagrams are dropped silently (UDP SndbufErrors) in a way no real network of 40
  # machines would. Permanent entries take that artefact out of the figures.
  if [[ ${STATIC_ARP:-1} == 1 ]]; then
    for ((i = 1; i <= n; i++)); do
      for ((j = 1; j <= n; j++)); do
        ((i == j)) && continue
        ip -n "${PREFIX}h$i" neigh replace "192.0.2.$j" lladdr "$(underlay_mac "$j")" \
          dev mshu0 nud permanent
      done
    done
  fi
}

# underlay_mac I: a fixed, locally administered MAC for host I's underlay veth.
underlay_mac() { printf '02:00:c0:00:%02x:%02x' $(($1 / 256)) $(($1 % 256)); }

# start_daemons N: `meshd up` in every host; `ip netns exec` execs, so $! is meshd's PID.
start_daemons() {
  local n=$1 ns peer
  for ((i = 1; i <= n; i++)); do
    ns="${PREFIX}h$i"
    peer=()
    ((i > 1)) && peer=(--peer "192.0.2.1:$PORT")
    ip netns exec "$ns" "$MESHD" up --bridge br0 --secret-file "$WORK/secret" \
      --listen "192.0.2.$i:$PORT" --state-dir "$WORK/n$n/state$i" \
      --socket "$WORK/n$n/meshd$i.sock" --log-level warning "${peer[@]}" \
      >"$WORK/n$n/meshd$i.log" 2>&1 &
    PIDS+=($!)
  done
}

# wait_sockets N: until every control socket exists (the daemons are up), at most 30 s.
wait_sockets() {
  local n=$1
  for _ in $(seq 300); do
    local missing=0
    for ((i = 1; i <= n; i++)); do [[ -S $WORK/n$n/meshd$i.sock ]] || missing=1; done
    ((missing)) || return 0
    sleep 0.1
  done
  log "not every daemon opened its control socket within 30 s"
}

tx_bytes_sum() {
  local n=$1 sum=0 v
  for ((i = 1; i <= n; i++)); do
    v=$(ip netns exec "${PREFIX}h$i" cat /sys/class/net/mshu0/statistics/tx_bytes)
    sum=$((sum + v))
  done
  echo "$sum"
}

tx_packets_sum() {
  local n=$1 sum=0 v
  for ((i = 1; i <= n; i++)); do
    v=$(ip netns exec "${PREFIX}h$i" cat /sys/class/net/mshu0/statistics/tx_packets)
    sum=$((sum + v))
  done
  echo "$sum"
}

# cpu_ticks: utime + stime of every daemon, in clock ticks.
cpu_ticks() {
  local sum=0 pid f
  for pid in "${PIDS[@]}"; do
    read -r -a f <"/proc/$pid/stat" || continue
    # Fields after the command; the command has no spaces here (meshd).
    sum=$((sum + f[13] + f[14]))
  done
  echo "$sum"
}

# rss_stats: "median_mb max_mb alive" of VmRSS over the daemons.
rss_stats() {
  local pid
  for pid in "${PIDS[@]}"; do
    awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true
  done | sort -n | awk '{ v[NR] = $1 } END {
      if (NR == 0) { print "- - 0"; exit }
      m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "%.1f %.1f %d\n", m / 1024, v[NR] / 1024, NR }'
}

run_one() {
  local n=$1 result converge="-" rate="-" pps="-" cpu="-" median max alive note=""
  log "N=$n: building $n namespaces"
  mkdir -p "$WORK/n$n"
  build_network "$n"
  local sockets=()
  for ((i = 1; i <= n; i++)); do sockets+=("$WORK/n$n/meshd$i.sock"); done
  log "N=$n: starting $n daemons"
  local start
  start=$(date +%s.%N)
  start_daemons "$n"
  wait_sockets "$n"
  result=$(python3 "$ROOT/bench/scale_poll.py" --start "$start" --timeout "$CONVERGE_TIMEOUT" \
    "${sockets[@]}")
  result=${result:-ERROR 0 0 0 0}
  log "N=$n: $result"
  read -r -a parts <<<"$result"
  if [[ ${parts[0]} == CONVERGED ]]; then
    converge=${parts[1]}
  else
    note="no full mesh after ${parts[1]} s: ${parts[2]}/$n hosts complete, established peers per host ${parts[3]}..${parts[4]} (want $((n - 1)))"
  fi
  local dead=0 pid
  for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null || dead=$((dead + 1)); done
  ((dead)) && note="${note:+$note; }$dead daemon(s) exited"

  log "N=$n: steady state for $STEADY_SECONDS s"
  local b0 p0 c0 t0 b1 p1 c1 t1 hz
  hz=$(getconf CLK_TCK)
  b0=$(tx_bytes_sum "$n"); p0=$(tx_packets_sum "$n"); c0=$(cpu_ticks); t0=$(date +%s.%N)
  sleep "$STEADY_SECONDS"
  b1=$(tx_bytes_sum "$n"); p1=$(tx_packets_sum "$n"); c1=$(cpu_ticks); t1=$(date +%s.%N)
  rate=$(awk -v b="$((b1 - b0))" -v n="$n" -v s="$t0" -v e="$t1" 'BEGIN { printf "%.0f", b / n / (e - s) }')
  pps=$(awk -v p="$((p1 - p0))" -v n="$n" -v s="$t0" -v e="$t1" 'BEGIN { printf "%.1f", p / n / (e - s) }')
  cpu=$(awk -v c="$((c1 - c0))" -v hz="$hz" -v n="$n" -v s="$t0" -v e="$t1" 'BEGIN { printf "%.2f", 100 * c / hz / n / (e - s) }')
  read -r median max alive < <(rss_stats)
  local warnings
  warnings=$(cat "$WORK/n$n"/meshd*.log | grep -c . || true)
  ROWS+=("| $n | $converge | $rate | $pps | $cpu | $median | $max | $alive/$n | $warnings | ${note:-ok} |")
  log "N=$n: converge=${converge}s ctrl=${rate} B/s/host (${pps} pkt/s) cpu=${cpu}% rss median=${median} MB max=${max} MB log lines=$warnings"
  teardown
}

main() {
  local sizes=("$@")
  ((${#sizes[@]})) || sizes=(10 20 40)
  for n in "${sizes[@]}"; do
    if ! [[ $n =~ ^[0-9]+$ ]] || ((n < 2 || n > 250)); then
      log "N must be 2..250: $n"
      exit 2
    fi
  done
  [[ $(id -u) == 0 ]] || { log "needs root (network namespaces)"; exit 2; }
  meshd_binary
  WORK=$(mktemp -d "/tmp/${PREFIX}.XXXXXX")
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  "$MESHD" gen-secret >"$WORK/secret"
  chmod 600 "$WORK/secret"
  for n in "${sizes[@]}"; do run_one "$n"; done

  mkdir -p "$OUT_DIR"
  {
    echo "# meshd scale benchmark"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, meshd binary $MESHD;"
    echo "every host started with \`--peer\` host 1 only, \`--log-level warning\`; steady state over ${STEADY_SECONDS} s."
    echo "Targets (reported, not enforced): 40 hosts converge within 30 s; RSS <= 40 MB per daemon."
    echo
    echo "| N | converge s | ctrl B/s/host | ctrl pkt/s/host | CPU %/daemon | RSS median MB | RSS max MB | alive | log lines | note |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    printf '%s\n' "${ROWS[@]}"
  } | tee "$OUT_DIR/scale.md"
}

main "$@"
