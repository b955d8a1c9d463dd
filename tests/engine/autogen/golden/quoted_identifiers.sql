==> migrations/<version>_migrate_resources1.sql
-- 2 operation(s):
--   create table user
--   create index user_order_index on user
-- migrate:up
CREATE TABLE "user" (
  "select" integer NOT NULL,
  "Weird""Name" text,
  "ünïcode" text DEFAULT 'é',
  CONSTRAINT "user_pkey" PRIMARY KEY ("select")
);

CREATE UNIQUE INDEX "user_order_index" ON "user" ("ünïcode");

-- migrate:down
DROP TABLE "user";
