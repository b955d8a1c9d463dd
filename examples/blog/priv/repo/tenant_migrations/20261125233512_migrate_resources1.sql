-- 2 operation(s):
--   create table tenants.documents
--   create index documents_unique_title_index on tenants.documents
-- migrate:up
CREATE TABLE "documents" (
  "id" uuid DEFAULT gen_random_uuid() NOT NULL,
  "author_id" bigint,
  "title" text NOT NULL,
  "body" text,
  "version" integer DEFAULT 1 NOT NULL,
  CONSTRAINT "documents_pkey" PRIMARY KEY ("id"),
  CONSTRAINT "documents_author_id_fkey" FOREIGN KEY ("author_id") REFERENCES "public"."authors" ("id") ON DELETE SET NULL
);

CREATE UNIQUE INDEX "documents_unique_title_index" ON "documents" ("title");

-- migrate:down
DROP TABLE "documents";
