#!/usr/bin/env python3
"""No false downing under load: 3 nodes x capacity 2 run a workflow that keeps the machine's CPUs busy for about
--minutes minutes (jobs of `head -c 16M /dev/urandom | sha256sum` in a loop for --job-seconds each, plus a last job that
needs them all). Counts the nodes' membership lines (unreachable / downed / removed / reachable) and Akka's
"heartbeat interval is growing too large" warnings in every node.log, samples the load average every 10 s, and checks
that the run succeeds.
Usage: tests/Loom.Benchmarks/cluster/noflap.py [--minutes 10] [--job-seconds 20] [--capacity 2]
"""
import argparse
import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clusterlib as c  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--minutes", type=float, default=10)
ap.add_argument("--job-seconds", type=int, default=20)
ap.add_argument("--capacity", type=int, default=2)
args = ap.parse_args()

slots = 3 * args.capacity
count = int(round(args.minutes * 60 / args.job_seconds)) * slots
step = (f"end=$(( $(date +%s) + {args.job_seconds} )); while [ $(date +%s) -lt $end ]; do "
        f"head -c 16M /dev/urandom | sha256sum > /dev/null; done; echo \"on $LOOM_NODE\"")
workflow = "jobs:\n" + "".join(f"  b{i}:\n    steps:\n      - run: '{step}'\n" for i in range(count))
workflow += "  last:\n    needs: [" + ", ".join(f"b{i}" for i in range(count)) + "]\n    steps:\n      - run: echo done\n"

print(f"# no-false-downing, {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, load {c.load_text()}; 3 nodes x capacity {args.capacity}, "
      f"{count} busy jobs of {args.job_seconds} s + 1 (about {args.minutes} min on {os.cpu_count()} cores)", flush=True)
cl = c.Cluster(3, args.capacity, "noflap").start()
loads, stop = [], threading.Event()


def sample():
    while not stop.wait(10):
        loads.append(os.getloadavg()[0])


threading.Thread(target=sample, daemon=True).start()
run = c.Run(cl, workflow, "noflap").start()
rc = run.wait(args.minutes * 60 * 3 + 600)
stop.set()
ev = run.events()
fin = next((e for e in ev if e["event"] == "runFinished"), None)
started = next((e for e in ev if e["event"] == "runStarted"), None)
per_node = {}
for e in ev:
    if e["event"] == "outputLine" and e.get("line", "").startswith("on "):
        per_node[e["line"][3:]] = per_node.get(e["line"][3:], 0) + 1
interrupted = sum(e["event"] == "jobInterrupted" for e in ev)
print(f"run: exit {rc}, result {fin and fin['result']}, wall {run.wall:.1f} s, runStarted->runFinished "
      f"{(c.at(fin) - c.at(started)) if fin and started else float('nan'):.1f} s; jobs interrupted {interrupted}; jobs per node {per_node}")
print(f"load average (1 min) every 10 s: median {sorted(loads)[len(loads) // 2] if loads else float('nan'):.1f}, "
      f"min {min(loads, default=float('nan')):.1f}, max {max(loads, default=float('nan')):.1f}")
patterns = {k: re.compile(p) for k, p in {
    "unreachable": r"member unreachable ", "downed": r"member downed ", "removed": r"member removed ",
    "reachable again": r"member reachable ", "heartbeat too large": r"heartbeat interval is growing too large",
    "heartbeat sending delayed": r"Scheduled sending of heartbeat was delayed",
    "SBR": r"SBR ", }.items()}
total_bad = 0
for n in cl.nodes:
    lines = n.node_log()
    # Only while the run went on: the graceful stop at the end logs leaving/removed lines of its own.
    during = [m for (t, _l, m) in lines if run.t0 <= t <= run.t1]
    counts = {k: sum(bool(p.search(m)) for m in during) for k, p in patterns.items()}
    total_bad += counts["unreachable"] + counts["downed"] + counts["removed"]
    worst = [int(x) for m in during for x in re.findall(r"growing too large for address \S+: (\d+) millis", m)]
    late = [float(x) for m in during for x in re.findall(r"Previous heartbeat was sent \[([\d.]+)\] ms ago", m)]
    print(f"node {n.index} ({n.address}): {counts}; largest heartbeat interval warned {max(worst, default=0)} ms; "
          f"largest delay of its own heartbeat {max(late, default=0):.0f} ms")
print(f"unreachable+downed+removed lines during the run: {total_bad} ({'none: target met' if total_bad == 0 else 'TARGET MISSED'})")
cl.stop()
print(f"load at end: {c.load_text()}")
