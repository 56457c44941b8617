# bench/lib.sh — shell helpers shared by bench/run.sh and bench/flood.sh (sourced, not run).
# The sourcing script defines `log` (its own prefix) and the variables these use: STARTED_PIDS
# (every PID it started, for cleanup) and KEEP_WORK (set by `die` to keep the work directory).

die() { log "error: $*"; KEEP_WORK=1; exit 1; }

# Milliseconds since the epoch.
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# in_ns NS CMD...: runs a command in a namespace.
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# start_bg VAR LOG NS CMD...: starts CMD in namespace NS in the background with its output in
# LOG, stores its PID in VAR and remembers it for cleanup. `ip netns exec` execs the command, so
# the PID is the daemon's own.
start_bg() {
  local var=$1 logfile=$2 ns=$3; shift 3
  ip netns exec "$ns" "$@" >"$logfile" 2>&1 </dev/null &
  local pid=$!
  STARTED_PIDS+=("$pid")
  printf -v "$var" '%s' "$pid"
}

# stop_pid PID...: SIGTERM, then SIGKILL after 3 s, for processes this script started.
stop_pid() {
  local pid
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "$@"; do
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}

# wait_for SECONDS CMD...: polls CMD every 50 ms until it succeeds; fails after SECONDS.
wait_for() {
  local limit=$(($(now_ms) + $1 * 1000)); shift
  until "$@" >/dev/null 2>&1; do
    (($(now_ms) < limit)) || return 1
    sleep 0.05
  done
}

# cpu_ticks PID...: user + system clock ticks of the processes, all threads included.
cpu_ticks() {
  local pid total=0 f
  for pid in "$@"; do
    # Fields after "pid (comm) ": state is the 1st, utime the 12th, stime the 13th.
    read -ra f <<<"$(sed 's/^.*) //' "/proc/$pid/stat")" || continue
    total=$((total + f[11] + f[12]))
  done
  echo "$total"
}

# mac_of NS DEV: the interface's MAC address.
mac_of() { in_ns "$1" cat "/sys/class/net/$2/address"; }

# mesh_pair PREFIX NICK BIN [ENV...]: the two-host lab of bench/legs.sh and bench/costs.sh.
# Namespaces NS_A and NS_B (the caller's names) joined by a veth (PREFIXva 192.0.2.1, PREFIXvb
# 192.0.2.2), a bridge PREFIXbr on each (10.47.1.1 and .2, each pinning the other's MAC), and
# a meshd on each (TAP PREFIXtap, nickname NICK-a / NICK-b, environment ENV), B's first and A
# dialling it. Sets MESHD_A and MESHD_B to the daemons' PIDs and returns once the mesh answers
# a ping. Logs and state go to WORK.
mesh_pair() {
  local prefix=$1 nick=$2 bin=$3 ns side address help
  shift 3
  local env=("$@") expose=() peer=()
  for ns in "$NS_A" "$NS_B"; do
    ip netns del "$ns" 2>/dev/null || true
    ip netns add "$ns"
    ip -n "$ns" link set lo up
  done
  ip -n "$NS_A" link add "${prefix}va" type veth peer name "${prefix}vb" netns "$NS_B"
  ip -n "$NS_A" addr add 192.0.2.1/24 dev "${prefix}va"
  ip -n "$NS_B" addr add 192.0.2.2/24 dev "${prefix}vb"
  ip -n "$NS_A" link set "${prefix}va" up
  ip -n "$NS_B" link set "${prefix}vb" up
  (umask 077 && "$bin" gen-secret >"$WORK/secret")
  in_ns "$NS_A" "$bin" create-bridge --bridge "${prefix}br" --address 10.47.1.1/24 >/dev/null
  in_ns "$NS_B" "$bin" create-bridge --bridge "${prefix}br" --address 10.47.1.2/24 >/dev/null
  in_ns "$NS_A" ip neigh replace 10.47.1.2 lladdr "$(mac_of "$NS_B" "${prefix}br")" dev "${prefix}br"
  in_ns "$NS_B" ip neigh replace 10.47.1.1 lladdr "$(mac_of "$NS_A" "${prefix}br")" dev "${prefix}br"
  help=$("$bin" up --help 2>&1) || true
  [[ $help == *--expose* ]] && expose=(--expose)
  for side in b a; do
    if [[ $side == a ]]; then
      ns=$NS_A address=192.0.2.1 peer=(--peer 192.0.2.2:6786)
    else
      ns=$NS_B address=192.0.2.2 peer=()
    fi
    # `env` and `ip netns exec` exec the daemon, so the PID is its own.
    start_bg "MESHD_${side^^}" "$WORK/meshd-$side.log" "$ns" env "${env[@]}" \
      "$bin" up --bridge "${prefix}br" --tap "${prefix}tap" --secret-file "$WORK/secret" \
      --listen "$address:6786" --state-dir "$WORK/state-$side" --socket "$WORK/$side.sock" \
      --nickname "$nick-$side" "${expose[@]}" "${peer[@]}"
  done
  wait_for 20 in_ns "$NS_A" ping -q -n -c 1 -w 1 10.47.1.2 || die "the mesh does not answer pings"
}
