-- The risk register (see src/risk). Lists (linked artifacts, ordering constraints) are JSON
-- arrays: they are read and written whole with their risk.
CREATE TABLE risk (
    id            TEXT    PRIMARY KEY,
    title         TEXT    NOT NULL,
    category      TEXT    NOT NULL,
    severity      INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 5),
    likelihood    INTEGER NOT NULL CHECK (likelihood BETWEEN 1 AND 5),
    mitigation    TEXT,
    owner         TEXT,
    status        TEXT    NOT NULL,
    artifacts     TEXT    NOT NULL,
    retired_by    TEXT,
    ordering      TEXT    NOT NULL,
    origin        TEXT,
    updated_at    TEXT    NOT NULL
);

-- Decisions on generated suggestions, so a dismissed suggestion stays dismissed.
CREATE TABLE risk_suggestion_decision (
    key        TEXT PRIMARY KEY,
    decision   TEXT NOT NULL CHECK (decision IN ('accepted', 'dismissed')),
    risk_id    TEXT,
    decided_at TEXT NOT NULL
);
