#!/usr/bin/env bash
# bench/costs.sh — what one TCP stream through a meshd pair costs each daemon, per binary.
#
# Two namespaces (mshbca, mshbcb) joined by a veth, a meshd on each, one iperf3 TCP stream
# A→B for 12 s and a ping every 50 ms during it. Over the middle 6 s it reads, from /sys and
# /proc: the frames A's TAP handed A's daemon (and their average size), each daemon's user and
# system CPU, and how often each daemon's threads went to sleep (voluntary context switches)
# or were preempted. One line per binary per round, the binaries interleaved, so that a
# shared, noisy machine treats them alike:
#   NAME: Mbit/s retr N | ping p50 P90 ms | A frames/s (avg B) | A usr/sys % | B usr/sys % |
#   A sleeps/s preempted/s | B sleeps/s preempted/s | idle (machine, in % of one CPU)
# bench/README.md ("One stream against main before issue 16") reads such lines.
#
# Usage: bench/costs.sh [--rounds N] [--env "K=V ..."] BINARY...
#   --env   environment for every daemon (a throwaway build's knobs, say)
# Needs root, iperf3, ping, python3. Addresses 192.0.2.0/24 and 10.47.1.0/24 exist only inside
# the two namespaces, which are deleted after each run, failure included.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROUNDS=1
ENV_ARGS=()
NS_A=mshbca
NS_B=mshbcb
STARTED_PIDS=()
KEEP_WORK=0
WORK=""

log() { printf '[costs %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
# die, in_ns, start_bg, stop_pid, wait_for, mesh_pair
source "$ROOT/bench/lib.sh"

while (($#)); do
  case $1 in
    --rounds) ROUNDS=$2; shift 2 ;;
    --env) read -ra ENV_ARGS <<<"$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) break ;;
  esac
done
(($# >= 1)) || die "usage: bench/costs.sh [--rounds N] [--env \"K=V ...\"] BINARY..."
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "--rounds must be a positive number"
for bin in "$@"; do [[ -x $bin ]] || die "$bin is not executable"; done
for cmd in iperf3 ping python3; do command -v "$cmd" >/dev/null || die "needs $cmd"; done

teardown() {
  ((${#STARTED_PIDS[@]})) && stop_pid "${STARTED_PIDS[@]}"
  STARTED_PIDS=()
  ip netns del "$NS_A" 2>/dev/null || true
  ip netns del "$NS_B" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  teardown
  if [[ -n $WORK ]]; then
    if ((rc != 0 || KEEP_WORK)); then log "logs kept in $WORK"; else rm -rf "$WORK"; fi
  fi
  exit "$rc"
}
trap cleanup EXIT INT TERM
WORK=$(mktemp -d /tmp/mshbc.XXXXXX)

# snapshot PID_A PID_B: A's TAP tx packets and bytes, then per daemon utime stime voluntary
# nonvoluntary (all threads), then the machine's idle and total jiffies (USER_HZ).
snapshot() {
  in_ns "$NS_A" cat /sys/class/net/mshbctap/statistics/tx_packets \
    /sys/class/net/mshbctap/statistics/tx_bytes | paste -sd' '
  local pid
  for pid in "$1" "$2"; do
    cat /proc/"$pid"/task/*/stat | sed 's/^.*) //' | awk '{u += $12; s += $13} END {printf "%d %d ", u, s}'
    cat /proc/"$pid"/task/*/status |
      awk '/^voluntary_ctxt/ {v += $2} /^nonvoluntary_ctxt/ {n += $2} END {print v, n}'
  done
  awk '/^cpu / {t = 0; for (i = 2; i <= NF; i++) t += $i; print $5, t}' /proc/stat
}

# measure BINARY: one run; prints its line.
measure() {
  local bin=$1
  mesh_pair mshbc costs "$bin" "${ENV_ARGS[@]}"
  start_bg IPERF_S "$WORK/iperf3-s.log" "$NS_B" iperf3 -s -1
  sleep 0.5
  in_ns "$NS_A" nstat -n >/dev/null
  in_ns "$NS_A" iperf3 -c 10.47.1.2 -t 12 -f m >"$WORK/iperf3-c.log" 2>&1 &
  local iperf_c=$!
  STARTED_PIDS+=("$iperf_c")
  (sleep 1 && in_ns "$NS_A" ping -n -i 0.05 -c 200 10.47.1.2 >"$WORK/ping.txt" 2>&1) &
  local pinger=$!
  sleep 3
  local before after
  before=$(snapshot "$MESHD_A" "$MESHD_B")
  sleep 6
  after=$(snapshot "$MESHD_A" "$MESHD_B")
  wait "$iperf_c" || die "iperf3 failed: $(tail -n 3 "$WORK/iperf3-c.log")"
  wait "$pinger" || true
  local retr
  retr=$(in_ns "$NS_A" nstat -a TcpRetransSegs | awk '/TcpRetransSegs/ {print $2}')
  python3 - "$(basename "$bin")" "$WORK" "${retr:-0}" "$(getconf CLK_TCK)" \
    "$before" "$after" <<'PY'
import re, sys
name, work, retr, hz = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
b = [list(map(int, l.split())) for l in sys.argv[5].splitlines()]
a = [list(map(int, l.split())) for l in sys.argv[6].splitlines()]
d = [[y - x for x, y in zip(p, q)] for p, q in zip(b, a)]
secs = 6.0
rate = re.findall(r"([\d.]+) Mbits/sec.*receiver", open(f"{work}/iperf3-c.log").read())
rtts = sorted(float(t) for t in re.findall(r"time=([\d.]+)", open(f"{work}/ping.txt").read()))
p = lambda q: rtts[min(len(rtts) - 1, int(q * len(rtts)))] if rtts else float("nan")
frames, nbytes = d[0]
cpu = lambda row: f"{100 * row[0] / hz / secs:.0f}/{100 * row[1] / hz / secs:.0f}"
idle = 100 * d[3][0] / hz / secs  # in % of one CPU, as the daemons' CPU
print(f"{name}: {rate[-1] if rate else '?'} Mbit/s retr {retr} | ping {p(0.5):.3f} {p(0.9):.3f} ms"
      f" | A {frames / secs:.0f} frames/s (avg {nbytes // max(frames, 1)} B)"
      f" | A {cpu(d[1])} % | B {cpu(d[2])} %"
      f" | A {d[1][2] / secs:.0f}/{d[1][3] / secs:.0f} sw/s | B {d[2][2] / secs:.0f}/{d[2][3] / secs:.0f} sw/s"
      f" | idle {idle:.0f} % of a CPU")
PY
  teardown
}

for ((round = 1; round <= ROUNDS; round++)); do
  log "round $round of $ROUNDS"
  for bin in "$@"; do measure "$bin"; done
done
