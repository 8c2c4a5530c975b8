//! docker-compose files (Compose specification, versions 2 and 3): every entry of `services`
//! becomes an artifact; top-level named `volumes` become data stores.
//!
//! Links, each naming the key it came from and its `file:line`:
//! - `depends_on`, short form (`[a, b]`) and long form (`{a: {condition: …}}`) → `depends-on`;
//! - `links` (`[a, "a:alias"]`) → `depends-on`;
//! - a named volume mounted by a service → `writes` (`reads` when mounted `:ro`/`read_only`);
//! - an `environment` variable whose name ends in `_ADDR`, `_HOST`, `_URL`… and whose value names
//!   another service of the file (`user-db:27017`, `http://orders/`) → `calls`.
//!
//! A `depends_on`/`links` entry naming no service of the file is a `dangling-depends-on`
//! warning at its line; the link is not made.

use std::collections::BTreeMap;

use super::yaml::Yaml;
use super::{env_host, infer_kind};
use crate::inventory::{Finding, Inventory, Link, LinkKind, Service, ServiceKind, Severity};

/// Whether a parsed YAML document looks like a compose file (a `services` mapping and no
/// Kubernetes/Backstage `apiVersion`).
pub(super) fn looks_like_compose(doc: &Yaml) -> bool {
    doc.get("services").is_some_and(Yaml::is_mapping) && doc.get("apiVersion").is_none()
}

/// Adds the services, volumes and links of one compose document to `out`.
pub(super) fn import(doc: &Yaml, file: &str, out: &mut Inventory) {
    let services = doc.at(&["services"]).entries();
    let names: BTreeMap<&str, ServiceKind> = services
        .iter()
        .filter_map(|(k, v)| {
            k.as_str().map(|name| {
                (
                    name,
                    infer_kind(v.at(&["image"]).as_str().unwrap_or_default(), name),
                )
            })
        })
        .collect();
    let volumes: Vec<(&str, usize)> = doc
        .at(&["volumes"])
        .entries()
        .iter()
        .filter_map(|(k, _)| k.as_str().map(|n| (n, k.line)))
        .collect();
    for (name, line) in &volumes {
        let mut store = Service::new(ServiceKind::DataStore, name, file, Some(*line));
        store.name = format!("volume {name}");
        out.services.push(store);
    }
    let id_of = |name: &str| names.get(name).map(|k| format!("{}:{name}", k.label()));
    for (key, body) in services {
        let Some(name) = key.as_str() else { continue };
        let kind = names[name];
        let from = format!("{}:{name}", kind.label());
        let mut service = Service::new(kind, name, file, Some(key.line));
        service.image = body.at(&["image"]).as_str().map(str::to_owned);
        out.services.push(service);
        let at = |line: usize| format!("compose service {name} ({file}:{line})");
        let mut link = |to: String, kind: LinkKind, derivation: String, line: usize| {
            out.links.push(Link {
                from: from.clone(),
                to,
                kind,
                derivation,
                source: file.to_owned(),
                line: Some(line),
            });
        };
        let mut dangling = Vec::new();
        for (field, entries) in [
            ("depends_on", body.at(&["depends_on"])),
            ("links", body.at(&["links"])),
        ] {
            // Short form: a list of names (`links` entries may be `name:alias`); long form: a
            // mapping of name to condition.
            let targets: Vec<(&str, usize)> = entries
                .items()
                .iter()
                .filter_map(|i| i.as_str().map(|s| (s, i.line)))
                .chain(
                    entries
                        .entries()
                        .iter()
                        .filter_map(|(k, _)| k.as_str().map(|s| (s, k.line))),
                )
                .map(|(s, line)| (s.split(':').next().unwrap_or(s), line))
                .collect();
            for (target, line) in targets {
                match id_of(target) {
                    Some(to) => link(
                        to,
                        LinkKind::DependsOn,
                        format!("{field} {target} in {}", at(line)),
                        line,
                    ),
                    None => dangling.push((field, target, line)),
                }
            }
        }
        for volume in body.at(&["volumes"]).items() {
            let (source, read_only) = match volume.as_str() {
                Some(short) => {
                    let parts: Vec<&str> = short.split(':').collect();
                    (
                        parts.first().copied().unwrap_or_default(),
                        parts
                            .get(2)
                            .is_some_and(|m| m.split(',').any(|o| o == "ro")),
                    )
                }
                None => (
                    volume.at(&["source"]).as_str().unwrap_or_default(),
                    volume.at(&["read_only"]).as_str() == Some("true"),
                ),
            };
            if volumes.iter().any(|(v, _)| *v == source) {
                let kind = if read_only {
                    LinkKind::Reads
                } else {
                    LinkKind::Writes
                };
                link(
                    format!("datastore:{source}"),
                    kind,
                    format!("mounts volume {source} in {}", at(volume.line)),
                    volume.line,
                );
            }
        }
        let environment = body.at(&["environment"]);
        let variables: Vec<(String, String, usize)> = environment
            .entries()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), v.as_str()?.to_owned(), k.line)))
            .chain(environment.items().iter().filter_map(|i| {
                let (k, v) = i.as_str()?.split_once('=')?;
                Some((k.to_owned(), v.to_owned(), i.line))
            }))
            .collect();
        for (variable, value, line) in variables {
            let Some(host) = env_host(&variable, &value) else {
                continue;
            };
            if host == name {
                continue;
            }
            if let Some(to) = id_of(&host) {
                link(
                    to,
                    LinkKind::Calls,
                    format!("env {variable}={value} in {}", at(line)),
                    line,
                );
            }
        }
        for (field, target, line) in dangling {
            out.findings.push(Finding {
                code: "dangling-depends-on".into(),
                severity: Severity::Warning,
                source: file.to_owned(),
                line: Some(line),
                message: format!(
                    "compose service {name}: {field} names {target}, which is not a service of this file"
                ),
            });
        }
    }
}
