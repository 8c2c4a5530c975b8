//! Incremental final validation: after the write freeze, compare only the rows whose keys the
//! change capture saw change since a full validation, plus exact row counts, instead of the
//! whole database again.
//!
//! **How the rehearsal uses it.** While writes continue, a full validation ([`super::run`])
//! runs and its result is *pinned* to a changelog position `P`: the position the applier had
//! applied when that validation started (not the changelog's head: entries written but not yet
//! applied were not on the target when it read them). After the freeze and the final
//! catch-up to position `F`, [`crate::rehearsal::capture::changed_keys`] gives the keys changed
//! in `(P, F]` and [`validate_changed`] compares exactly those rows on both sides, counts every
//! table exactly, and re-checks a random sample of keys ([`Recheck`]). [`Incremental::gate`]
//! then combines both runs into the go/no-go answer: the pinned run's differences on keys
//! changed since `P` are superseded (the row was in flight), the others stand.
//!
//! **What it finds.** Every row written through the captured side after `P` (insert, update,
//! delete, a key change's old and new key), because the capture triggers log it in the same
//! transaction; every difference in row counts; and, through the pinned run, every difference
//! present when the full validation read the row and not repaired since.
//!
//! **What it cannot find by itself.** A row changed on the target *behind the capture's back*
//! (a write to the target, or to the source with its triggers off) after the full validation
//! read that row leaves no changelog entry, and an update keeps the counts equal. Such a row is
//! found by the pinned full validation only if the write came before that validation read it,
//! and otherwise only by the sampled re-check: a table with at most
//! [`Recheck::whole_table_rows`] source rows is re-compared whole (every such write is found),
//! a larger one on [`Recheck::keys_per_table`] random source keys (a write to `w` of its `n`
//! rows is found with probability about `1 - (1 - w/n)^k`). An extra row inserted on the
//! target or a deleted one changes the counts and is always found.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use futures_util::StreamExt;
use sqlx::Row;

use super::diff::Comparer;
use super::error::ValidateError;
use super::pair::TablePair;
use super::report::{
    ChangedList, ConstraintCheck, Differences, KeyList, Report, Strategy, TableReport, Verdict,
};
use super::row_hash::{key_text, KeyPart};
use super::sample::SplitMix64;
use super::stream::{prepare, HashKind, KeyOrderReader, Prepared};
use super::{constraints, invariants, multiset, tables_in_scope, Options, Progress, Sides};
use crate::data::read::read_fragment;
use crate::data::{keyset, read_rows, Cell, TableSpec};
use crate::db::{quote, Database, DbError, Pool};
use crate::import::Engine;

/// Keys of rows changed since the pinned position, per source table: the table as
/// [`super::run`] names it (`schema.table`, matched case-insensitively, with or without the
/// schema), and each key as the source's key column values in key order (what
/// [`crate::rehearsal::capture::changed_keys`] returns).
pub type ChangedKeys = BTreeMap<String, Vec<Vec<Cell>>>;

/// The sampled re-check: rows compared although no changelog entry names them, to find writes
/// made behind the capture's back (see the module documentation for what it catches).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recheck {
    /// Source keys drawn at random per table and compared on both sides; 0 turns the draw
    /// off (small tables are still re-compared whole).
    pub keys_per_table: usize,
    /// Seed of the draw (SplitMix64): the same seed on the same rows draws the same keys.
    pub seed: u64,
    /// A table with at most this many source rows (exact count at the freeze) is re-compared
    /// whole, one statement per side, instead of sampled; 0 turns that off.
    pub whole_table_rows: u64,
}

impl Default for Recheck {
    fn default() -> Self {
        Self {
            keys_per_table: 100,
            seed: 1,
            whole_table_rows: 10_000,
        }
    }
}

/// Settings of an incremental validation (the rest comes from [`Options`]: `tables`, `show`,
/// `constraints`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Keys per fetch statement (each side gets one `WHERE key IN (…)` per this many keys).
    pub keys_per_statement: usize,
    /// The sampled re-check.
    pub recheck: Recheck,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            keys_per_statement: 1_000,
            recheck: Recheck::default(),
        }
    }
}

/// Stable codes of the reasons an incremental validation or its gate is not `equal`, printed
/// at the start of each [`TableReport::failures`] line (registered in [`crate::codes`]).
pub mod code {
    /// Exact row counts differ after the freeze.
    pub const COUNTS: &str = "V001";
    /// A row whose key changed since the pinned position differs.
    pub const CHANGED_ROW: &str = "V002";
    /// A re-checked row (sampled, or its small table re-compared whole) differs.
    pub const RECHECK: &str = "V003";
    /// A difference of the pinned full validation on a key not changed since stands.
    pub const PINNED: &str = "V004";
    /// A table has no pinned full validation (or that run could not compare it).
    pub const NOT_PINNED: &str = "V005";
}

/// What an incremental validation found, and what its gate needs from it.
#[derive(Debug, Clone)]
pub struct Incremental {
    /// The tables and invariants compared after the freeze. Per table: exact counts,
    /// differences among the changed and re-checked keys, constraint checks of the tables that
    /// changed; `failures` say why a table is not equal, each with its code ([`code`]).
    pub report: Report,
    /// Per table, the keys compared again after the freeze (the changed ones and the sampled
    /// re-check's), as differences print keys (`10001, 1986-06-26`): this run's verdict on
    /// them supersedes the pinned run's.
    pub changed: BTreeMap<String, BTreeSet<String>>,
    /// Tables compared whole after the freeze (small enough for the re-check, or without a
    /// key): this run's verdict on every row supersedes the pinned run's.
    pub whole: BTreeSet<String>,
}

fn find_changed<'a>(changed: &'a ChangedKeys, name: &str, short: &str) -> Option<&'a [Vec<Cell>]> {
    changed
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .or_else(|| {
            changed.iter().find(|(k, _)| {
                k.rsplit('.')
                    .next()
                    .unwrap_or(k)
                    .eq_ignore_ascii_case(short)
            })
        })
        .map(|(_, v)| v.as_slice())
}

/// Tables compared at once (each side's pool has four connections).
const TABLES_AT_ONCE: usize = 3;

/// `count(*)` of each of `specs`' tables, one statement per 100 tables (the per-table round
/// trip is what dominates small tables); with `cap`, `min(count(*), cap)`, which reads at most
/// `cap` rows of each: whether a table is small enough to re-compare whole, known before its
/// exact count (a full scan of a large table, overlapped with the comparisons).
async fn count_all(
    db: &Database,
    specs: &[&TableSpec],
    cap: Option<u64>,
) -> Result<Vec<u64>, DbError> {
    let mut out = Vec::with_capacity(specs.len());
    for group in specs.chunks(100) {
        let exprs: Vec<String> = group
            .iter()
            .map(|s| {
                let table = quote::table(db.engine, &s.name);
                let sub = match cap {
                    None => format!("(SELECT count(*) FROM {table})"),
                    Some(cap) => format!(
                        "(SELECT count(*) FROM (SELECT 1 AS one FROM {table} LIMIT {cap}) AS _ms_capped)"
                    ),
                };
                match db.engine {
                    Engine::Mysql => format!("CAST({sub} AS SIGNED)"),
                    _ => format!("CAST({sub} AS BIGINT)"),
                }
            })
            .collect();
        let sql = format!("SELECT {}", exprs.join(", "));
        let err = |e| db.query_error("counting rows", e);
        macro_rules! run {
            ($pool:expr) => {{
                let row = sqlx::query(&sql).fetch_one($pool).await.map_err(err)?;
                (0..row.len())
                    .map(|i| row.try_get::<i64, _>(i).map(|n| n.max(0) as u64))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(err)?
            }};
        }
        out.extend(match &db.pool {
            Pool::Postgres(p) => run!(p),
            Pool::Mysql(p) => run!(p),
            Pool::Sqlite(p) => run!(p),
        });
    }
    Ok(out)
}

/// The key of `cell`s as differences print it.
fn text_of(key: &[Cell], pair: &TablePair) -> String {
    key_text(
        &key.iter()
            .zip(&pair.source.key)
            .map(|(c, &i)| KeyPart::of(c, &pair.canon[i]))
            .collect::<Vec<_>>(),
    )
}

/// Adds `more` to `into`, keeping at most `show` keys of each kind.
fn absorb(into: &mut Differences, more: Differences, show: usize) {
    let list = |a: &mut KeyList, b: KeyList| {
        a.count += b.count;
        a.first.extend(b.first);
        a.first.truncate(show);
    };
    list(&mut into.missing, more.missing);
    list(&mut into.extra, more.extra);
    into.changed.count += more.changed.count;
    into.changed.first.extend(more.changed.first);
    into.changed.first.truncate(show);
}

/// Rows of `spec` whose key is one of `keys`, prepared and sorted by their key encoding.
async fn rows_of(
    db: &Database,
    spec: &TableSpec,
    canon: &[crate::data::Logical],
    keys: &[Vec<Cell>],
) -> Result<Vec<Prepared>, ValidateError> {
    let rows = read_fragment(db, spec, &spec.select_keys(keys)).await?;
    let mut prepared = prepare(spec, canon, rows, HashKind::Fast);
    prepared.sort_by(|a, b| a.key().cmp(b.key()));
    Ok(prepared)
}

/// Compares the rows of `keys` on both sides, `per_statement` keys at a time, both sides
/// queried concurrently. Returns the differences and the statements run per side.
async fn compare_keys(
    sides: &Sides<'_>,
    pair: &TablePair,
    keys: &[Vec<Cell>],
    per_statement: usize,
    show: usize,
) -> Result<(Differences, u64), ValidateError> {
    // In key order, so that each statement reads a narrow stretch of the index; two
    // statements per side at a time.
    let mut keys: Vec<&Vec<Cell>> = keys.iter().collect();
    keys.sort_by_cached_key(|k| {
        k.iter()
            .zip(&pair.source.key)
            .map(|(c, &i)| KeyPart::of(c, &pair.canon[i]))
            .collect::<Vec<_>>()
    });
    let chunks: Vec<Vec<Vec<Cell>>> = keys
        .chunks(per_statement.max(1))
        .map(|c| c.iter().map(|k| (*k).clone()).collect())
        .collect();
    let compared: Vec<Result<Differences, ValidateError>> =
        futures_util::stream::iter(chunks.iter().map(|chunk| async move {
            let (s, t) = tokio::try_join!(
                rows_of(sides.source, &pair.source, &pair.canon, chunk),
                rows_of(sides.target, &pair.target, &pair.canon, chunk)
            )?;
            // A comparer per chunk: a key's encoding from the changelog may order apart from
            // the rows' own.
            let mut comparer = Comparer::new(pair, show);
            comparer.all(s, t)?;
            Ok(comparer.differences)
        }))
        .buffered(2)
        .collect()
        .await;
    let mut differences = Differences::default();
    let statements = compared.len() as u64;
    for d in compared {
        absorb(&mut differences, d?, show);
    }
    Ok((differences, statements))
}

/// Both sides read whole (one statement each) and compared.
async fn compare_whole(
    sides: &Sides<'_>,
    pair: &TablePair,
    show: usize,
) -> Result<Differences, ValidateError> {
    let read = |db: &Database, spec: &TableSpec| {
        let (db, spec) = (db.clone(), spec.clone());
        let canon = pair.canon.clone();
        async move {
            let rows = read_rows(&db, &spec, None, None, None).await?;
            let mut prepared = prepare(&spec, &canon, rows, HashKind::Fast);
            prepared.sort_by(|a, b| a.key().cmp(b.key()));
            Ok::<_, ValidateError>(prepared)
        }
    };
    let (s, t) = tokio::try_join!(
        read(sides.source, &pair.source),
        read(sides.target, &pair.target)
    )?;
    let mut comparer = Comparer::new(pair, show);
    comparer.all(s, t)?;
    Ok(comparer.differences)
}

/// `n` source keys drawn with `rng`. With an integer leading key: `n` random points of its
/// range, and for each the first leading value at or after it (all in one statement per 200
/// points); a composite key then reads the keys of those leading values (one `IN` statement
/// per 500) and picks one of each group at random, so that every row can be drawn, not only
/// the first of its group. Rows after gaps are a little more likely, which does not matter for
/// finding damage. Other keys: a reservoir sample over a key-only scan (Vitter's algorithm R),
/// which reads every key once.
async fn draw_keys(
    source: &Database,
    pair: &TablePair,
    n: usize,
    rng: &mut SplitMix64,
) -> Result<Vec<Vec<Cell>>, ValidateError> {
    let keys_only = key_spec(&pair.source, pair.source.key.len());
    if !pair.integer_leading_key() {
        return reservoir(source, keys_only, n, rng).await;
    }
    let Some((lo, hi)) = super::segment::leading_bounds(source, &pair.source).await? else {
        return Ok(Vec::new());
    };
    let lead_only = key_spec(&pair.source, 1);
    let span = (i128::from(hi) - i128::from(lo) + 1).min(i128::from(u64::MAX)) as u64;
    let e = source.engine;
    let lead = quote::ident(e, &lead_only.columns[0].name);
    let table = quote::table(e, &lead_only.name);
    let mut parts = Vec::with_capacity(n);
    for i in 0..n {
        // Our own integers, written as literals: one statement, no placeholder numbering.
        let point = i128::from(lo) + i128::from(rng.below(span));
        parts.push(format!(
            "SELECT * FROM (SELECT {} FROM {table} WHERE {lead} >= {point} ORDER BY {lead} LIMIT 1) AS _ms_s{i}",
            lead_only.select_list()
        ));
    }
    let mut leads: Vec<Vec<Cell>> = Vec::new();
    for group in parts.chunks(200) {
        let fragment = keyset::Fragment {
            sql: group.join(" UNION ALL "),
            binds: Vec::new(),
        };
        leads.extend(read_fragment(source, &lead_only, &fragment).await?);
    }
    if pair.source.key.len() == 1 {
        return Ok(leads);
    }
    let mut distinct: Vec<Vec<Cell>> = Vec::new();
    let mut seen = BTreeSet::new();
    for l in &leads {
        if let Cell::Int(v) = l[0] {
            if seen.insert(v) {
                distinct.push(l.clone());
            }
        }
    }
    let mut groups: BTreeMap<i64, Vec<Vec<Cell>>> = BTreeMap::new();
    for chunk in distinct.chunks(500) {
        let filter = keyset::any_of(e, &lead_only.key_columns(), chunk, 1);
        let fragment = keyset::Fragment {
            sql: format!(
                "SELECT {} FROM {table} {}",
                keys_only.select_list(),
                filter.sql
            ),
            binds: filter.binds,
        };
        for key in read_fragment(source, &keys_only, &fragment).await? {
            if let Cell::Int(v) = key[0] {
                groups.entry(v).or_default().push(key);
            }
        }
    }
    Ok(leads
        .iter()
        .filter_map(|l| match l[0] {
            Cell::Int(v) => groups.get(&v),
            _ => None,
        })
        .filter(|g| !g.is_empty())
        .map(|g| g[rng.below(g.len() as u64) as usize].clone())
        .collect())
}

/// `spec` reduced to its first `parts` key columns, which are also its key.
fn key_spec(spec: &TableSpec, parts: usize) -> TableSpec {
    let mut keys_only = spec.clone();
    keys_only.columns = spec.key[..parts]
        .iter()
        .map(|&i| spec.columns[i].clone())
        .collect();
    keys_only.key = (0..parts).collect();
    keys_only
}

async fn reservoir(
    source: &Database,
    keys_only: TableSpec,
    n: usize,
    rng: &mut SplitMix64,
) -> Result<Vec<Vec<Cell>>, ValidateError> {
    let mut reader = KeyOrderReader::new(source.clone(), keys_only, None, None, true, 10_000);
    let mut kept: Vec<Vec<Cell>> = Vec::new();
    let mut seen: u64 = 0;
    while let Some(keys) = reader.next().await? {
        for key in keys {
            seen += 1;
            if kept.len() < n {
                kept.push(key);
            } else {
                let j = rng.below(seen) as usize;
                if j < n {
                    kept[j] = key;
                }
            }
        }
    }
    Ok(kept)
}

/// The V001 line of a table whose exact counts differ, first among its failures.
fn count_line(report: &mut TableReport) {
    if report.source_rows != report.target_rows {
        report.failures.insert(
            0,
            format!(
                "{} row counts differ after the freeze: {} in the source, {} in the target",
                code::COUNTS,
                report.source_rows,
                report.target_rows
            ),
        );
    }
}

fn failure_lines(report: &mut TableReport, changed_diffs: &Differences, recheck: &Differences) {
    if changed_diffs.total() > 0 {
        report.failures.push(format!(
            "{} {} row(s) changed since the pinned position differ after the final catch-up",
            code::CHANGED_ROW,
            changed_diffs.total()
        ));
    }
    if recheck.total() > 0 {
        report.failures.push(format!(
            "{} {} re-checked row(s) differ though the changelog names no change to them: written behind the capture's back",
            code::RECHECK,
            recheck.total()
        ));
    }
}

/// Validates, after the freeze, the rows `changed` names plus exact counts and the sampled
/// re-check, over the tables in scope (`options.tables`, as [`super::run`]
/// picks them; three at a time, reported to `progress` in order once done), then the
/// invariants. Read-only on both sides.
///
/// Per table with a key: one batched, capped `count(*)` on the source for all tables (is it
/// small enough to re-compare whole), exact counts on both sides alongside the rest; the changed
/// keys and the re-checked ones fetched `settings.keys_per_statement` at a time on both sides
/// concurrently and compared as the merge compares (canonical row texts, so the same verdict
/// as a full validation for those rows); when the table has changed keys and
/// `options.constraints`, its target constraints. A table without a key (the capture cannot
/// name its rows) is compared whole as a multiset, as the full validation does.
///
/// # Errors
/// [`ValidateError::Db`] when counting fails; per-table failures are in the table's report.
pub async fn validate_changed(
    sides: &Sides<'_>,
    changed: &ChangedKeys,
    options: &Options,
    settings: &Settings,
    invariant_list: &[super::Invariant],
    progress: &dyn Progress,
) -> Result<Incremental, ValidateError> {
    let started = Instant::now();
    let strategy = Strategy::Merge;
    let mut tables: Vec<TableReport> = Vec::new();
    let mut pairs: Vec<(usize, TablePair)> = Vec::new();
    for table in tables_in_scope(sides.source_inventory, options) {
        let name = table.name.to_string();
        for (wanted, found) in super::target_tables(sides, table, options) {
            let Some((target_table, paired)) = found else {
                tables.push(TableReport::no_target(&name, &wanted, strategy));
                continue;
            };
            let target_name = target_table.name.to_string();
            match paired {
                Ok(p) => {
                    let mut r =
                        TableReport::not_compared(&name, &target_name, strategy, String::new());
                    r.error = None;
                    r.columns = p.columns.clone();
                    pairs.push((tables.len(), p));
                    tables.push(r);
                }
                Err(why) => tables.push(TableReport::not_compared(
                    &name,
                    &target_name,
                    strategy,
                    why.to_string(),
                )),
            }
        }
    }
    // Whether each table is small enough to re-compare whole, all tables in one statement (a
    // round trip per table and side is what small tables cost); the exact counts, a full scan
    // of each large table, run alongside the comparisons.
    let source_specs: Vec<&TableSpec> = pairs.iter().map(|(_, p)| &p.source).collect();
    let target_specs: Vec<&TableSpec> = pairs.iter().map(|(_, p)| &p.target).collect();
    let small = count_all(
        sides.source,
        &source_specs,
        Some(settings.recheck.whole_table_rows + 1),
    )
    .await?;
    let exact = async {
        tokio::try_join!(
            count_all(sides.source, &source_specs, None),
            count_all(sides.target, &target_specs, None)
        )
    };
    // Tables a few at a time: each costs a few round trips per side, which overlap. Each has
    // its own generator, seeded from the seed and its place, so a draw does not depend on the
    // order in which tables finish.
    let jobs = pairs.iter().enumerate().map(|(k, (at, pair))| {
        let mut report = tables[*at].clone();
        report.source_rows = small[k];
        let mut rng = SplitMix64::new(
            settings
                .recheck
                .seed
                .wrapping_add((k as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)),
        );
        async move {
            let table_started = Instant::now();
            let mut compared = BTreeMap::new();
            let outcome = check_pair(
                sides,
                pair,
                changed,
                options,
                settings,
                &mut rng,
                &mut report,
                &mut compared,
            )
            .await;
            let whole = match outcome {
                Ok(whole) => whole,
                Err(e) => {
                    report.error = Some(e.to_string());
                    false
                }
            };
            report.seconds = table_started.elapsed().as_secs_f64();
            (k, *at, report, compared, whole)
        }
    });
    let compare = futures_util::stream::iter(jobs)
        .buffered(TABLES_AT_ONCE)
        .collect::<Vec<_>>();
    let (counted, done) = tokio::join!(exact, compare);
    let (source_counts, target_counts) = counted?;
    let mut compared: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut whole_tables = BTreeSet::new();
    for (k, at, mut report, keys, whole) in done {
        // A table without a key was counted by its own multiset comparison.
        if !pairs[k].1.source.is_keyless() {
            report.source_rows = source_counts[k];
            report.target_rows = target_counts[k];
        }
        count_line(&mut report);
        report.decide();
        if whole {
            whole_tables.insert(report.source_table.clone());
        }
        progress.start(&report.source_table, Some(report.source_rows));
        progress.finish(&report);
        tables[at] = report;
        compared.extend(keys);
    }
    let mut invariant_reports = Vec::new();
    for invariant in invariant_list {
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
    Ok(Incremental {
        report,
        changed: compared,
        whole: whole_tables,
    })
}

/// Opens both URLs read-only, reads both schemas, and runs [`validate_changed`] (as
/// [`super::validate_urls`] does for [`super::run`]).
///
/// # Errors
/// [`ValidateError::Db`] or [`ValidateError::Import`] when a side cannot be opened or read;
/// what [`validate_changed`] returns.
pub async fn validate_changed_urls(
    source_url: &str,
    target_url: &str,
    changed: &ChangedKeys,
    options: &Options,
    settings: &Settings,
    invariant_list: &[super::Invariant],
    progress: &dyn Progress,
) -> Result<Incremental, ValidateError> {
    // Four connections per side: three tables at a time, and the counts.
    let (source, target) = tokio::try_join!(
        crate::db::connect(source_url, crate::db::Access::ReadOnly, 4),
        crate::db::connect(target_url, crate::db::Access::ReadOnly, 4)
    )?;
    let (source_inventory, target_inventory) = tokio::try_join!(
        crate::import::live::import_live(source.engine, source_url, &[]),
        crate::import::live::import_live(target.engine, target_url, &[])
    )?;
    let sides = Sides {
        source: &source,
        target: &target,
        source_inventory: &source_inventory,
        target_inventory: &target_inventory,
    };
    let result =
        validate_changed(&sides, changed, options, settings, invariant_list, progress).await;
    source.close().await;
    target.close().await;
    result
}

#[allow(clippy::too_many_arguments)]
async fn check_pair(
    sides: &Sides<'_>,
    pair: &TablePair,
    changed: &ChangedKeys,
    options: &Options,
    settings: &Settings,
    rng: &mut SplitMix64,
    report: &mut TableReport,
    compared: &mut BTreeMap<String, BTreeSet<String>>,
) -> Result<bool, ValidateError> {
    let show = options.show;
    if pair.source.is_keyless() {
        let m = multiset::compare(sides.source, sides.target, pair, show).await?;
        report.source_rows = m.source_rows;
        report.target_rows = m.target_rows;
        report.segments_checked = 1;
        report.differences = m.differences;
        report.notes.push(
            "no primary key: the capture cannot name its rows, so it was compared whole as a multiset of row hashes".to_owned(),
        );
        failure_lines(report, &Differences::default(), &Differences::default());
        if options.constraints {
            report.constraints = constraints::generated_keys(sides.target, pair).await?;
        }
        return Ok(true);
    }
    let keys = find_changed(changed, &report.source_table, &pair.source.name.name).unwrap_or(&[]);
    let texts: BTreeSet<String> = keys.iter().map(|k| text_of(k, pair)).collect();
    let whole = settings.recheck.whole_table_rows > 0
        && report.source_rows <= settings.recheck.whole_table_rows;
    let mut rechecked = BTreeSet::new();
    let (changed_diffs, recheck_diffs) = if whole {
        // Every row is compared; a difference on a changed key is the changed row's.
        let all = compare_whole(sides, pair, show).await?;
        report.segments_checked = 1;
        split(all, &texts, show)
    } else {
        let mut drawn = if settings.recheck.keys_per_table > 0 {
            draw_keys(sides.source, pair, settings.recheck.keys_per_table, rng).await?
        } else {
            Vec::new()
        };
        drawn.retain(|k| !texts.contains(&text_of(k, pair)));
        let mut seen = BTreeSet::new();
        drawn.retain(|k| seen.insert(text_of(k, pair)));
        let sampled = drawn.len();
        rechecked = seen;
        let mut all_keys: Vec<Vec<Cell>> = keys.to_vec();
        all_keys.extend(drawn);
        let (all, statements) =
            compare_keys(sides, pair, &all_keys, settings.keys_per_statement, show).await?;
        report.segments_checked = statements;
        if sampled > 0 {
            report.notes.push(format!(
                "{sampled} random source key(s) re-checked (seed {})",
                settings.recheck.seed
            ));
        }
        split(all, &texts, show)
    };
    report.notes.push(if whole {
        format!(
            "incremental: {} key(s) changed since the pinned position; the table ({} rows) re-compared whole",
            keys.len(),
            report.source_rows
        )
    } else {
        format!(
            "incremental: {} key(s) changed since the pinned position compared row by row",
            keys.len()
        )
    });
    failure_lines(report, &changed_diffs, &recheck_diffs);
    report.differences = changed_diffs;
    absorb(&mut report.differences, recheck_diffs, show);
    if options.constraints {
        // Unchanged rows keep the pinned run's checks, except generated keys: their sequences
        // are set at the freeze, after the pinned run, so they are checked again everywhere.
        report.constraints = if keys.is_empty() {
            constraints::generated_keys(sides.target, pair).await?
        } else {
            constraints::check(
                sides.target,
                pair,
                sides.target_inventory,
                &mut report.notes,
            )
            .await?
        };
    }
    let mut again = texts;
    again.extend(rechecked);
    compared.insert(report.source_table.clone(), again);
    Ok(whole)
}

/// Splits differences into those on `changed` keys and the rest. Only shown keys can be told
/// apart: unshown ones are counted with the rest (the stricter code).
fn split(all: Differences, changed: &BTreeSet<String>, show: usize) -> (Differences, Differences) {
    let mut on = Differences::default();
    let mut off = Differences::default();
    let lists = |list: KeyList, on: &mut KeyList, off: &mut KeyList| {
        let unshown = list.count - list.first.len() as u64;
        for key in list.first {
            if changed.contains(&key) {
                on.push(key, show);
            } else {
                off.push(key, show);
            }
        }
        off.count += unshown;
    };
    lists(all.missing, &mut on.missing, &mut off.missing);
    lists(all.extra, &mut on.extra, &mut off.extra);
    let unshown = all.changed.count - all.changed.first.len() as u64;
    for row in all.changed.first {
        let side: &mut ChangedList = if changed.contains(&row.key) {
            &mut on.changed
        } else {
            &mut off.changed
        };
        side.count += 1;
        if side.first.len() < show {
            side.first.push(row);
        }
    }
    off.changed.count += unshown;
    (on, off)
}

/// A pinned difference list without the keys changed since (their rows were in flight and
/// were compared again); keys it did not show cannot be told apart and stand.
fn standing(list: &KeyList, changed: Option<&BTreeSet<String>>) -> KeyList {
    let unshown = list.count - list.first.len() as u64;
    let first: Vec<String> = list
        .first
        .iter()
        .filter(|k| !changed.is_some_and(|c| c.contains(*k)))
        .cloned()
        .collect();
    KeyList {
        count: first.len() as u64 + unshown,
        first,
    }
}

/// Adds to `checks` (this run's) the `pinned` run's constraint checks that this run did not
/// make again (same kind and name): a check made after the freeze supersedes the pinned one.
fn keep_pinned_checks(checks: &mut Vec<ConstraintCheck>, pinned: &[ConstraintCheck]) {
    for p in pinned {
        if !checks.iter().any(|c| c.kind == p.kind && c.name == p.name) {
            checks.push(p.clone());
        }
    }
}

impl Incremental {
    /// The go/no-go answer from the pinned full validation and this incremental one, as one
    /// report (verdicts decided again). Per table: the counts, constraint checks and
    /// differences of this run; for a table this run compared whole, nothing more; otherwise
    /// plus the pinned run's differences on keys *not* compared again since
    /// the pinned position (`V004`: present before the freeze and not repaired since), its
    /// sampled fields on such keys, and its constraint checks where this run did not check
    /// them. Keys the pinned run did not list (it lists `show` of each kind) cannot be told
    /// apart and stand, so run the pinned validation with a large `show`; a sampled row it
    /// found missing names no key and stands too, so run it with `sample_rows = 0` under the
    /// merge strategy (which compares every row anyway). A table in scope here and absent
    /// from, or not compared by, the pinned run fails with `V005`. Invariants are this run's.
    pub fn gate(&self, pinned: &Report) -> Report {
        let mut out = self.report.clone();
        for t in &mut out.tables {
            if t.error.is_some() {
                continue;
            }
            let Some(full) = pinned.tables.iter().find(|f| f.same_pair(t)) else {
                t.failures.push(format!(
                    "{} no pinned full validation of this table: only its changed rows and counts were compared",
                    code::NOT_PINNED
                ));
                t.verdict = Verdict::NotCompared;
                continue;
            };
            if let Some(e) = &full.error {
                t.failures.push(format!(
                    "{} the pinned full validation could not compare this table: {e}",
                    code::NOT_PINNED
                ));
                t.error = Some(e.clone());
                t.decide();
                continue;
            }
            if self.whole.contains(&t.source_table) {
                // Every row compared again with writes frozen: nothing of the pinned run stands.
                keep_pinned_checks(&mut t.constraints, &full.constraints);
                t.converted = full.converted.clone();
                t.decide();
                continue;
            }
            let changed = self.changed.get(&t.source_table);
            let d = &full.differences;
            let stands = Differences {
                missing: standing(&d.missing, changed),
                extra: standing(&d.extra, changed),
                changed: {
                    let unshown = d.changed.count - d.changed.first.len() as u64;
                    let first: Vec<_> = d
                        .changed
                        .first
                        .iter()
                        .filter(|r| !changed.is_some_and(|c| c.contains(&r.key)))
                        .cloned()
                        .collect();
                    ChangedList {
                        count: first.len() as u64 + unshown,
                        first,
                    }
                },
            };
            let mut sample = full.sample.clone();
            let before = sample.first.len() as u64;
            sample
                .first
                .retain(|f| !changed.is_some_and(|c| c.contains(&f.key)));
            sample.differing_fields -= before - sample.first.len() as u64;
            let pinned_total = stands.total() + sample.missing + sample.differing_fields;
            if pinned_total > 0 {
                t.failures.push(format!(
                    "{} {pinned_total} difference(s) of the pinned full validation on rows not changed since stand",
                    code::PINNED
                ));
            }
            let show = t
                .differences
                .missing
                .first
                .len()
                .max(stands.missing.first.len())
                .max(10);
            absorb(&mut t.differences, stands, show);
            t.sample = sample;
            keep_pinned_checks(&mut t.constraints, &full.constraints);
            t.converted = full.converted.clone();
            t.decide();
        }
        for full in &pinned.tables {
            if !out.tables.iter().any(|t| t.same_pair(full)) {
                out.tables.push(full.clone());
            }
        }
        out.decide();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::report::ChangedRow;

    fn list(keys: &[&str], count: u64) -> KeyList {
        KeyList {
            count,
            first: keys.iter().map(|k| (*k).to_owned()).collect(),
        }
    }

    #[test]
    fn differences_split_on_changed_keys_and_unshown_ones_count_as_rechecks() {
        let all = Differences {
            missing: list(&["1", "2"], 3),
            extra: list(&["9"], 1),
            changed: ChangedList {
                count: 2,
                first: vec![ChangedRow {
                    key: "2".into(),
                    columns: vec!["a".into()],
                }],
            },
        };
        let changed: BTreeSet<String> = ["2".to_owned()].into();
        let (on, off) = split(all, &changed, 10);
        assert_eq!(on.missing, list(&["2"], 1));
        assert_eq!(on.changed.count, 1);
        assert_eq!(off.missing, list(&["1"], 2));
        assert_eq!(off.extra, list(&["9"], 1));
        assert_eq!(off.changed.count, 1);
    }

    #[test]
    fn pinned_differences_on_changed_keys_are_superseded_and_unlisted_ones_stand() {
        let changed: BTreeSet<String> = ["5".to_owned()].into();
        assert_eq!(
            standing(&list(&["5", "6"], 2), Some(&changed)),
            list(&["6"], 1)
        );
        assert_eq!(standing(&list(&["5"], 4), Some(&changed)), list(&[], 3));
        assert_eq!(standing(&list(&["5"], 1), None), list(&["5"], 1));
    }

    fn table(missing: &[&str]) -> TableReport {
        let mut t = TableReport::not_compared("s.item", "s.item", Strategy::Merge, String::new());
        t.error = None;
        t.source_rows = 10;
        t.target_rows = 10 - missing.len() as u64;
        t.differences.missing = list(missing, missing.len() as u64);
        t.decide();
        t
    }

    fn report(tables: Vec<TableReport>) -> Report {
        let mut r = Report {
            source: String::new(),
            target: String::new(),
            strategy: Strategy::Merge,
            tables,
            invariants: Vec::new(),
            verdict: Verdict::Equal,
            seconds: 0.0,
        };
        r.decide();
        r
    }

    #[test]
    fn a_table_compared_whole_after_the_freeze_is_judged_on_that_comparison_alone() {
        // The pinned run and the re-check both find the same 2 rows missing: counted once.
        let pinned = report(vec![table(&["1", "2"])]);
        let whole = Incremental {
            report: report(vec![table(&["1", "2"])]),
            changed: BTreeMap::new(),
            whole: ["s.item".to_owned()].into(),
        };
        let gate = whole.gate(&pinned);
        assert_eq!(gate.tables[0].differences.missing.count, 2);
        // Compared by keys only, the pinned differences on keys not compared again stand.
        let by_keys = Incremental {
            report: report(vec![table(&[])]),
            changed: [("s.item".to_owned(), ["1".to_owned()].into())].into(),
            whole: BTreeSet::new(),
        };
        let gate = by_keys.gate(&pinned);
        assert_eq!(gate.tables[0].differences.missing, list(&["2"], 1));
        assert_eq!(gate.verdict, Verdict::Different);
    }
}
