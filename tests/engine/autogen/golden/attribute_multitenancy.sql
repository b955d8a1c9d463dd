==> migrations/<version>_migrate_resources2.sql
-- 2 operation(s):
--   drop index posts_unique_title_index on posts
--   create index posts_unique_title_index on posts
-- migrate:up
DROP INDEX "posts_unique_title_index";

CREATE UNIQUE INDEX "posts_unique_title_index" ON "posts" ("org_id", "title");

-- migrate:down
DROP INDEX "posts_unique_title_index";

CREATE UNIQUE INDEX "posts_unique_title_index" ON "posts" ("title");
