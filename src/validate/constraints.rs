//! Constraint checks in the target: counting the rows that violate NOT NULL, UNIQUE, CHECK and
//! foreign keys, whether or not the target enforces them.
//!
//! A constraint the target engine enforces cannot be violated, so re-checking it would only
//! cost a scan: NOT NULL and UNIQUE declared by the target are trusted, and so are PostgreSQL
//! CHECKs that are validated. What can hold violations is checked: foreign keys (a backfill may
//! load with FK checks off: `session_replication_role = replica`, `FOREIGN_KEY_CHECKS = 0`,
//! SQLite without `PRAGMA foreign_keys`), PostgreSQL CHECKs added `NOT VALID`, MariaDB CHECKs
//! (`check_constraint_checks = 0` disables them), and every constraint the *source* declares
//! that the target does not (a dropped NOT NULL or primary key lets anything in). Orphans are
//! counted with `LEFT JOIN parent … WHERE parent key IS NULL` over non-NULL child keys (MATCH
//! SIMPLE, the SQL default). A PostgreSQL generated key's sequence is checked to stand past
//! every key in the table ([`ConstraintKind::GeneratedKey`]).

use sqlx::Row;

use super::pair::TablePair;
use super::report::{ConstraintCheck, ConstraintKind, DeclaredIn};
use crate::data::read::bind_all;
use crate::data::Cell;
use crate::db::{quote, Database, DbError, Pool};
use crate::import::Engine;
use crate::inventory::{Inventory, QualifiedName, Table};

/// Runs `sql` and returns the first row's columns as integers.
async fn integers(
    db: &Database,
    sql: &str,
    binds: &[Cell],
    context: &str,
) -> Result<Vec<i64>, DbError> {
    let err = |e| db.query_error(context.to_owned(), e);
    macro_rules! run {
        ($pool:expr) => {{
            let row = bind_all!(sqlx::query(sql), binds)
                .fetch_one($pool)
                .await
                .map_err(err)?;
            (0..row.len())
                .map(|i| {
                    row.try_get::<Option<i64>, _>(i)
                        .map(Option::unwrap_or_default)
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(err)?
        }};
    }
    Ok(match &db.pool {
        Pool::Postgres(p) => run!(p),
        Pool::Mysql(p) => run!(p),
        Pool::Sqlite(p) => run!(p),
    })
}

fn names_eq(a: &[String], b: &[String]) -> bool {
    a.len() == b.len()
        && a.iter()
            .all(|x| b.iter().any(|y| y.eq_ignore_ascii_case(x)))
}

/// A foreign key to check, in target names.
struct Fk {
    columns: Vec<String>,
    parent: QualifiedName,
    parent_columns: Vec<String>,
    declared_in: DeclaredIn,
}

fn target_fks(pair: &TablePair, target_inventory: &Inventory) -> Vec<Fk> {
    let t = &pair.target_table;
    let resolve_parent = |name: &QualifiedName| -> Option<&Table> {
        target_inventory.table(name).or_else(|| {
            target_inventory
                .tables
                .iter()
                .find(|p| p.name.name.eq_ignore_ascii_case(&name.name))
        })
    };
    let mut out: Vec<Fk> = Vec::new();
    let mut add =
        |columns: Vec<String>, parent: &Table, referenced: &[String], from: DeclaredIn| {
            let parent_columns: Vec<String> = if referenced.is_empty() {
                parent.primary_key.clone()
            } else {
                referenced
                    .iter()
                    .filter_map(|c| parent.column(c).map(|c| c.name.clone()))
                    .collect()
            };
            if parent_columns.len() != columns.len() || columns.is_empty() {
                return;
            }
            if let Some(existing) = out.iter_mut().find(|f| {
                names_eq(&f.columns, &columns)
                    && f.parent.name.eq_ignore_ascii_case(&parent.name.name)
            }) {
                if existing.declared_in != from {
                    existing.declared_in = DeclaredIn::Both;
                }
                return;
            }
            out.push(Fk {
                columns,
                parent: parent.name.clone(),
                parent_columns,
                declared_in: from,
            });
        };
    for fk in &t.foreign_keys {
        if let Some(parent) = resolve_parent(&fk.references) {
            add(
                fk.columns.clone(),
                parent,
                &fk.referenced_columns,
                DeclaredIn::Target,
            );
        }
    }
    for fk in &pair.source_table.foreign_keys {
        let columns: Option<Vec<String>> = fk
            .columns
            .iter()
            .map(|c| t.column(c).map(|c| c.name.clone()))
            .collect();
        if let (Some(columns), Some(parent)) = (columns, resolve_parent(&fk.references)) {
            add(columns, parent, &fk.referenced_columns, DeclaredIn::Source);
        }
    }
    out
}

/// Checks the target table of `pair`; `notes` receives what was trusted rather than checked.
///
/// # Errors
/// [`DbError::Query`].
pub async fn check(
    target: &Database,
    pair: &TablePair,
    target_inventory: &Inventory,
    notes: &mut Vec<String>,
) -> Result<Vec<ConstraintCheck>, DbError> {
    let e = target.engine;
    let t = &pair.target_table;
    let table = quote::table(e, &t.name);
    let mut checks = Vec::new();

    // NOT NULL and UNIQUE declared only by the source: the target does not enforce them.
    let not_null: Vec<&str> = pair
        .source_table
        .columns
        .iter()
        .filter(|c| !c.nullable)
        .filter_map(|c| t.column(&c.name))
        .filter(|c| c.nullable)
        .map(|c| c.name.as_str())
        .collect();
    if !not_null.is_empty() {
        let exprs: Vec<String> = not_null
            .iter()
            .map(|c| format!("count(*) - count({})", quote::ident(e, c)))
            .collect();
        let sql = format!("SELECT {} FROM {table}", exprs.join(", "));
        let counts = integers(target, &sql, &[], &format!("counting NULLs in {}", t.name)).await?;
        for (c, n) in not_null.iter().zip(counts) {
            checks.push(ConstraintCheck {
                kind: ConstraintKind::NotNull,
                name: (*c).to_owned(),
                declared_in: DeclaredIn::Source,
                violations: n.max(0) as u64,
            });
        }
    }
    let target_keys: Vec<&Vec<String>> = std::iter::once(&t.primary_key)
        .chain(&t.unique_keys)
        .filter(|k| !k.is_empty())
        .collect();
    let source_keys = std::iter::once(&pair.source_table.primary_key)
        .chain(&pair.source_table.unique_keys)
        .filter(|k| !k.is_empty());
    for key in source_keys {
        let Some(columns) = key
            .iter()
            .map(|c| t.column(c).map(|c| c.name.clone()))
            .collect::<Option<Vec<String>>>()
        else {
            continue;
        };
        if target_keys.iter().any(|k| names_eq(k, &columns)) {
            continue;
        }
        let cols = quote::columns(e, columns.iter().map(String::as_str));
        let not_null: Vec<String> = columns
            .iter()
            .map(|c| format!("{} IS NOT NULL", quote::ident(e, c)))
            .collect();
        let sql = format!(
            "SELECT count(*) FROM (SELECT 1 AS one FROM {table} WHERE {} GROUP BY {cols} HAVING count(*) > 1) d",
            not_null.join(" AND ")
        );
        let n = integers(
            target,
            &sql,
            &[],
            &format!("counting repeated keys in {}", t.name),
        )
        .await?;
        checks.push(ConstraintCheck {
            kind: ConstraintKind::Unique,
            name: format!("({})", columns.join(", ")),
            declared_in: DeclaredIn::Source,
            violations: n.first().copied().unwrap_or(0).max(0) as u64,
        });
    }

    for fk in target_fks(pair, target_inventory) {
        let parent = quote::table(e, &fk.parent);
        let on: Vec<String> = fk
            .columns
            .iter()
            .zip(&fk.parent_columns)
            .map(|(c, p)| format!("p.{} = c.{}", quote::ident(e, p), quote::ident(e, c)))
            .collect();
        let present: Vec<String> = fk
            .columns
            .iter()
            .map(|c| format!("c.{} IS NOT NULL", quote::ident(e, c)))
            .collect();
        let sql = format!(
            "SELECT count(*) FROM {table} c LEFT JOIN {parent} p ON {} WHERE {} AND p.{} IS NULL",
            on.join(" AND "),
            present.join(" AND "),
            quote::ident(e, &fk.parent_columns[0])
        );
        let n = integers(
            target,
            &sql,
            &[],
            &format!("counting orphans of {}", t.name),
        )
        .await?;
        checks.push(ConstraintCheck {
            kind: ConstraintKind::ForeignKey,
            name: format!("({}) → {}", fk.columns.join(", "), fk.parent),
            declared_in: fk.declared_in,
            violations: n.first().copied().unwrap_or(0).max(0) as u64,
        });
    }

    for (name, expression) in check_expressions(target, &t.name, notes).await? {
        // The expression is the target catalog's own text of its constraint, not user input.
        let sql = format!("SELECT count(*) FROM {table} WHERE NOT ({expression})");
        let n = integers(
            target,
            &sql,
            &[],
            &format!("re-checking {name} on {}", t.name),
        )
        .await?;
        checks.push(ConstraintCheck {
            kind: ConstraintKind::Check,
            name,
            declared_in: DeclaredIn::Target,
            violations: n.first().copied().unwrap_or(0).max(0) as u64,
        });
    }

    checks.extend(generated_keys(target, pair).await?);
    Ok(checks)
}

/// The generated-key checks of the target table of `pair` alone ([`ConstraintKind::GeneratedKey`]):
/// one per PostgreSQL sequence-backed column, its violations the rows at or past the sequence's
/// next value. Empty on other engines, whose generators follow explicit keys (InnoDB's counter,
/// SQLite's rowid). Cheap (a catalog query and one count per sequence), so a final validation
/// runs it again on every table once the sequences are set, whatever changed.
///
/// # Errors
/// [`DbError::Query`].
pub async fn generated_keys(
    target: &Database,
    pair: &TablePair,
) -> Result<Vec<ConstraintCheck>, DbError> {
    let e = target.engine;
    let mut checks = Vec::new();
    if e != Engine::Postgres {
        return Ok(checks);
    }
    let table = quote::table(e, &pair.target_table.name);
    // A copy writes keys explicitly and a PostgreSQL sequence does not follow them: one left
    // behind hands out keys that exist.
    let sequences =
        crate::backfill::sequences::column_sequences(target, std::slice::from_ref(&table)).await?;
    for (_, column, sequence) in sequences {
        // The sequence's name is the catalog's own quoted text, not user input.
        let sql = format!(
            "SELECT count(*) FROM {table} c, \
             (SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END AS next FROM {sequence}) s \
             WHERE c.{} >= s.next",
            quote::ident(e, &column)
        );
        let n = integers(
            target,
            &sql,
            &[],
            &format!("counting keys ahead of {sequence}"),
        )
        .await?;
        checks.push(ConstraintCheck {
            kind: ConstraintKind::GeneratedKey,
            name: format!("{column} (sequence {sequence})"),
            declared_in: DeclaredIn::Target,
            violations: n.first().copied().unwrap_or(0).max(0) as u64,
        });
    }
    Ok(checks)
}

/// CHECK constraints of `table` that may hold violations, as (name, boolean expression).
async fn check_expressions(
    db: &Database,
    table: &QualifiedName,
    notes: &mut Vec<String>,
) -> Result<Vec<(String, String)>, DbError> {
    let err = |e| db.query_error(format!("reading CHECK constraints of {table}"), e);
    match &db.pool {
        Pool::Postgres(p) => {
            let rows = sqlx::query(
                "SELECT conname::text, pg_get_constraintdef(oid), convalidated \
                 FROM pg_catalog.pg_constraint WHERE conrelid = $1::text::regclass AND contype = 'c' \
                 ORDER BY conname",
            )
            .bind(quote::table(Engine::Postgres, table))
            .fetch_all(p)
            .await
            .map_err(err)?;
            let mut out = Vec::new();
            for r in rows {
                let name: String = r.try_get(0).map_err(err)?;
                let def: String = r.try_get(1).map_err(err)?;
                let validated: bool = r.try_get(2).map_err(err)?;
                if validated {
                    continue;
                }
                let expr = def
                    .trim()
                    .trim_end_matches(" NOT VALID")
                    .trim_start_matches("CHECK ")
                    .to_owned();
                out.push((name, expr));
            }
            Ok(out)
        }
        Pool::Mysql(p) => {
            let rows = sqlx::query(
                "SELECT CAST(CONSTRAINT_NAME AS CHAR), CAST(CHECK_CLAUSE AS CHAR) \
                 FROM information_schema.CHECK_CONSTRAINTS \
                 WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ? ORDER BY 1",
            )
            .bind(table.schema.clone().unwrap_or_default())
            .bind(&table.name)
            .fetch_all(p)
            .await;
            match rows {
                Ok(rows) => rows
                    .iter()
                    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                    .collect::<Result<_, sqlx::Error>>()
                    .map_err(err),
                Err(_) => {
                    // MySQL 8 has no TABLE_NAME there; MariaDB does.
                    notes.push("CHECK constraints not re-checked: this server's information_schema.CHECK_CONSTRAINTS does not name tables".to_owned());
                    Ok(Vec::new())
                }
            }
        }
        Pool::Sqlite(_) => Ok(Vec::new()),
    }
}
