//! The upgrade checks a plan carries ([`UpgradeChecks`]): the findings of the release notes
//! applied to the inventory ([`super::release_notes`]), and those a rehearsal of the same version
//! pair read from both servers' catalogs with the runbook steps they call for, each marked with
//! the rehearsal it comes from. A pure value: the application layer reads the rehearsal's report
//! and hands its findings here.

use serde::{Deserialize, Serialize};

use crate::import::Engine;
use crate::inventory::Inventory;
use crate::project::manifest::Endpoint;

use super::{UpgradeFinding, UpgradeStep};

/// A finding as the plan carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedFinding {
    /// The finding.
    #[serde(flatten)]
    pub finding: UpgradeFinding,
    /// The rehearsal whose catalogs it was read from; `None` for a finding of the release notes
    /// applied to the inventory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rehearsal: Option<String>,
}

/// A runbook step a finding calls for, as the plan carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedStep {
    /// The step: its finding's code, title, statements and estimate.
    #[serde(flatten)]
    pub step: UpgradeStep,
    /// The rehearsal whose catalogs it was read from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rehearsal: Option<String>,
}

/// A rehearsal's catalog-measured findings and steps, as its report stored them.
#[derive(Debug, Clone, Copy)]
pub struct Measured<'a> {
    /// Run id.
    pub run_id: &'a str,
    /// Its `upgrade_findings`.
    pub findings: &'a [UpgradeFinding],
    /// Its `upgrade_steps`.
    pub steps: &'a [UpgradeStep],
}

/// What a plan knows about the upgrade it plans.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpgradeChecks {
    /// The engine of both sides.
    pub engine: Engine,
    /// The manifest's source version.
    pub source_version: String,
    /// The manifest's target version.
    pub target_version: String,
    /// The rehearsal of this version pair whose catalogs were read, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rehearsal: Option<String>,
    /// Findings in code order, the release notes' first where codes are equal.
    pub findings: Vec<PlannedFinding>,
    /// The runbook steps the findings call for, in the order the plan runs them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<PlannedStep>,
}

/// `(engine, source version, target version)` when the manifest's sides describe an upgrade: one
/// engine, both versions given, and they differ.
pub fn upgrade_pair(source: &Endpoint, target: &Endpoint) -> Option<(Engine, String, String)> {
    let (from, to) = (source.version.as_deref()?, target.version.as_deref()?);
    (source.engine == target.engine && from.trim() != to.trim())
        .then(|| (source.engine, from.trim().to_owned(), to.trim().to_owned()))
}

impl UpgradeChecks {
    /// The checks of moving `inventory` from `from` to `to` on `engine`: the release notes'
    /// ([`super::release_notes::check`]) and, when a rehearsal of the pair is given, its
    /// catalog-measured findings and steps. The release notes' text-index candidates (`U008`)
    /// are left out when a rehearsal measured the collations themselves.
    pub fn new(
        engine: Engine,
        from: &str,
        to: &str,
        inventory: &Inventory,
        measured: Option<Measured<'_>>,
    ) -> Self {
        let mut findings: Vec<PlannedFinding> =
            super::release_notes::check(engine, from, to, inventory)
                .into_iter()
                .filter(|f| measured.is_none() || f.code != super::release_notes::U008_TEXT_INDEXES)
                .map(|finding| PlannedFinding {
                    finding,
                    rehearsal: None,
                })
                .collect();
        let mut steps = Vec::new();
        if let Some(m) = measured {
            let run = Some(m.run_id.to_owned());
            findings.extend(m.findings.iter().cloned().map(|finding| PlannedFinding {
                finding,
                rehearsal: run.clone(),
            }));
            steps.extend(m.steps.iter().cloned().map(|step| PlannedStep {
                step,
                rehearsal: run.clone(),
            }));
        }
        // Stable: the release notes' first where codes are equal.
        findings.sort_by(|a, b| a.finding.code.cmp(&b.finding.code));
        Self {
            engine,
            source_version: from.to_owned(),
            target_version: to.to_owned(),
            rehearsal: measured.map(|m| m.run_id.to_owned()),
            findings,
            steps,
        }
    }

    /// `PostgreSQL 15 → 17`.
    pub fn pair_label(&self) -> String {
        let engine = match self.engine {
            Engine::Postgres => "PostgreSQL",
            Engine::Mysql => "MariaDB/MySQL",
            Engine::Sqlite => "SQLite",
        };
        format!("{engine} {} → {}", self.source_version, self.target_version)
    }
}
