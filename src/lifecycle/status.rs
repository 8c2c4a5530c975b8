//! The operator's view: which jobs need a look, and why.

use serde::Serialize;

use super::job::Job;
use super::phase::Phase;
use crate::codes::lifecycle as code;
use crate::project::settings::{Criterion, LifecycleSettings};

/// Why a job is listed by `lifecycle status` (without `--all`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Attention {
    /// Held for a person after flapping.
    Held,
    /// Its last measured window failed a criterion.
    Regressing,
    /// Ready for cleanup, waiting for an approval.
    AwaitingApproval,
    /// No phase change for `stuck_after_seconds`.
    Stuck,
}

impl Attention {
    /// Its stable code (`L006`…).
    pub fn code(self) -> &'static str {
        match self {
            Attention::Held => code::HELD,
            Attention::Regressing => code::REGRESSING,
            Attention::AwaitingApproval => code::AWAITING_APPROVAL,
            Attention::Stuck => code::STUCK,
        }
    }

    /// Its name, e.g. `awaiting_approval`.
    pub fn name(self) -> &'static str {
        match self {
            Attention::Held => "held",
            Attention::Regressing => "regressing",
            Attention::AwaitingApproval => "awaiting_approval",
            Attention::Stuck => "stuck",
        }
    }

    /// Its name in words for a person (`awaiting approval`), as the desktop app shows it.
    pub fn label(self) -> &'static str {
        match self {
            Attention::AwaitingApproval => "awaiting approval",
            other => other.name(),
        }
    }
}

/// `text`, a failed criterion's line or a reason made of them
/// (`L002 data_quality: checksums differ over 100 rows; L004 latency: …`), for a person: each
/// criterion's manifest name after its code in words (`L002 data quality: …`). The rest is
/// kept as it is.
pub fn failures_in_words(text: &str) -> String {
    Criterion::EVERY
        .into_iter()
        .filter(|c| c.name() != c.label())
        .fold(text.to_owned(), |out, c| {
            out.replace(&format!(" {}: ", c.name()), &format!(" {}: ", c.label()))
        })
}

/// Why `job` needs a look at time `now` (Unix seconds), most pressing first; empty when it
/// does not.
pub fn attention(job: &Job, settings: &LifecycleSettings, now: f64) -> Vec<Attention> {
    let mut out = Vec::new();
    if job.phase == Phase::Held {
        out.push(Attention::Held);
    }
    if !job.failures.is_empty() && job.phase.is_measured() {
        out.push(Attention::Regressing);
    }
    if job.awaiting_approval {
        out.push(Attention::AwaitingApproval);
    }
    if job.phase != Phase::Done
        && job.phase != Phase::Held
        && now - job.last_transition_at > settings.stuck_after_seconds
    {
        out.push(Attention::Stuck);
    }
    out
}
