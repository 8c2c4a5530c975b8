//! Where a tick's windows come from.
//!
//! - [`from_databases`]: row counts and checksums of each job's table on the source (the old
//!   side) and a rehearsal target (the new side), through [`crate::validate`] (read-only on
//!   both), and each job's SQL assertions run on both sides (the same rows, as
//!   [`crate::validate::invariants`] compares them), and resources from each engine's own
//!   statistics ([`TableStats`]): rows read and rows written as deltas since the previous
//!   window ([`Baseline`]), storage as the table's size now. PostgreSQL gives all three
//!   (`pg_stat_user_tables`, `pg_total_relation_size`); MariaDB gives rows read and written
//!   only with `userstat = ON` (`information_schema.TABLE_STATISTICS`) and storage always
//!   (`information_schema.TABLES`, `DATA_LENGTH + INDEX_LENGTH`); MySQL storage only; SQLite
//!   nothing. CPU time and bytes written are not kept per table by these engines, and
//!   databases give no landing latency: those come from a file, and a criterion whose figures
//!   are all missing is "not measured" ([`crate::codes::lifecycle::NOT_MEASURED`]) unless a
//!   job's `criteria` leaves it out.
//! - [`from_file`]: a staged source for what the databases do not give yet, a JSON file of
//!   windows per tick: `{"ticks": [{"<job>": {<Window>}, …}, …]}` (fields of [`Window`]).

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::window::{Resources, Window};
use super::LifecycleError;
use crate::db::{self, Access, Database, DbError, Pool};
use crate::project::settings::Assertion;
use crate::validate::{self, invariants, Invariant, Options, Silent, StrategyChoice};

/// The windows of a measurement file, one map per tick (job id → window).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasurementFile {
    /// One entry per tick, in order.
    pub ticks: Vec<HashMap<String, Window>>,
}

/// Reads a measurement file.
///
/// # Errors
/// [`LifecycleError::Measurements`] naming the file (and line) when it cannot be read or is
/// not a measurement file.
pub fn from_file(path: &Path) -> Result<MeasurementFile, LifecycleError> {
    let bad = |line: Option<usize>, message: String| LifecycleError::Measurements {
        file: path.to_owned(),
        line,
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(None, e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| bad(Some(e.line()), e.to_string()))
}

/// One window per job of `jobs` (source-side table names), measured now, read-only on both
/// sides: row counts and whether the contents are equal (checksums, bisected where the engines
/// allow), each job's SQL `assertions` (by job; see [`Assertion`]), and what each side's table
/// spent since the last window ([`Baseline`], updated here). A table that could not be compared
/// gets counts but no checksum verdict.
///
/// `compare` says how the two sides correspond, as the copy made them: its conversion `policy`
/// and mapping spec (`mapping`, or `mapping_file` read against the source's catalog), so a
/// value a stated rule converted, or a column the spec renamed, is no difference. Its tables,
/// sample and constraint settings are not used (counts and checksums only).
///
/// # Errors
/// [`LifecycleError::Validate`] when a side cannot be opened or read.
pub async fn from_databases(
    source_url: &str,
    target_url: &str,
    jobs: &[String],
    assertions: &HashMap<String, Vec<Assertion>>,
    baseline: &mut Baseline,
    compare: &Options,
) -> Result<HashMap<String, Window>, LifecycleError> {
    let connect = |url| db::connect(url, Access::ReadOnly, 1);
    let (old, new) = tokio::try_join!(connect(source_url), connect(target_url))
        .map_err(|e| LifecycleError::Validate(e.into()))?;
    // Statistics first: this window's own reads (the comparison below, the assertions) are
    // counted in the next one, alike on both sides.
    let (old_stats, new_stats) = tokio::try_join!(table_stats(&old), table_stats(&new))
        .map_err(|e| LifecycleError::Validate(e.into()))?;
    let options = Options {
        strategy: StrategyChoice::Auto,
        tables: jobs.to_vec(),
        // Counts and checksums only: the sample and the constraints are validate's business.
        sample_rows: 0,
        constraints: false,
        ..compare.clone()
    };
    let report = validate::validate_urls(source_url, target_url, &options, &[], None, &Silent)
        .await
        .map_err(LifecycleError::Validate)?;
    let mut out = HashMap::new();
    for table in report.tables {
        let Some(job) = jobs.iter().find(|j| {
            j.eq_ignore_ascii_case(&table.source_table)
                || table.source_table.ends_with(&format!(".{j}"))
        }) else {
            continue;
        };
        let compared = table.error.is_none();
        let now = [
            find_stats(&old_stats, &table.source_table),
            find_stats(&new_stats, &table.target_table),
        ];
        let before = baseline.0.insert(job.clone(), now);
        let spent = |side: usize| {
            let now = now[side]?;
            let before = before.and_then(|b| b[side]);
            let delta = |f: fn(&TableStats) -> Option<u64>| {
                // A counter that went back (statistics reset) gives no figure this window.
                f(&now)?.checked_sub(f(&before?)?)
            };
            Some(Resources {
                rows_read: delta(|s| s.rows_read),
                rows_written: delta(|s| s.rows_written),
                storage_bytes: Some(now.storage_bytes),
                ..Resources::default()
            })
        };
        out.insert(
            job.clone(),
            Window {
                old_rows: Some(table.source_rows),
                new_rows: Some(table.target_rows),
                checksum_match: compared.then(|| table.differences.total() == 0),
                old_resources: spent(0),
                new_resources: spent(1),
                ..Window::default()
            },
        );
    }
    for job in jobs {
        let Some(list) = assertions.get(job).filter(|a| !a.is_empty()) else {
            continue;
        };
        let mut failed = Vec::new();
        for assertion in list {
            failed.extend(check_assertion(&old, &new, assertion).await);
        }
        out.entry(job.clone()).or_default().failed_assertions = Some(failed);
    }
    old.close().await;
    new.close().await;
    Ok(out)
}

/// The last statistics seen of each job's two tables (old, new), from which the next window's
/// rows read and written are deltas. Kept in the project store with each tick
/// ([`super::store::LifecycleStore::record_tick`]), so a restarted loop takes it up; an empty
/// one (a job's first window) compares storage alone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Baseline(pub HashMap<String, [Option<TableStats>; 2]>);

/// One table's cumulative statistics on one side, as the engine keeps them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableStats {
    /// Rows read since the statistics were reset: PostgreSQL `seq_tup_read + idx_tup_fetch`
    /// (`pg_stat_user_tables`); MariaDB `ROWS_READ` (`information_schema.TABLE_STATISTICS`,
    /// only with `userstat` on); `None` where the engine keeps no such counter.
    pub rows_read: Option<u64>,
    /// Rows inserted, updated and deleted: PostgreSQL `n_tup_ins + n_tup_upd + n_tup_del`;
    /// MariaDB `ROWS_CHANGED` (with `userstat` on).
    pub rows_written: Option<u64>,
    /// Data and indexes, bytes: PostgreSQL `pg_total_relation_size` (TOAST included); MySQL and
    /// MariaDB `DATA_LENGTH + INDEX_LENGTH` (`information_schema.TABLES`, as of InnoDB's last
    /// statistics update).
    pub storage_bytes: u64,
}

/// A statistics row as read: schema, table, rows read, rows written, storage bytes.
type StatsRow = (String, String, Option<i64>, Option<i64>, i64);

/// Every user table's statistics on `db`, by (schema, table). SQLite keeps none: empty.
///
/// # Errors
/// [`DbError`] when the catalog cannot be read.
pub async fn table_stats(db: &Database) -> Result<Vec<(String, String, TableStats)>, DbError> {
    let err = |e| db.query_error("reading table statistics", e);
    let rows: Vec<StatsRow> = match &db.pool {
        Pool::Postgres(p) => sqlx::query_as(
            "SELECT schemaname::text, relname::text,              (coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0))::bigint,              (n_tup_ins + n_tup_upd + n_tup_del)::bigint,              pg_total_relation_size(relid)::bigint FROM pg_stat_user_tables",
        )
        .fetch_all(p)
        .await
        .map_err(err)?,
        Pool::Mysql(p) => {
            // MariaDB's per-table counters exist only while `userstat` is on (MySQL has no such
            // variable: the query fails, and there is no counter either).
            let userstat: Option<i64> = sqlx::query_scalar("SELECT CAST(@@userstat AS SIGNED)")
                .fetch_one(p)
                .await
                .ok();
            let sql = if userstat == Some(1) {
                "SELECT t.TABLE_SCHEMA, t.TABLE_NAME, CAST(s.ROWS_READ AS SIGNED),                  CAST(s.ROWS_CHANGED AS SIGNED),                  CAST(coalesce(t.DATA_LENGTH, 0) + coalesce(t.INDEX_LENGTH, 0) AS SIGNED)                  FROM information_schema.TABLES t LEFT JOIN information_schema.TABLE_STATISTICS s                  ON s.TABLE_SCHEMA = t.TABLE_SCHEMA AND s.TABLE_NAME = t.TABLE_NAME                  WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE'"
            } else {
                "SELECT TABLE_SCHEMA, TABLE_NAME, CAST(NULL AS SIGNED), CAST(NULL AS SIGNED),                  CAST(coalesce(DATA_LENGTH, 0) + coalesce(INDEX_LENGTH, 0) AS SIGNED)                  FROM information_schema.TABLES                  WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'"
            };
            sqlx::query_as(sql).fetch_all(p).await.map_err(err)?
        }
        Pool::Sqlite(_) => Vec::new(),
    };
    let count = |v: Option<i64>| v.and_then(|v| u64::try_from(v).ok());
    Ok(rows
        .into_iter()
        .map(|(schema, table, read, written, storage)| {
            let stats = TableStats {
                rows_read: count(read),
                rows_written: count(written),
                storage_bytes: count(Some(storage)).unwrap_or(0),
            };
            (schema, table, stats)
        })
        .collect())
}

/// The statistics of the table `name` (`schema.table`, or `table` alone) names.
fn find_stats(stats: &[(String, String, TableStats)], name: &str) -> Option<TableStats> {
    let (schema, table) = match name.rsplit_once('.') {
        Some((schema, table)) => (Some(schema), table),
        None => (None, name),
    };
    let unquote = |s: &str| s.trim_matches(['"', '`']).to_owned();
    let table = unquote(table);
    let schema = schema.map(unquote);
    stats
        .iter()
        .find(|(s, t, _)| *t == table && schema.as_ref().is_none_or(|want| want == s))
        .map(|(_, _, stats)| *stats)
}

/// Runs `assertion` on both sides: `None` when it holds, else `name: why`.
async fn check_assertion(old: &Database, new: &Database, assertion: &Assertion) -> Option<String> {
    let as_invariant = Invariant {
        name: assertion.name.clone(),
        source_sql: assertion.sql.clone(),
        target_sql: assertion.new_side_sql().to_owned(),
    };
    let report = invariants::check(old, new, &as_invariant, 1).await;
    if let Some(error) = report.error {
        return Some(format!("`{}` could not run: {error}", assertion.name));
    }
    (!report.equal).then(|| {
        let first = report
            .first
            .first()
            .map(|d| format!(", first difference old | new: {d}"))
            .unwrap_or_default();
        format!(
            "`{}` old {} rows, new {} rows{first}",
            assertion.name, report.source_rows, report.target_rows
        )
    })
}
