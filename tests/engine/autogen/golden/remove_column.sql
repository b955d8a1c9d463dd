==> migrations/<version>_migrate_resources2.sql
-- WARNING: destructive operations, review before migrating:
--   drop column posts.body
-- 1 operation(s):
--   drop column posts.body
-- migrate:up
ALTER TABLE "posts" DROP COLUMN "body";

-- migrate:down
ALTER TABLE "posts" ADD COLUMN "body" text;
