//! The dependency graph over inventory artifacts.
//!
//! An edge `a → b` means "`a` depends on `b`": `b` must exist in the target (and be backfilled)
//! before `a`. A foreign key points from the referencing table to the referenced one, a view to
//! what it reads, a trigger to its table and to the tables it writes, a partition to its parent.
//! Service-level artifacts (services, data stores, APIs…) and their links join the same graph:
//! a service points to the data stores and services it uses, a data store to the tables it
//! holds, so waves order services after their stores and stores after their tables.
//! petgraph is an implementation detail: callers see artifacts, dependencies and
//! [`MigrationOrder`].

mod blast;
mod breaks;
mod export;
mod order;
mod rollup;

use std::collections::HashMap;

use petgraph::graph::{DiGraph, NodeIndex};
use serde::{Deserialize, Serialize};

use crate::inventory::{Inventory, LinkKind, QualifiedName, Service, ServiceKind};

pub use blast::BlastRadius;
pub use breaks::BreakStrategy;
pub use export::{GraphJson, ToDot};
pub use order::{Cycle, DeferredDependency, MigrationOrder, Wave};
pub use rollup::{Group, Rollup};

/// What kind of thing an artifact is: a schema object, or a service-level artifact
/// ([`ServiceKind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArtifactKind {
    /// A base table (or a partition).
    Table,
    /// A view.
    View,
    /// A trigger.
    Trigger,
    /// A service, data store, API… (see [`ServiceKind`]).
    Service(ServiceKind),
}

impl ArtifactKind {
    /// Lower-case label used in ids and exports (`table`, `view`, `trigger`, or the
    /// [`ServiceKind::label`]).
    pub fn label(self) -> &'static str {
        match self {
            Self::Table => "table",
            Self::View => "view",
            Self::Trigger => "trigger",
            Self::Service(kind) => kind.label(),
        }
    }

    /// Whether artifacts of this kind should carry a size estimate (tables and service-level
    /// artifacts that hold or move data; views, triggers, systems, domains and groups do not).
    pub fn has_size(self) -> bool {
        match self {
            Self::Table => true,
            Self::View | Self::Trigger => false,
            Self::Service(kind) => kind.has_size(),
        }
    }

    /// Whether artifacts of this kind should have an owner (everything but views, triggers and
    /// groups, which inherit or are owners).
    pub fn has_owner(self) -> bool {
        !matches!(
            self,
            Self::View | Self::Trigger | Self::Service(ServiceKind::Group)
        )
    }
}

/// A node of the graph: one inventory artifact with what the planner needs of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Artifact {
    /// Stable id, `kind:schema.name` (e.g. `table:sakila.rental`); unique in a graph.
    pub id: String,
    /// Kind.
    pub kind: ArtifactKind,
    /// Qualified name.
    pub name: QualifiedName,
    /// Estimated rows (tables only; `None` = unknown).
    pub rows: Option<u64>,
    /// Estimated bytes (tables only; `None` = unknown).
    pub bytes: Option<u64>,
    /// Owner, when known.
    pub owner: Option<String>,
    /// System it belongs to, when known (service-level artifacts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
}

impl Artifact {
    /// An artifact with no size or owner; the id is derived from kind and name.
    pub fn new(kind: ArtifactKind, name: QualifiedName) -> Self {
        Self {
            id: format!("{}:{name}", kind.label()),
            kind,
            name,
            rows: None,
            bytes: None,
            owner: None,
            system: None,
        }
    }

    /// The artifact of a service-level inventory entry: id `kind:id`, name its display name,
    /// bytes its size.
    pub fn of_service(service: &Service) -> Self {
        let kind = ArtifactKind::Service(service.kind);
        Self {
            id: service.artifact_id(),
            kind,
            name: QualifiedName::new(None, &service.name),
            rows: None,
            bytes: service.size,
            owner: service.owner.clone(),
            system: service.system.clone(),
        }
    }
}

/// Why one artifact depends on another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DependencyKind {
    /// A foreign key (referencing → referenced table).
    ForeignKey,
    /// A view reads a table or view.
    ViewReads,
    /// A trigger fires on a table.
    TriggerOn,
    /// A trigger body writes a table.
    TriggerWrites,
    /// A partition belongs to its parent table.
    PartitionOf,
    /// A service-level link (calls, reads, writes…; see [`LinkKind`]).
    Link(LinkKind),
    /// An ordering constraint from the risk register: `from` migrates after `to`.
    Ordering,
}

impl DependencyKind {
    /// Short label for exports and DOT edges: `fk`, `reads`, `on`, `writes`, `partition of`,
    /// the [`LinkKind::label`], or `ordering`.
    pub fn label(self) -> &'static str {
        match self {
            Self::ForeignKey => "fk",
            Self::ViewReads => "reads",
            Self::TriggerOn => "on",
            Self::TriggerWrites => "writes",
            Self::PartitionOf => "partition of",
            Self::Link(kind) => kind.label(),
            Self::Ordering => "ordering",
        }
    }
}

/// An edge of the graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dependency {
    /// Kind of dependency.
    pub kind: DependencyKind,
    /// Constraint name or other label (FK name), when there is one.
    pub label: Option<String>,
    /// For foreign keys: every referencing column is nullable, so rows can be loaded with the
    /// column NULL and the FK created after the backfill.
    pub nullable: bool,
    /// How the dependency was found, for derived edges (e.g. `env CART_SERVICE_ADDR=… in
    /// Deployment frontend (frontend.yaml:74)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derivation: Option<String>,
}

impl Dependency {
    /// A dependency with no label.
    pub fn new(kind: DependencyKind) -> Self {
        Self {
            kind,
            label: None,
            nullable: false,
            derivation: None,
        }
    }

    /// Whether a cycle can be broken at this edge (it has a [`BreakStrategy`]).
    pub fn deferrable(&self) -> bool {
        self.break_strategy().is_some()
    }
}

/// Handle of an artifact inside one [`DependencyGraph`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ArtifactRef(NodeIndex<u32>);

impl ArtifactRef {
    /// Position of the artifact in insertion order (0-based), to index per-artifact vectors.
    pub(crate) fn index(self) -> usize {
        self.0.index()
    }
}

/// The typed dependency graph (see the module docs for edge direction).
#[derive(Debug, Clone, Default)]
pub struct DependencyGraph {
    graph: DiGraph<Artifact, Dependency, u32>,
    by_id: HashMap<String, ArtifactRef>,
}

impl DependencyGraph {
    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty graph with room for `artifacts` nodes and `dependencies` edges.
    pub fn with_capacity(artifacts: usize, dependencies: usize) -> Self {
        Self {
            graph: DiGraph::with_capacity(artifacts, dependencies),
            by_id: HashMap::with_capacity(artifacts),
        }
    }

    /// Builds the graph of an inventory. References to unknown artifacts add no edge (the
    /// import already reported them as findings).
    pub fn from_inventory(inventory: &Inventory) -> Self {
        let mut graph = Self::with_capacity(
            inventory.tables.len() + inventory.views.len() + inventory.triggers.len(),
            inventory.foreign_key_count(),
        );
        let mut relations: HashMap<QualifiedName, ArtifactRef> = HashMap::new();
        for table in &inventory.tables {
            let mut artifact = Artifact::new(ArtifactKind::Table, table.name.clone());
            artifact.rows = table.rows;
            artifact.bytes = table.bytes;
            artifact.owner.clone_from(&table.owner);
            relations.insert(table.name.clone(), graph.add_artifact(artifact));
        }
        for view in &inventory.views {
            let node = graph.add_artifact(Artifact::new(ArtifactKind::View, view.name.clone()));
            relations.entry(view.name.clone()).or_insert(node);
        }
        let resolve = |name: &QualifiedName| -> Option<ArtifactRef> {
            relations.get(name).copied().or_else(|| {
                inventory
                    .table(name)
                    .and_then(|t| relations.get(&t.name).copied())
            })
        };
        for table in &inventory.tables {
            let from = relations[&table.name];
            for fk in &table.foreign_keys {
                if let Some(to) = resolve(&fk.references) {
                    graph.add_dependency(
                        from,
                        to,
                        Dependency {
                            kind: DependencyKind::ForeignKey,
                            label: Some(fk.name.clone().unwrap_or_else(|| {
                                format!("{}({})", table.name, fk.columns.join(","))
                            })),
                            nullable: fk.nullable,
                            derivation: None,
                        },
                    );
                }
            }
            if let Some(parent) = table.partition_of.as_ref().and_then(resolve) {
                graph.add_dependency(from, parent, Dependency::new(DependencyKind::PartitionOf));
            }
            if let Some(partitioning) = &table.partitioning {
                for child in partitioning.partitions.iter().filter_map(resolve) {
                    if table.partition_of.is_none() && !graph.depends_on(child, from) {
                        graph.add_dependency(
                            child,
                            from,
                            Dependency::new(DependencyKind::PartitionOf),
                        );
                    }
                }
            }
        }
        for view in &inventory.views {
            let from = relations[&view.name];
            for read in view.reads.iter().filter_map(resolve) {
                if read != from {
                    graph.add_dependency(from, read, Dependency::new(DependencyKind::ViewReads));
                }
            }
        }
        for trigger in &inventory.triggers {
            let id = format!("trigger:{}@{}", trigger.name, trigger.table);
            let mut artifact = Artifact::new(ArtifactKind::Trigger, trigger.name.clone());
            artifact.id = id;
            let node = graph.add_artifact(artifact);
            if let Some(on) = resolve(&trigger.table) {
                graph.add_dependency(node, on, Dependency::new(DependencyKind::TriggerOn));
            }
            for write in trigger.writes.iter().filter_map(resolve) {
                if !graph.depends_on(node, write) {
                    graph.add_dependency(
                        node,
                        write,
                        Dependency::new(DependencyKind::TriggerWrites),
                    );
                }
            }
        }
        for service in &inventory.services {
            graph.add_artifact(Artifact::of_service(service));
        }
        // Links were resolved to artifact ids at import; a link still pointing nowhere was
        // reported then and adds no edge.
        for link in &inventory.links {
            if let (Some(from), Some(to)) = (graph.find(&link.from), graph.find(&link.to)) {
                if from != to {
                    graph.add_dependency(
                        from,
                        to,
                        Dependency {
                            kind: DependencyKind::Link(link.kind),
                            label: None,
                            nullable: false,
                            derivation: Some(link.derivation.clone()),
                        },
                    );
                }
            }
        }
        graph
    }

    /// Everything that transitively depends on `roots` (see [`BlastRadius`]).
    pub fn blast_radius(&self, roots: &[ArtifactRef]) -> BlastRadius {
        blast::of(self, roots)
    }

    /// Artifacts grouped by owner, system, kind and wave, with sizes summed and the artifacts
    /// missing an owner or a size listed (see [`Rollup`]).
    pub fn rollup(&self, order: &MigrationOrder) -> Rollup {
        rollup::of(self, order)
    }

    /// Adds an ordering constraint "`first` migrates before `then`" (an edge `then → first` of
    /// kind [`DependencyKind::Ordering`], labelled `label`).
    pub fn add_ordering(&mut self, first: ArtifactRef, then: ArtifactRef, label: &str) {
        self.add_dependency(
            then,
            first,
            Dependency {
                kind: DependencyKind::Ordering,
                label: Some(label.to_owned()),
                nullable: false,
                derivation: None,
            },
        );
    }

    /// Handles of the artifacts that depend directly on `node` (its incoming edges' sources).
    pub fn dependents(&self, node: ArtifactRef) -> impl Iterator<Item = ArtifactRef> + '_ {
        self.graph
            .neighbors_directed(node.0, petgraph::Direction::Incoming)
            .map(ArtifactRef)
    }

    /// Adds an artifact; an artifact with an id already present replaces nothing and returns the
    /// existing handle.
    pub fn add_artifact(&mut self, artifact: Artifact) -> ArtifactRef {
        if let Some(existing) = self.by_id.get(&artifact.id) {
            return *existing;
        }
        let id = artifact.id.clone();
        let node = ArtifactRef(self.graph.add_node(artifact));
        self.by_id.insert(id, node);
        node
    }

    /// Adds the dependency `from → to` ("`from` depends on `to`").
    pub fn add_dependency(&mut self, from: ArtifactRef, to: ArtifactRef, dependency: Dependency) {
        self.graph.add_edge(from.0, to.0, dependency);
    }

    /// Whether an edge `from → to` exists.
    pub fn depends_on(&self, from: ArtifactRef, to: ArtifactRef) -> bool {
        self.graph.contains_edge(from.0, to.0)
    }

    /// The artifact behind a handle.
    pub fn artifact(&self, node: ArtifactRef) -> &Artifact {
        &self.graph[node.0]
    }

    /// The artifact with this id.
    pub fn find(&self, id: &str) -> Option<ArtifactRef> {
        self.by_id.get(id).copied()
    }

    /// All artifacts, in insertion order.
    pub fn artifacts(&self) -> impl Iterator<Item = (ArtifactRef, &Artifact)> {
        self.graph
            .node_indices()
            .map(move |i| (ArtifactRef(i), &self.graph[i]))
    }

    /// All dependencies as `(from, to, dependency)`.
    pub fn dependencies(&self) -> impl Iterator<Item = (ArtifactRef, ArtifactRef, &Dependency)> {
        self.graph.edge_indices().map(move |e| {
            let (a, b) = self
                .graph
                .edge_endpoints(e)
                .expect("edge index from this graph");
            (ArtifactRef(a), ArtifactRef(b), &self.graph[e])
        })
    }

    /// Number of artifacts.
    pub fn artifact_count(&self) -> usize {
        self.graph.node_count()
    }

    /// Number of dependencies.
    pub fn dependency_count(&self) -> usize {
        self.graph.edge_count()
    }

    /// Waves, cycles and their proposed breaks (see [`MigrationOrder`]).
    pub fn order(&self) -> MigrationOrder {
        order::plan_order(&self.graph)
    }
}
