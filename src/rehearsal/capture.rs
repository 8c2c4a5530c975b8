//! Trigger-based change capture and its idempotent apply.
//!
//! Triggers on every captured table append `(seq, table, op, old key, new key, time)` to a
//! changelog table in the same transaction as the change. Apply reads entries after the last
//! applied one, re-reads each touched key's *current* row in the captured database, and in one
//! transaction on the other side upserts the rows that exist (parents first, in wave order) and
//! deletes the keys that no longer do (children first). Because it writes current state, not
//! replayed statements, applying an entry twice or out of order changes nothing: delivery is
//! at-least-once, the result exactly-once. A key-changing update deletes the old key and upserts
//! the new one.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::Row;

use crate::data::keyset::{self, KeyColumn};
use crate::data::read::{bind_all, read_fragment};
use crate::data::{Cell, Logical, TableSpec};
use crate::db::{quote, Database, DbError, Pool};
use crate::import::Engine;
use crate::inventory::QualifiedName;

/// Changelog table name.
pub const CHANGELOG: &str = crate::db::guard::CHANGELOG_TABLE;

/// Names of the capture triggers (and PostgreSQL trigger functions) start with this.
pub const TRIGGER_PREFIX: &str = "_ms_capture";

/// One captured table on one side, and where its changes go on the other.
#[derive(Debug, Clone)]
pub struct Route {
    /// How to read it where changes are captured.
    pub from: TableSpec,
    /// Table written on the other side.
    pub to_table: QualifiedName,
    /// Column names and types on the other side, in `from` column order.
    pub to_columns: Vec<(String, String, Logical)>,
    /// Key column names on the other side.
    pub to_key: Vec<KeyColumn>,
    /// Other tables whose changes change this route's rows: the other tables of a split, or
    /// the tables merged into `from`'s, whose columns `from` reads in by key
    /// ([`super::routes`]).
    pub also_from: Vec<AlsoFrom>,
    /// Whether a row of `from` whose non-key columns are all NULL has no row on the other
    /// side: the route writes a merged table back ([`crate::mapping::spec::table_merge`]),
    /// and such a row is deleted there (or never inserted).
    pub partner: bool,
}

/// A table besides a route's `from` whose changes change the route's rows.
#[derive(Debug, Clone)]
pub struct AlsoFrom {
    /// The table.
    pub table: QualifiedName,
    /// Its key columns, matching `from`'s key column for column.
    pub key: Vec<KeyColumn>,
}

impl Route {
    /// Whether `row` (as `from` reads it) has a row on the other side: always, unless the
    /// route is a [`Self::partner`] route and every non-key column is NULL.
    pub fn exists_there(&self, row: &[Cell]) -> bool {
        !self.partner
            || row
                .iter()
                .enumerate()
                .any(|(i, c)| !self.from.key.contains(&i) && !matches!(c, Cell::Null))
    }
}

fn key_list(engine: Engine, row: &str, key: &[KeyColumn]) -> String {
    let cols: Vec<String> = key
        .iter()
        .map(|k| format!("{row}.{}", quote::ident(engine, &k.name)))
        .collect();
    match engine {
        Engine::Postgres => format!("jsonb_build_array({})", cols.join(", ")),
        _ => format!("JSON_ARRAY({})", cols.join(", ")),
    }
}

/// The tables whose changes route `i` captures, each with the name of its trigger (its
/// triggers on MySQL and SQLite, one per event `op`; on PostgreSQL, also its trigger
/// function's) and its key columns: `from`, then each of `also_from`.
fn captured(
    i: usize,
    route: &Route,
) -> impl Iterator<Item = (&QualifiedName, String, Vec<KeyColumn>)> {
    std::iter::once((&route.from.name, route.from.key_columns()))
        .chain(route.also_from.iter().map(|a| (&a.table, a.key.clone())))
        .enumerate()
        .map(move |(j, (table, key))| {
            let name = match j {
                0 => format!("{TRIGGER_PREFIX}_{i}"),
                _ => format!("{TRIGGER_PREFIX}_{i}_{j}"),
            };
            (table, name, key)
        })
}

/// Creates the changelog and one capture trigger set per route (table id = route index) on
/// each table it captures.
///
/// # Errors
/// [`DbError::Query`].
pub async fn install(db: &Database, routes: &[Route]) -> Result<(), DbError> {
    let e = db.engine;
    let log = quote::ident(e, CHANGELOG);
    let mut statements = Vec::new();
    match e {
        Engine::Postgres => {
            statements.push(format!(
                "CREATE TABLE IF NOT EXISTS {log} (seq bigserial PRIMARY KEY, tbl integer NOT NULL, op char(1) NOT NULL, \
                 old_key jsonb, new_key jsonb, at timestamptz NOT NULL DEFAULT clock_timestamp())"
            ));
            for (i, route) in routes.iter().enumerate() {
                // A function per captured table: a merged table's key has names of its own.
                for (table, trigger, keys) in captured(i, route) {
                    let function = quote::ident(e, &trigger);
                    statements.push(format!(
                        "CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $ms$ BEGIN \
                         IF TG_OP = 'INSERT' THEN INSERT INTO {log} (tbl, op, new_key) VALUES ({i}, 'I', {new}); \
                         ELSIF TG_OP = 'UPDATE' THEN INSERT INTO {log} (tbl, op, old_key, new_key) VALUES ({i}, 'U', {old}, {new}); \
                         ELSE INSERT INTO {log} (tbl, op, old_key) VALUES ({i}, 'D', {old}); END IF; RETURN NULL; END $ms$",
                        new = key_list(e, "NEW", &keys),
                        old = key_list(e, "OLD", &keys),
                    ));
                    statements.push(format!(
                        "CREATE TRIGGER {} AFTER INSERT OR UPDATE OR DELETE ON {} FOR EACH ROW EXECUTE FUNCTION {function}()",
                        quote::ident(e, &trigger),
                        quote::table(e, table)
                    ));
                }
            }
        }
        Engine::Mysql | Engine::Sqlite => {
            statements.push(if e == Engine::Mysql {
                format!(
                    "CREATE TABLE IF NOT EXISTS {log} (seq BIGINT AUTO_INCREMENT PRIMARY KEY, tbl INT NOT NULL, op CHAR(1) NOT NULL, \
                     old_key JSON NULL, new_key JSON NULL, at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)){}",
                    quote::created_table_options(e)
                )
            } else {
                // `at` in Julian days: SQLite's own clock, read back by `lag`.
                format!(
                    "CREATE TABLE IF NOT EXISTS {log} (seq INTEGER PRIMARY KEY AUTOINCREMENT, tbl INTEGER NOT NULL, op TEXT NOT NULL, \
                     old_key TEXT, new_key TEXT, at REAL NOT NULL DEFAULT (julianday('now')))"
                )
            });
            // One trigger per event (neither has PostgreSQL's TG_OP); SQLite wants a body block.
            let (begin, end) = if e == Engine::Sqlite {
                ("BEGIN ", "; END")
            } else {
                ("", "")
            };
            for (i, route) in routes.iter().enumerate() {
                for (table, trigger, keys) in captured(i, route) {
                    let (new, old) = (key_list(e, "NEW", &keys), key_list(e, "OLD", &keys));
                    let table = quote::table(e, table);
                    for (event, op, values) in [
                        ("INSERT", "I", format!("NULL, {new}")),
                        ("UPDATE", "U", format!("{old}, {new}")),
                        ("DELETE", "D", format!("{old}, NULL")),
                    ] {
                        statements.push(format!(
                            "CREATE TRIGGER {} AFTER {event} ON {table} FOR EACH ROW {begin}INSERT INTO {log} (tbl, op, old_key, new_key) VALUES ({i}, '{op}', {values}){end}",
                            quote::ident(e, &format!("{trigger}_{op}"))
                        ));
                    }
                }
            }
        }
    }
    for sql in statements {
        db.execute_script(&sql, "installing change capture").await?;
    }
    Ok(())
}

/// Removes what [`install`] made for `routes`: the triggers (and PostgreSQL trigger functions).
/// The changelog stays: it is what a later apply or validation reads, and the scratch
/// database it lives in is dropped with the run.
///
/// # Errors
/// [`DbError::Query`].
pub async fn remove(db: &Database, routes: &[Route]) -> Result<(), DbError> {
    let e = db.engine;
    let mut statements = Vec::new();
    for (i, route) in routes.iter().enumerate() {
        if e == Engine::Postgres {
            for (table, trigger, _) in captured(i, route) {
                statements.push(format!(
                    "DROP TRIGGER IF EXISTS {} ON {}",
                    quote::ident(e, &trigger),
                    quote::table(e, table)
                ));
                statements.push(format!(
                    "DROP FUNCTION IF EXISTS {}()",
                    quote::ident(e, &trigger)
                ));
            }
            continue;
        }
        for (table, trigger, _) in captured(i, route) {
            for op in ["I", "U", "D"] {
                let name = quote::ident(e, &format!("{trigger}_{op}"));
                statements.push(match (e, &table.schema) {
                    // MySQL names a trigger within its table's database.
                    (Engine::Mysql, Some(schema)) => {
                        format!("DROP TRIGGER IF EXISTS {}.{name}", quote::ident(e, schema))
                    }
                    _ => format!("DROP TRIGGER IF EXISTS {name}"),
                });
            }
        }
    }
    for sql in statements {
        db.execute_script(&sql, "removing change capture").await?;
    }
    Ok(())
}

/// The changelog's last sequence number (0 when it is empty): the position a validation or a
/// switch is pinned to.
///
/// # Errors
/// [`DbError::Query`].
pub async fn position(db: &Database) -> Result<i64, DbError> {
    let log = quote::ident(db.engine, CHANGELOG);
    let sql = match db.engine {
        Engine::Postgres => format!("SELECT COALESCE(max(seq), 0)::int8 FROM {log}"),
        Engine::Mysql => format!("SELECT CAST(COALESCE(max(seq), 0) AS SIGNED) FROM {log}"),
        Engine::Sqlite => format!("SELECT COALESCE(max(seq), 0) FROM {log}"),
    };
    Ok(db
        .fetch_i64(&sql, &[], "reading the changelog position")
        .await?
        .unwrap_or(0))
}

/// Captured entries not applied yet, and the age in seconds of the oldest of them.
///
/// # Errors
/// [`DbError::Query`].
pub async fn lag(db: &Database, applied: i64) -> Result<(i64, f64), DbError> {
    let log = quote::ident(db.engine, CHANGELOG);
    let err = |e| db.query_error("measuring capture lag", e);
    let (count, age): (i64, Option<f64>) = match &db.pool {
        Pool::Postgres(p) => {
            let row = sqlx::query(&format!(
                "SELECT count(*)::bigint, extract(epoch FROM clock_timestamp() - min(at))::float8 FROM {log} WHERE seq > $1"
            ))
            .bind(applied)
            .fetch_one(p)
            .await
            .map_err(err)?;
            (row.get(0), row.get(1))
        }
        Pool::Mysql(p) => {
            let row = sqlx::query(&format!(
                "SELECT CAST(COUNT(*) AS SIGNED), CAST(TIMESTAMPDIFF(MICROSECOND, MIN(at), NOW(6)) / 1e6 AS DOUBLE) FROM {log} WHERE seq > ?"
            ))
            .bind(applied)
            .fetch_one(p)
            .await
            .map_err(err)?;
            (row.get(0), row.get(1))
        }
        Pool::Sqlite(p) => {
            let row = sqlx::query(&format!(
                "SELECT count(*), (julianday('now') - min(at)) * 86400.0 FROM {log} WHERE seq > ?"
            ))
            .bind(applied)
            .fetch_one(p)
            .await
            .map_err(err)?;
            (row.get(0), row.get(1))
        }
    };
    Ok((count, age.unwrap_or(0.0).max(0.0)))
}

struct Entry {
    seq: i64,
    /// Seconds since the change was captured.
    age: f64,
    tbl: usize,
    old_key: Option<Vec<Cell>>,
    new_key: Option<Vec<Cell>>,
}

fn json_key(text: Option<String>) -> Option<Vec<Cell>> {
    let value: serde_json::Value = serde_json::from_str(&text?).ok()?;
    Some(
        value
            .as_array()?
            .iter()
            .map(|v| match v {
                serde_json::Value::Null => Cell::Null,
                serde_json::Value::Bool(b) => Cell::Bool(*b),
                serde_json::Value::Number(n) => n
                    .as_i64()
                    .map(Cell::Int)
                    .or_else(|| n.as_u64().map(Cell::UInt))
                    .unwrap_or_else(|| Cell::Float(n.as_f64().unwrap_or(0.0))),
                serde_json::Value::String(s) => Cell::Text(s.clone()),
                other => Cell::Text(other.to_string()),
            })
            .collect(),
    )
}

/// A changelog row as read: sequence, age in seconds, table id, old key, new key (JSON).
type EntryRow = (i64, f64, i64, Option<String>, Option<String>);

async fn read_entries(db: &Database, after: i64, limit: i64) -> Result<Vec<Entry>, DbError> {
    read_entries_where(db, &format!("seq > {after} ORDER BY seq LIMIT {limit}")).await
}

/// Entries at the sequence numbers `seqs` that are in the changelog now.
async fn read_entries_at(db: &Database, seqs: &[i64]) -> Result<Vec<Entry>, DbError> {
    if seqs.is_empty() {
        return Ok(Vec::new());
    }
    let list = seqs
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    read_entries_where(db, &format!("seq IN ({list}) ORDER BY seq")).await
}

/// `condition` is built from integers only (no text reaches it).
async fn read_entries_where(db: &Database, condition: &str) -> Result<Vec<Entry>, DbError> {
    let log = quote::ident(db.engine, CHANGELOG);
    let err = |e| db.query_error("reading the changelog", e);
    let rows: Vec<EntryRow> = match &db.pool {
        Pool::Postgres(p) => sqlx::query_as(&format!(
            "SELECT seq, extract(epoch FROM clock_timestamp() - at)::float8, tbl::int8, old_key::text, new_key::text FROM {log} WHERE {condition}"
        ))
        .fetch_all(p)
        .await
        .map_err(err)?,
        Pool::Mysql(p) => sqlx::query_as(&format!(
            "SELECT seq, CAST(TIMESTAMPDIFF(MICROSECOND, at, NOW(6)) AS DOUBLE) / 1e6, CAST(tbl AS SIGNED), CAST(old_key AS CHAR), CAST(new_key AS CHAR) FROM {log} WHERE {condition}"
        ))
        .fetch_all(p)
        .await
        .map_err(err)?,
        Pool::Sqlite(p) => sqlx::query_as(&format!(
            "SELECT seq, (julianday('now') - at) * 86400.0, tbl, old_key, new_key FROM {log} WHERE {condition}"
        ))
        .fetch_all(p)
        .await
        .map_err(err)?,
    };
    Ok(rows
        .into_iter()
        .map(|(seq, age, tbl, old, new)| Entry {
            seq,
            age,
            tbl: tbl as usize,
            old_key: json_key(old),
            new_key: json_key(new),
        })
        .collect())
}

/// The distinct keys changed by the changelog entries in positions `(after, upto]`, per
/// captured table, read-only: for each table that has such entries, `routes[tbl].from`'s name
/// as `validate` prints it (`schema.table`) and its keys in the source's key column order, as
/// the capture triggers recorded them (an update's old and new key both; a deleted key too, so
/// its absence on the other side is checked). One statement; each key once, in no particular
/// order. Entries of a table id with no route are skipped.
///
/// This is what the post-freeze incremental validation
/// ([`crate::validate::changed::validate_changed`]) compares: with `after` the position the
/// applier had applied when the pre-freeze full validation started and `upto` the position the
/// final catch-up reached, every row written on the captured side after that validation read
/// it is in the result. A write the triggers did not see (made on the other side, or with the
/// triggers disabled) is not: see that function for what finds those.
///
/// # Errors
/// [`DbError::Query`].
pub async fn changed_keys(
    db: &Database,
    routes: &[Route],
    after: i64,
    upto: i64,
) -> Result<BTreeMap<String, Vec<Vec<Cell>>>, DbError> {
    let log = quote::ident(db.engine, CHANGELOG);
    // One scan of the range; `DISTINCT` removes repeated changes in the database (a hot row
    // updated thousands of times crosses the wire once), and the old and new keys of the
    // pairs left are merged here. Keys are compared as the triggers' JSON text, which one
    // trigger writes alike for the same key.
    let (tbl, text, p1, p2) = match db.engine {
        Engine::Postgres => ("tbl::int8", "::text", "$1", "$2"),
        Engine::Mysql => ("CAST(tbl AS SIGNED)", "", "?", "?"),
        Engine::Sqlite => ("tbl", "", "?", "?"),
    };
    let key = |column: &str| {
        if db.engine == Engine::Mysql {
            format!("CAST({column} AS CHAR)")
        } else {
            format!("{column}{text}")
        }
    };
    let sql = format!(
        "SELECT DISTINCT {tbl} AS t, {} AS o, {} AS n FROM {log} WHERE seq > {p1} AND seq <= {p2}",
        key("old_key"),
        key("new_key")
    );
    let binds = [Cell::Int(after), Cell::Int(upto)];
    let err = |e| db.query_error("reading changed keys from the changelog", e);
    let pairs: Vec<(i64, Option<String>, Option<String>)> = match &db.pool {
        Pool::Postgres(p) => bind_all!(sqlx::query_as(&sql), &binds)
            .fetch_all(p)
            .await
            .map_err(err)?,
        Pool::Mysql(p) => bind_all!(sqlx::query_as(&sql), &binds)
            .fetch_all(p)
            .await
            .map_err(err)?,
        Pool::Sqlite(p) => bind_all!(sqlx::query_as(&sql), &binds)
            .fetch_all(p)
            .await
            .map_err(err)?,
    };
    let rows: BTreeSet<(i64, String)> = pairs
        .into_iter()
        .flat_map(|(t, old, new)| [old, new].into_iter().flatten().map(move |k| (t, k)))
        .collect();
    let mut out: BTreeMap<String, Vec<Vec<Cell>>> = BTreeMap::new();
    for (tbl, key) in rows {
        let (Some(route), Some(key)) = (
            usize::try_from(tbl).ok().and_then(|t| routes.get(t)),
            json_key(Some(key)),
        ) else {
            continue;
        };
        out.entry(route.from.name.to_string())
            .or_default()
            .push(key);
    }
    Ok(out)
}

/// What one apply pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// Changelog entries read.
    pub entries: u64,
    /// Rows written (inserted or updated) on the other side.
    pub upserted: u64,
    /// Keys deleted on the other side.
    pub deleted: u64,
    /// Highest sequence number read.
    pub last_seq: i64,
    /// Changes the other side refused, kept in its reject table with the reason.
    pub rejected: u64,
}

fn upsert_sql(engine: Engine, route: &Route) -> String {
    let cols = quote::columns(engine, route.to_columns.iter().map(|c| c.0.as_str()));
    let placeholders: Vec<String> = route
        .to_columns
        .iter()
        .enumerate()
        .map(|(i, c)| match engine {
            Engine::Postgres => format!("CAST(${} AS {})", i + 1, c.1),
            _ => "?".to_owned(),
        })
        .collect();
    let table = quote::table(engine, &route.to_table);
    let non_key: Vec<&str> = route
        .to_columns
        .iter()
        .map(|c| c.0.as_str())
        .filter(|c| !route.to_key.iter().any(|k| k.name == *c))
        .collect();
    match engine {
        Engine::Mysql => {
            let updates: Vec<String> = if non_key.is_empty() {
                vec![format!(
                    "{0} = {0}",
                    quote::ident(engine, &route.to_key[0].name)
                )]
            } else {
                non_key
                    .iter()
                    .map(|c| format!("{0} = VALUES({0})", quote::ident(engine, c)))
                    .collect()
            };
            format!(
                "INSERT INTO {table} ({cols}) VALUES ({}) ON DUPLICATE KEY UPDATE {}",
                placeholders.join(", "),
                updates.join(", ")
            )
        }
        _ => {
            let conflict = quote::columns(engine, route.to_key.iter().map(|k| k.name.as_str()));
            let action = if non_key.is_empty() {
                "DO NOTHING".to_owned()
            } else {
                format!(
                    "DO UPDATE SET {}",
                    non_key
                        .iter()
                        .map(|c| format!("{0} = EXCLUDED.{0}", quote::ident(engine, c)))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            format!(
                "INSERT INTO {table} ({cols}) VALUES ({}) ON CONFLICT ({conflict}) {action}",
                placeholders.join(", ")
            )
        }
    }
}

/// Seconds after which a gap in the changelog's sequence is taken for a rolled-back
/// transaction: a sequence number is taken when a change is captured, so a transaction still
/// committing leaves a gap below changes already visible; the workload's transactions are one
/// statement long. A gap the position moves past is not forgotten: see [`Skipped`].
const IN_FLIGHT_SECONDS: f64 = 2.0;

/// Seconds a skipped sequence number is looked for again before it is taken for a rolled-back
/// transaction for good.
const SKIPPED_SECONDS: u64 = 600;

/// Sequence numbers at most this far apart are remembered one by one when skipped; a larger
/// jump (a sequence's cache, a bulk reservation) is not a transaction in flight.
const SKIPPED_MAX_GAP: i64 = 1_000;

/// Sequence numbers an apply pass moved past without an entry: a rolled-back transaction's,
/// or one still committing that took longer than [`IN_FLIGHT_SECONDS`] (a loaded machine, a
/// slow commit). Every later pass looks them up again and applies what has appeared since, so
/// a late commit is applied rather than lost; each is dropped after [`SKIPPED_SECONDS`] or
/// once found.
#[derive(Debug, Clone, Default)]
pub struct Skipped {
    since: BTreeMap<i64, std::time::Instant>,
}

impl Skipped {
    /// The smallest skipped sequence number still looked for.
    pub fn first(&self) -> Option<i64> {
        self.since.keys().next().copied()
    }

    /// Whether none is looked for.
    pub fn is_empty(&self) -> bool {
        self.since.is_empty()
    }

    /// Remembers the numbers missing from `entries` (in sequence order) in `(after, upto]`.
    fn note(&mut self, after: i64, upto: i64, entries: &[Entry]) {
        let now = std::time::Instant::now();
        let mut previous = after;
        for seq in entries.iter().map(|e| e.seq).take_while(|s| *s <= upto) {
            if seq - previous - 1 <= SKIPPED_MAX_GAP {
                for missing in previous + 1..seq {
                    self.since.entry(missing).or_insert(now);
                }
            }
            previous = previous.max(seq);
        }
    }

    /// Up to 1,000 numbers to look up, after dropping the expired ones.
    fn due(&mut self) -> Vec<i64> {
        let expiry = std::time::Duration::from_secs(SKIPPED_SECONDS);
        self.since.retain(|_, at| at.elapsed() < expiry);
        self.since.keys().take(1_000).copied().collect()
    }
}

/// The position an apply pass may move to after reading `entries` (in sequence order, after
/// `after`): the last entry before the first gap in the sequence that is younger than
/// `in_flight_seconds` (a transaction that took its number and has not committed yet), else
/// the last entry. Entries past the gap are applied all the same (apply writes current rows,
/// so applying them again with the late one changes nothing).
fn settled_position(after: i64, entries: &[Entry], in_flight_seconds: f64) -> i64 {
    let mut position = after;
    for entry in entries {
        if entry.seq > position + 1 && entry.age < in_flight_seconds {
            return position;
        }
        position = entry.seq;
    }
    position
}

/// Applies captured changes from `from` to `to`, `routes` in wave order (parents first).
#[derive(Debug)]
pub struct Applier {
    /// Where changes are captured.
    pub from: Database,
    /// Where they are applied.
    pub to: Database,
    /// Routes by table id.
    pub routes: Vec<Route>,
    /// Highest sequence applied.
    pub applied: i64,
    /// Run id the refused changes are kept under in the reject table of `to`.
    pub run_id: String,
    /// What the stated conversion rules do.
    pub policy: crate::data::ConversionPolicy,
    /// Changes refused so far (kept in the reject table of `to`).
    pub refused: u64,
    /// Values a stated rule changed on the way so far (one per applied change), by source table.
    pub converted: std::collections::BTreeMap<String, Vec<crate::data::Converted>>,
    /// Sequence numbers moved past without an entry, looked up again each pass.
    pub skipped: Skipped,
}

/// One write of an apply pass: its statement, binds, and the table and key it is for.
struct Write {
    sql: String,
    binds: Vec<Cell>,
    table: String,
    key: Vec<Cell>,
    row: Option<Vec<Cell>>,
}

impl Applier {
    /// Applies up to `limit` entries after the last applied one.
    ///
    /// # Errors
    /// [`DbError::Query`]; the pass is then rolled back on `to` and `applied` is unchanged.
    pub async fn apply(&mut self, limit: i64) -> Result<Applied, DbError> {
        self.apply_pass(self.applied, limit, IN_FLIGHT_SECONDS)
            .await
    }

    /// [`Applier::apply`] once writes have stopped on the captured side: every transaction
    /// has ended, so a gap in the changelog's sequence is a rolled-back one, not one still
    /// committing, and the position moves past it at once.
    ///
    /// # Errors
    /// As [`Applier::apply`].
    pub async fn apply_settled(&mut self, limit: i64) -> Result<Applied, DbError> {
        self.apply_pass(self.applied, limit, 0.0).await
    }

    /// Applies entries after `after` (used with `after = 0` for a full re-scan, which is
    /// harmless because apply writes current state).
    ///
    /// # Errors
    /// [`DbError::Query`].
    pub async fn apply_from(&mut self, after: i64, limit: i64) -> Result<Applied, DbError> {
        self.apply_pass(after, limit, IN_FLIGHT_SECONDS).await
    }

    /// The position below which every change is applied: [`Applier::applied`], or below the
    /// first sequence number skipped and still looked for. A validation pinned here misses
    /// nothing a late commit writes.
    pub fn floor(&self) -> i64 {
        match self.skipped.first() {
            Some(first) => self.applied.min(first - 1),
            None => self.applied,
        }
    }

    async fn apply_pass(
        &mut self,
        after: i64,
        limit: i64,
        in_flight_seconds: f64,
    ) -> Result<Applied, DbError> {
        let late = read_entries_at(&self.from, &self.skipped.due()).await?;
        let mut entries = read_entries(&self.from, after, limit).await?;
        let position = settled_position(after, &entries, in_flight_seconds);
        if position > self.applied {
            self.skipped
                .note(self.applied.max(after), position, &entries);
        }
        for entry in &late {
            self.skipped.since.remove(&entry.seq);
        }
        entries.extend(late);
        let mut result = Applied {
            entries: entries.len() as u64,
            last_seq: position.max(self.applied),
            ..Applied::default()
        };
        // Distinct keys touched per table, in first-touch order.
        let mut touched: BTreeMap<usize, Vec<Vec<Cell>>> = BTreeMap::new();
        for entry in &entries {
            for key in [&entry.old_key, &entry.new_key].into_iter().flatten() {
                let keys = touched.entry(entry.tbl).or_default();
                if !keys.contains(key) {
                    keys.push(key.clone());
                }
            }
        }
        let mut upserts: Vec<(usize, Vec<Cell>)> = Vec::new();
        let mut deletes: Vec<(usize, Vec<Cell>)> = Vec::new();
        for (&tbl, keys) in &touched {
            let Some(route) = self.routes.get(tbl) else {
                continue;
            };
            for key in keys {
                let rows =
                    read_fragment(&self.from, &route.from, &route.from.select_key(key)).await?;
                match rows.into_iter().next() {
                    Some(row) if route.exists_there(&row) => upserts.push((tbl, row)),
                    _ => deletes.push((tbl, key.clone())),
                }
            }
        }
        result.upserted = upserts.len() as u64;
        result.deleted = deletes.len() as u64;
        result.rejected = self.write(&upserts, &deletes).await?;
        self.refused += result.rejected;
        self.applied = result.last_seq;
        Ok(result)
    }

    /// Writes one pass in one transaction. When the other side refuses a row (a value it
    /// cannot store, a constraint), the pass is written again statement by statement under
    /// savepoints: refused changes go to the reject table with the reason, as the backfill's
    /// refused rows do, and the rest is applied. Returns the number refused.
    async fn write(
        &mut self,
        upserts: &[(usize, Vec<Cell>)],
        deletes: &[(usize, Vec<Cell>)],
    ) -> Result<u64, DbError> {
        if upserts.is_empty() && deletes.is_empty() {
            return Ok(0);
        }
        let engine = self.to.engine;
        let mut writes: Vec<Write> = Vec::new();
        // Parents first for upserts, children first for deletes (routes are in wave order).
        let mut upserts: Vec<&(usize, Vec<Cell>)> = upserts.iter().collect();
        upserts.sort_by_key(|(t, _)| *t);
        for (tbl, row) in upserts {
            let route = &self.routes[*tbl];
            let table = route.from.name.to_string();
            let mut values: Vec<Cell> = Vec::with_capacity(row.len());
            for ((cell, from), to) in row.iter().zip(&route.from.columns).zip(&route.to_columns) {
                let (value, ruled) =
                    cell.clone()
                        .convert(&from.logical, &to.2, engine, &self.policy);
                if let Some((rule, _)) = ruled {
                    crate::data::rules::count_one(
                        self.converted.entry(table.clone()).or_default(),
                        &from.name,
                        rule,
                        &crate::backfill::checkpoint::key_json(&route.from.key_of(row)),
                    );
                }
                values.push(value);
            }
            writes.push(Write {
                sql: upsert_sql(engine, route),
                binds: values,
                table: route.from.name.to_string(),
                key: route.from.key_of(row),
                row: Some(row.clone()),
            });
        }
        let mut deletes: Vec<&(usize, Vec<Cell>)> = deletes.iter().collect();
        deletes.sort_by_key(|(t, _)| std::cmp::Reverse(*t));
        for (tbl, key) in deletes {
            let route = &self.routes[*tbl];
            let filter = keyset::equals(engine, &route.to_key, key, 1);
            writes.push(Write {
                sql: format!(
                    "DELETE FROM {} {}",
                    quote::table(engine, &route.to_table),
                    filter.sql
                ),
                binds: filter.binds,
                table: route.from.name.to_string(),
                key: key.clone(),
                row: None,
            });
        }
        match self.write_all(&writes, false).await {
            Ok(refused) => Ok(refused),
            Err(e) if !crate::backfill::retry::is_transient(&e) => {
                crate::backfill::checkpoint::ensure_tables(&self.to).await?;
                self.write_all(&writes, true).await
            }
            Err(e) => Err(e),
        }
    }

    /// Runs `writes` in one transaction; with `isolate`, each under a savepoint, keeping the
    /// refused ones in the reject table. Returns the number refused.
    async fn write_all(&self, writes: &[Write], isolate: bool) -> Result<u64, DbError> {
        let err = |e| self.to.query_error("applying captured changes", e);
        let reject_sql = crate::backfill::checkpoint::reject_sql(self.to.engine);
        macro_rules! run_all {
            ($pool:expr) => {{
                let mut tx = $pool.begin().await.map_err(err)?;
                if self.to.engine == Engine::Postgres {
                    // Apply writes what the other side already decided: the receiving side's
                    // own triggers (and capture) must not fire again, as in PostgreSQL's
                    // logical replication (needs a superuser, as the local provider has).
                    sqlx::query("SET LOCAL session_replication_role = replica")
                        .execute(&mut *tx)
                        .await
                        .map_err(err)?;
                }
                let mut refused = 0u64;
                for w in writes {
                    if !isolate {
                        bind_all!(sqlx::query(&w.sql), &w.binds)
                            .execute(&mut *tx)
                            .await
                            .map_err(err)?;
                        continue;
                    }
                    sqlx::query("SAVEPOINT ms_apply").execute(&mut *tx).await.map_err(err)?;
                    let outcome = bind_all!(sqlx::query(&w.sql), &w.binds)
                        .execute(&mut *tx)
                        .await;
                    match outcome {
                        Ok(_) => {
                            sqlx::query("RELEASE SAVEPOINT ms_apply")
                                .execute(&mut *tx)
                                .await
                                .map_err(err)?;
                        }
                        Err(e) => {
                            let refusal = self.to.query_error("applying captured changes", e);
                            if crate::backfill::retry::is_transient(&refusal) {
                                return Err(refusal);
                            }
                            sqlx::query("ROLLBACK TO SAVEPOINT ms_apply")
                                .execute(&mut *tx)
                                .await
                                .map_err(err)?;
                            let reason = match &refusal {
                                DbError::Query { source, .. } => source.to_string(),
                                other => other.to_string(),
                            };
                            tracing::warn!(table = %w.table, %reason, "a captured change was refused");
                            let row = w.row.as_ref().map_or(serde_json::Value::Null, |r| {
                                serde_json::Value::Array(
                                    r.iter().map(|c| serde_json::json!(crate::backfill::checkpoint::KeyValue::from(c))).collect(),
                                )
                            });
                            sqlx::query(&reject_sql)
                                .bind(&self.run_id)
                                .bind(format!("{} (change capture)", w.table))
                                .bind(crate::backfill::checkpoint::key_json(&w.key))
                                .bind(reason)
                                .bind(row.to_string())
                                .execute(&mut *tx)
                                .await
                                .map_err(err)?;
                            refused += 1;
                        }
                    }
                }
                tx.commit().await.map_err(err)?;
                Ok(refused)
            }};
        }
        match &self.to.pool {
            Pool::Postgres(p) => run_all!(p),
            Pool::Mysql(p) => run_all!(p),
            Pool::Sqlite(p) => run_all!(p),
        }
    }
}
