==> migrations/<version>_migrate_resources2.sql
-- WARNING: destructive operations, review before migrating:
--   drop foreign key posts_author_fk on posts
-- 2 operation(s):
--   drop foreign key posts_author_fk on posts
--   add foreign key posts.author_id -> authors
-- migrate:up
ALTER TABLE "posts" DROP CONSTRAINT "posts_author_fk";

ALTER TABLE "posts" ADD CONSTRAINT "posts_author_fk" FOREIGN KEY ("author_id") REFERENCES "authors" ("id") ON DELETE SET NULL ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED;

-- migrate:down
ALTER TABLE "posts" DROP CONSTRAINT "posts_author_fk";

ALTER TABLE "posts" ADD CONSTRAINT "posts_author_fk" FOREIGN KEY ("author_id") REFERENCES "authors" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED;
