#!/usr/bin/env bash
# bench/legs.sh — where a ping's round trip goes while one TCP stream runs through meshd.
#
# Two namespaces (mshbla, mshblb) joined by a veth, a meshd on each, one iperf3 TCP stream
# A→B, and a ping (200-byte payload) every 50 ms. tcpdump on both TAPs and both veths
# timestamps each ping on the way, and the script prints the median and 90th percentile of
# each leg:
#   A tap→veth   A's kernel hands the request to the TAP … A's daemon sends its datagram
#   veth→B tap   the datagram reaches B … B's daemon writes the request to B's TAP
#   B tap→veth   B's kernel answers … B's daemon sends the reply's datagram
#   veth→A tap   … A's daemon writes the reply to A's TAP
# and the stream's rate, TCP retransmissions and B's UDP receive-buffer drops. tcpdump's own
# cost adds a little to every leg; compare binaries in one sitting, not across days.
#
# Usage: bench/legs.sh [--seconds T] MESHD_BINARY
# Needs root, iperf3, tcpdump, python3. Addresses 192.0.2.0/24 and 10.47.1.0/24 exist only
# inside the two namespaces, which are deleted on exit, failure included.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SECONDS_LOAD=10
NS_A=mshbla
NS_B=mshblb
STARTED_PIDS=()
KEEP_WORK=0
WORK=""

log() { printf '[legs %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
# die, in_ns, start_bg, stop_pid, mesh_pair
source "$ROOT/bench/lib.sh"

while (($#)); do
  case $1 in
    --seconds) SECONDS_LOAD=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) break ;;
  esac
done
(($# == 1)) || die "usage: bench/legs.sh [--seconds T] MESHD_BINARY"
BIN=$1
[[ -x $BIN ]] || die "$BIN is not executable"
[[ $SECONDS_LOAD =~ ^[1-9][0-9]*$ ]] && ((SECONDS_LOAD >= 4)) || die "--seconds must be 4 or more"
for cmd in iperf3 tcpdump python3; do command -v "$cmd" >/dev/null || die "needs $cmd"; done

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  ((${#STARTED_PIDS[@]})) && stop_pid "${STARTED_PIDS[@]}"
  ip netns del "$NS_A" 2>/dev/null || true
  ip netns del "$NS_B" 2>/dev/null || true
  if [[ -n $WORK ]]; then
    if ((rc != 0 || KEEP_WORK)); then log "logs kept in $WORK"; else rm -rf "$WORK"; fi
  fi
  exit "$rc"
}
trap cleanup EXIT INT TERM
WORK=$(mktemp -d /tmp/mshbl.XXXXXX)

mesh_pair mshbl legs "$BIN"

start_bg IPERF_S "$WORK/iperf3-s.log" "$NS_B" iperf3 -s -1
capture() { # capture NS DEV DIRECTION FILTER FILE
  start_bg CAPTURE_PID "$WORK/$5" "$1" tcpdump -i "$2" -n -tt -l -Q "$3" "$4"
}
capture "$NS_A" mshbltap out icmp a-tap-out.txt
capture "$NS_A" mshbltap in icmp a-tap-in.txt
capture "$NS_B" mshbltap in icmp b-tap-in.txt
capture "$NS_B" mshbltap out icmp b-tap-out.txt
# The ping's datagram alone has this size: bulk datagrams are larger, acknowledgements smaller.
capture "$NS_A" mshblva out 'udp and greater 250 and less 330' a-veth.txt
capture "$NS_B" mshblvb out 'udp and greater 250 and less 330' b-veth.txt
sleep 1
in_ns "$NS_A" nstat -n >/dev/null
in_ns "$NS_B" nstat -n >/dev/null
in_ns "$NS_A" iperf3 -c 10.47.1.2 -t "$SECONDS_LOAD" -f m >"$WORK/iperf3-c.log" 2>&1 &
IPERF_C=$!
STARTED_PIDS+=("$IPERF_C")
sleep 1
in_ns "$NS_A" ping -s 200 -n -i 0.05 -c $(((SECONDS_LOAD - 2) * 20)) 10.47.1.2 >"$WORK/ping.txt" 2>&1 || true
wait "$IPERF_C" || die "iperf3 failed: $(tail -n 3 "$WORK/iperf3-c.log")"
sleep 0.5
retrans=$(in_ns "$NS_A" nstat -a TcpRetransSegs | awk '/TcpRetransSegs/ {print $2}')
drops=$(in_ns "$NS_B" nstat -a UdpRcvbufErrors | awk '/UdpRcvbufErrors/ {print $2}')
rate=$(awk '/receiver/ {print $7}' "$WORK/iperf3-c.log" | tail -n 1)
stop_pid "${STARTED_PIDS[@]}"
STARTED_PIDS=()
echo "TCP one stream: ${rate:-?} Mbit/s, ${retrans:-0} segments retransmitted, ${drops:-0} datagrams dropped at B's receive buffer"
python3 - "$WORK" <<'PY'
import bisect, re, sys
work = sys.argv[1]

def icmp(name, kind):
    seen = {}
    for line in open(f"{work}/{name}"):
        m = re.match(r"(\d+\.\d+) .*ICMP echo (request|reply), id \d+, seq (\d+)", line)
        if m and m.group(2) == kind:
            seen[int(m.group(3))] = float(m.group(1))
    return seen

def datagrams(name):
    return [float(l.split()[0]) for l in open(f"{work}/{name}") if " UDP" in l]

def after(times, since, limit=0.02):
    """For each ping, the first datagram seen within `limit` seconds after `since`."""
    out = {}
    for seq, t in since.items():
        i = bisect.bisect_left(times, t)
        if i < len(times) and times[i] - t < limit:
            out[seq] = times[i]
    return out

a_out, b_in = icmp("a-tap-out.txt", "request"), icmp("b-tap-in.txt", "request")
b_out, a_in = icmp("b-tap-out.txt", "reply"), icmp("a-tap-in.txt", "reply")
a_veth, b_veth = after(datagrams("a-veth.txt"), a_out), after(datagrams("b-veth.txt"), b_out)
legs = [("A tap→veth", a_out, a_veth), ("veth→B tap", a_veth, b_in),
        ("B tap→veth", b_out, b_veth), ("veth→A tap", b_veth, a_in),
        ("tap to tap", a_out, a_in)]
print("| leg | pings | p50 ms | p90 ms |\n|---|---|---|---|")
for name, start, end in legs:
    d = sorted((end[s] - start[s]) * 1000 for s in start if s in end)
    if d:
        print(f"| {name} | {len(d)} | {d[len(d) // 2]:.3f} | {d[int(0.9 * (len(d) - 1))]:.3f} |")
PY
grep -E "^rtt" "$WORK/ping.txt" || true
