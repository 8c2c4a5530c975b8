//! Graph exports: Graphviz DOT (for `dot -Tsvg`) and a JSON document for tools and the UI.

use std::collections::HashMap;
use std::fmt::Write;

use serde::{Deserialize, Serialize};

use super::{DependencyGraph, DependencyKind, MigrationOrder};

/// Rendering to Graphviz DOT.
pub trait ToDot {
    /// DOT text: nodes grouped in one cluster per wave, deferred FKs dashed red, edges labelled
    /// with their kind. Node order and edge order are stable (sorted by id).
    fn to_dot(&self, order: &MigrationOrder) -> String;
}

/// The JSON shape of an exported graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphJson {
    /// Nodes, sorted by id.
    pub nodes: Vec<NodeJson>,
    /// Edges, sorted by (from, to, kind, label).
    pub edges: Vec<EdgeJson>,
    /// Waves and cycles.
    pub order: MigrationOrder,
}

/// A node in [`GraphJson`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeJson {
    /// Artifact id.
    pub id: String,
    /// Artifact kind label (`table`, `view`, `trigger`, `service`, `datastore`…).
    pub kind: String,
    /// Qualified name.
    pub name: String,
    /// 1-based wave.
    pub wave: usize,
    /// Estimated rows.
    pub rows: Option<u64>,
    /// Estimated bytes.
    pub bytes: Option<u64>,
    /// Owner, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// System, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
}

/// An edge in [`GraphJson`]: `from` depends on `to`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EdgeJson {
    /// Dependent artifact id.
    pub from: String,
    /// Dependency artifact id.
    pub to: String,
    /// Dependency kind.
    pub kind: DependencyKind,
    /// Constraint name or label.
    pub label: Option<String>,
    /// Whether the plan defers this dependency to break a cycle.
    pub deferred: bool,
    /// How the dependency was derived, for service-level links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derivation: Option<String>,
}

impl GraphJson {
    /// The JSON document of `graph` under `order`.
    pub fn new(graph: &DependencyGraph, order: &MigrationOrder) -> Self {
        let wave_of = order.wave_of();
        let deferred: std::collections::HashSet<(&str, &str, DependencyKind, Option<&str>)> = order
            .deferred()
            .map(|d| (d.from.as_str(), d.to.as_str(), d.kind, d.label.as_deref()))
            .collect();
        let mut nodes: Vec<NodeJson> = graph
            .artifacts()
            .map(|(_, a)| NodeJson {
                id: a.id.clone(),
                kind: a.kind.label().to_owned(),
                name: a.name.to_string(),
                wave: wave_of.get(a.id.as_str()).copied().unwrap_or(0),
                rows: a.rows,
                bytes: a.bytes,
                owner: a.owner.clone(),
                system: a.system.clone(),
            })
            .collect();
        nodes.sort_by(|a, b| a.id.cmp(&b.id));
        let mut edges: Vec<EdgeJson> = graph
            .dependencies()
            .map(|(f, t, d)| {
                let (from, to) = (&graph.artifact(f).id, &graph.artifact(t).id);
                EdgeJson {
                    deferred: deferred.contains(&(
                        from.as_str(),
                        to.as_str(),
                        d.kind,
                        d.label.as_deref(),
                    )),
                    from: from.clone(),
                    to: to.clone(),
                    kind: d.kind,
                    label: d.label.clone(),
                    derivation: d.derivation.clone(),
                }
            })
            .collect();
        edges.sort();
        Self {
            nodes,
            edges,
            order: order.clone(),
        }
    }
}

fn dot_id(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

impl ToDot for DependencyGraph {
    fn to_dot(&self, order: &MigrationOrder) -> String {
        let json = GraphJson::new(self, order);
        let mut by_wave: HashMap<usize, Vec<&NodeJson>> = HashMap::new();
        for node in &json.nodes {
            by_wave.entry(node.wave).or_default().push(node);
        }
        let mut out = String::from(
            "digraph migration {\n  rankdir=RL;\n  node [shape=box, fontname=\"Helvetica\"];\n",
        );
        let mut waves: Vec<_> = by_wave.into_iter().collect();
        waves.sort_by_key(|(w, _)| *w);
        for (wave, nodes) in waves {
            let _ = writeln!(
                out,
                "  subgraph cluster_wave_{wave} {{\n    label=\"wave {wave}\";"
            );
            for node in nodes {
                let shape = match node.kind.as_str() {
                    "view" => ", shape=ellipse",
                    "trigger" => ", shape=diamond",
                    "table" => "",
                    "datastore" => ", shape=cylinder",
                    "queue" => ", shape=cds",
                    "api" => ", shape=component",
                    _ => ", shape=box, style=rounded",
                };
                let _ = writeln!(
                    out,
                    "    {} [label={}{shape}];",
                    dot_id(&node.id),
                    dot_id(&node.name)
                );
            }
            out.push_str("  }\n");
        }
        for edge in &json.edges {
            let style = if edge.deferred {
                ", style=dashed, color=red"
            } else {
                ""
            };
            let label = edge.label.as_deref().unwrap_or(edge.kind.label());
            let _ = writeln!(
                out,
                "  {} -> {} [label={}{style}];",
                dot_id(&edge.from),
                dot_id(&edge.to),
                dot_id(label)
            );
        }
        out.push_str("}\n");
        out
    }
}
