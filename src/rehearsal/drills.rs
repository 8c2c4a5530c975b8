//! Fault drills (`rehearse --drill …`): faults injected on purpose to show that the backfill
//! survives them with no row lost and none duplicated.
//!
//! - `kill-backfill`: the backfill is dropped mid-chunk (its connections closed with the
//!   chunk's transaction open, as when its process dies), then started again with the same
//!   run id; it resumes from its checkpoints. The time from the restart to its first committed
//!   chunk is the resume time.
//! - `drop-connection`: after the first committed chunk, every other session on the target
//!   database is terminated (PostgreSQL `pg_terminate_backend`, MySQL `KILL CONNECTION`); the
//!   chunks in flight fail and are retried ([`crate::backfill::retry`]).
//! - `plant-rejects=N`: before capture starts, N source rows get a NUL byte in a text column,
//!   which PostgreSQL refuses; the backfill keeps exactly those rows in its reject table.
//!
//! - `target-drift`: after the final catch-up, just before the final validation, one row of
//!   the smallest copied table with a key gets a text column changed on the target directly,
//!   behind the change capture's back (no changelog entry names it, the counts stay equal).
//!   The final validation must find it: when it is incremental, by its re-check, which
//!   compares a table of at most [`crate::validate::changed::Recheck::whole_table_rows`] rows
//!   whole ([`crate::validate::changed`]); the go/no-go then says no-go.
//!
//! Rows lost and duplicated come from the validation after the catch-up (missing keys not kept
//! as rejects, extra keys).

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::{Environment, RehearsalError};
use crate::backfill::{
    self, BackfillEvent, BackfillOptions, BackfillPlan, BackfillReport, Control, RunLog,
};
use crate::db::{self, quote, Access, Database};
use crate::import::Engine;
use crate::inventory::Inventory;

/// Committed chunks after which `kill-backfill` drops the backfill.
const KILL_AFTER_CHUNKS: usize = 2;

/// The drills to run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drills {
    /// Drop the backfill mid-chunk and resume it.
    #[serde(default)]
    pub kill_backfill: bool,
    /// Terminate the target's sessions during the backfill.
    #[serde(default)]
    pub drop_connection: bool,
    /// Source rows to make unacceptable to the target (0: none).
    #[serde(default)]
    pub plant_rejects: u32,
    /// Change one row on the target behind the capture's back before the final validation.
    #[serde(default)]
    pub target_drift: bool,
    /// Set one key sequence of the target back to its start before the final validation (a
    /// restore or a hand-run script behind the migration's back): every row stays equal, but
    /// the application's next insert on the target would draw a key that exists.
    #[serde(default)]
    pub sequence_drift: bool,
}

impl Drills {
    /// Whether any drill is asked for.
    pub fn any(&self) -> bool {
        self.kill_backfill
            || self.drop_connection
            || self.plant_rejects > 0
            || self.target_drift
            || self.sequence_drift
    }
}

/// What one drill did and measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrillResult {
    /// `kill-backfill`, `drop-connection`, `plant-rejects`, `target-drift` or
    /// `sequence-drift`.
    pub name: String,
    /// What happened, in words.
    pub detail: String,
    /// Seconds from restarting the backfill to its first committed chunk (`kill-backfill`).
    pub resume_seconds: Option<f64>,
    /// Sessions terminated (`drop-connection`).
    pub sessions_dropped: u64,
    /// Chunk writes retried by the backfill.
    pub retries: u64,
    /// Rows planted (`plant-rejects`).
    pub planted: u64,
}

/// Rows planted by `plant-rejects`: the table (as the backfill labels it) and how many.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Planted {
    /// Table name (unqualified), kept off by the workload.
    pub table: String,
    /// Rows changed.
    pub rows: u64,
}

/// Plants `n` rows PostgreSQL refuses (a NUL byte in a text column) in the first table that
/// nothing references and has a single integer key, a text column without a unique index and
/// at least `n` rows.
///
/// # Errors
/// [`RehearsalError::Drill`] when the source cannot hold such rows (PostgreSQL text has no NUL)
/// or no table qualifies; [`RehearsalError::Db`] when the update fails.
pub(super) async fn plant_rejects(
    source: &Database,
    target_engine: Engine,
    inventory: &Inventory,
    n: u32,
) -> Result<Planted, RehearsalError> {
    if source.engine != Engine::Mysql || target_engine != Engine::Postgres {
        return Err(RehearsalError::Drill(
            "plant-rejects plants NUL bytes, which a MySQL/MariaDB source holds and PostgreSQL refuses: it needs a MySQL or MariaDB source and a PostgreSQL target".into(),
        ));
    }
    fn text_column(t: &crate::inventory::Table) -> Option<&crate::inventory::Column> {
        t.columns.iter().find(|c| {
            let ty = c.data_type.to_ascii_lowercase();
            let long_enough = ty.contains("text")
                || ty
                    .split(['(', ')'])
                    .nth(1)
                    .and_then(|n| n.trim().parse::<u32>().ok())
                    .is_some_and(|n| n >= 16);
            (ty.contains("char") || ty.contains("text"))
                && long_enough
                && !t.primary_key.contains(&c.name)
                && !t.unique_keys.iter().any(|k| k.contains(&c.name))
                && !t
                    .indexes
                    .iter()
                    .any(|i| i.unique && i.columns.contains(&c.name))
        })
    }
    // A refused parent would orphan its children and fail their foreign keys: plant in a
    // table nothing references.
    let referenced = |t: &crate::inventory::Table| {
        inventory
            .tables
            .iter()
            .any(|other| other.foreign_keys.iter().any(|fk| fk.references == t.name))
    };
    let chosen = inventory.tables.iter().find_map(|t| {
        if referenced(t) {
            return None;
        }
        let key = (t.primary_key.len() == 1).then(|| &t.primary_key[0])?;
        let key_is_int = t
            .columns
            .iter()
            .any(|c| &c.name == key && c.data_type.to_ascii_lowercase().contains("int"));
        (key_is_int && t.rows.unwrap_or(0) >= u64::from(n))
            .then(|| text_column(t).map(|c| (t, key, c)))
            .flatten()
    });
    let Some((table, key, column)) = chosen else {
        return Err(RehearsalError::Drill(format!(
            "plant-rejects: no table that nothing references has a single integer key, a long non-unique text column and {n} rows"
        )));
    };
    let (e, col, key) = (
        source.engine,
        quote::ident(source.engine, &column.name),
        quote::ident(source.engine, key),
    );
    // The key's digits then a NUL: short, distinct per row, refused by PostgreSQL text types.
    let sql = format!(
        "UPDATE {} SET {col} = CONCAT(CAST({key} AS CHAR), CHAR(0)) ORDER BY {key} LIMIT {n}",
        quote::table(e, &table.name)
    );
    let rows = source
        .execute(&sql, &[], "planting rows the target refuses")
        .await?;
    Ok(Planted {
        table: table.name.name.clone(),
        rows,
    })
}

/// Runs the backfill, with the drills asked for around it.
///
/// # Errors
/// [`RehearsalError`] from the backfill or a drill's own queries.
#[allow(clippy::too_many_arguments)]
pub(super) async fn backfill_with_drills(
    env: &Environment,
    source: &Database,
    target: &Database,
    plan: &BackfillPlan,
    options: &BackfillOptions,
    log: &RunLog,
    drills: &Drills,
    results: &mut Vec<DrillResult>,
    forward: super::progress::Events,
) -> Result<BackfillReport, RehearsalError> {
    let killed = if drills.kill_backfill {
        Some(kill_mid_chunk(env, plan, options, log).await?)
    } else {
        None
    };
    let killer = if drills.drop_connection {
        Some(db::connect(&env.target_url, Access::ReadWrite, 1).await?)
    } else {
        None
    };
    let (tx, rx) = mpsc::unbounded_channel();
    let restarted = Instant::now();
    let watcher = tokio::spawn(watch(
        rx,
        restarted,
        killer,
        env.target_name.clone(),
        forward,
    ));
    let report = backfill::run(
        source,
        target,
        plan,
        options,
        &Control::default(),
        Some(tx),
        log,
    )
    .await?;
    let (first_commit, dropped) = watcher.await.unwrap_or((None, Ok(0)));
    let retries = report.tables.iter().map(|t| t.retries).sum();
    if let Some(detail) = killed {
        results.push(DrillResult {
            name: "kill-backfill".into(),
            detail,
            resume_seconds: Some(
                first_commit
                    .unwrap_or_else(|| restarted.elapsed())
                    .as_secs_f64(),
            ),
            sessions_dropped: 0,
            retries,
            planted: 0,
        });
    }
    if drills.drop_connection {
        let dropped = dropped?;
        results.push(DrillResult {
            name: "drop-connection".into(),
            detail: format!(
                "{dropped} target sessions terminated after the first committed chunk; {retries} chunk writes retried"
            ),
            resume_seconds: None,
            sessions_dropped: dropped,
            retries,
            planted: 0,
        });
    }
    Ok(report)
}

/// Starts the backfill on its own connections and drops it, with the chunks in flight, after
/// [`KILL_AFTER_CHUNKS`] committed chunks. Returns what happened, in words.
async fn kill_mid_chunk(
    env: &Environment,
    plan: &BackfillPlan,
    options: &BackfillOptions,
    log: &RunLog,
) -> Result<String, RehearsalError> {
    // Its own connections, so closing them mid-chunk touches nothing else.
    let s = db::connect(&env.source_url, Access::ReadWrite, 4).await?;
    let t = db::connect(&env.target_url, Access::ReadWrite, 4).await?;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let control = Control::default();
    let run = backfill::run(&s, &t, plan, options, &control, Some(tx), log);
    tokio::pin!(run);
    let mut chunks = 0;
    let copied = loop {
        tokio::select! {
            done = &mut run => {
                done?;
                break None;
            }
            Some(event) = rx.recv() => {
                if let BackfillEvent::Chunk { rows, .. } = event {
                    chunks += 1;
                    if chunks == KILL_AFTER_CHUNKS {
                        break Some(rows);
                    }
                }
            }
        }
    };
    Ok(match copied {
        Some(rows) => format!(
            "backfill dropped after {KILL_AFTER_CHUNKS} committed chunks ({rows} rows in the last table), chunks in flight abandoned with their transactions open"
        ),
        None => "the backfill finished before the kill point (every table fit in fewer chunks)".into(),
    })
}

/// Watches the backfill: forwards its events as rehearsal progress; when its first chunk
/// commits, notes the time and, with a `killer` connection, terminates the target's other
/// sessions (once).
async fn watch(
    mut rx: mpsc::UnboundedReceiver<BackfillEvent>,
    since: Instant,
    killer: Option<Database>,
    database: String,
    forward: super::progress::Events,
) -> (Option<Duration>, Result<u64, RehearsalError>) {
    let mut first = None;
    let mut dropped = Ok(0);
    while let Some(event) = rx.recv().await {
        if let Some(tx) = &forward {
            let _ = tx.send(super::RehearsalEvent::Backfill {
                event: event.clone(),
            });
        }
        if first.is_none()
            && matches!(
                event,
                BackfillEvent::Chunk { .. } | BackfillEvent::TableFinished { .. }
            )
        {
            first = Some(since.elapsed());
            if let Some(killer) = &killer {
                // Lets the writers start their next chunks, so the drop lands mid-batch.
                tokio::time::sleep(Duration::from_millis(20)).await;
                dropped = db::end_sessions(killer, &database)
                    .await
                    .map_err(RehearsalError::from);
            }
        }
    }
    if let Some(killer) = killer {
        killer.close().await;
    }
    (first, dropped)
}

/// The row `target-drift` changed on the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drifted {
    /// Target table, qualified.
    pub table: String,
    /// The changed column.
    pub column: String,
    /// The row's key, as text (`1`).
    pub key: String,
}

/// Changes one row on `target` directly (the `target-drift` drill): in the copied table with a
/// key and the fewest rows (by the catalog's estimate), the row with the smallest key gets its
/// first text column that is neither in the key, nor in a foreign key or unique key, nor
/// declared shorter than 5 characters set to `drift` (`drifT` when it already was). `None`
/// when no table has such a column. PostgreSQL and MySQL targets.
///
/// # Errors
/// [`RehearsalError::Db`] when the update fails.
pub async fn plant_drift(
    target: &Database,
    plan: &BackfillPlan,
    source_inventory: &Inventory,
) -> Result<Option<Drifted>, RehearsalError> {
    use crate::data::Logical;
    let mut candidates: Vec<_> = plan
        .tables
        .iter()
        .filter(|t| !t.mapping.key.is_empty())
        .filter_map(|t| {
            let source = source_inventory.table(&t.mapping.source);
            let column = t.mapping.columns.iter().find(|c| {
                let short = matches!(c.target, Logical::Text { max_len: Some(n) } if n < 5);
                let text = matches!(c.target, Logical::Text { .. });
                let keyed = t.mapping.key.contains(&c.name)
                    || source.is_some_and(|s| {
                        s.foreign_keys.iter().any(|f| f.columns.contains(&c.name))
                            || s.unique_keys.iter().any(|u| u.contains(&c.name))
                    });
                text && !short && !keyed
            })?;
            Some((t.estimated_rows.unwrap_or(u64::MAX), t, column.name.clone()))
        })
        .collect();
    candidates.sort_by_key(|(rows, t, _)| (*rows, t.label.clone()));
    let Some((_, table, column)) = candidates.into_iter().next() else {
        return Ok(None);
    };
    let engine = target.engine;
    let name = quote::table(engine, &table.target.name);
    let col = quote::ident(engine, &column);
    let order = quote::columns(engine, table.mapping.key.iter().map(String::as_str));
    let key = target
        .fetch_texts(
            &format!(
                "SELECT {} FROM {name} ORDER BY {order} LIMIT 1",
                table
                    .mapping
                    .key
                    .iter()
                    .map(|k| match engine {
                        Engine::Mysql => format!("CAST({} AS CHAR)", quote::ident(engine, k)),
                        _ => format!("CAST({} AS TEXT)", quote::ident(engine, k)),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            &[],
            "target-drift: reading the smallest key",
        )
        .await?
        .into_iter()
        .next()
        .map(|row| {
            row.into_iter()
                .map(Option::unwrap_or_default)
                .collect::<Vec<_>>()
                .join(", ")
        });
    let Some(key) = key else {
        return Ok(None);
    };
    let value = format!("CASE WHEN {col} = 'drift' THEN 'drifT' ELSE 'drift' END");
    let sql = match engine {
        Engine::Mysql => format!("UPDATE {name} SET {col} = {value} ORDER BY {order} LIMIT 1"),
        _ => format!(
            "UPDATE {name} SET {col} = {value} WHERE ctid = (SELECT ctid FROM {name} ORDER BY {order} LIMIT 1)"
        ),
    };
    target
        .execute(&sql, &[], "target-drift: changing a row on the target")
        .await?;
    Ok(Some(Drifted {
        table: table.target.name.to_string(),
        column,
        key,
    }))
}

/// Sets the first key sequence of the plan's target tables that feeds a non-empty table back to
/// 1 (the `sequence-drift` drill); returns `(sequence, "table.column")`. `None` when the target
/// has no such sequence (MySQL and SQLite keep no separate sequence to set back).
///
/// # Errors
/// [`RehearsalError::Db`] when the catalog cannot be read or the sequence set.
pub async fn plant_sequence_drift(
    target: &Database,
    plan: &BackfillPlan,
) -> Result<Option<(String, String)>, RehearsalError> {
    if target.engine != Engine::Postgres {
        return Ok(None);
    }
    let tables: Vec<String> = plan
        .target_tables()
        .iter()
        .map(|t| quote::table(Engine::Postgres, t))
        .collect();
    for (table, column, sequence) in
        crate::backfill::sequences::column_sequences(target, &tables).await?
    {
        let rows = target
            .fetch_texts(
                &format!(
                    "SELECT setval($1::text::regclass, 1, false)::text FROM {table} HAVING count(*) > 0"
                ),
                &[crate::data::Cell::Text(sequence.clone())],
                "sequence-drift: setting a key sequence back",
            )
            .await?;
        if !rows.is_empty() {
            return Ok(Some((sequence, format!("{table}.{column}"))));
        }
    }
    Ok(None)
}
