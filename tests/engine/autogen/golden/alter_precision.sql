==> migrations/<version>_migrate_resources2.sql
-- 1 operation(s):
--   alter column posts.price
-- migrate:up
ALTER TABLE "posts" ALTER COLUMN "price" TYPE numeric(12,4) USING "price"::numeric(12,4);

-- migrate:down
ALTER TABLE "posts" ALTER COLUMN "price" TYPE numeric(10,2) USING "price"::numeric(10,2);
