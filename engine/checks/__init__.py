"""`verify` and `drift`: the migrations and the live database checked against the snapshots, on scratch
databases."""
