//! Risk suggestions derived from the inventory and the plan. Each has a stable key (so a
//! decision on it survives re-planning) and a proposed [`Risk`] without an id.
//!
//! | key | when | category, severity × likelihood |
//! |---|---|---|
//! | `fk-cycle:<members>` | a cycle broken by deferring FKs: orphans can slip in until the FKs exist | data loss, 3 × 3 |
//! | `service-cycle:<members>` | a cycle among services, bridged by dual writes, facades or replicas | compatibility, 4 × 3 |
//! | `unbroken-cycle:<members>` | a cycle with nothing to cut: its members move together | downtime, 4 × 4 |
//! | `no-primary-key:<table>` | a table without a primary key cannot be keyset-paged or validated by key | data loss, 4 × 3 |
//! | `non-transactional:<table>` | a MySQL table without transactions (MyISAM): a statement aborted after writing it keeps the row and loses its captured change | data loss, 4 × 2 |
//! | `no-owner:<kind>` | artifacts of one kind without an owner | other, 2 × 4 |
//! | `finding:<code>:<source>:<line>` | an import warning (dangling reference, duplicate table…) | compatibility, 3 × 3 |
//! | `ponr` | the point of no return: after it, returning to the source exceeds the RTO | downtime, 4 × 2 |
//!
//! Narrowing casts from a mapping review will join these once mappings are reviewed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Category, Risk};
use crate::graph::{DependencyGraph, DependencyKind};
use crate::inventory::{Inventory, Severity};
use crate::plan::{Phase, Plan, StepKind};

/// A suggested risk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    /// Stable key, e.g. `no-primary-key:table:sakila.film_text`.
    pub key: String,
    /// Why it is suggested.
    pub reason: String,
    /// The risk it would become (empty id).
    pub risk: Risk,
}

/// Artifacts as people name them in a title: `sakila.staff and sakila.store`, without the kind
/// prefix of their ids (`table:`), which the risk's linked artifacts keep.
fn names(ids: &[String]) -> String {
    let names: Vec<&str> = ids
        .iter()
        .map(|id| id.split_once(':').map_or(id.as_str(), |(_, name)| name))
        .collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The singular and plural words of an artifact kind's label (`table`, `datastore`, `api`…).
fn kind_words(label: &str) -> (String, String) {
    let singular = match label {
        "datastore" => "data store",
        "api" => "API",
        "config" => "configuration",
        other => other,
    };
    (singular.to_owned(), format!("{singular}s"))
}

fn first_step(plan: &Plan, phase: Phase) -> Option<String> {
    plan.steps
        .iter()
        .find(|s| s.phase == phase)
        .map(|s| s.id.clone())
}

/// Every suggestion for this inventory, graph and plan, in key order.
pub fn suggest(inventory: &Inventory, graph: &DependencyGraph, plan: &Plan) -> Vec<Suggestion> {
    let mut out = Vec::new();
    let constraints_step = first_step(plan, Phase::Constraints);
    let validation_step = first_step(plan, Phase::Validation);
    for cycle in &plan.order.cycles {
        let members = cycle.members.join(",");
        let mut push = |key: String, reason: String, mut risk: Risk, retired_by: Option<String>| {
            risk.artifacts.clone_from(&cycle.members);
            risk.retired_by = retired_by;
            out.push(Suggestion { key, reason, risk });
        };
        if !cycle.broken {
            push(
                format!("unbroken-cycle:{members}"),
                "a dependency cycle has no edge that can be cut".into(),
                Risk::new(
                    "",
                    &format!("Cycle {} must migrate as one unit", names(&cycle.members)),
                    Category::Downtime,
                    4,
                    4,
                ),
                None,
            );
            continue;
        }
        let fk = cycle
            .deferred
            .iter()
            .any(|d| d.kind == DependencyKind::ForeignKey);
        if fk {
            let mut risk = Risk::new(
                "",
                &format!(
                    "Orphan rows while FKs of the cycle {} are deferred",
                    names(&cycle.members)
                ),
                Category::DataLoss,
                3,
                3,
            );
            risk.mitigation =
                Some("Create the deferred FKs before validation and check that none fails".into());
            push(
                format!("fk-cycle:{members}"),
                "a foreign key cycle is broken by deferring FKs".into(),
                risk,
                constraints_step.clone(),
            );
        } else {
            let bridges: Vec<String> = cycle
                .deferred
                .iter()
                .map(|d| format!("{} {} -> {}", d.strategy, d.from, d.to))
                .collect();
            let mut risk = Risk::new(
                "",
                &format!(
                    "Services in a cycle ({}) run against both sides while it is bridged",
                    names(&cycle.members)
                ),
                Category::Compatibility,
                4,
                3,
            );
            risk.mitigation = Some(format!("Bridge: {}", bridges.join("; ")));
            push(
                format!("service-cycle:{members}"),
                "a cycle among services is broken by a bridge".into(),
                risk,
                None,
            );
        }
    }
    for table in &inventory.tables {
        if table.primary_key.is_empty() {
            let id = format!("table:{}", table.name);
            let mut risk = Risk::new(
                "",
                &format!(
                    "{} has no primary key: it cannot be keyset-paged or validated row by row",
                    table.name
                ),
                Category::DataLoss,
                4,
                3,
            );
            risk.mitigation =
                Some("Add a key on the target, or copy it whole and compare full checksums".into());
            risk.artifacts = vec![id.clone()];
            risk.retired_by.clone_from(&validation_step);
            out.push(Suggestion {
                key: format!("no-primary-key:{id}"),
                reason: "table without a primary key".into(),
                risk,
            });
        }
    }
    let capture_step = first_step(plan, Phase::Capture);
    for table in inventory.tables.iter().filter(|t| !t.transactional()) {
        let id = format!("table:{}", table.name);
        let mut risk = Risk::new(
            "",
            &format!(
                "{} is {}, without transactions: a write aborted after it lands keeps the row and loses its captured change",
                table.name,
                table.storage_engine.as_deref().unwrap_or("non-transactional")
            ),
            Category::DataLoss,
            4,
            2,
        );
        risk.mitigation = Some(
            "Convert it to InnoDB before change capture starts (ALTER TABLE … ENGINE=InnoDB), or keep its writers stopped from the capture to the cutover; the rehearsal's workload leaves it alone".into(),
        );
        risk.artifacts = vec![id.clone()];
        risk.retired_by.clone_from(&capture_step);
        out.push(Suggestion {
            key: format!("non-transactional:{id}"),
            reason: "table without transactions under trigger-based change capture".into(),
            risk,
        });
    }
    let mut unowned: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (_, artifact) in graph.artifacts() {
        if artifact.kind.has_owner() && artifact.owner.is_none() {
            unowned
                .entry(artifact.kind.label())
                .or_default()
                .push(artifact.id.clone());
        }
    }
    for (kind, mut ids) in unowned {
        ids.sort();
        let mut risk = Risk::new(
            "",
            &match ids.len() {
                1 => format!("1 {} has no owner to sign off its move", kind_words(kind).0),
                n => format!(
                    "{n} {} have no owner to sign off their move",
                    kind_words(kind).1
                ),
            },
            Category::Other,
            2,
            4,
        );
        risk.artifacts = ids;
        out.push(Suggestion {
            key: format!("no-owner:{kind}"),
            reason: "artifacts without an owner".into(),
            risk,
        });
    }
    for finding in inventory
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
    {
        let line = finding.line.map(|l| l.to_string()).unwrap_or_default();
        out.push(Suggestion {
            key: format!("finding:{}:{}:{line}", finding.code, finding.source),
            reason: format!("import warning {}", finding.code),
            risk: Risk::new(
                "",
                &format!(
                    "{} ({}{})",
                    finding.message,
                    finding.source,
                    if line.is_empty() {
                        String::new()
                    } else {
                        format!(":{line}")
                    }
                ),
                Category::Compatibility,
                3,
                3,
            ),
        });
    }
    if let Some(ponr) = &plan.point_of_no_return {
        let go = plan
            .steps
            .iter()
            .take_while(|s| s.id != ponr.step_id)
            .filter(|s| s.kind == StepKind::Checkpoint)
            .last()
            .map(|s| s.id.clone());
        let mut risk = Risk::new(
            "",
            &format!(
                "After step {} returning to the source is impossible or exceeds the RTO",
                ponr.step_id
            ),
            Category::Downtime,
            4,
            2,
        );
        risk.mitigation = Some(
            "Rehearse up to the point of no return and drill the rollback from just before it"
                .into(),
        );
        risk.retired_by = go;
        out.push(Suggestion {
            key: "ponr".into(),
            reason: ponr.reason.clone(),
            risk,
        });
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

#[cfg(test)]
mod words {
    use super::{kind_words, names};

    #[test]
    fn titles_name_artifacts_as_people_do() {
        let ids = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            names(&ids(&["table:sakila.staff", "table:sakila.store"])),
            "sakila.staff and sakila.store"
        );
        assert_eq!(
            names(&ids(&["service:a", "service:b", "datastore:c"])),
            "a, b and c"
        );
        assert_eq!(names(&ids(&["plain"])), "plain");
        assert_eq!(kind_words("table").1, "tables");
        assert_eq!(
            kind_words("datastore"),
            ("data store".into(), "data stores".into())
        );
        assert_eq!(kind_words("api").1, "APIs");
    }
}
