//! The service inventory as CSV, in the columns the CSV import reads
//! ([`crate::import::services::SERVICE_CSV_COLUMNS`]), so planners can edit it in a spreadsheet
//! and import it back. RFC 4180 with CRLF, cells neutralised against formula injection like the
//! runbook's.
//!
//! One row per service-level artifact, by artifact id. Link columns list the artifact ids the
//! row depends on that way; `provides_apis` lists the APIs whose `provides-api` link points at
//! the row. `uses-table`/`contains` links are not repeated: the `tables` and `connection` cells
//! that declared them are exported instead.

use std::io::Write;

use super::csv_safe::neutralize;
use super::runbook_csv::ExportError;
use crate::import::services::table::LINK_COLUMNS;
use crate::import::services::SERVICE_CSV_COLUMNS;
use crate::inventory::{Inventory, LinkKind};

/// Writes the service-level artifacts and links of `inventory` as CSV to `out`.
///
/// # Errors
/// [`ExportError`] when `out` fails.
pub fn write_services_csv(inventory: &Inventory, out: impl Write) -> Result<(), ExportError> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    writer.write_record(SERVICE_CSV_COLUMNS)?;
    for service in &inventory.services {
        let id = service.artifact_id();
        let targets = |kind: LinkKind| -> String {
            let mut ids: Vec<&str> = inventory
                .links
                .iter()
                .filter(|l| l.kind == kind)
                .filter_map(|l| {
                    if kind == LinkKind::ProvidesApi {
                        (l.to == id).then_some(l.from.as_str())
                    } else {
                        (l.from == id).then_some(l.to.as_str())
                    }
                })
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids.join(" ")
        };
        let mut record: Vec<String> = vec![
            service.id.clone(),
            service.kind.label().to_owned(),
            service.name.clone(),
            service.owner.clone().unwrap_or_default(),
            service.system.clone().unwrap_or_default(),
            service.size.map(|s| s.to_string()).unwrap_or_default(),
            service
                .criticality
                .map(|c| c.to_string())
                .unwrap_or_default(),
            service.image.clone().unwrap_or_default(),
            service.connection.clone().unwrap_or_default(),
            service.tables.join(" "),
        ];
        record.extend(LINK_COLUMNS.iter().map(|(_, kind)| targets(*kind)));
        record.push(format!(
            "{}{}",
            service.source,
            service.line.map(|l| format!(":{l}")).unwrap_or_default()
        ));
        writer.write_record(record.iter().map(|c| neutralize(c).into_owned()))?;
    }
    writer.flush()?;
    Ok(())
}
