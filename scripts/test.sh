#!/usr/bin/env bash
# The project's test command (README, CI): dependencies, build, strict lint, the Debian
# package's tests (scripts/test-deb.sh), fuzz smoke run, then every test suite (unit and
# integration). The integration suites need root, ip and
# /dev/net/tun; they run (never skip) on CI and the development machines.
# The last output of a run is the test runner's summary.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }

step "install dependencies"
bash scripts/install-deps.sh

step "swift build (all products)"
swift build

step "swift format lint --strict"
lint_dirs=()
for d in Sources Tests Fuzz Examples; do [ -d "$d" ] && lint_dirs+=("$d"); done
swift format lint --strict -r "${lint_dirs[@]}"

step "Debian package: release build, lintian, systemd-analyze verify, install test"
bash scripts/test-deb.sh

if [ -f scripts/fuzz.sh ]; then
  step "fuzz (30 s per harness)"
  bash scripts/fuzz.sh 30
fi

step "swift test"
exec swift test --no-parallel
