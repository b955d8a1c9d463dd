==> migrations/<version>_migrate_resources1.sql
-- 1 operation(s):
--   create table posts
-- migrate:up
CREATE TABLE "posts" (
  "id" uuid NOT NULL,
  "title" text DEFAULT 'untitled' NOT NULL,
  "slug" varchar(80),
  "price" numeric(10,2) DEFAULT 0,
  "tags" text[] DEFAULT '{}',
  "views" bigserial,
  "seen_at" timestamp(0),
  "Mixed Case" boolean DEFAULT true,
  CONSTRAINT "posts_pkey" PRIMARY KEY ("id")
);

-- migrate:down
DROP TABLE "posts";
