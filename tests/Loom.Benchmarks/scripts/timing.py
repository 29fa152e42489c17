"""What the benchmark scripts here share: one timed run of a tool in a workload folder."""
import os
import shutil
import subprocess
import sys
import time


def timed(command, folder, environment=None):
    """Runs command in folder (its .loom state removed first); returns (wall seconds, CPU seconds of it and its children)."""
    shutil.rmtree(os.path.join(folder, ".loom"), ignore_errors=True)
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=folder, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{command[0]} failed in {folder}")
    return wall, usage.ru_utime + usage.ru_stime
