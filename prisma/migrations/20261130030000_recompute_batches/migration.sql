-- A recompute batch decides "newest computation wins" row by row on aggregate_snapshots
-- (their computed_at); the per-user copy of that time is no longer written.
ALTER TABLE "analytics_users" DROP COLUMN "recomputed_at";

-- Every recompute rewrites its user's rows in place: with room left on each page, the new
-- version stays on the same page (a HOT update: no index entry, a fraction of the WAL).
ALTER TABLE "aggregate_snapshots" SET (fillfactor = 50);
