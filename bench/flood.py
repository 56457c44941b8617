#!/usr/bin/env python3
"""UDP flooder for bench/flood.sh: sends a fixed pool of datagrams at one address for a bounded
number of seconds, as fast as the kernel takes them, with sendmmsg(2) through ctypes.

The pool mixes handshake-shaped datagrams (type byte 1 or 2, three zero reserved bytes, 148-180
bytes of random content, so mac1 fails) with random datagrams (random length and content).
Several processes (--procs) send in parallel. Only the parent prints: one JSON line with the
datagrams sent in total, the seconds it took and the rate.

Usage: flood.py --to ADDR --port PORT --seconds S [--procs N] [--rate PPS] [--batch B] [--seed N]
--rate caps the total rate (datagrams per second over all processes; 0, the default, is full
speed), so that two runs can be compared at the same rate.
"""
import argparse
import ctypes
import ctypes.util
import json
import multiprocessing
import os
import random
import socket
import struct
import sys
import time


class IoVec(ctypes.Structure):
    """struct iovec."""
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


class MsgHdr(ctypes.Structure):
    """struct msghdr."""
    _fields_ = [
        ("name", ctypes.c_void_p),
        ("namelen", ctypes.c_uint32),
        ("iov", ctypes.POINTER(IoVec)),
        ("iovlen", ctypes.c_size_t),
        ("control", ctypes.c_void_p),
        ("controllen", ctypes.c_size_t),
        ("flags", ctypes.c_int),
    ]


class MMsgHdr(ctypes.Structure):
    """struct mmsghdr."""
    _fields_ = [("hdr", MsgHdr), ("len", ctypes.c_uint)]


def make_pool(rng, size):
    """The datagrams: 40 % initiation-shaped, 40 % response-shaped, 20 % random."""
    pool = []
    for _ in range(size):
        r = rng.random()
        if r < 0.8:
            d = bytearray(rng.randbytes(rng.randint(148, 180)))
            d[0] = 1 if r < 0.4 else 2
            d[1:4] = b"\0\0\0"
        else:
            d = bytearray(rng.randbytes(rng.randint(1, 1400)))
        pool.append(bytes(d))
    return pool


def sender(args, index, result):
    """One flooding process: sends the pool round and round until the deadline."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    rng = random.Random(args.seed * 1000 + index)
    pool = make_pool(rng, args.pool)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    addr = socket.inet_aton(args.to)
    # struct sockaddr_in: family in host byte order, port in network byte order.
    sa = ctypes.create_string_buffer(
        struct.pack("=H", socket.AF_INET) + struct.pack("!H", args.port) + addr + bytes(8), 16)
    buffers = [ctypes.create_string_buffer(d, len(d)) for d in pool]
    iovs = (IoVec * len(pool))()
    msgs = (MMsgHdr * (len(pool) + args.batch))()
    for i in range(len(pool) + args.batch):
        j = i % len(pool)
        iovs[j].base = ctypes.cast(buffers[j], ctypes.c_void_p)
        iovs[j].len = len(pool[j])
        msgs[i].hdr.name = ctypes.cast(sa, ctypes.c_void_p)
        msgs[i].hdr.namelen = 16
        msgs[i].hdr.iov = ctypes.pointer(iovs[j])
        msgs[i].hdr.iovlen = 1
    base = ctypes.addressof(msgs)
    step = ctypes.sizeof(MMsgHdr)
    sendmmsg = libc.sendmmsg
    sendmmsg.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int]
    fd = sock.fileno()
    sent = 0
    errors = 0
    offset = 0
    start = time.monotonic()
    deadline = start + args.seconds
    per_proc_rate = args.rate / args.procs if args.rate > 0 else 0
    while time.monotonic() < deadline:
        if per_proc_rate:
            ahead = start + sent / per_proc_rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
        for _ in range(1 if per_proc_rate else 16):
            n = sendmmsg(fd, base + offset * step, args.batch, 0)
            if n > 0:
                sent += n
                offset = (offset + n) % len(pool)
            else:
                errors += 1
                time.sleep(0.0002)
    result[index] = (sent, errors, time.monotonic() - start)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--to", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--procs", type=int, default=2)
    p.add_argument("--rate", type=float, default=0)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--pool", type=int, default=2048)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    if not 0 < a.seconds <= 120:
        sys.exit("--seconds must be in (0, 120]: the flood is bounded")
    manager_result = multiprocessing.Manager().dict()
    procs = [multiprocessing.Process(target=sender, args=(a, i, manager_result))
             for i in range(a.procs)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(a.seconds + 30)
        if proc.is_alive():
            proc.kill()
    sent = sum(v[0] for v in manager_result.values())
    errors = sum(v[1] for v in manager_result.values())
    secs = max((v[2] for v in manager_result.values()), default=a.seconds)
    print(json.dumps({"sent": sent, "errors": errors, "seconds": round(secs, 2),
                      "pps": round(sent / secs) if secs else 0, "pid": os.getpid()}), flush=True)


if __name__ == "__main__":
    main()
