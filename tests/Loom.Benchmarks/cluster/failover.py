#!/usr/bin/env python3
"""Failover time of a Loom cluster: SIGKILL of a node running jobs -> the interrupted jobs run again on a survivor.

Each trial starts a fresh 3-node cluster (PostgreSQL, capacity 4 each, every node a seed in the same order) and submits
JOBS independent jobs of `echo on $LOOM_NODE; sleep SLEEP` with `loom run --cluster --json`; once every job's step is
running (JOBS=6: two on each node, so the survivors have free slots and the re-runs wait for nothing but failover) the
victim is SIGKILLed. Measured from the kill:
  - rerun (ndjson): the `stepStarted` of each interrupted job's re-run attempt, by its `at`; `first` = the first job
    running again, `all` = the last of them (the target is on `all`);
  - rerun (marker): the same from the step process itself: every step appends `epoch job node` to a file first, so this
    does not depend on the client seeing the events (after a coordinator failover it re-follows every 2 s);
  - the split, from the survivors' node.log (earliest survivor): member unreachable, member downed, member removed;
    with --victim coordinator also the singleton's takeover on the next-oldest node;
  - that the run still succeeds (exit 0, runFinished success).
Usage: tests/Loom.Benchmarks/cluster/failover.py --victim runner|coordinator [--trials 5] [--jobs 6] [--sleep 20]
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clusterlib as c  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--victim", choices=["runner", "coordinator"], required=True)
ap.add_argument("--trials", type=int, default=5)
ap.add_argument("--jobs", type=int, default=6)
ap.add_argument("--sleep", type=int, default=20)
ap.add_argument("--capacity", type=int, default=4)
ap.add_argument("--json-out", help="append one JSON line per trial here")
ap.add_argument("--keep", help="copy each trial's NDJSON, start markers and node logs under this folder")
args = ap.parse_args()

victim_index = 0 if args.victim == "coordinator" else 2


def workflow(marker):
    out = "jobs:\n"
    for i in range(args.jobs):
        out += (f"  j{i}:\n    steps:\n      - run: echo \"$(date +%s.%N) j{i} $LOOM_NODE\" >> {marker} && "
                f"echo \"on $LOOM_NODE\" && sleep {args.sleep}\n")
    return out


def first_log(nodes, needle):
    times = [t for n in nodes for (t, _lvl, msg) in n.node_log() if needle in msg]
    return min(times) if times else None


def trial(k):
    load_before = c.load_text()
    cl = c.Cluster(3, args.capacity, f"failover-{args.victim}")
    cl.start()
    victim = cl.nodes[victim_index]
    survivors = [n for n in cl.nodes if n is not victim]
    marker = os.path.join(cl.folder, "starts.log")
    open(marker, "w").close()
    run = c.Run(cl, workflow(marker)).start()
    # Wait until every job's step runs (and the victim runs some).
    deadline = time.time() + 120
    while True:
        with open(marker) as f:
            starts = [line.split() for line in f if line.strip()]
        if len({s[1] for s in starts}) >= args.jobs and any(s[2] == victim.address for s in starts):
            break
        if run.proc.poll() is not None or time.time() > deadline:
            raise RuntimeError(f"jobs did not all start: {starts}\n{run.stderr()}")
        time.sleep(0.02)
    on_victim = sorted({s[1] for s in starts if s[2] == victim.address})
    load_at_kill = c.load_text()
    t_kill = time.time()
    victim.kill()
    rc = run.wait(300)
    events = run.events()
    finished = [e for e in events if e["event"] == "runFinished"]
    result = finished[-1]["result"] if finished else None

    # Re-runs, from the marker file: the first start of each job after the kill (on a survivor).
    with open(marker) as f:
        starts = [line.split() for line in f if line.strip()]
    rerun_marker = {}
    for ts, job, node in starts:
        if float(ts) > t_kill and job not in rerun_marker:
            rerun_marker[job] = (float(ts) - t_kill, node)
    # From the NDJSON: stepStarted after the kill, per job; jobStarted of attempt > 1; jobInterrupted.
    rerun_ndjson, started_attempts, interrupted = {}, {}, []
    for e in events:
        if e["event"] == "stepStarted" and c.at(e) > t_kill and e["jobId"] not in rerun_ndjson:
            rerun_ndjson[e["jobId"]] = c.at(e) - t_kill
        if e["event"] == "jobStarted" and e.get("attempt", 1) > 1:
            started_attempts.setdefault(e["jobId"], c.at(e) - t_kill)
        if e["event"] == "jobInterrupted":
            interrupted.append(e["jobId"])
    rerun_jobs = sorted(rerun_marker)

    def span(d):
        vals = [v[0] if isinstance(v, tuple) else v for v in d.values()]
        return (min(vals), max(vals)) if vals else (None, None)

    split = {
        "unreachable": first_log(survivors, f"member unreachable {victim.address}"),
        "downed": first_log(survivors, f"member downed {victim.address}"),
        "removed": first_log(survivors, f"member removed {victim.address}"),
    }
    if args.victim == "coordinator":
        # The next-oldest's singleton manager starts the coordinator (after the removal margin), which then reads the
        # journal's unfinished runs and goes on with them.
        split["coordinator started"] = first_log(survivors, "started singleton actor [akka://loom/user/loom-coordinator")
        split["run recovered"] = first_log(survivors, "was not finished: going on with it")
    split = {k: (v - t_kill if v else None) for k, v in split.items()}
    m_first, m_all = span(rerun_marker)
    n_first, n_all = span(rerun_ndjson)
    rec = {
        "trial": k, "victim": args.victim, "load_before": load_before, "load_at_kill": load_at_kill, "load_after": c.load_text(),
        "cluster_up_s": round(cl.up_seconds, 2), "exit": rc, "result": result,
        "on_victim": on_victim, "interrupted": sorted(set(interrupted)), "rerun_jobs": rerun_jobs,
        "rerun_nodes": sorted({v[1] for v in rerun_marker.values()}),
        "marker_first_s": m_first, "marker_all_s": m_all, "ndjson_first_s": n_first, "ndjson_all_s": n_all,
        "jobStarted_attempt2_s": started_attempts, "split_s": split,
        "run_wall_s": round(run.wall, 2),
        # What the client (`loom run --cluster`) saw: its first event stamped after the kill. Events the cluster sent while
        # the client's receptionist tunnel was dead are not shown again, so a late value means a gap in the output.
        "client_first_event_after_kill_s": min((c.at(e) - t_kill for e in events if c.at(e) > t_kill), default=None),
        "client_saw_reruns": len(rerun_ndjson),
    }
    if args.keep:
        import shutil
        dest = os.path.join(args.keep, f"{args.victim}-{k}")
        os.makedirs(dest, exist_ok=True)
        shutil.copy(run.out_path, dest)
        shutil.copy(marker, dest)
        for n in cl.nodes:
            shutil.copytree(os.path.join(n.workspace, "logs"), os.path.join(dest, f"node-{n.index}-logs"), dirs_exist_ok=True)
    cl.stop()
    return rec


print(f"# failover, victim={args.victim} (node {victim_index}), {args.trials} trials, {args.jobs} jobs of sleep {args.sleep}, "
      f"3 nodes x capacity {args.capacity}; {time.strftime('%Y-%m-%d %H:%M:%S %Z')}; load {c.load_text()}", flush=True)
records = []
for k in range(1, args.trials + 1):
    rec = trial(k)
    records.append(rec)
    print(json.dumps(rec), flush=True)
    if args.json_out:
        with open(args.json_out, "a") as f:
            f.write(json.dumps(rec) + "\n")


def col(key, sub=None):
    vals = [(r[key][sub] if sub else r[key]) for r in records]
    return [v for v in vals if v is not None]


print(f"victim {args.victim}: runs ok {sum(r['exit'] == 0 and r['result'] == 'success' for r in records)}/{len(records)}")
print(f"  kill -> all interrupted jobs running again (marker)  {c.summary(col('marker_all_s'))}")
print(f"  kill -> first interrupted job running again (marker) {c.summary(col('marker_first_s'))}")
print(f"  kill -> all re-run stepStarted (ndjson at)           {c.summary(col('ndjson_all_s'))}")
print(f"  kill -> first re-run stepStarted (ndjson at)         {c.summary(col('ndjson_first_s'))}")
for key in records[0]["split_s"]:
    print(f"  kill -> {key:<11} (survivors' node.log)        {c.summary(col('split_s', key))}")
print(f"  jobs re-run per trial: {[len(r['rerun_jobs']) for r in records]}; on victim at kill: {[len(r['on_victim']) for r in records]}")
print(f"  client: first event stamped after the kill at {[r['client_first_event_after_kill_s'] and round(r['client_first_event_after_kill_s'], 1) for r in records]} s; "
      f"re-runs it showed {[r['client_saw_reruns'] for r in records]} of {[len(r['rerun_jobs']) for r in records]}")
print(f"  load: {[r['load_at_kill'] for r in records]}")
