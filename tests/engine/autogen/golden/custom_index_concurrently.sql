==> migrations/<version>_migrate_resources2.sql
-- 1 operation(s):
--   create index posts_title_index on posts
-- migrate:no-transaction
-- migrate:up
DO $$ BEGIN IF EXISTS (SELECT FROM pg_index WHERE indexrelid = to_regclass('"posts_title_index"') AND NOT indisvalid) THEN DROP INDEX "posts_title_index"; END IF; END $$;
CREATE INDEX CONCURRENTLY IF NOT EXISTS "posts_title_index" ON "posts" ("title");

-- migrate:down
DROP INDEX CONCURRENTLY IF EXISTS "posts_title_index";
