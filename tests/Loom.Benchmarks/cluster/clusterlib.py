"""Shared harness of the cluster benchmarks: PostgreSQL-backed `loom serve` nodes on free ports, `loom run --cluster`,
NDJSON and node-log parsing. Every process started here is in its own process group and is killed (SIGTERM, then
SIGKILL) on exit, on an exception and on SIGINT/SIGTERM of the script; the benchmark's database is dropped.

Environment: LOOM (default .build/loom/loom), LOOM_BENCH_PG (default: /tmp/loom-dev-pg/conn, else
Host=127.0.0.1;Port=55432;Username=postgres;Database=postgres), LOOM_BENCH_KEEP=1 keeps the temp folder.
"""
import atexit
import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

LOOM = os.path.realpath(os.environ.get("LOOM", ".build/loom/loom"))

_procs = []  # every Popen started here
_cleanups = []  # callables run at exit, newest first


def log(*args):
    print(f"[{dt.datetime.now():%H:%M:%S}]", *args, file=sys.stderr, flush=True)


def load():
    return os.getloadavg()


def load_text():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def base_conn():
    if "LOOM_BENCH_PG" in os.environ:
        return os.environ["LOOM_BENCH_PG"]
    try:
        with open("/tmp/loom-dev-pg/conn") as f:
            return f.read().strip()
    except OSError:
        return "Host=127.0.0.1;Port=55432;Username=postgres;Database=postgres"


def _conn_parts(conn):
    return dict(p.split("=", 1) for p in conn.split(";") if "=" in p)


def _psql(conn, sql):
    parts = _conn_parts(conn)
    env = dict(os.environ)
    if "Password" in parts:
        env["PGPASSWORD"] = parts["Password"]
    subprocess.run(["psql", "-v", "ON_ERROR_STOP=1", "-q", "-h", parts.get("Host", "127.0.0.1"), "-p", parts.get("Port", "5432"),
                    "-U", parts.get("Username", "postgres"), "-d", parts.get("Database", "postgres"), "-c", sql],
                   check=True, env=env, stdout=subprocess.DEVNULL)


def create_database():
    """A fresh database for one cluster; dropped at exit."""
    conn = base_conn()
    name = "loom_bench_" + uuid.uuid4().hex[:12]
    _psql(conn, f"CREATE DATABASE {name}")
    at_exit(lambda: _psql(conn, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    parts = _conn_parts(conn)
    parts["Database"] = name
    return ";".join(f"{k}={v}" for k, v in parts.items())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def at_exit(fn):
    _cleanups.append(fn)


def _kill_group(p, sig):
    try:
        os.killpg(p.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def cleanup():
    for p in _procs:
        if p.poll() is None:
            _kill_group(p, signal.SIGTERM)
    deadline = time.time() + 15
    for p in _procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            pass
    for p in _procs:
        # Step processes of a node live in the node's group; make sure nothing is left even if the leader exited.
        _kill_group(p, signal.SIGKILL)
        if p.poll() is None:
            p.wait()
    _procs.clear()
    while _cleanups:
        fn = _cleanups.pop()
        try:
            fn()
        except Exception as e:  # keep cleaning up
            log("cleanup:", e)


atexit.register(cleanup)


def _on_signal(signum, _frame):
    log(f"signal {signum}: cleaning up")
    cleanup()
    sys.exit(128 + signum)


signal.signal(signal.SIGINT, _on_signal)
signal.signal(signal.SIGTERM, _on_signal)


def start(args, cwd, stdout, stderr):
    p = subprocess.Popen(args, cwd=cwd, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL, start_new_session=True,
                         env={k: v for k, v in os.environ.items() if not k.lower().startswith(("loom__", "akka__"))})
    _procs.append(p)
    return p


def tempdir(prefix):
    d = tempfile.mkdtemp(prefix=prefix)
    if os.environ.get("LOOM_BENCH_KEEP") != "1":
        at_exit(lambda: shutil.rmtree(d, ignore_errors=True))
    else:
        log("keeping", d)
    return d


class Node:
    def __init__(self, cluster, index, port):
        self.cluster, self.index, self.port = cluster, index, port
        self.address = f"akka.tcp://loom@127.0.0.1:{port}"
        self.workspace = os.path.join(cluster.folder, f"node-{index}")
        self.stderr_path = os.path.join(cluster.folder, f"node-{index}.stderr")
        self.proc = None

    def start(self):
        os.makedirs(self.workspace, exist_ok=True)
        args = [LOOM, "serve", "--port", str(self.port), "--workspace", self.workspace, "--db", self.cluster.db, "--capacity",
                str(self.cluster.capacity)]
        for p in self.cluster.ports:
            args += ["--seed", f"127.0.0.1:{p}"]
        self.err = open(self.stderr_path, "ab")
        self.proc = start(args, self.cluster.folder, subprocess.DEVNULL, self.err)

    def stderr(self):
        with open(self.stderr_path, errors="replace") as f:
            return f.read()

    def node_log(self):
        """(datetime, message) of every line of <workspace>/logs/node*.log (Serilog's file format has the date)."""
        out = []
        folder = os.path.join(self.workspace, "logs")
        for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
            with open(os.path.join(folder, name), errors="replace") as f:
                for line in f:
                    m = re.match(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) ([+-]\d\d:\d\d) \[(\w+)\] (.*)", line)
                    if m:
                        t = dt.datetime.fromisoformat(f"{m.group(1)}{m.group(2)}")
                        out.append((t.timestamp(), m.group(3), m.group(4)))
        return out

    def kill(self, sig=signal.SIGKILL):
        """Signals the node process only (not its group: a SIGKILLed node's step processes are orphaned as in a real crash)."""
        os.kill(self.proc.pid, sig)


class Cluster:
    def __init__(self, size, capacity, name="cluster"):
        self.size, self.capacity = size, capacity
        self.folder = tempdir(f"loom-bench-{name}-")
        self.db = create_database()
        self.ports = []
        while len(self.ports) < size:
            p = free_port()
            if p not in self.ports:
                self.ports.append(p)
        self.nodes = [Node(self, i, p) for i, p in enumerate(self.ports)]

    @property
    def contacts(self):
        return ",".join(f"127.0.0.1:{p}" for p in self.ports)

    def start(self, timeout=120):
        t0 = time.time()
        # The first seed first: it is the oldest member and holds the coordinator singleton.
        self.nodes[0].start()
        self.wait_line(self.nodes[0], f"node up {self.nodes[0].address}", timeout)
        for n in self.nodes[1:]:
            n.start()
        for n in self.nodes:
            self.wait_line(self.nodes[0], f"member up {n.address} ", timeout)
        for n in self.nodes[1:]:
            self.wait_line(n, f"node up {n.address}", timeout)
        self.up_seconds = time.time() - t0
        return self

    def wait_line(self, node, text, timeout):
        deadline = time.time() + timeout
        while text not in node.stderr():
            if node.proc.poll() is not None:
                raise RuntimeError(f"node {node.index} exited {node.proc.returncode}:\n{node.stderr()[-3000:]}")
            if time.time() > deadline:
                raise TimeoutError(f"node {node.index}: '{text}' not seen in {timeout} s:\n{node.stderr()[-3000:]}")
            time.sleep(0.05)

    def stop(self):
        """SIGTERM every live node (graceful), then wait."""
        for n in self.nodes:
            if n.proc and n.proc.poll() is None:
                n.kill(signal.SIGTERM)
        for n in self.nodes:
            if n.proc:
                try:
                    n.proc.wait(timeout=90)
                except subprocess.TimeoutExpired:
                    _kill_group(n.proc, signal.SIGKILL)
                    n.proc.wait()
                _kill_group(n.proc, signal.SIGKILL)  # any leftover step process


class Run:
    """`loom run --cluster CONTACTS --json` of a workflow text, in its own project folder."""

    def __init__(self, cluster, workflow, name="run", extra=()):
        self.folder = os.path.join(cluster.folder, name)
        os.makedirs(self.folder, exist_ok=True)
        with open(os.path.join(self.folder, ".loom.yml"), "w") as f:
            f.write(workflow)
        self.out_path = os.path.join(self.folder, "stdout.ndjson")
        self.err_path = os.path.join(self.folder, "stderr.txt")
        self.args = [LOOM, "run", "--cluster", cluster.contacts, "--json", *extra]
        self.command = " ".join(self.args)

    def start(self):
        self.out, self.err = open(self.out_path, "wb"), open(self.err_path, "wb")
        self.t0 = time.time()
        self.proc = start(self.args, self.folder, self.out, self.err)
        return self

    def wait(self, timeout):
        rc = self.proc.wait(timeout=timeout)
        self.t1 = time.time()
        self.wall = self.t1 - self.t0
        return rc

    def events(self):
        out = []
        with open(self.out_path, errors="replace") as f:
            for line in f:
                line = line.strip()
                if line:
                    try:
                        out.append(json.loads(line))
                    except json.JSONDecodeError:
                        pass  # a line being written
        return out

    def stderr(self):
        with open(self.err_path, errors="replace") as f:
            return f.read()


def at(event):
    """An event's `at` as epoch seconds."""
    return dt.datetime.fromisoformat(event["at"].replace("Z", "+00:00")).timestamp()


def summary(values, fmt="{:.2f}"):
    if not values:
        return "n/a"
    s = sorted(values)
    return (f"median {fmt.format(statistics.median(s))}, min {fmt.format(s[0])}, max {fmt.format(s[-1])} "
            f"(n={len(s)}: {', '.join(fmt.format(v) for v in values)})")
