==> migrations/<version>_migrate_resources2.sql
-- WARNING: destructive operations, review before migrating:
--   drop table authors
-- 1 operation(s):
--   drop table authors
-- migrate:up
DROP TABLE "authors";

-- migrate:down
CREATE TABLE "authors" (
  "id" bigserial,
  "name" text NOT NULL,
  CONSTRAINT "authors_pkey" PRIMARY KEY ("id")
);
