#!/usr/bin/env bash
# Runs every test of Loom: unit, actor, end-to-end (real processes, the README's build of loom) and the live view
# under a real pseudo-terminal. Installs what the tests drive (tmux, python3, chromium, PowerShell, PostgreSQL, gcc to link the native loom) when it is
# missing, and starts a throwaway PostgreSQL server for the run store's tests (tests/postgres.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1; }
if ! need tmux || ! need python3; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq tmux python3 >/dev/null
fi
# The web view's browser tests drive Debian's chromium through Playwright (no browser download).
if ! need chromium; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq chromium >/dev/null
fi
# pwsh steps are tested for real: PowerShell installs as a dotnet tool from NuGet (7.6 runs on .NET 10).
export PATH="$PATH:$HOME/.dotnet/tools"
if ! need pwsh; then
  dotnet tool install --global PowerShell --version 7.6.9 >/dev/null
fi

source tests/postgres.sh

# The CLI's end-to-end tests run loom as the README's first command builds it: native (NativeAOT, linked by gcc or
# clang), with loom-jit beside it for the commands it hands over.
if ! need gcc && ! need clang; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq gcc >/dev/null
fi
dotnet publish src/Loom.Cli -c Release -o .build/loom -nologo -v quiet
# Without a compiler the publish only warns and leaves the JIT build as loom: the tests would not run the native one.
if [ ! -x .build/loom/loom-jit ] || cmp -s .build/loom/loom .build/loom/loom-jit; then
  echo "tests/run.sh: .build/loom/loom is not the native build (see the publish's warnings)" >&2
  exit 1
fi
export LOOM_TEST_BINARY="$PWD/.build/loom/loom"

results="$(mktemp -d)"
status=0
dotnet test Loom.Actors.sln -c Release --logger "trx" --results-directory "$results" "$@" || status=$?

# One plain closing line over all test projects.
passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters"); e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${t:-0} - ${e:-0}))
done
rm -rf "$results"
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
