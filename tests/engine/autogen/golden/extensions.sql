==> migrations/<version>_migrate_resources2.sql
-- 2 operation(s):
--   create extension citext
--   add column posts.email
-- migrate:up
CREATE EXTENSION IF NOT EXISTS "citext";

ALTER TABLE "posts" ADD COLUMN "email" citext;

-- migrate:down
ALTER TABLE "posts" DROP COLUMN "email";

DROP EXTENSION IF EXISTS "citext";
