==> migrations/<version>_migrate_resources2.sql
-- 1 operation(s):
--   alter column posts.slug
-- migrate:up
ALTER TABLE "posts" ALTER COLUMN "slug" TYPE varchar(120) USING "slug"::varchar;

-- migrate:down
ALTER TABLE "posts" ALTER COLUMN "slug" TYPE varchar(80) USING "slug"::varchar;
