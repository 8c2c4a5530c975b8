//! How a cycle is broken at one edge: one strategy per dependency kind.
//!
//! A cycle of artifacts cannot be migrated one after the other, so the planner cuts edges in it
//! and says how the cut is bridged while both sides are live:
//!
//! | dependency | strategy | bridge |
//! |---|---|---|
//! | foreign key | [`BreakStrategy::DeferForeignKey`] | load NULL or with checks deferred, create the FK after the backfill |
//! | `writes`, `publishes` | [`BreakStrategy::DualWrite`] | the writer writes both the old and the new store until both sides have moved |
//! | `calls`, `depends-on`, `consumes-api` | [`BreakStrategy::AntiCorruptionLayer`] | the caller talks to a facade that routes to whichever side is live |
//! | `reads`, `consumes`, `uses-table` | [`BreakStrategy::TemporaryReplica`] | the reader reads a replica kept in sync until its source has moved |
//!
//! Structural dependencies (views, triggers, partitions, `contains`, `part-of`,
//! `provides-api`, `configures`, `schedules`, ordering constraints) are never cut.
//!
//! Which edges are cut: edges are kept greedily from the most to the least costly to cut, and
//! an edge is cut when keeping it would close a cycle. Costs: a NOT NULL FK and a dual write 3
//! (every row or write touched twice), an anti-corruption layer 2 (code to write), a nullable
//! FK and a temporary replica 1 (configuration only). So nullable FKs are cut before NOT NULL
//! ones, as before service links existed.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Dependency, DependencyKind};
use crate::inventory::LinkKind;

/// How a cut edge of a cycle is bridged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BreakStrategy {
    /// Create the foreign key after the backfill (load NULL, or with checks deferred).
    DeferForeignKey,
    /// The dependent writes to both the old and the new store.
    DualWrite,
    /// The dependent calls a facade that routes to whichever side is live.
    AntiCorruptionLayer,
    /// The dependent reads a replica kept in sync until its source has moved.
    TemporaryReplica,
}

impl BreakStrategy {
    /// One sentence for plans and runbooks.
    pub fn describe(self) -> &'static str {
        match self {
            Self::DeferForeignKey => "create the foreign key after the backfill",
            Self::DualWrite => {
                "dual write: the dependent writes both the old and the new store until both have moved"
            }
            Self::AntiCorruptionLayer => {
                "anti-corruption layer: the dependent calls a facade that routes to whichever side is live"
            }
            Self::TemporaryReplica => {
                "temporary replica: the dependent reads a replica kept in sync until its source has moved"
            }
        }
    }
}

impl fmt::Display for BreakStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::DeferForeignKey => "defer foreign key",
            Self::DualWrite => "dual write",
            Self::AntiCorruptionLayer => "anti-corruption layer",
            Self::TemporaryReplica => "temporary replica",
        })
    }
}

impl Dependency {
    /// How a cycle is broken at this edge; `None` for structural dependencies.
    pub fn break_strategy(&self) -> Option<BreakStrategy> {
        match self.kind {
            DependencyKind::ForeignKey => Some(BreakStrategy::DeferForeignKey),
            DependencyKind::Link(kind) => match kind {
                LinkKind::Writes | LinkKind::Publishes => Some(BreakStrategy::DualWrite),
                LinkKind::Calls | LinkKind::DependsOn | LinkKind::ConsumesApi => {
                    Some(BreakStrategy::AntiCorruptionLayer)
                }
                LinkKind::Reads | LinkKind::Consumes | LinkKind::UsesTable => {
                    Some(BreakStrategy::TemporaryReplica)
                }
                LinkKind::Schedules
                | LinkKind::Configures
                | LinkKind::ProvidesApi
                | LinkKind::Contains
                | LinkKind::PartOf => None,
            },
            DependencyKind::ViewReads
            | DependencyKind::TriggerOn
            | DependencyKind::TriggerWrites
            | DependencyKind::PartitionOf
            | DependencyKind::Ordering => None,
        }
    }

    /// Cost of cutting this edge (see the module docs); `None` when it cannot be cut.
    pub fn break_cost(&self) -> Option<u8> {
        self.break_strategy().map(|strategy| match strategy {
            BreakStrategy::DeferForeignKey if self.nullable => 1,
            BreakStrategy::DeferForeignKey | BreakStrategy::DualWrite => 3,
            BreakStrategy::AntiCorruptionLayer => 2,
            BreakStrategy::TemporaryReplica => 1,
        })
    }
}
