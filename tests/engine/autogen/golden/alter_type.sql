==> migrations/<version>_migrate_resources2.sql
-- 1 operation(s):
--   alter column posts.data
-- migrate:up
ALTER TABLE "posts" ALTER COLUMN "data" TYPE jsonb USING "data"::jsonb;

-- migrate:down
ALTER TABLE "posts" ALTER COLUMN "data" TYPE text USING "data"::text;
