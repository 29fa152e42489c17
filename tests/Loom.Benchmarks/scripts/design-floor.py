#!/usr/bin/env python3
"""Loom against the floor of its own design and against make, on the peer benchmark's DAGs.

The design floor (tests/Loom.Benchmarks/design-floor) is the architecture the issue asks for with nothing of Loom
in it: one scheduler actor, one runner actor per job, each job a real process started without a shell, on a local
Akka.NET actor system. What Loom costs above it is Loom's own (parsing, events, journal, output, step environment,
job files, the launcher's pipes and reactor); what the floor costs above make is Akka.NET and .NET.

Rounds are interleaved (make, floor, loom, make, ...) so that the machine's drift hits every tool alike. Prints per
shape the median wall time and its ratio to make, then the marginal cost per job ((t(N2) - t(N1)) / (N2 - N1), wall
and CPU of the tool and its children).

Usage (from the repository's root, after the README's first command built .build/loom):
  python3 tests/Loom.Benchmarks/scripts/design-floor.py [--rounds 7] [--loom .build/loom/loom]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

from timing import timed

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
GEN = os.path.join(ROOT, "..", "shared", "bench", "gen.py")
SHAPES = [("fanout 1000", ["--shape", "fanout", "--n", "1000"]),
          ("random 1000", ["--shape", "random", "--n", "1000", "--k", "3", "--seed", "1"]),
          ("fanout 500", ["--shape", "fanout", "--n", "500"]),
          ("fanout 2000", ["--shape", "fanout", "--n", "2000"])]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--loom", default=os.path.join(ROOT, ".build", "loom", "loom"))
    parser.add_argument("-P", "--parallel", type=int, default=2)
    options = parser.parse_args()
    work = tempfile.mkdtemp(prefix="loom-design-floor-")
    try:
        floor = os.path.join(work, "floor")
        subprocess.run(["dotnet", "publish", os.path.join(ROOT, "tests", "Loom.Benchmarks", "design-floor"), "-c", "Release",
                        "-o", floor, "--artifacts-path", os.path.join(work, "build")], check=True, stdout=subprocess.DEVNULL)
        folders = {}
        for name, arguments in SHAPES:
            folders[name] = os.path.join(work, name.replace(" ", "-"))
            subprocess.run([sys.executable, GEN, *arguments, "--out", folders[name]], check=True, stdout=subprocess.DEVNULL)
        p = str(options.parallel)
        tools = {"make": lambda f: ["make", "-s", f"-j{p}"],
                 "design floor": lambda f: [os.path.join(floor, "DesignFloor"), "graph.json", p],
                 "loom": lambda f: [os.path.abspath(options.loom), "run", "--max-parallel", p]}
        results = {(tool, shape): [] for tool in tools for shape, _ in SHAPES}
        for _ in range(options.rounds):
            for shape, _ in SHAPES:
                for tool, command in tools.items():
                    results[(tool, shape)].append(timed(command(folders[shape]), folders[shape]))
        print(f"P={p}, {options.rounds} interleaved rounds, medians\n")
        print("| shape | make | design floor | loom | floor x make | loom x make | loom x floor |")
        print("|---|---|---|---|---|---|---|")
        for shape, _ in SHAPES:
            make, floor_wall, loom = (statistics.median(w for w, _ in results[(t, shape)]) for t in tools)
            print(f"| {shape} | {make:.3f} s | {floor_wall:.3f} s | {loom:.3f} s | {floor_wall / make:.2f} | {loom / make:.2f} | {loom / floor_wall:.2f} |")
        print("\n| marginal, fanout 500 -> 2000 | wall ms/job | CPU ms/job (with the jobs' processes) |")
        print("|---|---|---|")
        for tool in tools:
            small, large = results[(tool, "fanout 500")], results[(tool, "fanout 2000")]
            wall = statistics.median((b[0] - a[0]) / 1.5 for a, b in zip(small, large))
            cpu = statistics.median((b[1] - a[1]) / 1.5 for a, b in zip(small, large))
            print(f"| {tool} | {wall:.3f} | {cpu:.3f} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
