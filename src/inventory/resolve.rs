//! Reference checks across the whole inventory: references that point nowhere become findings.

use std::collections::BTreeSet;

use crate::inventory::model::{Finding, Inventory, QualifiedName, Severity};

/// Adds a `dangling-fk` warning for every foreign key whose referenced table is not in the
/// inventory, and `dangling-reference` notices for views and triggers naming unknown relations.
/// The dangling FK stays in the model; the graph simply has no edge for it.
pub fn report_dangling(inventory: &mut Inventory) {
    let relations: BTreeSet<QualifiedName> = inventory
        .tables
        .iter()
        .map(|t| t.name.clone())
        .chain(inventory.views.iter().map(|v| v.name.clone()))
        .collect();
    let known = |name: &QualifiedName| {
        relations.contains(name)
            || relations.iter().any(|r| {
                r.name.eq_ignore_ascii_case(&name.name)
                    && (r.schema.is_none() || name.schema.is_none() || r.schema == name.schema)
            })
    };
    let mut findings = Vec::new();
    for table in &inventory.tables {
        for fk in &table.foreign_keys {
            if !known(&fk.references) {
                findings.push(Finding {
                    code: "dangling-fk".into(),
                    severity: Severity::Warning,
                    source: table.name.to_string(),
                    line: None,
                    message: format!(
                        "foreign key {}({}) references {}, which is not in the inventory",
                        table.name,
                        fk.columns.join(", "),
                        fk.references
                    ),
                });
            }
        }
    }
    for trigger in &inventory.triggers {
        for target in std::iter::once(&trigger.table).chain(&trigger.writes) {
            if !known(target) {
                findings.push(Finding {
                    code: "dangling-reference".into(),
                    severity: Severity::Notice,
                    source: trigger.name.to_string(),
                    line: None,
                    message: format!(
                        "trigger {} names {target}, which is not in the inventory",
                        trigger.name
                    ),
                });
            }
        }
    }
    inventory.findings.extend(findings);
}
