"""How fast this host's CPU is right now: the host lends its cores to other work, so seconds from
different minutes compare only next to this number."""

from __future__ import annotations

import time


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
