//! `lifecycle status`: the jobs that need a look (held, regressing, awaiting approval, stuck),
//! or every job.

use std::path::Path;

use serde::Serialize;

use crate::inventory::Inventory;
use crate::lifecycle::status::attention;
use crate::lifecycle::{Attention, Job, LifecycleError, Phase, Transition};
use crate::project::Project;

/// One job as the operator sees it.
#[derive(Debug, Clone, Serialize)]
pub struct JobView {
    /// The job's state.
    #[serde(flatten)]
    pub job: Job,
    /// Why it needs a look; empty when it does not.
    pub attention: Vec<Attention>,
    /// Its latest transition (time, phases, who, why), when it has had one.
    pub last_transition: Option<Transition>,
}

/// The operator's view of a project's jobs.
#[derive(Debug, Clone, Serialize)]
pub struct StatusView {
    /// Jobs per phase, every phase listed (all jobs counted, listed or not).
    pub phases: Vec<(Phase, usize)>,
    /// The jobs listed: those that need a look, or all with `all`; by id.
    pub jobs: Vec<JobView>,
    /// Jobs in all.
    pub total: usize,
    /// Seconds a loop measuring databases waits between ticks unless told otherwise (the
    /// manifest's `interval_seconds`).
    pub interval_seconds: f64,
}

/// The status of the project in `root` at time `now` (Unix seconds). Read-only: the desktop
/// polls it while a loop runs; a table no loop has seen yet is listed as a planned job.
///
/// # Errors
/// As [`super::open`].
pub async fn status(root: &Path, all: bool, now: f64) -> Result<StatusView, LifecycleError> {
    let (opened, ids) = super::read(root).await?;
    status_from(opened, ids, all, now).await
}

/// [`status`] of a project whose inventory is already imported (an opened workspace's): what the
/// desktop's board polls every 2 s, so that a poll reads the store without parsing the project's
/// inputs again (the whole import, ~1 s for 5,000 tables).
///
/// # Errors
/// As [`super::open`].
pub async fn status_of(
    project: &Project,
    inventory: &Inventory,
    all: bool,
    now: f64,
) -> Result<StatusView, LifecycleError> {
    let (opened, ids) = super::read_with(project, inventory).await?;
    status_from(opened, ids, all, now).await
}

async fn status_from(
    opened: super::Opened,
    ids: Vec<String>,
    all: bool,
    now: f64,
) -> Result<StatusView, LifecycleError> {
    let read = async {
        let jobs = opened.store.jobs().await?;
        let last = opened.store.last_transitions().await?;
        Ok::<_, LifecycleError>((jobs, last))
    }
    .await;
    opened.store.close().await;
    let (mut jobs, mut last) = read?;
    let known: std::collections::BTreeSet<String> = jobs.iter().map(|j| j.id.clone()).collect();
    jobs.extend(
        ids.into_iter()
            .filter(|id| !known.contains(id))
            .map(|id| Job::planned(id, now)),
    );
    jobs.sort_by(|a, b| a.id.cmp(&b.id));
    let phases = Phase::ALL
        .iter()
        .map(|&p| (p, jobs.iter().filter(|j| j.phase == p).count()))
        .collect();
    let total = jobs.len();
    let jobs = jobs
        .into_iter()
        .map(|job| JobView {
            attention: attention(&job, &opened.settings, now),
            last_transition: last.remove(&job.id),
            job,
        })
        .filter(|v| all || !v.attention.is_empty())
        .collect();
    Ok(StatusView {
        phases,
        jobs,
        total,
        interval_seconds: opened.settings.interval_seconds,
    })
}
