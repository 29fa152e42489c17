#!/usr/bin/env python3
"""Names for ReadyToRun code in `perf script` output: a frame `ADDR [unknown] (/path/X.dll)` becomes `ADDR Method (/path/X.dll)`,
read from the `X.ni.r2rmap` that `dotnet publish ... -p:PublishReadyToRunEmitSymbols=true` writes beside `X.dll`. perf
gives an address in a .dll mapping as a file offset; the method map lists RVAs: the section's virtual address less its
raw offset is added. Assemblies without a map (the shared framework's) stay unnamed. Used for "Six more levers" in
docs/benchmarks.md.

Usage:
  dotnet publish src/Loom.Cli -c Release -o /tmp/loom-sym -p:PublishReadyToRunEmitSymbols=true
  perf record -g -o run.data /tmp/loom-sym/loom run ...
  perf script -i run.data | python3 tests/Loom.Benchmarks/scripts/r2r-symbols.py > run.txt
"""
import bisect
import os
import re
import struct
import sys

FRAME = re.compile(r"^(\s+)([0-9a-f]+) \[unknown\] \((.+\.dll)\)$")
# Per assembly: its sections and its methods by RVA, or None when it has no map.
MAPS = {}


def load(dll):
    if dll not in MAPS:
        MAPS[dll] = None
        method_map = dll[:-4] + ".ni.r2rmap"
        if os.path.exists(method_map):
            with open(dll, "rb") as f:
                image = f.read()
            pe = struct.unpack_from("<I", image, 0x3C)[0]
            count = struct.unpack_from("<H", image, pe + 6)[0]
            header = pe + 24 + struct.unpack_from("<H", image, pe + 20)[0]
            sections = []
            for i in range(count):
                _, address, raw_size, raw_offset = struct.unpack_from("<IIII", image, header + 40 * i + 8)
                sections.append((raw_offset, raw_size, address))
            methods = []
            with open(method_map) as f:
                for line in f:
                    parts = line.rstrip("\n").split(" ", 2)
                    if len(parts) == 3 and not parts[0].startswith("FFFFFF"):
                        methods.append((int(parts[0], 16), int(parts[1], 16), parts[2].replace(" ", "_")))
            methods.sort()
            MAPS[dll] = (sections, [m[0] for m in methods], methods)
    return MAPS[dll]


def name(dll, offset):
    info = load(dll)
    if info is None:
        return None
    sections, starts, methods = info
    for raw_offset, raw_size, address in sections:
        if raw_offset <= offset < raw_offset + raw_size:
            rva = offset - raw_offset + address
            i = bisect.bisect_right(starts, rva) - 1
            if i >= 0 and rva < methods[i][0] + methods[i][1]:
                return methods[i][2]
    return None


def main():
    for line in sys.stdin:
        match = FRAME.match(line.rstrip("\n"))
        if match and (method := name(match.group(3), int(match.group(2), 16))):
            line = f"{match.group(1)}{match.group(2)} {method} ({match.group(3)})\n"
        sys.stdout.write(line)


if __name__ == "__main__":
    main()
