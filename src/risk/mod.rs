//! The risk register: what could go wrong, how likely and how bad, who owns it, how it is
//! mitigated and which runbook step or validation check retires it.
//!
//! - A [`Risk`] has a category, a severity and a likelihood (1–5 each), so a score
//!   (severity × likelihood, 1–25), linked artifacts (graph ids such as `table:sakila.rental` or
//!   `service:carts`) and optional ordering constraints ("X must migrate before Y") that the
//!   planner honours ([`apply_ordering`]).
//! - Its blast radius is the graph's blast radius of its linked artifacts ([`blast_radius`]).
//! - Risks without a mitigation or an owner are flagged ([`Risk::flags`]).
//! - The register is kept in the project store ([`register`]), exported to and imported from
//!   CSV with the same spreadsheet-safe writer as the runbook ([`table`]), and summarised in a
//!   severity × likelihood heat map ([`heatmap`]).
//! - [`suggest`] derives suggestions from the plan (FK cycles, service cycles, tables without a
//!   primary key, artifacts without an owner, dangling references, the point of no return),
//!   which an architect accepts (they become risks) or dismisses.

pub mod heatmap;
pub mod register;
pub mod suggest;
pub mod table;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::graph::{BlastRadius, DependencyGraph};

/// What kind of harm a risk is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// Rows lost, duplicated or corrupted.
    DataLoss,
    /// Longer outage than planned.
    Downtime,
    /// Something stops working with the target (types, APIs, clients).
    Compatibility,
    /// Slower than before, or than the window allows.
    Performance,
    /// Exposure of data or access.
    Security,
    /// Anything else.
    Other,
}

impl Category {
    /// Every category, in documentation order.
    pub const ALL: [Category; 6] = [
        Self::DataLoss,
        Self::Downtime,
        Self::Compatibility,
        Self::Performance,
        Self::Security,
        Self::Other,
    ];
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::DataLoss => "data loss",
            Self::Downtime => "downtime",
            Self::Compatibility => "compatibility",
            Self::Performance => "performance",
            Self::Security => "security",
            Self::Other => "other",
        })
    }
}

impl FromStr for Category {
    type Err = String;

    /// Accepts `data loss`, `data-loss`, `data_loss` and the other names, case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key = s.trim().to_ascii_lowercase().replace(['-', '_'], " ");
        Self::ALL
            .into_iter()
            .find(|c| c.to_string() == key)
            .ok_or_else(|| {
                format!("unknown category `{s}` (expected data loss, downtime, compatibility, performance, security or other)")
            })
    }
}

/// Where a risk stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Identified, nothing done yet.
    Open,
    /// The mitigation is under way.
    Mitigating,
    /// Accepted as is by its owner.
    Accepted,
    /// Retired: the retiring step or check has passed.
    Retired,
}

impl Status {
    /// Every status, in the order a risk usually goes through them.
    pub const ALL: [Status; 4] = [Self::Open, Self::Mitigating, Self::Accepted, Self::Retired];
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Open => "open",
            Self::Mitigating => "mitigating",
            Self::Accepted => "accepted",
            Self::Retired => "retired",
        })
    }
}

impl FromStr for Status {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "open" => Ok(Self::Open),
            "mitigating" | "in progress" | "in-progress" => Ok(Self::Mitigating),
            "accepted" => Ok(Self::Accepted),
            "retired" | "closed" => Ok(Self::Retired),
            _ => Err(format!(
                "unknown status `{s}` (expected open, mitigating, accepted or retired)"
            )),
        }
    }
}

/// "`first` must migrate before `then`", both artifact ids.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OrderingConstraint {
    /// Artifact that migrates first.
    pub first: String,
    /// Artifact that migrates after it.
    pub then: String,
}

impl fmt::Display for OrderingConstraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} before {}", self.first, self.then)
    }
}

impl FromStr for OrderingConstraint {
    type Err = String;

    /// Parses `X before Y`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once(" before ") {
            Some((first, then)) if !first.trim().is_empty() && !then.trim().is_empty() => {
                Ok(Self {
                    first: first.trim().to_owned(),
                    then: then.trim().to_owned(),
                })
            }
            _ => Err(format!(
                "`{s}` is not an ordering constraint (expected `X before Y`, artifact ids)"
            )),
        }
    }
}

/// One risk of the register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Risk {
    /// Stable id, `R-001`… when assigned by the register.
    pub id: String,
    /// What could happen.
    pub title: String,
    /// Category.
    pub category: Category,
    /// Severity, 1 (negligible) to 5 (severe).
    pub severity: u8,
    /// Likelihood, 1 (rare) to 5 (almost certain).
    pub likelihood: u8,
    /// How it is mitigated, when decided.
    pub mitigation: Option<String>,
    /// Who owns it, when assigned.
    pub owner: Option<String>,
    /// Status.
    pub status: Status,
    /// Linked artifact ids, sorted.
    pub artifacts: Vec<String>,
    /// Runbook step id (`S012`) or validation check that retires it.
    pub retired_by: Option<String>,
    /// Ordering constraints it imposes on the plan.
    pub ordering: Vec<OrderingConstraint>,
    /// Key of the suggestion it was accepted from, if any.
    pub origin: Option<String>,
}

impl Risk {
    /// A new open risk with no mitigation, owner or links.
    pub fn new(id: &str, title: &str, category: Category, severity: u8, likelihood: u8) -> Self {
        Self {
            id: id.to_owned(),
            title: title.to_owned(),
            category,
            severity,
            likelihood,
            mitigation: None,
            owner: None,
            status: Status::Open,
            artifacts: Vec::new(),
            retired_by: None,
            ordering: Vec::new(),
            origin: None,
        }
    }

    /// Severity × likelihood, 1–25.
    pub fn score(&self) -> u8 {
        self.severity * self.likelihood
    }

    /// `no-mitigation` and `no-owner` when those are missing (retired risks are not flagged).
    pub fn flags(&self) -> Vec<&'static str> {
        let mut flags = Vec::new();
        if self.status != Status::Retired {
            if self
                .mitigation
                .as_deref()
                .is_none_or(|m| m.trim().is_empty())
            {
                flags.push("no-mitigation");
            }
            if self.owner.as_deref().is_none_or(|o| o.trim().is_empty()) {
                flags.push("no-owner");
            }
        }
        flags
    }

    /// Checks the 1–5 ranges and that the title is not empty.
    ///
    /// # Errors
    /// `(field, message)` of the first problem.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if self.title.trim().is_empty() {
            return Err(("title", "a title is required".into()));
        }
        for (field, value) in [("severity", self.severity), ("likelihood", self.likelihood)] {
            if !(1..=5).contains(&value) {
                return Err((field, format!("{value} is not between 1 and 5")));
            }
        }
        Ok(())
    }
}

/// The blast radius of a risk: everything that transitively depends on its linked artifacts.
/// Linked ids that are not in the graph are ignored (listed by [`unknown_artifacts`]).
pub fn blast_radius(risk: &Risk, graph: &DependencyGraph) -> BlastRadius {
    let roots: Vec<_> = risk
        .artifacts
        .iter()
        .filter_map(|a| graph.find(a))
        .collect();
    graph.blast_radius(&roots)
}

/// Linked artifact ids (and ordering constraint ends) of `risk` that are not in `graph`.
pub fn unknown_artifacts<'a>(risk: &'a Risk, graph: &DependencyGraph) -> Vec<&'a str> {
    risk.artifacts
        .iter()
        .map(String::as_str)
        .chain(
            risk.ordering
                .iter()
                .flat_map(|o| [o.first.as_str(), o.then.as_str()]),
        )
        .filter(|a| graph.find(a).is_none())
        .collect()
}

/// Adds the ordering constraints of every risk that is not retired to `graph`, as
/// [`crate::graph::DependencyKind::Ordering`] edges labelled with the risk id, so that waves
/// and cycles account for them. Returns the constraints naming an artifact that is not in the
/// graph (they add nothing), as `(risk id, constraint)`.
pub fn apply_ordering(graph: &mut DependencyGraph, risks: &[Risk]) -> Vec<(String, String)> {
    let mut unknown = Vec::new();
    for risk in risks.iter().filter(|r| r.status != Status::Retired) {
        for constraint in &risk.ordering {
            match (graph.find(&constraint.first), graph.find(&constraint.then)) {
                (Some(first), Some(then)) if first != then => {
                    graph.add_ordering(first, then, &format!("{}: {constraint}", risk.id));
                }
                _ => unknown.push((risk.id.clone(), constraint.to_string())),
            }
        }
    }
    unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_both_ways() {
        for c in Category::ALL {
            assert_eq!(c.to_string().parse::<Category>(), Ok(c));
        }
        assert_eq!("Data-Loss".parse::<Category>(), Ok(Category::DataLoss));
        assert!("fire".parse::<Category>().is_err());
        let o: OrderingConstraint = "table:a before service:b".parse().unwrap();
        assert_eq!(o.to_string(), "table:a before service:b");
    }

    #[test]
    fn flags_and_score() {
        let mut risk = Risk::new("R-001", "t", Category::Downtime, 4, 3);
        assert_eq!(risk.score(), 12);
        assert_eq!(risk.flags(), ["no-mitigation", "no-owner"]);
        risk.owner = Some("dba".into());
        risk.mitigation = Some("rehearse".into());
        assert!(risk.flags().is_empty());
        risk.severity = 6;
        assert_eq!(risk.validate().unwrap_err().0, "severity");
    }
}
