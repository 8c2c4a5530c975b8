//! What a rehearsal needs before and between its runbook steps: the source loaded (from the
//! project's scripts or a live copy), its catalog, capture routes, draining captured changes,
//! and saving progress.

use std::time::{Duration, Instant};

use super::capture::{self, Applier};
use super::report::LagSample;
use super::state::RunState;
use super::{Clock, Environment, RehearsalError, RehearsalOptions};
use crate::backfill::{self, BackfillOptions, BackfillPlan, PostCopyObject, RunLog};
use crate::db::{self, Access, Database, DbError};
use crate::import::live::import_live;
use crate::import::Engine;
use crate::inventory::Inventory;
use crate::project::{Input, Project};

pub(super) async fn exec_all(db: &Database, statements: &[String]) -> Result<(), DbError> {
    for sql in statements {
        let first_line = sql.lines().next().unwrap_or(sql);
        db.execute_script(sql, &format!("running `{first_line}`"))
            .await?;
    }
    Ok(())
}

pub(super) async fn count_rows(
    db: &Database,
    inventory: &crate::inventory::Inventory,
) -> Result<u64, DbError> {
    let mut total = 0u64;
    for table in inventory
        .tables
        .iter()
        .filter(|t| !t.name.name.starts_with("_migration_studio"))
    {
        if table
            .partitioning
            .as_ref()
            .is_some_and(|p| !p.partitions.is_empty())
        {
            continue;
        }
        let n = db.count_rows(&table.name).await?;
        total += n;
    }
    Ok(total)
}

/// Applies until nothing is pending, sampling lag. Returns whether it drained in time. With
/// `progress`, the applied position is saved after each batch (for `--resume`).
pub(super) async fn drain(
    applier: &mut Applier,
    clock: &Clock,
    lag: &mut Vec<LagSample>,
    phase: &str,
    options: &RehearsalOptions,
    threshold: f64,
    mut progress: Option<(&Project, &mut RunState)>,
) -> Result<bool, RehearsalError> {
    let deadline = Instant::now() + Duration::from_secs_f64(options.catch_up_timeout_seconds);
    loop {
        let (pending, age) = capture::lag(&applier.from, applier.applied).await?;
        tracing::debug!(phase, pending, age, "capture lag");
        lag.push(LagSample {
            at_seconds: clock.now(),
            phase: phase.to_owned(),
            pending: pending as u64,
            age_seconds: age,
        });
        clock.emit(super::RehearsalEvent::Lag {
            phase: phase.to_owned(),
            pending: pending as u64,
            age_seconds: age,
        });
        if pending == 0 || (threshold > 0.0 && age < threshold && pending < 50) {
            return Ok(true);
        }
        if Instant::now() > deadline {
            return Ok(false);
        }
        if threshold > 0.0 {
            applier.apply(options.apply_batch_rows).await?;
        } else {
            // A drain to zero runs with writes stopped on the captured side.
            applier.apply_settled(options.apply_batch_rows).await?;
        }
        if let Some((project, state)) = progress.as_mut() {
            state.applied = applier.floor();
            save(project, state, clock, lag)?;
        }
    }
}

/// Saves `state` with the clock and lag as they are now.
pub(super) fn save(
    project: &Project,
    state: &mut RunState,
    clock: &Clock,
    lag: &[LagSample],
) -> Result<(), RehearsalError> {
    state.elapsed_seconds = clock.now();
    state.steps.clone_from(&clock.steps);
    state.lag = lag.to_vec();
    state
        .save(project.root())
        .map_err(|(path, source)| RehearsalError::Io { path, source })
}

/// Loads the source (and, for an upgrade, the target's schema) from the project's scripts, or
/// copies the live databases its live inputs name, reading only a sample of about `scale` of
/// their rows when given (`rehearse --scale`; scripts are loaded whole and sampled afterwards).
/// Returns whether the schema came from a live copy (then the target's tables are made from
/// the copy's catalog, as across engines).
pub(super) async fn load_source(
    project: &Project,
    env: &Environment,
    (source, target): (&Database, &Database),
    run_id: &str,
    scale: Option<f64>,
) -> Result<bool, RehearsalError> {
    let mut copied = false;
    // Scripts in the manifest's order, read first: a data script may qualify tables with a
    // schema only the schema script names.
    let texts = super::source_scripts(project, source.engine)?;
    let scripts = super::load::split_all(source.engine, &texts)?;
    let schemas = super::load::project_schemas(&scripts);
    let mut scripts = scripts.iter();
    for input in &project.manifest().inputs {
        match input {
            Input::Script { engine, .. } => {
                if engine.is_some_and(|e| e != source.engine) {
                    continue;
                }
                let Some(script) = scripts.next() else {
                    continue;
                };
                super::load::load_script(
                    source,
                    &env.source_name,
                    script,
                    super::load::Part::All,
                    &schemas,
                )
                .await?;
                if source.engine == target.engine {
                    // An upgrade keeps its schema: the target gets the same DDL (types,
                    // domains, triggers, keys), without the data.
                    super::load::load_script(
                        target,
                        &env.target_name,
                        script,
                        super::load::Part::SchemaOnly,
                        &schemas,
                    )
                    .await?;
                }
            }
            Input::Live {
                live,
                engine,
                url_env,
                schemas,
            } => {
                if engine.is_some_and(|e| e != source.engine) {
                    continue;
                }
                let url = std::env::var(url_env).map_err(|_| RehearsalError::LiveUrlMissing {
                    input: live.clone(),
                    variable: url_env.clone(),
                })?;
                copy_live(project, env, source, &url, schemas, run_id, scale).await?;
                copied = true;
            }
            Input::Services { .. } => {}
        }
    }
    Ok(copied)
}

/// Copies a live database into the scratch source with the backfill engine: tables from its
/// catalog, rows in keyset chunks over a read-only session, then indexes and foreign keys.
/// With `scale` below 1, only each table's sample is read, plus the rows it references
/// ([`super::sample`]). Views, triggers and routines are not copied.
async fn copy_live(
    project: &Project,
    env: &Environment,
    source: &Database,
    url: &str,
    schemas: &[String],
    run_id: &str,
    scale: Option<f64>,
) -> Result<(), RehearsalError> {
    let live = db::connect(url, Access::ReadOnly, 4).await?;
    let copied = copy_live_from(project, env, source, &live, url, schemas, run_id, scale).await;
    live.close().await;
    copied
}

#[allow(clippy::too_many_arguments)]
async fn copy_live_from(
    project: &Project,
    env: &Environment,
    source: &Database,
    live: &Database,
    url: &str,
    schemas: &[String],
    run_id: &str,
    scale: Option<f64>,
) -> Result<(), RehearsalError> {
    let inventory = import_live(source.engine, url, schemas).await?;
    // MySQL tables land in the scratch database; PostgreSQL keeps their schemas inside it.
    let schema = (source.engine == Engine::Mysql).then_some(env.source_name.as_str());
    let mut plan = BackfillPlan::new(&inventory, source.engine, source.engine, schema, &[]);
    if let Some(fraction) = scale {
        for planned in &mut plan.tables {
            if let Some(table) = inventory.table(&planned.mapping.source) {
                planned.source.filter =
                    super::sample::sampled_copy_filter(source.engine, table, fraction);
            }
        }
    }
    exec_all(source, &plan.create_tables_sql()).await?;
    crate::db::guard::mark_rehearsal_target(source, "scratch source: a copy of a live database")
        .await?;
    let log = RunLog::open(&super::state::run_dir(project.root(), run_id).join("copy.log.jsonl"))?;
    backfill::run(
        live,
        source,
        &plan,
        &BackfillOptions {
            run_id: format!("{run_id}-source-copy"),
            ..BackfillOptions::default()
        },
        &backfill::Control::default(),
        None,
        &log,
    )
    .await?;
    // Indexes first: the references a sampled copy lacks are found through them, and its
    // foreign keys can only be made once those rows are in.
    let (foreign_keys, indexes): (Vec<&PostCopyObject>, Vec<&PostCopyObject>) =
        plan.post_copy.iter().partition(|o| o.is_foreign_key());
    for index in indexes {
        // A secondary index only speeds reads up; one the catalog cannot describe exactly
        // (MySQL FULLTEXT, prefix lengths) is left out of the copy, said in the log.
        if let Err(e) = backfill::post_copy::apply(source, std::slice::from_ref(index)).await {
            tracing::warn!(error = %e, "an index of the live source is not in its copy");
        }
    }
    if scale.is_some_and(|f| f < 1.0) {
        let added = super::sample::fill_references(live, source, &plan, &inventory).await?;
        tracing::info!(added, "rows the sampled copy references copied");
        log.record(&serde_json::json!({"step": "references_copied", "rows": added}));
    }
    for foreign_key in foreign_keys {
        backfill::post_copy::apply(source, std::slice::from_ref(foreign_key))
            .await
            .map_err(backfill::BackfillError::from)?;
    }
    Ok(())
}

/// The project's mapping spec (read against `source_inventory`, the scratch source's catalog)
/// and the backfill plan through it. `same_engine`: an upgrade, whose target schema comes from
/// the project's scripts, so no spec applies and the tables keep their schemas.
///
/// # Errors
/// [`RehearsalError::Mapping`] when the spec does not load against the catalog.
pub(super) fn spec_and_plan(
    project: &Project,
    source_inventory: &Inventory,
    (source, target): (&Database, &Database),
    same_engine: bool,
) -> Result<(Option<crate::mapping::MappingSpec>, BackfillPlan), RehearsalError> {
    let spec = match &project.manifest().mapping {
        Some(file) if !same_engine => Some(
            crate::mapping::MappingSpec::load(
                &project.root().join(file),
                crate::mapping::spec::Schema {
                    inventory: source_inventory,
                    source: source.engine,
                    target: target.engine,
                },
            )
            .map_err(|e| RehearsalError::Mapping(Box::new(e)))?,
        ),
        _ => None,
    };
    let plan = BackfillPlan::mapped(
        source_inventory,
        source.engine,
        target.engine,
        // A MySQL schema is a database: keeping the source's would write into the source.
        target
            .default_schema
            .as_deref()
            .filter(|_| !same_engine || target.engine == Engine::Mysql),
        &[],
        spec.as_ref(),
    );
    Ok((spec, plan))
}

/// The source's catalog without what the rehearsal itself added (changelog, capture triggers),
/// so a resumed run plans exactly what the first attempt planned.
pub(super) async fn source_catalog(
    env: &Environment,
    source: &Database,
) -> Result<Inventory, RehearsalError> {
    // A PostgreSQL scratch source holds the project's schemas and nothing else: read them all
    // (`sales`, not only `public`). A MySQL one is its one database.
    let schemas: Vec<String> = match source.engine {
        Engine::Postgres => Vec::new(),
        _ => source.default_schema.iter().cloned().collect(),
    };
    let mut inventory = import_live(source.engine, &env.source_url, &schemas).await?;
    inventory
        .tables
        .retain(|t| !t.name.name.starts_with("_migration_studio"));
    inventory
        .triggers
        .retain(|t| !t.name.name.starts_with(capture::TRIGGER_PREFIX));
    Ok(inventory)
}
