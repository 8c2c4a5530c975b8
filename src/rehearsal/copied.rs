//! A scratch pair of different engines made the way the rehearsal's runbook makes it, for the
//! uses that need the pair but not the runbook (`lifecycle rehearse`): the source loaded from
//! the project's scripts (or live inputs), the target's tables created through the plan (the
//! project's mapping spec when it has one, else the default mapping per engine pair), every row
//! copied by the backfill, the indexes and foreign keys created and the key sequences set past
//! the copied keys, and the source's changes captured from before the copy so that an
//! [`Applier`] carries every later write across.

use super::capture::{self, Applier};
use super::routes::routes;
use super::setup::{exec_all, load_source, source_catalog, spec_and_plan};
use super::{Environment, RehearsalError};
use crate::backfill::{self, BackfillOptions, BackfillPlan, RunLog};
use crate::db::Database;
use crate::import::live::import_live;
use crate::inventory::Inventory;
use crate::project::Project;

/// A filled pair: what was planned and the applier that keeps the target in step.
#[derive(Debug)]
pub struct CopiedPair {
    /// The backfill plan the target was made and filled through (its target side adopted from
    /// the target's catalog).
    pub plan: BackfillPlan,
    /// The scratch source's catalog (scratch names: a MySQL table is `<scratch db>.<table>`).
    pub source_inventory: Inventory,
    /// The project's mapping spec, read against the scratch source's catalog (validation
    /// compares through it); `None` when the project has none.
    pub spec: Option<crate::mapping::MappingSpec>,
    /// Carries the source's captured changes to the target; nothing applied yet.
    pub applier: Applier,
    /// Rows the backfill copied.
    pub rows: u64,
}

/// Loads the source of `env`, then makes and fills its target through the plan as the
/// runbook's prepare-target, start-capture, backfill and create-constraints steps do. Run files
/// (the backfill log) go to the run folder of `run_id` in the project.
///
/// # Errors
/// [`RehearsalError`] when a script, the mapping spec, the copy or a DDL statement fails; what
/// was made stays in the scratch databases, which the caller drops.
pub async fn copy_through_plan(
    project: &Project,
    env: &Environment,
    (source, target): (&Database, &Database),
    run_id: &str,
) -> Result<CopiedPair, RehearsalError> {
    load_source(project, env, (source, target), run_id, None).await?;
    let source_inventory = source_catalog(env, source).await?;
    let (spec, mut plan) = spec_and_plan(
        project,
        &source_inventory,
        (source, target),
        source.engine == target.engine,
    )?;
    exec_all(target, &plan.create_tables_sql()).await?;
    let catalog = import_live(target.engine, &env.target_url, &plan.target_schemas()).await?;
    plan.adopt_target_catalog(&catalog);
    // Captured before the copy: a write made while a chunk is copied is applied after it.
    let forward = routes(&plan, false);
    capture::install(source, &forward).await?;
    let log =
        RunLog::open(&super::state::run_dir(project.root(), run_id).join("backfill.log.jsonl"))?;
    let report = backfill::run(
        source,
        target,
        &plan,
        &BackfillOptions {
            run_id: run_id.to_owned(),
            conversion: project.manifest().data,
            ..BackfillOptions::default()
        },
        &backfill::Control::default(),
        None,
        &log,
    )
    .await?;
    backfill::post_copy::apply(target, &plan.post_copy)
        .await
        .map_err(backfill::BackfillError::from)?;
    backfill::sequences::set_past_copied_keys(target, &plan.target_tables())
        .await
        .map_err(backfill::BackfillError::from)?;
    let applier = Applier {
        from: source.clone(),
        to: target.clone(),
        routes: forward,
        applied: 0,
        run_id: run_id.to_owned(),
        policy: project.manifest().data,
        refused: 0,
        converted: Default::default(),
        skipped: Default::default(),
    };
    Ok(CopiedPair {
        plan,
        source_inventory,
        spec,
        applier,
        rows: report.rows(),
    })
}
