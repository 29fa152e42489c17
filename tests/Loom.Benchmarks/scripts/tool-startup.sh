#!/usr/bin/env bash
# Start-up of the installed dotnet tool against the README's published build: `loom --version` and `loom run` of a
# one-job workflow, with hyperfine. Packs the tool (as the README does), installs it into a tool path of its own, and
# unpacks the framework-dependent 'any' package (what other platforms get: no ReadyToRun) to run it as its shim does.
# Usage: tests/Loom.Benchmarks/scripts/tool-startup.sh [RUNS]     (from the repository's root)
set -euo pipefail
runs="${1:-30}"
root="$PWD"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
dotnet publish src/Loom.Cli -c Release -o .build/loom -nologo -v quiet
dotnet pack src/Loom.Cli -c Release -o "$work/packages" -nologo -v quiet
cat > "$work/nuget.config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration><packageSources><clear /><add key="local" value="$work/packages" /></packageSources></configuration>
CONFIG
NUGET_PACKAGES="$work/cache" dotnet tool install --tool-path "$work/tools" loom --configfile "$work/nuget.config" > /dev/null
mkdir -p "$work/any" && (cd "$work/any" && unzip -q "$work"/packages/loom.any.*.nupkg)
any_dll="$(ls "$work"/any/tools/net10.0/any/loom.dll)"
mkdir -p "$work/ws" && printf 'jobs:\n  one:\n    steps:\n      - run: "true"\n' > "$work/ws/.loom.yml"
cd "$work/ws"
"$work/tools/loom" run --plain > /dev/null   # the journal exists before the first timed run, as for the others
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/version.json" \
  -n "published (README, native)" "$root/.build/loom/loom --version" \
  -n "installed tool (loom.linux-x64, ReadyToRun)" "$work/tools/loom --version" \
  -n "any package (JIT, dotnet loom.dll)" "dotnet $any_dll --version"
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/run.json" \
  -n "published (README, native)" "$root/.build/loom/loom run --plain" \
  -n "installed tool (loom.linux-x64, ReadyToRun)" "$work/tools/loom run --plain" \
  -n "any package (JIT, dotnet loom.dll)" "dotnet $any_dll run --plain"
for what in version run; do
  python3 - "$work/$what.json" "$what" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"| {sys.argv[2]} | {r['command']} | {r['median']*1000:.0f} ms | {r['mean']*1000:.0f} ± {r['stddev']*1000:.0f} ms | {r['min']*1000:.0f} ms |")
PY
done
