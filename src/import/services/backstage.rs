//! Backstage catalog entities (`apiVersion: backstage.io/v1alpha1`, one or more per file).
//!
//! | entity | artifact | from `spec` |
//! |---|---|---|
//! | Component | service (`type: library` too) | `owner`, `system`, `dependsOn`, `providesApis`, `consumesApis`, `subcomponentOf` |
//! | API | api | `owner`, `system` |
//! | Resource | data store (`type` queue/topic: queue) | `owner`, `system`, `dependsOn` |
//! | System | system (its `system` is its `domain`) | `owner`, `domain` |
//! | Domain | domain (its `system` is `subdomainOf`) | `owner`, `subdomainOf` |
//! | Group | group | `parent` |
//!
//! Links: `dependsOn` → `depends-on`; `consumesApis` → `consumes-api` (consumer → API);
//! `providesApis` → `provides-api` (API → provider, so consumers order after providers);
//! `subcomponentOf` → `part-of`. An API named by `providesApis` but not declared is created
//! (its provider declares it). References are entity refs, `[kind:][namespace/]name`, with the
//! default kind of their field.
//!
//! Findings, with file and line: `dangling-ref` (a `dependsOn`/`subcomponentOf` target, or a
//! `system`/`domain` that is not in the catalog), `dangling-api` (an API consumed that nobody
//! provides or declares), `unknown-owner` (a notice: an owner that is not a Group of the catalog;
//! catalogs often keep groups in another file).

use std::collections::{BTreeMap, BTreeSet};

use super::yaml::Yaml;
use crate::inventory::{Finding, Inventory, Link, LinkKind, Service, ServiceKind, Severity};

/// Whether a document is a Backstage entity.
pub(super) fn looks_like_backstage(doc: &Yaml) -> bool {
    doc.at(&["apiVersion"])
        .as_str()
        .is_some_and(|v| v.starts_with("backstage.io/"))
}

/// A parsed entity reference.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct EntityRef {
    kind: String,
    name: String,
}

/// Parses `[kind:][namespace/]name` with `default_kind` (lower case) when no kind is written.
fn entity_ref(text: &str, default_kind: &str) -> EntityRef {
    let (kind, rest) = match text.split_once(':') {
        Some((k, r)) => (k.to_ascii_lowercase(), r),
        None => (default_kind.to_owned(), text),
    };
    let name = rest.rsplit('/').next().unwrap_or(rest).to_owned();
    EntityRef { kind, name }
}

struct Reference {
    from: String,
    target: EntityRef,
    link: LinkKind,
    field: &'static str,
    entity: String,
    line: usize,
}

/// Entities collected across the files of one input, resolved at the end.
#[derive(Default)]
pub(super) struct Catalog {
    /// (backstage kind, name) → artifact id
    declared: BTreeMap<(String, String), String>,
    artifacts: Vec<Service>,
    references: Vec<(Reference, String)>,
    /// (API name, provider artifact id, file, line)
    provided: Vec<(String, String, String, usize)>,
    /// (owner ref, file, line)
    owners: Vec<(EntityRef, String, usize)>,
    /// (system or domain ref, entity, file, line)
    memberships: Vec<(EntityRef, String, String, usize)>,
}

impl Catalog {
    /// Adds one entity.
    pub(super) fn add(&mut self, doc: &Yaml, file: &str) {
        let kind = doc
            .at(&["kind"])
            .as_str()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let name_node = doc.at(&["metadata", "name"]);
        let Some(name) = name_node.as_str() else {
            return;
        };
        let spec = doc.at(&["spec"]);
        let spec_type = spec.at(&["type"]).as_str().unwrap_or_default();
        let service_kind = match kind.as_str() {
            "component" => ServiceKind::Service,
            "api" => ServiceKind::Api,
            "resource" if matches!(spec_type, "queue" | "topic" | "message-queue") => {
                ServiceKind::Queue
            }
            "resource" => ServiceKind::DataStore,
            "system" => ServiceKind::System,
            "domain" => ServiceKind::Domain,
            "group" => ServiceKind::Group,
            // Locations point at files, Users are people, Templates scaffold: none is migrated.
            _ => return,
        };
        let mut artifact = Service::new(service_kind, name, file, Some(doc.line));
        if let Some(title) = doc.at(&["metadata", "title"]).as_str() {
            artifact.name = title.to_owned();
        }
        let id = artifact.artifact_id();
        let owner = spec.at(&["owner"]);
        if let Some(o) = owner.as_str() {
            let r = entity_ref(o, "group");
            artifact.owner = Some(r.name.clone());
            self.owners.push((r, file.to_owned(), owner.line));
        }
        let (membership, membership_kind) = match kind.as_str() {
            "system" => (spec.at(&["domain"]), "domain"),
            "domain" => (spec.at(&["subdomainOf"]), "domain"),
            "group" => (spec.at(&["parent"]), "group"),
            _ => (spec.at(&["system"]), "system"),
        };
        if let Some(m) = membership.as_str() {
            let r = entity_ref(m, membership_kind);
            artifact.system = Some(r.name.clone());
            self.memberships.push((
                r,
                format!("{kind} {name}"),
                file.to_owned(),
                membership.line,
            ));
        }
        let mut refer = |field: &'static str, default_kind: &str, link: LinkKind, node: &Yaml| {
            let values: Vec<&Yaml> = match node.as_str() {
                Some(_) => vec![node],
                None => node.items().iter().collect(),
            };
            for value in values {
                let Some(text) = value.as_str() else { continue };
                self.references.push((
                    Reference {
                        from: id.clone(),
                        target: entity_ref(text, default_kind),
                        link,
                        field,
                        entity: format!("{kind} {name}"),
                        line: value.line,
                    },
                    file.to_owned(),
                ));
            }
        };
        refer(
            "dependsOn",
            "component",
            LinkKind::DependsOn,
            spec.at(&["dependsOn"]),
        );
        refer(
            "consumesApis",
            "api",
            LinkKind::ConsumesApi,
            spec.at(&["consumesApis"]),
        );
        refer(
            "subcomponentOf",
            "component",
            LinkKind::PartOf,
            spec.at(&["subcomponentOf"]),
        );
        for api in spec.at(&["providesApis"]).items() {
            if let Some(text) = api.as_str() {
                self.provided.push((
                    entity_ref(text, "api").name,
                    id.clone(),
                    file.to_owned(),
                    api.line,
                ));
            }
        }
        self.declared.insert((kind, name.to_owned()), id);
        self.artifacts.push(artifact);
    }

    /// Resolves references and writes artifacts, links and findings to `out`.
    pub(super) fn resolve(mut self, out: &mut Inventory) {
        let mut links = Vec::new();
        let mut findings = Vec::new();
        for (api, provider, file, line) in &self.provided {
            let key = ("api".to_owned(), api.clone());
            let api_id = match self.declared.get(&key) {
                Some(id) => id.clone(),
                None => {
                    let artifact = Service::new(ServiceKind::Api, api, file, Some(*line));
                    let id = artifact.artifact_id();
                    self.artifacts.push(artifact);
                    self.declared.insert(key, id.clone());
                    id
                }
            };
            links.push(Link {
                from: api_id,
                to: provider.clone(),
                kind: LinkKind::ProvidesApi,
                derivation: format!("providesApis {api} of {provider} ({file}:{line})"),
                source: file.clone(),
                line: Some(*line),
            });
        }
        let provided: BTreeSet<&str> = self.provided.iter().map(|p| p.0.as_str()).collect();
        for (reference, file) in &self.references {
            let key = (reference.target.kind.clone(), reference.target.name.clone());
            match self.declared.get(&key) {
                Some(to) => links.push(Link {
                    from: reference.from.clone(),
                    to: to.clone(),
                    kind: reference.link,
                    derivation: format!(
                        "{} {}:{} of {} ({file}:{})",
                        reference.field,
                        reference.target.kind,
                        reference.target.name,
                        reference.entity,
                        reference.line
                    ),
                    source: file.clone(),
                    line: Some(reference.line),
                }),
                None => {
                    let api = reference.link == LinkKind::ConsumesApi;
                    findings.push(Finding {
                        code: if api { "dangling-api" } else { "dangling-ref" }.into(),
                        severity: Severity::Warning,
                        source: file.clone(),
                        line: Some(reference.line),
                        message: if api && !provided.contains(reference.target.name.as_str()) {
                            format!(
                                "{} consumes API {}, which no entity provides or declares",
                                reference.entity, reference.target.name
                            )
                        } else {
                            format!(
                                "{}: {} names {}:{}, which is not in the catalog",
                                reference.entity,
                                reference.field,
                                reference.target.kind,
                                reference.target.name
                            )
                        },
                    });
                }
            }
        }
        for (membership, entity, file, line) in &self.memberships {
            if !self
                .declared
                .contains_key(&(membership.kind.clone(), membership.name.clone()))
            {
                findings.push(Finding {
                    code: "dangling-ref".into(),
                    severity: Severity::Warning,
                    source: file.clone(),
                    line: Some(*line),
                    message: format!(
                        "{entity} belongs to {}:{}, which is not in the catalog",
                        membership.kind, membership.name
                    ),
                });
            }
        }
        for (owner, file, line) in &self.owners {
            if !self
                .declared
                .contains_key(&(owner.kind.clone(), owner.name.clone()))
            {
                findings.push(Finding {
                    code: "unknown-owner".into(),
                    severity: Severity::Notice,
                    source: file.clone(),
                    line: Some(*line),
                    message: format!(
                        "owner {}:{} is not an entity of the catalog (kept as the owner's name)",
                        owner.kind, owner.name
                    ),
                });
            }
        }
        out.services.extend(self.artifacts);
        out.links.extend(links);
        out.findings.extend(findings);
    }
}
