==> migrations/<version>_migrate_resources2.sql
-- 1 operation(s):
--   alter column posts.status
-- migrate:up
ALTER TABLE "posts" ALTER COLUMN "status" DROP DEFAULT;

-- migrate:down
ALTER TABLE "posts" ALTER COLUMN "status" SET DEFAULT 'draft';
