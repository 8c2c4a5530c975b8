//! Service pipelines as lifecycle jobs. Beside its tables, a migration moves the pipelines of
//! the service inventory that produce data: each earns its way from the old platform to the new
//! one as a table does. A **pipeline** is a batch or scheduled job (kind `job`) or any artifact
//! that publishes to or consumes from a queue; its job id is its artifact id (`job:nightly-export`,
//! `service:shipping`), which no table's name can be (a table's has no `:` prefix of a kind).
//!
//! A pipeline's window comes from a measurement file, or, on the databases, from the tables it
//! uses (its `uses-table` links): their windows combined ([`combine`]), so a pipeline whose
//! output tables differ does not promote.

use super::window::{Resources, Window};
use crate::inventory::service::{LinkKind, ServiceKind};
use crate::inventory::Inventory;

/// A service pipeline: its job id and the tables its window is measured on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pipeline {
    /// Its artifact id, `kind:id`: the job's id.
    pub id: String,
    /// The tables it uses, as the inventory names them (`schema.name` or `name`), sorted.
    pub tables: Vec<String>,
}

/// The pipelines of `inventory`, by artifact id.
pub fn pipelines(inventory: &Inventory) -> Vec<Pipeline> {
    let queue_link = |id: &str| {
        inventory
            .links
            .iter()
            .any(|l| l.from == id && matches!(l.kind, LinkKind::Publishes | LinkKind::Consumes))
    };
    let mut out: Vec<Pipeline> = inventory
        .services
        .iter()
        .map(|s| s.artifact_id())
        .filter(|id| id.starts_with(&format!("{}:", ServiceKind::Job.label())) || queue_link(id))
        .map(|id| {
            let mut tables: Vec<String> = inventory
                .links
                .iter()
                .filter(|l| l.from == id && l.kind == LinkKind::UsesTable)
                .filter_map(|l| l.to.strip_prefix("table:").map(str::to_owned))
                .collect();
            tables.sort();
            tables.dedup();
            Pipeline { id, tables }
        })
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// One window for a pipeline out of the windows of the tables it uses: rows summed, contents
/// equal only when every table's are, each resource figure summed where every table has it
/// (storage too: the pipeline's whole footprint), assertions failed in any. `None` when `tables`
/// is empty: nothing was measured.
pub fn combine<'a>(tables: impl IntoIterator<Item = &'a Window>) -> Option<Window> {
    let tables: Vec<&Window> = tables.into_iter().collect();
    if tables.is_empty() {
        return None;
    }
    fn sum<T: std::iter::Sum<T>>(figures: impl Iterator<Item = Option<T>>) -> Option<T> {
        figures.sum()
    }
    let all = |f: fn(&Window) -> Option<bool>| -> Option<bool> {
        tables
            .iter()
            .map(|w| f(w))
            .collect::<Option<Vec<bool>>>()
            .map(|v| v.iter().all(|&b| b))
    };
    let resources = |side: fn(&Window) -> Option<Resources>| -> Option<Resources> {
        let each: Vec<Resources> = tables.iter().map(|w| side(w)).collect::<Option<_>>()?;
        Some(Resources {
            rows_read: sum(each.iter().map(|r| r.rows_read)),
            rows_written: sum(each.iter().map(|r| r.rows_written)),
            bytes_written: sum(each.iter().map(|r| r.bytes_written)),
            storage_bytes: sum(each.iter().map(|r| r.storage_bytes)),
            cpu_ms: sum(each.iter().map(|r| r.cpu_ms)),
        })
    };
    let assertions: Option<Vec<String>> = tables
        .iter()
        .filter_map(|w| w.failed_assertions.clone())
        .reduce(|mut a, b| {
            a.extend(b);
            a
        });
    Some(Window {
        old_rows: sum(tables.iter().map(|w| w.old_rows)),
        new_rows: sum(tables.iter().map(|w| w.new_rows)),
        checksum_match: all(|w| w.checksum_match),
        // Latency is no table's figure: a file gives it.
        old_latency_seconds: None,
        new_latency_seconds: None,
        old_resources: resources(|w| w.old_resources),
        new_resources: resources(|w| w.new_resources),
        failed_assertions: assertions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pipeline_window_holds_only_when_every_table_of_it_holds() {
        let table = |old, new, equal| Window {
            old_rows: Some(old),
            new_rows: Some(new),
            checksum_match: Some(equal),
            old_resources: Some(Resources {
                storage_bytes: Some(100),
                ..Resources::default()
            }),
            new_resources: Some(Resources {
                storage_bytes: Some(90),
                rows_read: Some(5),
                ..Resources::default()
            }),
            ..Window::default()
        };
        let both = combine([&table(10, 10, true), &table(5, 5, true)]).unwrap();
        assert_eq!((both.old_rows, both.new_rows), (Some(15), Some(15)));
        assert_eq!(both.checksum_match, Some(true));
        let new = both.new_resources.unwrap();
        assert_eq!((new.storage_bytes, new.rows_read), (Some(180), Some(10)));
        assert_eq!(both.old_resources.unwrap().rows_read, None);
        let one_differs = combine([&table(10, 10, true), &table(5, 4, false)]).unwrap();
        assert_eq!(one_differs.checksum_match, Some(false));
        assert_eq!(one_differs.new_rows, Some(14));
        assert_eq!(combine(std::iter::empty()), None);
    }
}
