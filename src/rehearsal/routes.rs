//! Capture routes: which tables' changes are captured on one side and written to which table
//! on the other, forward (source → target, the catch-up) and reverse (target → source, the
//! rollback drill and the reverse shadow).

use super::capture::{AlsoFrom, Route};
use crate::backfill::BackfillPlan;
use crate::backfill::PlannedTable;
use crate::data::keyset::KeyColumn;
use crate::data::{ColumnSpec, Logical};
use crate::db::quote;

/// Capture routes of the planned tables that have a key: a change to a row of a table without
/// one cannot name the row it changed, so such tables are copied whole and left to the final
/// validation's multiset comparison, which finds any change made to them after their copy.
///
/// Forward, each table of a split is a route of its own from the one source table, and a
/// table with tables merged into it is one route whose row reads their columns in by key,
/// which a change to any of them re-reads. Reverse, a split goes back as one route: its main
/// table's row with the other tables' columns read in by key, so the source row is written
/// whole (a source table refuses a row that lacks a NOT NULL column without a default, even
/// one the write would then update), and a change to any table of the split re-reads it; a
/// merge goes back as one route per table (the table's own columns, then each merged table's,
/// in that order so its rows are written after their partners and deleted before them).
pub fn routes(plan: &BackfillPlan, reverse: bool) -> Vec<Route> {
    let keyed = plan.tables.iter().filter(|t| !t.source.is_keyless());
    if !reverse {
        return keyed.map(forward).collect();
    }
    keyed
        .filter(|t| t.mapping.split_from.is_none())
        .flat_map(|t| {
            let parts: Vec<&PlannedTable> = plan
                .tables
                .iter()
                .filter(|p| {
                    p.mapping.source == t.mapping.source
                        && p.mapping.split_from.as_ref() == Some(&t.mapping.target)
                })
                .collect();
            std::iter::once(backward(t, &parts))
                .chain((0..t.mapping.merged.len()).filter_map(|m| partner_back(t, m)))
        })
        .collect()
}

fn forward(t: &PlannedTable) -> Route {
    Route {
        from: t.source.clone(),
        to_table: t.mapping.target.clone(),
        to_columns: t
            .target
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.declared.clone(), c.logical.clone()))
            .collect(),
        to_key: t.target.key_columns(),
        also_from: t
            .mapping
            .merged
            .iter()
            .map(|m| AlsoFrom {
                table: m.name.clone(),
                key: key_of(m),
            })
            .collect(),
        partner: false,
    }
}

/// Indexes of `t`'s columns a rollback writes back to `t`'s source table: a new column, a
/// merge or a column split's part (the spec's) has no source column to write back to, a
/// merged table's column goes back to that table ([`partner_back`]); the stored ones and
/// those computed in place go back.
fn written_back(t: &PlannedTable) -> Vec<usize> {
    (0..t.source.columns.len())
        .filter(|&i| t.mapping.columns[i].writes_back && t.mapping.columns[i].merged_from.is_none())
        .collect()
}

/// The route writing merged table `merged` (an index into `t`'s [`crate::mapping::TableMapping::merged`])
/// back from `t`'s target table: the target's key and the merged columns that go back, to the
/// merged table's key and columns. A target row whose merged columns are all NULL has no row
/// there ([`Route::partner`]). `None` when no column of it goes back.
fn partner_back(t: &PlannedTable, merged: usize) -> Option<Route> {
    let table = &t.mapping.merged[merged];
    let engine = t.source.engine;
    let back: Vec<usize> = (0..t.mapping.columns.len())
        .filter(|&i| {
            let c = &t.mapping.columns[i];
            c.writes_back && c.merged_from.is_some_and(|m| m.table == merged)
        })
        .collect();
    if back.is_empty() {
        return None;
    }
    let mut from = t.target.clone();
    from.columns = t
        .target
        .key
        .iter()
        .chain(&back)
        .map(|&i| t.target.columns[i].clone())
        .collect();
    from.key = (0..t.target.key.len()).collect();
    let column = |name: &str| {
        let c = table
            .column(name)
            .expect("a merged column is one of its table's");
        (
            c.name.clone(),
            c.data_type.clone(),
            Logical::of(engine, &c.data_type),
        )
    };
    let to_columns = table
        .primary_key
        .iter()
        .map(|k| column(k))
        .chain(back.iter().map(|&i| column(&t.mapping.columns[i].origin)))
        .collect();
    Some(Route {
        from,
        to_table: table.name.clone(),
        to_columns,
        to_key: key_of(table),
        also_from: Vec::new(),
        partner: true,
    })
}

fn backward(t: &PlannedTable, parts: &[&PlannedTable]) -> Route {
    let stored = written_back(t);
    let mut from = t.target.clone();
    from.columns = stored
        .iter()
        .map(|&i| t.target.columns[i].clone())
        .collect();
    from.key = t
        .target
        .key
        .iter()
        .map(|k| stored.iter().position(|i| i == k).expect("keys are stored"))
        .collect();
    let mut to_columns: Vec<(String, String, crate::data::Logical)> = stored
        .iter()
        .map(|&i| {
            let c = &t.source.columns[i];
            (c.name.clone(), c.declared.clone(), c.logical.clone())
        })
        .collect();
    for part in parts {
        for i in written_back(part) {
            if part.target.key.contains(&i) {
                continue;
            }
            from.columns.push(ColumnSpec {
                expr: Some(read_in(t, part, &part.target.columns[i].name)),
                ..part.target.columns[i].clone()
            });
            let c = &part.source.columns[i];
            to_columns.push((c.name.clone(), c.declared.clone(), c.logical.clone()));
        }
    }
    Route {
        from,
        to_table: t.mapping.source.clone(),
        to_columns,
        to_key: t.source.key_columns(),
        also_from: parts
            .iter()
            .map(|p| AlsoFrom {
                table: p.mapping.target.clone(),
                key: p.target.key_columns(),
            })
            .collect(),
        partner: false,
    }
}

/// SQL reading `column` of `part`'s row with the key of the main table `main`'s row being
/// read (the key columns have the same names in every table of a split).
fn read_in(main: &PlannedTable, part: &PlannedTable, column: &str) -> String {
    let e = part.target.engine;
    let outer = quote::table(e, &main.mapping.target);
    let on: Vec<String> = part
        .target
        .key_columns()
        .iter()
        .map(|k| {
            let k = quote::ident(e, &k.name);
            format!("_ms_part.{k} = {outer}.{k}")
        })
        .collect();
    format!(
        "SELECT _ms_part.{} FROM {} _ms_part WHERE {}",
        quote::ident(e, column),
        quote::table(e, &part.mapping.target),
        on.join(" AND ")
    )
}

/// The key columns of a source table as inventoried.
fn key_of(table: &crate::inventory::Table) -> Vec<KeyColumn> {
    table
        .primary_key
        .iter()
        .map(|k| KeyColumn {
            name: k.clone(),
            declared: table
                .column(k)
                .map(|c| c.data_type.clone())
                .unwrap_or_default(),
        })
        .collect()
}
