#!/usr/bin/env bash
# Soak test (not part of CI): a 3-host mesh in network namespaces under mixed traffic
# (iperf3 + pings), rekeying every 3 s, with host 3's daemon restarted every ~60 s and one
# host's underlay partitioned (link down 20 s, then up) every ~120 s. Every 10 s it samples
# each daemon's RSS (VmRSS) and open fds. At the end it checks that every daemon has an
# established session with both others, and that RSS and fd counts of the daemons that were
# never restarted (hosts 1 and 2) are flat within 10% between the warm-up mark (2 minutes,
# or half the run if shorter than 4 minutes) and the end; it prints a table.
#
# Usage: scripts/soak.sh [--minutes N]   (default 10; root; MESHD_BIN overrides the binary)
# Everything lives in namespaces named mshsk<pid>…; addresses 192.0.2.0/24 and 10.47.0.0/16
# exist only inside them. Cleanup (by PID, then the namespaces) runs on any exit.
set -uo pipefail

minutes=10
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes="$2"; shift 2 ;;
    *) echo "usage: $0 [--minutes N]" >&2; exit 2 ;;
  esac
done
root="$(cd "$(dirname "$0")/.." && pwd)"
meshd="${MESHD_BIN:-$root/.build/debug/meshd}"
[ -x "$meshd" ] || { echo "build meshd first (no $meshd)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 2; }

id="mshsk$$"
work="$(mktemp -d /tmp/$id.XXXX)"
sw="${id}sw"
pids=()
declare -A daemon_pid

cleanup() {
  for p in "${pids[@]}" "${daemon_pid[@]}"; do kill "$p" 2>/dev/null; done
  sleep 1
  for p in "${pids[@]}" "${daemon_pid[@]}"; do kill -9 "$p" 2>/dev/null; done
  for ns in "${id}h1" "${id}h2" "${id}h3" "$sw"; do ip netns del "$ns" 2>/dev/null; done
  [ "${SOAK_KEEP:-0}" = 1 ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ns() { echo "${id}h$1"; }
inns() { local n="$1"; shift; ip netns exec "$(ns "$n")" "$@"; }

# Topology: one switch namespace with a bridge, three hosts on veth pairs.
ip netns add "$sw" && ip -n "$sw" link set lo up
ip -n "$sw" link add mshsw0 type bridge stp_state 0 && ip -n "$sw" link set mshsw0 up
for i in 1 2 3; do
  ip netns add "$(ns $i)" && ip -n "$(ns $i)" link set lo up
  ip -n "$sw" link add "mshp$i" type veth peer name mshu0 netns "$(ns $i)"
  ip -n "$sw" link set "mshp$i" master mshsw0 up
  ip -n "$(ns $i)" addr add "192.0.2.$i/24" dev mshu0
  ip -n "$(ns $i)" link set mshu0 up
  inns $i "$meshd" create-bridge --bridge br0 --address "10.47.0.$i/16" >/dev/null
done
"$meshd" gen-secret >"$work/secret" && chmod 600 "$work/secret"

start_daemon() {
  local i="$1" peers=()
  for j in 1 2 3; do [ "$j" != "$i" ] && peers+=(--peer "192.0.2.$j:6786"); done
  # --expose: iperf3 runs on host 3 itself, which meshd hides from the mesh by default.
  ip netns exec "$(ns "$i")" "$meshd" up --bridge br0 --debug-rekey-after-seconds 3 --expose \
    --secret-file "$work/secret" --listen "192.0.2.$i:6786" --state-dir "$work/state$i" \
    --socket "$work/meshd$i.sock" "${peers[@]}" >>"$work/meshd$i.log" 2>&1 &
  daemon_pid[$i]=$!
}
established() { # established peer count of host $1
  "$meshd" status --json --socket "$work/meshd$1.sock" 2>/dev/null |
    jq '[.peers[] | select(.state == "established")] | length' 2>/dev/null || echo 0
}
for i in 1 2 3; do start_daemon $i; done
for _ in $(seq 1 60); do
  ok=1; for i in 1 2 3; do [ "$(established $i)" = 2 ] || ok=0; done
  [ $ok = 1 ] && break; sleep 0.5
done
[ $ok = 1 ] || { echo "mesh did not form"; tail -5 "$work"/meshd*.log; exit 1; }

# Traffic: iperf3 1 -> 3 in 20 s rounds at 20 Mbit/s, pings 2 -> 1 and 3 -> 2.
# `ip netns exec` execs its command, so $! is the tool's own PID (stopped at cleanup).
ip netns exec "$(ns 3)" iperf3 -s -p 5201 >"$work/iperf-server.log" 2>&1 &
pids+=($!)
sleep 0.5
# The client loop ends by itself; each round lasts at most 20 s.
( end=$((SECONDS + minutes * 60)); while [ $SECONDS -lt $end ]; do
    inns 1 iperf3 -c 10.47.0.3 -p 5201 -t 20 -b 20M >>"$work/iperf-client.log" 2>&1 || sleep 1
  done ) &
pids+=($!)
ip netns exec "$(ns 2)" ping -n -q -i 0.5 10.47.0.1 >"$work/ping21.log" 2>&1 &
pids+=($!)
ip netns exec "$(ns 3)" ping -n -q -i 0.5 10.47.0.2 >"$work/ping32.log" 2>&1 &
pids+=($!)

sample() { # t, then per host: rss_kb fds
  local line="$1"
  for i in 1 2 3; do
    local p="${daemon_pid[$i]}" rss fds
    rss="$(awk '/VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)"
    fds="$(ls "/proc/$p/fd" 2>/dev/null | wc -l)"
    line+=" ${rss:-0} $fds"
  done
  echo "$line" >>"$work/samples"
}

total=$((minutes * 60))
warm=$((total >= 240 ? 120 : total / 2))
start=$SECONDS
next_sample=0 next_restart=60 next_partition=120 restarts=0 partitions=0 victim=1
while [ $((SECONDS - start)) -lt "$total" ]; do
  t=$((SECONDS - start))
  if [ "$t" -ge "$next_sample" ]; then sample "$t"; next_sample=$((next_sample + 10)); fi
  if [ "$t" -ge "$next_restart" ] && [ $((total - t)) -gt 25 ]; then
    kill "${daemon_pid[3]}"; wait "${daemon_pid[3]}" 2>/dev/null
    start_daemon 3; restarts=$((restarts + 1)); next_restart=$((next_restart + 60))
    echo "t=${t}s restarted host 3 (pid ${daemon_pid[3]})"
  fi
  if [ "$t" -ge "$next_partition" ] && [ $((total - t)) -gt 45 ]; then
    echo "t=${t}s partition: host $victim underlay down for 20 s"
    ip -n "$(ns $victim)" link set mshu0 down
    sleep 20
    ip -n "$(ns $victim)" link set mshu0 up
    partitions=$((partitions + 1)); next_partition=$((next_partition + 120))
    victim=$((victim % 2 + 1))
    continue
  fi
  sleep 1
done
sample "$((SECONDS - start))"

# Every daemon must get back to two established sessions.
for _ in $(seq 1 80); do
  ok=1; for i in 1 2 3; do [ "$(established $i)" = 2 ] || ok=0; done
  [ $ok = 1 ] && break; sleep 0.5
done
status=0
echo
echo "== samples (RSS in KiB, open fds)"
printf '%6s | %10s %5s | %10s %5s | %10s %5s\n' t h1_rss h1_fd h2_rss h2_fd h3_rss h3_fd
while read -r t r1 f1 r2 f2 r3 f3; do
  printf '%6s | %10s %5s | %10s %5s | %10s %5s\n' "$t" "$r1" "$f1" "$r2" "$f2" "$r3" "$f3"
done <"$work/samples"
echo
echo "restarts of host 3: $restarts, partitions: $partitions, warm-up mark: ${warm}s"
for i in 1 2 3; do echo "host $i: $(established $i) established peers"; done
[ $ok = 1 ] || { echo "FAIL: a session was lost"; status=1; }

# Flatness of hosts 1 and 2 (never restarted): warm-up sample vs last sample.
base="$(awk -v w="$warm" '$1 >= w {print; exit}' "$work/samples")"
last="$(tail -1 "$work/samples")"
for i in 1 2; do
  for what in rss fd; do
    [ "$what" = rss ] && col=$((2 * i)) || col=$((2 * i + 1))
    b="$(echo "$base" | awk -v c="$col" '{print $c}')"
    l="$(echo "$last" | awk -v c="$col" '{print $c}')"
    verdict="$(awk -v b="$b" -v l="$l" 'BEGIN { d = (l - b) / (b > 0 ? b : 1); printf "%+.1f%% %s", 100 * d, (d <= 0.10 && d >= -0.10) ? "ok" : "FAIL" }')"
    echo "host $i $what: $b -> $l ($verdict)"
    case "$verdict" in *FAIL) status=1 ;; esac
  done
done
for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null; done
sleep 1
for f in ping21 ping32; do echo "$f: $(grep -E 'packets transmitted' "$work/$f.log" || echo '(no summary)')"; done
echo "iperf3 rounds: $(grep -c 'receiver' "$work/iperf-client.log" 2>/dev/null || echo 0)," \
  "failed: $(grep -c 'error' "$work/iperf-client.log" 2>/dev/null || echo 0)"
for i in 1 2 3; do
  echo "host $i log: $(grep -ciE 'fatal|panic' "$work/meshd$i.log") fatal lines"
  grep -qiE 'Fatal error' "$work/meshd$i.log" && status=1
done
[ $status = 0 ] && echo "SOAK PASSED" || echo "SOAK FAILED"
exit $status
