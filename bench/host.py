"""How fast this host's CPU and disk are right now: the host lends its cores to other work, and the
disk creates files 10x slower for a minute after a large deletion, so seconds from different minutes
compare only next to these numbers."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path


def reference_loop() -> float:
    """Best of 3 runs of a fixed pure-Python loop: how fast this machine's CPU is right now. The host
    lends its cores to other work, and the same loop has taken from 0.2 s to 0.7 s here, so figures
    from different days compare only next to this number."""
    best = float("inf")
    for _ in range(3):
        began, total = time.perf_counter(), 0
        for i in range(5_000_000):
            total += i
        best = min(best, time.perf_counter() - began)
    return best


PROBE_FILES = 200


def file_creation_probe(folder: Path) -> float:
    """Microseconds to create one empty file in a new subfolder of `folder`, best of 3 batches of
    PROBE_FILES: how fast this disk creates inodes right now.

    generate from scratch creates two inodes per table (its folder and its snapshot), and on this
    machine's ext4, which has no journal, the kernel skips every inode freed in the last minute or so
    (`recently_deleted` in fs/ext4/ialloc.c) and checks each one it skips: after a large `rm -r`, one
    creation costs 250-600 us instead of 17-35 us, and generate at N = 1000 takes up to twice as long.
    The files stay until the caller removes `folder` (removing them would slow the next creations).
    """
    best = float("inf")
    for _ in range(3):
        batch = Path(tempfile.mkdtemp(prefix="probe-", dir=folder))
        began = time.perf_counter()
        for i in range(PROBE_FILES):
            os.close(os.open(batch / f"{i}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        best = min(best, time.perf_counter() - began)
    return best / PROBE_FILES * 1e6
