//! Reading a whole table in key order straight into row texts, for the merge-compare.
//!
//! [`crate::data::read_rows`] builds an owned [`Cell`] per value, which the merge would turn
//! into text and drop at once; on millions of rows those allocations cost more than the
//! comparison. Here each value is borrowed from the driver's buffer (`&str`, `&[u8]`,
//! integers) and written into the row text directly; only values outside the common types go
//! through [`Cell::canonical`], which stays the definition of the canonical form (the paths
//! are tested to agree in `tests/validate.rs`). SQLite and targets that repeat keys use the
//! general reader ([`super::stream::KeyOrderReader`]).
//!
//! [`stream_all`] reads the table with one statement, streamed, so the database produces rows
//! while we compare them instead of waiting for a round trip at every keyset chunk. With no
//! keyset bound the statement has no bound values, which lets PostgreSQL's side be a binary
//! `COPY (SELECT …) TO STDOUT` ([`crate::data::copy_out`]): no per-row result objects in the
//! driver, and columns in their own binary form instead of cast (both measured in
//! BENCHMARKS.md, "Validation").

use futures_util::TryStreamExt;
use sqlx::mysql::MySqlRow;
use sqlx::Row;
use tokio::sync::mpsc;

use super::canon_sql::{NULL_MARK, SEPARATOR};
use super::conversions::Slot;
use super::row_hash::{encode_canonical_key, encode_int_key, write_canonical};
use super::stream::{HashKind, Prepared};
use crate::data::copy_out::{self, BinaryTuples, CopyField, FeedError};
use crate::data::read::ReadAs;
use crate::data::types::Logical;
use crate::data::{Cell, Rule, TableSpec};
use crate::db::{Database, DbError, Pool};

/// A value borrowed from a driver row.
enum Raw<'r> {
    Null,
    Int(i64),
    UInt(u64),
    Float(f64),
    Bool(bool),
    Bytes(&'r [u8]),
    Text(&'r str),
    /// A `DATE` from a binary protocol: year, month, day.
    Date(u16, u8, u8),
    /// Text built while decoding (a PostgreSQL date outside years 1–9999).
    Owned(String),
}

impl Raw<'_> {
    fn to_cell(&self) -> Cell {
        match self {
            Raw::Null => Cell::Null,
            Raw::Int(i) => Cell::Int(*i),
            Raw::UInt(u) => i64::try_from(*u).map_or(Cell::UInt(*u), Cell::Int),
            Raw::Float(f) => Cell::Float(*f),
            Raw::Bool(b) => Cell::Bool(*b),
            Raw::Bytes(b) => Cell::Bytes(b.to_vec()),
            Raw::Text(t) => Cell::Text((*t).to_owned()),
            Raw::Owned(t) => Cell::Text(t.clone()),
            Raw::Date(y, m, d) => Cell::Text(
                String::from_utf8_lossy(&crate::data::read::ymd(*y, *m, *d)).into_owned(),
            ),
        }
    }
}

/// Appends the canonical text of `raw` seen as `canon`; false for NULL.
fn write_raw(raw: &Raw<'_>, canon: &Logical, out: &mut Vec<u8>) -> bool {
    match (raw, canon) {
        (Raw::Null, _) => false,
        (Raw::Owned(t), _) => write_raw(&Raw::Text(t), canon, out),
        (Raw::Int(i), Logical::Int { .. } | Logical::Year | Logical::Decimal { .. }) => {
            out.extend_from_slice(itoa::Buffer::new().format(*i).as_bytes());
            true
        }
        (
            Raw::Text(t),
            Logical::Text { .. }
            | Logical::Enum(_)
            | Logical::Set(_)
            | Logical::Uuid
            | Logical::Json
            | Logical::Other(_),
        ) => {
            out.extend_from_slice(t.as_bytes());
            true
        }
        (Raw::Date(y, m, d), Logical::Date) if *y != 0 && *m != 0 && *d != 0 => {
            out.extend_from_slice(&crate::data::read::ymd(*y, *m, *d));
            true
        }
        (Raw::Text(t), Logical::Date) if !crate::data::cell::is_zero_date(t) => {
            out.extend_from_slice(t.as_bytes());
            true
        }
        _ => write_canonical(&raw.to_cell(), canon, out),
    }
}

/// A field of [`TableSpec::copy_select_pg`]'s binary `COPY`.
fn pg_copy_raw(field: Option<&[u8]>, form: CopyField) -> Result<Raw<'_>, sqlx::Error> {
    let Some(bytes) = field else {
        return Ok(Raw::Null);
    };
    let malformed = || {
        sqlx::Error::Protocol(format!(
            "binary COPY field of {} bytes read as {form:?}",
            bytes.len()
        ))
    };
    Ok(match form {
        CopyField::Int => Raw::Int(copy_out::int(bytes).ok_or_else(malformed)?),
        CopyField::Float => Raw::Float(copy_out::float(bytes).ok_or_else(malformed)?),
        CopyField::Date => match copy_out::date(bytes).ok_or_else(malformed)? {
            Ok((y, m, d)) => Raw::Date(y, m, d),
            Err(text) => Raw::Owned(text),
        },
        CopyField::Bool => match bytes {
            [b] => Raw::Bool(*b != 0),
            _ => return Err(malformed()),
        },
        CopyField::Bytes => Raw::Bytes(bytes),
        CopyField::Text => Raw::Text(std::str::from_utf8(bytes).map_err(|_| malformed())?),
    })
}

// Unchecked where `TableSpec::select` casts the column to the type read, or
// selects a signed integer of any width (which the driver widens by its length): sqlx's
// per-value type check would only repeat what the SELECT guarantees. Booleans and bytes are
// not cast, so they keep the check.
fn mysql_raw<'r>(row: &'r MySqlRow, i: usize, read: ReadAs) -> Result<Raw<'r>, sqlx::Error> {
    Ok(match read {
        ReadAs::Int => row
            .try_get_unchecked::<Option<i64>, _>(i)?
            .map_or(Raw::Null, Raw::Int),
        ReadAs::UInt => row
            .try_get_unchecked::<Option<u64>, _>(i)?
            .map_or(Raw::Null, Raw::UInt),
        ReadAs::Float => row
            .try_get_unchecked::<Option<f64>, _>(i)?
            .map_or(Raw::Null, Raw::Float),
        ReadAs::Bool => row
            .try_get::<Option<bool>, _>(i)?
            .map_or(Raw::Null, Raw::Bool),
        // Unchecked: spatial and `BIT` columns are bytes too, which sqlx's check refuses.
        ReadAs::Bytes => row
            .try_get_unchecked::<Option<&[u8]>, _>(i)?
            .map_or(Raw::Null, Raw::Bytes),
        ReadAs::MysqlDate => match crate::data::read::mysql_date_bytes(row, i)? {
            None => Raw::Null,
            Some(bytes) => match crate::data::read::mysql_date_fields(bytes) {
                Some((y, m, d)) => Raw::Date(y, m, d),
                None => std::str::from_utf8(bytes).map_or(Raw::Bytes(bytes), Raw::Text),
            },
        },
        // Text with a binary collation arrives flagged binary; its bytes are still text.
        // (`PgDate` is PostgreSQL's; a MySQL column never reads as it.)
        ReadAs::Text | ReadAs::Dynamic | ReadAs::PgDate => {
            match row.try_get_unchecked::<Option<&[u8]>, _>(i)? {
                None => Raw::Null,
                Some(bytes) => std::str::from_utf8(bytes).map_or(Raw::Bytes(bytes), Raw::Text),
            }
        }
    })
}

/// Whether `rule` changes the value `raw` ([`super::conversions::count_value`], without
/// making a cell of the common cases: dates and integers).
fn converts(rule: Rule, raw: &Raw<'_>, canon: &Logical) -> bool {
    match (rule, raw) {
        (_, Raw::Null) => false,
        (Rule::ZeroDateToNull, Raw::Date(y, m, d)) => *y == 0 || *m == 0 || *d == 0,
        (Rule::ZeroDateToNull, Raw::Text(t)) => crate::data::cell::is_zero_date(t),
        (Rule::NonBinaryToTrue, Raw::Int(v)) => *v != 0 && *v != 1,
        (Rule::NonBinaryToTrue, Raw::UInt(u)) => *u > 1,
        (rule, other) => super::conversions::count_value(rule, &other.to_cell(), canon),
    }
}

/// Builds prepared rows, reusing one row-text buffer.
struct Builder<'a> {
    canon: &'a [Logical],
    /// Per column, the rules whose changed values are counted, with their slot in
    /// [`Self::converted`].
    rules: Vec<Vec<(usize, Rule)>>,
    /// Per slot of the rules given ([`Slot`]), values its rule changes, so far.
    converted: Vec<u64>,
    reads: Vec<ReadAs>,
    /// For each column, its position in the key, if it is a key column.
    key_slot: Vec<Option<usize>>,
    kind: HashKind,
    text: Vec<u8>,
    /// Each key part's encoding ([`super::row_hash::encode_key_part`]), by position in the key; reused.
    key_parts: Vec<Vec<u8>>,
    /// The whole encoded key; reused.
    key: Vec<u8>,
}

impl<'a> Builder<'a> {
    fn new(spec: &TableSpec, canon: &'a [Logical], kind: HashKind, slots: &[Slot]) -> Self {
        let mut rules = vec![Vec::new(); spec.columns.len()];
        for (slot, &(i, rule)) in slots.iter().enumerate() {
            if let Some(column) = rules.get_mut(i) {
                column.push((slot, rule));
            }
        }
        Self {
            canon,
            converted: vec![0; slots.len()],
            rules,
            reads: spec.columns.iter().map(|c| c.read).collect(),
            key_slot: (0..spec.columns.len())
                .map(|i| spec.key.iter().position(|&c| c == i))
                .collect(),
            kind,
            text: Vec::with_capacity(128),
            key_parts: vec![Vec::with_capacity(24); spec.key.len()],
            key: Vec::with_capacity(64),
        }
    }

    fn row<'r>(
        &mut self,
        raw: impl Fn(usize, ReadAs) -> Result<Raw<'r>, sqlx::Error>,
    ) -> Result<Prepared, sqlx::Error> {
        self.text.clear();
        for part in &mut self.key_parts {
            part.clear();
        }
        for (i, read) in self.reads.iter().enumerate() {
            if i > 0 {
                self.text.push(SEPARATOR);
            }
            let value = raw(i, *read)?;
            for &(slot, rule) in &self.rules[i] {
                if converts(rule, &value, &self.canon[i]) {
                    self.converted[slot] += 1;
                }
            }
            let start = self.text.len();
            let present = write_raw(&value, &self.canon[i], &mut self.text);
            if !present {
                self.text.push(NULL_MARK);
            }
            if let Some(k) = self.key_slot[i] {
                let part = &mut self.key_parts[k];
                match (&value, &self.canon[i]) {
                    (Raw::Int(v), Logical::Int { .. } | Logical::Year) => {
                        encode_int_key(i128::from(*v), part);
                    }
                    _ => encode_canonical_key(
                        present.then(|| &self.text[start..]),
                        &self.canon[i],
                        part,
                    ),
                }
            }
        }
        self.key.clear();
        for part in &self.key_parts {
            self.key.extend_from_slice(part);
        }
        Ok(Prepared::from_encoded_key(&self.key, &self.text, self.kind))
    }
}

/// How long MariaDB/MySQL may wait for us to read the next part of a streamed result (its
/// `net_write_timeout`, seconds; default 60). The merge stops reading one side while the other
/// catches up, e.g. while PostgreSQL sorts a table it cannot walk in key order; past the default
/// the server would drop the connection.
const MYSQL_STREAM_WRITE_TIMEOUT_S: u32 = 86_400;

/// Reads `spec`'s whole table in key order with one streamed statement and sends it through
/// `tx` prepared, in batches of `batch` rows. Memory stays bounded by the channel: while it is
/// full, reading stops and the server waits. Returns when the table is read or the receiver is
/// gone. `db` must not be SQLite, and the table must enforce its key (rows in strict key order).
///
/// # Errors
/// [`DbError::Query`] naming the table.
pub async fn stream_all(
    db: &Database,
    spec: &TableSpec,
    canon: &[Logical],
    batch: usize,
    kind: HashKind,
    tx: &mpsc::Sender<Result<Vec<Prepared>, DbError>>,
) -> Result<(), DbError> {
    stream_all_counting(db, spec, canon, batch, kind, tx, &[])
        .await
        .map(|_| ())
}

/// [`stream_all`], also counting per slot the values `rules[n]`'s rule changes in its column
/// on the way to the target ([`super::conversions`]): the merge reads every value anyway, so
/// counting here spares the separate source scan that cost a third of the merge on tables
/// with MySQL dates. Returns the counts by slot; they are complete only when the table was
/// read to its end (not when the receiver went away first).
///
/// # Errors
/// [`DbError::Query`] naming the table.
pub async fn stream_all_counting(
    db: &Database,
    spec: &TableSpec,
    canon: &[Logical],
    batch: usize,
    kind: HashKind,
    tx: &mpsc::Sender<Result<Vec<Prepared>, DbError>>,
    rules: &[Slot],
) -> Result<Vec<u64>, DbError> {
    let batch = batch.max(1);
    let context = || format!("reading {}", spec.name);
    let mut builder = Builder::new(spec, canon, kind, rules);
    let mut out = Vec::with_capacity(batch);
    // Hands a full batch over; returns when the comparison has stopped (an error elsewhere).
    macro_rules! hand_over_full {
        () => {
            if out.len() >= batch {
                let full = std::mem::replace(&mut out, Vec::with_capacity(batch));
                if tx.send(Ok(full)).await.is_err() {
                    return Ok(builder.converted);
                }
            }
        };
    }
    match &db.pool {
        Pool::Postgres(pool) => {
            let (copy, forms) = spec.copy_select_pg();
            let mut conn = pool
                .acquire()
                .await
                .map_err(|e| db.query_error(context(), e))?;
            // One statement now reads what keyset chunks read in many: a `statement_timeout`
            // set for the role or database, fine for each chunk, would cut the whole read.
            sqlx::query("SET statement_timeout = 0")
                .execute(&mut *conn)
                .await
                .map_err(|e| db.query_error(context(), e))?;
            let mut pieces = conn
                .copy_out_raw(&copy)
                .await
                .map_err(|e| db.query_error(context(), e))?;
            let mut tuples = BinaryTuples::new(forms.len());
            while let Some(piece) = pieces
                .try_next()
                .await
                .map_err(|e| db.query_error(context(), e))?
            {
                tuples
                    .feed(&piece, |t| {
                        out.push(builder.row(|i, _| pg_copy_raw(t.field(i), forms[i]))?);
                        Ok(())
                    })
                    .map_err(|e| {
                        db.query_error(
                            context(),
                            match e {
                                FeedError::Format(f) => sqlx::Error::Decode(Box::new(f)),
                                FeedError::Row(e) => e,
                            },
                        )
                    })?;
                hand_over_full!();
            }
            tuples
                .finish()
                .map_err(|e| db.query_error(context(), sqlx::Error::Decode(Box::new(e))))?;
        }
        Pool::Mysql(pool) => {
            let mut conn = pool
                .acquire()
                .await
                .map_err(|e| db.query_error(context(), e))?;
            sqlx::query(&format!(
                "SET SESSION net_write_timeout = {MYSQL_STREAM_WRITE_TIMEOUT_S}"
            ))
            .execute(&mut *conn)
            .await
            .map_err(|e| db.query_error(context(), e))?;
            // As on PostgreSQL, a per-statement time limit must not cut the one long read. The
            // variable is MariaDB's or MySQL's, never both: the other one's error is expected.
            for limit in ["max_statement_time", "max_execution_time"] {
                let _ = sqlx::query(&format!("SET SESSION {limit} = 0"))
                    .execute(&mut *conn)
                    .await;
            }
            // On the connection itself: through the pool, every row would pass one more stream.
            let sql = spec.select(None, None, None).sql;
            let mut rows = sqlx::query(&sql).persistent(false).fetch(&mut *conn);
            while let Some(r) = rows
                .try_next()
                .await
                .map_err(|e| db.query_error(context(), e))?
            {
                out.push(
                    builder
                        .row(|i, read| mysql_raw(&r, i, read))
                        .map_err(|e| db.query_error(context(), e))?,
                );
                hand_over_full!();
            }
        }
        Pool::Sqlite(_) => unreachable!("SQLite is read by the general reader"),
    }
    if !out.is_empty() {
        let _ = tx.send(Ok(out)).await;
    }
    Ok(builder.converted)
}
