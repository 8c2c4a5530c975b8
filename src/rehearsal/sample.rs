//! `rehearse --scale F`: the source copy shrunk to about a fraction F of its rows before the
//! rehearsal starts, with every foreign key still satisfied.
//!
//! Subsetting the way referential-subset tools do (e.g. Tonic's Condenser): tables are sampled
//! children first (latest wave first); each keeps the rows whose integer key falls in the first
//! F of every thousand (`MOD(key, 1000) < F·1000`, spread over the whole key range) or, for
//! other keys, those whose key hashes there (SQLite, without a hash function: the first F of
//! its rows in key order), **plus every row a kept child still
//! references**, so a parent is never sampled away from under its children. Foreign-key checks
//! are off meanwhile (MySQL `FOREIGN_KEY_CHECKS = 0`, PostgreSQL `session_replication_role =
//! replica`); what a cycle or a self-reference leaves orphaned is then deleted, repeatedly,
//! until no foreign key has an orphan.
//!
//! A live source is sampled as it is copied, so the copy costs in proportion to the sample:
//! each table's rows are read through the same condition ([`sampled_copy_filter`]), then
//! [`fill_references`] fetches from the live source the rows the kept ones reference, and the
//! sampling above finds nothing more to delete.

use std::collections::HashMap;

use crate::backfill::{BackfillPlan, PlannedTable};
use crate::data::read::read_fragment;
use crate::data::{Cell, TableSpec};
use crate::db::{self, quote, Access, Database};
use crate::import::Engine;
use crate::inventory::{ForeignKey, Inventory, QualifiedName, Table};

use super::RehearsalError;

/// Passes over the foreign keys before giving up on reaching a fixed point.
const MAX_PASSES: usize = 64;

/// Shrinks the scratch source at `url` to about `fraction` (0 < fraction ≤ 1) of its rows.
/// Returns the rows deleted.
///
/// # Errors
/// [`RehearsalError::Db`]; [`RehearsalError::Drill`] when `fraction` is out of range.
pub(super) async fn shrink(
    url: &str,
    inventory: &Inventory,
    fraction: f64,
) -> Result<u64, RehearsalError> {
    if !(fraction > 0.0 && fraction <= 1.0) {
        return Err(RehearsalError::Drill(format!(
            "--scale {fraction}: expected a fraction in (0, 1]"
        )));
    }
    if fraction >= 1.0 {
        return Ok(0);
    }
    // One connection: the session settings below hold for it only.
    let db = db::connect(url, Access::ReadWrite, 1).await?;
    let result = shrink_on(&db, inventory, fraction).await;
    db.close().await;
    result
}

async fn shrink_on(
    db: &Database,
    inventory: &Inventory,
    fraction: f64,
) -> Result<u64, RehearsalError> {
    let e = db.engine;
    match e {
        Engine::Mysql => {
            db.execute("SET FOREIGN_KEY_CHECKS = 0", &[], "sampling the source")
                .await?
        }
        Engine::Postgres => {
            db.execute(
                "SET session_replication_role = replica",
                &[],
                "sampling the source",
            )
            .await?
        }
        Engine::Sqlite => {
            db.execute("PRAGMA foreign_keys = OFF", &[], "sampling the source")
                .await?
        }
    };
    let waves = crate::graph::DependencyGraph::from_inventory(inventory).order();
    let wave_of = waves.wave_of();
    let mut tables: Vec<&Table> = inventory
        .tables
        .iter()
        .filter(|t| {
            !t.primary_key.is_empty()
                && !t.name.name.starts_with("_migration_studio")
                && t.partitioning
                    .as_ref()
                    .is_none_or(|p| p.partitions.is_empty())
        })
        .collect();
    let wave = |t: &Table| {
        wave_of
            .get(format!("table:{}", t.name).as_str())
            .copied()
            .unwrap_or(0)
    };
    tables.sort_by_key(|t| std::cmp::Reverse(wave(t)));
    let mut deleted = 0;
    for table in &tables {
        let children: Vec<(&Table, &crate::inventory::ForeignKey)> = inventory
            .tables
            .iter()
            .flat_map(|c| c.foreign_keys.iter().map(move |fk| (c, fk)))
            .filter(|(c, fk)| fk.references == table.name && c.name != table.name)
            .collect();
        deleted += sample_table(db, table, &children, fraction).await?;
    }
    for _ in 0..MAX_PASSES {
        let mut pass = 0;
        for table in &inventory.tables {
            for fk in &table.foreign_keys {
                pass += delete_orphans(db, table, fk).await?;
            }
        }
        deleted += pass;
        if pass == 0 {
            break;
        }
    }
    match e {
        Engine::Mysql => {
            db.execute("SET FOREIGN_KEY_CHECKS = 1", &[], "sampling the source")
                .await?
        }
        Engine::Postgres => {
            db.execute(
                "SET session_replication_role = origin",
                &[],
                "sampling the source",
            )
            .await?
        }
        Engine::Sqlite => {
            db.execute("PRAGMA foreign_keys = ON", &[], "sampling the source")
                .await?
        }
    };
    Ok(deleted)
}

/// Per mille of rows a sample of `fraction` keeps (at least one).
fn per_mille(fraction: f64) -> i64 {
    (fraction * 1000.0).round().max(1.0) as i64
}

/// The condition (SQL over unqualified column names) a row of `table` meets when a sample of
/// `fraction` keeps it for itself, or `None` when the engine has no such condition and the
/// table is sampled by key order instead. An integer key keeps `MOD(key, 1000) < F·1000`,
/// spread over the whole key range; other keys keep the rows whose key hashes there (MySQL
/// `CRC32`, PostgreSQL `hashtext` of the key's parts joined). The same condition filters a live
/// source's copy ([`sampled_copy_filter`]) and the sampling of a loaded one, so a table copied
/// sampled loses nothing more when sampled again.
fn kept_condition(engine: Engine, table: &Table, fraction: f64) -> Option<String> {
    let key = &table.primary_key;
    if key.is_empty() {
        return None;
    }
    let keep = per_mille(fraction);
    let integer_key = key.len() == 1
        && table.columns.iter().any(|c| {
            c.name == key[0] && {
                let ty = c.data_type.to_ascii_lowercase();
                ty.contains("int") || ty == "serial" || ty == "bigserial"
            }
        });
    let parts = || key.iter().map(|k| quote::ident(engine, k));
    match engine {
        _ if integer_key => Some(format!(
            "MOD({}, 1000) < {keep}",
            quote::ident(engine, &key[0])
        )),
        Engine::Mysql => Some(format!(
            "MOD(CRC32(CONCAT_WS(',', {})), 1000) < {keep}",
            parts().collect::<Vec<_>>().join(", ")
        )),
        Engine::Postgres => Some(format!(
            "MOD(ABS(hashtext(CONCAT_WS(',', {}))::int8), 1000) < {keep}",
            parts()
                .map(|p| format!("{p}::text"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Engine::Sqlite => None,
    }
}

/// The read filter of `table` in a copy of a live source sampled to `fraction`: the rows
/// [`kept_condition`] keeps, `None` for every row (`fraction` ≥ 1, no key, no condition).
/// The rows the kept ones reference are then added by [`fill_references`].
pub(super) fn sampled_copy_filter(engine: Engine, table: &Table, fraction: f64) -> Option<String> {
    (fraction < 1.0)
        .then(|| kept_condition(engine, table, fraction))
        .flatten()
}

async fn sample_table(
    db: &Database,
    table: &Table,
    children: &[(&Table, &crate::inventory::ForeignKey)],
    fraction: f64,
) -> Result<u64, RehearsalError> {
    let e = db.engine;
    let name = quote::table(e, &table.name);
    let key = &table.primary_key;
    let context = format!("sampling {}", table.name);
    let not_sampled = if let Some(kept) = kept_condition(e, table, fraction) {
        format!("NOT ({kept})")
    } else {
        let total = db.count_rows(&table.name).await? as i64;
        let keep = ((total as f64) * fraction).ceil() as i64;
        if keep >= total {
            return Ok(0);
        }
        let cols = quote::columns(e, key.iter().map(String::as_str));
        // The first `keep` keys in key order; MySQL cannot read the table it deletes from,
        // hence the derived table.
        format!(
            "({cols}) NOT IN (SELECT * FROM (SELECT {cols} FROM {name} ORDER BY {cols} LIMIT {keep}) AS kept)"
        )
    };
    let referenced: Vec<String> = children
        .iter()
        .map(|(child, fk)| {
            let matches: Vec<String> = fk
                .columns
                .iter()
                .zip(&fk.referenced_columns)
                .map(|(c, p)| format!("ch.{} = {name}.{}", quote::ident(e, c), quote::ident(e, p)))
                .collect();
            format!(
                " AND NOT EXISTS (SELECT 1 FROM {} ch WHERE {})",
                quote::table(e, &child.name),
                matches.join(" AND ")
            )
        })
        .collect();
    let sql = format!(
        "DELETE FROM {name} WHERE {not_sampled}{}",
        referenced.concat()
    );
    Ok(db.execute(&sql, &[], &context).await?)
}

/// The condition a child row (named `child` in the query: its table or an alias) meets when
/// its foreign key (`columns`, all set) names no row of `parent` (`referenced`, aliased `p`).
fn orphan_condition(
    e: Engine,
    child: &str,
    parent: &QualifiedName,
    columns: &[String],
    referenced: &[String],
) -> String {
    let not_null: Vec<String> = columns
        .iter()
        .map(|c| format!("{child}.{} IS NOT NULL", quote::ident(e, c)))
        .collect();
    let matches: Vec<String> = columns
        .iter()
        .zip(referenced)
        .map(|(c, p)| format!("p.{} = {child}.{}", quote::ident(e, p), quote::ident(e, c)))
        .collect();
    format!(
        "{} AND NOT EXISTS (SELECT 1 FROM {} p WHERE {})",
        not_null.join(" AND "),
        quote::table(e, parent),
        matches.join(" AND ")
    )
}

async fn delete_orphans(
    db: &Database,
    table: &Table,
    fk: &crate::inventory::ForeignKey,
) -> Result<u64, RehearsalError> {
    let e = db.engine;
    let child = quote::table(e, &table.name);
    let self_reference = fk.references == table.name;
    let alias = if self_reference {
        "c".to_owned()
    } else {
        child.clone()
    };
    let orphan = orphan_condition(
        e,
        &alias,
        &fk.references,
        &fk.columns,
        &fk.referenced_columns,
    );
    let sql = if self_reference {
        if table.primary_key.is_empty() {
            return Ok(0);
        }
        // MySQL cannot read the table it deletes from: the orphans' keys go through a derived
        // table.
        let keys = quote::columns(e, table.primary_key.iter().map(String::as_str));
        let ckeys: Vec<String> = table
            .primary_key
            .iter()
            .map(|k| format!("c.{}", quote::ident(e, k)))
            .collect();
        format!(
            "DELETE FROM {child} WHERE ({keys}) IN (SELECT * FROM (SELECT {} FROM {child} c WHERE {orphan}) AS orphans)",
            ckeys.join(", ")
        )
    } else {
        format!("DELETE FROM {child} WHERE {orphan}")
    };
    let binds: [Cell; 0] = [];
    Ok(db
        .execute(&sql, &binds, &format!("deleting orphans of {}", table.name))
        .await?)
}

/// Missing referenced values read, and rows fetched, per round trip of [`fill_references`].
const FILL_BATCH: usize = 1_000;

/// Completes a sampled copy of a live source (`scratch`, copied from `live` by `plan` with
/// [`sampled_copy_filter`]s): every value a copied row references through a foreign key of
/// `inventory` and that the copy lacks is fetched from `live` and inserted, children's
/// references first (latest wave first), passes repeated until one adds nothing (a reference
/// to a fetched row, a self-reference, a cycle). Run before the copy's foreign keys are
/// created. Returns the rows added.
///
/// # Errors
/// [`RehearsalError::Db`].
pub(super) async fn fill_references(
    live: &Database,
    scratch: &Database,
    plan: &BackfillPlan,
    inventory: &Inventory,
) -> Result<u64, RehearsalError> {
    let planned: HashMap<String, &PlannedTable> = plan
        .tables
        .iter()
        .map(|t| (t.mapping.source.to_string(), t))
        .collect();
    let mut links: Vec<(&PlannedTable, &ForeignKey, &PlannedTable)> = inventory
        .tables
        .iter()
        .flat_map(|t| t.foreign_keys.iter().map(move |fk| (t, fk)))
        .filter_map(|(t, fk)| {
            let child = planned.get(&t.name.to_string())?;
            let parent = planned.get(&fk.references.to_string())?;
            (!parent.source.is_keyless() || !fk.referenced_columns.is_empty())
                .then_some((*child, fk, *parent))
        })
        .collect();
    links.sort_by_key(|(child, _, _)| std::cmp::Reverse(child.wave));
    let mut added = 0;
    for _ in 0..MAX_PASSES {
        let mut pass = 0;
        for &(child, fk, parent) in &links {
            pass += fill_link(live, scratch, child, fk, parent).await?;
        }
        added += pass;
        if pass == 0 {
            break;
        }
    }
    Ok(added)
}

/// The columns of `spec` named `names`, in that order, as a spec keyed on all of them.
fn narrowed(spec: &TableSpec, names: &[String]) -> Option<TableSpec> {
    let mut out = spec.clone();
    out.columns = names
        .iter()
        .map(|n| spec.columns.iter().find(|c| &c.name == n).cloned())
        .collect::<Option<_>>()?;
    out.key = (0..names.len()).collect();
    out.filter = None;
    Some(out)
}

/// One pass of [`fill_references`] over one foreign key. Returns the rows added.
async fn fill_link(
    live: &Database,
    scratch: &Database,
    child: &PlannedTable,
    fk: &ForeignKey,
    parent: &PlannedTable,
) -> Result<u64, RehearsalError> {
    let e = scratch.engine;
    let referenced: Vec<String> = if fk.referenced_columns.is_empty() {
        parent
            .source
            .key_columns()
            .into_iter()
            .map(|k| k.name)
            .collect()
    } else {
        fk.referenced_columns.clone()
    };
    // Whole parent rows, looked up by the referenced columns.
    let mut lookup = parent.source.clone();
    lookup.filter = None;
    let (Some(mut missing), Some(key)) = (
        narrowed(&child.target, &fk.columns),
        referenced
            .iter()
            .map(|r| lookup.columns.iter().position(|c| &c.name == r))
            .collect::<Option<Vec<usize>>>(),
    ) else {
        return Ok(0);
    };
    lookup.key = key;
    missing.filter = Some(orphan_condition(
        e,
        &quote::table(e, &child.target.name),
        &parent.target.name,
        &fk.columns,
        &referenced,
    ));
    let insert = insert_sql(&parent.target);
    let mut added = 0;
    let mut after: Option<Vec<Cell>> = None;
    loop {
        let fragment = missing.select(after.as_deref(), None, Some(FILL_BATCH));
        let values = read_fragment(scratch, &missing, &fragment).await?;
        let Some(last) = values.last() else {
            break;
        };
        after = Some(last.clone());
        // In key order: equal values are neighbours.
        let mut distinct = values;
        distinct.dedup();
        let rows = read_fragment(live, &lookup, &lookup.select_keys(&distinct)).await?;
        let statements: Vec<(String, Vec<Cell>)> =
            rows.into_iter().map(|row| (insert.clone(), row)).collect();
        added += statements.len() as u64;
        scratch
            .execute_in_transaction(
                &statements,
                &format!("copying rows {} references", child.mapping.source),
            )
            .await?;
    }
    Ok(added)
}

/// `INSERT INTO` the table of `spec`, one row, every column bound in order (PostgreSQL casts
/// each parameter to the column's declared type, as values may arrive as text).
fn insert_sql(spec: &TableSpec) -> String {
    let e = spec.engine;
    let cols = quote::columns(e, spec.columns.iter().map(|c| c.name.as_str()));
    let params: Vec<String> = spec
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| match e {
            Engine::Postgres => format!("CAST(${} AS {})", i + 1, c.declared),
            _ => "?".to_owned(),
        })
        .collect();
    format!(
        "INSERT INTO {} ({cols}) VALUES ({})",
        quote::table(e, &spec.name),
        params.join(", ")
    )
}
