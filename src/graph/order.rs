//! Migration order: waves (topological layers), cycles and how they are broken.
//!
//! 1. Strongly connected components (Kosaraju, iterative, so a 100k-long FK chain cannot
//!    overflow the stack) find every cycle; a self-loop is a cycle of one.
//! 2. Each cycle is broken by cutting edges, each with the [`BreakStrategy`] of its kind: a
//!    foreign key is created after the backfill, a service's write becomes a dual write, a call
//!    goes through an anti-corruption layer, a read through a temporary replica (see
//!    [`super::breaks`]). Edges are kept greedily in order of how much they matter (structural
//!    edges, then by falling cut cost: NOT NULL FKs and writes, calls, then nullable FKs and
//!    reads; ties by id), and an edge is cut ("deferred") when keeping it would close a cycle.
//!    So nullable FKs are deferred before NOT NULL ones and the deferred set is minimal:
//!    re-adding any one deferred edge would recreate a cycle.
//! 3. Waves are the longest-path layering of the condensation of the graph without the deferred
//!    edges (Kahn's algorithm over components): wave 1 depends on nothing, wave *n* only on
//!    earlier waves. A cycle that cannot be broken (no cuttable edge in it) stays one unit in
//!    one wave.

use std::collections::{HashMap, VecDeque};

use fixedbitset::FixedBitSet;
use petgraph::algo::kosaraju_scc;
use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;
use serde::{Deserialize, Serialize};

use super::{Artifact, BreakStrategy, Dependency, DependencyKind};

/// One wave: artifacts that can be migrated together once every earlier wave is done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wave {
    /// 1-based wave number.
    pub number: usize,
    /// Artifact ids, sorted.
    pub artifacts: Vec<String>,
}

/// A dependency the plan cuts (defers) to break a cycle, and how the cut is bridged.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DeferredDependency {
    /// Dependent artifact id (the referencing table, the calling service).
    pub from: String,
    /// Dependency artifact id.
    pub to: String,
    /// Constraint name or label.
    pub label: Option<String>,
    /// Whether the referencing columns are nullable (load NULL, set after the backfill).
    pub nullable: bool,
    /// Kind of the cut dependency.
    pub kind: DependencyKind,
    /// How the cut is bridged while both sides are live.
    pub strategy: BreakStrategy,
}

/// A strongly connected component of more than one artifact, or a self-reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cycle {
    /// Member ids, sorted.
    pub members: Vec<String>,
    /// True for a single artifact that references itself.
    pub self_reference: bool,
    /// Dependencies cut to break it (FKs deferred, service links bridged).
    pub deferred: Vec<DeferredDependency>,
    /// False when the cycle has no cuttable edge left; its members then share a wave.
    pub broken: bool,
}

/// Waves and cycles of a graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationOrder {
    /// Waves in order.
    pub waves: Vec<Wave>,
    /// Cycles, sorted by first member.
    pub cycles: Vec<Cycle>,
}

impl MigrationOrder {
    /// Wave number of each artifact id.
    pub fn wave_of(&self) -> HashMap<&str, usize> {
        self.waves
            .iter()
            .flat_map(|w| w.artifacts.iter().map(move |a| (a.as_str(), w.number)))
            .collect()
    }

    /// Every deferred dependency, over all cycles.
    pub fn deferred(&self) -> impl Iterator<Item = &DeferredDependency> {
        self.cycles.iter().flat_map(|c| c.deferred.iter())
    }
}

pub(super) fn plan_order(graph: &DiGraph<Artifact, Dependency, u32>) -> MigrationOrder {
    let mut deferred_edges = FixedBitSet::with_capacity(graph.edge_count());
    let mut has_self_loop = FixedBitSet::with_capacity(graph.node_count());
    for edge in graph.edge_references() {
        if edge.source() == edge.target() {
            has_self_loop.insert(edge.source().index());
        }
    }
    let components = kosaraju_scc(graph);
    // Components with a cut edge, which may split into several once it is cut.
    let mut cut = vec![false; components.len()];
    let mut cycles = Vec::new();
    for (c, component) in components.iter().enumerate() {
        let self_loops: Vec<EdgeIndex> =
            if component.len() == 1 && has_self_loop.contains(component[0].index()) {
                graph
                    .edges_connecting(component[0], component[0])
                    .map(|e| e.id())
                    .collect()
            } else {
                Vec::new()
            };
        if component.len() == 1 && self_loops.is_empty() {
            continue;
        }
        let (deferred, broken) = if component.len() == 1 {
            let deferrable: Vec<_> = self_loops
                .iter()
                .copied()
                .filter(|e| graph[*e].deferrable())
                .collect();
            let broken = deferrable.len() == self_loops.len();
            (deferrable, broken)
        } else {
            break_cycle(graph, component)
        };
        cut[c] = component.len() > 1 && !deferred.is_empty();
        for edge in &deferred {
            deferred_edges.insert(edge.index());
        }
        let mut members: Vec<String> = component.iter().map(|n| graph[*n].id.clone()).collect();
        members.sort();
        let mut deferred: Vec<DeferredDependency> = deferred
            .iter()
            .map(|e| {
                let (a, b) = graph.edge_endpoints(*e).expect("edge of this graph");
                let dependency = &graph[*e];
                DeferredDependency {
                    from: graph[a].id.clone(),
                    to: graph[b].id.clone(),
                    label: dependency.label.clone(),
                    nullable: dependency.nullable,
                    kind: dependency.kind,
                    strategy: dependency
                        .break_strategy()
                        .expect("only edges with a strategy are deferred"),
                }
            })
            .collect();
        deferred.sort();
        cycles.push(Cycle {
            members,
            self_reference: component.len() == 1,
            deferred,
            broken,
        });
    }
    cycles.sort_by(|a, b| a.members.cmp(&b.members));
    MigrationOrder {
        waves: layer(graph, &components, &cut, &deferred_edges),
        cycles,
    }
}

/// Chooses edges to cut inside one strongly connected component (see the module docs).
/// Returns the deferred edges and whether every cycle could be broken.
fn break_cycle(
    graph: &DiGraph<Artifact, Dependency, u32>,
    component: &[NodeIndex<u32>],
) -> (Vec<EdgeIndex>, bool) {
    let local: HashMap<NodeIndex<u32>, usize> =
        component.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let mut edges: Vec<EdgeIndex> = component
        .iter()
        .flat_map(|n| graph.edges(*n))
        .filter(|e| local.contains_key(&e.target()) && e.source() != e.target())
        .map(|e| e.id())
        .collect();
    // Keep-priority: structural edges cannot be cut, then the costlier a cut, the earlier kept.
    edges.sort_by_key(|e| {
        let d = &graph[*e];
        let (a, b) = graph.edge_endpoints(*e).expect("edge of this graph");
        (
            std::cmp::Reverse(d.break_cost().unwrap_or(u8::MAX)),
            graph[a].id.clone(),
            graph[b].id.clone(),
            d.label.clone(),
        )
    });
    let mut kept: Vec<Vec<usize>> = vec![Vec::new(); component.len()];
    let mut deferred = Vec::new();
    let mut broken = true;
    for edge in edges {
        let (a, b) = graph.edge_endpoints(edge).expect("edge of this graph");
        let (from, to) = (local[&a], local[&b]);
        if reaches(&kept, to, from) {
            if graph[edge].deferrable() {
                deferred.push(edge);
                continue;
            }
            broken = false;
        }
        kept[from].push(to);
    }
    (deferred, broken)
}

fn reaches(adjacency: &[Vec<usize>], start: usize, goal: usize) -> bool {
    let mut seen = vec![false; adjacency.len()];
    let mut queue = VecDeque::from([start]);
    seen[start] = true;
    while let Some(n) = queue.pop_front() {
        if n == goal {
            return true;
        }
        for &m in &adjacency[n] {
            if !seen[m] {
                seen[m] = true;
                queue.push_back(m);
            }
        }
    }
    false
}

/// Longest-path layering of the condensation without the deferred edges.
///
/// `components_of_graph` are the strongly connected components of the whole graph. Cutting
/// edges can only split the components that had an edge cut (`cut`), so only those are computed
/// again.
fn layer(
    graph: &DiGraph<Artifact, Dependency, u32>,
    components_of_graph: &[Vec<NodeIndex<u32>>],
    cut: &[bool],
    deferred: &FixedBitSet,
) -> Vec<Wave> {
    let mut component_of = vec![0usize; graph.node_count()];
    let mut components = 0;
    for (component, &cut) in components_of_graph.iter().zip(cut) {
        if cut {
            for part in split(graph, component, deferred) {
                for n in part {
                    component_of[n.index()] = components;
                }
                components += 1;
            }
        } else {
            for n in component {
                component_of[n.index()] = components;
            }
            components += 1;
        }
    }
    let mut pending_deps = vec![0usize; components];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); components];
    for edge in graph.edge_references() {
        if deferred.contains(edge.id().index()) {
            continue;
        }
        let (c, d) = (
            component_of[edge.source().index()],
            component_of[edge.target().index()],
        );
        // Parallel edges are counted once per edge on both sides, which Kahn's algorithm tolerates.
        if c != d {
            pending_deps[c] += 1;
            dependents[d].push(c);
        }
    }
    let mut level = vec![0usize; components];
    let mut ready: VecDeque<usize> = (0..components).filter(|c| pending_deps[*c] == 0).collect();
    while let Some(d) = ready.pop_front() {
        for &c in &dependents[d] {
            level[c] = level[c].max(level[d] + 1);
            pending_deps[c] -= 1;
            if pending_deps[c] == 0 {
                ready.push_back(c);
            }
        }
    }
    let depth = level.iter().copied().max().map_or(0, |m| m + 1);
    let mut waves: Vec<Wave> = (0..depth)
        .map(|i| Wave {
            number: i + 1,
            artifacts: Vec::new(),
        })
        .collect();
    for node in graph.node_indices() {
        waves[level[component_of[node.index()]]]
            .artifacts
            .push(graph[node].id.clone());
    }
    for wave in &mut waves {
        wave.artifacts.sort_unstable();
    }
    waves
}

/// Strongly connected components of `component` without the deferred edges and self-loops.
fn split(
    graph: &DiGraph<Artifact, Dependency, u32>,
    component: &[NodeIndex<u32>],
    deferred: &FixedBitSet,
) -> Vec<Vec<NodeIndex<u32>>> {
    let local: HashMap<NodeIndex<u32>, NodeIndex<u32>> = component
        .iter()
        .enumerate()
        .map(|(i, n)| (*n, NodeIndex::new(i)))
        .collect();
    let mut sub: DiGraph<NodeIndex<u32>, (), u32> = DiGraph::new();
    for &n in component {
        sub.add_node(n);
    }
    for &n in component {
        for edge in graph.edges(n) {
            if deferred.contains(edge.id().index()) || edge.source() == edge.target() {
                continue;
            }
            if let Some(&to) = local.get(&edge.target()) {
                sub.add_edge(local[&n], to, ());
            }
        }
    }
    kosaraju_scc(&sub)
        .into_iter()
        .map(|part| part.into_iter().map(|i| sub[i]).collect())
        .collect()
}
