-- Rollups: what a recompute reads instead of months of raw rows (SPEC 6), each row
-- recomputed from the raw rows it covers in the transaction that stores or deletes them
-- (shared/src/store/rollups.ts). Users stored before this migration keep being computed from
-- their raw rows (rollups_ready false) until theirs are built: by the workers in the
-- background once they start (the build-rollups maintenance task), or by
-- `pnpm recompute -- --build-rollups` with a progress bar. Users first seen after it have
-- rollups from their first row on.
-- AlterTable
ALTER TABLE "analytics_users" ADD COLUMN     "rollups_ready" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "card_review_days" (
    "user_id" VARCHAR(64) NOT NULL,
    "day" DATE NOT NULL,
    "objective_id" VARCHAR(64) NOT NULL,
    "reviews" INTEGER NOT NULL,
    "correct" INTEGER NOT NULL,
    "incorrect" INTEGER NOT NULL,
    "response_ms_sum" BIGINT NOT NULL,
    "response_ms_count" INTEGER NOT NULL,
    "latest_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "card_review_days_pkey" PRIMARY KEY ("user_id","objective_id","day")
);

-- CreateTable
CREATE TABLE "card_review_weeks" (
    "user_id" VARCHAR(64) NOT NULL,
    "week" DATE NOT NULL,
    "objective_id" VARCHAR(64) NOT NULL,
    "reviews" INTEGER NOT NULL,
    "correct" INTEGER NOT NULL,
    "incorrect" INTEGER NOT NULL,
    "response_ms_sum" BIGINT NOT NULL,
    "response_ms_count" INTEGER NOT NULL,
    "latest_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "card_review_weeks_pkey" PRIMARY KEY ("user_id","objective_id","week")
);

-- CreateTable
CREATE TABLE "objective_latest_reviews" (
    "user_id" VARCHAR(64) NOT NULL,
    "objective_id" VARCHAR(64) NOT NULL,
    "latest_at" TIMESTAMPTZ(3) NOT NULL,
    "last_ten_reviews" SMALLINT NOT NULL,
    "last_ten_correct" SMALLINT NOT NULL,

    CONSTRAINT "objective_latest_reviews_pkey" PRIMARY KEY ("user_id","objective_id")
);

-- CreateTable
CREATE TABLE "intervention_effects" (
    "user_id" VARCHAR(64) NOT NULL,
    "event_id" VARCHAR(64) NOT NULL,
    "objective_id" VARCHAR(64) NOT NULL,
    "applied_at" TIMESTAMPTZ(3) NOT NULL,
    "before_reviews" INTEGER NOT NULL,
    "before_incorrect" INTEGER NOT NULL,
    "after_reviews" INTEGER NOT NULL,
    "after_incorrect" INTEGER NOT NULL,

    CONSTRAINT "intervention_effects_pkey" PRIMARY KEY ("user_id","event_id")
);

-- CreateTable
CREATE TABLE "activity_days" (
    "user_id" VARCHAR(64) NOT NULL,
    "day" DATE NOT NULL,
    "events" INTEGER NOT NULL,
    "sessions" INTEGER NOT NULL,

    CONSTRAINT "activity_days_pkey" PRIMARY KEY ("user_id","day")
);

-- CreateIndex
CREATE INDEX "card_review_days_covering_idx" ON "card_review_days"("user_id", "day", "objective_id", "reviews", "correct", "incorrect", "response_ms_sum", "response_ms_count", "latest_at");

-- CreateIndex
CREATE INDEX "card_review_weeks_covering_idx" ON "card_review_weeks"("user_id", "week", "objective_id", "reviews", "correct", "incorrect", "response_ms_sum", "response_ms_count", "latest_at");

-- CreateIndex
CREATE INDEX "intervention_effects_user_objective_time_idx" ON "intervention_effects"("user_id", "objective_id", "applied_at");

-- Today's rows are rewritten by every ingest; the pages of past days must become all-visible
-- soon after, so the windows' sums stay index-only scans: vacuum these small tables early.
ALTER TABLE "card_review_days" SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02);
ALTER TABLE "card_review_weeks" SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02);
ALTER TABLE "activity_days" SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02);
