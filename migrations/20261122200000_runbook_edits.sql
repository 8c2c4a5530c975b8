-- Runbook edits made by people (owner, expected duration, notes), kept apart from the generated
-- plan and applied to it each time it is built. A step is keyed by `phase:title`, which stays
-- the same when re-planning renumbers the steps.
CREATE TABLE runbook_edit (
    step_key         TEXT PRIMARY KEY,
    owner            TEXT,
    expected_minutes REAL CHECK (expected_minutes IS NULL OR expected_minutes >= 0),
    notes            TEXT,
    edited_at        TEXT NOT NULL
);
