//! The project's names in what a rehearsal shows. A MySQL source is loaded into a scratch
//! database named after the run (`ms_rh_<run>_src`), so its catalog, the backfill's events and
//! the measurements taken from them name `ms_rh_<run>_src.actor` where the project says
//! `sakila.actor`; reports and progress are for people planning the project, so they carry the
//! project's names.

use std::collections::BTreeSet;

use crate::backfill::BackfillEvent;
use crate::inventory::Inventory;

use super::progress::{Events, RehearsalEvent};
use super::report::RehearsalReport;

/// A scratch database's name and the project's schemas it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectNames {
    /// Scratch database (`ms_rh_1795316916_5cf700_src`).
    pub scratch: String,
    /// The project's schema, when its tables live in one (`sakila`): the scratch name
    /// anywhere stands for it.
    pub project: Option<String>,
    /// For a project over several MySQL databases (each loaded into the one scratch
    /// database): `(scratch.table, schema.table)` per table, longest scratch name first, so
    /// that `…src.actor_info` is renamed before `…src.actor`.
    pub tables: Vec<(String, String)>,
}

impl ProjectNames {
    /// The renaming for a scratch source named `scratch` of a project whose inventory is
    /// `inventory`: `None` when no table is qualified by a schema other than the scratch
    /// database (a PostgreSQL source keeps its schemas inside it and needs none).
    pub fn for_source(scratch: &str, inventory: &Inventory) -> Option<Self> {
        let schemas: BTreeSet<&str> = inventory
            .tables
            .iter()
            .filter_map(|t| t.name.schema.as_deref())
            .filter(|s| *s != scratch)
            .collect();
        let project = match schemas.iter().collect::<Vec<_>>().as_slice() {
            [] => return None,
            [one] => Some((**one).to_owned()),
            _ => None,
        };
        let mut tables: Vec<(String, String)> = if project.is_some() {
            Vec::new()
        } else {
            inventory
                .tables
                .iter()
                .filter_map(|t| {
                    let schema = t.name.schema.as_deref()?;
                    Some((
                        format!("{scratch}.{}", t.name.name),
                        format!("{schema}.{}", t.name.name),
                    ))
                })
                .collect()
        };
        tables.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        Some(Self {
            scratch: scratch.to_owned(),
            project,
            tables,
        })
    }

    /// `text` with the scratch database's name replaced by the project's schema: the table's
    /// own schema for a qualified table name of a project over several databases, the one
    /// schema otherwise.
    pub fn apply(&self, text: &str) -> String {
        if !text.contains(&self.scratch) {
            return text.to_owned();
        }
        let mut out = text.to_owned();
        for (scratch_name, project_name) in &self.tables {
            if out.contains(scratch_name.as_str()) {
                out = replace_names(&out, scratch_name, project_name);
            }
        }
        match &self.project {
            Some(project) => out.replace(&self.scratch, project),
            None => out,
        }
    }

    /// `report` with every text in it named the project's way. It goes through the report's
    /// JSON form so that no text field, including one added later, keeps a scratch name.
    pub fn apply_to_report(&self, report: &RehearsalReport) -> RehearsalReport {
        let mut value = serde_json::to_value(report).expect("reports serialise");
        self.apply_to_value(&mut value);
        serde_json::from_value(value).expect("a renamed report reads back")
    }

    fn apply_to_value(&self, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(s) if s.contains(&self.scratch) => *s = self.apply(s),
            serde_json::Value::Array(items) => {
                items.iter_mut().for_each(|v| self.apply_to_value(v));
            }
            serde_json::Value::Object(map) => {
                let entries = std::mem::take(map);
                for (key, mut v) in entries {
                    self.apply_to_value(&mut v);
                    map.insert(self.apply(&key), v);
                }
            }
            _ => {}
        }
    }

    /// A sender whose backfill events reach `events` with the project's table names.
    pub fn events(&self, events: Events) -> Events {
        let outer = events?;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<RehearsalEvent>();
        let names = self.clone();
        tokio::spawn(async move {
            while let Some(event) = rx.recv().await {
                let _ = outer.send(names.apply_to_event(event));
            }
        });
        Some(tx)
    }

    fn apply_to_event(&self, event: RehearsalEvent) -> RehearsalEvent {
        match event {
            RehearsalEvent::Backfill { mut event } => {
                match &mut event {
                    BackfillEvent::TableStarted { table, .. }
                    | BackfillEvent::Chunk { table, .. }
                    | BackfillEvent::TableFinished { table, .. } => *table = self.apply(table),
                }
                RehearsalEvent::Backfill { event }
            }
            RehearsalEvent::StepStarted {
                step,
                at_seconds,
                expected_seconds,
            } => RehearsalEvent::StepStarted {
                step: self.apply(&step),
                at_seconds,
                expected_seconds,
            },
            RehearsalEvent::StepFinished {
                step,
                seconds,
                rows,
            } => RehearsalEvent::StepFinished {
                step: self.apply(&step),
                seconds,
                rows,
            },
            other => other,
        }
    }
}

/// `text` with each `from` that is a whole name (not followed by a character of an
/// identifier: `…src.actor` in `…src.actor_info` is not `…src.actor`) replaced by `to`.
fn replace_names(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(from) {
        let after = &rest[at + from.len()..];
        let whole = !after
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$');
        out.push_str(&rest[..at]);
        out.push_str(if whole { to } else { from });
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> ProjectNames {
        ProjectNames {
            scratch: "ms_rh_1_src".into(),
            project: Some("sakila".into()),
            tables: Vec::new(),
        }
    }

    #[test]
    fn a_project_over_several_databases_gets_each_tables_own_schema() {
        let mut inventory = Inventory::default();
        for (schema, name) in [
            ("shop", "actor"),
            ("shop", "actor_info"),
            ("billing", "invoice"),
        ] {
            inventory.tables.push(crate::inventory::Table::new(
                crate::inventory::QualifiedName::new(Some(schema), name),
            ));
        }
        let names = ProjectNames::for_source("ms_rh_1_src", &inventory).unwrap();
        assert_eq!(names.project, None);
        assert_eq!(
            names.apply("G001 mismatched rows: ms_rh_1_src.actor, ms_rh_1_src.actor_info and ms_rh_1_src.invoice"),
            "G001 mismatched rows: shop.actor, shop.actor_info and billing.invoice"
        );
        // One schema: the scratch name anywhere stands for it.
        inventory.tables.truncate(2);
        let names = ProjectNames::for_source("ms_rh_1_src", &inventory).unwrap();
        assert_eq!(names.apply("loaded into ms_rh_1_src"), "loaded into shop");
    }

    #[test]
    fn a_report_names_tables_the_projects_way_in_keys_and_texts() {
        let mut r = RehearsalReport::new("1", "p", "local", 60.0, 600.0);
        r.converted.insert("ms_rh_1_src.actor".into(), Vec::new());
        r.failed_because = Some("G001 mismatched rows: ms_rh_1_src.film".into());
        let renamed = names().apply_to_report(&r);
        let json = serde_json::to_string(&renamed).unwrap();
        assert!(!json.contains("ms_rh_"), "{json}");
        assert!(renamed.converted.contains_key("sakila.actor"));
        assert_eq!(
            renamed.failed_because.as_deref(),
            Some("G001 mismatched rows: sakila.film")
        );
    }

    #[tokio::test]
    async fn backfill_events_reach_the_app_with_the_projects_names() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let inner = names().events(Some(tx)).unwrap();
        inner
            .send(RehearsalEvent::Backfill {
                event: BackfillEvent::TableFinished {
                    table: "ms_rh_1_src.actor".into(),
                    rows: 200,
                    rejected: 0,
                },
            })
            .unwrap();
        drop(inner);
        match rx.recv().await {
            Some(RehearsalEvent::Backfill {
                event: BackfillEvent::TableFinished { table, .. },
            }) => assert_eq!(table, "sakila.actor"),
            other => panic!("{other:?}"),
        }
    }
}
