"""Run a benchmark once the host is quiet: the time aims of the issues are stated for this machine
unloaded, its CPU speed moves 2-4x from minute to minute, and its disk creates files 10x slower for
about a minute after a large deletion (bench/README.md).

Usage: `.venv/bin/python bench/when_quiet.py [--below 0.25] [--probe-below 80] [--wait 3600] -- COMMAND ...`,
e.g. `.venv/bin/python bench/when_quiet.py -- .venv/bin/python bench/generate.py 1000 3000 --runs 5`.

Polls the reference loop and the file-creation probe (`bench/host.py`) every `--every` seconds; when the
loop takes less than `--below` seconds (0.15-0.2 s on a quiet host) and one file takes less than
`--probe-below` microseconds to create (30-40 us when nothing was deleted lately), runs COMMAND and exits
with its code; exits 3 when `--wait` passes first. The probe's files are removed only after COMMAND ran.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from host import file_creation_probe, reference_loop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--below", type=float, default=0.25, help="seconds of the reference loop (0.25)")
    parser.add_argument("--probe-below", type=float, default=80.0, help="microseconds per file created (80)")
    parser.add_argument("--wait", type=float, default=3600.0, help="give up after this many seconds")
    parser.add_argument("--every", type=float, default=30.0, help="seconds between polls (30)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the benchmark to run, after --")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")
    deadline = time.monotonic() + args.wait
    probes = Path(tempfile.mkdtemp(prefix="snapshift-quiet-"))
    try:
        while True:
            seconds, micros = reference_loop(), file_creation_probe(probes)
            print(
                f"{time.strftime('%H:%M:%S')} reference loop {seconds * 1000:.0f} ms, "
                f"file creation {micros:.0f} us",
                flush=True,
            )
            if seconds < args.below and micros < args.probe_below:
                return subprocess.run(command, check=False).returncode
            if time.monotonic() + args.every > deadline:
                limits = f"loop < {args.below} s, file < {args.probe_below} us"
                print(f"the host was never quiet ({limits}) in {args.wait:.0f} s")
                return 3
            time.sleep(args.every)
    finally:
        shutil.rmtree(probes, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
