==> migrations/<version>_migrate_resources2.sql
-- WARNING: destructive operations, review before migrating:
--   drop primary key posts (id)
-- 2 operation(s):
--   drop primary key posts (id)
--   add primary key posts (id, slug)
-- migrate:up
ALTER TABLE "posts" DROP CONSTRAINT "posts_pkey";

ALTER TABLE "posts" ADD CONSTRAINT "posts_pkey" PRIMARY KEY ("id", "slug");

-- migrate:down
ALTER TABLE "posts" DROP CONSTRAINT "posts_pkey";

ALTER TABLE "posts" ADD CONSTRAINT "posts_pkey" PRIMARY KEY ("id");
