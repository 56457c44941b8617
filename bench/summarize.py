#!/usr/bin/env python3
"""Summarizes bench/run.sh samples: medians per system and meshd's per-round ratios.

Input: a TSV of `round  system  metric  value` lines. Output: Markdown tables on stdout and,
with --markdown FILE, the same in FILE. Ratios are taken within a round (meshd and its peer
measured minutes apart on the same machine) and then the median over rounds is reported, so
that the machine's load, which drifts between rounds, cancels out as far as it can. The relay
rows (`relay`, `relay-base`) are compared with the same binary's direct row (`meshd`,
`meshd-base`) instead of with meshd.
"""

import argparse
import statistics
from collections import defaultdict

# Metric key, column title, number format.
METRICS = [
    ("tcp1_mbps", "TCP 1 stream Mbit/s", "{:.0f}"),
    ("tcp4_mbps", "TCP 4 streams Mbit/s", "{:.0f}"),
    ("udp64_pps", "UDP 64 B rx pkt/s", "{:,.0f}"),
    ("udp64_loss_pct", "UDP 64 B loss %", "{:.1f}"),
    ("rtt_ms", "ping RTT ms", "{:.3f}"),
    ("rtt_p50_ms", "idle ping p50 ms", "{:.3f}"),
    ("load_p50_ms", "ping p50 under TCP 1 ms", "{:.3f}"),
    ("load_p90_ms", "ping p90 under TCP 1 ms", "{:.3f}"),
    ("cpu_s_per_gb", "daemon CPU s/GB (TCP 1)", "{:.2f}"),
    ("handshake_ms", "handshake ms", "{:.0f}"),
]
# Metrics where meshd is compared by ratio (higher is better), and how the ratio is named.
RATIO_METRICS = [
    ("tcp1_mbps", "TCP 1 stream"),
    ("tcp4_mbps", "TCP 4 streams"),
    ("udp64_pps", "UDP 64 B pkt/s"),
]
SUBJECT = "meshd"
# Relayed rows and the direct row each is compared with.
RELAYS = {"relay": "meshd", "relay-base": "meshd-base"}
# The plain user-space TAP relay: the floor of a user-space tunnel's idle round trip.
FLOOR = "socat"


def load(path):
    """samples[system][metric][round] = value, and systems in order of first appearance."""
    samples = defaultdict(lambda: defaultdict(dict))
    order = []
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 4:
                continue
            rnd, system, metric, value = parts
            try:
                samples[system][metric][int(rnd)] = float(value)
            except ValueError:
                continue
            if system not in order:
                order.append(system)
    return samples, order


def fmt(value, pattern):
    return "–" if value is None else pattern.format(value)


def median_of(values):
    return statistics.median(values) if values else None


def spread(values, pattern):
    """`median (min–max, n)` for a list of samples."""
    if not values:
        return "–"
    med = fmt(statistics.median(values), pattern)
    if len(values) == 1:
        return med
    return f"{med} ({fmt(min(values), pattern)}–{fmt(max(values), pattern)}, n={len(values)})"


def paired(samples, a, b, metric, op):
    """op(a, b) for every round in which both systems have the metric."""
    ra = samples.get(a, {}).get(metric, {})
    rb = samples.get(b, {}).get(metric, {})
    out = []
    for rnd in sorted(set(ra) & set(rb)):
        value = op(ra[rnd], rb[rnd])
        if value is not None:
            out.append(value)
    return out


def ratio(x, y):
    return x / y if y else None


def difference(x, y):
    return x - y


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def render(samples, order, title, context):
    out = [f"## {title}", ""]
    if context:
        out += [context, ""]

    out += ["### Medians per system", ""]
    rows = []
    for system in order:
        row = [system]
        for key, _, pattern in METRICS:
            row.append(fmt(median_of(list(samples[system].get(key, {}).values())), pattern))
        rows.append(row)
    out += [table(["system"] + [m[1] for m in METRICS], rows), ""]

    if SUBJECT in samples:
        peers = [s for s in order if s != SUBJECT and s not in RELAYS]
        out += [f"### {SUBJECT} against each peer (median of per-round ratios, min–max)", ""]
        rows = []
        for peer in peers:
            row = [peer]
            for key, _ in RATIO_METRICS:
                row.append(spread(paired(samples, SUBJECT, peer, key, ratio), "{:.2f}×"))
            for key in ("rtt_p50_ms", "load_p50_ms", "load_p90_ms"):
                row.append(spread(paired(samples, SUBJECT, peer, key, difference), "{:+.3f}"))
            row.append(spread(paired(samples, SUBJECT, peer, "cpu_s_per_gb", ratio), "{:.2f}×"))
            rows.append(row)
        header = (["peer"] + [f"{name} ratio" for _, name in RATIO_METRICS]
                  + ["added idle p50 ms", "added load p50 ms", "added load p90 ms",
                     "CPU s/GB ratio"])
        out += [table(header, rows), ""]
        cpu = list(samples[SUBJECT].get("cpu_s_per_gb", {}).values())
        hs = list(samples[SUBJECT].get("handshake_ms", {}).values())
        out += [f"- {SUBJECT} CPU per GB (both daemons, TCP one stream): "
                f"{spread(cpu, '{:.2f}')} s/GB"]
        out += [f"- {SUBJECT} handshake, second daemon start to first ping: "
                f"{spread(hs, '{:.0f}')} ms"]
        if "wggo" in samples:
            wg = list(samples["wggo"].get("handshake_ms", {}).values())
            out += [f"- wireguard-go handshake, `wg set` to first ping: {spread(wg, '{:.0f}')} ms"]
        if FLOOR in samples:
            floor = paired(samples, SUBJECT, FLOOR, "rtt_p50_ms", difference)
            out += [f"- {SUBJECT} idle ping median minus the {FLOOR} floor's: "
                    f"{spread(floor, '{:+.3f}')} ms"]
        load50 = list(samples[SUBJECT].get("load_p50_ms", {}).values())
        load90 = list(samples[SUBJECT].get("load_p90_ms", {}).values())
        out += [f"- {SUBJECT} ping under one TCP stream: p50 {spread(load50, '{:.3f}')} ms, "
                f"p90 {spread(load90, '{:.3f}')} ms"]
        out += [""]

    relays = [r for r in order if r in RELAYS and RELAYS[r] in samples]
    if relays:
        out += ["### Relayed against direct (median of per-round ratios, min–max)", ""]
        rows = []
        for relay in relays:
            direct = RELAYS[relay]
            rows.append([
                f"{relay} / {direct}",
                spread(paired(samples, relay, direct, "tcp1_mbps", ratio), "{:.2f}×"),
                spread(paired(samples, relay, direct, "rtt_p50_ms", difference), "{:+.3f}"),
                spread(paired(samples, relay, direct, "load_p50_ms", difference), "{:+.3f}"),
                spread(paired(samples, relay, direct, "cpu_s_per_gb", ratio), "{:.2f}×"),
            ])
        header = ["rows", "TCP 1 stream ratio", "added idle p50 ms", "added load p50 ms",
                  "CPU s/GB ratio (3 daemons / 2)"]
        out += [table(header, rows), ""]

    out += ["### Every sample", ""]
    rounds = sorted({r for s in samples.values() for m in s.values() for r in m})
    rows = []
    for system in order:
        for key, title_, pattern in METRICS:
            per_round = samples[system].get(key, {})
            if per_round:
                rows.append([system, title_] + [fmt(per_round.get(r), pattern) for r in rounds])
    out += [table(["system", "metric"] + [f"round {r}" for r in rounds], rows), ""]
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results")
    parser.add_argument("--title", default="meshd macro benchmark")
    parser.add_argument("--context", default="")
    parser.add_argument("--markdown")
    args = parser.parse_args()
    samples, order = load(args.results)
    text = render(samples, order, args.title, args.context)
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
