==> migrations/<version>_migrate_resources2.sql
-- 3 operation(s):
--   rename table authors to writers
--   rename constraint authors_pkey to writers_pkey on writers
--   rename sequence authors_id_seq to writers_id_seq
-- migrate:up
ALTER TABLE "authors" RENAME TO "writers";

ALTER TABLE "writers" RENAME CONSTRAINT "authors_pkey" TO "writers_pkey";

ALTER SEQUENCE "authors_id_seq" RENAME TO "writers_id_seq";

-- migrate:down
ALTER SEQUENCE "writers_id_seq" RENAME TO "authors_id_seq";

ALTER TABLE "writers" RENAME CONSTRAINT "writers_pkey" TO "authors_pkey";

ALTER TABLE "writers" RENAME TO "authors";
