#!/usr/bin/env bash
# bench/run.sh — meshd against bare veth, a plain socat TAP relay, wireguard-go and tinc, in
# one run, as ratios; and meshd relaying through a third host against meshd direct.
#
# Two network namespaces (mshbna, mshbnb) joined by a veth pair are the two hosts. For each
# round, and within it each system in turn (interleaved: round 1 veth, socat, meshd, relay,
# wggo, tinc; round 2 the same …), the script brings the system's tunnel up, measures, and
# takes it down:
#   - idle ping RTT (PINGS pings at 10 ms intervals: average and median);
#   - iperf3 TCP, one stream and four streams (-P 4), Mbit/s received;
#   - ping RTT under load: a ping every 50 ms while the one-stream TCP test runs (median and
#     90th percentile);
#   - iperf3 UDP with 64-byte payloads, packets per second received (server side) and loss;
#   - CPU seconds per GB of the tunnel daemons on both hosts during the one-stream TCP test
#     (utime + stime from /proc/PID/stat);
#   - handshake time: meshd from starting the second daemon, wireguard-go from `wg set` of the
#     peer, to the first ping answered.
# `socat` is two socat processes copying frames between a TAP and a UDP socket, no crypto:
# the floor of a user-space TAP tunnel's idle round trip. `relay` is three more namespaces
# (mshbnra, mshbnrm, mshbnrb): the two ends each have a veth to the middle one only, which does
# no IP forwarding, so meshd on the middle host relays; it measures the idle and loaded pings
# and one TCP stream (against `meshd`, the same pair direct, in the same round).
# `meshd-base` and `relay-base` are the same with the binary MESHD_BASE (an older build), so
# that a change is measured before and after in one run.
# It then prints each system's median per metric and meshd's per-round ratios to each peer,
# and writes the same as Markdown to bench/out/latest.md (raw samples beside it).
#
# Usage: bench/run.sh [--rounds N] [--seconds T]
#                     [--systems "veth socat meshd relay wggo tinc tinc-aes meshd-base relay-base"]
#                     [--udp-rate RATE] [--pings N]
# Environment: MESHD=path to a meshd binary (otherwise built here, release); MESHD_BASE=path
# to the binary of meshd-base and relay-base; MESHD_ARGS=extra flags for every `meshd up`
# (e.g. "--busy-poll-us 0" or "--no-offloads"), to see what each setting is worth.
# Needs root. Installs iperf3, iputils-ping, socat, wireguard-go, wireguard-tools, tinc and
# python3 with apt when missing. Touches nothing outside the namespaces it creates: addresses
# are 192.0.2.0/24, 198.51.100.0/24 and 203.0.113.0/24 (underlays) and 10.47.0.0/16
# (overlays), all inside them.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROUNDS=3
DURATION=5
SYSTEMS="veth socat meshd relay wggo tinc"
UDP_RATE=0
PINGS=50
OUT_DIR=$ROOT/bench/out

NS_A=mshbna
NS_B=mshbnb
UNDERLAY_A=192.0.2.1
UNDERLAY_B=192.0.2.2
# The relay's three hosts: end A and the middle on 198.51.100.0/24, the middle and end B on
# 203.0.113.0/24; A and B have no route to each other's segment.
NS_RA=mshbnra
NS_RM=mshbnrm
NS_RB=mshbnrb
RELAY_A=198.51.100.1
RELAY_MA=198.51.100.2
RELAY_MB=203.0.113.2
RELAY_B=203.0.113.1
MESHD_PORT=6786
SOCAT_PORT=6790
WG_PORT=51820
IPERF_PORT=5201

WORK=""
RESULTS=""
KEEP_WORK=0
# Every process this script started, by PID; cleanup stops these and nothing else.
STARTED_PIDS=()
# Set by each system's `up` function: where to ping, whose CPU to count, handshake time, and
# the namespaces of the client (pings, iperf3 -c) and the server (iperf3 -s).
DST=""
SRC_NS=$NS_A
DST_NS=$NS_B
DAEMON_PIDS=()
HANDSHAKE_MS=""

# ---------------------------------------------------------------------------------------------
# Helpers

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
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
      --systems) SYSTEMS=$2; shift 2 ;;
      --udp-rate) UDP_RATE=$2; shift 2 ;;
      --pings) PINGS=$2; shift 2 ;;
      -h|--help) usage 0 ;;
      *) log "unknown option $1"; usage 2 ;;
    esac
  done
  [[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "--rounds must be a positive integer"
  [[ $DURATION =~ ^[1-9][0-9]*$ ]] || die "--seconds must be a positive integer"
  local s
  for s in $SYSTEMS; do
    case $s in
      veth|socat|meshd|relay|wggo|tinc|tinc-aes) ;;
      meshd-base|relay-base) [[ -x ${MESHD_BASE:-} ]] || die "$s needs MESHD_BASE=a meshd binary" ;;
      *) die "unknown system $s" ;;
    esac
  done
}

# first_ping NS DST SECONDS: pings every 10 ms until the first answer (or SECONDS pass). Each
# ping run lasts at most a second; a new one starts at once when the last one gave up, which it
# does immediately while there is no route yet (a tunnel device still coming up).
first_ping() {
  local limit=$(($(now_ms) + $3 * 1000))
  until in_ns "$1" ping -q -n -c 1 -i 0.01 -w 1 "$2" >/dev/null 2>&1; do
    (($(now_ms) < limit)) || return 1
    sleep 0.01
  done
}

# record ROUND SYSTEM METRIC VALUE: one sample into the results file.
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$RESULTS"; }

# ---------------------------------------------------------------------------------------------
# Set-up and clean-up

install_deps() {
  local -A pkg_of=([iperf3]=iperf3 [ping]=iputils-ping [wireguard-go]=wireguard-go
    [wg]=wireguard-tools [tincd]=tinc [python3]=python3 [socat]=socat)
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

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  ((${#STARTED_PIDS[@]})) && stop_pid "${STARTED_PIDS[@]}"
  local ns
  for ns in "$NS_A" "$NS_B" "$NS_RA" "$NS_RM" "$NS_RB"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -f /var/run/wireguard/mshbnwga.sock /var/run/wireguard/mshbnwgb.sock
  if [[ -n $WORK && -d $WORK ]]; then
    if ((rc != 0 || KEEP_WORK)); then
      log "logs kept in $WORK"
    else
      rm -rf "$WORK"
    fi
  fi
  exit "$rc"
}

# Two namespaces and a veth pair between them, created inside the namespaces themselves so
# that the host's namespace never holds any of it.
setup_underlay() {
  ip netns del "$NS_A" 2>/dev/null || true
  ip netns del "$NS_B" 2>/dev/null || true
  ip netns add "$NS_A"
  ip netns add "$NS_B"
  ip -n "$NS_A" link add mshbnva type veth peer name mshbnvb netns "$NS_B"
  ip -n "$NS_A" addr add "$UNDERLAY_A/24" dev mshbnva
  ip -n "$NS_B" addr add "$UNDERLAY_B/24" dev mshbnvb
  local ns
  for ns in "$NS_A" "$NS_B"; do ip -n "$ns" link set lo up; done
  ip -n "$NS_A" link set mshbnva up
  ip -n "$NS_B" link set mshbnvb up
  first_ping "$NS_A" "$UNDERLAY_B" 5 || die "the veth underlay does not answer pings"
}

# The relay's three hosts: A ── M ── B, two veth pairs, no forwarding on M (a fresh namespace
# has ip_forward=0), and no route between A's and B's segments.
setup_relay_underlay() {
  local ns
  for ns in "$NS_RA" "$NS_RM" "$NS_RB"; do
    ip netns del "$ns" 2>/dev/null || true
    ip netns add "$ns"
    ip -n "$ns" link set lo up
  done
  ip -n "$NS_RA" link add mshbnram type veth peer name mshbnrma netns "$NS_RM"
  ip -n "$NS_RB" link add mshbnrbm type veth peer name mshbnrmb netns "$NS_RM"
  ip -n "$NS_RA" addr add "$RELAY_A/24" dev mshbnram
  ip -n "$NS_RM" addr add "$RELAY_MA/24" dev mshbnrma
  ip -n "$NS_RM" addr add "$RELAY_MB/24" dev mshbnrmb
  ip -n "$NS_RB" addr add "$RELAY_B/24" dev mshbnrbm
  ip -n "$NS_RA" link set mshbnram up
  ip -n "$NS_RM" link set mshbnrma up
  ip -n "$NS_RM" link set mshbnrmb up
  ip -n "$NS_RB" link set mshbnrbm up
  [[ $(in_ns "$NS_RM" sysctl -n net.ipv4.ip_forward) == 0 ]] || die "the middle host forwards IP"
  first_ping "$NS_RA" "$RELAY_MA" 5 || die "the relay's first segment does not answer pings"
  first_ping "$NS_RB" "$RELAY_MB" 5 || die "the relay's second segment does not answer pings"
  ! in_ns "$NS_RA" ping -q -n -c 1 -w 1 "$RELAY_B" >/dev/null 2>&1 || die "A reaches B's segment"
}

# ---------------------------------------------------------------------------------------------
# Systems. Each `up_X ROUND` sets DST, DAEMON_PIDS and HANDSHAKE_MS (or fails); `down_X` stops
# what `up_X` started. Overlay subnets differ per system: 10.47.1/24 meshd, 10.47.2/24
# wireguard-go, 10.47.3/24 tinc, 10.47.4/24 tinc-aes.

up_veth() { DST=$UNDERLAY_B; DAEMON_PIDS=(); HANDSHAKE_MS=""; }
down_veth() { :; }

SOCAT_A=""
SOCAT_B=""

# A plain user-space TAP-to-UDP relay on each host, no crypto, no batching: each socat copies
# one frame per read(2) from its TAP into one datagram to the other host, and back. The TAP's
# MTU leaves room for the outer IP and UDP headers, so that no datagram is fragmented.
up_socat() {
  local dir=$WORK/socat-r$1 side ns own other n
  mkdir -p "$dir"
  for side in a b; do
    if [[ $side == a ]]; then ns=$NS_A own=$UNDERLAY_A other=$UNDERLAY_B n=1
    else ns=$NS_B own=$UNDERLAY_B other=$UNDERLAY_A n=2; fi
    start_bg "SOCAT_${side^^}" "$dir/socat-$side.log" "$ns" socat -b 65536 \
      "TUN:10.47.6.$n/24,tun-type=tap,tun-name=mshbnsoc$side,iff-no-pi,iff-up" \
      "UDP-DATAGRAM:$other:$SOCAT_PORT,bind=$own:$SOCAT_PORT"
  done
  wait_for 10 in_ns "$NS_A" test -d /sys/class/net/mshbnsoca || return 1
  wait_for 10 in_ns "$NS_B" test -d /sys/class/net/mshbnsocb || return 1
  in_ns "$NS_A" ip link set mshbnsoca mtu 1400
  in_ns "$NS_B" ip link set mshbnsocb mtu 1400
  in_ns "$NS_A" ip neigh replace 10.47.6.2 lladdr "$(mac_of "$NS_B" mshbnsocb)" dev mshbnsoca
  in_ns "$NS_B" ip neigh replace 10.47.6.1 lladdr "$(mac_of "$NS_A" mshbnsoca)" dev mshbnsocb
  first_ping "$NS_A" 10.47.6.2 10 || return 1
  DST=10.47.6.2
  DAEMON_PIDS=("$SOCAT_A" "$SOCAT_B")
  HANDSHAKE_MS=""
}

down_socat() { stop_pid "$SOCAT_A" "$SOCAT_B"; }

MESHD_A=""
MESHD_B=""
MESHD_M=""

# meshd_expose BIN: `--expose` when the binary has it (hosts are hidden from the mesh by
# default since it has, and iperf3 connects to the host's own bridge address); nothing for an
# older binary. The help text is read whole first: `| grep -q` would cut it short (SIGPIPE).
meshd_expose() {
  local help
  help=$("$1" up --help 2>&1) || true
  [[ $help == *--expose* ]] && echo --expose
  return 0
}

# meshd_up VAR LOG NS BIN DIR SIDE LISTEN [ARGS...]: starts one meshd host on bridge mshbnbr.
meshd_up() {
  local var=$1 logfile=$2 ns=$3 bin=$4 dir=$5 side=$6 listen=$7
  shift 7
  # shellcheck disable=SC2086,SC2046 # MESHD_ARGS is a list of flags; the flag is one word
  start_bg "$var" "$logfile" "$ns" "$bin" up --bridge mshbnbr --tap mshbntap \
    --secret-file "$WORK/meshd.secret" --listen "$listen" \
    --state-dir "$dir/state-$side" --socket "$dir/$side.sock" --nickname "bench-$side" \
    $(meshd_expose "$bin") "$@" ${MESHD_ARGS:-}
}

# meshd_bridges BIN SUBNET NS_A NS_B [NS_M]: bridges with .1 (A), .2 (B), .3 (M), and static
# neighbours between A and B, so that the handshake time and the RTT do not include ARP.
meshd_bridges() {
  local bin=$1 subnet=$2 a=$3 b=$4 m=${5:-}
  in_ns "$a" "$bin" create-bridge --bridge mshbnbr --address "10.47.$subnet.1/24" >/dev/null
  in_ns "$b" "$bin" create-bridge --bridge mshbnbr --address "10.47.$subnet.2/24" >/dev/null
  [[ -z $m ]] || in_ns "$m" "$bin" create-bridge --bridge mshbnbr --address "10.47.$subnet.3/24" >/dev/null
  in_ns "$a" ip neigh replace "10.47.$subnet.2" lladdr "$(mac_of "$b" mshbnbr)" dev mshbnbr
  in_ns "$b" ip neigh replace "10.47.$subnet.1" lladdr "$(mac_of "$a" mshbnbr)" dev mshbnbr
}

# up_meshd_direct NAME BIN ROUND: meshd on the two-host pair, overlay 10.47.1.0/24.
up_meshd_direct() {
  local name=$1 bin=$2 dir=$WORK/$1-r$3
  mkdir -p "$dir"
  [[ -f $WORK/meshd.secret ]] || (umask 077 && "$bin" gen-secret >"$WORK/meshd.secret")
  meshd_bridges "$bin" 1 "$NS_A" "$NS_B"
  meshd_up MESHD_B "$dir/meshd-b.log" "$NS_B" "$bin" "$dir" b "$UNDERLAY_B:$MESHD_PORT"
  wait_for 20 "$bin" status --socket "$dir/b.sock" || { cat "$dir/meshd-b.log" >&2; return 1; }
  local t0
  t0=$(now_ms)
  meshd_up MESHD_A "$dir/meshd-a.log" "$NS_A" "$bin" "$dir" a "$UNDERLAY_A:$MESHD_PORT" \
    --peer "$UNDERLAY_B:$MESHD_PORT"
  first_ping "$NS_A" 10.47.1.2 20 || { cat "$dir/meshd-a.log" >&2; return 1; }
  HANDSHAKE_MS=$(($(now_ms) - t0))
  wait_for 10 meshd_established "$bin" "$dir/a.sock" || { log "meshd: status never established"; return 1; }
  DST=10.47.1.2
  DAEMON_PIDS=("$MESHD_A" "$MESHD_B")
}

# up_meshd_relay NAME BIN ROUND: meshd on the three relay hosts, overlay 10.47.5.0/24. The
# ends listen on their own address and know only the middle host, which listens on every
# address; A learns of B through the middle's gossip, cannot reach B's endpoint, and routes
# to B through the middle. The handshake time is until the first ping relayed.
up_meshd_relay() {
  local name=$1 bin=$2 dir=$WORK/$1-r$3
  mkdir -p "$dir"
  [[ -f $WORK/meshd.secret ]] || (umask 077 && "$bin" gen-secret >"$WORK/meshd.secret")
  meshd_bridges "$bin" 5 "$NS_RA" "$NS_RB" "$NS_RM"
  meshd_up MESHD_M "$dir/meshd-m.log" "$NS_RM" "$bin" "$dir" m "0.0.0.0:$MESHD_PORT"
  wait_for 20 "$bin" status --socket "$dir/m.sock" || { cat "$dir/meshd-m.log" >&2; return 1; }
  local t0
  t0=$(now_ms)
  meshd_up MESHD_B "$dir/meshd-b.log" "$NS_RB" "$bin" "$dir" b "$RELAY_B:$MESHD_PORT" \
    --peer "$RELAY_MB:$MESHD_PORT"
  meshd_up MESHD_A "$dir/meshd-a.log" "$NS_RA" "$bin" "$dir" a "$RELAY_A:$MESHD_PORT" \
    --peer "$RELAY_MA:$MESHD_PORT"
  first_ping "$NS_RA" 10.47.5.2 40 || { cat "$dir/meshd-a.log" >&2; return 1; }
  HANDSHAKE_MS=$(($(now_ms) - t0))
  wait_for 10 meshd_relayed "$bin" "$dir/a.sock" || { log "$name: A's route to B is not relayed"; return 1; }
  DST=10.47.5.2
  SRC_NS=$NS_RA
  DST_NS=$NS_RB
  DAEMON_PIDS=("$MESHD_A" "$MESHD_M" "$MESHD_B")
}

# meshd_established BIN SOCKET: the status lists a peer whose state is established.
meshd_established() {
  "$1" status --json --socket "$2" | grep -q '"state" *: *"established"'
}

# meshd_relayed BIN SOCKET: the status has a relayed route (A's to B through the middle).
meshd_relayed() {
  "$1" status --json --socket "$2" | grep -q '"connection" *: *"relayed"'
}

# down_meshd_hosts NAME ROUND BIN SIDES...: keeps each host's final status (bytes, drops by
# reason) next to the logs, and stops the daemons.
down_meshd_hosts() {
  local dir=$WORK/$1-r$2 bin=$3 side
  shift 3
  for side in "$@"; do
    "$bin" status --socket "$dir/$side.sock" >"$dir/status-$side.txt" 2>&1 || true
  done
  stop_pid "$MESHD_A" "$MESHD_B" ${MESHD_M:+"$MESHD_M"}
  MESHD_M=""
}

up_meshd() { up_meshd_direct meshd "$MESHD" "$1"; }
down_meshd() { down_meshd_hosts meshd "$1" "$MESHD" a b; }
up_meshd-base() { up_meshd_direct meshd-base "$MESHD_BASE" "$1"; }
down_meshd-base() { down_meshd_hosts meshd-base "$1" "$MESHD_BASE" a b; }
up_relay() { up_meshd_relay relay "$MESHD" "$1"; }
down_relay() { down_meshd_hosts relay "$1" "$MESHD" a m b; }
up_relay-base() { up_meshd_relay relay-base "$MESHD_BASE" "$1"; }
down_relay-base() { down_meshd_hosts relay-base "$1" "$MESHD_BASE" a m b; }

WG_A=""
WG_B=""

up_wggo() {
  local dir=$WORK/wggo-r$1 side
  mkdir -p "$dir"
  for side in a b; do
    if [[ ! -f $WORK/wg-$side.key ]]; then
      (umask 077 && wg genkey >"$WORK/wg-$side.key")
      wg pubkey <"$WORK/wg-$side.key" >"$WORK/wg-$side.pub"
    fi
  done
  rm -f /var/run/wireguard/mshbnwga.sock /var/run/wireguard/mshbnwgb.sock
  start_bg WG_A "$dir/wg-a.log" "$NS_A" env WG_PROCESS_FOREGROUND=1 wireguard-go -f mshbnwga
  start_bg WG_B "$dir/wg-b.log" "$NS_B" env WG_PROCESS_FOREGROUND=1 wireguard-go -f mshbnwgb
  wait_for 10 test -S /var/run/wireguard/mshbnwga.sock || return 1
  wait_for 10 test -S /var/run/wireguard/mshbnwgb.sock || return 1
  in_ns "$NS_B" wg set mshbnwgb private-key "$WORK/wg-b.key" listen-port "$WG_PORT" \
    peer "$(cat "$WORK/wg-a.pub")" allowed-ips 10.47.2.1/32
  in_ns "$NS_A" wg set mshbnwga private-key "$WORK/wg-a.key" listen-port "$WG_PORT"
  in_ns "$NS_A" ip addr add 10.47.2.1/24 dev mshbnwga
  in_ns "$NS_B" ip addr add 10.47.2.2/24 dev mshbnwgb
  in_ns "$NS_A" ip link set mshbnwga up
  in_ns "$NS_B" ip link set mshbnwgb up
  local t0
  t0=$(now_ms)
  in_ns "$NS_A" wg set mshbnwga peer "$(cat "$WORK/wg-b.pub")" \
    endpoint "$UNDERLAY_B:$WG_PORT" allowed-ips 10.47.2.2/32
  first_ping "$NS_A" 10.47.2.2 20 || return 1
  HANDSHAKE_MS=$(($(now_ms) - t0))
  DST=10.47.2.2
  DAEMON_PIDS=("$WG_A" "$WG_B")
}

down_wggo() { stop_pid "$WG_A" "$WG_B"; }

TINC_A=""
TINC_B=""

# tinc_config VARIANT: configuration and keys for both hosts, made once per variant.
tinc_config() {
  local variant=$1 subnet=$2 side other n d
  for side in a b; do
    d=$WORK/$variant-$side
    [[ -f $d/tinc.conf ]] && continue
    other=$([[ $side == a ]] && echo b || echo a)
    n=$([[ $side == a ]] && echo 1 || echo 2)
    mkdir -p "$d/hosts"
    printf 'Name = %s\nMode = switch\nDeviceType = tap\nInterface = mshbntinc%s\n' \
      "$side" "$side" >"$d/tinc.conf"
    printf 'AddressFamily = ipv4\nBindToAddress = 192.0.2.%s\nConnectTo = %s\n' \
      "$n" "$other" >>"$d/tinc.conf"
    printf 'Address = 192.0.2.%s\n' "$n" >"$d/hosts/$side"
    if [[ $variant == tinc-aes ]]; then
      printf 'Cipher = aes-256-cbc\nDigest = sha256\n' | tee -a "$d/tinc.conf" >>"$d/hosts/$side"
    fi
    # shellcheck disable=SC2016 # $INTERFACE is for tinc-up to expand, not us
    printf '#!/bin/sh\nip addr add 10.47.%s.%s/24 dev "$INTERFACE"\nip link set "$INTERFACE" up\n' \
      "$subnet" "$n" >"$d/tinc-up"
    chmod +x "$d/tinc-up"
    tincd -c "$d" -K2048 </dev/null >"$d/keygen.log" 2>&1
  done
  cp "$WORK/$variant-a/hosts/a" "$WORK/$variant-b/hosts/a"
  cp "$WORK/$variant-b/hosts/b" "$WORK/$variant-a/hosts/b"
}

# up_tinc_variant VARIANT SUBNET ROUND: tinc in switch mode (its L2 mode, like meshd).
up_tinc_variant() {
  local variant=$1 subnet=$2 dir=$WORK/$1-r$3
  mkdir -p "$dir"
  tinc_config "$variant" "$subnet"
  start_bg TINC_B "$dir/tinc-b.log" "$NS_B" tincd -D -c "$WORK/$variant-b" \
    --pidfile="$dir/b.pid" --logfile="$dir/tincd-b.log"
  start_bg TINC_A "$dir/tinc-a.log" "$NS_A" tincd -D -c "$WORK/$variant-a" \
    --pidfile="$dir/a.pid" --logfile="$dir/tincd-a.log"
  first_ping "$NS_A" "10.47.$subnet.2" 30 || return 1
  DST=10.47.$subnet.2
  DAEMON_PIDS=("$TINC_A" "$TINC_B")
  HANDSHAKE_MS=""
}

up_tinc() { up_tinc_variant tinc 3 "$1"; }
up_tinc-aes() { up_tinc_variant tinc-aes 4 "$1"; }
down_tinc() { stop_pid "$TINC_A" "$TINC_B"; }
down_tinc-aes() { down_tinc; }

# ---------------------------------------------------------------------------------------------
# Measurements

IPERF_SERVER=""
PING_LOAD=""

# iperf_client OUTFILE ARGS...: one bounded iperf3 run from the client to DST, JSON into OUTFILE.
iperf_client() {
  local outfile=$1; shift
  timeout $((DURATION + 30)) ip netns exec "$SRC_NS" \
    iperf3 -c "$DST" -p "$IPERF_PORT" -t "$DURATION" -J "$@" >"$outfile" 2>&1
}

# json_value FILE PYTHON-EXPRESSION: evaluates an expression over the parsed JSON `d`.
json_value() {
  python3 - "$1" "$2" <<'EOF2'
import json, sys
d = json.load(open(sys.argv[1]))
if "error" in d:
    sys.exit("iperf3: " + d["error"])
print(eval(sys.argv[2]))
EOF2
}

# ping_stats FILE: "count median p90" of the round trips in ping's per-reply lines (`time=X ms`);
# the 90th percentile is the nearest rank. Prints nothing when no reply came.
ping_stats() {
  python3 - "$1" <<'EOF2'
import math, re, sys
times = sorted(float(m.group(1)) for m in re.finditer(r"time=([0-9.]+) ms", open(sys.argv[1]).read()))
if times:
    n = len(times)
    median = (times[(n - 1) // 2] + times[n // 2]) / 2
    print(n, round(median, 4), times[max(0, math.ceil(0.9 * n) - 1)])
EOF2
}

# measure ROUND SYSTEM: every metric for the system that is up now (the relay rows: the pings
# and one TCP stream only).
measure() {
  local round=$1 sys=$2 dir=$WORK/$2-r$1 line stats
  mkdir -p "$dir"
  [[ -n $HANDSHAKE_MS ]] && record "$round" "$sys" handshake_ms "$HANDSHAKE_MS"

  in_ns "$SRC_NS" ping -n -c "$PINGS" -i 0.01 -w 20 "$DST" >"$dir/ping-idle.txt" ||
    { log "$sys: ping failed"; return 1; }
  line=$(grep -E '^(rtt|round-trip)' "$dir/ping-idle.txt") || { log "$sys: ping failed"; return 1; }
  record "$round" "$sys" rtt_ms "$(echo "$line" | awk -F'/' '{print $5}')"
  stats=$(ping_stats "$dir/ping-idle.txt")
  [[ -n $stats ]] && record "$round" "$sys" rtt_p50_ms "$(echo "$stats" | cut -d' ' -f2)"

  start_bg IPERF_SERVER "$dir/iperf-server.log" "$DST_NS" iperf3 -s -p "$IPERF_PORT"
  wait_for 5 in_ns "$SRC_NS" bash -c "exec 3<>/dev/tcp/$DST/$IPERF_PORT" || {
    log "$sys: iperf3 server not reachable"; stop_pid "$IPERF_SERVER"; return 1; }

  # One TCP stream, with the daemons' CPU time around it, and a ping every 50 ms during it:
  # from half a second in (the stream has ramped up) to half a second before its end.
  local ticks0 ticks1 bytes hz load_pings=$(( (DURATION - 1) * 20 ))
  hz=$(getconf CLK_TCK)
  ticks0=$(cpu_ticks "${DAEMON_PIDS[@]}")
  start_bg PING_LOAD "$dir/ping-load.txt" "$SRC_NS" \
    bash -c "sleep 0.5; exec ping -n -c $load_pings -i 0.05 -w $((DURATION + 5)) $DST"
  if iperf_client "$dir/tcp1.json"; then
    ticks1=$(cpu_ticks "${DAEMON_PIDS[@]}")
    record "$round" "$sys" tcp1_mbps \
      "$(json_value "$dir/tcp1.json" 'round(d["end"]["sum_received"]["bits_per_second"] / 1e6, 1)')"
    if ((${#DAEMON_PIDS[@]})); then
      bytes=$(json_value "$dir/tcp1.json" 'd["end"]["sum_received"]["bytes"]')
      record "$round" "$sys" cpu_s_per_gb \
        "$(python3 -c "print(round(($ticks1 - $ticks0) / $hz / ($bytes / 1e9), 3))")"
    fi
  else
    log "$sys: TCP one stream failed: $(tail -c 300 "$dir/tcp1.json")"
  fi
  wait "$PING_LOAD" 2>/dev/null || true
  stats=$(ping_stats "$dir/ping-load.txt")
  if [[ -n $stats ]]; then
    record "$round" "$sys" load_p50_ms "$(echo "$stats" | cut -d' ' -f2)"
    record "$round" "$sys" load_p90_ms "$(echo "$stats" | cut -d' ' -f3)"
    record "$round" "$sys" load_pings "$(echo "$stats" | cut -d' ' -f1)"
  else
    log "$sys: no ping answered during the TCP stream"
  fi

  if [[ $sys == relay* ]]; then
    stop_pid "$IPERF_SERVER"
    return 0
  fi

  if iperf_client "$dir/tcp4.json" -P 4; then
    record "$round" "$sys" tcp4_mbps \
      "$(json_value "$dir/tcp4.json" 'round(d["end"]["sum_received"]["bits_per_second"] / 1e6, 1)')"
  else
    log "$sys: TCP four streams failed: $(tail -c 300 "$dir/tcp4.json")"
  fi

  # 64-byte UDP: what the receiver got, from the server's own report.
  if iperf_client "$dir/udp64.json" -u -l 64 -b "$UDP_RATE"; then
    local s='d["end"]["sum_received"]'
    record "$round" "$sys" udp64_pps \
      "$(json_value "$dir/udp64.json" "round((${s}['packets'] - ${s}['lost_packets']) / ${s}['seconds'])")"
    record "$round" "$sys" udp64_loss_pct \
      "$(json_value "$dir/udp64.json" "round(${s}['lost_percent'], 2)")"
  else
    log "$sys: UDP 64 B failed: $(tail -c 300 "$dir/udp64.json")"
  fi
  stop_pid "$IPERF_SERVER"
}

# ---------------------------------------------------------------------------------------------
# Report

summarize() {
  local stamp=$1
  mkdir -p "$OUT_DIR"
  cp "$RESULTS" "$OUT_DIR/results-$stamp.tsv"
  python3 "$ROOT/bench/summarize.py" "$RESULTS" \
    --title "meshd macro benchmark, $stamp" \
    --context "$(context_line)" \
    --markdown "$OUT_DIR/latest.md"
}

context_line() {
  local commit
  commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
  printf 'commit %s; %s rounds x %s s per iperf3 run; UDP rate %s; %s cores; load %s; kernel %s' \
    "$commit" "$ROUNDS" "$DURATION" "$([[ $UDP_RATE == 0 ]] && echo unlimited || echo "$UDP_RATE")" \
    "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(uname -r)"
}

main() {
  parse_args "$@"
  ((EUID == 0)) || die "run as root (network namespaces)"
  WORK=$(mktemp -d /tmp/mshbn.XXXXXX)
  RESULTS=$WORK/results.tsv
  : >"$RESULTS"
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  install_deps
  [[ " $SYSTEMS " =~ " "(meshd|relay)" " ]] && build_meshd
  setup_underlay
  [[ " $SYSTEMS " =~ " relay"(-base)?" " ]] && setup_relay_underlay
  local round sys stamp
  stamp=$(date +%Y%m%d-%H%M%S)
  for round in $(seq 1 "$ROUNDS"); do
    for sys in $SYSTEMS; do
      log "round $round/$ROUNDS: $sys"
      SRC_NS=$NS_A
      DST_NS=$NS_B
      if "up_$sys" "$round"; then
        measure "$round" "$sys" || log "$sys: measurement incomplete in round $round"
      else
        log "$sys: did not come up in round $round (logs: $WORK/$sys-r$round)"
        KEEP_WORK=1
      fi
      "down_$sys" "$round"
    done
  done
  summarize "$stamp"
}

main "$@"
