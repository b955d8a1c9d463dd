==> migrations/<version>_migrate_resources2.sql
-- WARNING: steps commented out and in need of manual review:
--   drop column (commented out) posts.body
-- 1 operation(s):
--   drop column (commented out) posts.body
-- migrate:up
-- ALTER TABLE "posts" DROP COLUMN "body";

-- migrate:down
-- ALTER TABLE "posts" ADD COLUMN "body" text;
