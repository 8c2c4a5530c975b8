//! Progress of a running rehearsal, as the CLI's bars and the desktop app show it: steps as
//! they start and end, the backfill's own events, and the capture lag as it is sampled.

use serde::{Deserialize, Serialize};

use crate::backfill::BackfillEvent;

/// One progress event. Times are seconds on the rehearsal clock (from its start, the time a
/// killed run was dead not counted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RehearsalEvent {
    /// A step starts.
    StepStarted {
        /// Step name, as in the report.
        step: String,
        /// Rehearsal clock, seconds.
        at_seconds: f64,
        /// The runbook's estimate for it, seconds.
        expected_seconds: Option<f64>,
    },
    /// A step ended.
    StepFinished {
        /// Step name.
        step: String,
        /// Seconds it took.
        seconds: f64,
        /// Rows it handled, when it handles rows.
        rows: Option<u64>,
    },
    /// Backfill progress (per table).
    Backfill {
        /// The backfill's event.
        event: BackfillEvent,
    },
    /// Capture lag sampled during a catch-up or the rollback drill.
    Lag {
        /// `catch-up`, `final catch-up` or `rollback`.
        phase: String,
        /// Changes captured and not yet applied.
        pending: u64,
        /// Age of the oldest of them, seconds.
        age_seconds: f64,
    },
}

/// Where events go: a channel the caller reads (a closed one is ignored: nobody watches).
pub type Events = Option<tokio::sync::mpsc::UnboundedSender<RehearsalEvent>>;
