//! `rehearse --scale F`: the source copy shrunk to about a fraction F of its rows before the
//! rehearsal starts, with every foreign key still satisfied.
//!
//! Subsetting the way referential-subset tools do (e.g. Tonic's Condenser): tables are sampled
//! children first (latest wave first); each keeps the rows whose integer key falls in the first
//! F of every thousand (`MOD(key, 1000) < F·1000`, spread over the whole key range) or, for
//! other keys, the first F of its rows in key order, **plus every row a kept child still
//! references**, so a parent is never sampled away from under its children. Foreign-key checks
//! are off meanwhile (MySQL `FOREIGN_KEY_CHECKS = 0`, PostgreSQL `session_replication_role =
//! replica`); what a cycle or a self-reference leaves orphaned is then deleted, repeatedly,
//! until no foreign key has an orphan.

use crate::data::Cell;
use crate::db::{self, quote, Access, Database};
use crate::import::Engine;
use crate::inventory::{Inventory, Table};

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

async fn sample_table(
    db: &Database,
    table: &Table,
    children: &[(&Table, &crate::inventory::ForeignKey)],
    fraction: f64,
) -> Result<u64, RehearsalError> {
    let e = db.engine;
    let name = quote::table(e, &table.name);
    let key = &table.primary_key;
    let integer_key = key.len() == 1
        && table.columns.iter().any(|c| {
            c.name == key[0] && {
                let ty = c.data_type.to_ascii_lowercase();
                ty.contains("int") || ty == "serial" || ty == "bigserial"
            }
        });
    let context = format!("sampling {}", table.name);
    let not_sampled = if integer_key {
        let keep = (fraction * 1000.0).round().max(1.0) as i64;
        format!("MOD({}, 1000) >= {keep}", quote::ident(e, &key[0]))
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

async fn delete_orphans(
    db: &Database,
    table: &Table,
    fk: &crate::inventory::ForeignKey,
) -> Result<u64, RehearsalError> {
    let e = db.engine;
    let child = quote::table(e, &table.name);
    let parent = quote::table(e, &fk.references);
    let self_reference = fk.references == table.name;
    let alias = if self_reference {
        "c".to_owned()
    } else {
        child.clone()
    };
    let not_null: Vec<String> = fk
        .columns
        .iter()
        .map(|c| format!("{alias}.{} IS NOT NULL", quote::ident(e, c)))
        .collect();
    let matches: Vec<String> = fk
        .columns
        .iter()
        .zip(&fk.referenced_columns)
        .map(|(c, p)| format!("p.{} = {alias}.{}", quote::ident(e, p), quote::ident(e, c)))
        .collect();
    let orphan = format!(
        "{} AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE {})",
        not_null.join(" AND "),
        matches.join(" AND ")
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
