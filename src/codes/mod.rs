//! The one registry of stable codes: go/no-go gates (`G001`…), import findings
//! (`unparsed-statement`…), validation and rehearsal verdicts, risk suggestion keys, conversion
//! rules (`C001`…) and the exit classes of the command line. The JSON, the rehearsal report, the
//! CLI and the desktop app print these codes; a UI or a CI job branches on them, so a code, once
//! published, keeps its meaning.
//!
//! `docs/CODES.md` is [`markdown`] written out; a test fails when they differ (run it with
//! `MIGRATION_STUDIO_WRITE_CODES=1` to rewrite the file), and other tests check that the codes
//! the engine emits are the registered ones.

mod class;

pub use class::{classify, Classify, ErrorClass, Interrupted, NotPassed};

use std::fmt::Write as _;

use crate::data::Rule;
use crate::inventory::Severity;
use crate::mapping::review::{self as mapping, Severity as ReviewSeverity};

/// A go/no-go gate of a rehearsal: a measured figure against a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gate {
    /// Stable code, e.g. `G001`.
    pub code: &'static str,
    /// The gate's name as reports print it, e.g. `mismatched rows`. A per-step gate's label
    /// starts with its name (`time of step `backfill``).
    pub name: &'static str,
    /// What is measured and against which limit.
    pub meaning: &'static str,
}

/// Rows differing after the final catch-up.
pub const G001_MISMATCHED_ROWS: Gate = Gate {
    code: "G001",
    name: "mismatched rows",
    meaning: "rows differing between source and target after the final catch-up (missing + extra + changed, less the rejects kept with their reason), at most `[gates] max_mismatched_rows`",
};
/// Capture lag when writes freeze.
pub const G002_LAG_AT_FREEZE: Gate = Gate {
    code: "G002",
    name: "lag at freeze",
    meaning: "age of the oldest captured change not yet applied when writes are frozen for the cutover, at most `[gates] max_lag_seconds` (infinite when the catch-up never caught up)",
};
/// Refused rows and failed workload writes.
pub const G003_ERRORS: Gate = Gate {
    code: "G003",
    name: "errors",
    meaning:
        "rows the target refused plus workload writes that failed, at most `[gates] max_errors`",
};
/// Rollback drill against the RTO.
pub const G004_ROLLBACK_TIME: Gate = Gate {
    code: "G004",
    name: "rollback time vs RTO",
    meaning: "seconds the rollback drill took to bring the target's writes back into the source, at most the manifest's `rto_minutes`",
};
/// Write downtime against the maintenance window.
pub const G005_WRITE_DOWNTIME: Gate = Gate {
    code: "G005",
    name: "write downtime",
    meaning: "seconds without writes between the freeze and writes resuming on the target, at most the manifest's `maintenance_window_minutes`",
};
/// Writes lost by the rollback drill.
pub const G006_ROLLBACK_MISMATCHES: Gate = Gate {
    code: "G006",
    name: "writes made on the target missing from the source after rollback",
    meaning:
        "rows of the target missing or different in the source after the rollback drill, 0 allowed",
};
/// A step over its budget.
pub const G007_STEP_TIME: Gate = Gate {
    code: "G007",
    name: "time of step",
    meaning: "a step's measured seconds, at most its expected seconds × `[gates] step_budget_factor` (one gate per step with an estimate)",
};
/// Rows lost during fault drills.
pub const G008_ROWS_LOST: Gate = Gate {
    code: "G008",
    name: "rows lost",
    meaning: "with `--drill`: source rows missing from the target after the catch-up and not kept as rejects, 0 allowed",
};
/// Rows copied twice during fault drills.
pub const G009_DUPLICATE_ROWS: Gate = Gate {
    code: "G009",
    name: "duplicate rows",
    meaning: "with `--drill`: target rows with no source row after the catch-up (a chunk copied twice), 0 allowed",
};
/// Planted rejects not kept.
pub const G010_PLANTED_REJECTS: Gate = Gate {
    code: "G010",
    name: "planted rows not kept as rejects",
    meaning: "with `--drill plant-rejects`: planted rows the target refused that are not in the reject table with their reason, 0 allowed",
};
/// Servers of other versions than the manifest's.
pub const G011_SERVER_VERSIONS: Gate = Gate {
    code: "G011",
    name: "server versions other than the manifest's",
    meaning: "with `[gates] version_mismatch = \"fail\"`: sides whose server version is not the manifest's `[source]`/`[target]` `version` (the rehearsal did not rehearse the upgrade the manifest describes), 0 allowed; without it the mismatch is reported, not gated",
};
/// Constraint violations on the target.
pub const G012_CONSTRAINT_VIOLATIONS: Gate = Gate {
    code: "G012",
    name: "constraint violations on the target",
    meaning: "rows of the target violating a constraint the validation checks (NOT NULL, UNIQUE and foreign keys the target does not enforce or only the source declares, unvalidated CHECKs; and, once writes are frozen, generated keys whose sequence stands behind a copied key), found by the last validation made with writes quiet, 0 allowed",
};

/// Every gate, in code order.
pub const GATES: &[Gate] = &[
    G001_MISMATCHED_ROWS,
    G002_LAG_AT_FREEZE,
    G003_ERRORS,
    G004_ROLLBACK_TIME,
    G005_WRITE_DOWNTIME,
    G006_ROLLBACK_MISMATCHES,
    G007_STEP_TIME,
    G008_ROWS_LOST,
    G009_DUPLICATE_ROWS,
    G010_PLANTED_REJECTS,
    G011_SERVER_VERSIONS,
    G012_CONSTRAINT_VIOLATIONS,
];

/// The gate a report label names: the gate whose name is the label, or the label with a
/// quoted subject (`time of step `backfill``).
pub fn gate_for_label(label: &str) -> Option<&'static Gate> {
    GATES.iter().find(|g| {
        label == g.name
            || label
                .strip_prefix(g.name)
                .is_some_and(|rest| rest.starts_with(" `"))
    })
}

/// The gate with this code.
pub fn gate(code: &str) -> Option<&'static Gate> {
    GATES.iter().find(|g| g.code == code)
}

/// What an import noticed about its inputs ([`crate::inventory::Finding::code`]). Finding codes
/// are kebab-case words, as they were first published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FindingCode {
    /// Stable code, e.g. `unparsed-statement`.
    pub code: &'static str,
    /// The severity it is reported with.
    pub severity: Severity,
    /// When it is reported.
    pub meaning: &'static str,
}

const fn finding(code: &'static str, severity: Severity, meaning: &'static str) -> FindingCode {
    FindingCode {
        code,
        severity,
        meaning,
    }
}

/// Every finding code, in alphabetical order. A warning becomes a risk suggestion
/// (`finding:<code>:<source>:<line>`).
pub const FINDINGS: &[FindingCode] = &[
    finding("copy-data-without-table", Severity::Notice, "a `COPY … FROM stdin` data block whose COPY statement was not understood; its rows are not counted"),
    finding("dangling-api", Severity::Warning, "a Backstage entity consumes an API that no entity of the catalog provides or declares"),
    finding("dangling-connection", Severity::Warning, "a service's connection names no schema of the inventory"),
    finding("dangling-depends-on", Severity::Warning, "a docker-compose `depends_on` or `links` names a service the file does not define"),
    finding("dangling-env-host", Severity::Warning, "a Kubernetes `*_ADDR`/`*_HOST`/`*_URL` variable names a Service that is not in the manifests"),
    finding("dangling-fk", Severity::Warning, "a foreign key references a table that is not in the inventory"),
    finding("dangling-link", Severity::Warning, "a service link points at an artifact that is not in the inventory"),
    finding("dangling-partition", Severity::Warning, "a partition is attached to a table no script creates"),
    finding("dangling-ref", Severity::Warning, "a Backstage relation (`dependsOn`, `subcomponentOf`…) names an entity that is not in the catalog"),
    finding("dangling-reference", Severity::Notice, "a trigger names a table that is not in the inventory"),
    finding("dangling-selector", Severity::Warning, "a Kubernetes Service or NetworkPolicy selects no workload of the manifests"),
    finding("dangling-table", Severity::Warning, "a data store's `tables` cell lists a table that is not in the inventory"),
    finding("duplicate-table", Severity::Warning, "a table is defined by more than one input; the first is kept"),
    finding("empty-script", Severity::Notice, "a SQL script holds no statement (it is empty, or only comments and client directives)"),
    finding("not-a-regular-file", Severity::Warning, "an entry of a service-inventory folder is a symbolic link, FIFO, device or socket; it was skipped unopened (only regular files inside the project are read)"),
    finding("skipped-file", Severity::Notice, "a file of a service-inventory folder is neither a compose file, a Kubernetes manifest nor a Backstage entity"),
    finding("skipped-statement", Severity::Notice, "a statement that declares nothing the inventory keeps (or a trigger whose name or table was not found) was skipped"),
    finding("skipped-virtual-table", Severity::Notice, "an SQLite virtual table was skipped"),
    finding("unknown-owner", Severity::Notice, "a Backstage owner is not an entity of the catalog (kept as the owner's name)"),
    finding("unknown-schema", Severity::Warning, "a live input asked for a schema the server does not have"),
    finding("unknown-table", Severity::Warning, "a statement refers to a table no script creates"),
    finding(crate::import::ddl::UNPARSED_STATEMENT, Severity::Warning, "with `import --skip-unparsed`: a CREATE TABLE or key statement the SQL parser cannot read was skipped; what it declares is missing"),
    finding("unread-definition", Severity::Notice, "a live view's definition or trigger's body could not be read; the tables it reads or writes are unknown"),
];

/// The finding code registered as `code`.
pub fn finding_code(code: &str) -> Option<&'static FindingCode> {
    FINDINGS.iter().find(|f| f.code == code)
}

/// Every upgrade finding ([`crate::upgrade`]), in code order: what a move between two major
/// versions of one engine changes beyond the copy, read from both servers' catalogs by a
/// rehearsal or, in a plan, from the release notes applied to the inventory.
pub const UPGRADE_FINDINGS: &[FindingCode] = &[
    finding(crate::upgrade::U001_EXTENSION_MISSING, Severity::Warning, "extensions installed on the source are not available on the target server (`pg_available_extensions`)"),
    finding(crate::upgrade::U002_EXTENSION_VERSION, Severity::Warning, "an extension's version on the source differs from the one the target offers"),
    finding(crate::upgrade::U003_COLLATION_VERSION, Severity::Warning, "a collation (ICU, or glibc's for libc locales) used by indexes reports another version on the target (`collversion` against `pg_collation_actual_version()` / `pg_database_collation_actual_version()`): the indexes are named, and the runbook gains their `REINDEX` and the version refresh"),
    finding(crate::upgrade::U004_COLLATION_MISSING, Severity::Warning, "a collation used by indexes does not exist on the target (PostgreSQL's `pg_collation`, MariaDB's `information_schema.COLLATIONS`)"),
    finding(crate::upgrade::U005_UNPINNED_SEARCH_PATH, Severity::Warning, "moving to PostgreSQL 17 or later: functions used by expression indexes or materialized views have no pinned `search_path`, and maintenance operations run them with a safe one (release notes 17, Migration to Version 17)"),
    finding(crate::upgrade::U006_REMOVED_SETTINGS, Severity::Notice, "server parameters of the source's version do not exist in the target's (removed or renamed; PostgreSQL's `pg_settings`, MariaDB's `information_schema.SYSTEM_VARIABLES`; a warning when the source sets them)"),
    finding(crate::upgrade::U007_CHANGED_DEFAULTS, Severity::Warning, "server parameters whose built-in default differs between the two versions (`pg_settings.boot_val`, MariaDB's `SYSTEM_VARIABLES.DEFAULT_VALUE`)"),
    finding(crate::upgrade::U008_TEXT_INDEXES, Severity::Notice, "in a plan, PostgreSQL across major versions with no rehearsal of the pair: keys and indexes over text, ordered by the collation library of the server that built them (PostgreSQL wiki, Locale data changes); a rehearsal names those whose collation version changed (U003)"),
    finding(crate::upgrade::U009_DEFAULT_COLLATION, Severity::Warning, "MariaDB: the default collation of the Unicode character sets is uca1400_ai_ci from 11.5 (MDEV-25829) and the default character set utf8mb4 from 11.6 (MDEV-19123): keys and indexes over text created without an explicit COLLATE compare and sort otherwise on the target; in a rehearsal, read from both servers (`COLLATIONS.IS_DEFAULT`, `character_set_collations`), the indexes over columns under the source's default collation"),
    finding(crate::upgrade::U010_TIMESTAMP_RANGE, Severity::Warning, "MariaDB: TIMESTAMP holds values up to 2106 from 11.5 (MDEV-32188): a value past 2038 written on the target cannot go back to the source; the columns are named"),
    finding(crate::upgrade::U011_EXPLICIT_DEFAULTS_FOR_TIMESTAMP, Severity::Warning, "MariaDB: explicit_defaults_for_timestamp is ON by default from 10.10: TIMESTAMP columns without a stated default lose the implicit DEFAULT/ON UPDATE CURRENT_TIMESTAMP and NOT NULL"),
];

/// The upgrade finding registered as `code`.
pub fn upgrade_finding(code: &str) -> Option<&'static FindingCode> {
    UPGRADE_FINDINGS.iter().find(|f| f.code == code)
}

/// A code with a meaning: verdicts and risk suggestion keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// Stable code as it appears in JSON and text.
    pub code: &'static str,
    /// What it means.
    pub meaning: &'static str,
}

const fn entry(code: &'static str, meaning: &'static str) -> Entry {
    Entry { code, meaning }
}

/// Verdicts of `validate` (the report's `verdict`, per table and overall; JSON spelling).
pub const VALIDATION_VERDICTS: &[Entry] = &[
    entry("equal", "same rows on both sides (values compared through the conversion rules), and the target's constraints hold; the only verdict `validate` exits 0 on"),
    entry("different", "rows differ: counts, missing, extra or changed keys, sampled fields or invariants"),
    entry("violations", "rows are equal but the target violates a constraint (orphans, NULLs, duplicates, CHECK)"),
    entry("not_compared", "the table could not be compared (no key, missing on one side, or an error)"),
];

/// Why an incremental final validation ([`crate::validate::changed`]) or its go/no-go gate
/// did not find a table equal: each line of a table report's `failures` starts with one.
pub const VALIDATION_FAILURES: &[Entry] = &[
    entry(crate::validate::changed::code::COUNTS, "exact row counts of a table differ after the freeze (a row inserted or deleted on one side only)"),
    entry(crate::validate::changed::code::CHANGED_ROW, "a row whose key the change capture logged since the pinned full validation is missing, extra or different after the final catch-up"),
    entry(crate::validate::changed::code::RECHECK, "a row the sampled re-check compared (a random key, or every row of a small table) differs though no changelog entry names it: it was written behind the capture's back"),
    entry(crate::validate::changed::code::PINNED, "the pinned pre-freeze full validation found a difference on a row not changed since: it was not repaired by the catch-up"),
    entry(crate::validate::changed::code::NOT_PINNED, "a table has no pinned full validation, or that run could not compare it: its changed rows and counts alone prove nothing about the rest"),
];

/// Verdicts of `rehearse` (the report's `verdict`).
pub const REHEARSAL_VERDICTS: &[Entry] = &[
    entry("pass", "every gate passed"),
    entry(
        "fail",
        "a gate failed; `failed_because` starts with its code (`G004 rollback time vs RTO: …`)",
    ),
];

/// Risk suggestion keys ([`crate::risk::suggest`]); the part before the first `:` is the code.
pub const SUGGESTIONS: &[Entry] = &[
    entry("fk-cycle", "`fk-cycle:<members>`: a cycle broken by deferring foreign keys; orphans can slip in until the FKs exist"),
    entry("finding", "`finding:<code>:<source>:<line>`: an import warning (a finding code above)"),
    entry("no-owner", "`no-owner:<kind>`: artifacts of one kind without an owner"),
    entry("no-primary-key", "`no-primary-key:<table>`: a table without a primary key cannot be keyset-paged or validated by key"),
    entry("non-transactional", "`non-transactional:<table>`: a MySQL table without transactions (MyISAM): a write aborted after it lands keeps the row and loses its captured change"),
    entry("ponr", "`ponr`: the point of no return; after it, returning to the source exceeds the RTO"),
    entry("service-cycle", "`service-cycle:<members>`: a cycle among services, bridged by dual writes, facades or replicas"),
    entry("unbroken-cycle", "`unbroken-cycle:<members>`: a cycle with nothing to cut; its members move together"),
];

/// What a task of an orchestrator export (`runbook export --format argo|airflow`) prints or
/// exports, for a person or a CI job reading its log.
pub const ORCHESTRATOR_TASKS: &[Entry] = &[
    entry("manual-step", "`manual-step: step <id> (<action>) …`: a placeholder task, for a step with no migration-studio command, printed on stderr before it exits 2; the team puts its command in the placeholder's place"),
    entry("completed-<id>", "Argo global output parameter: `yes` once step `<id>` completed (a command that exited 0, or a suspend resumed with `completed=yes`); the `onExit` rollback undoes only completed steps"),
    entry("rollback_on_failure", "Airflow task of the cutover DAG (not a step): triggers `<project>-rollback` when a step before the point of no return fails or the point of no return is rejected, with the conf `cutover_run_id`"),
];

/// A finding of `mapping review` ([`crate::mapping::review`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReviewFinding {
    /// Stable code, e.g. `M001`.
    pub code: &'static str,
    /// Severity it is reported with (`error` fails the review until accepted).
    pub severity: ReviewSeverity,
    /// When it is reported.
    pub meaning: &'static str,
}

const fn review(
    code: &'static str,
    severity: ReviewSeverity,
    meaning: &'static str,
) -> ReviewFinding {
    ReviewFinding {
        code,
        severity,
        meaning,
    }
}

/// Every review finding, in code order.
pub const REVIEW_FINDINGS: &[ReviewFinding] = &[
    review(mapping::M001_LENGTH, ReviewSeverity::Error, "narrowing cast of text: the source can hold longer values than the target type's length (varchar(255) → varchar(10), text → varchar(n), an ENUM label longer than n)"),
    review(mapping::M002_PRECISION, ReviewSeverity::Error, "narrowing cast of a number: fewer integer digits or fewer decimals (numeric(65,30) → numeric(10,2), an integer into too small a numeric, numeric → integer)"),
    review(mapping::M003_INTEGER_RANGE, ReviewSeverity::Error, "narrowing integer cast: the source range does not fit the target's (bigint → integer, unsigned → signed of the same width)"),
    review(mapping::M004_TIME_ZONE, ReviewSeverity::Warning, "time zone loss: an instant (MySQL TIMESTAMP, timestamptz) becomes a local date-time (timestamp without time zone)"),
    review(mapping::M005_NOT_NULL, ReviewSeverity::Error, "the target column is NOT NULL over a nullable source column and the spec gives no `null_default`"),
    review(mapping::M006_FK_UNMAPPED, ReviewSeverity::Error, "a foreign key references a table the spec drops or the inventory lacks, or one of its columns is dropped: the constraint is not created"),
    review(mapping::M007_ENUM_WITHOUT_CHECK, ReviewSeverity::Warning, "ENUM or SET labels become text with no CHECK constraint: the target accepts any value"),
    review(mapping::M008_CONSUMER, ReviewSeverity::Warning, "a view, a trigger or a service of the inventory (its `uses-table` links) uses a table the spec renames, or whose columns it renames or drops: the consumer needs the new names"),
    review(mapping::M009_IDENTITY_NOT_CARRIED, ReviewSeverity::Error, "a source column's generated key (AUTO_INCREMENT, identity, serial, SQLite rowid alias) is not carried: the target column's type cannot be filled by a sequence, or a MySQL or SQLite target needs it to be the primary key on its own; the application's inserts after the cutover fail"),
    review(mapping::M010_DEFAULT_NOT_CARRIED, ReviewSeverity::Warning, "a source column's default expression has no equivalent on the target engine and is not carried: inserts after the cutover that omit the column get NULL or are refused"),
    review(mapping::M011_ON_UPDATE_NOT_CARRIED, ReviewSeverity::Warning, "a MySQL `ON UPDATE` expression (`ON UPDATE CURRENT_TIMESTAMP`) has no column option on the target engine and is not carried: rows updated after the cutover keep their old value unless a trigger sets it"),
    review(mapping::M012_NOT_REVERSIBLE, ReviewSeverity::Error, "a column a `merge` consumed or a `split` replaced is not copied on its own: a rollback cannot give it back to the source for rows written on the target after the cutover"),
    review(mapping::M013_COMPUTED_IN_PLACE, ReviewSeverity::Warning, "a column computed in place (`derive` on itself): the target keeps the computed value, and a rollback writes it back instead of the original"),
    review(mapping::M014_UNIQUE_COMPUTED, ReviewSeverity::Error, "a UNIQUE key over a column computed in place: distinct source values that compute to one collide on the target, which refuses all but one; the data pass counts the rows in colliding groups"),
    review(mapping::M015_FLOAT_NARROWING, ReviewSeverity::Error, "a 64-bit binary float (DOUBLE, double precision) into a 32-bit one (FLOAT, real): about 7 significant digits are kept of 15–17"),
    review(mapping::M016_FLOAT_EQUALITY, ReviewSeverity::Warning, "a binary float moved to another engine: its bits arrive, but each engine prints and parses it with its own digits, so `=` on a literal or its text (and a key over it) can match differently after the cutover"),
    review(mapping::M017_KEY_BECOMES_CASE_SENSITIVE, ReviewSeverity::Warning, "a primary or unique key over text compared without regard to case on the source (MySQL's default collations, SQLite NOCASE) and with it on the target: values differing only in case, refused today, are accepted after the cutover, and `=` lookups stop matching across case"),
    review(mapping::M018_KEY_BECOMES_CASE_INSENSITIVE, ReviewSeverity::Error, "a primary or unique key over text compared with regard to case on the source and without it on the target (MySQL's default collations): source rows that differ only in case collide, and the target refuses all but one; the data pass counts the rows in colliding groups"),
    review(mapping::M019_FRACTION_NARROWING, ReviewSeverity::Error, "a date-time or a time cast to fewer digits of the fraction of a second (datetime(6) → datetime, timestamp → timestamp(3), time(6) → time(0)): values are rounded half up by the copy (rule C005); the data pass counts the values it rounds"),
    review(mapping::M020_CHARSET_NARROWING, ReviewSeverity::Error, "text into a MySQL column whose character set holds fewer characters than the source's (a cast with `CHARACTER SET latin1`, `utf8mb3` or `ascii`): values holding other characters are refused; the data pass counts them"),
    review(mapping::M021_KEY_ACROSS_SPLIT, ReviewSeverity::Error, "an index or unique key of a split table over columns that land in different tables of the split: it is not created on the target (an error for a unique key, which nothing enforces after the cutover; a warning for an index)"),
    review(mapping::M022_MERGE_ORPHANS, ReviewSeverity::Error, "a table merged into another on the key, whose key is not a foreign key to it: a merged row without a partner row (an orphan) has nowhere to go, and validation fails the merged table with its key; the data pass counts them"),
    review(mapping::M023_MERGE_ALL_NULL, ReviewSeverity::Warning, "a table merged into another whose merged columns may all be NULL: a merged row holding only NULLs looks like no row once merged, so a rollback does not write it back if the application changes its partner after the cutover; the data pass counts such rows"),
];

/// The review finding registered as `code`.
pub fn review_finding(code: &str) -> Option<&'static ReviewFinding> {
    REVIEW_FINDINGS.iter().find(|f| f.code == code)
}

/// Why a mapping spec was refused ([`crate::mapping::MappingError::Spec`]); exit code 2.
pub const SPEC_ERRORS: &[Entry] = &[
    entry(crate::mapping::error::SYNTAX, "the spec is not valid TOML, a field is unknown or of the wrong type, or `version` is not 1"),
    entry(crate::mapping::error::UNKNOWN_TABLE, "a `[tables.\"…\"]` key names no table of the inventory"),
    entry(crate::mapping::error::UNKNOWN_COLUMN, "a `columns.<name>` key names no column of its source table"),
    entry(crate::mapping::error::UNKNOWN_TYPE, "a `type` is not a type of the target engine the engine maps (or holds characters no type name has)"),
    entry(crate::mapping::error::MISSING_FIELD, "a rule or an acceptance has no `reason` or no `author`"),
    entry(crate::mapping::error::EXPRESSION, "a `derive` expression does not parse or type-check against the source table (unknown column or function, wrong argument count or kind), or a `merge`/`split` cannot be compiled for the source engine; the message gives the character"),
    entry(crate::mapping::error::CONFLICT, "a rule contradicts the schema: a primary key column dropped, two columns or tables mapped to one name, a bad target name, a dropped column with a type"),
    entry(crate::mapping::error::UNKNOWN_FINDING, "an `[[accept]]` names a code that is not a review finding"),
];

/// The codes of the migration job lifecycle ([`crate::lifecycle`]): why a criterion does not
/// hold in a window (at the start of a job's `failures` and of a demotion's reason), and why
/// `lifecycle status` lists a job.
pub mod lifecycle {
    /// Row counts of the old and new outputs differ.
    pub const ROW_COUNT: &str = "L001";
    /// Checksums of the old and new outputs differ (same row count).
    pub const CHECKSUM: &str = "L002";
    /// The new side lands its data later than the old, beyond the tolerance.
    pub const LATENCY: &str = "L003";
    /// The new side reads, writes, stores or spends more than the old, beyond the tolerance.
    pub const RESOURCES: &str = "L004";
    /// A value a criterion needs was not measured.
    pub const NOT_MEASURED: &str = "L005";
    /// The job is held: it flapped.
    pub const HELD: &str = "L006";
    /// The job's last window failed a criterion.
    pub const REGRESSING: &str = "L007";
    /// The job is ready for cleanup and waits for `lifecycle approve`.
    pub const AWAITING_APPROVAL: &str = "L008";
    /// The job has not changed phase for `stuck_after_seconds`.
    pub const STUCK: &str = "L009";
    /// A SQL assertion of the job returned different rows on the two sides, or failed on one.
    pub const ASSERTION: &str = "L010";
}

/// Lifecycle codes ([`lifecycle`]), in code order.
pub const LIFECYCLE_CODES: &[Entry] = &[
    entry(lifecycle::ROW_COUNT, "data quality: the row counts of the old and the new output differ in a window"),
    entry(lifecycle::CHECKSUM, "data quality: the row counts are equal but the checksums of the two outputs differ"),
    entry(lifecycle::LATENCY, "landing latency: the new side lands its data later than the old by more than `latency_tolerance`"),
    entry(lifecycle::RESOURCES, "resources: rows read or written, bytes written, storage or CPU time of the new side exceed the old's by more than `resource_tolerance` (each figure both sides measured; from the databases' own statistics or a measurement file)"),
    entry(lifecycle::NOT_MEASURED, "a value a checked criterion needs was not measured in the window; the criterion does not hold"),
    entry(lifecycle::HELD, "`lifecycle status`: the job flapped (more than `flap_limit` promotions and demotions within `flap_window_seconds`) and is held; `lifecycle approve` releases it"),
    entry(lifecycle::REGRESSING, "`lifecycle status`: the job's last measured window failed a criterion (its failures follow)"),
    entry(lifecycle::AWAITING_APPROVAL, "`lifecycle status`: every criterion held long enough for cleanup, the point of no return, which waits for `lifecycle approve` (or `auto_cleanup`)"),
    entry(lifecycle::STUCK, "`lifecycle status`: the job, not done, has not changed phase for `stuck_after_seconds`"),
    entry(lifecycle::ASSERTION, "assertions: one of the job's SQL assertions (`[[lifecycle.jobs.\"<table>\".assertions]]`) returned different rows on the old and the new side, or could not run on one of them"),
];

/// The registry as Markdown: the text of `docs/CODES.md`.
pub fn markdown() -> String {
    let mut out = String::from(
        "# Codes\n\n\
Every code Migration Studio prints, from one registry (`src/codes/`); this file is generated \
from it and a test fails when they differ (`MIGRATION_STUDIO_WRITE_CODES=1 cargo test --lib codes` \
rewrites it). A code, once published, keeps its meaning.\n",
    );
    out.push_str(
        "\n## Exit codes of the command line\n\n| exit | class | when |\n|---:|---|---|\n",
    );
    out.push_str("| 0 | success | the command did what it was asked |\n");
    for class in ErrorClass::ALL {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            class.exit_code(),
            class.name(),
            class.meaning()
        );
    }
    out.push_str("\n## Rehearsal gates\n\nIn the report's `gates[].code`, its Markdown and HTML tables, `failed_because` and the desktop's gate list.\n\n| code | gate | passes when |\n|---|---|---|\n");
    for g in GATES {
        let _ = writeln!(out, "| {} | {} | {} |", g.code, g.name, g.meaning);
    }
    out.push_str("\n## Rehearsal verdicts\n\n| verdict | meaning |\n|---|---|\n");
    for v in REHEARSAL_VERDICTS {
        let _ = writeln!(out, "| `{}` | {} |", v.code, v.meaning);
    }
    out.push_str("\n## Validation verdicts\n\n| verdict | meaning |\n|---|---|\n");
    for v in VALIDATION_VERDICTS {
        let _ = writeln!(out, "| `{}` | {} |", v.code, v.meaning);
    }
    out.push_str("\n## Incremental validation failures\n\nAt the start of each line of a validation table report's `failures` (the post-freeze incremental validation and its gate).\n\n| code | meaning |\n|---|---|\n");
    for v in VALIDATION_FAILURES {
        let _ = writeln!(out, "| {} | {} |", v.code, v.meaning);
    }
    out.push_str("\n## Import findings\n\nIn `inventory`, `import --json`, the store and the desktop's findings list.\n\n| code | severity | when |\n|---|---|---|\n");
    for f in FINDINGS {
        let severity = match f.severity {
            Severity::Warning => "warning",
            Severity::Notice => "notice",
        };
        let _ = writeln!(out, "| `{}` | {severity} | {} |", f.code, f.meaning);
    }
    out.push_str("\n## Upgrade findings\n\nIn a rehearsal's report (`upgrade_findings`, with the steps they call for in `upgrade_steps`) when source and target are both PostgreSQL or both MariaDB, and in the plan (`upgrade`, its runbook steps carrying the code in `finding`) and the mapping review of a project whose manifest gives one engine two versions: the release notes' checks applied to the inventory, and the latest rehearsal of the same version pair's.\n\n| code | severity | when |\n|---|---|---|\n");
    for f in UPGRADE_FINDINGS {
        let severity = match f.severity {
            Severity::Warning => "warning",
            Severity::Notice => "notice",
        };
        let _ = writeln!(out, "| {} | {severity} | {} |", f.code, f.meaning);
    }
    out.push_str("\n## Risk suggestions\n\n| key | suggested when |\n|---|---|\n");
    for s in SUGGESTIONS {
        let _ = writeln!(out, "| `{}` | {} |", s.code, s.meaning);
    }
    out.push_str("\n## Orchestrator tasks\n\nIn the Argo Workflows and Airflow exports of the runbook and the logs of their tasks.\n\n| code | meaning |\n|---|---|\n");
    for t in ORCHESTRATOR_TASKS {
        let _ = writeln!(out, "| `{}` | {} |", t.code, t.meaning);
    }
    out.push_str("\n## Mapping review findings\n\nIn `mapping review` (text and `--json`); an `error` not accepted in the spec's `[[accept]]` makes it exit 1.\n\n| code | severity | when |\n|---|---|---|\n");
    for f in REVIEW_FINDINGS {
        let _ = writeln!(out, "| {} | {} | {} |", f.code, f.severity, f.meaning);
    }
    out.push_str("\n## Mapping spec errors\n\nA refused `mapping.toml` (exit 2), printed as `file:line: [code] field: message`.\n\n| code | when |\n|---|---|\n");
    for e in SPEC_ERRORS {
        let _ = writeln!(out, "| `{}` | {} |", e.code, e.meaning);
    }
    out.push_str("\n## Migration job lifecycle\n\nAt the start of a job's failures and of a demotion's reason (`L001`–`L005`, `L010`), and in `lifecycle status` (`L006`–`L009`).\n\n| code | meaning |\n|---|---|\n");
    for e in LIFECYCLE_CODES {
        let _ = writeln!(out, "| {} | {} |", e.code, e.meaning);
    }
    out.push_str("\n## Conversion rules\n\nIn the backfill, rehearsal and validation reports (`converted`); the README's data-fidelity section says what the `[data]` policy does with them.\n\n| code | rule | what it does |\n|---|---|---|\n");
    for rule in Rule::ALL {
        let _ = writeln!(
            out,
            "| {} | `{}` | {} |",
            rule.code(),
            rule.name(),
            rule.description()
        );
    }
    out
}

#[cfg(test)]
mod tests;
