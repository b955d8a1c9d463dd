==> migrations/<version>_migrate_resources2.sql
-- 2 operation(s):
--   rename column posts.title to name
--   rename index posts_title_index to posts_name_index
-- migrate:up
ALTER TABLE "posts" RENAME COLUMN "title" TO "name";

ALTER INDEX "posts_title_index" RENAME TO "posts_name_index";

-- migrate:down
ALTER INDEX "posts_name_index" RENAME TO "posts_title_index";

ALTER TABLE "posts" RENAME COLUMN "name" TO "title";
