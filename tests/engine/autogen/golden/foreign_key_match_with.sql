==> migrations/<version>_migrate_resources2.sql
-- 1 operation(s):
--   add foreign key posts.author_id -> authors
-- migrate:up
ALTER TABLE "posts" ADD CONSTRAINT "posts_author_id_fkey" FOREIGN KEY ("author_id", "org") REFERENCES "authors" ("id", "org") MATCH FULL;

-- migrate:down
ALTER TABLE "posts" DROP CONSTRAINT "posts_author_id_fkey";
