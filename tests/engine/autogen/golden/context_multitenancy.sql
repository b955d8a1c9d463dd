==> tenant_migrations/<version>_migrate_resources1.sql
-- 1 operation(s):
--   create table tenants.notes
-- migrate:up
CREATE TABLE "notes" (
  "id" uuid NOT NULL,
  "author_id" bigint,
  CONSTRAINT "notes_pkey" PRIMARY KEY ("id"),
  CONSTRAINT "notes_author_id_fkey" FOREIGN KEY ("author_id") REFERENCES "public"."authors" ("id")
);

-- migrate:down
DROP TABLE "notes";
