#!/usr/bin/env python3
"""The same `loom` under different runtime settings (environment variables), or different `loom` builds, side by side.

Each variant is NAME=SETTINGS, SETTINGS a comma-separated list of VAR=VALUE (empty: the defaults); LOOM=PATH in it runs
that build instead of --loom. Rounds are interleaved (every variant once per round). Per variant it prints the median
wall time and CPU (the process and its children) of a one-job run (start-up) and of fanout 500, 1000 and 2000 of `true`
at P=2, and the marginal cost per job from 500 to 2000 jobs. Used for "Per thread, and what the code runs as" in
docs/benchmarks.md.

Usage (from the repository's root, after the README's first command built .build/loom):
  python3 tests/Loom.Benchmarks/scripts/runtime-settings.py --rounds 3 default= \\
      tiering-off=DOTNET_TieredCompilation=0 jit=DOTNET_ReadyToRun=0,DOTNET_TieredCompilation=0
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
SIZES = [1, 500, 1000, 2000]


def parse_variant(text, default_loom):
    name, _, settings = text.partition("=")
    environment = dict(os.environ)
    loom = default_loom
    for setting in filter(None, settings.split(",")):
        key, _, value = setting.partition("=")
        if key == "LOOM":
            loom = value
        else:
            environment[key] = value
    return name, [loom, "run", "--max-parallel", "2"], environment


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--loom", default=os.path.join(ROOT, ".build", "loom", "loom"))
    parser.add_argument("variants", nargs="+", metavar="NAME=SETTINGS")
    options = parser.parse_args()
    variants = [parse_variant(v, options.loom) for v in options.variants]
    work = tempfile.mkdtemp(prefix="loom-runtime-settings-")
    try:
        folders = {}
        for size in SIZES:
            folders[size] = os.path.join(work, str(size))
            shape = ["--shape", "startup"] if size == 1 else ["--shape", "fanout", "--n", str(size)]
            subprocess.run([sys.executable, GEN, *shape, "--out", folders[size]], check=True, stdout=subprocess.DEVNULL)
        results = {}
        for _ in range(options.rounds):
            for name, command, environment in variants:
                for size in SIZES:
                    results.setdefault((name, size), []).append(timed(command, folders[size], environment))
        for name, _, _ in variants:
            wall = {s: statistics.median(w for w, _ in results[(name, s)]) for s in SIZES}
            cpu = {s: statistics.median(c for _, c in results[(name, s)]) for s in SIZES}
            cells = "  ".join(f"{'start-up' if s == 1 else s}: {wall[s]:.3f} s ({cpu[s]:.2f} s CPU)" for s in SIZES)
            marginal = (wall[2000] - wall[500]) / 1.5
            marginal_cpu = (cpu[2000] - cpu[500]) / 1.5
            print(f"{name:14s} {cells}  marginal {marginal:.3f} ms/job ({marginal_cpu:.3f} ms CPU)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
