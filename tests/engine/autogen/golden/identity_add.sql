==> migrations/<version>_migrate_resources2.sql
-- 2 operation(s):
--   add column posts.archived
--   create index posts_unique_title_index on posts
-- migrate:up
ALTER TABLE "posts" ADD COLUMN "archived" boolean DEFAULT false NOT NULL;

CREATE UNIQUE INDEX "posts_unique_title_index" ON "posts" ("title") NULLS NOT DISTINCT WHERE archived = false;

-- migrate:down
DROP INDEX "posts_unique_title_index";

ALTER TABLE "posts" DROP COLUMN "archived";
