#!/usr/bin/env bash
# bench/flood.sh — what a UDP flood from a non-member costs meshd's members.
#
# Four network namespaces: a switch (mshflsw, one bridge) and three hosts on it: members A
# (mshfla) and B (mshflb) run meshd with the same secret; attacker C (mshflc) runs no meshd and
# holds no secret. A sends one TCP stream (iperf3) to B through the mesh in three phases,
# interleaved within each round (the order rotates from round to round):
#   baseline — no flood;
#   closed   — C floods a closed UDP port on B's underlay address at full speed: the cost of the
#              flood itself on this machine (the kernel drops it; meshd never sees it);
#   meshport — C floods meshd's port on B with the same datagrams: handshake-shaped (type 1 or
#              2, 148–180 bytes, random content so mac1 fails) and random ones.
# The flood (bench/flood.py, sendmmsg from several processes) starts a second before iperf3 and
# stops by itself a second after it. During the meshport phase the script polls both daemons'
# status and records whether the A–B session stayed established.
# It prints the medians per phase, the ratio meshport/closed, the flood rate (sender's count
# and C's veth counters), meshd's CPU on B, B's drop counters before and after, and the session
# state, and writes the same as Markdown to bench/out/flood.md (raw samples beside it).
#
# Usage: bench/flood.sh [--rounds N] [--seconds T] [--procs N] [--rate PPS]
#   --rate PPS caps the flood in both flood phases at the same rate (default: full speed, which
#   differs between the phases: the kernel's path for a closed port costs more per datagram).
# Environment: MESHD=path to a meshd binary (otherwise built here, release).
# Needs root. Installs iperf3, iputils-ping and python3 with apt when missing. Touches nothing
# outside the namespaces it creates: 192.0.2.0/24 underlay and 10.47.0.0/24 overlay, all inside
# them; the flood goes only to B's underlay address.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROUNDS=3
DURATION=8
PROCS=2
RATE=0
OUT_DIR=$ROOT/bench/out

NS_SW=mshflsw
NS_A=mshfla
NS_B=mshflb
NS_C=mshflc
UNDERLAY_A=192.0.2.11
UNDERLAY_B=192.0.2.12
UNDERLAY_C=192.0.2.13
OVERLAY_A=10.47.0.1
OVERLAY_B=10.47.0.2
MESHD_PORT=6786
CLOSED_PORT=6799
IPERF_PORT=5201
PHASES=(baseline closed meshport)

WORK=""
RESULTS=""
KEEP_WORK=0
# Every process this script started, by PID; cleanup stops these and nothing else.
STARTED_PIDS=()
MESHD_A=""
MESHD_B=""
# Set by start_bg; stopped with the other started processes at cleanup.
IPERF_SERVER=""

# ---------------------------------------------------------------------------------------------
# Helpers

log() { printf '[flood %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
# die, now_ms, in_ns, start_bg, stop_pid, wait_for, cpu_ticks, mac_of
source "$ROOT/bench/lib.sh"

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
  exit "${1:-0}"
}

parse_args() {
  while (($#)); do
    case $1 in
      --rounds) ROUNDS=$2; shift 2 ;;
      --seconds) DURATION=$2; shift 2 ;;
      --procs) PROCS=$2; shift 2 ;;
      --rate) RATE=$2; shift 2 ;;
      -h|--help) usage 0 ;;
      *) log "unknown option $1"; usage 2 ;;
    esac
  done
  [[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "--rounds must be a positive integer"
  if ! [[ $DURATION =~ ^[1-9][0-9]*$ ]] || ((DURATION > 60)); then die "--seconds must be 1..60"; fi
  [[ $PROCS =~ ^[1-9]$ ]] || die "--procs must be 1..9"
  [[ $RATE =~ ^[0-9]+$ ]] || die "--rate must be a whole number of datagrams per second"
}

# dev_counter NS DEV NAME: one of the interface's statistics (tx_packets, rx_packets …).
dev_counter() { in_ns "$1" cat "/sys/class/net/$2/statistics/$3"; }

# udp_rcvbuf_errors NS: datagrams the namespace's kernel dropped because a UDP socket's receive
# buffer was full (Udp RcvbufErrors in /proc/net/snmp, which is per namespace).
udp_rcvbuf_errors() {
  # shellcheck disable=SC2016 # the $ fields are awk's
  in_ns "$1" awk '/^Udp:/ { if (!n) { for (i = 1; i <= NF; i++) col[$i] = i; n = 1 }
    else print $col["RcvbufErrors"] }' /proc/net/snmp
}

# record ROUND PHASE METRIC VALUE: one sample into the results file.
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$RESULTS"; }

# status_json SIDE: the daemon's status as JSON (a or b), bounded in time.
status_json() {
  timeout 3 "$MESHD" status --json --socket "$WORK/$1.sock"
}

# established SIDE: the daemon lists a peer whose state is established.
established() { status_json "$1" | grep -q '"state" *: *"established"'; }

# ---------------------------------------------------------------------------------------------
# Set-up and clean-up

install_deps() {
  local -A pkg_of=([iperf3]=iperf3 [ping]=iputils-ping [python3]=python3)
  local missing=() cmd
  for cmd in "${!pkg_of[@]}"; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("${pkg_of[$cmd]}")
  done
  ((${#missing[@]} == 0)) && return 0
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

build_meshd() {
  if [[ -n ${MESHD:-} ]]; then
    [[ -x $MESHD ]] || die "MESHD=$MESHD is not executable"
    return 0
  fi
  log "building meshd (release)"
  if ! (cd "$ROOT" && swift build -c release --product meshd -Xswiftc -cross-module-optimization) >"$WORK/build.log" 2>&1; then
    tail -n 30 "$WORK/build.log" >&2
    die "swift build failed (log: $WORK/build.log)"
  fi
  MESHD=$ROOT/.build/release/meshd
}

delete_namespaces() {
  local ns
  for ns in "$NS_A" "$NS_B" "$NS_C" "$NS_SW"; do ip netns del "$ns" 2>/dev/null || true; done
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  ((${#STARTED_PIDS[@]})) && stop_pid "${STARTED_PIDS[@]}"
  delete_namespaces
  if [[ -n $WORK && -d $WORK ]]; then
    if ((rc != 0 || KEEP_WORK)); then
      log "logs kept in $WORK"
    else
      rm -rf "$WORK"
    fi
  fi
  exit "$rc"
}

# The switch namespace holds one bridge; each host gets a veth pair to it, created inside the
# namespaces so that the host's own namespace never holds any of it.
setup_underlay() {
  delete_namespaces
  local ns
  for ns in "$NS_SW" "$NS_A" "$NS_B" "$NS_C"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
  done
  ip -n "$NS_SW" link add mshflbr0 type bridge stp_state 0
  ip -n "$NS_SW" link set mshflbr0 up
  local side ns addr
  for side in a b c; do
    case $side in
      a) ns=$NS_A addr=$UNDERLAY_A ;;
      b) ns=$NS_B addr=$UNDERLAY_B ;;
      c) ns=$NS_C addr=$UNDERLAY_C ;;
    esac
    ip -n "$NS_SW" link add "mshflp$side" type veth peer name mshflu0 netns "$ns"
    ip -n "$NS_SW" link set "mshflp$side" master mshflbr0 up
    ip -n "$ns" addr add "$addr/24" dev mshflu0
    ip -n "$ns" link set mshflu0 up
  done
  static_neighbours
  wait_for 5 in_ns "$NS_A" ping -q -n -c 1 -W 1 "$UNDERLAY_B" || die "underlay A→B dead"
  wait_for 5 in_ns "$NS_C" ping -q -n -c 1 -W 1 "$UNDERLAY_B" || die "underlay C→B dead"
}

# Permanent neighbour entries between all three hosts. The kernel's neighbour table limit
# (gc_thresh3) is shared by every namespace on the machine; when other work fills it, ARP
# fails with ENOBUFS ("neighbor table overflow") and sends are silently discarded. Permanent
# entries are exempt from that limit.
static_neighbours() {
  local -A ns_of=([a]=$NS_A [b]=$NS_B [c]=$NS_C) ip_of=([a]=$UNDERLAY_A [b]=$UNDERLAY_B
    [c]=$UNDERLAY_C)
  local from to
  for from in a b c; do
    for to in a b c; do
      [[ $from == "$to" ]] && continue
      ip -n "${ns_of[$from]}" neigh replace "${ip_of[$to]}" \
        lladdr "$(mac_of "${ns_of[$to]}" mshflu0)" dev mshflu0 nud permanent
    done
  done
}

# Both members: bridges with overlay addresses, then the daemons; waits for the session.
setup_mesh() {
  (umask 077 && "$MESHD" gen-secret >"$WORK/meshd.secret")
  in_ns "$NS_A" "$MESHD" create-bridge --bridge mshflbr --address "$OVERLAY_A/24" >/dev/null
  in_ns "$NS_B" "$MESHD" create-bridge --bridge mshflbr --address "$OVERLAY_B/24" >/dev/null
  in_ns "$NS_A" ip neigh replace "$OVERLAY_B" lladdr "$(mac_of "$NS_B" mshflbr)" dev mshflbr \
    nud permanent
  in_ns "$NS_B" ip neigh replace "$OVERLAY_A" lladdr "$(mac_of "$NS_A" mshflbr)" dev mshflbr \
    nud permanent
  start_bg MESHD_B "$WORK/meshd-b.log" "$NS_B" "$MESHD" up --bridge mshflbr --tap mshfltap \
    --secret-file "$WORK/meshd.secret" --listen "$UNDERLAY_B:$MESHD_PORT" \
    --state-dir "$WORK/state-b" --socket "$WORK/b.sock" --nickname flood-b
  wait_for 20 status_json b || { cat "$WORK/meshd-b.log" >&2; die "meshd on B did not start"; }
  start_bg MESHD_A "$WORK/meshd-a.log" "$NS_A" "$MESHD" up --bridge mshflbr --tap mshfltap \
    --secret-file "$WORK/meshd.secret" --listen "$UNDERLAY_A:$MESHD_PORT" \
    --state-dir "$WORK/state-a" --socket "$WORK/a.sock" --nickname flood-a \
    --peer "$UNDERLAY_B:$MESHD_PORT"
  wait_for 30 in_ns "$NS_A" ping -q -n -c 1 -W 1 "$OVERLAY_B" ||
    { cat "$WORK/meshd-a.log" >&2; die "no ping through the mesh"; }
  wait_for 10 established a || die "A never reported an established session"
  wait_for 10 established b || die "B never reported an established session"
  # The closed port must really be closed on B.
  if in_ns "$NS_B" ss -Hlun "sport = :$CLOSED_PORT" | grep -q .; then
    die "port $CLOSED_PORT is open on B"
  fi
  start_bg IPERF_SERVER "$WORK/iperf-server.log" "$NS_B" iperf3 -s -p "$IPERF_PORT"
  wait_for 5 in_ns "$NS_A" bash -c "exec 3<>/dev/tcp/$OVERLAY_B/$IPERF_PORT" ||
    die "iperf3 server not reachable through the mesh"
  log "mesh up; iperf3 server on B is pid $IPERF_SERVER"
}

# ---------------------------------------------------------------------------------------------
# Measurement

# poll_sessions OUTFILE SECONDS: every 0.5 s, one line "ms a-state b-state" (ok, down or
# error: no answer within 3 s) until SECONDS have passed.
poll_sessions() {
  local outfile=$1 limit=$(($(now_ms) + $2 * 1000)) sa sb out side
  while (($(now_ms) < limit)); do
    for side in a b; do
      if out=$(status_json "$side" 2>/dev/null); then
        if grep -q '"state" *: *"established"' <<<"$out"; then printf -v "s$side" ok
        else printf -v "s$side" down; fi
      else
        printf -v "s$side" error
      fi
    done
    printf '%s %s %s\n' "$(now_ms)" "$sa" "$sb" >>"$outfile"
    sleep 0.5
  done
}

# json_value FILE PYTHON-EXPRESSION: evaluates an expression over the parsed JSON `d`.
json_value() {
  python3 - "$1" "$2" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
if "error" in d:
    sys.exit("iperf3: " + d["error"])
print(eval(sys.argv[2]))
EOF
}

# run_phase ROUND PHASE: one iperf3 run A→B with the phase's flood (if any) around it.
run_phase() {
  local round=$1 phase=$2 dir=$WORK/r$1-$2 flood_pid="" poll_pid="" port=""
  mkdir -p "$dir"
  case $phase in
    closed) port=$CLOSED_PORT ;;
    meshport) port=$MESHD_PORT ;;
  esac
  if [[ -n $port ]]; then
    start_bg flood_pid "$dir/flood.json" "$NS_C" python3 "$ROOT/bench/flood.py" \
      --to "$UNDERLAY_B" --port "$port" --seconds $((DURATION + 2)) --procs "$PROCS" \
      --rate "$RATE" --seed "$round"
    sleep 1
  fi
  if [[ $phase == meshport ]]; then
    poll_sessions "$dir/sessions.txt" "$DURATION" &
    poll_pid=$!
    STARTED_PIDS+=("$poll_pid")
  fi
  local hz t0 t1 rcvbuf0 rcvbuf1 ticks_a0 ticks_b0 ticks_a1 ticks_b1 ctx0 ctx1 brx0 brx1
  hz=$(getconf CLK_TCK)
  ctx0=$(dev_counter "$NS_C" mshflu0 tx_packets)
  brx0=$(dev_counter "$NS_B" mshflu0 rx_packets)
  rcvbuf0=$(udp_rcvbuf_errors "$NS_B")
  ticks_a0=$(cpu_ticks "$MESHD_A")
  ticks_b0=$(cpu_ticks "$MESHD_B")
  t0=$(now_ms)
  if timeout $((DURATION + 30)) ip netns exec "$NS_A" iperf3 -c "$OVERLAY_B" -p "$IPERF_PORT" \
    -t "$DURATION" -J >"$dir/iperf.json" 2>&1; then
    record "$round" "$phase" tcp_mbps \
      "$(json_value "$dir/iperf.json" 'round(d["end"]["sum_received"]["bits_per_second"] / 1e6, 1)')"
    record "$round" "$phase" tcp_retransmits \
      "$(json_value "$dir/iperf.json" 'd["end"]["sum_sent"]["retransmits"]')"
  else
    log "$phase: iperf3 failed: $(tail -c 300 "$dir/iperf.json")"
  fi
  t1=$(now_ms)
  ticks_a1=$(cpu_ticks "$MESHD_A")
  ticks_b1=$(cpu_ticks "$MESHD_B")
  ctx1=$(dev_counter "$NS_C" mshflu0 tx_packets)
  brx1=$(dev_counter "$NS_B" mshflu0 rx_packets)
  rcvbuf1=$(udp_rcvbuf_errors "$NS_B")
  local ms=$((t1 - t0))
  record "$round" "$phase" meshd_b_cpu_pct $(((ticks_b1 - ticks_b0) * 100000 / hz / ms))
  record "$round" "$phase" meshd_a_cpu_pct $(((ticks_a1 - ticks_a0) * 100000 / hz / ms))
  record "$round" "$phase" c_veth_tx_pps $(((ctx1 - ctx0) * 1000 / ms))
  record "$round" "$phase" b_veth_rx_pps $(((brx1 - brx0) * 1000 / ms))
  record "$round" "$phase" b_udp_rcvbuf_drops_ps $(((rcvbuf1 - rcvbuf0) * 1000 / ms))
  if [[ -n $poll_pid ]]; then wait "$poll_pid" 2>/dev/null || true; fi
  if [[ -n $flood_pid ]]; then
    wait "$flood_pid" 2>/dev/null || log "$phase: flooder exited with an error"
    local pps
    pps=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])["pps"])' \
      "$dir/flood.json" 2>/dev/null) || pps=""
    [[ -n $pps ]] && record "$round" "$phase" flood_sender_pps "$pps"
  fi
  if [[ -f $dir/sessions.txt ]]; then
    record "$round" "$phase" polls "$(wc -l <"$dir/sessions.txt")"
    record "$round" "$phase" polls_not_established "$(grep -cv ' ok ok$' "$dir/sessions.txt" || true)"
  fi
  sleep 1
}

# ---------------------------------------------------------------------------------------------
# Report

summarize() {
  local stamp=$1
  mkdir -p "$OUT_DIR"
  local md_name=flood.md
  [[ $RATE == 0 ]] || md_name=flood-rate$RATE.md
  cp "$RESULTS" "$OUT_DIR/flood-$stamp.tsv"
  cp "$WORK/drops-before.json" "$OUT_DIR/flood-$stamp-status-b-before.json"
  cp "$WORK/drops-after.json" "$OUT_DIR/flood-$stamp-status-b-after.json"
  python3 - "$RESULTS" "$WORK/drops-before.json" "$WORK/drops-after.json" \
    "$OUT_DIR/$md_name" "$(context_line)" "$(meshd_alive)" <<'EOF'
import json, statistics, sys
results, before_f, after_f, md_f, context, alive = sys.argv[1:7]
samples = {}
for line in open(results):
    rnd, phase, metric, value = line.rstrip("\n").split("\t")
    samples.setdefault((phase, metric), []).append(float(value))
def med(phase, metric):
    v = samples.get((phase, metric))
    return statistics.median(v) if v else None
def fmt(x, nd=1):
    return "–" if x is None else f"{x:,.{nd}f}"
phases = ["baseline", "closed", "meshport"]
titles = {"baseline": "1 no flood", "closed": "2 flood to a closed port",
          "meshport": "3 flood to meshd's port"}
lines = [f"# meshd under a UDP flood from a non-member", "", context, "",
         "| phase | TCP A→B Mbit/s (median) | samples | flood sent pps | C veth tx pps "
         "| B veth rx pps | B UDP rcvbuf drops/s | TCP retransmits | meshd B CPU % | meshd A CPU % |",
         "|---|---|---|---|---|---|---|---|---|---|"]
for p in phases:
    tcp = samples.get((p, "tcp_mbps"), [])
    lines.append(
        f"| {titles[p]} | {fmt(med(p, 'tcp_mbps'))} | {', '.join(fmt(x) for x in tcp)} "
        f"| {fmt(med(p, 'flood_sender_pps'), 0)} | {fmt(med(p, 'c_veth_tx_pps'), 0)} "
        f"| {fmt(med(p, 'b_veth_rx_pps'), 0)} | {fmt(med(p, 'b_udp_rcvbuf_drops_ps'), 0)} "
        f"| {fmt(med(p, 'tcp_retransmits'), 0)} | {fmt(med(p, 'meshd_b_cpu_pct'), 0)} "
        f"| {fmt(med(p, 'meshd_a_cpu_pct'), 0)} |")
b, c, m = (med(p, "tcp_mbps") for p in phases)
ratio = (m / c) if m and c else None
lines += ["", f"- ratio phase 3 / phase 2 (meshd's own cost of the flood): **{fmt(ratio, 2)}** "
          f"(target ≥ 0.80) — {'met' if ratio and ratio >= 0.8 else 'NOT met'}",
          f"- ratio phase 2 / phase 1 (what the flood costs the machine): {fmt(c / b if b and c else None, 2)}",
          f"- ratio phase 3 / phase 1: {fmt(m / b if b and m else None, 2)}"]
polls = sum(samples.get(("meshport", "polls"), []))
bad = sum(samples.get(("meshport", "polls_not_established"), []))
lines.append(f"- session during phase 3: {int(polls)} status polls of A and B, "
             f"{int(bad)} not showing both established — "
             f"{'stayed established throughout' if polls and not bad else 'NOT always established'}")
lines.append(f"- meshd daemons still running at the end: {alive}")
def drops(f):
    try:
        return json.load(open(f)).get("drops", {})
    except Exception:
        return {}
d0, d1 = drops(before_f), drops(after_f)
keys = sorted(set(d0) | set(d1), key=lambda k: -(d1.get(k, 0) - d0.get(k, 0)))
lines += ["", "B's drop counters (meshd status), before the first round → after the last "
          "(only phase 3 reaches meshd):", "", "| reason | before | after | Δ |", "|---|---|---|---|"]
for k in keys:
    if d1.get(k, 0) or d0.get(k, 0):
        lines.append(f"| {k} | {d0.get(k, 0):,} | {d1.get(k, 0):,} | {d1.get(k, 0) - d0.get(k, 0):,} |")
text = "\n".join(lines) + "\n"
open(md_f, "w").write(text)
print(text)
EOF
}

meshd_alive() {
  if kill -0 "$MESHD_A" 2>/dev/null && kill -0 "$MESHD_B" 2>/dev/null; then echo yes; else echo no; fi
}

context_line() {
  local commit
  commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
  printf 'commit %s; %s rounds x %s s iperf3 (one TCP stream); %s flood processes, %s; ' \
    "$commit" "$ROUNDS" "$DURATION" "$PROCS" \
    "$([[ $RATE == 0 ]] && echo "full speed" || echo "capped at $RATE datagrams/s")"
  printf '%s cores; ' "$(nproc)"
  printf 'load average at start %s, at end %s; kernel %s' \
    "$LOAD_START" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(uname -r)"
}

LOAD_START=""

main() {
  parse_args "$@"
  ((EUID == 0)) || die "run as root (network namespaces)"
  LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
  WORK=$(mktemp -d /tmp/mshfl.XXXXXX)
  RESULTS=$WORK/results.tsv
  : >"$RESULTS"
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  install_deps
  build_meshd
  setup_underlay
  setup_mesh
  status_json b >"$WORK/drops-before.json" || die "no status from B"
  local round i phase stamp
  stamp=$(date +%Y%m%d-%H%M%S)
  for round in $(seq 1 "$ROUNDS"); do
    for i in 0 1 2; do
      phase=${PHASES[$(((i + round - 1) % 3))]}
      log "round $round/$ROUNDS: $phase"
      run_phase "$round" "$phase"
    done
  done
  status_json b >"$WORK/drops-after.json" || log "no status from B after the flood"
  [[ $(meshd_alive) == yes ]] || { KEEP_WORK=1; log "a meshd daemon died during the run"; }
  summarize "$stamp"
}

main "$@"
