#!/usr/bin/env python3
"""How long a command's step slots stand empty: for the processes that exec PROGRAM, the median time from fork to exec
(the spawned child before it becomes PROGRAM), from exec to exit, and from one's exit to the next fork, over the middle
70 % of the steps, and the share of time with 0, 1, 2, ... of them alive. Needs `perf` and root (system-wide sched
tracepoints). Used for "Six more levers" in docs/benchmarks.md.

Usage (in a folder made by ../shared/bench/gen.py):
  python3 tests/Loom.Benchmarks/scripts/step-slots.py true -- make -s -j2
  python3 tests/Loom.Benchmarks/scripts/step-slots.py true -- .build/loom/loom run --max-parallel 2
"""
import bisect
import os
import re
import statistics
import subprocess
import sys
import tempfile

EVENTS = "sched:sched_process_fork,sched:sched_process_exec,sched:sched_process_exit"
LINE = re.compile(r"\s*(\S.*?)\s+(\d+)\s+\[\d+\]\s+([\d.]+):\s+sched:(\w+):\s*(.*)")


def main():
    if "--" not in sys.argv[2:]:
        sys.exit(__doc__)
    program = sys.argv[1]
    command = sys.argv[sys.argv.index("--") + 1:]
    handle, data = tempfile.mkstemp(suffix=".data")
    os.close(handle)
    try:
        subprocess.run(["perf", "record", "-q", "-e", EVENTS, "-a", "-o", data, *command],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        text = subprocess.run(["perf", "script", "-i", data], capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(data)
    forks, execs, exits = {}, {}, {}
    for line in text.splitlines():
        match = LINE.match(line)
        if not match:
            continue
        _, pid, time, kind, rest = match.groups()
        time, pid = float(time), int(pid)
        if kind == "sched_process_fork":
            forks[int(re.search(r"child_pid=(\d+)", rest).group(1))] = time
        elif kind == "sched_process_exec" and rest.split()[0].endswith("/" + program):
            execs[pid] = time
        elif kind == "sched_process_exit" and pid in execs:
            exits[pid] = time
    steps = sorted((p for p in execs if p in forks and p in exits), key=lambda p: forks[p])
    steps = steps[len(steps) // 5: len(steps) * 9 // 10]
    if len(steps) < 10:
        sys.exit(f"only {len(steps)} processes of {program} seen")
    started = sorted(forks[p] for p in steps)
    refill = []
    for end in sorted(exits[p] for p in steps):
        i = bisect.bisect_right(started, end)
        if i < len(started):
            refill.append(started[i] - end)
    changes = sorted([(forks[p], 1) for p in steps] + [(exits[p], -1) for p in steps])
    alive, last, spent = 0, changes[0][0], {}
    for time, change in changes:
        spent[alive] = spent.get(alive, 0) + time - last
        alive, last = alive + change, time
    total = sum(spent.values())
    span = max(exits[p] for p in steps) - min(forks[p] for p in steps)
    us = lambda values: f"{statistics.median(values) * 1e6:.0f} us"
    print(f"{len(steps)} steps: fork->exec {us([execs[p] - forks[p] for p in steps])}, exec->exit {us([exits[p] - execs[p] for p in steps])}, "
          f"exit->next fork {us(refill)}; {span * 1000 / len(steps):.3f} ms per step; time with N alive: "
          + " ".join(f"{n}:{t / total:.2f}" for n, t in sorted(spent.items())))


if __name__ == "__main__":
    main()
