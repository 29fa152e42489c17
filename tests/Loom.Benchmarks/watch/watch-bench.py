#!/usr/bin/env python3
"""loom watch benchmark (not a test): write -> step process start latency, and journal size over many cycles.

  dotnet publish src/Loom.Cli -c Release -o .build/loom
  python3 tests/Loom.Benchmarks/watch/watch-bench.py --loom .build/loom/loom --changes 50 --cycles 1000

Latency: the harness takes time.time_ns() just before it writes src/input.txt; the job's step (inputs: src/**)
appends `date +%s%N` as its first command, so the figure is write -> debounce -> cycle run -> step process start
(+ bash and date starting). Each change waits until the previous step has run and 300 ms more (past the 100 ms
window in which a change still counts as the job's own write). Journal: the size of .loom/journal.db (and its -wal)
after so many cycles with the default --keep-runs 20.
"""
import argparse, os, signal, statistics, subprocess, sys, tempfile, time

WORKFLOW = """jobs:
  build:
    inputs: ["src/**"]
    steps:
      - run: date +%s%N >> starts.txt
"""


def wait_for(predicate, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            sys.exit(f"timed out waiting for {what}")
        time.sleep(0.002)


def lines(path):
    try:
        with open(path) as f:
            return f.read().split()
    except FileNotFoundError:
        return []


def size(path):
    return sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--loom", required=True)
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--cycles", type=int, default=1000)
    args = parser.parse_args()
    workspace = tempfile.mkdtemp(prefix="loom-watch-bench-")
    os.makedirs(os.path.join(workspace, "src"))
    with open(os.path.join(workspace, ".loom.yml"), "w") as f:
        f.write(WORKFLOW)
    starts = os.path.join(workspace, "starts.txt")
    journal = os.path.join(workspace, ".loom", "journal.db")
    args.loom = os.path.abspath(args.loom)
    loom = subprocess.Popen([args.loom, "watch", "--plain"], cwd=workspace, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: len(lines(starts)) == 1, "the first cycle")
        latencies = []
        sizes = {}
        total = max(args.changes, args.cycles)
        for change in range(1, total):
            time.sleep(0.3)
            before = len(lines(starts))
            written = time.time_ns()
            with open(os.path.join(workspace, "src", "input.txt"), "w") as f:
                f.write(str(written))
            wait_for(lambda: len(lines(starts)) > before, f"change {change}")
            if change <= args.changes:
                latencies.append((int(lines(starts)[-1]) - written) / 1e6)
            if change + 1 in (20, 100, 250, 500, 750, 1000) or change + 1 == total:
                sizes[change + 1] = size(journal)
        latencies.sort()
        p95 = latencies[min(len(latencies) - 1, int(round(0.95 * len(latencies))) - 1)]
        print(f"write -> step start over {len(latencies)} changes: median {statistics.median(latencies):.1f} ms, "
              f"p95 {p95:.1f} ms, min {latencies[0]:.1f} ms, max {latencies[-1]:.1f} ms")
        for cycles, bytes_ in sizes.items():
            print(f"journal.db + wal after {cycles} cycles: {bytes_ / 1024:.0f} KiB")
    finally:
        loom.send_signal(signal.SIGINT)
        loom.wait(timeout=30)
    runs = subprocess.run([args.loom, "runs"], cwd=workspace, capture_output=True, text=True).stdout.strip().splitlines()
    print(f"loom runs lists {len(runs) - 1} runs; .loom/runs holds {len(os.listdir(os.path.join(workspace, '.loom', 'runs')))} folders")
    print(f"workspace: {workspace}")


if __name__ == "__main__":
    main()
