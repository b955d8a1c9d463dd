"""Resources and snapshots -> operations -> migration SQL: the diff, its order and rendering, snapshots
and the generate pipeline."""
