//! Copying one table: a reader task fetches the next chunk while the writer commits the
//! previous one; the chunk size follows the target chunk time.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::mpsc;

use super::checkpoint::{self, Checkpoint, KeyValue};
use super::read::{ChunkReader, ReadChunk};
use super::retry;
use super::write::{write_chunk, Chunk, WriteError};
use super::{
    BackfillError, BackfillEvent, BackfillOptions, Control, PlannedTable, RunLog, TableReport,
};
use crate::data::pg_binary::Field;
use crate::data::rules::{self, Converted};
use crate::data::Cell;
use crate::db::{Database, DbError};

/// Next chunk size: scaled towards the target chunk time, at most doubling or halving per
/// chunk so one slow commit (a checkpoint fsync, a lock) does not swing it wildly.
fn next_chunk_size(current: usize, seconds: f64, options: &BackfillOptions) -> usize {
    if seconds <= 0.0 {
        return (current * 2).min(options.max_chunk_rows);
    }
    let ideal = current as f64 * options.target_chunk_seconds / seconds;
    let bounded = ideal.clamp(current as f64 / 2.0, current as f64 * 2.0);
    (bounded as usize).clamp(options.min_chunk_rows, options.max_chunk_rows)
}

pub(super) async fn copy(
    source: &Database,
    target: &Database,
    planned: &PlannedTable,
    options: &BackfillOptions,
    control: &Control,
    events: Option<mpsc::UnboundedSender<BackfillEvent>>,
    log: &RunLog,
) -> Result<TableReport, BackfillError> {
    let label = planned.label.as_str();
    let mut checkpoint = retry::transient("reading a checkpoint", || {
        checkpoint::load(target, &options.run_id, label)
    })
    .await?
    .unwrap_or_default();
    let resumed_from = checkpoint.rows;
    let started = Instant::now();
    let mut report = TableReport {
        source: label.to_owned(),
        target: planned.mapping.target.to_string(),
        wave: planned.wave,
        rows: checkpoint.rows,
        bytes: 0,
        rejected: checkpoint.rejected,
        chunks: 0,
        seconds: 0.0,
        rows_per_second: 0.0,
        resumed_from,
        done: checkpoint.done,
        retries: 0,
        converted: checkpoint.converted.clone(),
    };
    if checkpoint.done {
        return Ok(report);
    }
    let emit = |event: BackfillEvent| {
        if let Some(tx) = &events {
            // A closed receiver means nobody watches progress any more; the copy goes on.
            let _ = tx.send(event);
        }
    };
    emit(BackfillEvent::TableStarted {
        table: label.to_owned(),
        estimated_rows: planned.estimated_rows,
        resumed_rows: resumed_from,
    });
    log.record(&json!({"step": "table_start", "table": label, "resumed_rows": resumed_from}));

    let start_after: Option<Vec<Cell>> = checkpoint
        .last_key
        .as_ref()
        .map(|k| k.iter().map(Cell::from).collect());
    let binary: Option<Arc<[Field]>> = (target.engine == crate::import::Engine::Postgres)
        .then(|| {
            planned
                .mapping
                .columns
                .iter()
                .map(|c| Field::for_column(&c.target, &c.target_type))
                .collect::<Option<Vec<Field>>>()
        })
        .flatten()
        .map(Arc::from);
    let chunk_size = Arc::new(AtomicUsize::new(options.initial_chunk_rows.max(1)));
    let chunks = Arc::new(ChunkReader::new(
        source.clone(),
        planned.source.clone(),
        planned.mapping.columns.clone(),
        binary.clone(),
        target.engine,
        options.conversion,
    ));
    let (tx, mut rx) = mpsc::channel::<Result<ReadChunk, DbError>>(1);
    let reader = {
        let (chunks, chunk_size) = (chunks.clone(), chunk_size.clone());
        let mut after = start_after.clone();
        // Reading, converting and encoding here, in the reader's task, overlaps them with the
        // previous chunk's write: the target never waits for our CPU work.
        let whole = planned.whole;
        tokio::spawn(async move {
            if whole {
                let chunk = chunks.whole().await.transpose();
                if let Some(chunk) = chunk {
                    let _ = tx.send(chunk).await;
                }
                return;
            }
            loop {
                let limit = chunk_size.load(Ordering::Relaxed);
                let chunk = match chunks.next(after.as_deref(), limit).await {
                    Ok(None) => return,
                    Ok(Some(chunk)) => chunk,
                    Err(e) => {
                        let _ = tx.send(Err(e)).await;
                        return;
                    }
                };
                after = Some(chunk.source_last.clone());
                if tx.send(Ok(chunk)).await.is_err() {
                    return;
                }
            }
        })
    };

    let columns: Vec<String> = planned
        .mapping
        .columns
        .iter()
        .map(|c| c.target_name.clone())
        .collect();
    // No key columns: the whole table's one chunk replaces all of it (`write::delete_range`).
    let key_columns = if planned.whole {
        Vec::new()
    } else {
        planned.target.key_columns()
    };
    let key_index = planned.target.key.clone();
    let convert_key = |key: Vec<Cell>| -> Vec<Cell> {
        key.into_iter()
            .zip(&planned.source.key)
            .map(|(cell, &i)| {
                let c = &planned.mapping.columns[i];
                cell.convert(&c.source, &c.target, target.engine, &options.conversion)
                    .0
            })
            .collect()
    };
    let mut after_target = start_after.clone().map(&convert_key);
    let attempt_started = Instant::now();
    let mut copied_this_attempt = 0u64;
    let result: Result<(), BackfillError> = async {
        while let Some(read) = rx.recv().await {
            let read = read?;
            control.wait_if_paused().await;
            let source_last = read.source_last;
            let n = read.row_count as u64;
            let next = Checkpoint {
                last_key: Some(source_last.iter().map(KeyValue::from).collect()),
                rows: checkpoint.rows + n,
                bytes: checkpoint.bytes + read.bytes,
                chunks: checkpoint.chunks + 1,
                rejected: checkpoint.rejected,
                done: false,
                converted: merged(&checkpoint.converted, &read.conversions.converted),
            };
            let mut chunk = Chunk {
                table: &planned.mapping.target,
                label,
                columns: &columns,
                key_columns: &key_columns,
                key_index: &key_index,
                rows: read.rows,
                row_count: read.row_count,
                last: convert_key(source_last.clone()),
                after: after_target.clone(),
                binary: binary.as_deref(),
                encoded: read.encoded,
                abort_before_commit: options.abort_before_commit_of_chunk == Some(next.chunks),
                checkpoint: next.clone(),
                run_id: &options.run_id,
                policy: options.reject_policy,
                originals: read.conversions.originals,
            };
            log.record(
                &json!({"step": "chunk_begin", "table": label, "chunk": next.chunks, "rows": n}),
            );
            let t0 = Instant::now();
            let mut attempt = 1;
            let refused = loop {
                match write_chunk(target, &chunk).await {
                    Err(WriteError::RowsNeeded(_)) => {
                        let (rows, conversions) = chunks
                            .rows_between(read.source_after.as_deref(), &source_last)
                            .await?;
                        chunk.checkpoint.converted =
                            merged(&checkpoint.converted, &conversions.converted);
                        chunk.originals = conversions.originals;
                        log.record(&json!({
                            "step": "chunk_reread", "table": label, "chunk": next.chunks,
                            "rows": rows.len()
                        }));
                        chunk.row_count = rows.len();
                        chunk.rows = rows;
                        chunk.encoded = None;
                        chunk.checkpoint.rows = checkpoint.rows + chunk.row_count as u64;
                    }
                    Err(WriteError::Db(e))
                        if attempt < retry::ATTEMPTS && retry::is_transient(&e) =>
                    {
                        log.record(&json!({
                            "step": "chunk_retry", "table": label, "chunk": next.chunks,
                            "attempt": attempt, "error": e.to_string()
                        }));
                        tracing::warn!(table = label, error = %e, "chunk write failed; retrying");
                        tokio::time::sleep(retry::backoff(attempt)).await;
                        attempt += 1;
                        report.retries += 1;
                    }
                    other => break other?,
                }
            };
            let seconds = t0.elapsed().as_secs_f64();
            // The rows written: read again when the load was refused, so perhaps not `n`.
            let n = chunk.row_count as u64;
            after_target = Some(convert_key(source_last));
            checkpoint = chunk.checkpoint_after(refused.len());
            copied_this_attempt += n;
            report.chunks += 1;
            report.bytes += read.bytes;
            log.record(&json!({
                "step": "chunk_commit", "table": label, "chunk": checkpoint.chunks, "rows": n,
                "rejected": refused.len(), "seconds": seconds, "outcome": "committed"
            }));
            chunk_size.store(
                next_chunk_size(n as usize, seconds, options),
                Ordering::Relaxed,
            );
            let elapsed = attempt_started.elapsed().as_secs_f64();
            let rate = copied_this_attempt as f64 / elapsed.max(1e-9);
            emit(BackfillEvent::Chunk {
                table: label.to_owned(),
                rows: checkpoint.rows,
                bytes: checkpoint.bytes,
                rows_per_second: rate,
                eta_seconds: planned
                    .estimated_rows
                    .map(|total| total.saturating_sub(checkpoint.rows) as f64 / rate.max(1e-9)),
            });
            if let Some(max) = options.max_rows_per_second {
                let due = copied_this_attempt as f64 / max;
                if due > elapsed {
                    tokio::time::sleep(Duration::from_secs_f64(due - elapsed)).await;
                }
            }
            if control.is_cancelled() {
                return Ok(());
            }
        }
        Ok(())
    }
    .await;
    reader.abort();
    result?;
    if !control.is_cancelled() {
        checkpoint.done = true;
        let mut set_aside: Vec<(String, String, String, String)> = null_key_rows(source, planned)
            .await?
            .into_iter()
            .map(|(key, reason, row)| (label.to_owned(), key, reason, row))
            .collect();
        set_aside.extend(orphan_rows(source, planned).await?);
        checkpoint.rejected += set_aside.len() as u64;
        retry::transient("marking a table done", || {
            mark_done(target, &options.run_id, label, &checkpoint, &set_aside)
        })
        .await?;
        report.done = true;
        emit(BackfillEvent::TableFinished {
            table: label.to_owned(),
            rows: checkpoint.rows,
            rejected: checkpoint.rejected,
        });
    }
    report.rows = checkpoint.rows;
    report.rejected = checkpoint.rejected;
    report.converted = checkpoint.converted.clone();
    report.seconds = started.elapsed().as_secs_f64();
    report.rows_per_second = copied_this_attempt as f64 / report.seconds.max(1e-9);
    log.record(&json!({
        "step": "table_end", "table": label, "rows": report.rows, "rejected": report.rejected,
        "seconds": report.seconds, "outcome": if report.done { "done" } else { "cancelled" }
    }));
    Ok(report)
}

fn merged(committed: &[Converted], chunk: &[Converted]) -> Vec<Converted> {
    let mut all = committed.to_vec();
    rules::merge(&mut all, chunk);
    all
}

/// Rows of a SQLite source whose key has a NULL part, as (key JSON, reason, row JSON): keyset
/// pagination never reaches them, so they are rejected and counted rather than lost. Other
/// engines' primary keys cannot hold NULL.
async fn null_key_rows(
    source: &Database,
    planned: &PlannedTable,
) -> Result<Vec<(String, String, String)>, DbError> {
    // A table copied whole read these rows with the others (and the target decided).
    if source.engine != crate::import::Engine::Sqlite || planned.whole {
        return Ok(Vec::new());
    }
    let rows = crate::data::read::read_fragment(
        source,
        &planned.source,
        &planned.source.select_null_keys(),
    )
    .await?;
    let key_names: Vec<&str> = planned
        .source
        .key
        .iter()
        .map(|&i| planned.source.columns[i].name.as_str())
        .collect();
    let reason = format!(
        "NULL in primary key column(s) {}: SQLite allowed it, the target's key cannot hold it and keyset pagination cannot place the row",
        key_names.join(", ")
    );
    Ok(rows
        .iter()
        .map(|row| {
            (
                checkpoint::key_json(&planned.source.key_of(row)),
                reason.clone(),
                checkpoint::key_json(row),
            )
        })
        .collect())
}

/// The rows of the tables merged into `planned`'s source table whose key has no row there
/// (orphans), as (merged table, key JSON, reason, row JSON): the merge's rule gives them no
/// target row ([`crate::mapping::spec::table_merge`]), so they are rejected and counted.
async fn orphan_rows(
    source: &Database,
    planned: &PlannedTable,
) -> Result<Vec<(String, String, String, String)>, DbError> {
    let mut out = Vec::new();
    for merged in &planned.mapping.merged {
        let Ok(spec) = crate::mapping::spec::table_merge::orphan_read(
            source.engine,
            &planned.mapping.source,
            &planned.mapping.key,
            merged,
        ) else {
            continue;
        };
        let rows =
            crate::data::read::read_fragment(source, &spec, &spec.select(None, None, None)).await?;
        let reason = format!(
            "merged into {} by the mapping spec, and {} has no row with this key: the row has no target row to arrive in",
            planned.mapping.source, planned.mapping.source
        );
        out.extend(rows.iter().map(|row| {
            (
                merged.name.to_string(),
                checkpoint::key_json(&spec.key_of(row)),
                reason.clone(),
                checkpoint::key_json(row),
            )
        }));
    }
    Ok(out)
}

/// Records the table's final checkpoint and, in the same transaction, the rows `rejects`
/// (table, key JSON, reason, row JSON) kept aside at its end.
async fn mark_done(
    db: &Database,
    run_id: &str,
    label: &str,
    checkpoint: &Checkpoint,
    rejects: &[(String, String, String, String)],
) -> Result<(), DbError> {
    let state = serde_json::to_string(checkpoint).expect("checkpoint serialises");
    let context = format!("finishing {label}");
    let mut script = Vec::new();
    for (table, key, reason, row) in rejects {
        script.push((
            checkpoint::reject_sql(db.engine),
            vec![
                Cell::Text(run_id.to_owned()),
                Cell::Text(table.clone()),
                Cell::Text(key.clone()),
                Cell::Text(reason.clone()),
                Cell::Text(row.clone()),
            ],
        ));
    }
    script.push((
        checkpoint::upsert_sql(db.engine),
        vec![
            Cell::Text(run_id.to_owned()),
            Cell::Text(label.to_owned()),
            Cell::Text(state),
        ],
    ));
    db.execute_in_transaction(&script, &context).await
}
