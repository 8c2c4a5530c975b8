//! Progress bars on stderr (hidden when stderr is not a terminal or `--json` is asked for).

use std::collections::HashMap;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use tokio::sync::mpsc::UnboundedReceiver;

use migration_studio::backfill::BackfillEvent;
use migration_studio::export::escape_controls;
use migration_studio::rehearsal::RehearsalEvent;
use migration_studio::workspace::backfill::BackfillProgress;

/// A progress area, drawn only on a terminal.
pub(crate) fn area(quiet: bool) -> MultiProgress {
    let multi = MultiProgress::new();
    if quiet || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        multi.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    multi
}

/// One bar per table being copied: rows, rate, ETA.
pub(crate) struct BackfillBars {
    multi: MultiProgress,
    style: ProgressStyle,
    bars: HashMap<String, ProgressBar>,
}

impl BackfillBars {
    pub(crate) fn new(multi: MultiProgress) -> Self {
        let style = ProgressStyle::with_template(
            "{prefix:<32} [{bar:30}] {pos:>9}/{len:9} rows {per_sec:>12} eta {eta}",
        )
        .expect("valid template")
        .progress_chars("=> ");
        Self {
            multi,
            style,
            bars: HashMap::new(),
        }
    }

    pub(crate) fn handle(&mut self, event: BackfillEvent) {
        match event {
            BackfillEvent::TableStarted {
                table,
                estimated_rows,
                resumed_rows,
            } => {
                let bar = self.multi.add(ProgressBar::new(
                    estimated_rows.unwrap_or(0).max(resumed_rows),
                ));
                bar.set_style(self.style.clone());
                bar.set_prefix(escape_controls(&table).into_owned());
                bar.set_position(resumed_rows);
                self.bars.insert(table, bar);
            }
            BackfillEvent::Chunk { table, rows, .. } => {
                if let Some(bar) = self.bars.get(&table) {
                    if rows > bar.length().unwrap_or(0) {
                        bar.set_length(rows);
                    }
                    bar.set_position(rows);
                }
            }
            BackfillEvent::TableFinished { table, rows, .. } => {
                if let Some(bar) = self.bars.get(&table) {
                    bar.set_length(rows);
                    bar.finish();
                }
            }
        }
    }
}

/// Draws a backfill's table bars until the sender is dropped.
pub(crate) async fn show_backfill(mut rx: UnboundedReceiver<BackfillProgress>, quiet: bool) {
    let mut bars = BackfillBars::new(area(quiet));
    while let Some(event) = rx.recv().await {
        if let BackfillProgress::Copy(event) = event {
            bars.handle(event);
        }
    }
}

/// Draws a rehearsal: a line per step (spinner while it runs, then its time), the backfill's
/// table bars, and the capture lag on the running step's line.
pub(crate) async fn show_rehearsal(mut rx: UnboundedReceiver<RehearsalEvent>, quiet: bool) {
    let multi = area(quiet);
    let running = ProgressStyle::with_template("{spinner} {prefix:<42} {elapsed:>4} {msg}")
        .expect("valid template");
    let done = ProgressStyle::with_template("✓ {prefix:<42} {msg}").expect("valid template");
    let mut step: Option<ProgressBar> = None;
    let mut tables = BackfillBars::new(multi.clone());
    while let Some(event) = rx.recv().await {
        match event {
            RehearsalEvent::StepStarted {
                step: name,
                expected_seconds,
                ..
            } => {
                let bar = multi.add(ProgressBar::new_spinner());
                bar.set_style(running.clone());
                bar.set_prefix(escape_controls(&name).into_owned());
                if let Some(e) = expected_seconds {
                    bar.set_message(format!("(runbook: {e:.0} s)"));
                }
                bar.enable_steady_tick(std::time::Duration::from_millis(120));
                step = Some(bar);
            }
            RehearsalEvent::StepFinished {
                step: name,
                seconds,
                rows,
            } => {
                let bar = match step.take() {
                    Some(bar) => bar,
                    None => multi.add(ProgressBar::new_spinner()),
                };
                bar.set_style(done.clone());
                bar.set_prefix(escape_controls(&name).into_owned());
                bar.finish_with_message(match rows {
                    Some(n) => format!("{seconds:>8.2} s  {n} rows"),
                    None => format!("{seconds:>8.2} s"),
                });
            }
            RehearsalEvent::Backfill { event } => tables.handle(event),
            RehearsalEvent::Lag {
                pending,
                age_seconds,
                ..
            } => {
                if let Some(bar) = &step {
                    bar.set_message(format!(
                        "lag: {pending} changes pending, oldest {age_seconds:.1} s"
                    ));
                }
            }
        }
    }
}
