//! The lifecycle's use cases, one file each: the operator's view ([`status`]), a person's go
//! for cleanup or release of a held job ([`approve`]), the control loop ([`run`]), and the
//! lifecycle rehearsed on scratch databases with a fault drill ([`rehearse`]). Each
//! opens the project, makes sure every table of its inventory has a job (new ones start
//! `planned`), and works on the lifecycle tables of its store.

pub mod approve;
pub mod rehearse;
pub mod run;
pub mod status;

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::inventory::Inventory;
use crate::lifecycle::{Job, LifecycleError, LifecycleSettings, LifecycleStore};
use crate::project::{Project, MANIFEST_FILE};

/// The current time, Unix seconds.
pub fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The job of `ids` that `name` names: the id itself, else the one id whose table part (after
/// the schema) or pipeline part (after the kind) is `name`, so `film` finds `public.film` when
/// no other schema has a `film`, and `shipping` finds `service:shipping`.
pub fn resolve<'a>(
    ids: impl IntoIterator<Item = &'a String> + Clone,
    name: &str,
) -> Option<&'a String> {
    if let Some(id) = ids.clone().into_iter().find(|id| *id == name) {
        return Some(id);
    }
    // `film` for `public.film`, `shipping` for the pipeline `service:shipping`.
    let (table, pipeline) = (format!(".{name}"), format!(":{name}"));
    let mut found = ids
        .into_iter()
        .filter(|id| id.ends_with(&table) || id.ends_with(&pipeline));
    match (found.next(), found.next()) {
        (Some(id), None) => Some(id),
        _ => None,
    }
}

/// The jobs of an inventory: one per table, a partition being part of its parent's job (the
/// parent's comparison covers its partitions' rows; measured alone, a partition would never
/// get a window), then one per service pipeline ([`crate::lifecycle::pipeline`]) by artifact id.
pub fn job_ids(inventory: &crate::inventory::Inventory) -> Vec<String> {
    let mut ids = table_job_ids(inventory);
    ids.extend(
        crate::lifecycle::pipeline::pipelines(inventory)
            .into_iter()
            .map(|p| p.id),
    );
    ids
}

/// The table jobs of an inventory (see [`job_ids`]).
pub fn table_job_ids(inventory: &crate::inventory::Inventory) -> Vec<String> {
    inventory
        .tables
        .iter()
        .filter(|t| t.partition_of.is_none())
        .map(|t| t.name.to_string())
        .collect()
}

/// An opened project's lifecycle: its settings and store, every inventory table a job.
pub(crate) struct Opened {
    pub(crate) settings: LifecycleSettings,
    /// The service pipelines among the jobs, with the tables each is measured on.
    pub(crate) pipelines: Vec<crate::lifecycle::pipeline::Pipeline>,
    pub(crate) store: LifecycleStore,
    /// How a job's two sides correspond (the project's conversion rules and, across engines,
    /// its mapping spec), for measuring on the databases.
    pub(crate) compare: crate::validate::Options,
}

/// Opens the lifecycle of the project in `root`, adding a `planned` job for every table of
/// its inventory that has none.
///
/// # Errors
/// [`LifecycleError::Project`] for the manifest, import or store;
/// [`LifecycleError::UnknownJobSettings`] when `[lifecycle.jobs."<name>"]` names no table.
pub(crate) async fn open(root: &Path) -> Result<Opened, LifecycleError> {
    let (opened, ids) = read(root).await?;
    let at = now();
    let jobs: Vec<Job> = ids.into_iter().map(|id| Job::planned(id, at)).collect();
    opened.store.add_jobs(&jobs).await?;
    Ok(opened)
}

/// [`open`] without writing: the settings, the store as it is, and the ids of every job the
/// inventory makes (some perhaps not in the store yet). For views polled while a loop runs.
///
/// # Errors
/// As [`open`].
pub(crate) async fn read(root: &Path) -> Result<(Opened, Vec<String>), LifecycleError> {
    let project = Project::open(root)?;
    let inventory = project.inventory().await?;
    read_with(&project, &inventory).await
}

/// [`read`] of a project whose inventory is already imported (an opened workspace's): the
/// inputs are not parsed again.
///
/// # Errors
/// As [`open`].
pub(crate) async fn read_with(
    project: &Project,
    inventory: &Inventory,
) -> Result<(Opened, Vec<String>), LifecycleError> {
    let root = project.root();
    let mut settings = project.manifest().lifecycle.clone();
    let ids = job_ids(inventory);
    let pipelines = crate::lifecycle::pipeline::pipelines(inventory);
    // Overrides keyed by the jobs' full ids, however the manifest spelt them.
    let mut overrides = std::collections::BTreeMap::new();
    for (job, own) in std::mem::take(&mut settings.jobs) {
        if let Some(id) = resolve(&ids, &job) {
            overrides.insert(id.clone(), own);
        } else {
            let file = root.join(MANIFEST_FILE);
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            let line = text
                .find(&format!("\"{job}\"]"))
                .or_else(|| text.find(&format!(".{job}]")))
                .map(|i| text[..i].matches('\n').count() + 1);
            return Err(LifecycleError::UnknownJobSettings { file, line, job });
        }
    }
    settings.jobs = overrides;
    let store = LifecycleStore::new(project.store().await?);
    let manifest = project.manifest();
    let compare = crate::validate::Options {
        policy: manifest.data,
        // An upgrade keeps its schema; a spec maps one engine's tables onto another's.
        mapping_file: manifest
            .mapping
            .as_ref()
            .filter(|_| manifest.source.engine != manifest.target.engine)
            .map(|file| root.join(file)),
        ..crate::validate::Options::default()
    };
    Ok((
        Opened {
            settings,
            pipelines,
            store,
            compare,
        },
        ids,
    ))
}
