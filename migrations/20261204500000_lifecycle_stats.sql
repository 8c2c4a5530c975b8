-- The last database statistics the lifecycle loop read per job (src/lifecycle/measure.rs): the
-- next window's rows read and written are deltas from them, also after a restart. Written in
-- the tick's transaction.
CREATE TABLE lifecycle_stats (
    job TEXT PRIMARY KEY,
    stats_json TEXT NOT NULL
);
