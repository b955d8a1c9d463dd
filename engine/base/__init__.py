"""What every layer of the engine shares: errors, atomic writes, file reads, migration files, names as
paths, git state and password masking."""
