#!/usr/bin/env bash
# Builds and runs every libFuzzer harness under Fuzz/ for N seconds each (default 30).
# Usage: scripts/fuzz.sh [SECONDS]
# Exits non-zero if a harness fails to build, crashes, or reports no coverage (a sign that
# instrumentation is missing). Crash inputs are kept in .build-fuzz/artifacts/NAME/ (outside
# the target folders, so SwiftPM does not see them as unhandled files).
# The committed seed corpus Fuzz/NAME/corpus/ (if any) is read, never written: new inputs go
# to .build-fuzz/corpus/NAME/.
set -uo pipefail

seconds="${1:-30}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scratch=.build-fuzz
status=0
summary=()

for dir in Fuzz/*/; do
  name="$(basename "$dir")"
  [ -n "$(find "$dir" -maxdepth 1 -name '*.swift' -print -quit)" ] || continue
  echo "== $name: building"
  if ! swift build -c debug --scratch-path "$scratch" --product "$name" --sanitize=fuzzer \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld; then
    summary+=("$name: BUILD FAILED")
    status=1
    continue
  fi
  work="$scratch/corpus/$name"
  artifacts="$scratch/artifacts/$name/"
  mkdir -p "$work" "$artifacts"
  seeds=()
  [ -d "Fuzz/$name/corpus" ] && seeds=("Fuzz/$name/corpus")
  log="$scratch/fuzz-$name.log"
  echo "== $name: fuzzing for ${seconds}s"
  SWIFT_BACKTRACE=enable=no "$scratch/debug/$name" "$work" "${seeds[@]}" \
    -max_total_time="$seconds" -artifact_prefix="$artifacts" -print_final_stats=1 \
    >"$log" 2>&1
  rc=$?
  execs="$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')"
  rate="$(grep -E '^stat::average_exec_per_sec' "$log" | awk '{print $2}')"
  cov="$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | awk '{print $2}')"
  ft="$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | awk '{print $2}')"
  line="$name: execs=${execs:-?} exec/s=${rate:-?} cov=${cov:-0} ft=${ft:-0}"
  if [ "$rc" -ne 0 ]; then
    tail -40 "$log"
    summary+=("$line CRASH (exit $rc, see $artifacts and $log)")
    status=1
  elif [ -z "$cov" ] || [ "$cov" -eq 0 ]; then
    tail -20 "$log"
    summary+=("$line NO COVERAGE (instrumentation missing?)")
    status=1
  else
    summary+=("$line ok")
  fi
done

echo "== summary"
printf '%s\n' "${summary[@]}"
exit "$status"
