==> migrations/<version>_migrate_resources2.sql
-- 1 operation(s):
--   rename index posts_unique_title_index to posts_title_key
-- migrate:up
ALTER INDEX "posts_unique_title_index" RENAME TO "posts_title_key";

-- migrate:down
ALTER INDEX "posts_title_key" RENAME TO "posts_unique_title_index";
