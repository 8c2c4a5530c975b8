//! Reading a key-ordered chunk straight into row texts, for the merge-compare.
//!
//! [`crate::data::read_rows`] builds an owned [`Cell`] per value, which the merge would turn
//! into text and drop at once; on millions of rows those allocations cost more than the
//! comparison. Here each value is borrowed from the driver's row buffer (`&str`, `&[u8]`,
//! integers) and written into the row text directly; only values outside the common types go
//! through [`Cell::canonical`], which stays the definition of the canonical form (the two
//! paths are tested to agree in `tests/validate.rs`). Only the last row's key is decoded into
//! owned cells, to bind the next chunk's keyset bound. SQLite and targets that repeat keys use
//! the general reader ([`super::stream::KeyOrderReader`]).

use std::sync::Arc;

use sqlx::mysql::MySqlRow;
use sqlx::postgres::PgRow;
use sqlx::Row;

use super::canon_sql::{NULL_MARK, SEPARATOR};
use super::row_hash::{write_canonical, KeyPart};
use super::stream::{HashKind, Prepared};
use crate::data::read::{bind_all, ReadAs};
use crate::data::types::Logical;
use crate::data::{Cell, TableSpec};
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
    /// A MySQL `DATE` from the binary protocol: year, month, day.
    Date(u16, u8, u8),
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

// Unchecked where `TableSpec::select_expr` casts the column to the type read (integers,
// floats, text): sqlx's per-value type check would only repeat what the SELECT guarantees.
// Booleans and bytes are not cast, so they keep the check.
fn pg_raw<'r>(row: &'r PgRow, i: usize, read: ReadAs) -> Result<Raw<'r>, sqlx::Error> {
    Ok(match read {
        ReadAs::Int | ReadAs::UInt => row
            .try_get_unchecked::<Option<i64>, _>(i)?
            .map_or(Raw::Null, Raw::Int),
        ReadAs::Float => row
            .try_get_unchecked::<Option<f64>, _>(i)?
            .map_or(Raw::Null, Raw::Float),
        ReadAs::Bool => row
            .try_get::<Option<bool>, _>(i)?
            .map_or(Raw::Null, Raw::Bool),
        ReadAs::Bytes => row
            .try_get::<Option<&[u8]>, _>(i)?
            .map_or(Raw::Null, Raw::Bytes),
        ReadAs::Text | ReadAs::Dynamic | ReadAs::MysqlDate => row
            .try_get_unchecked::<Option<&str>, _>(i)?
            .map_or(Raw::Null, Raw::Text),
    })
}

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
        ReadAs::Bytes => row
            .try_get::<Option<&[u8]>, _>(i)?
            .map_or(Raw::Null, Raw::Bytes),
        ReadAs::MysqlDate => match row.try_get_unchecked::<Option<&[u8]>, _>(i)? {
            None => Raw::Null,
            Some(bytes) => match crate::data::read::mysql_date_fields(bytes) {
                Some((y, m, d)) => Raw::Date(y, m, d),
                None => std::str::from_utf8(bytes).map_or(Raw::Bytes(bytes), Raw::Text),
            },
        },
        // Text with a binary collation arrives flagged binary; its bytes are still text.
        ReadAs::Text | ReadAs::Dynamic => match row.try_get_unchecked::<Option<&[u8]>, _>(i)? {
            None => Raw::Null,
            Some(bytes) => std::str::from_utf8(bytes).map_or(Raw::Bytes(bytes), Raw::Text),
        },
    })
}

/// Builds the prepared row and, for the chunk's last row, its owned key cells.
struct Builder<'a> {
    spec: &'a TableSpec,
    canon: &'a [Logical],
    reads: Vec<ReadAs>,
    kind: HashKind,
    text: Vec<u8>,
}

impl Builder<'_> {
    fn row<'r>(
        &mut self,
        raw: impl Fn(usize, ReadAs) -> Result<Raw<'r>, sqlx::Error>,
        last: bool,
    ) -> Result<(Prepared, Option<Vec<Cell>>), sqlx::Error> {
        self.text.clear();
        let mut key = vec![KeyPart::Null; self.spec.key.len()];
        let mut key_cells = last.then(|| vec![Cell::Null; self.spec.key.len()]);
        for (i, read) in self.reads.iter().enumerate() {
            if i > 0 {
                self.text.push(SEPARATOR);
            }
            let value = raw(i, *read)?;
            let start = self.text.len();
            let present = write_raw(&value, &self.canon[i], &mut self.text);
            if !present {
                self.text.push(NULL_MARK);
            }
            if let Some(k) = self.spec.key.iter().position(|&c| c == i) {
                key[k] = match (&value, &self.canon[i]) {
                    (Raw::Int(v), Logical::Int { .. } | Logical::Year) => {
                        KeyPart::Int(i128::from(*v))
                    }
                    _ => KeyPart::from_canonical(
                        present.then(|| &self.text[start..]),
                        &self.canon[i],
                    ),
                };
                if let Some(cells) = key_cells.as_mut() {
                    cells[k] = value.to_cell();
                }
            }
        }
        Ok((Prepared::new(key, &self.text, self.kind), key_cells))
    }
}

/// Reads `spec`'s rows with keys after `after`, at most `limit`, in key order, prepared;
/// returns them with the last row's key cells (`None` when no row). `db` must not be SQLite.
///
/// # Errors
/// [`DbError::Query`] naming the table.
pub async fn chunk(
    db: &Database,
    spec: &TableSpec,
    canon: &Arc<Vec<Logical>>,
    after: Option<&[Cell]>,
    limit: usize,
    kind: HashKind,
) -> Result<(Vec<Prepared>, Option<Vec<Cell>>), DbError> {
    let fragment = spec.select(after, None, Some(limit));
    let context = || format!("reading {}", spec.name);
    let mut builder = Builder {
        spec,
        canon,
        reads: spec.columns.iter().map(|c| c.read).collect(),
        kind,
        text: Vec::with_capacity(128),
    };
    let mut out = Vec::new();
    let mut last_key = None;
    macro_rules! run {
        ($pool:expr, $raw:ident) => {{
            let rows = bind_all!(sqlx::query(&fragment.sql), &fragment.binds)
                .fetch_all($pool)
                .await
                .map_err(|e| db.query_error(context(), e))?;
            out.reserve(rows.len());
            let n = rows.len();
            for (j, r) in rows.iter().enumerate() {
                let (prepared, key) = builder
                    .row(|i, read| $raw(r, i, read), j + 1 == n)
                    .map_err(|e| db.query_error(context(), e))?;
                out.push(prepared);
                if key.is_some() {
                    last_key = key;
                }
            }
        }};
    }
    match &db.pool {
        Pool::Postgres(pool) => run!(pool, pg_raw),
        Pool::Mysql(pool) => run!(pool, mysql_raw),
        Pool::Sqlite(_) => unreachable!("SQLite is read by the general reader"),
    }
    Ok((out, last_key))
}
