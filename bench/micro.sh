#!/usr/bin/env bash
# bench/micro.sh — micro-benchmarks of meshd's per-packet path (Benchmarks/, package-benchmark).
#
# Builds and runs the DataPath benchmarks in release mode, prints package-benchmark's own table,
# then a compact one: packets per second on one core (median) and allocations per packet, and
# writes that to bench/out/micro.md. Benchmarks measure one core; the numbers are absolute, so
# compare them only with runs on the same machine at the same time.
#
# Usage: bench/micro.sh [--filter REGEX] [--allocation-stacks] [-- extra benchmark options]
#   --filter REGEX        run only the benchmarks whose names match
#   --allocation-stacks   also print the stack of every allocation in the measured region
#                         (package-benchmark's own option), to find where a malloc comes from
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT_DIR=$ROOT/bench/out
FILTER=""
EXTRA=()
EXPORT_DIR=""

log() { printf '[micro %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

parse_args() {
  while (($#)); do
    case $1 in
      --filter) FILTER=$2; shift 2 ;;
      --allocation-stacks) EXTRA+=(--allocation-stacks); shift ;;
      --) shift; EXTRA+=("$@"); break ;;
      -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
      *) log "unknown option $1"; exit 2 ;;
    esac
  done
}

# benchmark ARGS...: the package-benchmark plugin on the Benchmarks package.
benchmark() {
  local filter=()
  [[ -n $FILTER ]] && filter=(--filter "$FILTER")
  swift package --package-path "$ROOT/Benchmarks" --allow-writing-to-package-directory \
    benchmark "${filter[@]}" --no-progress "$@"
}

main() {
  parse_args "$@"
  mkdir -p "$OUT_DIR"
  EXPORT_DIR=$(mktemp -d /tmp/mshbn-micro.XXXXXX)
  trap 'rm -rf "$EXPORT_DIR"' EXIT
  log "building and running (release); the first build takes several minutes"
  # Run once, stored as the baseline `micro`; then print it, and export it for the summary.
  benchmark baseline update micro "${EXTRA[@]}"
  benchmark baseline read micro --format text
  benchmark baseline read micro --format jmh --path "$EXPORT_DIR" >/dev/null
  echo
  python3 "$ROOT/bench/micro_summary.py" "$EXPORT_DIR/micro.jmh.json" \
    "$ROOT/Benchmarks/.benchmarkBaselines/DataPath/micro/results.json" \
    --markdown "$OUT_DIR/micro.md"
}

main "$@"
