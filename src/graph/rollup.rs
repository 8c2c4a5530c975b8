//! Inventory views: artifacts grouped by owner, by system, by kind and by wave, with their
//! sizes summed, and the artifacts that lack an owner or a size estimate.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::blast::NO_OWNER;
use super::{DependencyGraph, MigrationOrder};

/// One group of a view.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Group {
    /// Group key: owner, system, kind label or wave number (as text); `(no owner)` /
    /// `(no system)` for artifacts without one.
    pub key: String,
    /// Number of artifacts.
    pub artifacts: usize,
    /// Sum of known row estimates.
    pub rows: u64,
    /// Sum of known sizes, in bytes.
    pub bytes: u64,
    /// Artifacts that should have a size and have none (their sizes are missing from `bytes`).
    pub missing_sizes: usize,
}

/// The views of one graph under one order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Rollup {
    /// Groups by owner, sorted by key.
    pub by_owner: Vec<Group>,
    /// Groups by system, sorted by key.
    pub by_system: Vec<Group>,
    /// Groups by kind label, sorted by key.
    pub by_kind: Vec<Group>,
    /// Groups by wave, in wave order (keys `1`, `2`…).
    pub by_wave: Vec<Group>,
    /// Ids of artifacts that should have an owner and have none, sorted.
    pub no_owner: Vec<String>,
    /// Ids of artifacts that should have a size estimate and have none, sorted.
    pub no_size: Vec<String>,
}

/// Label under which artifacts without a system are grouped.
pub const NO_SYSTEM: &str = "(no system)";

pub(super) fn of(graph: &DependencyGraph, order: &MigrationOrder) -> Rollup {
    let wave_of = order.wave_of();
    let mut owner: BTreeMap<String, Group> = BTreeMap::new();
    let mut system: BTreeMap<String, Group> = BTreeMap::new();
    let mut kind: BTreeMap<String, Group> = BTreeMap::new();
    let mut wave: BTreeMap<usize, Group> = BTreeMap::new();
    let mut rollup = Rollup::default();
    for (_, artifact) in graph.artifacts() {
        let missing_size = artifact.kind.has_size() && artifact.bytes.is_none();
        if missing_size {
            rollup.no_size.push(artifact.id.clone());
        }
        if artifact.kind.has_owner() && artifact.owner.is_none() {
            rollup.no_owner.push(artifact.id.clone());
        }
        let add = |group: &mut Group| {
            group.artifacts += 1;
            group.rows += artifact.rows.unwrap_or(0);
            group.bytes += artifact.bytes.unwrap_or(0);
            group.missing_sizes += usize::from(missing_size);
        };
        add(owner
            .entry(artifact.owner.clone().unwrap_or_else(|| NO_OWNER.into()))
            .or_default());
        add(system
            .entry(artifact.system.clone().unwrap_or_else(|| NO_SYSTEM.into()))
            .or_default());
        add(kind.entry(artifact.kind.label().to_owned()).or_default());
        add(wave
            .entry(wave_of.get(artifact.id.as_str()).copied().unwrap_or(0))
            .or_default());
    }
    let keyed = |map: BTreeMap<String, Group>| -> Vec<Group> {
        map.into_iter()
            .map(|(key, group)| Group { key, ..group })
            .collect()
    };
    rollup.by_owner = keyed(owner);
    rollup.by_system = keyed(system);
    rollup.by_kind = keyed(kind);
    rollup.by_wave = wave
        .into_iter()
        .map(|(number, group)| Group {
            key: number.to_string(),
            ..group
        })
        .collect();
    rollup.no_owner.sort();
    rollup.no_size.sort();
    rollup
}
