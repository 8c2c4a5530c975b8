//! Blast radius: everything that transitively depends on a set of artifacts, i.e. everything
//! that breaks or must move with them when they do.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use super::{ArtifactRef, DependencyGraph};

/// The artifacts that transitively depend on some roots, with counts per kind and per owner.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BlastRadius {
    /// Ids of the roots, sorted.
    pub roots: Vec<String>,
    /// Ids of every artifact that depends on a root, directly or transitively, sorted; the
    /// roots themselves are not included.
    pub affected: Vec<String>,
    /// Count of affected artifacts per kind label (`service`, `table`…).
    pub by_kind: BTreeMap<String, usize>,
    /// Count of affected artifacts per owner; `(no owner)` for those without one.
    pub by_owner: BTreeMap<String, usize>,
}

/// Label under which artifacts without an owner are counted.
pub const NO_OWNER: &str = "(no owner)";

pub(super) fn of(graph: &DependencyGraph, roots: &[ArtifactRef]) -> BlastRadius {
    let mut seen = vec![false; graph.artifact_count()];
    let mut queue: VecDeque<ArtifactRef> = roots.iter().copied().collect();
    let mut affected = Vec::new();
    // Breadth-first over incoming edges: a dependent of a dependent is affected too. Each node
    // is visited once, so cycles terminate.
    while let Some(node) = queue.pop_front() {
        for dependent in graph.dependents(node) {
            let i = dependent.0.index();
            if !seen[i] {
                seen[i] = true;
                affected.push(dependent);
                queue.push_back(dependent);
            }
        }
    }
    let mut result = BlastRadius {
        roots: roots
            .iter()
            .map(|r| graph.artifact(*r).id.clone())
            .collect(),
        ..BlastRadius::default()
    };
    for node in affected {
        if roots.contains(&node) {
            continue;
        }
        let artifact = graph.artifact(node);
        result.affected.push(artifact.id.clone());
        *result
            .by_kind
            .entry(artifact.kind.label().to_owned())
            .or_default() += 1;
        *result
            .by_owner
            .entry(
                artifact
                    .owner
                    .clone()
                    .unwrap_or_else(|| NO_OWNER.to_owned()),
            )
            .or_default() += 1;
    }
    result.roots.sort();
    result.roots.dedup();
    result.affected.sort();
    result
}
