//! Two rehearsals side by side: per step, the measured seconds of each and the change; and the
//! headline figures (verdict, rows, mismatches, write downtime, rollback against the RTO, total).
//! "Rehearse until boring" means these changes get small.

use serde::{Deserialize, Serialize};

use super::{RehearsalReport, Verdict};

/// The headline figures of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Headline {
    /// Run id.
    pub id: String,
    /// Start, Unix seconds.
    pub started_at_unix: u64,
    /// Verdict.
    pub verdict: Verdict,
    /// The first failed gate's reason, when the verdict is fail.
    pub failed_because: Option<String>,
    /// Rows in the source after loading.
    pub source_rows: u64,
    /// Rows differing after the final catch-up.
    pub mismatched_rows: u64,
    /// Seconds without writes between the freeze and writes resuming on the target.
    pub write_downtime_seconds: f64,
    /// Seconds the rollback drill took.
    pub rollback_seconds: f64,
    /// The project's RTO in seconds when the run was made.
    pub rto_seconds: f64,
    /// Whether the rollback drill took at most the RTO.
    pub rollback_within_rto: bool,
    /// Seconds from start to end.
    pub total_seconds: f64,
}

impl Headline {
    fn of(r: &RehearsalReport) -> Self {
        Self {
            id: r.id.clone(),
            started_at_unix: r.started_at_unix,
            verdict: r.verdict,
            failed_because: r.failed_because.clone(),
            source_rows: r.source_rows,
            mismatched_rows: r.mismatched_rows,
            write_downtime_seconds: r.write_downtime_seconds,
            rollback_seconds: r.rollback_seconds,
            rto_seconds: r.rto_seconds,
            rollback_within_rto: r.rollback_seconds <= r.rto_seconds,
            total_seconds: r.total_seconds,
        }
    }
}

/// One step in both runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepChange {
    /// Step name.
    pub name: String,
    /// Measured seconds in run `a`; `None` when `a` did not run the step (it stopped at a gate).
    pub a_seconds: Option<f64>,
    /// Measured seconds in run `b`; `None` when `b` did not run it.
    pub b_seconds: Option<f64>,
    /// `b − a` in seconds, when both ran the step.
    pub change_seconds: Option<f64>,
    /// `(b − a) ÷ a` (0.25 is 25 % slower), when both ran the step and `a` took some time.
    pub change_ratio: Option<f64>,
}

/// How run `b` differs from run `a` in the headline figures (`b − a`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeadlineChange {
    /// Whether the verdicts differ.
    pub verdict_changed: bool,
    /// Change in source rows.
    pub source_rows: i64,
    /// Change in mismatched rows.
    pub mismatched_rows: i64,
    /// Change in write downtime, seconds.
    pub write_downtime_seconds: f64,
    /// Change in rollback time, seconds.
    pub rollback_seconds: f64,
    /// Change in total time, seconds.
    pub total_seconds: f64,
}

/// Two runs compared ([`compare`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The first run's headline figures.
    pub a: Headline,
    /// The second run's headline figures.
    pub b: Headline,
    /// `b − a` of the headline figures.
    pub change: HeadlineChange,
    /// Steps of `a` in its order, then steps only `b` ran, in `b`'s order. A step name that
    /// occurs twice in a run is paired with the same occurrence in the other run.
    pub steps: Vec<StepChange>,
}

fn seconds(step: &super::StepTiming) -> f64 {
    step.end_seconds - step.start_seconds
}

/// Compares run `b` with run `a`.
pub fn compare(a: &RehearsalReport, b: &RehearsalReport) -> Comparison {
    // (name, occurrence) of each step, so repeated names pair in order.
    let keyed = |r: &RehearsalReport| -> Vec<((String, usize), f64)> {
        let mut seen: Vec<&str> = Vec::new();
        r.steps
            .iter()
            .map(|s| {
                let n = seen.iter().filter(|&&x| x == s.name).count();
                seen.push(&s.name);
                ((s.name.clone(), n), seconds(s))
            })
            .collect()
    };
    let (ka, kb) = (keyed(a), keyed(b));
    let find = |k: &[((String, usize), f64)], key: &(String, usize)| {
        k.iter().find(|(x, _)| x == key).map(|(_, s)| *s)
    };
    let mut steps: Vec<StepChange> = Vec::new();
    let only_b = kb.iter().filter(|(key, _)| find(&ka, key).is_none());
    for (key, a_seconds) in ka
        .iter()
        .map(|(k, s)| (k, Some(*s)))
        .chain(only_b.map(|(k, _)| (k, None)))
    {
        let b_seconds = find(&kb, key);
        let change_seconds = a_seconds.zip(b_seconds).map(|(x, y)| y - x);
        steps.push(StepChange {
            name: key.0.clone(),
            a_seconds,
            b_seconds,
            change_seconds,
            change_ratio: a_seconds
                .zip(change_seconds)
                .filter(|(x, _)| *x > 0.0)
                .map(|(x, d)| d / x),
        });
    }
    let signed = |x: u64, y: u64| y as i64 - x as i64;
    Comparison {
        change: HeadlineChange {
            verdict_changed: a.verdict != b.verdict,
            source_rows: signed(a.source_rows, b.source_rows),
            mismatched_rows: signed(a.mismatched_rows, b.mismatched_rows),
            write_downtime_seconds: b.write_downtime_seconds - a.write_downtime_seconds,
            rollback_seconds: b.rollback_seconds - a.rollback_seconds,
            total_seconds: b.total_seconds - a.total_seconds,
        },
        a: Headline::of(a),
        b: Headline::of(b),
        steps,
    }
}
