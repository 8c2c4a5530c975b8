//! The review against the data: for each static finding whose harm depends on values (M001
//! length, M002 precision, M003 integer range, M005 NULLs into NOT NULL), how many source rows
//! it hits and up to five of their keys, counted by the source database itself. Read-only:
//! the caller opens the source with [`crate::db::Access::ReadOnly`]. Every identifier is
//! quoted for its engine and every bound in a condition is a number parsed from a type, so no
//! spec text reaches the SQL.
//!
//! This first version runs two queries per finding (a count, then the first keys in key
//! order), each over the whole table or, with a sample, over its first rows by key; it does
//! not yet read each table once in keyset chunks as the validation does.

use serde::Serialize;

use super::review::{
    Finding, Review, M001_LENGTH, M002_PRECISION, M003_INTEGER_RANGE, M005_NOT_NULL,
};
use super::spec::find_table;
use super::{MappingSpec, TableMapping};
use crate::data::Logical;
use crate::db::{quote, Database, DbError};
use crate::import::Engine;
use crate::inventory::{Inventory, Table};

/// Examples kept per finding.
pub const EXAMPLES: usize = 5;

/// What the data pass counted for one finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataCount {
    /// Source rows the finding hits.
    pub rows: u64,
    /// What those rows are (e.g. `longer than 10 characters`).
    pub condition: String,
    /// Up to [`EXAMPLES`] of their keys, first in key order, as `column value` pairs
    /// (`film_id 12`).
    pub examples: Vec<String>,
}

fn text_length(engine: Engine, column: &str) -> String {
    match engine {
        Engine::Mysql => format!("CHAR_LENGTH({column})"),
        Engine::Postgres => format!("char_length({column}::text)"),
        Engine::Sqlite => format!("length({column})"),
    }
}

/// `10^digits` as an exact numeric literal.
fn power_of_ten(digits: u32) -> String {
    format!("1{}", "0".repeat(digits as usize))
}

/// The SQL condition (on the source, column `c` already quoted) that a value is hit by
/// finding `code` for a column mapped `from` → `to`, and its description.
fn condition(
    engine: Engine,
    code: &str,
    c: &str,
    from: &Logical,
    to: &Logical,
) -> Option<(String, String)> {
    match (code, to) {
        (M001_LENGTH, Logical::Text { max_len: Some(n) }) => Some((
            format!("{} > {n}", text_length(engine, c)),
            format!("longer than {n} characters"),
        )),
        (M003_INTEGER_RANGE, Logical::Int { bits, unsigned }) => {
            let bits = u32::from((*bits).clamp(8, 64));
            let (min, max) = if *unsigned {
                (0i128, (1i128 << bits) - 1)
            } else {
                (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
            };
            Some((
                format!("({c} < {min} OR {c} > {max})"),
                format!("outside {min}..{max}"),
            ))
        }
        (
            M002_PRECISION,
            Logical::Decimal {
                precision: Some(q),
                scale,
            },
        ) => {
            let t = scale.unwrap_or(0);
            let limit = power_of_ten(q.saturating_sub(t));
            let rounds = matches!(from, Logical::Decimal { scale: Some(s), .. } if *s > t);
            Some((
                if rounds {
                    format!("(ABS({c}) >= {limit} OR {c} <> ROUND({c}, {t}))")
                } else {
                    format!("ABS({c}) >= {limit}")
                },
                format!(
                    "overflowing numeric({q},{t}){}",
                    if rounds { " or rounded" } else { "" }
                ),
            ))
        }
        (M002_PRECISION, Logical::Int { .. }) => Some((
            format!("{c} <> ROUND({c}, 0)"),
            "with decimals rounded away".into(),
        )),
        (M005_NOT_NULL, _) => Some((format!("{c} IS NULL"), "NULL".into())),
        _ => None,
    }
}

/// The key as text, per engine.
fn as_text(engine: Engine, c: &str) -> String {
    match engine {
        Engine::Mysql => format!("CAST({c} AS CHAR)"),
        Engine::Postgres => format!("{c}::text"),
        Engine::Sqlite => format!("CAST({c} AS TEXT)"),
    }
}

/// Counts, on `source` (its live catalog `live`), the rows each value-dependent finding of
/// `review` hits, under the mapping of `spec` into a `target` engine. With `sample`, only the
/// first `sample` rows of each table by key are read; the scope is stated in
/// [`Review::data_scope`].
///
/// # Errors
/// [`DbError`] of a query.
pub async fn count(
    source: &Database,
    live: &Inventory,
    target: Engine,
    spec: &MappingSpec,
    review: &mut Review,
    sample: Option<u64>,
) -> Result<(), DbError> {
    review.data_scope = Some(match sample {
        Some(n) => format!("the first {n} rows of each table by key"),
        None => "every row (full scan)".to_owned(),
    });
    for finding in &mut review.findings {
        finding.data = count_one(source, live, target, spec, finding, sample).await?;
    }
    Ok(())
}

async fn count_one(
    db: &Database,
    live: &Inventory,
    target: Engine,
    spec: &MappingSpec,
    finding: &Finding,
    sample: Option<u64>,
) -> Result<Option<DataCount>, DbError> {
    let e = db.engine;
    let (Some(column), Some(table)) = (&finding.column, find_table(live, &finding.table)) else {
        return Ok(None);
    };
    let rule = spec.tables.get(&finding.table);
    let (mapping, _) = TableMapping::mapped(e, target, table, None, rule);
    let Some(mapped) = mapping.columns.iter().find(|c| &c.name == column) else {
        return Ok(None);
    };
    // A computed column is counted on the value its expression gives, as the backfill reads it.
    let c = mapped
        .derived
        .as_ref()
        .map_or_else(|| quote::ident(e, column), |sql| format!("({sql})"));
    let Some((condition, described)) =
        condition(e, finding.code, &c, &mapped.source, &mapped.target)
    else {
        return Ok(None);
    };
    let from = from_clause(e, table, sample);
    let rows = db
        .fetch_i64(
            &format!("SELECT COUNT(*) FROM {from} WHERE {condition}"),
            &[],
            &format!("counting {} rows of {}", finding.code, finding.entry),
        )
        .await?
        .unwrap_or(0);
    let mut examples = Vec::new();
    if rows > 0 && !table.primary_key.is_empty() {
        let keys: Vec<String> = table
            .primary_key
            .iter()
            .map(|k| quote::ident(e, k))
            .collect();
        let select: Vec<String> = keys.iter().map(|k| as_text(e, k)).collect();
        let found = db
            .fetch_texts(
                &format!(
                    "SELECT {} FROM {from} WHERE {condition} ORDER BY {} LIMIT {EXAMPLES}",
                    select.join(", "),
                    keys.join(", ")
                ),
                &[],
                &format!("example keys of {} on {}", finding.code, finding.entry),
            )
            .await?;
        examples = found
            .into_iter()
            .map(|row| {
                table
                    .primary_key
                    .iter()
                    .zip(row)
                    .map(|(k, v)| format!("{k} {}", v.unwrap_or_else(|| "NULL".into())))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .collect();
    }
    Ok(Some(DataCount {
        rows: u64::try_from(rows).unwrap_or(0),
        condition: described,
        examples,
    }))
}

/// The table, or its first `sample` rows by key as a derived table.
fn from_clause(e: Engine, table: &Table, sample: Option<u64>) -> String {
    let t = quote::table(e, &table.name);
    match sample {
        Some(n) if !table.primary_key.is_empty() => format!(
            "(SELECT * FROM {t} ORDER BY {} LIMIT {n}) AS sampled",
            quote::columns(e, table.primary_key.iter().map(String::as_str))
        ),
        Some(n) => format!("(SELECT * FROM {t} LIMIT {n}) AS sampled"),
        None => t,
    }
}
