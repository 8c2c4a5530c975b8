-- The rehearsals the plan is calibrated from, as a person chose them (the desktop's "calibrate
-- the plan from this rehearsal"): one row, or none for the estimates. Every face builds its plan
-- with this choice, like the step edits. Run ids are stored resolved (never `latest`), so a
-- newer rehearsal does not change the plan behind the team's back.
CREATE TABLE plan_calibration (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    runs      TEXT NOT NULL,
    chosen_at TEXT NOT NULL
);
