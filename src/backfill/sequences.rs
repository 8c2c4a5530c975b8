//! The target's key sequences set past the copied keys.
//!
//! A copy writes every key explicitly, so a PostgreSQL sequence behind a generated key (an
//! identity column, a `serial`, any `nextval(…)` default owned by the column) still stands at its
//! start when the copy ends: the application's first insert after the cutover would draw a key
//! the copy already wrote and fail on the primary key. Each such sequence is set to the
//! column's maximum, so the next key drawn is one past it (PostgreSQL 15 documentation, 9.17
//! "Sequence Manipulation Functions", `setval`; pgloader does the same after its copy, "reset
//! sequences").
//!
//! MySQL and SQLite need nothing: InnoDB raises a table's AUTO_INCREMENT counter past every key
//! inserted explicitly (MySQL 8.0 reference, 17.6.1.6 "AUTO_INCREMENT Handling in InnoDB"), and
//! SQLite draws a rowid alias from the table's largest rowid.

use serde::{Deserialize, Serialize};

use crate::data::Cell;
use crate::db::{quote, Database, DbError};
use crate::import::Engine;
use crate::inventory::QualifiedName;

/// One sequence set past the largest key of the columns it feeds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SequenceSet {
    /// The columns it feeds, as `"schema"."table".column`.
    pub tables: Vec<String>,
    /// The sequence, schema-qualified as PostgreSQL prints it.
    pub sequence: String,
    /// The key the next insert gets.
    pub next: i64,
}

/// Sets every sequence behind a column of `tables` on `target` to the largest value of the
/// columns it feeds (a sequence of empty tables is left alone); returns what was set. Two round
/// trips whatever the number of tables, as this runs inside the cutover's write freeze.
///
/// # Errors
/// [`DbError::Query`] when the catalog cannot be read or a sequence set.
pub async fn set_past_copied_keys(
    target: &Database,
    tables: &[QualifiedName],
) -> Result<Vec<SequenceSet>, DbError> {
    if target.engine != Engine::Postgres || tables.is_empty() {
        return Ok(Vec::new());
    }
    let names: Vec<String> = tables
        .iter()
        .map(|t| quote::table(Engine::Postgres, t))
        .collect();
    let found = column_sequences(target, &names).await?;
    if found.is_empty() {
        return Ok(Vec::new());
    }
    // One sequence can feed several tables (a partitioned table's partitions, tables sharing
    // a sequence): it is set once, past the largest key of them all. setval is strict: a NULL
    // maximum (every table empty) leaves the sequence as it is.
    let mut by_sequence: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for (table, column, sequence) in found {
        match by_sequence.iter_mut().find(|(s, _)| *s == sequence) {
            Some((_, columns)) => columns.push((table, column)),
            None => by_sequence.push((sequence, vec![(table, column)])),
        }
    }
    let sets: Vec<String> = by_sequence
        .iter()
        .enumerate()
        .map(|(i, (_, columns))| {
            let maxima: Vec<String> = columns
                .iter()
                .map(|(table, column)| {
                    format!(
                        "(SELECT max({}) FROM {table})::int8",
                        quote::ident(Engine::Postgres, column)
                    )
                })
                .collect();
            format!(
                "setval(${}::text::regclass, GREATEST({}))::text",
                i + 1,
                maxima.join(", ")
            )
        })
        .collect();
    let binds: Vec<Cell> = by_sequence
        .iter()
        .map(|(s, _)| Cell::Text(s.clone()))
        .collect();
    let values = target
        .fetch_texts(
            &format!("SELECT {}", sets.join(", ")),
            &binds,
            "setting the key sequences past the copied keys",
        )
        .await?;
    let values = values.into_iter().next().unwrap_or_default();
    Ok(by_sequence
        .into_iter()
        .zip(values)
        .filter_map(|((sequence, columns), value)| {
            let max: i64 = value?.parse().ok()?;
            Some(SequenceSet {
                tables: columns
                    .into_iter()
                    .map(|(table, column)| format!("{table}.{column}"))
                    .collect(),
                sequence,
                next: max + 1,
            })
        })
        .collect())
}

/// The sequence behind each column of `tables` (quoted PostgreSQL names) that has one, as
/// (table, column, sequence) in table then column order: an identity's or a `serial`'s (which
/// `pg_get_serial_sequence` finds), or the sequence a `nextval(…)` default draws from without
/// owning it (older `pg_dump` output such as Pagila's), found through the default's dependency.
///
/// # Errors
/// [`DbError::Query`] when the catalog cannot be read.
pub async fn column_sequences(
    db: &Database,
    tables: &[String],
) -> Result<Vec<(String, String, String)>, DbError> {
    let found = db
        .fetch_texts(
            "SELECT name, column_name, sequence FROM ( \
               SELECT t.n, a.attnum, t.name, a.attname::text AS column_name, \
                 COALESCE(pg_get_serial_sequence(t.name, a.attname), \
                   (SELECT dep.refobjid::regclass::text FROM pg_attrdef d \
                    JOIN pg_depend dep ON dep.classid = 'pg_attrdef'::regclass \
                     AND dep.objid = d.oid AND dep.refclassid = 'pg_class'::regclass \
                    JOIN pg_class s ON s.oid = dep.refobjid AND s.relkind = 'S' \
                    WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum LIMIT 1)) AS sequence \
               FROM unnest(string_to_array($1::text, chr(31))) WITH ORDINALITY AS t(name, n) \
               JOIN pg_attribute a ON a.attrelid = t.name::regclass \
                AND a.attnum > 0 AND NOT a.attisdropped) c \
             WHERE sequence IS NOT NULL ORDER BY n, attnum",
            // Unit separators cannot occur in a quoted name PostgreSQL accepts.
            &[Cell::Text(tables.join("\u{1f}"))],
            "reading the key sequences",
        )
        .await?;
    Ok(found
        .into_iter()
        .filter_map(|row| match row.as_slice() {
            [Some(table), Some(column), Some(sequence)] => {
                Some((table.clone(), column.clone(), sequence.clone()))
            }
            _ => None,
        })
        .collect())
}
