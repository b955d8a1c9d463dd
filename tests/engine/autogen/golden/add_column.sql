==> migrations/<version>_migrate_resources2.sql
-- 1 operation(s):
--   add column posts.status
-- migrate:up
ALTER TABLE "posts" ADD COLUMN "status" text DEFAULT 'draft' NOT NULL;

-- migrate:down
ALTER TABLE "posts" DROP COLUMN "status";
