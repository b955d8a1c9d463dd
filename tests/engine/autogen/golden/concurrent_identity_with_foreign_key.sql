==> migrations/<version>_migrate_resources2.sql
-- 1 operation(s):
--   create table comments
-- migrate:up
CREATE TABLE "comments" (
  "id" uuid NOT NULL,
  "post_slug" text,
  CONSTRAINT "comments_pkey" PRIMARY KEY ("id")
);

-- migrate:down
DROP TABLE "comments";

==> migrations/<version>_migrate_resources2_1.sql
-- 1 operation(s):
--   create index posts_unique_slug_index on posts
-- migrate:no-transaction
-- migrate:up
DO $$ BEGIN IF EXISTS (SELECT FROM pg_index WHERE indexrelid = to_regclass('"posts_unique_slug_index"') AND NOT indisvalid) THEN DROP INDEX "posts_unique_slug_index"; END IF; END $$;
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "posts_unique_slug_index" ON "posts" ("slug");

-- migrate:down
DROP INDEX CONCURRENTLY IF EXISTS "posts_unique_slug_index";

==> migrations/<version>_migrate_resources2_2.sql
-- 1 operation(s):
--   add foreign key comments.post_slug -> posts
-- migrate:up
ALTER TABLE "comments" ADD CONSTRAINT "comments_post_slug_fkey" FOREIGN KEY ("post_slug") REFERENCES "posts" ("slug");

-- migrate:down
ALTER TABLE "comments" DROP CONSTRAINT "comments_post_slug_fkey";
