-- Imported inventory. The whole inventory is kept as one JSON document (what the planner
-- reads); artifact rows mirror it for listing, sorting and filtering without decoding.
CREATE TABLE import_run (
    id            INTEGER PRIMARY KEY,
    imported_at   TEXT    NOT NULL,
    inputs_digest TEXT    NOT NULL,
    summary_json  TEXT    NOT NULL
);

CREATE TABLE inventory_snapshot (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    import_id INTEGER NOT NULL REFERENCES import_run (id),
    json      TEXT    NOT NULL
);

CREATE TABLE artifact (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    schema_name TEXT,
    name        TEXT NOT NULL,
    owner       TEXT,
    row_count   INTEGER,
    byte_count  INTEGER
);

CREATE TABLE finding (
    seq      INTEGER PRIMARY KEY,
    code     TEXT    NOT NULL,
    severity TEXT    NOT NULL,
    source   TEXT    NOT NULL,
    line     INTEGER,
    message  TEXT    NOT NULL
);
