==> migrations/<version>_migrate_resources2.sql
-- 7 operation(s):
--   drop index posts_lower_title on posts
--   drop index posts_flag_index on posts
--   drop check title_not_empty on posts
--   rename column posts.title to name
--   create index posts_lower_title on posts
--   create index posts_flag_index on posts
--   add check title_not_empty on posts
-- migrate:up
DROP INDEX "posts_lower_title";

DROP INDEX "posts_flag_index";

ALTER TABLE "posts" DROP CONSTRAINT "title_not_empty";

ALTER TABLE "posts" RENAME COLUMN "title" TO "name";

CREATE INDEX "posts_lower_title" ON "posts" ((lower(name)));

CREATE INDEX "posts_flag_index" ON "posts" ("flag") WHERE name IS NOT NULL;

ALTER TABLE "posts" ADD CONSTRAINT "title_not_empty" CHECK (name <> '');

-- migrate:down
ALTER TABLE "posts" DROP CONSTRAINT "title_not_empty";

DROP INDEX "posts_flag_index";

DROP INDEX "posts_lower_title";

ALTER TABLE "posts" RENAME COLUMN "name" TO "title";

ALTER TABLE "posts" ADD CONSTRAINT "title_not_empty" CHECK (title <> '');

CREATE INDEX "posts_flag_index" ON "posts" ("flag") WHERE title IS NOT NULL;

CREATE INDEX "posts_lower_title" ON "posts" ((lower(title)));
