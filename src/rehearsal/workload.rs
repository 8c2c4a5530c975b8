//! A deterministic write workload for rehearsals: inserts, updates of rows already copied and
//! not yet copied, deletes and key-changing updates, at a set rate, from a seed.
//!
//! It respects foreign keys without knowing the application: an insert clones an existing row
//! under a new key (so every FK value in it already points somewhere), updates touch one
//! column that is in no key, no FK and no unique constraint, and deletes and key changes only
//! touch rows the workload inserted itself (nothing references them). Tables without a
//! single-column integer primary key are only updated. A table whose rows continue in other
//! tables under the same key (on the target, the main table of a mapping spec's table split;
//! on the source, a table others are merged into) is written together with them: a clone is
//! cloned in each and a delete deletes in each, in one transaction, and its key is not
//! changed; those other tables are only updated on their own. Tables with application
//! triggers are not written at all (a replayed write would fire them again).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::data::{Cell, Logical};
use crate::db::{quote, Database, DbError};
use crate::import::Engine;
use crate::inventory::{Inventory, QualifiedName};

/// Counts of what the workload did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadStats {
    /// Rows inserted.
    pub inserts: u64,
    /// Rows updated.
    pub updates: u64,
    /// Rows deleted.
    pub deletes: u64,
    /// Primary keys changed.
    pub key_changes: u64,
    /// Operations the database refused (a trigger, a constraint); counted, not fatal.
    pub errors: u64,
    /// Operations that failed transiently (a deadlock, a lock wait timeout, a dropped
    /// connection): the simulated application goes on, as a real one retries; a dual writer's
    /// second write is written by its next pass, the changelog keeping the change. Not errors.
    #[serde(default)]
    pub transient: u64,
}

impl WorkloadStats {
    /// Writes in all.
    pub fn writes(&self) -> u64 {
        self.inserts + self.updates + self.deletes + self.key_changes
    }
}

/// One table the workload writes, resolved against one database's catalog.
#[derive(Debug, Clone)]
struct Target {
    table: QualifiedName,
    key: String,
    /// Column updated: not in a key, an FK or a unique constraint; text or integer.
    column: Option<(String, Logical)>,
    /// Whether rows can be cloned (integer key, no other unique constraint).
    clonable: bool,
    /// Whether this database generates the key (AUTO_INCREMENT, identity, serial): inserts then
    /// leave it out, as the application's do, so a sequence the migration left behind the
    /// copied keys fails them.
    generated_key: bool,
    /// Largest value the key's type holds: inserts stop short of it (see [`KEY_HEADROOM`]).
    key_max: i64,
    columns: Vec<String>,
    /// Tables holding the rest of this table's rows under the same key values (the other
    /// tables of a split on the target, the tables merged into it on the source): a row is
    /// inserted and deleted in all of them in one transaction, and its key is not changed.
    companions: Vec<Companion>,
}

/// A table sharing a [`Target`]'s key values (see [`Target::companions`]).
#[derive(Debug, Clone)]
struct Companion {
    table: QualifiedName,
    key: String,
    columns: Vec<String>,
}

/// Which tables the workload writes and how, by bare name: `avoid` not at all, and each
/// `companions` entry's table together with its companions (tables sharing its key values,
/// which are only updated on their own).
#[derive(Debug, Clone, Copy, Default)]
pub struct Scope<'a> {
    /// Tables not written.
    pub avoid: &'a [String],
    /// A table and the tables holding the rest of its rows.
    pub companions: &'a [(String, Vec<String>)],
}

/// Share of a key type's range the workload leaves unused. Every insert, and every key change
/// of a generated key, takes a new value that a deleted row does not give back; at a steady
/// rate a narrow key (Sakila's `staff_id` is `TINYINT UNSIGNED`) would run out during a long
/// or resumed rehearsal and the workload, not the migration, would fail.
const KEY_HEADROOM: i64 = 4;

/// Largest value an integer key of `bits` holds (`i64::MAX` for wider or unknown types).
fn key_max(logical: &Logical) -> i64 {
    match logical {
        Logical::Int { bits, unsigned } if *bits < 64 => {
            let bits = u32::from(*bits) - u32::from(!*unsigned);
            (1i64 << bits) - 1
        }
        _ => i64::MAX,
    }
}

/// Tables with application triggers in `inventory` (capture triggers aside), by bare name.
///
/// Application triggers rewrite what a replay writes (Sakila's stamp creation dates and mirror
/// `film` into `film_text`), so a replayed row would not equal its original; the workload
/// leaves these tables alone on both sides of the cutover.
pub fn triggered_tables(inventory: &Inventory) -> Vec<String> {
    inventory
        .triggers
        .iter()
        .filter(|t| !t.name.name.starts_with(super::capture::TRIGGER_PREFIX))
        .map(|t| t.table.name.clone())
        .collect()
}

fn targets(engine: Engine, inventory: &Inventory, scope: Scope<'_>) -> Vec<Target> {
    let Scope { avoid, companions } = scope;
    // A companion alone is only updated: a row cloned there would lack the rest of it.
    let companion = |name: &String| companions.iter().any(|(_, others)| others.contains(name));
    let mut out = Vec::new();
    for table in &inventory.tables {
        // A table without transactions (MyISAM) keeps a row whose statement was rolled back
        // while its change was not captured: the application's writes there cannot be
        // rehearsed against trigger-based capture (see `Table::transactional`).
        if table.name.name.starts_with("_migration_studio")
            || table.primary_key.len() != 1
            || avoid.contains(&table.name.name)
            || !table.transactional()
        {
            continue;
        }
        let key = table.primary_key[0].clone();
        let Some(key_col) = table.column(&key) else {
            continue;
        };
        let key_type = Logical::of(engine, &key_col.data_type);
        let integer_key = matches!(key_type, Logical::Int { .. });
        let fk_cols: Vec<&String> = table.foreign_keys.iter().flat_map(|f| &f.columns).collect();
        let unique_cols: Vec<&String> = table.unique_keys.iter().flatten().collect();
        let column = table
            .columns
            .iter()
            .filter(|c| {
                c.name != key && !fk_cols.contains(&&c.name) && !unique_cols.contains(&&c.name)
            })
            .map(|c| (c.name.clone(), Logical::of(engine, &c.data_type)))
            .find(
                |(_, l)| matches!(l, Logical::Text { max_len } if max_len.is_none_or(|n| n >= 12)),
            );
        // Each companion must be found with a one-column key, or the table is only updated.
        let named: Vec<&String> = companions
            .iter()
            .filter(|(main, _)| *main == table.name.name)
            .flat_map(|(_, others)| others)
            .collect();
        let found: Vec<Companion> = named
            .iter()
            .filter_map(|name| {
                let t = inventory.tables.iter().find(|t| t.name.name == **name)?;
                (t.primary_key.len() == 1).then(|| Companion {
                    table: t.name.clone(),
                    key: t.primary_key[0].clone(),
                    columns: t.columns.iter().map(|c| c.name.clone()).collect(),
                })
            })
            .collect();
        out.push(Target {
            table: table.name.clone(),
            clonable: integer_key
                && table.unique_keys.is_empty()
                && table.partitioning.is_none()
                && !companion(&table.name.name)
                && found.len() == named.len(),
            generated_key: key_col.is_identity(),
            key_max: key_max(&key_type),
            key,
            column,
            columns: table.columns.iter().map(|c| c.name.clone()).collect(),
            companions: found,
        });
    }
    out.sort_by(|a, b| a.table.cmp(&b.table));
    out
}

/// xorshift64*: small, fast and reproducible from a seed (Vigna 2016).
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
}

/// A running workload: stop it to get its counts.
#[derive(Debug)]
pub struct Workload {
    stop: Arc<AtomicBool>,
    writes: Arc<AtomicU64>,
    resync: Arc<AtomicBool>,
    resyncs: Arc<AtomicU64>,
    dual: bool,
    /// `None` once stopped.
    handle: Option<tokio::task::JoinHandle<(WorkloadMemory, Option<super::capture::Applier>)>>,
}

/// Workload settings.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct WorkloadSettings {
    /// Operations per second.
    pub rate: f64,
    /// Seed.
    pub seed: u64,
}

/// What the workload keeps between phases: the keys it inserted, by bare table name (so
/// deletes and key changes stay on rows nothing references, on whichever side writes next: a
/// table the other side names differently is left alone) and its random state.
#[derive(Debug, Clone, Default)]
pub struct WorkloadMemory {
    inserted: Vec<(String, i64)>,
    /// The largest key the workload has written, by table: no more inserts where it nears the
    /// key type's limit.
    highest: BTreeMap<String, i64>,
    rng_state: u64,
    stats: WorkloadStats,
    /// The first error counted in `stats.errors`, for the report.
    first_error: Option<String>,
}

impl WorkloadMemory {
    /// Whether `table` may take a new key: the largest one written so far is below the last
    /// [`KEY_HEADROOM`]th of its type's range.
    fn has_room(&self, table: &str, key_max: i64) -> bool {
        self.highest
            .get(table)
            .is_none_or(|k| *k < key_max - key_max / KEY_HEADROOM)
    }

    fn wrote_key(&mut self, table: &str, key: i64) {
        let highest = self.highest.entry(table.to_owned()).or_insert(key);
        *highest = (*highest).max(key);
    }

    /// Counts so far.
    pub fn stats(&self) -> WorkloadStats {
        self.stats
    }

    /// The first error counted, in words.
    pub fn first_error(&self) -> Option<&str> {
        self.first_error.as_deref()
    }

    /// Counts `error`: transient ones apart, the others as errors (the first one kept).
    fn count(&mut self, error: &DbError) {
        if crate::backfill::retry::is_transient(error) {
            tracing::info!(error = %error, "a workload operation failed transiently");
            self.stats.transient += 1;
        } else {
            tracing::warn!(error = %error, "a workload operation failed");
            self.stats.errors += 1;
            self.first_error.get_or_insert_with(|| error.to_string());
        }
    }
}

async fn exec(db: &Database, sql: &str, binds: &[Cell]) -> Result<u64, DbError> {
    db.execute(sql, binds, "workload write").await
}

async fn scalar_i64(db: &Database, sql: &str, binds: &[Cell]) -> Result<Option<i64>, DbError> {
    db.fetch_i64(sql, binds, "workload read").await
}

fn ph(engine: Engine, i: usize) -> String {
    if engine == Engine::Postgres {
        format!("${i}")
    } else {
        "?".into()
    }
}

/// `SELECT (sql)` as a 64-bit integer on `engine`.
fn as_int8(engine: Engine, sql: &str) -> String {
    match engine {
        Engine::Postgres => format!("SELECT ({sql})::int8"),
        Engine::Mysql => format!("SELECT CAST(({sql}) AS SIGNED)"),
        Engine::Sqlite => format!("SELECT ({sql})"),
    }
}

/// Inserts a copy of the row keyed `source_key` under a new key and returns the new key: the
/// database's own when it generates the table's key, else one past the largest.
async fn insert_clone(db: &Database, t: &Target, source_key: i64) -> Result<i64, DbError> {
    if !t.companions.is_empty() {
        return insert_clone_with_companions(db, t, source_key).await;
    }
    let e = db.engine;
    let table = quote::table(e, &t.table);
    let key = quote::ident(e, &t.key);
    let int_key = |sql: String| as_int8(e, &sql);
    let others: Vec<String> = t
        .columns
        .iter()
        .filter(|c| **c != t.key)
        .map(|c| quote::ident(e, c))
        .collect();
    let new_key = if t.generated_key && !others.is_empty() {
        let sql = format!(
            "INSERT INTO {table} ({cols}) SELECT {cols} FROM {table} WHERE {key} = {p1}",
            cols = others.join(", "),
            p1 = ph(e, 1),
        );
        db.insert_generated(&sql, &key, &[Cell::Int(source_key)], "workload write")
            .await?
    } else {
        let new_key = scalar_i64(db, &int_key(format!("SELECT max({key}) FROM {table}")), &[])
            .await?
            .unwrap_or(0)
            + 1;
        let sql = clone_sql(e, &t.table, &t.key, &t.columns);
        exec(db, &sql, &[Cell::Int(new_key), Cell::Int(source_key)]).await?;
        new_key
    };
    Ok(new_key)
}

/// `INSERT INTO table (key, cols…) SELECT new, cols… FROM table WHERE key = old`, the new key
/// bound first: a copy of one row under a new key (none when there is no such row).
fn clone_sql(e: Engine, table: &QualifiedName, key: &str, columns: &[String]) -> String {
    let others: Vec<String> = columns
        .iter()
        .filter(|c| *c != key)
        .map(|c| quote::ident(e, c))
        .collect();
    let table = quote::table(e, table);
    let key = quote::ident(e, key);
    format!(
        "INSERT INTO {table} ({key}{sep}{cols}) SELECT {p1}{sep}{cols} FROM {table} WHERE {key} = {p2}",
        sep = if others.is_empty() { "" } else { ", " },
        cols = others.join(", "),
        p1 = ph(e, 1),
        p2 = ph(e, 2),
    )
}

/// [`insert_clone`] of a table with companions: its row and each companion's row of the same
/// key, copied under one new key (past the largest of every table's) in one transaction, so
/// the row is never seen in part. The key is written, not generated, even where the table
/// generates it: the companions need it first.
async fn insert_clone_with_companions(
    db: &Database,
    t: &Target,
    source_key: i64,
) -> Result<i64, DbError> {
    let e = db.engine;
    let mut new_key = 0;
    for (table, key) in
        std::iter::once((&t.table, &t.key)).chain(t.companions.iter().map(|c| (&c.table, &c.key)))
    {
        let sql = as_int8(
            e,
            &format!(
                "SELECT max({}) FROM {}",
                quote::ident(e, key),
                quote::table(e, table)
            ),
        );
        new_key = new_key.max(scalar_i64(db, &sql, &[]).await?.unwrap_or(0));
    }
    new_key += 1;
    let binds = vec![Cell::Int(new_key), Cell::Int(source_key)];
    let script: Vec<(String, Vec<Cell>)> =
        std::iter::once(clone_sql(e, &t.table, &t.key, &t.columns))
            .chain(
                t.companions
                    .iter()
                    .map(|c| clone_sql(e, &c.table, &c.key, &c.columns)),
            )
            .map(|sql| (sql, binds.clone()))
            .collect();
    db.execute_in_transaction(&script, "workload write").await?;
    Ok(new_key)
}

/// Deletes the row keyed `key` of `t` and, first, its companions' rows, in one transaction.
async fn delete_row(db: &Database, t: &Target, key: i64) -> Result<(), DbError> {
    let e = db.engine;
    let script: Vec<(String, Vec<Cell>)> = t
        .companions
        .iter()
        .map(|c| (&c.table, &c.key))
        .chain(std::iter::once((&t.table, &t.key)))
        .map(|(table, k)| {
            (
                format!(
                    "DELETE FROM {} WHERE {} = {}",
                    quote::table(e, table),
                    quote::ident(e, k),
                    ph(e, 1)
                ),
                vec![Cell::Int(key)],
            )
        })
        .collect();
    db.execute_in_transaction(&script, "workload write").await
}

async fn one_operation(
    db: &Database,
    targets: &[Target],
    memory: &mut WorkloadMemory,
    rng: &mut Rng,
) -> Result<(), DbError> {
    let e = db.engine;
    let t = &targets[rng.below(targets.len() as u64) as usize];
    let name = t.table.name.as_str();
    let table = quote::table(e, &t.table);
    let key = quote::ident(e, &t.key);
    let int_key = |sql: String| as_int8(e, &sql);
    let roll = rng.below(100);
    // Only where this side inserts too: a table written only by updates here (a table of a
    // split) may hold a row in others that a delete or key change of this one would orphan.
    let mine: Vec<usize> = memory
        .inserted
        .iter()
        .enumerate()
        .filter(|(_, (table, _))| t.clonable && table == name)
        .map(|(i, _)| i)
        .collect();
    let room = memory.has_room(name, t.key_max);
    if roll < 30 && t.clonable && room {
        // Insert: clone a random existing row under the next free key.
        let count = scalar_i64(db, &int_key(format!("SELECT count(*) FROM {table}")), &[])
            .await?
            .unwrap_or(0);
        if count == 0 {
            return Ok(());
        }
        let offset = rng.below(count as u64) as i64;
        let Some(source_key) = scalar_i64(
            db,
            &int_key(format!(
                "SELECT {key} FROM {table} ORDER BY {key} LIMIT 1 OFFSET {offset}"
            )),
            &[],
        )
        .await?
        else {
            return Ok(());
        };
        let new_key = insert_clone(db, t, source_key).await?;
        memory.wrote_key(name, new_key);
        memory.inserted.push((name.to_owned(), new_key));
        memory.stats.inserts += 1;
    } else if roll < 40 && !mine.is_empty() {
        // Delete a row the workload inserted.
        let i = mine[rng.below(mine.len() as u64) as usize];
        let (_, k) = memory.inserted.swap_remove(i);
        delete_row(db, t, k).await?;
        memory.stats.deletes += 1;
    } else if roll < 48 && !mine.is_empty() && room && t.companions.is_empty() {
        // Change the key of a row the workload inserted.
        let i = mine[rng.below(mine.len() as u64) as usize];
        let old = memory.inserted[i].1;
        let new_key = if t.generated_key {
            // A key past the generator's would be drawn again by a later insert (a sequence
            // does not move on an UPDATE): the new key is one the generator handed out, its row
            // deleted again.
            let fresh = insert_clone(db, t, old).await?;
            exec(
                db,
                &format!("DELETE FROM {table} WHERE {key} = {}", ph(e, 1)),
                &[Cell::Int(fresh)],
            )
            .await?;
            fresh
        } else {
            scalar_i64(db, &int_key(format!("SELECT max({key}) FROM {table}")), &[])
                .await?
                .unwrap_or(0)
                + 1
        };
        exec(
            db,
            &format!(
                "UPDATE {table} SET {key} = {} WHERE {key} = {}",
                ph(e, 1),
                ph(e, 2)
            ),
            &[Cell::Int(new_key), Cell::Int(old)],
        )
        .await?;
        memory.wrote_key(name, new_key);
        memory.inserted[i].1 = new_key;
        memory.stats.key_changes += 1;
    } else if let Some((column, _)) = &t.column {
        // Update a random row, copied or not yet copied alike.
        let count = scalar_i64(db, &int_key(format!("SELECT count(*) FROM {table}")), &[])
            .await?
            .unwrap_or(0);
        if count == 0 {
            return Ok(());
        }
        let offset = rng.below(count as u64);
        let value = format!("ms-{:08x}", rng.next() as u32);
        let Some(row_key) = scalar_i64(
            db,
            &int_key(format!(
                "SELECT {key} FROM {table} ORDER BY {key} LIMIT 1 OFFSET {offset}"
            )),
            &[],
        )
        .await?
        else {
            return Ok(());
        };
        let col = quote::ident(e, column);
        exec(
            db,
            &format!(
                "UPDATE {table} SET {col} = {} WHERE {key} = {}",
                ph(e, 1),
                ph(e, 2)
            ),
            &[Cell::Text(value), Cell::Int(row_key)],
        )
        .await?;
        memory.stats.updates += 1;
    }
    Ok(())
}

impl Workload {
    /// Starts writing to `db` (whose schema is `inventory`) at `settings.rate` operations per
    /// second, continuing from `memory`.
    /// `scope` says which tables are written and how.
    pub fn start(
        db: Database,
        inventory: &Inventory,
        scope: Scope<'_>,
        settings: WorkloadSettings,
        memory: WorkloadMemory,
    ) -> Self {
        Self::spawn(db, inventory, scope, settings, memory, None)
    }

    /// [`Workload::start`] as an application's dual writer: after each write to `db` (the
    /// source, with change capture on), the same rows are written to the other side by
    /// `mirror` before the next operation, so the target trails the source by at most the
    /// write in flight. The target's copy of a row is the source's current row converted by
    /// the stated rules, as the capture's apply writes it.
    pub fn start_dual(
        db: Database,
        inventory: &Inventory,
        scope: Scope<'_>,
        settings: WorkloadSettings,
        memory: WorkloadMemory,
        mirror: super::capture::Applier,
    ) -> Self {
        Self::spawn(db, inventory, scope, settings, memory, Some(mirror))
    }

    fn spawn(
        db: Database,
        inventory: &Inventory,
        scope: Scope<'_>,
        settings: WorkloadSettings,
        memory: WorkloadMemory,
        mirror: Option<super::capture::Applier>,
    ) -> Self {
        let targets = targets(db.engine, inventory, scope);
        let stop = Arc::new(AtomicBool::new(false));
        let writes = Arc::new(AtomicU64::new(0));
        let dual = mirror.is_some();
        let resync = Arc::new(AtomicBool::new(false));
        let resyncs = Arc::new(AtomicU64::new(0));
        let (flag, written) = (stop.clone(), writes.clone());
        let (resync_asked, resyncs_done) = (resync.clone(), resyncs.clone());
        let handle = tokio::spawn(async move {
            let mut memory = memory;
            let mut mirror = mirror;
            let mut rng = Rng(if memory.rng_state == 0 {
                settings.seed.max(1)
            } else {
                memory.rng_state
            });
            let interval = Duration::from_secs_f64(1.0 / settings.rate.max(0.1));
            let started = Instant::now();
            let mut done = 0u64;
            while !flag.load(Ordering::SeqCst) && !targets.is_empty() {
                if let Some(mirror) = mirror
                    .as_mut()
                    .filter(|_| resync_asked.swap(false, Ordering::SeqCst))
                {
                    // Between two of its writes, so no write of its own races the pass.
                    mirror.applied = 0;
                    loop {
                        match mirror.apply(10_000).await {
                            Ok(a) if a.entries > 0 => {}
                            Ok(_) => break,
                            Err(e) => {
                                memory.count(&e);
                                break;
                            }
                        }
                    }
                    resyncs_done.fetch_add(1, Ordering::SeqCst);
                }
                let before = memory.stats.writes();
                if let Err(e) = one_operation(&db, &targets, &mut memory, &mut rng).await {
                    memory.count(&e);
                }
                if let Some(mirror) = mirror.as_mut() {
                    // A failed second write is the dual writer's error, counted like the
                    // first; the changelog keeps the change, so the next pass writes it.
                    if let Err(e) = mirror.apply(10_000).await {
                        memory.count(&e);
                    }
                }
                written.fetch_add(memory.stats.writes() - before, Ordering::SeqCst);
                done += 1;
                let due = started + interval * done as u32;
                let now = Instant::now();
                if due > now {
                    tokio::time::sleep(due - now).await;
                }
            }
            if let Some(mirror) = mirror.as_mut() {
                // Stopped: its last second writes reach the other side now, so a transient
                // failure of the last pass loses nothing.
                let mut attempts = 0;
                loop {
                    match mirror.apply_settled(10_000).await {
                        Ok(pass) if pass.entries == 0 => break,
                        Ok(_) => {}
                        Err(e) if attempts < 5 && crate::backfill::retry::is_transient(&e) => {
                            attempts += 1;
                            memory.count(&e);
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                        Err(e) => {
                            memory.count(&e);
                            break;
                        }
                    }
                }
            }
            memory.rng_state = rng.0;
            (memory, mirror)
        });
        Self {
            stop,
            writes,
            resync,
            resyncs,
            dual,
            handle: Some(handle),
        }
    }

    /// Has the dual writer write the current source row of every key it ever wrote to the
    /// target again, between two of its writes, and waits for it. A backfill chunk read
    /// before a dual write and written after it puts the older row back on the target; this
    /// pass, run once the backfill ends, restores the current one. Returns at once when the
    /// workload is not a dual writer or has stopped.
    pub async fn resync(&self) {
        if !self.dual {
            return;
        }
        let before = self.resyncs.load(Ordering::SeqCst);
        self.resync.store(true, Ordering::SeqCst);
        while self.resyncs.load(Ordering::SeqCst) == before
            && self.handle.as_ref().is_some_and(|h| !h.is_finished())
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Writes made so far by this run of the workload (since [`Workload::start`]).
    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::SeqCst)
    }

    /// Stops after the operation in flight and returns what it did so far.
    pub async fn stop(self) -> WorkloadMemory {
        self.stop_dual().await.0
    }

    /// Stops after the operation in flight; returns what it did so far and the dual writer's
    /// second-side writer, when it had one.
    pub async fn stop_dual(mut self) -> (WorkloadMemory, Option<super::capture::Applier>) {
        self.stop.store(true, Ordering::SeqCst);
        match self.handle.take() {
            Some(handle) => handle.await.unwrap_or_default(),
            None => Default::default(),
        }
    }
}

/// A workload dropped without [`Workload::stop`] (its rehearsal was cancelled, the future
/// running it dropped) stops writing at once: no task outlives the run that started it.
impl Drop for Workload {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(handle) = self.handle.take() {
            handle.abort();
        }
    }
}

/// Runs exactly `n` operations on `db` (whose schema is `inventory`), unpaced, continuing
/// from `memory` (a fresh one starts from `seed`). The same `memory` and `n` on two databases
/// holding the same rows make the same writes on both: every choice comes from the seeded
/// random state and the rows, read in key order. Errors are counted, as the paced workload's.
pub async fn burst(
    db: &Database,
    inventory: &Inventory,
    avoid: &[String],
    seed: u64,
    mut memory: WorkloadMemory,
    n: u64,
) -> WorkloadMemory {
    let targets = targets(
        db.engine,
        inventory,
        Scope {
            avoid,
            ..Scope::default()
        },
    );
    let mut rng = Rng(if memory.rng_state == 0 {
        seed.max(1)
    } else {
        memory.rng_state
    });
    for _ in 0..n {
        if targets.is_empty() {
            break;
        }
        if let Err(e) = one_operation(db, &targets, &mut memory, &mut rng).await {
            memory.count(&e);
        }
    }
    memory.rng_state = rng.0;
    memory
}

/// Tables the workload can write in `inventory` (for the report).
pub fn writable_tables(engine: Engine, inventory: &Inventory, avoid: &[String]) -> Vec<String> {
    targets(
        engine,
        inventory,
        Scope {
            avoid,
            ..Scope::default()
        },
    )
    .iter()
    .map(|t| t.table.to_string())
    .collect()
}
