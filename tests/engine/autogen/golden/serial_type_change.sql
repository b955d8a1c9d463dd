==> migrations/<version>_migrate_resources2.sql
-- 1 operation(s):
--   alter column posts.seq
-- migrate:up
ALTER TABLE "posts" ALTER COLUMN "seq" TYPE integer USING "seq"::integer;

ALTER SEQUENCE "posts_seq_seq" AS integer;

-- migrate:down
ALTER TABLE "posts" ALTER COLUMN "seq" TYPE smallint USING "seq"::smallint;

ALTER SEQUENCE "posts_seq_seq" AS smallint;
