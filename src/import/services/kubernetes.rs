//! Kubernetes manifests: workloads become artifacts; Services, NetworkPolicies and environment
//! variables give the links between them.
//!
//! Objects are collected from every file of an input first and resolved at the end, since a
//! policy and the pods it selects usually live in different files.
//!
//! - **Artifacts**: Deployment, StatefulSet, DaemonSet, ReplicaSet, Pod (kind from the image:
//!   databases are data stores, brokers are queues), Job and CronJob (jobs),
//!   PersistentVolumeClaim (a data store sized by its storage request), ConfigMap
//!   (configuration). A StatefulSet's `volumeClaimTemplates` storage requests give its size.
//! - **Env-derived links** (`calls`): a container variable named `*_ADDR`, `*_HOST`, `*_URL`…
//!   whose value's host (`cartservice:7070`, `http://orders.ns.svc:80/`) names a Service; the
//!   link goes to the workloads that Service selects. A host that names no Service and no
//!   workload is a `dangling-env-host` warning at the variable's line.
//! - **NetworkPolicy allow-rules** (`calls`): each `ingress[].from[].podSelector` gives links
//!   from the pods it selects to the pods of `spec.podSelector`; `egress[].to[].podSelector`
//!   the other way. Selectors that select every pod (`{}`) say nothing about dependencies and
//!   add no link.
//! - **Mounts**: a workload mounting a PersistentVolumeClaim `writes` it; one reading a
//!   ConfigMap (volume, `envFrom`, `configMapKeyRef`) is `configures`-linked to it.
//! - A selector (`matchLabels`) that selects no pod is a `dangling-selector` warning at its line.
//!
//! Namespaces are not compared: a migration inventory usually covers one namespace, and
//! cross-namespace policies (`namespaceSelector`) are left out.

use std::collections::{BTreeMap, BTreeSet};

use super::yaml::Yaml;
use super::{env_host, infer_kind};
use crate::inventory::{
    parse_size, Finding, Inventory, Link, LinkKind, Service, ServiceKind, Severity,
};

type Labels = BTreeMap<String, String>;

/// A label selector (`matchLabels` only) and where it is written.
#[derive(Debug, Clone)]
struct Selector {
    labels: Labels,
    line: usize,
}

#[derive(Debug)]
struct Workload {
    id: String,
    labels: Labels,
    /// (variable, value, line) of every container's environment.
    env: Vec<(String, String, usize)>,
    /// (claim, line)
    claims: Vec<(String, usize)>,
    /// (config map, line)
    config_maps: Vec<(String, usize)>,
    file: String,
    kind_name: String,
}

#[derive(Debug)]
struct KubeService {
    name: String,
    selector: Option<Selector>,
    file: String,
}

#[derive(Debug)]
struct Policy {
    name: String,
    target: Option<Selector>,
    /// (selector, ingress = true / egress = false)
    peers: Vec<(Selector, bool)>,
    file: String,
}

/// Kubernetes objects collected across the files of one input.
#[derive(Debug, Default)]
pub(super) struct KubeObjects {
    workloads: Vec<Workload>,
    services: Vec<KubeService>,
    policies: Vec<Policy>,
    artifacts: Vec<Service>,
}

/// Whether a document is a Kubernetes object (has `apiVersion` and `kind`, and is not a
/// Backstage entity).
pub(super) fn looks_like_kubernetes(doc: &Yaml) -> bool {
    doc.get("kind").and_then(Yaml::as_str).is_some()
        && doc
            .get("apiVersion")
            .and_then(Yaml::as_str)
            .is_some_and(|v| !v.starts_with("backstage.io"))
}

fn labels(node: &Yaml) -> Labels {
    node.entries()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), v.as_str()?.to_owned())))
        .collect()
}

/// A `LabelSelector`'s `matchLabels`; `None` when it selects everything (`{}`, null, or no
/// `matchLabels`).
fn selector(node: &Yaml) -> Option<Selector> {
    let match_labels = node.at(&["matchLabels"]);
    let labels = labels(match_labels);
    (!labels.is_empty()).then(|| Selector {
        labels,
        line: match_labels
            .entries()
            .first()
            .map_or(node.line, |(k, _)| k.line),
    })
}

fn show(labels: &Labels) -> String {
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

impl KubeObjects {
    /// Adds one object (a `List`'s items are added one by one).
    pub(super) fn add(&mut self, doc: &Yaml, file: &str) {
        let kind = doc.at(&["kind"]).as_str().unwrap_or_default();
        let name = doc.at(&["metadata", "name"]).as_str().unwrap_or_default();
        let line = doc.line;
        match kind {
            "List" => {
                for item in doc.at(&["items"]).items() {
                    self.add(item, file);
                }
            }
            "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Pod" | "Job"
            | "CronJob" => {
                let template = match kind {
                    "Pod" => doc,
                    "CronJob" => doc.at(&["spec", "jobTemplate", "spec", "template"]),
                    _ => doc.at(&["spec", "template"]),
                };
                let pod = if kind == "Pod" {
                    doc.at(&["spec"])
                } else {
                    template.at(&["spec"])
                };
                let containers: Vec<&Yaml> = pod
                    .at(&["initContainers"])
                    .items()
                    .iter()
                    .chain(pod.at(&["containers"]).items())
                    .collect();
                let image = pod
                    .at(&["containers"])
                    .items()
                    .first()
                    .and_then(|c| c.at(&["image"]).as_str());
                let service_kind = if matches!(kind, "Job" | "CronJob") {
                    ServiceKind::Job
                } else {
                    infer_kind(image.unwrap_or_default(), name)
                };
                let mut artifact = Service::new(service_kind, name, file, Some(line));
                artifact.image = image.map(str::to_owned);
                let mut size = None::<u64>;
                for claim in doc.at(&["spec", "volumeClaimTemplates"]).items() {
                    if let Some(bytes) = claim
                        .at(&["spec", "resources", "requests", "storage"])
                        .as_str()
                        .and_then(|s| parse_size(s).ok())
                    {
                        size = Some(size.unwrap_or(0) + bytes);
                    }
                }
                artifact.size = size;
                let mut workload = Workload {
                    id: artifact.artifact_id(),
                    labels: labels(template.at(&["metadata", "labels"])),
                    env: Vec::new(),
                    claims: Vec::new(),
                    config_maps: Vec::new(),
                    file: file.to_owned(),
                    kind_name: kind.to_owned(),
                };
                for container in containers {
                    for var in container.at(&["env"]).items() {
                        let (Some(k), Some(v)) =
                            (var.at(&["name"]).as_str(), var.at(&["value"]).as_str())
                        else {
                            if let Some(cm) =
                                var.at(&["valueFrom", "configMapKeyRef", "name"]).as_str()
                            {
                                workload.config_maps.push((cm.to_owned(), var.line));
                            }
                            continue;
                        };
                        workload
                            .env
                            .push((k.to_owned(), v.to_owned(), var.at(&["name"]).line));
                    }
                    for source in container.at(&["envFrom"]).items() {
                        if let Some(cm) = source.at(&["configMapRef", "name"]).as_str() {
                            workload.config_maps.push((cm.to_owned(), source.line));
                        }
                    }
                }
                for volume in pod.at(&["volumes"]).items() {
                    if let Some(claim) = volume.at(&["persistentVolumeClaim", "claimName"]).as_str()
                    {
                        workload.claims.push((claim.to_owned(), volume.line));
                    }
                    if let Some(cm) = volume.at(&["configMap", "name"]).as_str() {
                        workload.config_maps.push((cm.to_owned(), volume.line));
                    }
                }
                self.workloads.push(workload);
                self.artifacts.push(artifact);
            }
            "PersistentVolumeClaim" => {
                let mut store = Service::new(ServiceKind::DataStore, name, file, Some(line));
                store.size = doc
                    .at(&["spec", "resources", "requests", "storage"])
                    .as_str()
                    .and_then(|s| parse_size(s).ok());
                self.artifacts.push(store);
            }
            "ConfigMap" => {
                let mut config = Service::new(ServiceKind::Configuration, name, file, Some(line));
                config.size = Some(
                    doc.at(&["data"])
                        .entries()
                        .iter()
                        .map(|(_, v)| v.as_str().map_or(0, |s| s.len() as u64))
                        .sum(),
                );
                self.artifacts.push(config);
            }
            "Service" => self.services.push(KubeService {
                name: name.to_owned(),
                selector: {
                    let node = doc.at(&["spec", "selector"]);
                    let labels = labels(node);
                    (!labels.is_empty()).then(|| Selector {
                        labels,
                        line: node.entries().first().map_or(node.line, |(k, _)| k.line),
                    })
                },
                file: file.to_owned(),
            }),
            "NetworkPolicy" => {
                let mut peers = Vec::new();
                for (direction, peer_key, ingress) in
                    [("ingress", "from", true), ("egress", "to", false)]
                {
                    for rule in doc.at(&["spec", direction]).items() {
                        for peer in rule.at(&[peer_key]).items() {
                            let pod_selector = peer.at(&["podSelector"]);
                            if pod_selector.is_null() {
                                continue;
                            }
                            if let Some(s) = selector(pod_selector) {
                                peers.push((s, ingress));
                            }
                        }
                    }
                }
                self.policies.push(Policy {
                    name: name.to_owned(),
                    target: selector(doc.at(&["spec", "podSelector"])),
                    peers,
                    file: file.to_owned(),
                });
            }
            _ => {}
        }
    }

    /// Resolves selectors and hosts and writes artifacts, links and findings to `out`.
    pub(super) fn resolve(self, out: &mut Inventory) {
        let selects = |selector: &Selector| -> Vec<&Workload> {
            self.workloads
                .iter()
                .filter(|w| {
                    selector
                        .labels
                        .iter()
                        .all(|(k, v)| w.labels.get(k) == Some(v))
                })
                .collect()
        };
        let mut findings = Vec::new();
        let mut dangling = |file: &str, line: usize, message: String| {
            findings.push(Finding {
                code: "dangling-selector".into(),
                severity: Severity::Warning,
                source: file.to_owned(),
                line: Some(line),
                message,
            });
        };
        // Service name → workloads it selects.
        let mut routes: BTreeMap<&str, Vec<&Workload>> = BTreeMap::new();
        for service in &self.services {
            let Some(selector) = &service.selector else {
                continue;
            };
            let selected = selects(selector);
            if selected.is_empty() && !self.workloads.is_empty() {
                dangling(
                    &service.file,
                    selector.line,
                    format!(
                        "Service {} selects {}, which no pod in the inventory has",
                        service.name,
                        show(&selector.labels)
                    ),
                );
            }
            routes.insert(&service.name, selected);
        }
        let by_name: BTreeMap<&str, &Workload> = self
            .workloads
            .iter()
            .filter_map(|w| w.id.split_once(':').map(|(_, n)| (n, w)))
            .collect();
        let artifact_ids: BTreeSet<String> =
            self.artifacts.iter().map(Service::artifact_id).collect();
        let mut links = Vec::new();
        let mut link = |from: &Workload,
                        to: String,
                        kind: LinkKind,
                        derivation: String,
                        file: &str,
                        line: usize| {
            links.push(Link {
                from: from.id.clone(),
                to,
                kind,
                derivation,
                source: file.to_owned(),
                line: Some(line),
            });
        };
        let mut env_findings = Vec::new();
        for workload in &self.workloads {
            let name = workload.id.split_once(':').map_or("", |(_, n)| n);
            let at =
                |line: usize| format!("{} {name} ({}:{line})", workload.kind_name, workload.file);
            for (variable, value, line) in &workload.env {
                let Some(host) = env_host(variable, value) else {
                    continue;
                };
                let targets: Vec<&Workload> = match routes.get(host.as_str()) {
                    Some(selected) => selected.clone(),
                    None => by_name.get(host.as_str()).copied().into_iter().collect(),
                };
                if targets.is_empty() && !routes.contains_key(host.as_str()) {
                    env_findings.push(Finding {
                        code: "dangling-env-host".into(),
                        severity: Severity::Warning,
                        source: workload.file.clone(),
                        line: Some(*line),
                        message: format!(
                            "{} {name}: env {variable}={value} names host {host}, which is no Service or workload in the inventory",
                            workload.kind_name
                        ),
                    });
                }
                for target in targets {
                    if target.id != workload.id {
                        link(
                            workload,
                            target.id.clone(),
                            LinkKind::Calls,
                            format!("env {variable}={value} in {}", at(*line)),
                            &workload.file,
                            *line,
                        );
                    }
                }
            }
            for (claim, line) in &workload.claims {
                let to = format!("datastore:{claim}");
                if artifact_ids.contains(&to) {
                    link(
                        workload,
                        to,
                        LinkKind::Writes,
                        format!("mounts PersistentVolumeClaim {claim} in {}", at(*line)),
                        &workload.file,
                        *line,
                    );
                }
            }
            for (config, line) in &workload.config_maps {
                let to = format!("config:{config}");
                if artifact_ids.contains(&to) {
                    link(
                        workload,
                        to,
                        LinkKind::Configures,
                        format!("reads ConfigMap {config} in {}", at(*line)),
                        &workload.file,
                        *line,
                    );
                }
            }
        }
        for policy in &self.policies {
            let targets: Vec<&Workload> = match &policy.target {
                Some(selector) => {
                    let selected = selects(selector);
                    if selected.is_empty() {
                        dangling(
                            &policy.file,
                            selector.line,
                            format!(
                                "NetworkPolicy {} applies to pods labelled {}, and no pod has that label",
                                policy.name,
                                show(&selector.labels)
                            ),
                        );
                    }
                    selected
                }
                None => Vec::new(),
            };
            for (peer, ingress) in &policy.peers {
                let selected = selects(peer);
                if selected.is_empty() {
                    dangling(
                        &policy.file,
                        peer.line,
                        format!(
                            "NetworkPolicy {} allows {} pods labelled {}, and no pod has that label",
                            policy.name,
                            if *ingress { "ingress from" } else { "egress to" },
                            show(&peer.labels)
                        ),
                    );
                }
                for peer_workload in &selected {
                    for target in &targets {
                        let (from, to) = if *ingress {
                            (*peer_workload, *target)
                        } else {
                            (*target, *peer_workload)
                        };
                        if from.id == to.id {
                            continue;
                        }
                        link(
                            from,
                            to.id.clone(),
                            LinkKind::Calls,
                            format!(
                                "NetworkPolicy {} allows {} {} ({}:{})",
                                policy.name,
                                if *ingress {
                                    "ingress from"
                                } else {
                                    "egress to"
                                },
                                show(&peer.labels),
                                policy.file,
                                peer.line
                            ),
                            &policy.file,
                            peer.line,
                        );
                    }
                }
            }
        }
        out.services.extend(self.artifacts);
        out.links.extend(links);
        out.findings.extend(findings);
        out.findings.extend(env_findings);
    }
}
