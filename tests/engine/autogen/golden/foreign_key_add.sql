==> migrations/<version>_migrate_resources2.sql
-- 3 operation(s):
--   add column posts.author_id
--   add foreign key posts.author_id -> authors
--   create index posts_author_id_index on posts
-- migrate:up
ALTER TABLE "posts" ADD COLUMN "author_id" bigint;

ALTER TABLE "posts" ADD CONSTRAINT "posts_author_fk" FOREIGN KEY ("author_id") REFERENCES "authors" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED;

CREATE INDEX "posts_author_id_index" ON "posts" ("author_id");

-- migrate:down
DROP INDEX "posts_author_id_index";

ALTER TABLE "posts" DROP CONSTRAINT "posts_author_fk";

ALTER TABLE "posts" DROP COLUMN "author_id";
