//! A table merge: source tables that are 1:1 on the key written as one target table (the
//! inverse of a [`super::table_split`], e.g. a `customer_profile` folded back into
//! `customer`).
//!
//! ```toml
//! [tables."shop.customer".merge."shop.customer_profile"]
//! reason = "the profile is 1:1 with the customer and read with it everywhere"
//! author = "ana"
//!
//! [tables."shop.customer_profile".columns]        # its own column rules, as for any table
//! note = { target = "profile_note", reason = "customer has a `note` already", author = "ana" }
//! ```
//!
//! The merged table's key columns are matched with the table's key columns by position and
//! are not copied; its other columns are added to the table's target table (after the
//! table's own), nullable, with their own column rules applied. A row of the table without a
//! partner gets NULLs there. The rules the merge states, and where each is counted or caught:
//! - a merged row whose key has no row in the table (an orphan) has nowhere to go: the data
//!   review counts them (M022) and validation fails the merged table with their keys;
//! - on the way back (the rollback drill, the reverse shadow), a target row whose merged
//!   columns are all NULL has no partner: a merged row holding only NULLs that the
//!   application changes after the cutover is not written back (the data review counts
//!   such rows, M023).

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::{error, find_table, names, toml_key, Checker, ColumnRule, MappingError, TableRule};
use crate::data::TableSpec;
use crate::db::quote;
use crate::import::Engine;
use crate::inventory::{QualifiedName, Table};

/// The read plan of `merged`'s orphans on a source of `engine`: its rows, in key order, whose
/// key has no row in `into` ([`orphan_condition`]).
///
/// # Errors
/// [`crate::data::SpecError`] as [`TableSpec::new`] (a merged table always has a key).
pub fn orphan_read(
    engine: Engine,
    into: &QualifiedName,
    into_key: &[String],
    merged: &Table,
) -> Result<TableSpec, crate::data::SpecError> {
    let mut spec = TableSpec::new(engine, merged)?;
    spec.filter = Some(orphan_condition(
        engine,
        into,
        into_key,
        merged,
        &quote::table(engine, &merged.name),
    ));
    Ok(spec)
}

/// SQL of `engine` true for a row of `merged` (named `row` in the query: its quoted table, or
/// the alias it is read under) whose key has no row in `into` (key columns `into_key`, matched
/// with `merged`'s key column for column): an orphan.
pub fn orphan_condition(
    engine: Engine,
    into: &QualifiedName,
    into_key: &[String],
    merged: &Table,
    row: &str,
) -> String {
    let on: Vec<String> = merged
        .primary_key
        .iter()
        .zip(into_key)
        .map(|(m, i)| {
            format!(
                "_ms_partner.{} = {row}.{}",
                quote::ident(engine, i),
                quote::ident(engine, m)
            )
        })
        .collect();
    format!(
        "NOT EXISTS (SELECT 1 FROM {} _ms_partner WHERE {})",
        quote::table(engine, into),
        on.join(" AND ")
    )
}

/// One table merged into another on the key.
#[derive(Debug, Clone, PartialEq)]
pub struct TableMerge {
    /// The merged source table, as inventoried.
    pub table: Table,
    /// Its column rules (from its own `[tables."…".columns]`), by source column name.
    pub columns: BTreeMap<String, ColumnRule>,
    /// Why.
    pub reason: String,
    /// Who decided.
    pub author: String,
    /// 1-based line of the merge's key in the spec.
    pub line: usize,
}

impl TableMerge {
    /// The columns of `table` (the merged table, as inventoried or as a live catalog reads
    /// it) that come along into the target table: all but its key and those its rules drop.
    pub fn carried_columns<'t>(
        &'t self,
        table: &'t Table,
    ) -> impl Iterator<Item = &'t crate::inventory::Column> {
        table.columns.iter().filter(|c| {
            !table.primary_key.contains(&c.name)
                && self.columns.get(&c.name).is_none_or(|r| !r.drop)
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMerge {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    author: String,
}

/// The merges one table's entry asks for, kept until every table's rule is read.
pub(super) struct Pending {
    /// The table merged into, qualified as the inventory prints it.
    pub into: String,
    /// Its entry's field path (`tables."shop.customer"`).
    pub field: String,
    /// The merged tables as written.
    pub raw: BTreeMap<Spanned<String>, RawMerge>,
}

/// Checks every pending merge against the inventory and the rules already read, then records
/// it: on the table merged into ([`TableRule::merged`]) and on the merged table
/// ([`TableRule::merged_into`], a rule made for it when it had none).
///
/// Refused: an unknown table; a table merged into itself, into two tables, or into a table
/// that is itself merged; either side without a primary key, or keys of different lengths; a
/// merged table that its own entry renames, drops, splits or merges into; a merged column
/// whose target name the table's target table already has.
pub(super) fn check_merges(
    check: &Checker<'_>,
    inventory: &crate::inventory::Inventory,
    tables: &mut BTreeMap<String, TableRule>,
    pending: Vec<Pending>,
) -> Result<(), MappingError> {
    let mut merged_into: BTreeMap<String, String> = BTreeMap::new();
    let mut checked: Vec<(String, TableMerge)> = Vec::new();
    for Pending { into, field, raw } in pending {
        let owner = find_table(inventory, &into).expect("checked when its rule was read");
        for (key, merge) in raw {
            let span = key.span();
            let mfield = format!("{field}.merge.{}", toml_key(key.get_ref()));
            check.require_why(&merge.reason, &merge.author, span.clone(), &mfield)?;
            let fail =
                |code, message: String| Err(check.err(code, Some(span.clone()), &mfield, message));
            let Some(table) = find_table(inventory, key.get_ref()) else {
                return fail(
                    error::UNKNOWN_TABLE,
                    format!(
                        "no table `{}` in the inventory; expected a qualified name as `inventory` prints it: {}",
                        key.get_ref(),
                        names(inventory.tables.iter().map(|t| t.name.to_string()))
                    ),
                );
            };
            let name = table.name.to_string();
            if name == into {
                return fail(
                    error::CONFLICT,
                    format!("{into} cannot be merged into itself"),
                );
            }
            for (side, t) in [("the table", owner), ("the merged table", table)] {
                if t.primary_key.is_empty() {
                    return fail(
                        error::CONFLICT,
                        format!(
                            "{side} {} has no primary key: a merge joins the tables 1:1 on it",
                            t.name
                        ),
                    );
                }
            }
            if owner.primary_key.len() != table.primary_key.len() {
                return fail(
                    error::CONFLICT,
                    format!(
                        "the keys differ in length: {into} ({}) and {name} ({}); a merge matches them column by column",
                        owner.primary_key.join(", "),
                        table.primary_key.join(", ")
                    ),
                );
            }
            if let Some(other) = merged_into.insert(name.clone(), into.clone()) {
                return fail(
                    error::CONFLICT,
                    format!("{name} is merged into {other} already"),
                );
            }
            let own = tables.get(&name);
            if own.is_some_and(|r| {
                r.target.is_some() || r.drop || !r.parts.is_empty() || !r.merged.is_empty()
            }) {
                return fail(
                    error::CONFLICT,
                    format!(
                        "{name}'s own entry renames, drops, splits or merges into it; a merged table's entry holds column rules only"
                    ),
                );
            }
            checked.push((
                into.clone(),
                TableMerge {
                    table: table.clone(),
                    columns: own.map(|r| r.columns.clone()).unwrap_or_default(),
                    reason: merge.reason,
                    author: merge.author,
                    line: super::line_at(check.text, span.start),
                },
            ));
        }
    }
    for (into, merge) in checked {
        if let Some(other) = merged_into.get(&into) {
            let line = merge.line;
            return Err(MappingError::Spec {
                code: error::CONFLICT,
                file: check.file.to_owned(),
                line: Some(line),
                field: format!("tables.{}.merge", toml_key(&into)),
                message: format!(
                    "{into} is itself merged into {other}; merge {} into {other} directly",
                    merge.table.name
                ),
            });
        }
        let owner = find_table(inventory, &into).expect("checked above");
        let rule = tables.entry(into.clone()).or_insert_with(|| TableRule {
            line: merge.line,
            ..TableRule::empty()
        });
        let mut taken: Vec<String> = super::target_columns(owner, &rule.columns, &[]);
        for earlier in &rule.merged {
            taken.extend(super::target_columns(
                &earlier.table,
                &earlier.columns,
                &earlier.table.primary_key,
            ));
        }
        for column in super::target_columns(&merge.table, &merge.columns, &merge.table.primary_key)
        {
            if taken.iter().any(|t| t.eq_ignore_ascii_case(&column)) {
                return Err(MappingError::Spec {
                    code: error::CONFLICT,
                    file: check.file.to_owned(),
                    line: Some(merge.line),
                    field: format!("tables.{}.merge", toml_key(&into)),
                    message: format!(
                        "{}'s column `{column}` would land on a column {into}'s target table already has; rename it in [tables.{}.columns] (`target = \"…\"`) or drop it",
                        merge.table.name,
                        toml_key(&merge.table.name.to_string())
                    ),
                });
            }
        }
        let merged_name = merge.table.name.to_string();
        rule.merged.push(merge);
        tables
            .entry(merged_name)
            .or_insert_with(TableRule::empty)
            .merged_into = Some(into);
    }
    Ok(())
}
