//! The service inventory CSV, the format planners edit in a spreadsheet (RFC 4180, header row
//! first, columns in any order, names case-insensitive; only `id` is required).
//!
//! | column | meaning |
//! |---|---|
//! | `id` | key within its kind, e.g. `carts-db` (or kind-qualified, `datastore:carts-db`) |
//! | `kind` | service (default), integration, job, queue, config, datastore, api, system, domain, group |
//! | `name` | display name (default: the id) |
//! | `owner` | owning team or person |
//! | `system` | system it belongs to |
//! | `size` | bytes of data it holds or moves: `1048576`, `20GB`, `1.5GiB`, `512Mi`; `0` when stateless |
//! | `criticality` | low, medium, high or critical |
//! | `image` | container image |
//! | `connection` | schema (or live input) whose tables it uses; a data store holds them |
//! | `tables` | tables it uses (a data store: holds), `schema.name`, `name` or `schema.*` |
//! | `depends_on`, `calls`, `reads`, `writes`, `publishes`, `consumes`, `schedules`, `configures`, `consumes_apis`, `part_of` | artifacts it depends on that way (ids, bare or `kind:id`) |
//! | `provides_apis` | APIs it provides (the API depends on it) |
//! | `source` | where it was declared, `file:line` (written by the export, ignored on import) |
//!
//! List cells hold ids separated by spaces, commas or semicolons. Cells that the exporter
//! neutralised against formula injection (a leading `'` before `=`, `+`, `-`, `@`) are read
//! back without the quote. Quoting is strict RFC 4180 ([`check_quotes`]): a stray, trailing or
//! unclosed quote is an error, not a cell read some other way. Any error names the file, line and
//! column; nothing is imported then.

use std::collections::HashMap;

use super::error::ServiceImportError;
use crate::export::{check_quotes, restore_neutralized, CsvLines};
use crate::inventory::{parse_size, Inventory, Link, LinkKind, Service, ServiceKind};

/// The columns of the service inventory CSV, in export order.
pub const SERVICE_CSV_COLUMNS: [&str; 22] = [
    "id",
    "kind",
    "name",
    "owner",
    "system",
    "size",
    "criticality",
    "image",
    "connection",
    "tables",
    "depends_on",
    "calls",
    "reads",
    "writes",
    "publishes",
    "consumes",
    "schedules",
    "configures",
    "provides_apis",
    "consumes_apis",
    "part_of",
    "source",
];

/// The link columns and their kinds (`provides_apis` is reversed: the API depends on the row).
pub const LINK_COLUMNS: [(&str, LinkKind); 11] = [
    ("depends_on", LinkKind::DependsOn),
    ("calls", LinkKind::Calls),
    ("reads", LinkKind::Reads),
    ("writes", LinkKind::Writes),
    ("publishes", LinkKind::Publishes),
    ("consumes", LinkKind::Consumes),
    ("schedules", LinkKind::Schedules),
    ("configures", LinkKind::Configures),
    ("provides_apis", LinkKind::ProvidesApi),
    ("consumes_apis", LinkKind::ConsumesApi),
    ("part_of", LinkKind::PartOf),
];

/// Splits a list cell on spaces, commas and semicolons.
pub fn split_list(cell: &str) -> impl Iterator<Item = &str> {
    cell.split([' ', ',', ';', '\n', '\t'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Parses `kind:id` or a bare id (with `default` kind).
fn kind_and_id(text: &str, default: ServiceKind) -> (ServiceKind, String) {
    if let Some((k, id)) = text.split_once(':') {
        if let Ok(kind) = k.parse::<ServiceKind>() {
            return (kind, id.to_owned());
        }
    }
    (default, text.to_owned())
}

/// Reads the CSV `text` (named `file`) into `out`.
///
/// # Errors
/// [`ServiceImportError::Csv`] for malformed CSV, [`ServiceImportError::Invalid`] naming the
/// line and column of a bad value or an unknown column.
pub(super) fn import(
    text: &str,
    file: &str,
    out: &mut Inventory,
) -> Result<(), ServiceImportError> {
    check_quotes(text).map_err(|e| ServiceImportError::Csv {
        file: file.to_owned(),
        line: e.line,
        message: format!("field `{}`: {}", e.field(text), e.message),
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let lines = CsvLines::new(text);
    let csv_err = |e: csv::Error| ServiceImportError::Csv {
        file: file.to_owned(),
        line: e.position().map_or(1, |p| lines.line(p)),
        message: e.to_string(),
    };
    let headers: Vec<String> = reader
        .headers()
        .map_err(csv_err)?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    for header in &headers {
        if !SERVICE_CSV_COLUMNS.contains(&header.as_str()) && header != "flags" {
            return Err(ServiceImportError::Invalid {
                file: file.to_owned(),
                line: 1,
                field: header.clone(),
                message: format!(
                    "unknown column (expected some of {})",
                    SERVICE_CSV_COLUMNS.join(", ")
                ),
            });
        }
    }
    if !headers.iter().any(|h| h == "id") {
        return Err(ServiceImportError::Invalid {
            file: file.to_owned(),
            line: 1,
            field: "id".into(),
            message: "the header has no `id` column".into(),
        });
    }
    let column: HashMap<&str, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.as_str(), i))
        .collect();
    let mut services = Vec::new();
    let mut links = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_err)?;
        let line = record.position().map_or(0, |p| lines.line(p));
        let cell = |name: &str| -> String {
            column
                .get(name)
                .and_then(|&i| record.get(i))
                .map(|c| restore_neutralized(c).into_owned())
                .unwrap_or_default()
        };
        let invalid = |field: &str, message: String| ServiceImportError::Invalid {
            file: file.to_owned(),
            line,
            field: field.to_owned(),
            message,
        };
        let id_cell = cell("id");
        if id_cell.is_empty() {
            if record.iter().all(str::is_empty) {
                continue;
            }
            return Err(invalid("id", "an id is required".into()));
        }
        let kind_cell = cell("kind");
        let default_kind = if kind_cell.is_empty() {
            ServiceKind::Service
        } else {
            kind_cell.parse().map_err(|m| invalid("kind", m))?
        };
        let (kind, id) = kind_and_id(&id_cell, default_kind);
        let mut service = Service::new(kind, &id, file, Some(line));
        let optional = |name: &str| Some(cell(name)).filter(|c| !c.is_empty());
        if let Some(name) = optional("name") {
            service.name = name;
        }
        service.owner = optional("owner");
        service.system = optional("system");
        service.image = optional("image");
        service.connection = optional("connection");
        if let Some(size) = optional("size") {
            service.size = Some(parse_size(&size).map_err(|m| invalid("size", m))?);
        }
        if let Some(c) = optional("criticality") {
            service.criticality = Some(c.parse().map_err(|m| invalid("criticality", m))?);
        }
        service.tables = split_list(&cell("tables")).map(str::to_owned).collect();
        let from = service.artifact_id();
        for (name, kind) in LINK_COLUMNS {
            for target in split_list(&cell(name)) {
                let derivation = format!("{name} {target} in {file}:{line} (row {id})");
                let (from, to) = if kind == LinkKind::ProvidesApi {
                    let (_, api) = kind_and_id(target, ServiceKind::Api);
                    (format!("api:{api}"), from.clone())
                } else {
                    (from.clone(), target.to_owned())
                };
                links.push(Link {
                    from,
                    to,
                    kind,
                    derivation,
                    source: file.to_owned(),
                    line: Some(line),
                });
            }
        }
        services.push(service);
    }
    out.services.extend(services);
    out.links.extend(links);
    Ok(())
}
