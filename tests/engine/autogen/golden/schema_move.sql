==> migrations/<version>_migrate_resources2.sql
-- 2 operation(s):
--   create schema blog
--   move table posts to schema blog
-- migrate:up
CREATE SCHEMA IF NOT EXISTS "blog";

ALTER TABLE "posts" SET SCHEMA "blog";

-- migrate:down
ALTER TABLE "blog"."posts" SET SCHEMA "public";

DROP SCHEMA IF EXISTS "blog";
