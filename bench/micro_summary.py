#!/usr/bin/env python3
"""A compact table of the DataPath micro-benchmarks: operations per second, allocations per op.

Reads package-benchmark's JMH export (values per benchmark iteration) and the stored baseline
(which holds each benchmark's scaling factor, the operations per iteration), and divides.
"""

import argparse
import json


def scaling_factors(baseline_path):
    """{benchmark name: operations per iteration} from a baseline results.json."""
    with open(baseline_path) as f:
        results = json.load(f)["results"]
    factors = {}
    # The list alternates: {"target", "name"}, then that benchmark's list of metric results.
    for key, metrics in zip(results[0::2], results[1::2]):
        if metrics:
            factors[key["name"]] = metrics[0].get("scalingFactor", 1)
    return factors


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("jmh", help="the JMH JSON export")
    parser.add_argument("baseline", help="the baseline results.json")
    parser.add_argument("--markdown", help="also write the table here")
    args = parser.parse_args()

    factors = scaling_factors(args.baseline)
    with open(args.jmh) as f:
        elements = json.load(f)

    header = ["benchmark", "ops/s p50 (one core)", "ops/s best", "ns/op p50",
              "mallocs/op", "retains/op"]
    rows = []
    for e in sorted(elements, key=lambda e: e["benchmark"]):
        name = e["benchmark"].split(".", 3)[3].replace("_", " ")
        scale = factors.get(name, 1)
        thr = e["primaryMetric"]["scorePercentiles"]
        sec = e["secondaryMetrics"]

        def p50(metric):
            m = sec.get(metric)
            return None if m is None else m["scorePercentiles"]["50.0"]

        wall = p50("Time (wall clock)")  # μs per iteration
        mallocs = p50("Malloc (total)")
        retains = p50("Retains")
        rows.append([
            name,
            f"{thr['50.0'] * scale:,.0f}",
            f"{thr['100.0'] * scale:,.0f}",
            "–" if wall is None else f"{wall * 1000 / scale:.1f}",
            "–" if mallocs is None else f"{mallocs / scale:.2f}",
            "–" if retains is None else f"{retains / scale:.1f}",
        ])

    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("## meshd micro-benchmarks (DataPath)\n\n" + text + "\n")


if __name__ == "__main__":
    main()
