#!/usr/bin/env python3
"""Where a slot's time goes between one job's process exit and the next job's fork, against make -j2.

Runs a fanout of `true` jobs at P=2 once under `perf record -a` with uprobes on the native `loom`'s functions along the
path (the step's completion, the runner's report, the scheduler starting the next runner, its launch, the spawn) and the
kernel's fork/exec/exit tracepoints, then prints the median of each segment of that path, and make's exit-to-next-fork
for the same DAG. Root, perf and the native build's symbols (`.build/native/publish/loom.dbg`, from the README's
publish) are needed; the probes are removed again at the end.

Usage (from the repository's root): python3 tests/Loom.Benchmarks/scripts/turnaround.py [--n 2000]
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
GEN = os.path.join(ROOT, "..", "shared", "bench", "gen.py")
NATIVE = os.path.join(ROOT, ".build", "native", "publish", "loom")
GROUP = "loom_turnaround"

# Probe name -> native symbol, in the order a job's end leads to the next job's start.
PATH = [
    ("complete", "Loom_Actors_Loom_Actors_Execution_StepProcess__Complete"),
    ("stepexited", "Loom_Actors_Loom_Actors_Running_RunnerActor__OnStepExited"),
    ("report", "Loom_Actors_Loom_Actors_Running_RunnerActor__Report"),
    ("startrunner", "Loom_Actors_Loom_Actors_Scheduling_SchedulerActor__StartRunner"),
    ("runnerstart", "Loom_Actors_Loom_Actors_Running_RunnerActor__Start"),
    ("launch", "Loom_Actors_Loom_Actors_Running_RunnerActor__Launch"),
    ("spawn", "Loom_Actors_Loom_Actors_Execution_Spawner__Spawn"),
]
KERNEL = ["sched:sched_process_fork", "sched:sched_process_exec", "sched:sched_process_exit"]


def addresses():
    symbols = subprocess.run(["nm", NATIVE + ".dbg"], capture_output=True, text=True, check=True).stdout
    found = {}
    for line in symbols.splitlines():
        parts = line.split()
        if len(parts) == 3:
            found[parts[2]] = parts[0]
    return {name: "0x" + found[symbol].lstrip("0") for name, symbol in PATH}


def record(command, folder, probes):
    data = os.path.join(folder, "perf.data")
    events = [arg for name in probes for arg in ("-e", f"{GROUP}:{name}")] + [arg for e in KERNEL for arg in ("-e", e)]
    shutil.rmtree(os.path.join(folder, ".loom"), ignore_errors=True)
    subprocess.run(["perf", "record", "-a", "-q", "-o", data, *events, "--", *command], cwd=folder,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    script = subprocess.run(["perf", "script", "-i", data, "-F", "tid,time,event,trace"], capture_output=True, text=True).stdout
    events = []
    for line in script.splitlines():
        match = re.match(r"\s*(\d+)\s+(\d+\.\d+):\s+(\S+):\s*(.*)", line)
        if match:
            events.append((float(match.group(2)), match.group(3).split(":")[-1], match.group(4)))
    events.sort()
    return events


def segments(events, probes):
    """For each exit of a `true`, the first of each probe after it, up to the next fork that follows a spawn."""
    jobs = {int(m.group(1)) for _, name, rest in events if name == "sched_process_exec" and "/true" in rest
            for m in [re.search(r"pid=(\d+)", rest)] if m}
    order = ["exit", *probes, "fork"]
    durations = {}
    pending = None
    for time, name, rest in events:
        if name == "sched_process_exit":
            pid = re.search(r"pid=(\d+)", rest)
            if pid and int(pid.group(1)) in jobs:
                pending = {"exit": time}
            continue
        if pending is None:
            continue
        if name in probes and name not in pending:
            pending[name] = time
        elif name == "sched_process_fork" and (not probes or "spawn" in pending):
            pending["fork"] = time
            seen = [step for step in order if step in pending]
            for before, after in zip(seen, seen[1:]):
                durations.setdefault(f"{before} -> {after}", []).append((pending[after] - pending[before]) * 1e6)
            durations.setdefault("exit -> next fork", []).append((pending["fork"] - pending["exit"]) * 1e6)
            pending = None
    return durations


def report(title, durations, order):
    print(f"\n{title}")
    print("| segment | jobs | median us | p25 | p75 |")
    print("|---|---|---|---|---|")
    for key in order:
        values = sorted(durations.get(key, []))
        if len(values) > 20:
            print(f"| {key} | {len(values)} | {statistics.median(values):.0f} | {values[len(values) // 4]:.0f} | {values[len(values) * 3 // 4]:.0f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000)
    options = parser.parse_args()
    if not os.path.exists(NATIVE + ".dbg"):
        sys.exit(f"{NATIVE}.dbg not found: run the README's publish first")
    work = tempfile.mkdtemp(prefix="loom-turnaround-")
    names = [name for name, _ in PATH]
    try:
        subprocess.run([sys.executable, GEN, "--shape", "fanout", "--n", str(options.n), "--out", work], check=True, stdout=subprocess.DEVNULL)
        for name, address in addresses().items():
            subprocess.run(["perf", "probe", "-q", "-x", NATIVE, "-a", f"{GROUP}:{name}={address}"], check=True)
        loom = segments(record([NATIVE, "run", "--max-parallel", "2", "--plain"], work, names), names)
        make = segments(record(["make", "-s", "-j2", "-f", "Makefile"], work, []), [])
        chain = ["exit", *names, "fork"]
        report(f"loom, fanout {options.n} at P=2", loom, [f"{a} -> {b}" for a, b in zip(chain, chain[1:])] + ["exit -> next fork"])
        report("make -j2, the same DAG", make, ["exit -> next fork"])
    finally:
        subprocess.run(["perf", "probe", "-q", "-d", f"{GROUP}:*"], stderr=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
