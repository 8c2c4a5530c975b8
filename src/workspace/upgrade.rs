//! Upgrade checks: for a project whose manifest gives one engine two versions, the checks its
//! plan and its mapping review carry ([`UpgradeChecks`]): the release notes applied to the
//! inventory, and the findings and steps the latest rehearsal of the same version pair read from
//! both servers' catalogs (its stored `report.json`). Reads the run folder; writes nothing.

use crate::db::version_matches;
use crate::inventory::Inventory;
use crate::project::Project;
use crate::rehearsal::{runs, RehearsalReport};
use crate::upgrade::{upgrade_pair, Measured, UpgradeChecks};

/// The newest stored rehearsal of `project` whose servers ran `from` → `to` (each reported
/// version starting with the manifest's numbers). Unreadable reports are passed over: the
/// history lists them, and a plan must not fail on one.
pub fn latest_of_pair(project: &Project, from: &str, to: &str) -> Option<RehearsalReport> {
    let name = &project.manifest().name;
    runs::run_ids(project.root())
        .iter()
        .rev()
        .filter_map(|id| runs::load(project.root(), id, name).ok())
        .find(|r| {
            version_matches(from, &r.server_versions.0) && version_matches(to, &r.server_versions.1)
        })
}

/// The upgrade checks of `project` planned over `inventory`, or `None` when the manifest does
/// not describe an upgrade ([`upgrade_pair`]).
pub fn checks(project: &Project, inventory: &Inventory) -> Option<UpgradeChecks> {
    let manifest = project.manifest();
    let (engine, from, to) = upgrade_pair(&manifest.source, &manifest.target)?;
    let report = latest_of_pair(project, &from, &to);
    let measured = report.as_ref().map(|r| Measured {
        run_id: &r.id,
        findings: &r.upgrade_findings,
        steps: &r.upgrade_steps,
    });
    Some(UpgradeChecks::new(engine, &from, &to, inventory, measured))
}
