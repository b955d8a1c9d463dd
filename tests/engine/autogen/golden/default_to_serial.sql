==> migrations/<version>_migrate_resources2.sql
-- 1 operation(s):
--   alter column posts.seq
-- migrate:up
ALTER TABLE "posts" ALTER COLUMN "seq" DROP DEFAULT;

CREATE SEQUENCE "posts_seq_seq" AS bigint OWNED BY "posts"."seq";

SELECT setval('"posts_seq_seq"', COALESCE(MAX("seq"), 0) + 1, false) FROM "posts";

ALTER TABLE "posts" ALTER COLUMN "seq" SET DEFAULT nextval('"posts_seq_seq"');

-- migrate:down
ALTER TABLE "posts" ALTER COLUMN "seq" DROP DEFAULT;

DROP SEQUENCE "posts_seq_seq";

ALTER TABLE "posts" ALTER COLUMN "seq" SET DEFAULT 0;
