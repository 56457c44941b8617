#!/usr/bin/env bash
# End-to-end test of meshd with real Docker daemons.
#
# Two hosts, each a network namespace (mshdk<id>A, mshdk<id>B) joined by a veth pair on the
# underlay 192.0.2.0/24. Each host runs `meshd` (its TAP a port of the host's br0) and its own
# dockerd on br0 (`--bridge=br0 --fixed-cidr=<host subnet> --mtu=<mesh MTU>`), then containers
# on the two hosts talk to each other across the encrypted mesh.
#
# Usage (root): MESHD_BIN=.build/debug/meshd bash scripts/docker-e2e.sh
# Debugging knobs: MSHDK_MESHD_LOG_LEVEL=debug (meshd's --log-level), MSHDK_KEEP=1 (keep the
# work directory with every daemon's log).
# Prints one PASS/FAIL line per check and exits non-zero when any check fails.
# Requirements: scripts/install-deps-docker.sh (docker.io, busybox-static, iputils-ping).
#
# Safety: every address lives in the namespaces made here; every daemon has its own data,
# exec and state directories and socket under one temporary directory, and is stopped by its
# PID. The trap removes the daemons, containers, mounts, namespaces and the directory, on
# failure too.
set -euo pipefail

# Start over with no blocked and no ignored signals when the caller left some. A process
# spawned from a libdispatch worker thread (Foundation's Process under `swift test`) inherits
# a mask that blocks SIGALRM, SIGTERM and more; dockerd, containerd and the shims hand their
# initial mask down to every container process, and then busybox ping sends one echo and never
# times out (-w/-W need SIGALRM) and busybox timeout cannot stop wget.
if [[ -z ${MSHDK_SIGNALS_RESET:-} ]] &&
  ! awk '/^Sig(Blk|Ign):/ && $2 !~ /^0+$/ {found = 1} END {exit found}' /proc/$$/status; then
  export MSHDK_SIGNALS_RESET=1
  exec python3 -c '
import os, signal, sys
for s in signal.valid_signals():
    if s not in (signal.SIGKILL, signal.SIGSTOP):
        try:
            signal.signal(s, signal.SIG_DFL)
        except (OSError, ValueError):
            pass
signal.pthread_sigmask(signal.SIG_SETMASK, [])
os.execvp(sys.argv[1], sys.argv[1:])' bash "$0" "$@"
fi

# Debian keeps dockerd in /usr/sbin, which a non-login PATH may lack.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
T_START=$(date +%s%N)
ID=$(printf '%05d' $(($$ % 100000)))
HOSTS=(A B)
declare -A IDX=([A]=1 [B]=2)
declare -A NS=([A]="mshdk${ID}A" [B]="mshdk${ID}B")
declare -A UNDERLAY=([A]=192.0.2.1 [B]=192.0.2.2)
declare -A PEER_OF=([A]=B [B]=A)
PORT=6786
IMAGE=meshd-busybox
FILE_SIZE=$((1024 * 1024))

WORK=""
declare -A MESHD_PID=() DOCKERD_PID=() CONTAINERD_PID=() DOCKER_OPTS=() FIXED_CIDR=()
declare -A MTU=() MESH_MTU=() IP_WEB=() IP_CLIENT=() SHA_WEB=()
PASSED=0
FAILED=0
FAIL_LINES=()

log() { printf '[%6ss] %s\n' "$(elapsed)" "$*"; }
elapsed() {
  local ms=$((($(date +%s%N) - T_START) / 1000000))
  printf '%d.%02d' $((ms / 1000)) $((ms % 1000 / 10))
}
die() {
  printf 'FAIL setup: %s\n' "$*"
  FAILED=$((FAILED + 1))
  exit 1
}
pass() {
  printf 'PASS %s  [%ss]\n' "$*" "$(elapsed)"
  PASSED=$((PASSED + 1))
}
fail() {
  printf 'FAIL %s  [%ss]\n' "$*" "$(elapsed)"
  FAILED=$((FAILED + 1))
  FAIL_LINES+=("$*")
}
check() { # check "description" command...: PASS when the command succeeds
  local what=$1
  shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}

# ---------------------------------------------------------------------------- preflight
[[ $(id -u) -eq 0 ]] || die "must run as root"
[[ -c /dev/net/tun ]] || die "/dev/net/tun is missing"
MESHD=${MESHD_BIN:-$(command -v meshd || true)}
[[ -n $MESHD && -x $MESHD ]] || die "meshd not found: set MESHD_BIN (got '${MESHD}')"
MESHD=$(readlink -f "$MESHD")
# Debian's client matches its 20.10 server; a newer /usr/local/bin/docker also works.
DOCKER_CLI=/usr/bin/docker
[[ -x $DOCKER_CLI ]] || DOCKER_CLI=$(command -v docker || true)
BUSYBOX=/bin/busybox
for tool in dockerd containerd runc nsenter ip python3 timeout; do
  command -v "$tool" >/dev/null || die "$tool not found (run scripts/install-deps-docker.sh)"
done
[[ -n $DOCKER_CLI ]] || die "docker client not found (run scripts/install-deps-docker.sh)"
[[ -x /usr/bin/ping ]] || die "iputils ping not found (run scripts/install-deps-docker.sh)"
# The static busybox: the image must run with no libraries at all.
if [[ ! -x $BUSYBOX ]] || ldd "$BUSYBOX" >/dev/null 2>&1; then
  die "$BUSYBOX is not a static busybox (apt-get install busybox-static)"
fi

# ---------------------------------------------------------------------------- cleanup
stop_pid() { # stop_pid NAME PID [SECONDS]: SIGTERM, wait, then SIGKILL
  local name=$1 pid=$2 secs=${3:-15}
  [[ -n $pid ]] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + secs))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "cleanup: $name (pid $pid) ignored SIGTERM; SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  log "cleanup"
  stop_pid "B's host service" "${EXPOSURE_SERVER_PID:-}" 3
  for h in "${HOSTS[@]}"; do
    # Containers first (SIGKILL at once: httpd as PID 1 ignores SIGTERM), then the daemons.
    if [[ -n ${DOCKERD_PID[$h]:-} ]] && kill -0 "${DOCKERD_PID[$h]}" 2>/dev/null; then
      local ids
      ids=$(timeout 10 "$DOCKER_CLI" -H "unix://$WORK/$h/docker.sock" ps -aq 2>/dev/null)
      # shellcheck disable=SC2086 # one container ID per word
      [[ -n $ids ]] && timeout 20 "$DOCKER_CLI" -H "unix://$WORK/$h/docker.sock" rm -f $ids >/dev/null 2>&1
    fi
  done
  log "cleanup: containers removed"
  for h in "${HOSTS[@]}"; do stop_pid "dockerd $h" "${DOCKERD_PID[$h]:-}" 20; done
  log "cleanup: dockerd stopped"
  for h in "${HOSTS[@]}"; do stop_pid "containerd $h" "${CONTAINERD_PID[$h]:-}" 10; done
  for h in "${HOSTS[@]}"; do stop_pid "meshd $h" "${MESHD_PID[$h]:-}" 10; done
  stop_pid "dns upstream" "${UPSTREAM_PID:-}" 5
  if [[ -n $WORK && -d $WORK ]]; then
    # Anything still running from this run's directory (containerd shims detach from their
    # parent): found by the run's unique directory, each stopped by its PID.
    local pid
    for pid in $(pgrep -f -- "$WORK/" || true); do
      [[ $pid == "$$" ]] && continue
      echo "cleanup: stray process $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" >&2
      stop_pid "stray" "$pid" 5
    done
    # Mounts under the run's directory (overlay layers, netns bind mounts), deepest first.
    local m
    while read -r m; do
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null ||
        echo "cleanup: could not unmount $m" >&2
    done < <(awk -v w="$WORK/" 'index($5, w) == 1 {print $5}' /proc/self/mountinfo | sort -r)
  fi
  for h in "${HOSTS[@]}"; do
    if ip netns list | grep -qw -- "${NS[$h]}"; then ip netns delete "${NS[$h]}"; fi
  done
  local d
  for d in "${MADE_DIRS[@]}"; do rmdir "$d" 2>/dev/null; done
  # The per-host cgroup parents given to dockerd (empty once their containers are gone).
  find /sys/fs/cgroup -maxdepth 2 -depth -type d -name "mshdk${ID}?" -exec rmdir {} + 2>/dev/null
  if [[ -n $WORK && -d $WORK ]]; then
    if grep -q -- "$WORK/" /proc/self/mountinfo; then
      echo "cleanup: mounts remain under $WORK; not removing it" >&2
    else
      if ((rc != 0 || FAILED > 0)); then
        # The daemons' last words, for whoever reads a failed run (CI, the Swift wrapper).
        local f
        for f in "$WORK"/*/*.log; do
          [[ -s $f ]] || continue
          echo "---- last lines of ${f#"$WORK"/} ----" >&2
          tail -n 15 "$f" >&2
        done
      fi
      [[ -n ${MSHDK_KEEP:-} ]] || rm -rf "$WORK"
    fi
  fi
  if ((rc != 0 && FAILED == 0)); then
    printf 'FAIL aborted with status %d before the checks finished\n' "$rc"
    FAILED=1
  fi
  printf 'total duration: %ss\n' "$(elapsed)"
  if ((rc == 0 && FAILED > 0)); then rc=1; fi
  printf 'docker-e2e: %d passed, %d failed\n' "$PASSED" "$FAILED"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Directories that dockerd and containerd's shims make in the host's /run whatever their
# flags say: removed at the end (if empty) when they were not there before.
HOST_DIRS=(/run/containerd/s /run/containerd /run/docker/plugins /run/docker)
MADE_DIRS=()
for d in "${HOST_DIRS[@]}"; do [[ -e $d ]] || MADE_DIRS+=("$d"); done

WORK=$(mktemp -d /tmp/mshdk.XXXXXX)
chmod 0711 "$WORK"
export DOCKER_CONFIG=$WORK/docker-client # the client writes nothing under ~/.docker

in_ns() { # in_ns HOST command...: run in the host's network namespace, nothing else changed
  local h=$1
  shift
  nsenter --net="/run/netns/${NS[$h]}" -- "$@"
}
# Daemons start as `nsenter ... -- daemon &`, never `in_ns ... &`: a backgrounded function is
# a subshell, and $! would be that subshell's PID instead of the daemon's. (nsenter without
# --pid does not fork: it becomes the daemon.)
netns_path() { echo "/run/netns/${NS[$1]}"; }
dk() { # dk HOST docker-args...: the docker client of one host (never more than 90 s)
  local h=$1
  shift
  timeout 90 "$DOCKER_CLI" -H "unix://$WORK/$h/docker.sock" "$@"
}
wait_for() { # wait_for SECONDS command...: poll until the command succeeds
  local secs=$1
  shift
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# ---------------------------------------------------------------------------- the hosts
log "hosts ${NS[A]} and ${NS[B]}, work dir $WORK, meshd $MESHD"
for h in "${HOSTS[@]}"; do
  mkdir -p "$WORK/$h"
  ip netns add "${NS[$h]}"
  ip -n "${NS[$h]}" link set lo up
done
# The veth is made inside A with its peer created directly inside B: never in the host's
# namespace.
ip -n "${NS[A]}" link add mshdkuA type veth peer name mshdkuB netns "${NS[B]}"
for h in "${HOSTS[@]}"; do
  ip -n "${NS[$h]}" addr add "${UNDERLAY[$h]}/24" dev "mshdku$h"
  ip -n "${NS[$h]}" link set "mshdku$h" up
done

(umask 077 && "$MESHD" gen-secret >"$WORK/secret")

MESHD_UP_EXTRA=()
# The help texts, read once: `meshd … --help | grep -q` would trip pipefail whenever grep
# stops reading before meshd has written all of a long help (SIGPIPE).
UP_HELP=$("$MESHD" up --help 2>/dev/null || true)
MAIN_HELP=$("$MESHD" --help 2>/dev/null || true)
if grep -q -- '--ipam-range' <<<"$UP_HELP"; then
  MESHD_UP_EXTRA=(--ipam-range 10.47.0.0/16 --subnet-size 24)
fi
# Service discovery: meshd follows its host's dockerd (which starts after it: meshd waits).
DISCOVERY=0
if grep -q -- '--docker-socket' <<<"$UP_HELP"; then DISCOVERY=1; fi
# Name resolution (the DNS server on the bridge address, `--dns` in docker-opts).
RESOLUTION=0
if grep -q -- '--dns-domain' <<<"$UP_HELP"; then RESOLUTION=1; fi

start_meshd() { # start_meshd HOST: the daemon in the background, its PID in MESHD_PID
  local h=$1 peer=${PEER_OF[$1]} names=()
  ((DISCOVERY)) && names=(--docker-socket "$WORK/$h/docker.sock")
  # Outside names go to a stand-in upstream resolver inside the namespaces (started with the
  # resolution checks), never to the machine's own resolvers.
  ((RESOLUTION)) && names+=(--dns-upstream "${UNDERLAY[B]}:5300")
  nsenter --net="$(netns_path "$h")" -- "$MESHD" up --bridge br0 --secret-file "$WORK/secret" \
    --listen "${UNDERLAY[$h]}:$PORT" --state-dir "$WORK/$h/state" \
    --socket "$WORK/$h/meshd.sock" --peer "${UNDERLAY[$peer]}:$PORT" \
    "${MESHD_UP_EXTRA[@]}" "${names[@]}" ${MSHDK_MESHD_LOG_LEVEL:+--log-level "$MSHDK_MESHD_LOG_LEVEL"} >>"$WORK/$h/meshd.log" 2>&1 &
  MESHD_PID[$h]=$!
}
status_json() { "$MESHD" status --json --socket "$WORK/$1/meshd.sock"; }
established() { # established HOST: every known peer (at least one) has a live session
  status_json "$1" 2>/dev/null | python3 -c '
import json, sys
peers = json.load(sys.stdin).get("peers", [])
sys.exit(0 if peers and all(p.get("state") == "established" for p in peers) else 1)'
}

for h in "${HOSTS[@]}"; do
  in_ns "$h" "$MESHD" create-bridge --bridge br0 --address "10.47.${IDX[$h]}.1/16" \
    >>"$WORK/$h/meshd.log" 2>&1 || die "meshd create-bridge on $h (see $WORK/$h/meshd.log)"
done
for h in "${HOSTS[@]}"; do start_meshd "$h"; done
for h in "${HOSTS[@]}"; do
  wait_for 30 established "$h" || {
    cat "$WORK/$h/meshd.log" >&2
    die "meshd on $h: no established session within 30 s"
  }
done
for h in "${HOSTS[@]}"; do
  MESH_MTU[$h]=$(status_json "$h" | python3 -c 'import json,sys; print(json.load(sys.stdin)["mtu"])')
  MTU[$h]=${MESH_MTU[$h]}
done
log "mesh established; meshd MTU A=${MESH_MTU[A]} B=${MESH_MTU[B]}"

# ---------------------------------------------------------------------------- docker flags
# ONE place decides dockerd's network flags. `meshd docker-opts` (IPAM) when this meshd has
# it; otherwise the flags by hand: fixed-cidr 10.47.N.0/24 inside the bridge's 10.47.N.1/16,
# --mtu from the daemon's status.
dockerOpts() { # dockerOpts HOST: prints the dockerd flags for the host's bridge
  local h=$1
  # (`meshd X --help` answers 0 for any X: look for the subcommand in the list instead.)
  if grep -Eq '^[[:space:]]+docker-opts([[:space:]]|$)' <<<"$MAIN_HELP"; then
    # The subcommand exists: its answer is authoritative. A new host claims its subnet a few
    # seconds after it joins (it listens to the mesh's claims first), so wait for it.
    local try
    for try in $(seq 1 40); do
      if "$MESHD" docker-opts --socket "$WORK/$h/meshd.sock" 2>/dev/null; then return 0; fi
      sleep 0.5
    done
    "$MESHD" docker-opts --socket "$WORK/$h/meshd.sock"
  else
    echo "--bridge=br0 --fixed-cidr=10.47.${IDX[$h]}.0/24 --mtu=${MTU[$h]}"
  fi
}
for h in "${HOSTS[@]}"; do
  DOCKER_OPTS[$h]=$(dockerOpts "$h") || die "meshd docker-opts on $h failed"
  FIXED_CIDR[$h]=$(sed -n 's/.*--fixed-cidr=\([^ ]*\).*/\1/p' <<<"${DOCKER_OPTS[$h]}")
  dmtu=$(sed -n 's/.*--mtu=\([0-9]*\).*/\1/p' <<<"${DOCKER_OPTS[$h]}")
  [[ -n ${FIXED_CIDR[$h]} && -n $dmtu ]] || die "docker opts of $h lack --fixed-cidr/--mtu: ${DOCKER_OPTS[$h]}"
  # Test-only knob: MSHDK_FORCE_DOCKER_MTU=1500 shows that the full-size check catches a
  # Docker MTU larger than the mesh's.
  if [[ -n ${MSHDK_FORCE_DOCKER_MTU:-} ]]; then
    DOCKER_OPTS[$h]=${DOCKER_OPTS[$h]/--mtu=$dmtu/--mtu=$MSHDK_FORCE_DOCKER_MTU}
    dmtu=$MSHDK_FORCE_DOCKER_MTU
  fi
  MTU[$h]=$dmtu
  log "dockerd flags for $h: ${DOCKER_OPTS[$h]}"
done

# ---------------------------------------------------------------------------- docker daemons
# dockerd silently shares a containerd at /run/containerd/containerd.sock: two dockerds on one
# containerd collide. When one is there, each host gets its own containerd.
OWN_CONTAINERD=0
if [[ -S /run/containerd/containerd.sock || ${MSHDK_OWN_CONTAINERD:-0} == 1 ]]; then
  OWN_CONTAINERD=1
fi
start_containerd() {
  local h=$1 d=$WORK/$1/containerd
  mkdir -p "$d"
  cat >"$d/config.toml" <<EOF
version = 2
root = "$d/root"
state = "$d/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$d/containerd.sock"
[ttrpc]
  address = "$d/containerd.sock.ttrpc"
[debug]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$d/opt"
EOF
  nsenter --net="$(netns_path "$h")" -- containerd --config "$d/config.toml" >>"$WORK/$h/containerd.log" 2>&1 &
  CONTAINERD_PID[$h]=$!
  wait_for 30 test -S "$d/containerd.sock" || die "containerd on $h did not start (see $WORK/$h/containerd.log)"
}
start_dockerd() {
  local h=$1 extra=()
  # Its own config file (never /etc/docker/daemon.json), and its trust key inside the run's
  # directory: by default dockerd 20.10 writes /etc/docker/key.json.
  printf '{"deprecated-key-path": "%s"}\n' "$WORK/$h/key.json" >"$WORK/$h/daemon.json"
  if ((OWN_CONTAINERD)); then
    start_containerd "$h"
    extra+=(--containerd "$WORK/$h/containerd/containerd.sock")
  fi
  # shellcheck disable=SC2086 # DOCKER_OPTS is a list of flags
  nsenter --net="$(netns_path "$h")" -- dockerd ${DOCKER_OPTS[$h]} \
    --data-root "$WORK/$h/data" --exec-root "$WORK/$h/exec" --pidfile "$WORK/$h/docker.pid" \
    -H "unix://$WORK/$h/docker.sock" --config-file "$WORK/$h/daemon.json" \
    --iptables=false --ip-masq=false --ip-forward=false --userland-proxy=false \
    --cgroup-parent "/${NS[$h]}" --shutdown-timeout 2 --log-level warn \
    "${extra[@]}" >>"$WORK/$h/dockerd.log" 2>&1 &
  DOCKERD_PID[$h]=$!
}
for h in "${HOSTS[@]}"; do start_dockerd "$h"; done
for h in "${HOSTS[@]}"; do
  wait_for 40 dk "$h" version || {
    tail -20 "$WORK/$h/dockerd.log" >&2
    die "dockerd on $h did not answer within 40 s"
  }
done
DOCKER_VERSION=$(dk A version --format '{{.Server.Version}}')
log "dockerd up on both hosts (server $DOCKER_VERSION, own containerd per host: $OWN_CONTAINERD)"

# ---------------------------------------------------------------------------- offline image
ROOTFS=$WORK/rootfs
mkdir -p "$ROOTFS"/{bin,etc,www,tmp,proc,sys,dev,root}
cp "$BUSYBOX" "$ROOTFS/bin/busybox"
for applet in $("$BUSYBOX" --list); do
  [[ $applet == busybox ]] || ln -s busybox "$ROOTFS/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$ROOTFS/etc/passwd"
printf 'root:x:0:\n' >"$ROOTFS/etc/group"
chmod 1777 "$ROOTFS/tmp"
for h in "${HOSTS[@]}"; do
  tar -C "$ROOTFS" -c . | dk "$h" import -c 'ENV PATH=/bin' - "$IMAGE" >/dev/null ||
    die "docker import on $h"
done

# ---------------------------------------------------------------------------- containers
for h in "${HOSTS[@]}"; do
  # (stderr to the log: "IPv4 forwarding is disabled" is expected, the hosts only bridge.)
  dk "$h" run -d --name web "$IMAGE" httpd -f -p 80 -h /www >/dev/null 2>>"$WORK/$h/docker-run.log" ||
    die "docker run web on $h: $(cat "$WORK/$h/docker-run.log")"
  dk "$h" run -d --name client "$IMAGE" sleep 3600 >/dev/null 2>>"$WORK/$h/docker-run.log" ||
    die "docker run client on $h: $(cat "$WORK/$h/docker-run.log")"
  SHA_WEB[$h]=$(dk "$h" exec web sh -c \
    "head -c $FILE_SIZE /dev/urandom >/www/file && sha256sum /www/file" | cut -d' ' -f1)
  [[ ${#SHA_WEB[$h]} -eq 64 ]] || die "could not write the test file in $h's web container"
  IP_WEB[$h]=$(dk "$h" inspect -f '{{.NetworkSettings.IPAddress}}' web)
  IP_CLIENT[$h]=$(dk "$h" inspect -f '{{.NetworkSettings.IPAddress}}' client)
done
log "containers: A web ${IP_WEB[A]} client ${IP_CLIENT[A]}; B web ${IP_WEB[B]} client ${IP_CLIENT[B]}"

in_cidr() { # in_cidr IP CIDR
  python3 -c 'import ipaddress, sys; sys.exit(0 if ipaddress.ip_address(sys.argv[1]) in ipaddress.ip_network(sys.argv[2]) else 1)' "$1" "$2" 2>/dev/null
}
container_mtu_is() { # container_mtu_is HOST NAME MTU
  [[ $(dk "$1" exec "$2" cat /sys/class/net/eth0/mtu) == "$3" ]]
}
ping_ok() { # ping_ok HOST CONTAINER IP: busybox ping inside the container, replies counted
  local out
  out=$(timeout 20 "$DOCKER_CLI" -H "unix://$WORK/$1/docker.sock" exec "$2" \
    ping -c 3 -W 2 -w 10 "$3" 2>&1) || {
    echo "  $(grep -E 'transmitted|rror' <<<"$out" || echo "no answer from ping: $out")"
    return 1
  }
  echo "  $(grep transmitted <<<"$out")"
}
fetch_ok() { # fetch_ok HOST IP SHA: the client fetches http://IP/file, checksum compared
  local got
  got=$(dk "$1" exec client sh -c "timeout 20 wget -q -O - http://$2/file | sha256sum" | cut -d' ' -f1)
  [[ $got == "$3" ]] || {
    echo "  sha256 got '$got', want '$3'"
    return 1
  }
}
netns_of() { echo "/proc/$(dk "$1" inspect -f '{{.State.Pid}}' "$2")/ns/net"; }
df_ping_ok() { # df_ping_ok HOST IP MTU: full-size ping with DF from the client's netns
  # Busybox ping cannot set DF, so iputils ping runs in the client container's network
  # namespace: the same eth0, MTU and routes as the container.
  local ns
  ns=$(netns_of "$1" client)
  nsenter --net="$ns" -- /usr/bin/ping -M "do" -s $(($3 - 28)) -c 3 -i 0.2 -w 10 "$2" >/dev/null ||
    return 1
  # One byte more must be refused locally: the size above is exactly the MTU.
  if nsenter --net="$ns" -- /usr/bin/ping -M "do" -s $(($3 - 27)) -c 1 -w 2 "$2" >/dev/null 2>&1; then
    echo "  a ping of $(($3 - 27)) bytes + headers passed: the container MTU exceeds $3"
    return 1
  fi
}

# ---------------------------------------------------------------------------- checks
for h in "${HOSTS[@]}"; do
  for c in web client; do
    ip=${IP_WEB[$h]}
    [[ $c == client ]] && ip=${IP_CLIENT[$h]}
    check "host $h: $c got $ip inside its fixed-cidr ${FIXED_CIDR[$h]}" in_cidr "$ip" "${FIXED_CIDR[$h]}"
  done
  check "host $h: Docker's --mtu ${MTU[$h]} is not above meshd's MTU ${MESH_MTU[$h]}" \
    test "${MTU[$h]}" -le "${MESH_MTU[$h]}"
  check "host $h: client eth0 MTU is Docker's --mtu ${MTU[$h]}" container_mtu_is "$h" client "${MTU[$h]}"
done
check "ping A client -> B web ${IP_WEB[B]}" ping_ok A client "${IP_WEB[B]}"
check "ping B client -> A web ${IP_WEB[A]}" ping_ok B client "${IP_WEB[A]}"
check "HTTP 1 MiB A client <- B web, sha256 equal" fetch_ok A "${IP_WEB[B]}" "${SHA_WEB[B]}"
check "HTTP 1 MiB B client <- A web, sha256 equal" fetch_ok B "${IP_WEB[A]}" "${SHA_WEB[A]}"
check "full-size DF ping A -> B (${MTU[A]}-byte packets, -M do -s $((MTU[A] - 28)))" \
  df_ping_ok A "${IP_WEB[B]}" "${MTU[A]}"
check "full-size DF ping B -> A (${MTU[B]}-byte packets, -M do -s $((MTU[B] - 28)))" \
  df_ping_ok B "${IP_WEB[A]}" "${MTU[B]}"

# meshd on B stops: nothing passes between the hosts.
peer_id_of() { status_json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["peer_id"])'; }
B_ID_BEFORE=$(peer_id_of B)
log "stopping meshd on B (pid ${MESHD_PID[B]})"
kill -TERM "${MESHD_PID[B]}"
meshd_b_gone() { ! kill -0 "${MESHD_PID[B]}" 2>/dev/null; }
if wait_for 10 meshd_b_gone; then
  wait "${MESHD_PID[B]}" 2>/dev/null || true
  pass "meshd on B exited on SIGTERM"
else
  fail "meshd on B still running 10 s after SIGTERM"
fi
no_traffic() { ! timeout 15 "$DOCKER_CLI" -H "unix://$WORK/A/docker.sock" exec client \
  ping -c 3 -W 1 -w 4 "${IP_WEB[B]}" >/dev/null 2>&1; }
check "with meshd on B stopped, ping A client -> B web fails" no_traffic

# meshd on B comes back with the same state directory: traffic resumes.
start_meshd B
T_RESTART_B=$(date +%s%N)
t0=$SECONDS
resumed() { timeout 5 "$DOCKER_CLI" -H "unix://$WORK/A/docker.sock" exec client \
  ping -c 1 -W 2 -w 2 "${IP_WEB[B]}" >/dev/null 2>&1; }
if wait_for 20 resumed; then
  pass "meshd on B restarted: ping A -> B resumed after $((SECONDS - t0)) s (limit 20 s)"
else
  fail "meshd on B restarted: ping A -> B did not resume within 20 s"
fi
check "after the restart, ping B client -> A web" ping_ok B client "${IP_WEB[A]}"
B_ID_AFTER=$(peer_id_of B 2>/dev/null || true)
check "meshd on B kept its identity across the restart (peer id $B_ID_BEFORE)" \
  test "$B_ID_AFTER" == "$B_ID_BEFORE"

# Host exposure (meshd expose/hide), when this meshd has it.
if grep -Eq '^[[:space:]]+expose([[:space:]]|$)' <<<"$MAIN_HELP"; then
  # shellcheck source=scripts/docker-e2e-exposure.sh
  source "$(dirname "$(readlink -f "$0")")/docker-e2e-exposure.sh"
fi

if ((DISCOVERY)); then
  # shellcheck source=scripts/docker-e2e-discovery.sh
  source "$(dirname "$(readlink -f "$0")")/docker-e2e-discovery.sh"
fi

printf 'docker server version: %s\n' "$DOCKER_VERSION"
printf 'containerd: %s\n' "$(containerd --version | awk '{print $3}')"
((FAILED == 0))
