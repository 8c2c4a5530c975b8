//! Writing one chunk into the target, idempotently: in one transaction, delete the chunk's key
//! range, load its rows (PostgreSQL `COPY … FROM STDIN`; multi-row `INSERT` elsewhere), keep
//! the rows the target refuses, and record the checkpoint.
//!
//! A refused load is bisected under savepoints until each refused row is isolated (pgloader
//! retries batch by batch the same way), so one bad row costs O(log n) extra loads and every
//! good row of the chunk still lands.

use sqlx::{Acquire, Executor};

use super::checkpoint::{self, key_json, Checkpoint, KeyValue};
use crate::data::keyset::{self, KeyColumn};
use crate::data::pg_binary::{self, Field};
use crate::data::read::bind_all;
use crate::data::Cell;
use crate::db::{quote, Database, DbError, Pool};
use crate::import::Engine;
use crate::inventory::QualifiedName;

/// What to do with a row the target refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RejectPolicy {
    /// Keep the row in the reject table with the reason, and go on.
    #[default]
    SkipAndRecord,
    /// Stop the backfill at the first refused row.
    Stop,
}

/// A chunk ready to write: rows already converted to the target's types.
#[derive(Debug)]
pub struct Chunk<'a> {
    /// Target table.
    pub table: &'a QualifiedName,
    /// Label under which checkpoints and rejects are stored.
    pub label: &'a str,
    /// Target column names in row order.
    pub columns: &'a [String],
    /// Target key columns.
    pub key_columns: &'a [KeyColumn],
    /// Index of each key column in a row.
    pub key_index: &'a [usize],
    /// Rows, converted; empty when the reader handed the chunk over as its binary `COPY`
    /// stream only (`encoded`), in which case a refused load asks for them
    /// ([`WriteError::RowsNeeded`]).
    pub rows: Vec<Vec<Cell>>,
    /// Number of rows in the chunk (`rows.len()` when they are there).
    pub row_count: usize,
    /// Key of the chunk's last row, in the target's types: the upper end (inclusive) of the key
    /// range the chunk replaces.
    pub last: Vec<Cell>,
    /// Key after which this chunk starts (exclusive); `None` for the first chunk.
    pub after: Option<Vec<Cell>>,
    /// Checkpoint to commit with the chunk (its `last_key` is this chunk's last key).
    pub checkpoint: Checkpoint,
    /// Run id.
    pub run_id: &'a str,
    /// Reject policy.
    pub policy: RejectPolicy,
    /// Binary COPY layout of each column, when every column has one (PostgreSQL targets).
    pub binary: Option<&'a [Field]>,
    /// The rows already encoded for `COPY` ([`CopyStream::encode`]), so the encoding can run
    /// while the previous chunk is written; `None` encodes them at write time.
    pub encoded: Option<CopyStream>,
    /// Drill: abort the process after writing, before committing (tests "killed between
    /// writing a chunk and committing its checkpoint").
    pub abort_before_commit: bool,
    /// (row, column, value as read) of each value a stated rule changed: reject records show
    /// what the source held.
    pub originals: Vec<(usize, usize, Cell)>,
}

/// A refused row.
#[derive(Debug, Clone)]
pub struct Refused {
    /// Row index within the chunk.
    pub index: usize,
    /// Why.
    pub reason: String,
}

/// Why a chunk could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The database failed outside row-level refusals.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The load was refused and the chunk came without its rows (`Chunk::rows` empty): the
    /// caller reads them again and writes the chunk again, now able to isolate the refused
    /// rows. The transaction was rolled back; nothing of the chunk was written.
    #[error("{0}: the load was refused; the chunk's rows are needed to find the refused ones")]
    RowsNeeded(String),
    /// A row was refused under [`RejectPolicy::Stop`].
    #[error("{table}: row with key {key} refused: {reason}")]
    Refused {
        /// Table.
        table: String,
        /// Key (JSON).
        key: String,
        /// Target's reason.
        reason: String,
    },
}

impl Chunk<'_> {
    /// The checkpoint to commit once `refused` rows of this chunk were kept aside.
    pub fn checkpoint_after(&self, refused: usize) -> Checkpoint {
        let mut checkpoint = self.checkpoint.clone();
        checkpoint.rejected += refused as u64;
        checkpoint.rows -= refused as u64;
        checkpoint
    }

    fn key_of(&self, row: usize) -> Vec<Cell> {
        self.key_index
            .iter()
            .map(|&i| self.rows[row][i].clone())
            .collect()
    }

    fn row_json(&self, row: usize) -> String {
        let mut values: Vec<KeyValue> = self.rows[row].iter().map(KeyValue::from).collect();
        for (_, column, original) in self.originals.iter().filter(|(r, _, _)| *r == row) {
            values[*column] = KeyValue::from(original);
        }
        serde_json::to_string(&values).expect("rows serialise")
    }
}

/// The MySQL and SQLite path: same protocol as PostgreSQL with multi-row INSERTs.
macro_rules! write_generic {
    ($db:expr, $pool:expr, $chunk:expr) => {{
        let (db, chunk) = ($db, $chunk);
        let engine = db.engine;
        let ctx = |what: &str| format!("{what} {}", chunk.table);
        let err = |what: &'static str| move |e| WriteError::Db(db.query_error(ctx(what), e));
        let mut conn = $pool.acquire().await.map_err(err("connecting to write"))?;
        let mut tx = conn.begin().await.map_err(err("starting a chunk of"))?;
        let delete = delete_range(engine, chunk);
        bind_all!(sqlx::query(&delete.sql), &delete.binds)
            .execute(&mut *tx)
            .await
            .map_err(err("clearing the chunk range of"))?;
        let batch = insert_batch_rows(engine, chunk.columns.len());
        let mut refused = Vec::new();
        let mut pending: Vec<(usize, usize)> = (0..chunk.rows.len())
            .step_by(batch)
            .map(|lo| (lo, (lo + batch).min(chunk.rows.len())))
            .rev()
            .collect();
        while let Some((lo, hi)) = pending.pop() {
            if lo == hi {
                continue;
            }
            tx.execute("SAVEPOINT ms_load")
                .await
                .map_err(err("loading"))?;
            let sql = insert_sql(engine, chunk, hi - lo);
            let cells: Vec<Cell> = chunk.rows[lo..hi].iter().flatten().cloned().collect();
            match bind_all!(sqlx::query(&sql), &cells).execute(&mut *tx).await {
                Ok(_) => {
                    tx.execute("RELEASE SAVEPOINT ms_load")
                        .await
                        .map_err(err("loading"))?;
                }
                Err(e) => {
                    tx.execute("ROLLBACK TO SAVEPOINT ms_load")
                        .await
                        .map_err(err("loading"))?;
                    if hi - lo == 1 {
                        let r = Refused {
                            index: lo,
                            reason: reason(&e),
                        };
                        if chunk.policy == RejectPolicy::Stop {
                            return Err(refused_error(chunk, &r));
                        }
                        refused.push(r);
                    } else {
                        let mid = lo + (hi - lo) / 2;
                        pending.push((mid, hi));
                        pending.push((lo, mid));
                    }
                }
            }
        }
        let checkpoint = chunk.checkpoint_after(refused.len());
        let reject_sql = checkpoint::reject_sql(engine);
        for r in &refused {
            sqlx::query(&reject_sql)
                .bind(chunk.run_id)
                .bind(chunk.label)
                .bind(key_json(&chunk.key_of(r.index)))
                .bind(&r.reason)
                .bind(chunk.row_json(r.index))
                .execute(&mut *tx)
                .await
                .map_err(err("keeping rejected rows of"))?;
        }
        sqlx::query(&checkpoint::upsert_sql(engine))
            .bind(chunk.run_id)
            .bind(chunk.label)
            .bind(serde_json::to_string(&checkpoint).expect("checkpoint serialises"))
            .execute(&mut *tx)
            .await
            .map_err(err("recording the checkpoint of"))?;
        if chunk.abort_before_commit {
            std::process::abort();
        }
        tx.commit().await.map_err(err("committing a chunk of"))?;
        Ok(refused)
    }};
}

/// Writes `chunk` into `db` and commits it with its checkpoint. Returns the refused rows.
///
/// # Errors
/// [`WriteError`]; the transaction is then rolled back and the previous checkpoint stands.
pub async fn write_chunk(db: &Database, chunk: &Chunk<'_>) -> Result<Vec<Refused>, WriteError> {
    match &db.pool {
        Pool::Postgres(pool) => write_pg(db, pool, chunk).await,
        Pool::Mysql(pool) => write_generic!(db, pool, chunk),
        Pool::Sqlite(pool) => write_generic!(db, pool, chunk),
    }
}

fn delete_range(engine: Engine, chunk: &Chunk<'_>) -> keyset::Fragment {
    // A table copied whole (no key, or a key the engines order differently) is one chunk,
    // which replaces all of it.
    if chunk.key_columns.is_empty() {
        return keyset::Fragment {
            sql: format!("DELETE FROM {}", quote::table(engine, chunk.table)),
            binds: Vec::new(),
        };
    }
    let range = keyset::range(
        engine,
        chunk.key_columns,
        chunk.after.as_deref(),
        Some(&chunk.last),
        1,
    );
    keyset::Fragment {
        sql: format!(
            "DELETE FROM {} {}",
            quote::table(engine, chunk.table),
            range.sql
        ),
        binds: range.binds,
    }
}

fn refused_error(chunk: &Chunk<'_>, refused: &Refused) -> WriteError {
    WriteError::Refused {
        table: chunk.table.to_string(),
        key: key_json(&chunk.key_of(refused.index)),
        reason: refused.reason.clone(),
    }
}

/// A chunk's rows encoded for PostgreSQL's `COPY … FROM STDIN`: the stream, where each row
/// ends in it, its header and trailer, and the COPY options. Binary when every column has a
/// binary layout and every value fits it; text otherwise.
#[derive(Debug)]
pub struct CopyStream {
    rows: Vec<u8>,
    ends: Vec<usize>,
    header: &'static [u8],
    trailer: &'static [u8],
    options: &'static str,
}

impl CopyStream {
    /// A binary-format stream of tuples already encoded by [`pg_binary::encode_row`], with
    /// the offset where each row ends.
    pub fn binary(rows: Vec<u8>, ends: Vec<usize>) -> Self {
        CopyStream {
            rows,
            ends,
            header: pg_binary::HEADER,
            trailer: pg_binary::TRAILER,
            options: " (FORMAT binary)",
        }
    }

    /// Encodes `rows` (already converted to the target's types) in binary format when
    /// `binary` gives every column's layout and every value fits it, in text format otherwise.
    pub fn encode(rows: &[Vec<Cell>], binary: Option<&[Field]>) -> Self {
        if let Some(fields) = binary {
            let mut bytes = Vec::with_capacity(rows.len() * 48);
            let mut ends = Vec::with_capacity(rows.len());
            let encoded = rows.iter().all(|row| {
                let ok = pg_binary::encode_row(row, fields, &mut bytes).is_some();
                ends.push(bytes.len());
                ok
            });
            if encoded {
                return CopyStream::binary(bytes, ends);
            }
        }
        text_stream(rows)
    }
}

fn text_stream(chunk_rows: &[Vec<Cell>]) -> CopyStream {
    let mut rows = Vec::with_capacity(chunk_rows.len() * 64);
    let mut ends = Vec::with_capacity(chunk_rows.len());
    for row in chunk_rows {
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                rows.push(b'\t');
            }
            cell.write_copy_text(&mut rows);
        }
        rows.push(b'\n');
        ends.push(rows.len());
    }
    CopyStream {
        rows,
        ends,
        header: b"",
        trailer: b"",
        options: "",
    }
}

fn copy_statement(chunk: &Chunk<'_>, stream: &CopyStream) -> String {
    format!(
        "COPY {} ({}) FROM STDIN{}",
        quote::table(Engine::Postgres, chunk.table),
        quote::columns(Engine::Postgres, chunk.columns.iter().map(String::as_str)),
        stream.options
    )
}

/// One statement that opens a chunk's transaction on PostgreSQL: clears the chunk's key range,
/// records its checkpoint and turns off the wait for the commit's WAL flush (`set_config(…,
/// true)` is `SET LOCAL`). One round trip instead of three: under CPU contention each round
/// trip costs milliseconds of scheduling, and a chunk pays them all.
///
/// Not waiting for the flush is safe because the checkpoint commits in the same transaction:
/// a commit the server loses in a crash loses the chunk and its checkpoint together, and the
/// resume re-copies it.
fn pg_prologue(chunk: &Chunk<'_>) -> keyset::Fragment {
    let delete = delete_range(Engine::Postgres, chunk);
    let first = delete.binds.len() + 1;
    let mut binds = delete.binds;
    binds.extend([
        Cell::Text(chunk.run_id.to_owned()),
        Cell::Text(chunk.label.to_owned()),
        Cell::Text(serde_json::to_string(&chunk.checkpoint).expect("checkpoint serialises")),
    ]);
    keyset::Fragment {
        sql: format!(
            "WITH cleared AS ({}), recorded AS ({}) SELECT set_config('synchronous_commit', 'off', true)",
            delete.sql,
            checkpoint::upsert_sql_from(Engine::Postgres, first)
        ),
        binds,
    }
}

/// Sends rows `lo..hi` of `stream` through one `COPY` in `tx`.
async fn copy_rows(
    tx: &mut sqlx::PgConnection,
    copy_sql: &str,
    stream: &CopyStream,
    lo: usize,
    hi: usize,
) -> Result<u64, sqlx::Error> {
    let mut copy = tx.copy_in_raw(copy_sql).await?;
    if !stream.header.is_empty() {
        copy.send(stream.header).await?;
    }
    let start = if lo == 0 { 0 } else { stream.ends[lo - 1] };
    copy.send(&stream.rows[start..stream.ends[hi - 1]]).await?;
    if !stream.trailer.is_empty() {
        copy.send(stream.trailer).await?;
    }
    copy.finish().await
}

async fn write_pg(
    db: &Database,
    pool: &sqlx::PgPool,
    chunk: &Chunk<'_>,
) -> Result<Vec<Refused>, WriteError> {
    let ctx = |what: &str| format!("{what} {}", chunk.table);
    let err = |what: &'static str| move |e| WriteError::Db(db.query_error(ctx(what), e));
    let prologue = pg_prologue(chunk);
    let encoded_now;
    let stream = match &chunk.encoded {
        Some(encoded) => encoded,
        None => {
            encoded_now = CopyStream::encode(&chunk.rows, chunk.binary);
            &encoded_now
        }
    };

    // Almost every chunk loads whole: four round trips (BEGIN, prologue, COPY, COMMIT) and no
    // savepoint. A refusal aborts this transaction; the chunk is then written again below, where
    // savepoints isolate the refused rows.
    let mut tx = pool.begin().await.map_err(err("starting a chunk of"))?;
    bind_all!(sqlx::query(&prologue.sql), &prologue.binds)
        .execute(&mut *tx)
        .await
        .map_err(err("clearing the chunk range of"))?;
    let loaded = if chunk.row_count == 0 {
        Ok(0)
    } else {
        copy_rows(
            &mut tx,
            &copy_statement(chunk, stream),
            stream,
            0,
            chunk.row_count,
        )
        .await
    };
    let refusal = match loaded {
        Ok(_) => {
            if chunk.abort_before_commit {
                std::process::abort();
            }
            tx.commit().await.map_err(err("committing a chunk of"))?;
            return Ok(Vec::new());
        }
        Err(e) => db.query_error(ctx("loading"), e),
    };
    // The transaction is aborted (or its connection gone); its rollback cannot fail in a way
    // that matters, and a lost connection shows again, as an error, on the next BEGIN.
    let _ = tx.rollback().await;
    if super::retry::is_transient(&refusal) {
        // A lost connection, not a refused row: the caller retries the chunk as it is.
        return Err(WriteError::Db(refusal));
    }
    if chunk.rows.len() != chunk.row_count {
        return Err(WriteError::RowsNeeded(chunk.table.to_string()));
    }

    let mut tx = pool.begin().await.map_err(err("starting a chunk of"))?;
    bind_all!(sqlx::query(&prologue.sql), &prologue.binds)
        .execute(&mut *tx)
        .await
        .map_err(err("clearing the chunk range of"))?;
    let mut stream = stream;
    let mut text_fallback = None;
    let mut copy_sql = copy_statement(chunk, stream);
    let mut refused = Vec::new();
    // Ranges of rows to load, smallest index first; a refused range is split in two.
    let mut pending = vec![(0usize, chunk.rows.len())];
    while let Some((lo, hi)) = pending.pop() {
        if lo == hi {
            continue;
        }
        tx.execute("SAVEPOINT ms_load")
            .await
            .map_err(err("loading"))?;
        match copy_rows(&mut tx, &copy_sql, stream, lo, hi).await {
            Ok(_) => {
                tx.execute("RELEASE SAVEPOINT ms_load")
                    .await
                    .map_err(err("loading"))?;
            }
            Err(e) => {
                tx.execute("ROLLBACK TO SAVEPOINT ms_load")
                    .await
                    .map_err(err("loading"))?;
                if !stream.header.is_empty() {
                    // Look for refused rows in text format, so the reasons are the server's own
                    // words about the values (a binary mismatch would hide them).
                    stream = text_fallback.insert(text_stream(&chunk.rows));
                    copy_sql = copy_statement(chunk, stream);
                    pending.push((lo, hi));
                    continue;
                }
                if hi - lo == 1 {
                    let r = Refused {
                        index: lo,
                        reason: reason(&e),
                    };
                    if chunk.policy == RejectPolicy::Stop {
                        return Err(refused_error(chunk, &r));
                    }
                    refused.push(r);
                } else {
                    let mid = lo + (hi - lo) / 2;
                    pending.push((mid, hi));
                    pending.push((lo, mid));
                }
            }
        }
    }
    let reject_sql = checkpoint::reject_sql(Engine::Postgres);
    for r in &refused {
        sqlx::query(&reject_sql)
            .bind(chunk.run_id)
            .bind(chunk.label)
            .bind(key_json(&chunk.key_of(r.index)))
            .bind(&r.reason)
            .bind(chunk.row_json(r.index))
            .execute(&mut *tx)
            .await
            .map_err(err("keeping rejected rows of"))?;
    }
    if !refused.is_empty() {
        let checkpoint = chunk.checkpoint_after(refused.len());
        sqlx::query(&checkpoint::upsert_sql(Engine::Postgres))
            .bind(chunk.run_id)
            .bind(chunk.label)
            .bind(serde_json::to_string(&checkpoint).expect("checkpoint serialises"))
            .execute(&mut *tx)
            .await
            .map_err(err("recording the checkpoint of"))?;
    }
    if chunk.abort_before_commit {
        std::process::abort();
    }
    tx.commit().await.map_err(err("committing a chunk of"))?;
    Ok(refused)
}

/// The database's own words for a refusal, without driver framing.
fn reason(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(e) => e.message().to_owned(),
        other => other.to_string(),
    }
}

/// Rows per multi-row INSERT, under MySQL's 65,535 and SQLite's 32,766 placeholder limits.
fn insert_batch_rows(engine: Engine, columns: usize) -> usize {
    let limit = if engine == Engine::Mysql {
        65_535
    } else {
        32_766
    };
    (limit / columns.max(1)).clamp(1, 1000)
}

fn insert_sql(engine: Engine, chunk: &Chunk<'_>, rows: usize) -> String {
    let one = format!("({})", vec!["?"; chunk.columns.len()].join(", "));
    format!(
        "INSERT INTO {} ({}) VALUES {}",
        quote::table(engine, chunk.table),
        quote::columns(engine, chunk.columns.iter().map(String::as_str)),
        vec![one; rows].join(", ")
    )
}
