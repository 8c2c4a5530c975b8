//! The review against the data: for each static finding whose harm depends on values (M001
//! length, M002 precision, M003 integer range, M005 NULLs into NOT NULL, M019 fractions of a
//! second rounded, M022 merged rows without a partner, M023 merged rows of NULLs), how many
//! source rows it hits and up to five of their keys, counted by the
//! source database itself. Read-only:
//! the caller opens the source with [`crate::db::Access::ReadOnly`]. Every identifier is
//! quoted for its engine and every bound in a condition is a number parsed from a type, so no
//! spec text reaches the SQL.
//!
//! Each table is read once, by one statement summing every finding's condition (the database
//! counts; no row crosses the network), then once more per finding that hit rows, for its
//! first keys in key order (a scan that stops at the fifth). With a sample, only the first rows
//! of each table by key are read.

use serde::Serialize;

use super::review::{
    Finding, Review, M001_LENGTH, M002_PRECISION, M003_INTEGER_RANGE, M005_NOT_NULL,
    M014_UNIQUE_COMPUTED, M018_KEY_BECOMES_CASE_INSENSITIVE, M019_FRACTION_NARROWING,
    M020_CHARSET_NARROWING, M022_MERGE_ORPHANS, M023_MERGE_ALL_NULL,
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
        (
            M019_FRACTION_NARROWING,
            Logical::Timestamp { fraction, .. } | Logical::Time { fraction },
        ) => Some((
            crate::data::rules::fraction_beyond_sql(engine, c, *fraction),
            format!(
                "rounded to {}",
                if *fraction == 0 {
                    "whole seconds".to_owned()
                } else {
                    format!("{fraction} digits of a second")
                }
            ),
        )),
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
/// `review` hits, under the mapping of `spec` into a `target` engine. Each table is read once:
/// one statement sums every finding's condition over its rows; then, for the findings that hit
/// rows, their first keys in key order. With `sample`, only the first `sample` rows of each
/// table by key are read; the scope is stated in [`Review::data_scope`].
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
    // The findings to count, grouped by table in first-finding order.
    let mut by_table: Vec<(String, Vec<Counted>)> = Vec::new();
    for (i, finding) in review.findings.iter().enumerate() {
        let Some((condition, described)) =
            finding_condition(source.engine, live, target, spec, finding)
        else {
            continue;
        };
        match by_table.iter_mut().find(|(t, _)| *t == finding.table) {
            Some((_, list)) => list.push((i, condition, described)),
            None => by_table.push((finding.table.clone(), vec![(i, condition, described)])),
        }
    }
    for i in 0..review.findings.len() {
        if [M014_UNIQUE_COMPUTED, M018_KEY_BECOMES_CASE_INSENSITIVE]
            .contains(&review.findings[i].code)
        {
            review.findings[i].data =
                collisions(source, live, target, spec, &review.findings[i], sample).await?;
        }
    }
    for (table_name, conditions) in by_table {
        let Some(table) = find_table(live, &table_name) else {
            continue;
        };
        let counts = count_table(source, table, &conditions, sample).await?;
        for ((i, condition, described), rows) in conditions.into_iter().zip(counts) {
            let examples = if rows > 0 {
                examples(source, table, &condition, sample, &review.findings[i]).await?
            } else {
                Vec::new()
            };
            review.findings[i].data = Some(DataCount {
                rows,
                condition: described,
                examples,
            });
        }
    }
    Ok(())
}

/// A finding to count: its index in the review, the condition on the source rows and its
/// description.
type Counted = (usize, String, String);

/// The condition on the source rows that `finding` hits, and its description; `None` when the
/// finding's harm does not depend on values.
fn finding_condition(
    e: Engine,
    live: &Inventory,
    target: Engine,
    spec: &MappingSpec,
    finding: &Finding,
) -> Option<(String, String)> {
    if [M022_MERGE_ORPHANS, M023_MERGE_ALL_NULL].contains(&finding.code) {
        return merge_condition(e, live, spec, finding);
    }
    let (Some(column), Some(table)) = (&finding.column, find_table(live, &finding.table)) else {
        return None;
    };
    let rule = spec.tables.get(&finding.table);
    let (mapping, _) = TableMapping::mapped(e, target, table, None, rule);
    let mapped = mapping.columns.iter().find(|c| &c.name == column)?;
    // A computed column is counted on the value its expression gives, as the backfill reads it.
    let c = mapped.source_sql(e);
    if finding.code == M020_CHARSET_NARROWING {
        let to = super::charset::Repertoire::of_target(target, &mapped.target_type)?;
        return Some((
            to.outside_sql(e, &c)?,
            format!("holding a character {} lacks", to.name()),
        ));
    }
    condition(e, finding.code, &c, &mapped.source, &mapped.target)
}

/// The condition of an M022 finding on the merged table's rows (no partner row: the table it
/// is merged into has no row with its key) or of an M023 finding (every merged column NULL).
/// The merged table's row is named by its bare name, as [`from_clause`] aliases a sample.
fn merge_condition(
    e: Engine,
    live: &Inventory,
    spec: &MappingSpec,
    finding: &Finding,
) -> Option<(String, String)> {
    // The spec names tables as the project's inventory does; `live` may qualify them with
    // the database it was read from.
    let merged = find_table(live, &finding.table)?;
    let into_name = spec.tables.get(&finding.table)?.merged_into.as_ref()?;
    let into = find_table(live, into_name)?;
    let merge = spec
        .tables
        .get(into_name)?
        .merged
        .iter()
        .find(|m| m.table.name.to_string() == finding.table)?;
    let row = quote::ident(e, &merged.name.name);
    if finding.code == M022_MERGE_ORPHANS {
        return Some((
            super::spec::table_merge::orphan_condition(
                e,
                &into.name,
                &into.primary_key,
                merged,
                &row,
            ),
            format!("without a row of {} with their key", into.name),
        ));
    }
    let nulls: Vec<String> = merge
        .carried_columns(merged)
        .map(|c| format!("{row}.{} IS NULL", quote::ident(e, &c.name)))
        .collect();
    (!nulls.is_empty()).then(|| (nulls.join(" AND "), "NULL in every merged column".into()))
}

/// For an M014 finding: the source rows whose computed values collide under the first unique
/// key holding the finding's column (NULLs never collide), and the first keys of such rows.
/// For an M018 finding: the same under the first primary or unique key holding the column,
/// its values compared in lower case (as the target's case-insensitive collation will).
async fn collisions(
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
    let fold_case = finding.code == M018_KEY_BECOMES_CASE_INSENSITIVE;
    let primary = fold_case.then_some(&table.primary_key);
    let Some(key) = primary
        .into_iter()
        .chain(&table.unique_keys)
        .chain(
            table
                .indexes
                .iter()
                .filter(|i| i.unique)
                .map(|i| &i.columns),
        )
        .find(|k| k.contains(column))
    else {
        return Ok(None);
    };
    let (mapping, _) =
        TableMapping::mapped(e, target, table, None, spec.tables.get(&finding.table));
    let exprs: Vec<String> = key
        .iter()
        .map(|k| {
            mapping
                .columns
                .iter()
                .find(|c| &c.name == k)
                .map_or_else(|| quote::ident(e, k), |c| c.source_sql(e))
        })
        .zip(key)
        .map(|(x, k)| {
            if fold_case && k == column {
                format!("LOWER({x})")
            } else {
                x
            }
        })
        .collect();
    let tuple = format!("({})", exprs.join(", "));
    let not_null: Vec<String> = exprs.iter().map(|x| format!("{x} IS NOT NULL")).collect();
    let from = from_clause(e, table, sample);
    let groups = format!(
        "SELECT {} FROM {from} WHERE {} GROUP BY {} HAVING COUNT(*) > 1",
        exprs.join(", "),
        not_null.join(" AND "),
        exprs.join(", ")
    );
    let rows = db
        .fetch_texts(
            &format!(
                "SELECT {} FROM {from} WHERE {tuple} IN ({groups})",
                as_text(e, "COUNT(*)")
            ),
            &[],
            &format!("counting colliding computed values of {}", finding.entry),
        )
        .await?
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next().flatten())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let condition = format!("{tuple} IN ({groups})");
    let examples = if rows > 0 {
        examples(db, table, &condition, sample, finding).await?
    } else {
        Vec::new()
    };
    Ok(Some(DataCount {
        rows,
        condition: if fold_case {
            format!(
                "equal to another row's key but for case ({})",
                key.join(", ")
            )
        } else {
            format!(
                "computing a value another row computes too ({})",
                key.join(", ")
            )
        },
        examples,
    }))
}

/// The rows of `table` meeting each of `conditions`, in one read of the table.
async fn count_table(
    db: &Database,
    table: &Table,
    conditions: &[Counted],
    sample: Option<u64>,
) -> Result<Vec<u64>, DbError> {
    let e = db.engine;
    let sums: Vec<String> = conditions
        .iter()
        .map(|(_, condition, _)| {
            as_text(
                e,
                &format!("COALESCE(SUM(CASE WHEN {condition} THEN 1 ELSE 0 END), 0)"),
            )
        })
        .collect();
    let from = from_clause(e, table, sample);
    let row = db
        .fetch_texts(
            &format!("SELECT {} FROM {from}", sums.join(", ")),
            &[],
            &format!("counting the review's findings on {}", table.name),
        )
        .await?;
    Ok(row
        .into_iter()
        .next()
        .unwrap_or_default()
        .into_iter()
        .map(|v| v.and_then(|v| v.parse().ok()).unwrap_or(0))
        .chain(std::iter::repeat(0))
        .take(conditions.len())
        .collect())
}

/// The first [`EXAMPLES`] keys, in key order, of the rows of `table` meeting `condition`.
async fn examples(
    db: &Database,
    table: &Table,
    condition: &str,
    sample: Option<u64>,
    finding: &Finding,
) -> Result<Vec<String>, DbError> {
    if table.primary_key.is_empty() {
        return Ok(Vec::new());
    }
    let e = db.engine;
    let from = from_clause(e, table, sample);
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
    Ok(found
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
        .collect())
}

/// The table, or its first `sample` rows by key as a derived table.
fn from_clause(e: Engine, table: &Table, sample: Option<u64>) -> String {
    let t = quote::table(e, &table.name);
    match sample {
        // Aliased by the table's bare name, which the merges' conditions and read-in columns
        // name the outer row by.
        Some(n) if !table.primary_key.is_empty() => format!(
            "(SELECT * FROM {t} ORDER BY {} LIMIT {n}) AS {}",
            quote::columns(e, table.primary_key.iter().map(String::as_str)),
            quote::ident(e, &table.name.name)
        ),
        Some(n) => format!(
            "(SELECT * FROM {t} LIMIT {n}) AS {}",
            quote::ident(e, &table.name.name)
        ),
        None => t,
    }
}
