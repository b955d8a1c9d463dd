==> migrations/<version>_migrate_resources2.sql
-- WARNING: destructive operations, review before migrating:
--   remove statement v1 (posts)
-- 2 operation(s):
--   remove statement v1 (posts)
--   run statement v1 (posts)
-- migrate:up
DROP VIEW titles;

CREATE VIEW titles AS SELECT id, title FROM posts;

-- migrate:down
DROP VIEW titles;

CREATE VIEW titles AS SELECT title FROM posts;
