==> migrations/<version>_migrate_resources2.sql
-- 1 operation(s):
--   create index posts_search on posts
-- migrate:up
CREATE UNIQUE INDEX "posts_search" ON "posts" USING btree ("title" DESC, (lower(body))) INCLUDE ("slug") WHERE slug IS NOT NULL;

-- migrate:down
DROP INDEX "posts_search";
