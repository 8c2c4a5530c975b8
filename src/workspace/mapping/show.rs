//! `mapping show`: the spec as a table, one row per source column, with what it becomes and
//! the rule's reason and author (the default mapping's own for columns the spec does not name).

use serde::Serialize;

use super::load_required;
use crate::data::Logical;
use crate::inventory::Inventory;
use crate::mapping::spec::TablePart;
use crate::mapping::{default_type, MappingError, MappingSpec, TableMapping};
use crate::project::Project;

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// Source table, qualified.
    pub source_table: String,
    /// Source column; for a column only the target has (computed), the rule's own name.
    pub source_column: String,
    /// Source declared type; empty for a column only the target has.
    pub source_type: String,
    /// Target table (bare name); empty when dropped.
    pub target_table: String,
    /// Target column; empty when dropped.
    pub target_column: String,
    /// Target declared type (with ` NOT NULL`); empty when dropped.
    pub target_type: String,
    /// What the spec does: `default`, `computed` (a column only the target has), or a
    /// comma-separated list of `rename`, `cast`, `derive`, `split`, `null_default`, `not_null`,
    /// `drop`, `table dropped`, `table split`, `table merged`.
    pub rule: String,
    /// The rule's `derive` expression as written; empty when it has none.
    pub derive: String,
    /// The rule's `null_default` as a SQL literal (`0`, `'n/a'`); empty when it has none.
    pub null_default: String,
    /// The rule's `not_null`, when it says.
    pub not_null: Option<bool>,
    /// Whether the column is only the target's, computed by the rule's expression.
    pub computed: bool,
    /// The rule's reason (the table's when the column has no rule).
    pub reason: String,
    /// The rule's author.
    pub author: String,
}

/// A target column's type as the table shows it: ` NOT NULL` after the declared type.
fn target_type_shown(c: &crate::mapping::ColumnMapping) -> String {
    format!(
        "{}{}",
        c.target_type,
        if c.not_null { " NOT NULL" } else { "" }
    )
}

/// The rows of the project's spec, in inventory order.
///
/// # Errors
/// As [`super::load_required`].
pub async fn show(project: &Project) -> Result<Vec<Row>, MappingError> {
    let (inventory, spec) = load_required(project).await?;
    Ok(rows(project, &inventory, &spec))
}

/// The rows of `spec` over `inventory`, both already loaded, in inventory order.
pub fn rows(project: &Project, inventory: &Inventory, spec: &MappingSpec) -> Vec<Row> {
    let (from, to) = (
        project.manifest().source.engine,
        project.manifest().target.engine,
    );
    let mut rows = Vec::new();
    for table in &inventory.tables {
        if table.name.name.starts_with("_migration_studio") {
            continue;
        }
        let rule = spec.table(table);
        // A merged table's columns land in the table it is merged into.
        let into = rule
            .and_then(|r| r.merged_into.as_deref())
            .and_then(|into| crate::mapping::spec::find_table(inventory, into));
        let into_rule = into.and_then(|t| spec.table(t));
        let merge = into_rule.and_then(|r| r.merged.iter().find(|m| m.table.name == table.name));
        let (mapping, _) = match into {
            Some(into) => TableMapping::mapped(from, to, into, None, into_rule),
            None => TableMapping::mapped(from, to, table, None, rule),
        };
        // Qualified only when the spec moves the table into a schema of its own.
        let target_table = match into_rule.or(rule).and_then(|r| r.target_schema.as_deref()) {
            Some(schema) => format!("{schema}.{}", mapping.target.name),
            None => mapping.target.name.clone(),
        };
        let mapped_column = |column: &str| match into {
            Some(into) => match table.primary_key.iter().position(|k| k == column) {
                Some(k) => mapping
                    .columns
                    .iter()
                    .find(|c| into.primary_key.get(k) == Some(&c.name)),
                None => {
                    let read_name = TableMapping::merged_read_name(table, column);
                    mapping.columns.iter().find(|c| c.name == read_name)
                }
            },
            None => mapping.columns.iter().find(|c| c.name == column),
        };
        // A column a table split moves lands in that table of the split (a merged table is
        // never split: the spec refuses it).
        let part_of = |origin: &str| rule.and_then(|r| r.part_of(origin).map(|i| &r.parts[i]));
        let table_of = |origin: &str| {
            part_of(origin).map_or_else(|| target_table.clone(), TablePart::qualified)
        };
        for column in &table.columns {
            let column_rule = rule.and_then(|r| r.columns.get(&column.name));
            let part = part_of(&column.name);
            let mapped = mapped_column(&column.name);
            let logical = Logical::of(from, &column.data_type);
            let default = default_type(from, to, &column.data_type, &logical);
            let mut what = Vec::new();
            if rule.is_some_and(|r| r.drop) {
                what.push("table dropped");
            } else if let Some(r) = column_rule {
                for (name, set) in [
                    ("rename", r.target.is_some()),
                    ("cast", r.cast.as_ref().is_some_and(|c| *c != default)),
                    ("derive", r.derive.is_some()),
                    ("split", !r.split.is_empty()),
                    ("null_default", r.null_default.is_some()),
                    ("not_null", r.not_null.is_some()),
                    ("drop", r.drop),
                ] {
                    if set {
                        what.push(name);
                    }
                }
            }
            if part.is_some() {
                what.push("table split");
            }
            if merge.is_some() {
                what.push("table merged");
            }
            let table_dropped = rule.is_some_and(|r| r.drop);
            let (reason, author) = match (column_rule, part, merge, rule) {
                (Some(c), ..) if !table_dropped => (c.reason.clone(), c.author.clone()),
                (_, Some(p), ..) => (p.reason.clone(), p.author.clone()),
                (_, _, Some(m), _) => (m.reason.clone(), m.author.clone()),
                (.., Some(t)) => (t.reason.clone(), t.author.clone()),
                _ => ("default mapping".to_owned(), String::new()),
            };
            let kept = mapped.filter(|_| !table_dropped);
            rows.push(Row {
                source_table: table.name.to_string(),
                source_column: column.name.clone(),
                source_type: column.data_type.clone(),
                target_table: kept.map(|_| table_of(&column.name)).unwrap_or_default(),
                target_column: kept.map(|c| c.target_name.clone()).unwrap_or_default(),
                target_type: kept.map(target_type_shown).unwrap_or_default(),
                rule: if what.is_empty() {
                    "default".to_owned()
                } else {
                    what.join(",")
                },
                reason,
                author,
                derive: column_rule
                    .and_then(|r| r.derive.as_ref())
                    .map(|d| d.text.clone())
                    .unwrap_or_default(),
                null_default: column_rule
                    .and_then(|r| r.null_default.clone())
                    .unwrap_or_default(),
                not_null: column_rule.and_then(|r| r.not_null),
                computed: false,
            });
        }
        if rule.is_some_and(|r| r.drop) {
            continue;
        }
        // Columns only the target has, after the source's, in the spec's order.
        for (name, r) in rule.iter().flat_map(|r| &r.columns).filter(|(_, r)| r.new) {
            let mapped = mapped_column(name);
            rows.push(Row {
                source_table: table.name.to_string(),
                source_column: name.clone(),
                source_type: String::new(),
                target_table: table_of(name),
                target_column: mapped.map(|c| c.target_name.clone()).unwrap_or_default(),
                target_type: mapped.map(target_type_shown).unwrap_or_default(),
                rule: "computed".to_owned(),
                reason: r.reason.clone(),
                author: r.author.clone(),
                derive: r
                    .derive
                    .as_ref()
                    .map(|d| d.text.clone())
                    .unwrap_or_default(),
                null_default: r.null_default.clone().unwrap_or_default(),
                not_null: r.not_null,
                computed: true,
            });
        }
    }
    rows
}
