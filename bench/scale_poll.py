#!/usr/bin/env python3
"""Polls many meshd control sockets for bench/scale.sh: waits for a full mesh.

Speaks HTTP/1.1 to each daemon's Unix control socket directly (`GET /v1/status`), so one
process polls all N daemons without spawning N clients per round. A host is complete when it
lists N-1 distinct peer IDs with state "established". Prints one line:

  CONVERGED <seconds since --start>            every host complete
  TIMEOUT <seconds> <complete hosts> <min established> <max established>
"""

import argparse
import json
import socket
import time


def status(path, timeout=2.0):
    """The decoded /v1/status document of the daemon at `path`, or None."""
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(path)
        s.sendall(b"GET /v1/status HTTP/1.1\r\nHost: meshd\r\nConnection: close\r\n\r\n")
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
        s.close()
        raw = b"".join(chunks)
        head, _, body = raw.partition(b"\r\n\r\n")
        if b"chunked" in head.lower():
            body = dechunk(body)
        return json.loads(body)
    except (OSError, ValueError):
        return None


def dechunk(body):
    """Decodes an HTTP chunked body."""
    out = b""
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += rest[:size]
        body = rest[size + 2:]
    return out


def established(doc):
    """The number of distinct established peer IDs in a status document."""
    if not doc:
        return 0
    return len({p.get("peer_id") for p in doc.get("peers", [])
                if p.get("state") == "established" and p.get("peer_id")})


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--start", type=float, required=True, help="epoch seconds the daemons started")
    p.add_argument("--timeout", type=float, default=120)
    p.add_argument("--interval", type=float, default=0.25)
    p.add_argument("sockets", nargs="+")
    a = p.parse_args()
    want = len(a.sockets) - 1
    done = set()
    counts = {}
    while True:
        for path in a.sockets:
            if path in done:
                continue
            counts[path] = established(status(path))
            if counts[path] >= want:
                done.add(path)
        elapsed = time.time() - a.start
        if len(done) == len(a.sockets):
            # Re-check everyone once: a host counted early may have lost a session since.
            again = [established(status(path)) for path in a.sockets]
            if min(again) >= want:
                print("CONVERGED %.2f" % elapsed, flush=True)
                return
            done = {path for path, n in zip(a.sockets, again) if n >= want}
        if elapsed > a.timeout:
            values = list(counts.values())
            print("TIMEOUT %.2f %d %d %d" % (elapsed, len(done), min(values), max(values)),
                  flush=True)
            return
        time.sleep(a.interval)


if __name__ == "__main__":
    main()
