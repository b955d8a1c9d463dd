"""PostgreSQL's limits that validation checks before PostgreSQL would silently apply them; a module of its
own so that reading the config does not load the model."""

from __future__ import annotations

MAX_IDENTIFIER_BYTES = 63  # NAMEDATALEN - 1: longer names are truncated without an error
MAX_COLUMNS = 1600  # MaxHeapAttributeNumber: CREATE TABLE with more fails, and only at migrate
