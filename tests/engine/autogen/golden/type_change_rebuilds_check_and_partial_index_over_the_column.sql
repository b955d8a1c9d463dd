==> migrations/<version>_migrate_resources2.sql
-- 5 operation(s):
--   drop index posts_seen_at_index on posts
--   drop check recent on posts
--   alter column posts.seen_at
--   create index posts_seen_at_index on posts
--   add check recent on posts
-- migrate:up
DROP INDEX "posts_seen_at_index";

ALTER TABLE "posts" DROP CONSTRAINT "recent";

ALTER TABLE "posts" ALTER COLUMN "seen_at" TYPE timestamp USING "seen_at"::timestamp;

CREATE INDEX "posts_seen_at_index" ON "posts" ("seen_at") WHERE seen_at > '2000-01-01';

ALTER TABLE "posts" ADD CONSTRAINT "recent" CHECK (seen_at > '2000-01-01');

-- migrate:down
ALTER TABLE "posts" DROP CONSTRAINT "recent";

DROP INDEX "posts_seen_at_index";

ALTER TABLE "posts" ALTER COLUMN "seen_at" TYPE timestamptz USING "seen_at"::timestamptz;

ALTER TABLE "posts" ADD CONSTRAINT "recent" CHECK (seen_at > '2000-01-01');

CREATE INDEX "posts_seen_at_index" ON "posts" ("seen_at") WHERE seen_at > '2000-01-01';
