-- A recompute batch decides "newest computation wins" row by row on aggregate_snapshots
-- (their computed_at); the per-user copy of that time is no longer written.
ALTER TABLE "analytics_users" DROP COLUMN "recomputed_at";
