==> migrations/<version>_migrate_resources2.sql
-- 1 operation(s):
--   create index posts_title_index on posts
-- migrate:no-transaction
-- migrate:up
CREATE INDEX CONCURRENTLY "posts_title_index" ON "posts" ("title");

-- migrate:down
DROP INDEX CONCURRENTLY "posts_title_index";
