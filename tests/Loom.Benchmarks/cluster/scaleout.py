#!/usr/bin/env python3
"""Scale-out and dispatch overhead of a Loom cluster.

Two clusters are up at once (each on its own PostgreSQL database): 3 nodes x capacity C and 1 node x capacity C. Runs
alternate between them (A B A B ...) so that both see the same machine load, after one untimed warm-up run each.
  - fan-out: N independent `sleep S` jobs; wall time from starting `loom run --cluster` to its exit, and the cluster's
    runStarted -> runFinished (from the events' `at`); speed-up = 1-node time / 3-node time (medians);
  - dispatch: M independent `true` jobs; jobs/s and ms/job from runStarted -> runFinished (and from the wall time).
Usage: tests/Loom.Benchmarks/cluster/scaleout.py [--reps 3] [--fanout 48] [--sleep 1] [--dispatch 1000] [--capacity 4]
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clusterlib as c  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--reps", type=int, default=3)
ap.add_argument("--fanout", type=int, default=48)
ap.add_argument("--sleep", default="1")
ap.add_argument("--dispatch", type=int, default=1000)
ap.add_argument("--capacity", type=int, default=4)
ap.add_argument("--skip", choices=["fanout", "dispatch"])
ap.add_argument("--stall", type=float, default=60, help="seconds without output after which a run counts as hung")
args = ap.parse_args()


def jobs(n, command):
    return "jobs:\n" + "".join(f"  j{i}:\n    steps:\n      - run: {command}\n" for i in range(n))


class Hung(Exception):
    pass


hangs = []


def timed(cl, workflow, name):
    load = c.load_text()
    run = c.Run(cl, workflow, name).start()
    # A run whose output stops growing for --stall seconds is stuck (seen: a job refused by a full node is placed again
    # under the same runner entity id while that entity stops, the StartRunner goes to dead letters and the job never
    # starts). It is killed, recorded, and its cluster replaced: the dispatcher still counts the lost job's slot.
    size, last = -1, time.time()
    while run.proc.poll() is None:
        now_size = os.path.getsize(run.out_path)
        if now_size != size:
            size, last = now_size, time.time()
        elif time.time() - last > args.stall:
            c._kill_group(run.proc, 9)
            run.proc.wait()
            ev = run.events()
            started = {e["jobId"] for e in ev if e["event"] == "jobStarted"}
            done = {e["jobId"] for e in ev if e["event"] == "jobFinished"}
            refused = [m for n in cl.nodes for (_t, _l, m) in n.node_log() if "refused by" in m or "was not delivered" in m]
            info = {"run": name, "cluster": f"{len(cl.nodes)} node(s)", "jobs_started_not_finished": sorted(started - done),
                    "node_log": refused[-6:], "load": load}
            hangs.append(info)
            raise Hung(str(info))
        time.sleep(0.05)
    rc = run.wait(10)
    ev = run.events()
    started = next((e for e in ev if e["event"] == "runStarted"), None)
    finished = next((e for e in ev if e["event"] == "runFinished"), None)
    if rc != 0 or not finished or finished["result"] != "success":
        raise RuntimeError(f"{name}: exit {rc}, {finished}\n{run.stderr()[-2000:]}")
    nodes = {}
    for e in ev:
        if e["event"] == "stepStarted":
            nodes[e["jobId"]] = True
    inner = c.at(finished) - c.at(started)
    return {"wall": run.wall, "inner": inner, "load": load, "client_to_start": c.at(started) - run.t0,
            "finish_to_exit": run.t1 - c.at(finished)}


print(f"# scale-out, {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, load {c.load_text()}; loom run --cluster ... --json; "
      f"capacity {args.capacity}", flush=True)
three = c.Cluster(3, args.capacity, "scale3").start()
one = c.Cluster(1, args.capacity, "scale1").start()
print(f"clusters up: 3 nodes in {three.up_seconds:.1f} s, 1 node in {one.up_seconds:.1f} s", flush=True)
clusters = {"3 nodes": three, "1 node": one}

suites = []
if args.skip != "fanout":
    suites.append(("fanout", jobs(args.fanout, f"sleep {args.sleep}"), args.fanout))
if args.skip != "dispatch":
    suites.append(("dispatch", jobs(args.dispatch, "true"), args.dispatch))

for suite, workflow, n in suites:
    results = {k: [] for k in clusters}
    def attempt(k, name):
        for _ in range(4):
            try:
                return timed(clusters[k], workflow, name)
            except Hung as e:
                print(f"HUNG: {e}", flush=True)
                old = clusters[k]
                old.stop()
                clusters[k] = c.Cluster(old.size, args.capacity, "scale%d" % old.size).start()
                timed(clusters[k], workflow, f"{name}-rewarm")
        raise RuntimeError(f"{name} on {k}: hung 4 times")

    for k in clusters:  # warm-up: JIT of the paths, PostgreSQL connections, the run's files
        attempt(k, f"{suite}-warm")
    for rep in range(args.reps):
        for k in clusters:
            r = attempt(k, f"{suite}-{rep}")
            results[k].append(r)
            print(f"{suite} {k} rep {rep + 1}: wall {r['wall']:.2f} s, runStarted->runFinished {r['inner']:.2f} s, "
                  f"client start->runStarted {r['client_to_start']:.2f} s, runFinished->exit {r['finish_to_exit']:.2f} s, load {r['load']}",
                  flush=True)
    med = {k: {m: statistics.median(x[m] for x in v) for m in ("wall", "inner")} for k, v in results.items()}
    print(f"## {suite}: {n} jobs, {args.reps} reps each, medians (min-max)")
    for k, v in results.items():
        walls = [x["wall"] for x in v]
        inners = [x["inner"] for x in v]
        print(f"  {k}: wall {med[k]['wall']:.2f} s ({min(walls):.2f}-{max(walls):.2f}), "
              f"runStarted->runFinished {med[k]['inner']:.2f} s ({min(inners):.2f}-{max(inners):.2f}); "
              f"{n / med[k]['inner']:.0f} jobs/s, {1000 * med[k]['inner'] / n:.2f} ms/job (inner); "
              f"{n / med[k]['wall']:.0f} jobs/s, {1000 * med[k]['wall'] / n:.2f} ms/job (wall)")
    print(f"  speed-up 3 nodes vs 1: wall {med['1 node']['wall'] / med['3 nodes']['wall']:.2f}x, "
          f"runStarted->runFinished {med['1 node']['inner'] / med['3 nodes']['inner']:.2f}x", flush=True)

for cl in clusters.values():
    cl.stop()
print(f"runs that hung (killed after {args.stall:.0f} s without output, cluster replaced, run again): {len(hangs)}")
for h in hangs:
    print(f"  {h}")
print(f"load at end: {c.load_text()}")
