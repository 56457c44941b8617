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
