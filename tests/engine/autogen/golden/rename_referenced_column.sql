==> migrations/<version>_migrate_resources2.sql
-- 2 operation(s):
--   rename column posts.author_id to writer_id
--   rename constraint posts_author_id_fkey to posts_writer_id_fkey on posts
-- migrate:up
ALTER TABLE "posts" RENAME COLUMN "author_id" TO "writer_id";

ALTER TABLE "posts" RENAME CONSTRAINT "posts_author_id_fkey" TO "posts_writer_id_fkey";

-- migrate:down
ALTER TABLE "posts" RENAME CONSTRAINT "posts_writer_id_fkey" TO "posts_author_id_fkey";

ALTER TABLE "posts" RENAME COLUMN "writer_id" TO "author_id";
