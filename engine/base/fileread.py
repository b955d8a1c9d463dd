"""Whole files read with plain os calls: resource files, snapshots and the clean cache, thousands per
command on a large project, where Path.read_bytes's overhead (an io object per file) counts."""

from __future__ import annotations

import os
from pathlib import Path

_FIRST_READ = 1 << 16  # holds any resource file or snapshot; below malloc's mmap threshold
_NEXT_READS = 1 << 20


def read_bytes(path: Path | str) -> bytes:
    """A whole file, read with plain os calls (far less overhead than Path.read_bytes).

    The first read asks for 64 KiB: a 1 MiB buffer is an mmap, an mremap and an munmap for every file.
    """
    fd = os.open(path, os.O_RDONLY)
    try:
        data = os.read(fd, _FIRST_READ)
        if len(data) < _FIRST_READ:  # a short read of a regular file means end of file
            return data
        chunks = [data]
        while chunk := os.read(fd, _NEXT_READS):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)
