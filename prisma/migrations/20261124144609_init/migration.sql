-- CreateTable
CREATE TABLE "behavioral_events" (
    "event_id" VARCHAR(64) NOT NULL,
    "user_id" VARCHAR(64) NOT NULL,
    "type" VARCHAR(32) NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "properties" JSONB NOT NULL DEFAULT '{}',
    "objective_id" VARCHAR(64),
    "mission_id" VARCHAR(64),
    "session_id" VARCHAR(64),
    "correct" BOOLEAN,
    "response_ms" INTEGER,
    "duration_ms" BIGINT,
    "success_score" DOUBLE PRECISION,
    "stress" SMALLINT,
    "intervention_type" VARCHAR(32),
    "content_type" VARCHAR(16),
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "behavioral_events_pkey" PRIMARY KEY ("event_id")
);

-- CreateTable
CREATE TABLE "study_sessions" (
    "session_id" VARCHAR(64) NOT NULL,
    "user_id" VARCHAR(64) NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "ended_at" TIMESTAMPTZ(3) NOT NULL,
    "cards_reviewed" INTEGER NOT NULL,
    "correct_count" INTEGER NOT NULL,
    "avg_response_ms" INTEGER,
    "mission_id" VARCHAR(64),
    "objective_ids" VARCHAR(64)[] DEFAULT ARRAY[]::VARCHAR(64)[],
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "study_sessions_pkey" PRIMARY KEY ("session_id")
);

-- CreateTable
CREATE TABLE "analytics_users" (
    "user_id" VARCHAR(64) NOT NULL,
    "first_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_activity_at" TIMESTAMPTZ(3) NOT NULL,
    "recomputed_at" TIMESTAMPTZ(3),

    CONSTRAINT "analytics_users_pkey" PRIMARY KEY ("user_id")
);

-- CreateTable
CREATE TABLE "aggregate_snapshots" (
    "user_id" VARCHAR(64) NOT NULL,
    "aggregate" VARCHAR(48) NOT NULL,
    "period" VARCHAR(8) NOT NULL,
    "data" JSONB NOT NULL,
    "computed_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "aggregate_snapshots_pkey" PRIMARY KEY ("user_id","aggregate","period")
);

-- CreateTable
CREATE TABLE "cognitive_load_snapshots" (
    "user_id" VARCHAR(64) NOT NULL,
    "day" DATE NOT NULL,
    "load_score" DOUBLE PRECISION NOT NULL,
    "level" VARCHAR(16) NOT NULL,
    "computed_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "cognitive_load_snapshots_pkey" PRIMARY KEY ("user_id","day")
);

-- CreateIndex
CREATE INDEX "behavioral_events_user_type_time_idx" ON "behavioral_events"("user_id", "type", "occurred_at");

-- CreateIndex
CREATE INDEX "behavioral_events_user_objective_time_idx" ON "behavioral_events"("user_id", "objective_id", "occurred_at");

-- CreateIndex
CREATE INDEX "behavioral_events_user_time_idx" ON "behavioral_events"("user_id", "occurred_at");

-- CreateIndex
CREATE INDEX "study_sessions_user_started_idx" ON "study_sessions"("user_id", "started_at");

-- CreateIndex
CREATE INDEX "study_sessions_user_ended_idx" ON "study_sessions"("user_id", "ended_at");

-- CreateIndex
CREATE INDEX "analytics_users_last_activity_idx" ON "analytics_users"("last_activity_at");

-- CreateIndex
CREATE INDEX "cognitive_load_snapshots_day_idx" ON "cognitive_load_snapshots"("day");
