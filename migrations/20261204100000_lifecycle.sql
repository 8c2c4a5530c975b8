-- The migration job lifecycle (src/lifecycle): one row per job, every transition, one row per
-- tick. A tick's rows are written in one transaction, so a restarted loop resumes from the
-- last committed tick: no job skipped, no transition repeated.
CREATE TABLE lifecycle_job (
    id TEXT PRIMARY KEY,
    phase TEXT NOT NULL,
    held_from TEXT,
    streak INTEGER NOT NULL,
    approved_by TEXT,
    awaiting_approval INTEGER NOT NULL,
    failures_json TEXT NOT NULL,
    flips_json TEXT NOT NULL,
    last_transition_at REAL NOT NULL,
    last_window_at REAL
);

CREATE TABLE lifecycle_transition (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tick INTEGER,
    job TEXT NOT NULL,
    at REAL NOT NULL,
    from_phase TEXT NOT NULL,
    to_phase TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    window_json TEXT
);

CREATE INDEX lifecycle_transition_job ON lifecycle_transition (job, seq);

CREATE TABLE lifecycle_tick (
    tick INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    jobs INTEGER NOT NULL,
    transitions INTEGER NOT NULL
);
