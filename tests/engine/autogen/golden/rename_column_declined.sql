==> migrations/<version>_migrate_resources2.sql
-- WARNING: destructive operations, review before migrating:
--   drop column posts.title
-- 2 operation(s):
--   add column posts.name
--   drop column posts.title
-- migrate:up
ALTER TABLE "posts" ADD COLUMN "name" text;

ALTER TABLE "posts" DROP COLUMN "title";

-- migrate:down
ALTER TABLE "posts" ADD COLUMN "title" text;

ALTER TABLE "posts" DROP COLUMN "name";
