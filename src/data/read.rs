//! Reading rows in key order from any engine into [`Cell`]s.
//!
//! Each column is read in the cheapest form that keeps its value exact: integers as 64-bit
//! integers, floats as doubles, bytes as bytes, booleans as booleans, everything else as the
//! engine's own text form (decimals, dates, enums, arrays), cast in the `SELECT`. SQLite values
//! carry their own storage class and are read as such.

use futures_util::TryStreamExt;
use sqlx::mysql::MySqlRow;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, TypeInfo, ValueRef};

use super::cell::{date_days, date_of_days, Cell};
use super::copy_out::CopyField;
use super::keyset::{self, KeyColumn};
use super::types::Logical;
use crate::db::{quote, Database, DbError, Pool};
use crate::import::Engine;
use crate::inventory::{QualifiedName, Table};

/// How a column is fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadAs {
    /// As a signed 64-bit integer.
    Int,
    /// As an unsigned 64-bit integer (MySQL `BIGINT UNSIGNED` and other unsigned types).
    UInt,
    /// As a double.
    Float,
    /// As a boolean (PostgreSQL `boolean`).
    Bool,
    /// As bytes.
    Bytes,
    /// As the engine's text form.
    Text,
    /// By the value's own storage class (SQLite).
    Dynamic,
    /// A MySQL `DATE` as the server sends it, uncast: a 4-byte struct in the binary protocol
    /// (or `0000-00-00` as length 0), text in the text protocol; decoded to `YYYY-MM-DD` text
    /// by [`mysql_date`]. `CAST(… AS CHAR)` in the `SELECT` cost MariaDB 0.5–0.6 s of CPU per
    /// 3.6M rows of two dates.
    MysqlDate,
    /// A PostgreSQL `date` as the server sends it, uncast: days since 2000-01-01 as a 4-byte
    /// integer in the binary format (text in the text format), decoded by [`pg_date`].
    PgDate,
}

/// `YYYY-MM-DD` of a year, month and day, zero-padded (`format!` costs more than the copy of
/// the row it is part of).
pub(crate) fn ymd(year: u16, month: u8, day: u8) -> [u8; 10] {
    let mut text = *b"0000-00-00";
    for (at, value, width) in [
        (0, u32::from(year), 4),
        (5, u32::from(month), 2),
        (8, u32::from(day), 2),
    ] {
        let mut v = value;
        for k in (at..at + width).rev() {
            text[k] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    }
    text
}

/// Year, month and day of a MySQL `DATE` value's bytes when they are in the binary protocol's
/// form (MySQL docs, "Binary Protocol Value", `MYSQL_TYPE_DATE`: a length byte of 0 for the
/// zero date, or 4+ followed by year u16 LE, month, day); `None` when they are the text
/// protocol's text. The first byte tells them apart: a length is below `b'0'`, text starts
/// with a digit.
pub(crate) fn mysql_date_fields(bytes: &[u8]) -> Option<(u16, u8, u8)> {
    match bytes {
        [0, ..] => Some((0, 0, 0)),
        [len, y0, y1, m, d, ..] if *len >= 4 && *len < b'0' => {
            Some((u16::from_le_bytes([*y0, *y1]), *m, *d))
        }
        _ => None,
    }
}

/// A MySQL `DATE` value's bytes as sqlx hands them over, in either protocol
/// ([`mysql_date_fields`]), as a cell: [`Cell::Date`] for a calendar date, the date's text for
/// the zero date and other dates without a calendar day (`YYYY-MM-DD`, as MySQL prints them),
/// the text protocol's text as it came, and bytes that are not UTF-8 as bytes.
pub fn mysql_date(bytes: &[u8]) -> Cell {
    match mysql_date_fields(bytes) {
        Some((y, m, d)) => date_days(y, m, d).map_or_else(
            || Cell::Text(String::from_utf8_lossy(&ymd(y, m, d)).into_owned()),
            Cell::Date,
        ),
        None => std::str::from_utf8(bytes).map_or_else(
            |_| Cell::Bytes(bytes.to_vec()),
            |t| Cell::Text(t.to_owned()),
        ),
    }
}

/// A MySQL `DATE` value's bytes, `None` for NULL. sqlx reports zero dates as NULL
/// (`MySqlValueRef::is_null`), which would load `0000-00-00` as NULL with no rule counting
/// it; the bytes themselves are still there, and only a true NULL has none.
pub(crate) fn mysql_date_bytes(row: &MySqlRow, i: usize) -> Result<Option<&[u8]>, sqlx::Error> {
    use sqlx::ValueRef as _;
    if !row.try_get_raw(i)?.is_null() {
        return row.try_get_unchecked::<Option<&[u8]>, _>(i);
    }
    Ok(row.try_get_unchecked::<&[u8], _>(i).ok())
}

/// A PostgreSQL `date` value's bytes as sqlx hands them over, as a cell: [`Cell::Date`] for
/// years 1–9999, PostgreSQL's own text for the others (`infinity`, `0044-03-15 BC`,
/// `10000-01-01`, as `date_out` writes them; see [`super::copy_out::date`]), the text format's
/// text as it came; `None` for bytes that are neither.
fn pg_date(bytes: &[u8]) -> Option<Cell> {
    let Ok(binary) = <[u8; 4]>::try_from(bytes) else {
        return std::str::from_utf8(bytes)
            .ok()
            .map(|t| Cell::Text(t.to_owned()));
    };
    let days = i64::from(i32::from_be_bytes(binary)) + super::pg_binary::PG_EPOCH_DAYS;
    // Outside years 1–9999, `copy_out::date` gives the text (it gives `Ok` only inside them).
    date_of_days(days).or_else(|| super::copy_out::date(bytes)?.err().map(Cell::Text))
}

/// A column to read.
#[derive(Debug, Clone)]
pub struct ColumnSpec {
    /// Column name.
    pub name: String,
    /// Declared type as the catalog reports it.
    pub declared: String,
    /// Its meaning.
    pub logical: Logical,
    /// How it is fetched.
    pub read: ReadAs,
    /// SQL over the table's columns the value is computed by (a mapping spec's `derive`,
    /// `merge` or `split`, compiled by [`crate::mapping::expr`]), read in place of a stored
    /// column; `None` reads the column `name` itself.
    pub expr: Option<String>,
}

impl ColumnSpec {
    /// The column in SQL of `engine`: its expression in parentheses, else its quoted name.
    pub fn reference(&self, engine: Engine) -> String {
        match &self.expr {
            Some(expr) => format!("({expr})"),
            None => quote::ident(engine, &self.name),
        }
    }
}

/// A table to read in key order.
#[derive(Debug, Clone)]
pub struct TableSpec {
    /// Engine the table lives in.
    pub engine: Engine,
    /// Qualified name.
    pub name: QualifiedName,
    /// Columns in order.
    pub columns: Vec<ColumnSpec>,
    /// Indices into `columns` of the primary key, in key order.
    pub key: Vec<usize>,
    /// A condition (SQL over the table's unqualified column names) every row read must also
    /// meet, or `None` for every row: a sampled copy (`rehearse --scale`) reads only its
    /// sample this way.
    pub filter: Option<String>,
}

/// Why a table cannot be read in key order.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// No primary key: keyset pagination and row-level validation need one.
    #[error(
        "table {0} has no primary key: it cannot be copied in key order or validated row by row"
    )]
    NoPrimaryKey(QualifiedName),
    /// A key column is not among the columns.
    #[error("table {table}: primary key column {column} is not a column of the table")]
    UnknownKeyColumn {
        /// Table.
        table: QualifiedName,
        /// Column.
        column: String,
    },
}

fn read_as(engine: Engine, logical: &Logical, declared: &str) -> ReadAs {
    if engine == Engine::Sqlite {
        return ReadAs::Dynamic;
    }
    match logical {
        // Only the built-in type: a domain over `date` sends the same bytes, but its declared
        // name is all the catalog tells us.
        Logical::Date
            if engine == Engine::Postgres && declared.trim().eq_ignore_ascii_case("date") =>
        {
            ReadAs::PgDate
        }
        Logical::Int {
            bits: 64,
            unsigned: true,
        } => ReadAs::UInt,
        Logical::Int { .. } | Logical::Year => ReadAs::Int,
        Logical::Bool if engine == Engine::Mysql => ReadAs::Int,
        Logical::Date if engine == Engine::Mysql => ReadAs::MysqlDate,
        Logical::Bool => ReadAs::Bool,
        Logical::Float { .. } => ReadAs::Float,
        Logical::Bytes | Logical::Spatial => ReadAs::Bytes,
        // `CAST(… AS UNSIGNED)`: the bits as a number, which every engine can write back.
        Logical::Bits { .. } if engine == Engine::Mysql => ReadAs::UInt,
        _ => ReadAs::Text,
    }
}

impl TableSpec {
    /// The read plan of an inventoried table (columns with catalog types, from a live import).
    ///
    /// # Errors
    /// [`SpecError`] when the table has no usable primary key.
    pub fn new(engine: Engine, table: &Table) -> Result<Self, SpecError> {
        if table.primary_key.is_empty() {
            return Err(SpecError::NoPrimaryKey(table.name.clone()));
        }
        Self::with_key(engine, table)
    }

    /// The read plan of a table read whole, without a key: a table that has none (or whose
    /// key is not usable). Its [`Self::select`] has no `WHERE` and no `ORDER BY`.
    pub fn keyless(engine: Engine, table: &Table) -> Self {
        let mut keyless = table.clone();
        keyless.primary_key.clear();
        Self::with_key(engine, &keyless).expect("no key column can be unknown")
    }

    /// Whether the table is read whole, without a key ([`Self::keyless`]).
    pub fn is_keyless(&self) -> bool {
        self.key.is_empty()
    }

    fn with_key(engine: Engine, table: &Table) -> Result<Self, SpecError> {
        let columns: Vec<ColumnSpec> = table
            .columns
            .iter()
            .map(|c| {
                let logical = Logical::of(engine, &c.data_type);
                ColumnSpec {
                    name: c.name.clone(),
                    declared: c.data_type.clone(),
                    read: read_as(engine, &logical, &c.data_type),
                    logical,
                    expr: None,
                }
            })
            .collect();
        let key = table
            .primary_key
            .iter()
            .map(|k| {
                columns.iter().position(|c| &c.name == k).ok_or_else(|| {
                    SpecError::UnknownKeyColumn {
                        table: table.name.clone(),
                        column: k.clone(),
                    }
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            engine,
            name: table.name.clone(),
            columns,
            key,
            filter: None,
        })
    }

    /// Key columns with their declared types.
    pub fn key_columns(&self) -> Vec<KeyColumn> {
        self.key
            .iter()
            .map(|&i| KeyColumn {
                name: self.columns[i].name.clone(),
                declared: self.columns[i].declared.clone(),
            })
            .collect()
    }

    /// The key of a row read with this spec.
    pub fn key_of(&self, row: &[Cell]) -> Vec<Cell> {
        self.key.iter().map(|&i| row[i].clone()).collect()
    }

    fn select_expr(&self, column: &ColumnSpec) -> String {
        let c = column.reference(self.engine);
        match (self.engine, column.read) {
            (Engine::Postgres, ReadAs::Int) => format!("{c}::int8"),
            (Engine::Postgres, ReadAs::Float) => format!("{c}::float8"),
            (Engine::Postgres, ReadAs::Text) => format!("{c}::text"),
            // A signed integer of any width arrives as one (little-endian in the binary
            // protocol, which the driver widens by its length); `CAST(… AS SIGNED)` cost MariaDB
            // about 0.4 s of CPU per 3.6M rows of two `INT` columns. `YEAR` and `tinyint(1)`
            // read as integers keep the cast.
            (Engine::Mysql, ReadAs::Int)
                if matches!(
                    column.logical,
                    Logical::Int {
                        unsigned: false,
                        ..
                    }
                ) =>
            {
                c
            }
            (Engine::Mysql, ReadAs::Int) => format!("CAST({c} AS SIGNED)"),
            (Engine::Mysql, ReadAs::UInt) => format!("CAST({c} AS UNSIGNED)"),
            (Engine::Mysql, ReadAs::Float) => format!("CAST({c} AS DOUBLE)"),
            (Engine::Mysql, ReadAs::Text) => match column.logical {
                Logical::Text { .. } | Logical::Json => c,
                _ => format!("CAST({c} AS CHAR)"),
            },
            _ => c,
        }
    }

    /// `SELECT … FROM … [WHERE key in (after, upto]] ORDER BY key [LIMIT n]`.
    pub fn select(
        &self,
        after: Option<&[Cell]>,
        upto: Option<&[Cell]>,
        limit: Option<usize>,
    ) -> keyset::Fragment {
        self.select_with(|c| self.select_expr(c), after, upto, limit)
    }

    /// `SELECT …` of the rows whose key has a NULL part (SQLite allows them in a `PRIMARY
    /// KEY` that is not an `INTEGER PRIMARY KEY`): keyset pagination never reaches them, so a
    /// copy reads them apart. No order.
    pub fn select_null_keys(&self) -> keyset::Fragment {
        let nulls: Vec<String> = self
            .key
            .iter()
            .map(|&i| {
                format!(
                    "{} IS NULL",
                    quote::ident(self.engine, &self.columns[i].name)
                )
            })
            .collect();
        let exprs: Vec<String> = self.columns.iter().map(|c| self.select_expr(c)).collect();
        let filter = self
            .filter
            .as_ref()
            .map_or(String::new(), |f| format!(" AND ({f})"));
        keyset::Fragment {
            sql: format!(
                "SELECT {} FROM {} WHERE ({}){filter}",
                exprs.join(", "),
                quote::table(self.engine, &self.name),
                nulls.join(" OR ")
            ),
            binds: Vec::new(),
        }
    }

    fn select_with(
        &self,
        expr: impl Fn(&ColumnSpec) -> String,
        after: Option<&[Cell]>,
        upto: Option<&[Cell]>,
        limit: Option<usize>,
    ) -> keyset::Fragment {
        let keys = self.key_columns();
        let range = keyset::range(self.engine, &keys, after, upto, 1);
        let condition = match (&self.filter, range.sql.is_empty()) {
            (None, _) => range.sql,
            (Some(f), true) => format!("WHERE ({f})"),
            (Some(f), false) => format!("{} AND ({f})", range.sql),
        };
        // Positional aliases: PostgreSQL resolves a bare `ORDER BY name` to an output column of
        // that name first, and `"d"::text` keeps the name `d`, so without them the keyset
        // ORDER BY sorts the cast text of the whole table instead of walking the key's index.
        let exprs: Vec<String> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{} AS _ms_c{i}", expr(c)))
            .collect();
        let mut sql = format!(
            "SELECT {} FROM {} {} {}",
            exprs.join(", "),
            quote::table(self.engine, &self.name),
            condition,
            keyset::order_by(self.engine, &keys)
        );
        if let Some(limit) = limit {
            sql.push_str(&format!(" LIMIT {limit}"));
        }
        keyset::Fragment {
            sql,
            binds: range.binds,
        }
    }
}

impl TableSpec {
    /// A PostgreSQL table's whole-table read for a binary `COPY (…) TO STDOUT`, in key order,
    /// and how each field arrives. Unlike [`Self::select`], columns whose binary form we decode
    /// exactly are selected uncast: PostgreSQL's CPU for a 3.6M-row read of `salaries` fell by
    /// about half without the `::int8` and `::text` casts (measured with `psql \copy`).
    /// `char(n)` and every other type keep their `::text` cast, whose output (padding
    /// trimmed, the type's own text form) is the canonical input.
    pub fn copy_select_pg(&self) -> (String, Vec<CopyField>) {
        let select = self.select_with(
            |c| match pg_native_copy(c) {
                Some(_) => c.reference(Engine::Postgres),
                None => self.select_expr(c),
            },
            None,
            None,
            None,
        );
        let fields = self
            .columns
            .iter()
            .map(|c| {
                pg_native_copy(c).unwrap_or(match c.read {
                    ReadAs::Int | ReadAs::UInt => CopyField::Int,
                    ReadAs::Float => CopyField::Float,
                    ReadAs::Bool => CopyField::Bool,
                    ReadAs::Bytes => CopyField::Bytes,
                    ReadAs::Text | ReadAs::Dynamic | ReadAs::MysqlDate => CopyField::Text,
                    ReadAs::PgDate => CopyField::Date,
                })
            })
            .collect();
        (
            format!("COPY ({}) TO STDOUT (FORMAT binary)", select.sql),
            fields,
        )
    }
}

/// How a PostgreSQL column arrives in a binary `COPY` when selected uncast, for the types
/// whose binary form we decode exactly; `None` for the rest, which keep their cast.
fn pg_native_copy(column: &ColumnSpec) -> Option<CopyField> {
    // A computed value's SQL type is the expression's: cast, as `select` does.
    if column.expr.is_some() {
        return None;
    }
    let declared = column.declared.trim().to_ascii_lowercase();
    match (&column.logical, column.read) {
        (Logical::Int { .. }, ReadAs::Int) => Some(CopyField::Int),
        (Logical::Float { .. }, ReadAs::Float) => Some(CopyField::Float),
        (Logical::Date, _) if declared == "date" => Some(CopyField::Date),
        (Logical::Text { .. }, ReadAs::Text)
            if declared == "text"
                || declared.starts_with("character varying")
                || declared.starts_with("varchar") =>
        {
            Some(CopyField::Text)
        }
        _ => None,
    }
}

impl TableSpec {
    /// `SELECT … FROM … WHERE` the key equals `key` (one row at most).
    pub fn select_key(&self, key: &[Cell]) -> keyset::Fragment {
        let filter = keyset::equals(self.engine, &self.key_columns(), key, 1);
        let exprs: Vec<String> = self.columns.iter().map(|c| self.select_expr(c)).collect();
        keyset::Fragment {
            sql: format!(
                "SELECT {} FROM {} {}",
                exprs.join(", "),
                quote::table(self.engine, &self.name),
                filter.sql
            ),
            binds: filter.binds,
        }
    }
}

impl TableSpec {
    /// The select list a [`read_fragment`] of this spec decodes: each column as it is read
    /// (cast where the reader needs it), aliased `_ms_c0`, `_ms_c1`… so that an `ORDER BY` of a
    /// column's name still sorts by the column (and its index), not by the cast text.
    pub fn select_list(&self) -> String {
        self.columns
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{} AS _ms_c{i}", self.select_expr(c)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `SELECT … FROM … WHERE` the key is one of `keys` ([`keyset::any_of`]), in no particular
    /// order: a caller comparing two engines orders the rows itself, by one key encoding.
    pub fn select_keys(&self, keys: &[Vec<Cell>]) -> keyset::Fragment {
        let filter = if self.engine == Engine::Postgres && keys.len() > 1 {
            keyset::any_of_json(&self.key_columns(), keys, 1)
        } else {
            keyset::any_of(self.engine, &self.key_columns(), keys, 1)
        };
        keyset::Fragment {
            sql: format!(
                "SELECT {} FROM {} {}",
                self.select_list(),
                quote::table(self.engine, &self.name),
                filter.sql
            ),
            binds: filter.binds,
        }
    }
}

macro_rules! bind_all {
    ($query:expr, $binds:expr) => {{
        // Not cached as a prepared statement: PostgreSQL fixes a parameter's type at the first
        // prepare, and a NULL (bound as text) there would make a later bytea value text.
        let mut q = $query.persistent(false);
        for cell in $binds {
            q = match cell {
                Cell::Null => q.bind(None::<String>),
                Cell::Int(i) => q.bind(*i),
                Cell::UInt(u) => match i64::try_from(*u) {
                    Ok(i) => q.bind(i),
                    Err(_) => q.bind(u.to_string()),
                },
                Cell::Float(f) => q.bind(*f),
                Cell::Bool(b) => q.bind(*b),
                // As text, like every date value bound: PostgreSQL's placeholders are cast to
                // the column's type, MySQL and SQLite read the text as a date.
                Cell::Date(d) => q.bind($crate::data::cell::date_string(*d)),
                Cell::Text(t) => q.bind(t.clone()),
                Cell::Bytes(b) => q.bind(b.clone()),
            };
        }
        q
    }};
}
#[allow(unused_imports)]
pub(crate) use bind_all;

// Unchecked where `TableSpec::select_expr` casts the column to the type read (integers,
// floats, text): sqlx's per-value type check would only repeat what the SELECT guarantees.
// Booleans and bytes are not cast, so they keep the check.
fn pg_cell(row: &PgRow, i: usize, read: ReadAs) -> Result<Cell, sqlx::Error> {
    Ok(match read {
        ReadAs::Int => row
            .try_get_unchecked::<Option<i64>, _>(i)?
            .map_or(Cell::Null, Cell::Int),
        ReadAs::UInt => row
            .try_get_unchecked::<Option<i64>, _>(i)?
            .map_or(Cell::Null, Cell::Int),
        ReadAs::Float => row
            .try_get_unchecked::<Option<f64>, _>(i)?
            .map_or(Cell::Null, Cell::Float),
        ReadAs::Bool => row
            .try_get::<Option<bool>, _>(i)?
            .map_or(Cell::Null, Cell::Bool),
        ReadAs::Bytes => row
            .try_get::<Option<Vec<u8>>, _>(i)?
            .map_or(Cell::Null, Cell::Bytes),
        ReadAs::PgDate => {
            let raw = row.try_get_raw(i)?;
            if raw.is_null() {
                return Ok(Cell::Null);
            }
            let bytes = raw.as_bytes().map_err(sqlx::Error::Decode)?;
            pg_date(bytes).ok_or_else(|| {
                sqlx::Error::Protocol(format!("a date value of {} bytes", bytes.len()))
            })?
        }
        ReadAs::Text | ReadAs::Dynamic | ReadAs::MysqlDate => row
            .try_get_unchecked::<Option<String>, _>(i)?
            .map_or(Cell::Null, Cell::Text),
    })
}

fn mysql_cell(row: &MySqlRow, i: usize, read: ReadAs) -> Result<Cell, sqlx::Error> {
    Ok(match read {
        ReadAs::Int => row
            .try_get_unchecked::<Option<i64>, _>(i)?
            .map_or(Cell::Null, Cell::Int),
        ReadAs::UInt => row
            .try_get_unchecked::<Option<u64>, _>(i)?
            .map_or(Cell::Null, |u| {
                i64::try_from(u).map_or(Cell::UInt(u), Cell::Int)
            }),
        ReadAs::Float => row
            .try_get_unchecked::<Option<f64>, _>(i)?
            .map_or(Cell::Null, Cell::Float),
        ReadAs::Bool => row
            .try_get::<Option<bool>, _>(i)?
            .map_or(Cell::Null, Cell::Bool),
        // Unchecked: spatial and `BIT` columns are bytes too, which sqlx's check refuses.
        ReadAs::Bytes => row
            .try_get_unchecked::<Option<Vec<u8>>, _>(i)?
            .map_or(Cell::Null, Cell::Bytes),
        ReadAs::MysqlDate => match mysql_date_bytes(row, i)? {
            None => Cell::Null,
            Some(bytes) => mysql_date(bytes),
        },
        // (`PgDate` is PostgreSQL's; a MySQL column never reads as it.)
        ReadAs::Text | ReadAs::Dynamic | ReadAs::PgDate => {
            // Text columns with a binary collation arrive flagged binary; their bytes are text.
            match row.try_get_unchecked::<Option<Vec<u8>>, _>(i)? {
                None => Cell::Null,
                Some(bytes) => match String::from_utf8(bytes) {
                    Ok(s) => Cell::Text(s),
                    Err(e) => Cell::Bytes(e.into_bytes()),
                },
            }
        }
    })
}

fn sqlite_cell(row: &SqliteRow, i: usize) -> Result<Cell, sqlx::Error> {
    let raw = row.try_get_raw(i)?;
    if raw.is_null() {
        return Ok(Cell::Null);
    }
    let class = raw.type_info().name().to_owned();
    Ok(match class.as_str() {
        "INTEGER" | "BOOLEAN" => Cell::Int(row.try_get_unchecked::<i64, _>(i)?),
        "REAL" => Cell::Float(row.try_get_unchecked::<f64, _>(i)?),
        "BLOB" => Cell::Bytes(row.try_get_unchecked::<Vec<u8>, _>(i)?),
        _ => Cell::Text(row.try_get_unchecked::<String, _>(i)?),
    })
}

/// Reads rows of `spec` with keys in `(after, upto]`, in key order, at most `limit`.
///
/// # Errors
/// [`DbError::Query`] naming the table.
pub async fn read_rows(
    db: &Database,
    spec: &TableSpec,
    after: Option<&[Cell]>,
    upto: Option<&[Cell]>,
    limit: Option<usize>,
) -> Result<Vec<Vec<Cell>>, DbError> {
    let fragment = spec.select(after, upto, limit);
    read_into(db, spec, &fragment, limit.unwrap_or(0)).await
}

/// Runs a `SELECT` built from `spec` (e.g. [`TableSpec::select_key`]) and decodes its rows.
///
/// # Errors
/// [`DbError::Query`] naming the table.
pub async fn read_fragment(
    db: &Database,
    spec: &TableSpec,
    fragment: &keyset::Fragment,
) -> Result<Vec<Vec<Cell>>, DbError> {
    read_into(db, spec, fragment, 0).await
}

/// Rows are decoded as the driver receives them, each dropped once it is [`Cell`]s: collecting
/// a chunk of driver rows first held 50k of them at once and walked them again, cold in cache.
async fn read_into(
    db: &Database,
    spec: &TableSpec,
    fragment: &keyset::Fragment,
    expected: usize,
) -> Result<Vec<Vec<Cell>>, DbError> {
    let width = spec.columns.len();
    let mut out: Vec<Vec<Cell>> = Vec::with_capacity(expected.min(1 << 16));
    let mut row = Vec::with_capacity(width);
    stream_rows(db, spec, fragment, &mut row, |r| {
        out.push(std::mem::replace(r, Vec::with_capacity(width)));
    })
    .await?;
    Ok(out)
}

/// Runs a `SELECT` built from `spec` and hands each row to `on_row` as it is decoded, in
/// `row`, a buffer reused from row to row (the callback may change the cells, or take them).
/// Returns the number of rows; afterwards `row` holds the last row as `on_row` left it. For
/// readers that turn rows into something else at once (the backfill's `COPY` encoding), this
/// spares a `Vec` per row.
///
/// # Errors
/// [`DbError::Query`] naming the table. The callback may have seen some rows by then.
pub async fn stream_rows(
    db: &Database,
    spec: &TableSpec,
    fragment: &keyset::Fragment,
    row: &mut Vec<Cell>,
    mut on_row: impl FnMut(&mut Vec<Cell>),
) -> Result<usize, DbError> {
    let context = || format!("reading {}", spec.name);
    let reads: Vec<ReadAs> = spec.columns.iter().map(|c| c.read).collect();
    let mut count = 0;
    macro_rules! decode_stream {
        ($pool:expr, $cell:expr) => {{
            let mut rows = bind_all!(sqlx::query(&fragment.sql), &fragment.binds).fetch($pool);
            while let Some(r) = rows
                .try_next()
                .await
                .map_err(|e| db.query_error(context(), e))?
            {
                row.clear();
                for (i, read) in reads.iter().enumerate() {
                    row.push($cell(&r, i, *read).map_err(|e| db.query_error(context(), e))?);
                }
                count += 1;
                on_row(row);
            }
        }};
    }
    match &db.pool {
        Pool::Postgres(pool) => decode_stream!(pool, pg_cell),
        Pool::Mysql(pool) => decode_stream!(pool, mysql_cell),
        Pool::Sqlite(pool) => decode_stream!(pool, |r, i, _| sqlite_cell(r, i)),
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::mysql_date;
    use crate::data::cell::{date_text, Cell};

    #[test]
    fn mysql_dates_decode_from_both_protocols() {
        // Binary protocol: length 4, year 1985 (0x07C1) little-endian, month 1, day 31.
        let Cell::Date(days) = mysql_date(&[4, 0xC1, 0x07, 1, 31]) else {
            panic!("a calendar date is a Cell::Date");
        };
        assert_eq!(&date_text(days), b"1985-01-31");
        assert_eq!(days, 5509);
        assert_eq!(mysql_date(&[0]), Cell::Text("0000-00-00".into()));
        // 2023-02-29 has no calendar day (MySQL keeps it under ALLOW_INVALID_DATES).
        assert_eq!(
            mysql_date(&[4, 0xE7, 0x07, 2, 29]),
            Cell::Text("2023-02-29".into())
        );
        assert_eq!(mysql_date(b"2024-02-29"), Cell::Text("2024-02-29".into()));
    }
}
