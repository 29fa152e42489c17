#!/usr/bin/env bash
# Crash-safety benchmark: a 1 000-job run is killed with SIGKILL part-way, then `loom run --resume`
# finishes it. Every job appends its id to ran.log once per attempt, so the log tells exactly what
# ran twice. Prints jobs done before the kill, jobs interrupted, jobs run again, and the resume time.
# Usage: LOOM=.build/loom/loom tests/Loom.Benchmarks/scripts/resume-bench.sh [JOBS] [PARALLEL] [KILL_AFTER]
set -euo pipefail
loom="$(realpath "${LOOM:-.build/loom/loom}")"
jobs="${1:-1000}"; parallel="${2:-4}"; kill_after="${3:-400}"
ws="$(mktemp -d)"; trap 'rm -rf "$ws"' EXIT
cd "$ws"
{
  echo "jobs:"
  for i in $(seq 1 "$jobs"); do
    printf '  j%d:\n    steps:\n      - run: echo j%d >> ran.log; sleep 0.02\n' "$i" "$i"
  done
} > .loom.yml
touch ran.log
"$loom" run --plain -j "$parallel" > first.out 2>&1 &
pid=$!
while [ "$(wc -l < ran.log)" -lt "$kill_after" ]; do sleep 0.01; done
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
before=$(sort -u ran.log | wc -l)
start=$(date +%s.%N)
"$loom" run --resume --plain -j "$parallel" > resume.out 2>&1
end=$(date +%s.%N)
total=$(wc -l < ran.log); distinct=$(sort -u ran.log | wc -l)
twice=$(sort ran.log | uniq -d | wc -l)
interrupted=$(grep -c ' interrupted: ' resume.out || true)
echo "jobs=$jobs parallel=$parallel killed after $before jobs had started"
echo "interrupted (re-run by resume): $interrupted; jobs that ran twice: $twice; jobs never run: $((jobs - distinct)); lines: $total"
echo "resume took $(echo "$end - $start" | bc) s; result: $(tail -n 1 resume.out)"
