//! The canonical text of a column computed in SQL, and the per-row hash built from it, so that a
//! database can checksum its rows without sending them.
//!
//! Each expression produces exactly the string [`Cell::canonical`](crate::data::Cell::canonical)
//! produces for the value read from that column (tested on real data in
//! `tests/validate.rs`): integers as digits, booleans `1`/`0`, decimals with trailing
//! fractional zeros removed (PostgreSQL `trim_scale`), dates as `YYYY-MM-DD`, date-times as
//! `YYYY-MM-DD HH:MM:SS.ffffff` in UTC, times as `HH:MM:SS.ffffff`, bytes as lower-case hex,
//! MySQL zero dates as NULL, text as stored (MySQL text converted to UTF-8 first, as the client
//! reads it). Binary floats have no expression: no two engines print them alike, so a table
//! with a float column is hashed by the client (see [`super::row_hash`]).
//!
//! The row text joins the column texts with U+001F (unit separator) and writes NULL as U+001E
//! (record separator), so NULL and `''` differ. The row hash is the last 15 hex digits (60 bits)
//! of its SHA-256 (data-diff and reladiff take MD5's; [`RowHash::Sha256`] says why not), so
//! that a segment's fold of hashes (XOR, or an exact sum) stays inside the database.

use crate::data::read::ColumnSpec;
use crate::data::types::Logical;
use crate::import::Engine;

/// Separator between column texts in the row text.
pub const SEPARATOR: u8 = 0x1f;
/// The text standing for NULL in the row text.
pub const NULL_MARK: u8 = 0x1e;

/// SQL producing the canonical text of `column` (of an `engine` table) compared as `canon`,
/// NULL for NULL, as an argument of the row text's `CONCAT_WS`: on MySQL a number or a date is
/// left for `CONCAT_WS` to convert (the same digits, cheaper than a `CAST`), so the expression
/// is not text on its own there. `None` when the engine cannot produce it (SQLite, binary
/// floats).
pub fn canonical_expr(engine: Engine, column: &ColumnSpec, canon: &Logical) -> Option<String> {
    let c = column.reference(engine);
    let own = &column.logical;
    match engine {
        Engine::Postgres => postgres(&c, own, canon),
        Engine::Mysql => mysql(&c, own, canon),
        Engine::Sqlite => None,
    }
}

/// `c` rounded to the scale a decimal `canon` names (rule C004, [`super::pair::common`]) when
/// a value of its `own` type can hold more decimals (both engines' `ROUND` of an exact
/// numeric rounds half away from zero, as the copy does); `c` otherwise.
fn rounded(c: &str, own: &Logical, canon: &Logical) -> String {
    match canon {
        Logical::Decimal {
            scale: Some(scale), ..
        } if own.kept_scale().is_none_or(|s| s > *scale) => format!("ROUND({c}, {scale})"),
        _ => c.to_owned(),
    }
}

fn textual(l: &Logical) -> bool {
    matches!(
        l,
        Logical::Text { .. }
            | Logical::Enum(_)
            | Logical::Set(_)
            | Logical::Uuid
            | Logical::Json
            | Logical::Other(_)
            | Logical::Int { .. }
            | Logical::Year
    )
}

fn postgres(c: &str, own: &Logical, canon: &Logical) -> Option<String> {
    // Rounded by the client (rule C005, half up), which no SQL here does the same way.
    if Logical::rounds_fraction(own, canon).is_some() {
        return None;
    }
    Some(match (canon, own) {
        (Logical::Bool, Logical::Bool) => {
            format!("CASE WHEN {c} THEN '1' WHEN NOT {c} THEN '0' END")
        }
        (Logical::Bool, Logical::Int { .. }) => {
            format!("CASE WHEN {c} <> 0 THEN '1' WHEN {c} = 0 THEN '0' END")
        }
        (Logical::Int { .. } | Logical::Year, Logical::Int { .. } | Logical::Year) => {
            format!("{c}::text")
        }
        (Logical::Decimal { .. }, Logical::Int { .. }) => format!("{c}::text"),
        (Logical::Decimal { .. }, Logical::Decimal { .. }) => {
            format!("trim_scale({})::text", rounded(c, own, canon))
        }
        (Logical::Bytes, Logical::Bytes) => format!("encode({c}, 'hex')"),
        (Logical::Date, Logical::Date) => format!("{c}::text"),
        (Logical::Timestamp { .. }, Logical::Timestamp { tz: true, .. }) => {
            format!("to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')")
        }
        (Logical::Timestamp { .. }, Logical::Timestamp { tz: false, .. } | Logical::Date) => {
            format!("to_char({c}, 'YYYY-MM-DD HH24:MI:SS.US')")
        }
        (Logical::Time { .. }, Logical::Time { .. }) => format!("to_char({c}, 'HH24:MI:SS.US')"),
        (Logical::Text { .. } | Logical::Enum(_) | Logical::Set(_), o) if textual(o) => {
            format!("{c}::text")
        }
        (Logical::Uuid | Logical::Json | Logical::Other(_), o) if textual(o) => {
            format!("{c}::text")
        }
        _ => return None,
    })
}

/// MySQL zero dates (`0000-00-00`, or a zero year, month or day) are NULL, as the backfill
/// loads them. One product of the three parts is a third cheaper than three comparisons.
fn mysql_unless_zero(c: &str, expr: String) -> String {
    format!("IF(DAYOFMONTH({c}) * MONTH({c}) * YEAR({c}) = 0, NULL, {expr})")
}

fn mysql(c: &str, own: &Logical, canon: &Logical) -> Option<String> {
    if Logical::rounds_fraction(own, canon).is_some() {
        return None;
    }
    Some(match (canon, own) {
        (Logical::Bool, Logical::Bool | Logical::Int { .. }) => {
            format!("CASE WHEN {c} <> 0 THEN '1' WHEN {c} = 0 THEN '0' END")
        }
        // A YEAR prints four digits (`0000`) where its value, as every reader reads it, is 0.
        (Logical::Int { .. } | Logical::Year, Logical::Year) => format!("{c} + 0"),
        // Left to CONCAT_WS's own conversion (the same digits): a third cheaper than CAST.
        (Logical::Int { .. } | Logical::Year, Logical::Int { .. }) => c.to_owned(),
        (Logical::Decimal { .. }, Logical::Int { .. }) => c.to_owned(),
        (Logical::Decimal { .. }, Logical::Decimal { .. }) => {
            let c = &rounded(c, own, canon);
            let s = format!("CAST({c} AS CHAR)");
            format!(
                "CASE WHEN {c} = 0 THEN '0' WHEN LOCATE('.', {s}) > 0 \
                 THEN TRIM(TRAILING '.' FROM TRIM(TRAILING '0' FROM {s})) ELSE {s} END"
            )
        }
        (Logical::Bytes, Logical::Bytes) => format!("LOWER(HEX({c}))"),
        (Logical::Date, Logical::Date) => mysql_unless_zero(c, c.to_owned()),
        (Logical::Timestamp { .. }, Logical::Timestamp { .. } | Logical::Date) => {
            mysql_unless_zero(c, format!("DATE_FORMAT({c}, '%Y-%m-%d %H:%i:%s.%f')"))
        }
        (Logical::Time { .. }, Logical::Time { .. }) => {
            format!("TIME_FORMAT({c}, '%H:%i:%s.%f')")
        }
        (
            Logical::Text { .. }
            | Logical::Enum(_)
            | Logical::Set(_)
            | Logical::Uuid
            | Logical::Json
            | Logical::Other(_),
            Logical::Text { .. } | Logical::Json,
        ) => format!("CONVERT({c} USING utf8mb4)"),
        // MySQL-specific types (geometry, bit) print as binary: the client hashes those.
        (
            Logical::Text { .. }
            | Logical::Enum(_)
            | Logical::Set(_)
            | Logical::Uuid
            | Logical::Json
            | Logical::Other(_),
            o,
        ) if textual(o) && !matches!(o, Logical::Other(_)) => format!("CAST({c} AS CHAR)"),
        _ => return None,
    })
}

/// Which function hashes a row text inside the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowHash {
    /// The last 60 bits of SHA-256: a hash every engine (and [`super::row_hash::sha256_60`])
    /// computes alike, so it is what two engines, or a database and the client, compare. Not
    /// MD5, as data-diff uses: MariaDB's `MD5` costs about ten times its `SHA2` per row (4.8 s
    /// against 0.5 s over the validation bench's 3.6M rows), and PostgreSQL's two cost the same.
    Sha256,
    /// The engine's cheapest built-in hash, for two databases of the same engine that both
    /// hash in SQL: PostgreSQL `hashtextextended` (lookup3, 64 bits, masked to 60; about a
    /// third of `md5`'s cost per row, measured on the validation bench's table). MySQL has
    /// none cheaper than `SHA2` that gives 60 bits (its `CRC32` gives 32), so it keeps SHA-256.
    Native,
}

/// SQL for a row's 60-bit hash as an integer, over `columns` compared as `canon`; `None` when
/// some column has no SQL canonical form on this engine.
pub fn row_hash_expr(engine: Engine, columns: &[ColumnSpec], canon: &[Logical]) -> Option<String> {
    row_hash_expr_with(engine, columns, canon, RowHash::Sha256)
}

/// [`row_hash_expr`] with the hash function `hash` ([`RowHash::Native`] is SHA-256 where the
/// engine has no cheaper one).
pub fn row_hash_expr_with(
    engine: Engine,
    columns: &[ColumnSpec],
    canon: &[Logical],
    hash: RowHash,
) -> Option<String> {
    let text = row_text_expr(engine, columns, canon)?;
    Some(match engine {
        Engine::Postgres => {
            match hash {
                RowHash::Sha256 => format!(
                    "(('x' || encode(substr(sha256(convert_to({text}, 'UTF8')), 25), 'hex'))::bit(64)::int8 & {})",
                    (1u64 << 60) - 1
                ),
                RowHash::Native => {
                    format!("(hashtextextended({text}, 0) & {})", (1u64 << 60) - 1)
                }
            }
        }
        Engine::Mysql => {
            format!("CAST(CONV(RIGHT(SHA2({text}, 256), 15), 16, 10) AS UNSIGNED)")
        }
        Engine::Sqlite => return None,
    })
}

/// SQL for a row's text ([`super::row_hash::row_text`]'s bytes: canonical column texts joined
/// by U+001F, NULL as U+001E) over `columns` compared as `canon`; `None` when some column has
/// no SQL canonical form on this engine.
pub fn row_text_expr(engine: Engine, columns: &[ColumnSpec], canon: &[Logical]) -> Option<String> {
    let exprs = columns
        .iter()
        .zip(canon)
        .map(|(c, l)| canonical_expr(engine, c, l))
        .collect::<Option<Vec<_>>>()?;
    Some(match engine {
        Engine::Postgres => {
            let parts: Vec<String> = exprs
                .iter()
                .map(|e| format!("COALESCE({e}, chr({NULL_MARK}))"))
                .collect();
            format!("concat_ws(chr({SEPARATOR}), {})", parts.join(", "))
        }
        Engine::Mysql => {
            let parts: Vec<String> = exprs
                .iter()
                .map(|e| format!("COALESCE({e}, CHAR({NULL_MARK}))"))
                .collect();
            format!("CONCAT_WS(CHAR({SEPARATOR}), {})", parts.join(", "))
        }
        Engine::Sqlite => return None,
    })
}
