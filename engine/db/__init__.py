"""The database side: connections, the migrator and tenant runs, status, the catalog reader and the
development database."""
