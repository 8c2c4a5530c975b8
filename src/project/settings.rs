//! Settings the manifest carries for other stages: the rehearsal's go/no-go limits (`[gates]`)
//! and validation's invariants (`[[invariants]]`). They live here, not in the modules that use
//! them, so the manifest (read by every stage, the planning core included) depends on no stage's
//! internals; [`crate::rehearsal::gates`] and [`crate::validate`] re-export them.

use serde::{Deserialize, Serialize};

/// Limits a rehearsal must stay within (`[gates]` in the manifest).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Gates {
    /// Rows that may differ after the final catch-up (missing + extra + changed).
    pub max_mismatched_rows: u64,
    /// Capture lag, in seconds, allowed when writes are frozen for the cutover.
    pub max_lag_seconds: f64,
    /// Errors allowed: rows the target refused plus workload writes that failed.
    pub max_errors: u64,
    /// A step may take this many times its expected duration.
    pub step_budget_factor: f64,
    /// What a server version other than the manifest's `[source]`/`[target]` `version` does:
    /// `warn` (the default: the report and the command's output say so loudly) or `fail` (gate
    /// `G011` fails the rehearsal).
    pub version_mismatch: VersionMismatch,
}

/// What a rehearsal does when a server's version is not the manifest's (`[gates]
/// version_mismatch`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionMismatch {
    /// Report it (in the report and on the terminal), and go on.
    #[default]
    Warn,
    /// Fail the rehearsal on gate `G011`.
    Fail,
}

impl Default for Gates {
    fn default() -> Self {
        Self {
            max_mismatched_rows: 0,
            max_lag_seconds: 30.0,
            max_errors: 0,
            step_budget_factor: 10.0,
            version_mismatch: VersionMismatch::Warn,
        }
    }
}

/// A validation invariant (`[[invariants]]`): a query per side whose result sets must be equal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Invariant {
    /// Name for the report.
    pub name: String,
    /// Query run on the source.
    pub source_sql: String,
    /// Query run on the target.
    pub target_sql: String,
}

/// A promotion criterion of the migration job lifecycle (`criteria = [...]` in `[lifecycle]`).
/// Kept here, beside the other manifest settings, so the manifest does not depend on
/// [`crate::lifecycle`]; that module re-exports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    /// Row count and checksum of the old and the new output are equal.
    DataQuality,
    /// The new side lands its data no later than the old, within `latency_tolerance`.
    Latency,
    /// Rows read, rows and bytes written, storage and CPU time of the new side are equal or
    /// better than the old, within `resource_tolerance` (each figure compared when both sides
    /// measured it).
    Resources,
    /// Every SQL assertion of the job ([`JobSettings::assertions`]) returns the same result on
    /// both sides. Checked for every job that has assertions, whether listed or not.
    Assertions,
}

impl Criterion {
    /// The default criteria, in report order ([`Criterion::Assertions`] comes with a job's
    /// assertions, so it is no default).
    pub const ALL: [Criterion; 3] = [
        Criterion::DataQuality,
        Criterion::Latency,
        Criterion::Resources,
    ];

    /// Every criterion there is, [`Criterion::Assertions`] included.
    pub const EVERY: [Criterion; 4] = [
        Criterion::DataQuality,
        Criterion::Latency,
        Criterion::Resources,
        Criterion::Assertions,
    ];

    /// The manifest's spelling, e.g. `data_quality`.
    pub fn name(self) -> &'static str {
        match self {
            Criterion::DataQuality => "data_quality",
            Criterion::Latency => "latency",
            Criterion::Resources => "resources",
            Criterion::Assertions => "assertions",
        }
    }

    /// Its name in words for a person (`data quality`), as the desktop app shows it.
    pub fn label(self) -> &'static str {
        // Written out, so a new criterion is given its words here.
        match self {
            Criterion::DataQuality => "data quality",
            Criterion::Latency => "latency",
            Criterion::Resources => "resources",
            Criterion::Assertions => "assertions",
        }
    }
}

/// The lifecycle's defaults (`[lifecycle]` in the manifest; every key optional, the section
/// too). Per-job overrides live in `[lifecycle.jobs."<table>"]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LifecycleSettings {
    /// Consecutive measured windows in which every criterion must hold before a promotion (N).
    pub windows: u32,
    /// The criteria checked; all three by default.
    pub criteria: Vec<Criterion>,
    /// How much later the new side may land its data, as a fraction of the old side's latency
    /// (0.1 = 10 % later).
    pub latency_tolerance: f64,
    /// How much more the new side may read, write, store or spend in CPU, as a fraction of the
    /// old.
    pub resource_tolerance: f64,
    /// A job whose promotions and demotions between shadow and reverse shadow number more than
    /// this within `flap_window_seconds` is held for a person (K).
    pub flap_limit: u32,
    /// The flapping window, in seconds.
    pub flap_window_seconds: f64,
    /// Promote into cleanup (the point of no return) without `lifecycle approve`.
    pub auto_cleanup: bool,
    /// Seconds between two ticks of `lifecycle run`.
    pub interval_seconds: f64,
    /// A job without a transition for this many seconds is listed as stuck.
    pub stuck_after_seconds: f64,
    /// Per-job overrides, by table name as the inventory spells it.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub jobs: std::collections::BTreeMap<String, JobSettings>,
}

impl Default for LifecycleSettings {
    fn default() -> Self {
        Self {
            windows: 3,
            criteria: Criterion::ALL.to_vec(),
            latency_tolerance: 0.1,
            resource_tolerance: 0.1,
            flap_limit: 3,
            flap_window_seconds: 3600.0,
            auto_cleanup: false,
            interval_seconds: 60.0,
            stuck_after_seconds: 3600.0,
            jobs: std::collections::BTreeMap::new(),
        }
    }
}

/// One job's overrides of the `[lifecycle]` defaults (`[lifecycle.jobs."<table>"]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobSettings {
    /// See [`LifecycleSettings::windows`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub windows: Option<u32>,
    /// See [`LifecycleSettings::criteria`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub criteria: Option<Vec<Criterion>>,
    /// See [`LifecycleSettings::latency_tolerance`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_tolerance: Option<f64>,
    /// See [`LifecycleSettings::resource_tolerance`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_tolerance: Option<f64>,
    /// See [`LifecycleSettings::auto_cleanup`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_cleanup: Option<bool>,
    /// The job's SQL assertions (`[[lifecycle.jobs."<table>".assertions]]`), checked in every
    /// measured window as the [`Criterion::Assertions`] criterion.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub assertions: Vec<Assertion>,
}

/// A custom promotion criterion of one critical job: a read-only query run on the old side
/// (the source) and on the new side (the target) in every measured window. It holds when the
/// two results are the same **set of rows**: rows compared sorted (no `ORDER BY` needed, and
/// duplicates count), each value compared as text with numbers canonical (`10.50` = `10.5`),
/// `NULL` equal only to `NULL`. A query that fails on either side fails the assertion. Each
/// query must be a single `SELECT` (or `WITH … SELECT`) that the side's SQL dialect parses: no
/// other statement, no `SELECT … INTO`, no `FOR UPDATE`/`FOR SHARE`, no data-modifying `WITH`;
/// the manifest is refused otherwise, and the sessions that run it are read-only besides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assertion {
    /// Name, for the failure's detail.
    pub name: String,
    /// The query, run on both sides (or on the old side only when `new_sql` is given).
    pub sql: String,
    /// The query for the new side, when its dialect needs another spelling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_sql: Option<String>,
}

impl Assertion {
    /// The query run on the new side.
    pub fn new_side_sql(&self) -> &str {
        self.new_sql.as_deref().unwrap_or(&self.sql)
    }

    /// Checks both queries: each parses in its side's dialect (`old` the source engine, `new`
    /// the target's) as one read-only query.
    ///
    /// # Errors
    /// The manifest key at fault (`sql` or `new_sql`) and why, in words.
    pub fn check(
        &self,
        old: crate::import::Engine,
        new: crate::import::Engine,
    ) -> Result<(), (&'static str, String)> {
        read_only_query(&self.sql, old).map_err(|e| ("sql", e))?;
        match &self.new_sql {
            Some(sql) => read_only_query(sql, new).map_err(|e| ("new_sql", e)),
            None if new != old => read_only_query(&self.sql, new)
                .map_err(|e| ("sql", format!("on the new side ({new}): {e}"))),
            None => Ok(()),
        }
    }
}

/// Whether `sql` is one query that reads only, in `engine`'s dialect: a single `SELECT` or
/// `WITH … SELECT` statement, with no `INTO` (PostgreSQL's `SELECT INTO` creates a table), no
/// row locks and no statement nested in it (PostgreSQL's data-modifying `WITH`).
fn read_only_query(sql: &str, engine: crate::import::Engine) -> Result<(), String> {
    use sqlparser::ast::{SetExpr, Statement, Visit, Visitor};
    use std::ops::ControlFlow;

    let dialect = engine.sql_dialect();
    let statements = sqlparser::parser::Parser::parse_sql(dialect.as_ref(), sql)
        .map_err(|e| format!("does not parse as {engine} SQL: {e}"))?;
    let [statement] = statements.as_slice() else {
        return Err(format!(
            "must be one query, found {} statements",
            statements.len()
        ));
    };
    let Statement::Query(query) = statement else {
        return Err(
            "must be a SELECT (or WITH … SELECT) query: it is run on both sides, read-only".into(),
        );
    };
    if !query.locks.is_empty() {
        return Err("must not lock rows (FOR UPDATE / FOR SHARE)".into());
    }
    if let SetExpr::Select(select) = query.body.as_ref() {
        if select.into.is_some() {
            return Err("must not be SELECT … INTO (it writes a table)".into());
        }
    }
    struct Nested(usize);
    impl Visitor for Nested {
        type Break = ();
        fn pre_visit_statement(&mut self, _: &Statement) -> ControlFlow<()> {
            self.0 += 1;
            ControlFlow::Continue(())
        }
    }
    let mut nested = Nested(0);
    let _ = statement.visit(&mut nested);
    if nested.0 > 1 {
        return Err("must not hold another statement (a data-modifying WITH)".into());
    }
    Ok(())
}
