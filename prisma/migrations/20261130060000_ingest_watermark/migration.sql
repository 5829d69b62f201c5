-- Which of two computations of a user is newer must not depend on the clocks of the hosts
-- that ran them (SPEC 6). Every ingest (and every deletion of raw rows) bumps the user's
-- ingest_version in its own statement, serialized by the user's row lock, so a snapshot that
-- sees version v has seen every raw row stored before v was set. A computation records the
-- version its snapshot saw as its watermark; a save replaces a stored row only with an equal
-- or higher watermark (computed_at decides only between computations of the same rows).
ALTER TABLE "analytics_users" ADD COLUMN "ingest_version" BIGINT NOT NULL DEFAULT 0;
ALTER TABLE "aggregate_snapshots" ADD COLUMN "watermark" BIGINT NOT NULL DEFAULT 0;

-- Users whose fresh aggregates are stored but whose cache entries could not be replaced
-- (Redis failed the write-through): until a worker invalidates their entries in Redis and
-- every API's L1, the older entries would be served. Durable, so the mark survives the
-- process that made it.
CREATE TABLE "cache_repairs" (
    "user_id" VARCHAR(64) NOT NULL,
    "marked_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),

    CONSTRAINT "cache_repairs_pkey" PRIMARY KEY ("user_id")
);
