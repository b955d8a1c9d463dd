==> migrations/<version>_migrate_resources2.sql
-- WARNING: destructive operations, review before migrating:
--   drop foreign key comments_post_id_fkey on comments
--   drop table comments
--   drop foreign key posts_author_id_fkey on posts
--   drop table posts
--   drop table authors
-- 5 operation(s):
--   drop foreign key comments_post_id_fkey on comments
--   drop table comments
--   drop foreign key posts_author_id_fkey on posts
--   drop table posts
--   drop table authors
-- migrate:up
ALTER TABLE "comments" DROP CONSTRAINT "comments_post_id_fkey";

DROP TABLE "comments";

ALTER TABLE "posts" DROP CONSTRAINT "posts_author_id_fkey";

DROP TABLE "posts";

DROP TABLE "authors";

-- migrate:down
CREATE TABLE "authors" (
  "id" bigserial,
  "name" text NOT NULL,
  CONSTRAINT "authors_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "posts" (
  "id" uuid NOT NULL,
  "author_id" bigint,
  CONSTRAINT "posts_pkey" PRIMARY KEY ("id")
);

ALTER TABLE "posts" ADD CONSTRAINT "posts_author_id_fkey" FOREIGN KEY ("author_id") REFERENCES "authors" ("id");

CREATE TABLE "comments" (
  "id" uuid NOT NULL,
  "post_id" uuid,
  CONSTRAINT "comments_pkey" PRIMARY KEY ("id")
);

ALTER TABLE "comments" ADD CONSTRAINT "comments_post_id_fkey" FOREIGN KEY ("post_id") REFERENCES "posts" ("id");
