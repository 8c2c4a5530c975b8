//! Validation: proving the rows arrived. For each source table and the target table of the
//! same name (columns matched by name, case-insensitively):
//!
//! 1. **Counts** per table and per key range.
//! 2. **Row comparison** by one of two strategies that give the same verdict:
//!    - [`segment`] checksums computed inside each database over a canonical projection of each
//!      row, bisected down to the differing keys (data-diff's method), for databases far apart:
//!      only counts and hash sums cross the network until the last level;
//!    - [`merge`]-compare: both sides read in key order concurrently and merge-joined in Rust,
//!      for local rehearsals, where reading is cheaper than hashing inside the database.
//!
//!    `auto` picks merge when both databases are on this machine (loopback, a local socket or
//!    an SQLite file) and checksums otherwise.
//! 3. A seeded random [`sample`] of full rows compared field by field.
//! 4. [`constraints`] in the target: NOT NULL, UNIQUE, CHECK and foreign keys (orphans counted).
//! 5. User [`invariants`]: SQL on both sides whose results must be equal.
//!
//! Values are compared in the canonical form of [`Cell::canonical`](crate::data::Cell::canonical)
//! under a type common to both columns ([`pair::common`]); [`canon_sql`] produces the same text
//! inside PostgreSQL and MySQL. Both databases are opened read-only.
//!
//! The result ([`Report`]) serialises for `--json` and the desktop app and renders as a summary
//! table. A run records finished tables in a [`state::RunState`] so an interrupted run resumes.

pub mod canon_sql;
pub mod changed;
mod constraints;
pub mod conversions;
pub mod diff;
pub mod error;
pub mod fast_read;
pub mod invariants;
pub mod merge;
pub mod multiset;
pub mod pair;
pub mod report;
pub mod row_hash;
pub mod sample;
pub mod segment;
pub mod state;
pub mod stream;
pub mod table_merge;

use std::time::Instant;

pub use error::ValidateError;
pub use invariants::Invariant;
pub use report::{Report, Strategy, TableReport, Verdict};
pub use state::RunState;

use crate::db::{self, Access, Database};
use crate::import::live::import_live;
use crate::inventory::{Inventory, Table};

/// Which strategy to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StrategyChoice {
    /// Merge when both databases are local, checksums otherwise.
    #[default]
    Auto,
    /// Segment checksums with bisection.
    Checksum,
    /// Streaming merge-compare.
    Merge,
}

use serde::{Deserialize, Serialize};

/// Validation settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// Strategy.
    pub strategy: StrategyChoice,
    /// Tables to validate (source names, case-insensitive, with or without schema); empty = all.
    pub tables: Vec<String>,
    /// Rows per batch handed from each side's reader to the merge-compare, and per keyset read
    /// of client-side hashing. A table estimated at no more rows than this is compared by
    /// reading each side whole in one statement ([`merge::compare_small`]).
    pub chunk_rows: usize,
    /// Sub-segments per bisection step.
    pub bisection_factor: u32,
    /// Rows at or under which a differing segment is fetched and compared row by row.
    pub leaf_rows: u64,
    /// Rows in the random sample per table.
    pub sample_rows: usize,
    /// Seed of the sample.
    pub seed: u64,
    /// Keys shown per kind of difference.
    pub show: usize,
    /// Whether to check the target's constraints.
    pub constraints: bool,
    /// Hash on the client even where the database could (checksum strategy).
    pub force_client_hash: bool,
    /// What the stated conversion rules do, as the backfill applied them.
    pub policy: crate::data::ConversionPolicy,
    /// The mapping spec the backfill copied through: tables and columns are paired by its
    /// renames, its computed columns and NULL defaults are computed on the source side the
    /// way the backfill computed them, and what it drops is not compared. `None` pairs by name.
    pub mapping: Option<crate::mapping::MappingSpec>,
    /// The mapping spec's file, read by [`validate_urls`] against the source's live catalog
    /// (its rules then name the live tables) into [`Self::mapping`].
    pub mapping_file: Option<std::path::PathBuf>,
    /// Whether the spec's computed columns are compared. A rollback drill compares the stored
    /// columns only: what the application wrote into a computed column after the cutover is
    /// its own, and the replay writes back what the source stores.
    pub computed: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            strategy: StrategyChoice::Auto,
            tables: Vec::new(),
            chunk_rows: 20_000,
            bisection_factor: 32,
            leaf_rows: 1_024,
            sample_rows: 100,
            seed: 1,
            show: 10,
            constraints: true,
            force_client_hash: false,
            policy: crate::data::ConversionPolicy::default(),
            mapping: None,
            mapping_file: None,
            computed: true,
        }
    }
}

/// Progress of a run, per table. Tables are validated one after the other.
pub trait Progress: Send + Sync {
    /// A table starts; `estimate` is its source row estimate when known.
    fn start(&self, _table: &str, _estimate: Option<u64>) {}
    /// Source rows compared so far in the current table.
    fn rows(&self, _done: u64) {}
    /// A table is done.
    fn finish(&self, _report: &TableReport) {}
}

/// Reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {}

/// Whether `url` points at this machine: an SQLite file, a Unix socket, or a loopback host.
pub fn is_local(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("sqlite:") {
        return true;
    }
    if lower.contains("socket=") || lower.contains("host=/") {
        return true;
    }
    let Some(rest) = lower.split_once("://").map(|(_, r)| r) else {
        return false;
    };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    host.is_empty() || host == "localhost" || host == "::1" || host.starts_with("127.")
}

/// The strategy `choice` resolves to for these two URLs.
pub fn resolve_strategy(choice: StrategyChoice, source_url: &str, target_url: &str) -> Strategy {
    match choice {
        StrategyChoice::Checksum => Strategy::Checksum,
        StrategyChoice::Merge => Strategy::Merge,
        StrategyChoice::Auto if is_local(source_url) && is_local(target_url) => Strategy::Merge,
        StrategyChoice::Auto => Strategy::Checksum,
    }
}

/// The two open databases and their schemas.
pub struct Sides<'a> {
    /// Source (read-only).
    pub source: &'a Database,
    /// Target (read-only).
    pub target: &'a Database,
    /// Source schema.
    pub source_inventory: &'a Inventory,
    /// Target schema.
    pub target_inventory: &'a Inventory,
}

fn wanted(options: &Options, table: &Table) -> bool {
    options.tables.is_empty()
        || options.tables.iter().any(|w| {
            w.eq_ignore_ascii_case(&table.name.name)
                || w.eq_ignore_ascii_case(&table.name.to_string())
        })
}

/// The source tables a run covers: base tables and partitioned parents (a partition's rows are
/// read through its parent), in name order, filtered by `options.tables`.
pub fn tables_in_scope<'a>(inventory: &'a Inventory, options: &Options) -> Vec<&'a Table> {
    inventory
        .tables
        .iter()
        .filter(|t| t.partition_of.is_none())
        .filter(|t| !t.name.name.eq_ignore_ascii_case(db::guard::MARKER_TABLE))
        .filter(|t| wanted(options, t))
        .filter(|t| {
            !options
                .mapping
                .as_ref()
                .and_then(|m| m.table(t))
                .is_some_and(|r| r.leaves_no_table())
        })
        .collect()
}

/// The target tables of `source_table` ([`pair::resolve`]), through `options`' mapping spec.
fn target_tables<'a>(
    sides: &Sides<'a>,
    source_table: &Table,
    options: &Options,
) -> Vec<pair::Resolved<'a>> {
    pair::resolve(
        sides.source.engine,
        source_table,
        sides.target.engine,
        sides.target_inventory,
        options.mapping.as_ref().map(|m| (m, options.computed)),
    )
}

async fn count(db: &Database, table: &Table) -> Result<u64, db::DbError> {
    db.count_rows(&table.name).await
}

/// Validates one source table against its target table: one report, or one per table of a
/// split ([`pair::resolve`]), main first.
pub async fn validate_table(
    sides: &Sides<'_>,
    source_table: &Table,
    strategy: Strategy,
    options: &Options,
    progress: &dyn Progress,
) -> Vec<TableReport> {
    let name = source_table.name.to_string();
    let mut reports = Vec::new();
    for (wanted, found) in target_tables(sides, source_table, options) {
        let started = Instant::now();
        let Some((target_table, paired)) = found else {
            reports.push(TableReport::no_target(&name, &wanted, strategy));
            continue;
        };
        let target_name = target_table.name.to_string();
        let mut report = match paired {
            Ok(pair) => compare_pair(sides, &pair, strategy, options, progress).await,
            Err(why) => {
                let mut r =
                    TableReport::not_compared(&name, &target_name, strategy, why.to_string());
                // Counts still say something when rows cannot be matched by key.
                if let (Ok(a), Ok(b)) = (
                    count(sides.source, source_table).await,
                    count(sides.target, target_table).await,
                ) {
                    r.source_rows = a;
                    r.target_rows = b;
                }
                r
            }
        };
        report.seconds = started.elapsed().as_secs_f64();
        let target_name = report.target_table.clone();
        reports.push(report);
        // The tables merged into this one (into its main target table, the first).
        if reports.len() == 1 {
            let rule = options.mapping.as_ref().and_then(|m| m.table(source_table));
            for merge in rule.iter().flat_map(|r| &r.merged) {
                reports.push(
                    table_merge::report(
                        sides.source,
                        source_table,
                        &merge.table,
                        &target_name,
                        strategy,
                        options.show,
                    )
                    .await,
                );
            }
        }
    }
    reports
}

async fn compare_pair(
    sides: &Sides<'_>,
    pair: &pair::TablePair,
    strategy: Strategy,
    options: &Options,
    progress: &dyn Progress,
) -> TableReport {
    let mut report = TableReport::not_compared(
        &pair.name(),
        &pair.target.name.to_string(),
        strategy,
        String::new(),
    );
    report.error = None;
    report.columns = pair.columns.clone();
    if let Err(e) = fill(sides, pair, strategy, options, progress, &mut report).await {
        report.error = Some(e.to_string());
    }
    report.decide();
    report
}

async fn fill(
    sides: &Sides<'_>,
    pair: &pair::TablePair,
    strategy: Strategy,
    options: &Options,
    progress: &dyn Progress,
    report: &mut TableReport,
) -> Result<(), ValidateError> {
    let (source, target) = (sides.source, sides.target);
    if pair.source.is_keyless() {
        let m = multiset::compare(source, target, pair, options.show).await?;
        report.source_rows = m.source_rows;
        report.target_rows = m.target_rows;
        report.segments_checked = 1;
        report.differences = m.differences;
        report.notes.push(
            "no primary key: rows compared as a multiset of row hashes (a changed row counts as one missing and one extra)".to_owned(),
        );
        report.converted = conversions::count(source, pair, target.engine, &options.policy).await?;
        if options.constraints {
            report.constraints =
                constraints::check(target, pair, sides.target_inventory, &mut report.notes).await?;
        }
        return Ok(());
    }
    let rules = conversions::rules(pair, target.engine, &options.policy);
    // A table that fits in one chunk by the source's row estimate is read whole in one
    // statement per side (up to four chunks, in case the estimate is stale).
    let small = match (strategy, pair.source_table.rows) {
        (Strategy::Merge, Some(rows)) if rows <= options.chunk_rows as u64 => {
            let cap = options.chunk_rows.saturating_mul(4);
            merge::compare_small(source, target, pair, cap, options.show, &rules).await?
        }
        _ => None,
    };
    let merged = match (strategy, small) {
        (_, Some(m)) => Some(Ok(m)),
        (Strategy::Merge, None) => Some(
            merge::compare(
                source,
                target,
                pair,
                options.chunk_rows,
                options.show,
                rules.clone(),
                progress,
            )
            .await,
        ),
        (Strategy::Checksum, None) => None,
    };
    // Converted values: counted by the merge's own read of the source, else by a scan.
    let mut converted = None;
    let strategy = match merged {
        Some(Ok(m)) => {
            report.source_rows = m.source_rows;
            report.target_rows = m.target_rows;
            report.segments_checked = m.chunks;
            report.differences = m.differences;
            converted = Some(conversions::tally(pair, &rules, &m.converted));
            Strategy::Merge
        }
        // The engines order this key differently (an ENUM by its index against text, text
        // under two collations): the checksum strategy matches keys by value, not by order.
        Some(Err(ValidateError::KeyOrder {
            key,
            previous,
            side,
            ..
        })) => {
            report.notes.push(format!(
                "the {side} ordered key {key} after {previous}, not as the other engine orders it: compared with the checksum strategy instead of the merge"
            ));
            report.strategy = Strategy::Checksum;
            Strategy::Checksum
        }
        Some(Err(e)) => return Err(e),
        None => Strategy::Checksum,
    };
    match strategy {
        Strategy::Merge => {}
        Strategy::Checksum => {
            let tuning = segment::Bisection {
                factor: options.bisection_factor.max(2),
                leaf_rows: options.leaf_rows.max(1),
                chunk_rows: options.chunk_rows,
                show: options.show,
                force_client: options.force_client_hash,
            };
            let c = segment::compare(source, target, pair, tuning, &rules, progress).await?;
            if let Some(counts) = &c.converted {
                converted = Some(conversions::tally(pair, &rules, counts));
            }
            report.source_rows = c.source_rows;
            report.target_rows = c.target_rows;
            report.segments_checked = c.segments;
            report.ranges = c.ranges;
            report.differences = c.differences;
            report.hashed_in = c.hashed_in;
        }
    }
    report.converted = match converted {
        Some(c) => c,
        None => conversions::count(source, pair, target.engine, &options.policy).await?,
    };
    if options.sample_rows > 0 {
        let bounds = if pair.integer_leading_key() {
            segment::leading_bounds(source, &pair.source).await?
        } else {
            None
        };
        report.sample = sample::compare(
            source,
            target,
            pair,
            options.sample_rows,
            options.seed,
            options.show,
            bounds,
        )
        .await?;
    }
    if options.constraints {
        report.constraints =
            constraints::check(target, pair, sides.target_inventory, &mut report.notes).await?;
    }
    Ok(())
}

/// Validates every table in scope and the invariants. Tables already in `state` are not
/// validated again: their stored reports are used. Each finished table is recorded in `state`.
///
/// # Errors
/// [`ValidateError::State`] when the run state cannot be saved. Per-table failures are
/// reported in the table's report, not as errors.
pub async fn run(
    sides: &Sides<'_>,
    strategy: Strategy,
    options: &Options,
    invariants: &[Invariant],
    mut state: Option<&mut RunState>,
    progress: &dyn Progress,
) -> Result<Report, ValidateError> {
    let started = Instant::now();
    let mut tables = Vec::new();
    for table in tables_in_scope(sides.source_inventory, options) {
        let name = table.name.to_string();
        let done = state
            .as_ref()
            .map(|s| s.finished(&name))
            .unwrap_or_default();
        if !done.is_empty() {
            for done in done {
                let mut done = done.clone();
                done.notes
                    .push("validated by an earlier, interrupted attempt of this run".to_owned());
                progress.finish(&done);
                tables.push(done);
            }
            continue;
        }
        progress.start(&name, table.rows);
        let reports = validate_table(sides, table, strategy, options, progress).await;
        for report in &reports {
            progress.finish(report);
        }
        if let Some(state) = state.as_deref_mut() {
            state.record(&name, reports.clone())?;
        }
        tables.extend(reports);
    }
    let mut invariant_reports = Vec::new();
    for invariant in invariants {
        invariant_reports
            .push(invariants::check(sides.source, sides.target, invariant, options.show).await);
    }
    let mut report = Report {
        source: sides.source.display.clone(),
        target: sides.target.display.clone(),
        strategy,
        tables,
        invariants: invariant_reports,
        verdict: Verdict::Equal,
        seconds: started.elapsed().as_secs_f64(),
    };
    report.decide();
    Ok(report)
}

/// Opens both URLs read-only, reads both schemas, and runs [`run`].
///
/// # Errors
/// [`ValidateError::Db`] or [`ValidateError::Import`] when a side cannot be opened or read;
/// [`ValidateError::State`].
pub async fn validate_urls(
    source_url: &str,
    target_url: &str,
    options: &Options,
    invariants: &[Invariant],
    state: Option<&mut RunState>,
    progress: &dyn Progress,
) -> Result<Report, ValidateError> {
    let strategy = resolve_strategy(options.strategy, source_url, target_url);
    // Two connections per side: the comparison stream and the bisection's concurrent queries.
    let (source, target) = tokio::try_join!(
        db::connect(source_url, Access::ReadOnly, 4),
        db::connect(target_url, Access::ReadOnly, 4)
    )?;
    let (source_inventory, target_inventory) = tokio::try_join!(
        import_live(source.engine, source_url, &[]),
        import_live(target.engine, target_url, &[])
    )?;
    let mut options = options.clone();
    if let (Some(file), None) = (&options.mapping_file, &options.mapping) {
        options.mapping = Some(
            crate::mapping::MappingSpec::load(
                file,
                crate::mapping::spec::Schema {
                    inventory: &source_inventory,
                    source: source.engine,
                    target: target.engine,
                },
            )
            .map_err(|e| ValidateError::Mapping(Box::new(e)))?,
        );
    }
    let sides = Sides {
        source: &source,
        target: &target,
        source_inventory: &source_inventory,
        target_inventory: &target_inventory,
    };
    let report = run(&sides, strategy, &options, invariants, state, progress).await;
    source.close().await;
    target.close().await;
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_merges_only_when_both_sides_are_local() {
        assert!(is_local("sqlite:///tmp/a.db"));
        assert!(is_local("postgres://u:p@127.0.0.1:5432/db"));
        assert!(is_local("mysql://root@localhost/db"));
        assert!(is_local("postgres://u@[::1]:5432/db"));
        assert!(is_local("postgres:///db?host=/var/run/postgresql"));
        assert!(!is_local("postgres://u@db.example.com/db"));
        assert!(!is_local("mysql://root@10.0.0.5:3306/db"));
        let (here, there) = ("postgres://127.0.0.1/a", "mysql://db.example.com/b");
        assert_eq!(
            resolve_strategy(StrategyChoice::Auto, here, here),
            Strategy::Merge
        );
        assert_eq!(
            resolve_strategy(StrategyChoice::Auto, here, there),
            Strategy::Checksum
        );
        assert_eq!(
            resolve_strategy(StrategyChoice::Merge, here, there),
            Strategy::Merge
        );
    }
}
