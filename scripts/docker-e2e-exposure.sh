# Host exposure checks of scripts/docker-e2e.sh (sourced by it, after the mesh, the dockerds
# and the web/client containers are up on hosts A and B, next to Docker's own iptables rules).
#
# A service of host B's own, listening on all addresses, is out of reach of A's containers by
# default (meshd's nftables table refuses new TCP and UDP connections that come from the
# mesh), reachable after `meshd expose` and out of reach again after `meshd hide`. B's own
# containers reach it throughout, B's host reaches A's containers (the replies come back),
# and A's containers still ping B's host.

B_HOST_IP=$(ip -n "${NS[B]}" -4 -o addr show br0 | awk '{print $4}' | cut -d/ -f1 | head -1)
mkdir -p "$WORK/B/hostwww"
echo exposure-marker >"$WORK/B/hostwww/marker"
# nsenter itself (not the in_ns function, whose subshell would be $!) so that $! is the server.
nsenter --net="$(netns_path B)" -- python3 -m http.server 8099 --bind 0.0.0.0 \
  --directory "$WORK/B/hostwww" >"$WORK/B/hostwww.log" 2>&1 &
EXPOSURE_SERVER_PID=$!
host_service_up() { in_ns B python3 -c 'import urllib.request as u; u.urlopen("http://127.0.0.1:8099/marker", timeout=2)' 2>/dev/null; }
wait_for 10 host_service_up || fail "B's host service (python3 -m http.server) did not start"
log "B's own service at http://$B_HOST_IP:8099 (bridge address), all addresses"

reaches_b_host() { # reaches_b_host HOST CONTAINER: the container fetches B's host service
  local got
  got=$(dk "$1" exec "$2" sh -c "timeout 5 wget -q -O - http://$B_HOST_IP:8099/marker" 2>/dev/null)
  [[ $got == exposure-marker ]]
}
refused_b_host() { ! reaches_b_host "$@"; }
b_host_reaches_a_web() { # B's host opens a connection to A's web container
  in_ns B python3 -c 'import sys, urllib.request as u; u.urlopen(sys.argv[1], timeout=5).read()' \
    "http://${IP_WEB[A]}/file" 2>/dev/null
}
b_table_rejects() { # (output captured first: grep -q closing the pipe early trips pipefail)
  local table
  table=$(in_ns B nft list table inet meshd 2>&1)
  grep -q reject <<<"$table" || { echo "  nft list table inet meshd: $table"; return 1; }
}

check "hidden by default: B's nftables table meshd has the reject rules" b_table_rejects
check "hidden: A client cannot open a connection to B's own service" refused_b_host A client
check "hidden: B client (a local container) reaches its host's service" reaches_b_host B client
check "hidden: B's host reaches A's web container, replies come back" b_host_reaches_a_web
check "hidden: A client pings B's host $B_HOST_IP" ping_ok A client "$B_HOST_IP"
"$MESHD" expose --socket "$WORK/B/meshd.sock" >/dev/null || fail "meshd expose on B"
check "after meshd expose: A client reaches B's own service" reaches_b_host A client
"$MESHD" hide --socket "$WORK/B/meshd.sock" >/dev/null || fail "meshd hide on B"
check "after meshd hide: A client cannot reach B's own service" refused_b_host A client
check "after meshd hide: B client still reaches its host's service" reaches_b_host B client
stop_pid "B's host service" "$EXPOSURE_SERVER_PID" 3
EXPOSURE_SERVER_PID=
