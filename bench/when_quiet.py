"""Run a benchmark once the host is quiet: the time aims of the issues are stated for this machine
unloaded, and its CPU speed moves 2-4x from minute to minute (bench/README.md).

Usage: `.venv/bin/python bench/when_quiet.py [--below 0.25] [--wait 3600] -- COMMAND ...`, e.g.
`.venv/bin/python bench/when_quiet.py -- .venv/bin/python bench/generate.py 1000 3000 --runs 5`.

Polls the reference loop (`bench/host.py`) every `--every` seconds; when it takes less than `--below`
seconds (0.2 s on a quiet host), runs COMMAND and exits with its code; exits 3 when `--wait` passes first.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from host import reference_loop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--below", type=float, default=0.25, help="seconds of the reference loop (0.25)")
    parser.add_argument("--wait", type=float, default=3600.0, help="give up after this many seconds")
    parser.add_argument("--every", type=float, default=30.0, help="seconds between polls (30)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the benchmark to run, after --")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")
    deadline = time.monotonic() + args.wait
    while True:
        seconds = reference_loop()
        print(f"{time.strftime('%H:%M:%S')} reference loop {seconds * 1000:.0f} ms", flush=True)
        if seconds < args.below:
            return subprocess.run(command, check=False).returncode
        if time.monotonic() + args.every > deadline:
            print(f"the host was never quiet (reference loop under {args.below} s) for {args.wait:.0f} s")
            return 3
        time.sleep(args.every)


if __name__ == "__main__":
    sys.exit(main())
