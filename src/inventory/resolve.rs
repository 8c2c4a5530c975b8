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

/// Resolves the service-level links of a whole inventory (after every input is merged):
///
/// 1. Tables named by a service's `tables` (`schema.name`, `name`, `schema.*`) become links:
///    `contains` from a data store, `uses-table` from anything else. A data store with no tables
///    listed is matched by its connection name (its `connection`, else its id) against the
///    schema names, case-insensitively: a data store `sakila` holds every table of schema
///    `sakila`.
/// 2. Each link's `to` written as a bare name or `kind:name` becomes an artifact id: a
///    service-level artifact first (by `kind:id`, or by id when exactly one has it), then a
///    table or view. An API that a `provides-api` link starts from and nobody declares is
///    created (its provider declares it).
/// 3. What still points nowhere becomes a `dangling-link` warning with the declaration's file
///    and line (or `dangling-table`, `dangling-connection`); the link stays in the inventory and
///    the graph has no edge for it.
pub fn resolve_links(inventory: &mut Inventory) {
    use crate::inventory::service::{Link, LinkKind, Service, ServiceKind};
    use std::collections::{BTreeMap, HashMap};

    let mut findings = Vec::new();
    let mut new_links: Vec<Link> = Vec::new();
    let schemas_of_tables: BTreeMap<String, Vec<QualifiedName>> =
        inventory.tables.iter().fold(BTreeMap::new(), |mut acc, t| {
            if let Some(schema) = &t.name.schema {
                acc.entry(schema.to_ascii_lowercase())
                    .or_insert_with(Vec::new)
                    .push(t.name.clone());
            }
            acc
        });
    for service in &inventory.services {
        let kind = if service.kind == ServiceKind::DataStore {
            LinkKind::Contains
        } else {
            LinkKind::UsesTable
        };
        let from = service.artifact_id();
        let at = format!(
            "{}{}",
            service.source,
            service.line.map(|l| format!(":{l}")).unwrap_or_default()
        );
        for pattern in &service.tables {
            let matched: Vec<QualifiedName> = match pattern.strip_suffix(".*") {
                Some(schema) => schemas_of_tables
                    .get(&schema.to_ascii_lowercase())
                    .cloned()
                    .unwrap_or_default(),
                None => {
                    let name = match pattern.split_once('.') {
                        Some((schema, name)) => QualifiedName::new(Some(schema), name),
                        None => QualifiedName::new(None, pattern),
                    };
                    inventory
                        .table(&name)
                        .map(|t| vec![t.name.clone()])
                        .unwrap_or_default()
                }
            };
            if matched.is_empty() {
                findings.push(Finding {
                    code: "dangling-table".into(),
                    severity: Severity::Warning,
                    source: service.source.clone(),
                    line: service.line,
                    message: format!("{from} lists table {pattern}, which is not in the inventory"),
                });
            }
            for table in matched {
                new_links.push(Link {
                    from: from.clone(),
                    to: format!("table:{table}"),
                    kind,
                    derivation: format!("tables {pattern} of {from} ({at})"),
                    source: service.source.clone(),
                    line: service.line,
                });
            }
        }
        let connection = service.connection.clone().or_else(|| {
            (service.kind == ServiceKind::DataStore && service.tables.is_empty())
                .then(|| service.id.clone())
        });
        if let Some(connection) = connection.filter(|_| service.tables.is_empty()) {
            match schemas_of_tables.get(&connection.to_ascii_lowercase()) {
                Some(tables) => {
                    for table in tables {
                        new_links.push(Link {
                            from: from.clone(),
                            to: format!("table:{table}"),
                            kind,
                            derivation: format!(
                                "connection {connection} of {from} matches schema {} ({at})",
                                table.schema.as_deref().unwrap_or_default()
                            ),
                            source: service.source.clone(),
                            line: service.line,
                        });
                    }
                }
                None if service.connection.is_some() => findings.push(Finding {
                    code: "dangling-connection".into(),
                    severity: Severity::Warning,
                    source: service.source.clone(),
                    line: service.line,
                    message: format!(
                        "{from}: connection {connection} names no schema of the inventory"
                    ),
                }),
                None => {}
            }
        }
    }
    inventory.links.extend(new_links);

    // Implicit APIs: provided but never declared.
    let mut known: HashMap<String, ()> = inventory
        .services
        .iter()
        .map(|s| (s.artifact_id(), ()))
        .collect();
    let mut implicit = Vec::new();
    for link in &inventory.links {
        if link.kind == LinkKind::ProvidesApi && !known.contains_key(&link.from) {
            if let Some(api) = link.from.strip_prefix("api:") {
                implicit.push(Service::new(ServiceKind::Api, api, &link.source, link.line));
                known.insert(link.from.clone(), ());
            }
        }
    }
    inventory.services.extend(implicit);

    let mut by_bare_id: HashMap<&str, Vec<String>> = HashMap::new();
    for service in &inventory.services {
        by_bare_id
            .entry(service.id.as_str())
            .or_default()
            .push(service.artifact_id());
    }
    let relations: BTreeSet<String> = inventory
        .tables
        .iter()
        .map(|t| format!("table:{}", t.name))
        .chain(inventory.views.iter().map(|v| format!("view:{}", v.name)))
        .collect();
    let resolve = |to: &str| -> Option<String> {
        if known.contains_key(to) || relations.contains(to) {
            return Some(to.to_owned());
        }
        let (prefix, rest) = to.split_once(':').unwrap_or(("", to));
        if let Ok(kind) = prefix.parse::<ServiceKind>() {
            let id = format!("{}:{rest}", kind.label());
            if known.contains_key(&id) {
                return Some(id);
            }
        }
        let bare = if prefix == "table" || prefix == "view" || prefix.parse::<ServiceKind>().is_ok()
        {
            rest
        } else {
            to
        };
        if prefix != "table" && prefix != "view" {
            if let Some(ids) = by_bare_id.get(bare) {
                if ids.len() == 1 {
                    return Some(ids[0].clone());
                }
            }
        }
        let name = match bare.split_once('.') {
            Some((schema, name)) => QualifiedName::new(Some(schema), name),
            None => QualifiedName::new(None, bare),
        };
        if let Some(table) = inventory.table(&name) {
            return Some(format!("table:{}", table.name));
        }
        inventory
            .views
            .iter()
            .find(|v| v.name.name.eq_ignore_ascii_case(&name.name))
            .map(|v| format!("view:{}", v.name))
    };
    let mut resolved = Vec::with_capacity(inventory.links.len());
    for link in &inventory.links {
        let mut link = link.clone();
        match resolve(&link.to) {
            Some(to) => link.to = to,
            None => findings.push(Finding {
                code: "dangling-link".into(),
                severity: Severity::Warning,
                source: link.source.clone(),
                line: link.line,
                message: format!(
                    "{} {} {}, which is not in the inventory ({})",
                    link.from, link.kind, link.to, link.derivation
                ),
            }),
        }
        resolved.push(link);
    }
    inventory.links = resolved;
    inventory.findings.extend(findings);
    inventory.normalize();
}
