# Service discovery checks of scripts/docker-e2e.sh (sourced by it, after the mesh, the
# dockerds and the web/client containers are up on hosts A and B; meshd on each host follows
# its dockerd through --docker-socket).
#
# - a container on A is listed under its name on B (`meshd dns list`), and the other way;
# - two instances of one service (label meshd.service=api) on two hosts are both listed, with
#   their exposed port;
# - after `docker stop` on B, the names of that container are gone on A within 5 s;
# - a name added with `meshd dns add` on A is listed on B.
# With a meshd that serves DNS (--dns-domain, and --dns in docker-opts), the same names are
# resolved from containers with busybox nslookup and fetched by name (RESOLUTION=1).

dns_json() { "$MESHD" dns list --json --socket "$WORK/$1/meshd.sock"; }
listed() { # listed HOST NAME KIND ADDRESS: the host's `meshd dns list` has that entry
  dns_json "$1" 2>/dev/null | python3 -c '
import json, sys
name, kind, address = sys.argv[1:4]
names = json.load(sys.stdin)["names"]
sys.exit(0 if any(n["name"] == name and n["kind"] == kind and n["address"] == address
                  for n in names) else 1)' "$2" "$3" "$4"
}
not_listed() { ! listed "$@"; }
ports_of() { # ports_of HOST NAME KIND ADDRESS: the entry's SRV ports, comma-separated
  dns_json "$1" 2>/dev/null | python3 -c '
import json, sys
name, kind, address = sys.argv[1:4]
for n in json.load(sys.stdin)["names"]:
    if n["name"] == name and n["kind"] == kind and n["address"] == address:
        print(",".join(str(p) for p in n["ports"]))' "$2" "$3" "$4"
}
ip_of() { dk "$1" inspect -f '{{.NetworkSettings.IPAddress}}' "$2"; }

# Both hosts' web containers were registered by the watcher (meshd started before dockerd,
# so this also covers waiting for an engine that is not there yet).
# B restarted above, within A's dead-peer timeout: A saw a rekey, B a new neighbour. B gets
# A's record (and names) from the summary exchange of the new session, started by the lower
# ID or, when A's is lower and A sends none, by B after 2 s. (Before B started it, B waited
# for anti-entropy, 15-25 s, and A's web was once not listed within 10 s.) The IDs and the
# time since B's restart are printed for whoever reads a failure; 20 s: a presence check.
log "peer IDs: A $(peer_id_of A), B $(peer_id_of B)"
since_restart() { echo "$((($(date +%s%N) - T_RESTART_B) / 1000000)) ms after B's restart"; }
if wait_for 20 listed B web container "${IP_WEB[A]}"; then
  pass "discovery: A's container web (${IP_WEB[A]}) is listed on B ($(since_restart))"
else
  fail "discovery: A's container web (${IP_WEB[A]}) is not listed on B within 20 s ($(since_restart))"
fi
check "discovery: B's container web (${IP_WEB[B]}) is listed on A" \
  wait_for 20 listed A web container "${IP_WEB[B]}"

# Two instances of the service api, one per host, each exposing TCP 8080.
for h in "${HOSTS[@]}"; do
  dk "$h" run -d --name "api-${h,,}" --label meshd.service=api --expose 8080 "$IMAGE" \
    httpd -f -p 8080 -h /www >/dev/null 2>>"$WORK/$h/docker-run.log" ||
    die "docker run api-${h,,} on $h: $(cat "$WORK/$h/docker-run.log")"
done
IP_API_A=$(ip_of A api-a)
IP_API_B=$(ip_of B api-b)
for h in "${HOSTS[@]}"; do
  check "discovery: on $h, service api lists both instances ($IP_API_A, $IP_API_B)" \
    wait_for 10 eval "listed $h api service $IP_API_A && listed $h api service $IP_API_B"
done
check "discovery: the api instance on B carries its exposed port 8080 (SRV)" \
  test "$(ports_of A api service "$IP_API_B")" == 8080

# docker stop on B: the instance and its container name are gone on A within 5 s.
dk B stop -t 1 api-b >/dev/null
t_stop=$(date +%s%N)
if wait_for 5 eval "not_listed A api service $IP_API_B && not_listed A api-b container $IP_API_B"; then
  pass "discovery: after docker stop on B, api-b is gone on A after $((($(date +%s%N) - t_stop) / 1000000)) ms (limit 5 s)"
else
  fail "discovery: after docker stop on B, api-b is still listed on A after 5 s"
fi
check "discovery: the instance on A is still listed" listed A api service "$IP_API_A"

# A name added by hand on A (the host's own bridge address) is listed on B.
BRIDGE_A=$(in_ns A ip -4 -o addr show dev br0 | awk '{print $4}' | cut -d/ -f1 | head -n1)
"$MESHD" dns add gateway-a "$BRIDGE_A" --socket "$WORK/A/meshd.sock" >/dev/null
check "discovery: meshd dns add gateway-a $BRIDGE_A on A is listed on B" \
  wait_for 5 listed B gateway-a manual "$BRIDGE_A"

if ((RESOLUTION)); then
  DNS_DOMAIN=${MSHDK_DNS_DOMAIN:-mesh.internal}
  # A stand-in upstream resolver on B's underlay address (meshd's --dns-upstream): it answers
  # outside.example with 198.51.100.7 and NXDOMAIN for anything else.
  cat >"$WORK/upstream.py" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 5300))
print("READY", flush=True)
while True:
    q, peer = s.recvfrom(4096)
    if len(q) < 12:
        continue
    off, labels = 12, []
    while off < len(q) and q[off] != 0:
        n = q[off]; labels.append(q[off + 1:off + 1 + n].decode(errors="replace").lower()); off += 1 + n
    question = q[12:off + 5]
    known = ".".join(labels) == "outside.example"
    flags = 0x8180 if known else 0x8183
    head = q[:2] + struct.pack(">HHHHH", flags, 1, 1 if known else 0, 0, 0)
    answer = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + bytes([198, 51, 100, 7]) if known else b""
    s.sendto(head + question + answer, peer)
PY
  # nsenter, not in_ns: a backgrounded function is a subshell, and $! must be python's PID.
  nsenter --net="$(netns_path B)" -- python3 "$WORK/upstream.py" "${UNDERLAY[B]}" \
    >"$WORK/upstream.log" 2>&1 &
  UPSTREAM_PID=$!
  wait_for 5 grep -q READY "$WORK/upstream.log" || fail "the stand-in upstream did not start"

  resolves() { # resolves HOST CONTAINER NAME ADDRESS: busybox nslookup NAME in the container
    dk "$1" exec "$2" timeout 5 nslookup "$3" 2>/dev/null | grep -q "Address.*$4\b"
  }
  dig_short() { # dig_short HOST NAME [TYPE]: the host's own `dig` at its bridge address
    local bridge
    bridge=$(in_ns "$1" ip -4 -o addr show dev br0 | awk '{print $4}' | cut -d/ -f1 | head -n1)
    in_ns "$1" dig +short +time=2 +tries=2 @"$bridge" "$2" "${3:-A}"
  }
  dig_status() { # dig_status HOST NAME: the answer's status (NOERROR, NXDOMAIN, ...)
    local bridge
    bridge=$(in_ns "$1" ip -4 -o addr show dev br0 | awk '{print $4}' | cut -d/ -f1 | head -n1)
    in_ns "$1" dig +time=2 +tries=2 @"$bridge" "$2" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p'
  }

  check "resolution: A client resolves web (on both hosts) to B's instance ${IP_WEB[B]}" \
    wait_for 10 resolves A client "web.$DNS_DOMAIN" "${IP_WEB[B]}"
  check "resolution: dig on host A answers web with both instances" \
    eval "dig_short A web.$DNS_DOMAIN | grep -qx '${IP_WEB[A]}' && dig_short A web.$DNS_DOMAIN | grep -qx '${IP_WEB[B]}'"
  check "resolution: A client resolves api (instance on A)" resolves A client "api.$DNS_DOMAIN" "$IP_API_A"
  check "resolution: B client resolves gateway-a (added by hand on A)" \
    resolves B client "gateway-a.$DNS_DOMAIN" "$BRIDGE_A"
  check "resolution: an outside name is forwarded upstream (A client, outside.example)" \
    resolves A client outside.example 198.51.100.7
  check "resolution: dig on host B, outside.example forwarded" \
    eval "dig_short B outside.example | grep -qx 198.51.100.7"
  check "resolution: an unknown name under the domain is NXDOMAIN" \
    test "$(dig_status A "nobody.$DNS_DOMAIN")" == NXDOMAIN

  # Two instances of the service cache, one per host: both answer; after docker stop on B
  # the stopped one is gone from A's answers within 5 s.
  for h in "${HOSTS[@]}"; do
    dk "$h" run -d --name "cache-${h,,}" --label meshd.service=cache --expose 6379 "$IMAGE" \
      httpd -f -p 6379 -h /www >/dev/null 2>>"$WORK/$h/docker-run.log"
  done
  IP_CACHE_A=$(ip_of A cache-a)
  IP_CACHE_B=$(ip_of B cache-b)
  check "resolution: A client gets both instances of cache ($IP_CACHE_A, $IP_CACHE_B)" \
    wait_for 10 eval "resolves A client cache.$DNS_DOMAIN $IP_CACHE_A && resolves A client cache.$DNS_DOMAIN $IP_CACHE_B"
  check "resolution: SRV _cache._tcp answers port 6379" \
    eval "dig_short A _cache._tcp.$DNS_DOMAIN SRV | grep -q ' 6379 '"
  dk B stop -t 1 cache-b >/dev/null
  t_stop=$(date +%s%N)
  if wait_for 5 eval "! dig_short A cache.$DNS_DOMAIN | grep -qx $IP_CACHE_B && test \"\$(dig_status A cache-b.$DNS_DOMAIN)\" == NXDOMAIN"; then
    pass "resolution: after docker stop on B, cache-b is out of A's answers after $((($(date +%s%N) - t_stop) / 1000000)) ms (limit 5 s)"
  else
    fail "resolution: after docker stop on B, cache-b still resolves on A after 5 s"
  fi
  check "resolution: the instance on A still answers" resolves A client "cache.$DNS_DOMAIN" "$IP_CACHE_A"

  fetch_by_name() { # fetch_by_name HOST NAME SHA: the client fetches http://NAME/file
    local got
    got=$(dk "$1" exec client sh -c "timeout 20 wget -q -O - http://$2/file | sha256sum" | cut -d' ' -f1)
    [[ $got == "$3" ]]
  }
  dk B run -d --name shop "$IMAGE" httpd -f -p 80 -h /www >/dev/null 2>>"$WORK/B/docker-run.log"
  dk B exec shop sh -c "echo shop >/www/file"
  check "resolution: A client fetches http://shop/ (on B) by its bare name (dns-search)" \
    wait_for 10 fetch_by_name A shop "$(echo shop | sha256sum | cut -d' ' -f1)"
fi
