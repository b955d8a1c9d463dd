==> migrations/<version>_migrate_resources2.sql
-- WARNING: destructive operations, review before migrating:
--   drop check price_small on posts
-- 4 operation(s):
--   drop check price_positive on posts
--   add check price_positive on posts
--   add check price_cap on posts
--   drop check price_small on posts
-- migrate:up
ALTER TABLE "posts" DROP CONSTRAINT "price_positive";

ALTER TABLE "posts" ADD CONSTRAINT "price_positive" CHECK (price >= 0);

ALTER TABLE "posts" ADD CONSTRAINT "price_cap" CHECK (price < 1000);

ALTER TABLE "posts" DROP CONSTRAINT "price_small";

-- migrate:down
ALTER TABLE "posts" ADD CONSTRAINT "price_small" CHECK (price < 100);

ALTER TABLE "posts" DROP CONSTRAINT "price_cap";

ALTER TABLE "posts" DROP CONSTRAINT "price_positive";

ALTER TABLE "posts" ADD CONSTRAINT "price_positive" CHECK (price > 0);
