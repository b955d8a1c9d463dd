==> migrations/<version>_migrate_resources2.sql
-- 1 operation(s):
--   alter column posts.title
-- migrate:up
ALTER TABLE "posts" ALTER COLUMN "title" SET NOT NULL;

-- migrate:down
ALTER TABLE "posts" ALTER COLUMN "title" DROP NOT NULL;
