==> migrations/<version>_migrate_resources2.sql
-- 3 operation(s):
--   alter column posts.flag
--   add column posts.ready
--   add column posts.n
-- migrate:up
ALTER TABLE "posts" ALTER COLUMN "flag" SET DEFAULT (1 IN (1, 2));

ALTER TABLE "posts" ADD COLUMN "ready" boolean DEFAULT ('' IS NULL);

ALTER TABLE "posts" ADD COLUMN "n" integer DEFAULT -1;

-- migrate:down
ALTER TABLE "posts" DROP COLUMN "n";

ALTER TABLE "posts" DROP COLUMN "ready";

ALTER TABLE "posts" ALTER COLUMN "flag" SET DEFAULT (NOT false);
