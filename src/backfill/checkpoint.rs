//! Checkpoints and kept rejects, stored in the target next to the data they describe.
//!
//! A chunk's rows, its rejects and the checkpoint after it are written in one target
//! transaction, so a run killed at any instant has either all three or none: it resumes right
//! after the last committed chunk and re-copies at most the chunk that was in flight.

use serde::{Deserialize, Serialize};

use crate::data::Cell;
use crate::db::{quote, Database, DbError};
use crate::import::Engine;

/// Table holding one row per (run, table): the last key copied and running totals.
pub const CHECKPOINT_TABLE: &str = "_migration_studio_checkpoint";
/// Table holding rows the target refused, with the reason.
pub const REJECT_TABLE: &str = "_migration_studio_reject";

/// Progress of one table in one run, as committed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Key of the last row copied; `None` before the first chunk.
    pub last_key: Option<Vec<KeyValue>>,
    /// Rows written so far.
    pub rows: u64,
    /// Bytes read so far.
    pub bytes: u64,
    /// Chunks committed so far.
    pub chunks: u64,
    /// Rows rejected so far.
    pub rejected: u64,
    /// Whether the table is finished.
    pub done: bool,
    /// Values converted by a stated rule so far, per column and rule.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub converted: Vec<crate::data::Converted>,
}

/// A key value as stored in a checkpoint (JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", content = "v")]
pub enum KeyValue {
    /// NULL.
    Null,
    /// Integer.
    Int(i64),
    /// Unsigned integer.
    UInt(u64),
    /// Float.
    Float(f64),
    /// Boolean.
    Bool(bool),
    /// Text.
    Text(String),
    /// Bytes.
    Bytes(Vec<u8>),
}

impl From<&Cell> for KeyValue {
    fn from(cell: &Cell) -> Self {
        match cell {
            Cell::Null => Self::Null,
            Cell::Int(i) => Self::Int(*i),
            Cell::UInt(u) => Self::UInt(*u),
            Cell::Float(f) => Self::Float(*f),
            Cell::Bool(b) => Self::Bool(*b),
            // Stored as its text, as dates always were: checkpoints of earlier runs still read.
            Cell::Date(d) => Self::Text(crate::data::cell::date_string(*d)),
            Cell::Text(t) => Self::Text(t.clone()),
            Cell::Bytes(b) => Self::Bytes(b.clone()),
        }
    }
}

impl From<&KeyValue> for Cell {
    fn from(value: &KeyValue) -> Self {
        match value {
            KeyValue::Null => Self::Null,
            KeyValue::Int(i) => Self::Int(*i),
            KeyValue::UInt(u) => Self::UInt(*u),
            KeyValue::Float(f) => Self::Float(*f),
            KeyValue::Bool(b) => Self::Bool(*b),
            KeyValue::Text(t) => Self::Text(t.clone()),
            KeyValue::Bytes(b) => Self::Bytes(b.clone()),
        }
    }
}

/// A key as JSON text.
pub fn key_json(key: &[Cell]) -> String {
    serde_json::to_string(&key.iter().map(KeyValue::from).collect::<Vec<_>>())
        .expect("keys serialise")
}

/// Creates the checkpoint and reject tables in the target if missing.
///
/// # Errors
/// [`DbError::Query`].
pub async fn ensure_tables(db: &Database) -> Result<(), DbError> {
    let e = db.engine;
    for sql in [
        format!(
            "CREATE TABLE IF NOT EXISTS {} (run_id VARCHAR(64) NOT NULL, table_name VARCHAR(512) NOT NULL, \
             state TEXT NOT NULL, PRIMARY KEY (run_id, table_name)){}",
            quote::ident(e, CHECKPOINT_TABLE),
            quote::created_table_options(e)
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {} (run_id VARCHAR(64) NOT NULL, table_name VARCHAR(512) NOT NULL, \
             row_key TEXT NOT NULL, reason TEXT NOT NULL, row_data TEXT NOT NULL){}",
            quote::ident(e, REJECT_TABLE),
            quote::created_table_options(e)
        ),
    ] {
        db.execute(&sql, &[], "creating checkpoint tables").await?;
    }
    Ok(())
}

fn placeholders(engine: Engine, n: usize) -> Vec<String> {
    (1..=n)
        .map(|i| {
            if engine == Engine::Postgres {
                format!("${i}")
            } else {
                "?".to_owned()
            }
        })
        .collect()
}

/// SQL that records `state` for (run, table); three placeholders: run, table, state JSON.
pub fn upsert_sql(engine: Engine) -> String {
    upsert_sql_from(engine, 1)
}

/// [`upsert_sql`] with PostgreSQL placeholders numbered from `first` (to share a statement with
/// other binds).
pub fn upsert_sql_from(engine: Engine, first: usize) -> String {
    let p: Vec<String> = placeholders(engine, first + 2).split_off(first - 1);
    let table = quote::ident(engine, CHECKPOINT_TABLE);
    match engine {
        Engine::Mysql => format!(
            "INSERT INTO {table} (run_id, table_name, state) VALUES ({}, {}, {}) ON DUPLICATE KEY UPDATE state = VALUES(state)",
            p[0], p[1], p[2]
        ),
        _ => format!(
            "INSERT INTO {table} (run_id, table_name, state) VALUES ({}, {}, {}) ON CONFLICT (run_id, table_name) DO UPDATE SET state = excluded.state",
            p[0], p[1], p[2]
        ),
    }
}

/// SQL that keeps one rejected row; five placeholders: run, table, key, reason, row JSON.
pub fn reject_sql(engine: Engine) -> String {
    let p = placeholders(engine, 5);
    format!(
        "INSERT INTO {} (run_id, table_name, row_key, reason, row_data) VALUES ({})",
        quote::ident(engine, REJECT_TABLE),
        p.join(", ")
    )
}

/// The committed checkpoint of (run, table), if any.
///
/// # Errors
/// [`DbError::Query`].
pub async fn load(db: &Database, run_id: &str, table: &str) -> Result<Option<Checkpoint>, DbError> {
    let p = placeholders(db.engine, 2);
    let sql = format!(
        "SELECT state FROM {} WHERE run_id = {} AND table_name = {}",
        quote::ident(db.engine, CHECKPOINT_TABLE),
        p[0],
        p[1]
    );
    let binds = [Cell::Text(run_id.to_owned()), Cell::Text(table.to_owned())];
    let rows = db
        .fetch_texts(&sql, &binds, &format!("reading the checkpoint of {table}"))
        .await?;
    let state = rows
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next().flatten());
    Ok(state.and_then(|s| serde_json::from_str(&s).ok()))
}

/// Forgets a run's checkpoints and rejects (a `--restart`).
///
/// # Errors
/// [`DbError::Query`].
pub async fn clear(db: &Database, run_id: &str) -> Result<(), DbError> {
    let p = placeholders(db.engine, 1);
    for table in [CHECKPOINT_TABLE, REJECT_TABLE] {
        let sql = format!(
            "DELETE FROM {} WHERE run_id = {}",
            quote::ident(db.engine, table),
            p[0]
        );
        db.execute(
            &sql,
            &[Cell::Text(run_id.to_owned())],
            "clearing checkpoints",
        )
        .await?;
    }
    Ok(())
}

/// A rejected row as kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reject {
    /// Key of the row (JSON).
    pub key: serde_json::Value,
    /// Why the target refused it.
    pub reason: String,
    /// The row's values (JSON).
    pub row: serde_json::Value,
}

/// Rows kept as rejects by run `run_id`, all tables (0 before the run made its tables).
///
/// # Errors
/// [`DbError::Query`].
pub async fn reject_count(db: &Database, run_id: &str) -> Result<u64, DbError> {
    ensure_tables(db).await?;
    let sql = format!(
        "SELECT {} FROM {} WHERE run_id = {}",
        crate::db::count_star(db.engine),
        quote::ident(db.engine, REJECT_TABLE),
        placeholders(db.engine, 1)[0]
    );
    let n = db
        .fetch_i64(
            &sql,
            &[Cell::Text(run_id.to_owned())],
            "counting rejected rows",
        )
        .await?;
    Ok(n.unwrap_or(0).max(0) as u64)
}

/// The rejects kept for (run, table).
///
/// # Errors
/// [`DbError::Query`].
pub async fn rejects(db: &Database, run_id: &str, table: &str) -> Result<Vec<Reject>, DbError> {
    let p = placeholders(db.engine, 2);
    let sql = format!(
        "SELECT row_key, reason, row_data FROM {} WHERE run_id = {} AND table_name = {} ORDER BY row_key",
        quote::ident(db.engine, REJECT_TABLE),
        p[0],
        p[1]
    );
    let binds = [Cell::Text(run_id.to_owned()), Cell::Text(table.to_owned())];
    let rows = db
        .fetch_texts(&sql, &binds, &format!("reading the rejects of {table}"))
        .await?;
    let json =
        |text: String| serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
    Ok(rows
        .into_iter()
        .map(|mut r| {
            let mut take = |i: usize| r.get_mut(i).and_then(Option::take).unwrap_or_default();
            let (key, reason, row) = (take(0), take(1), take(2));
            Reject {
                key: json(key),
                reason,
                row: json(row),
            }
        })
        .collect())
}
