"""What the fuzz tests share: how many examples (SNAPSHIFT_FUZZ_EXAMPLES, default 300) and their settings."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

EXAMPLES = int(os.environ.get("SNAPSHIFT_FUZZ_EXAMPLES", "300"))
fuzz = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
