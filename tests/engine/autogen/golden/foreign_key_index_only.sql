==> migrations/<version>_migrate_resources2.sql
-- WARNING: destructive operations, review before migrating:
--   drop index posts_author_id_index on posts
-- 1 operation(s):
--   drop index posts_author_id_index on posts
-- migrate:up
DROP INDEX "posts_author_id_index";

-- migrate:down
CREATE INDEX "posts_author_id_index" ON "posts" ("author_id");
