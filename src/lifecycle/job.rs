//! A job's recorded state and its transitions.

use serde::{Deserialize, Serialize};

use super::phase::{Actor, Phase};
use super::window::Window;

/// One migrated table's job, as stored between ticks. Everything the loop needs to decide the
/// next transition is here, so a restarted loop decides exactly as the stopped one would have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// The job's id: the table's name as the inventory spells it (`schema.table` or `table`).
    pub id: String,
    /// Current phase.
    pub phase: Phase,
    /// The phase a held job goes back to when a person releases it.
    pub held_from: Option<Phase>,
    /// Consecutive measured windows, in the current phase, in which every criterion held.
    pub streak: u32,
    /// Who approved cleanup (`lifecycle approve`), when someone did.
    pub approved_by: Option<String>,
    /// Why they approved it, when they said; goes into the cleanup transition's reason.
    #[serde(default)]
    pub approval_reason: Option<String>,
    /// The criteria held long enough for cleanup, which waits for an approval.
    pub awaiting_approval: bool,
    /// The last measured window's failures (`L00n criterion: values`); empty when all held.
    pub failures: Vec<String>,
    /// Times (Unix seconds) of the shadow ⇄ reverse-shadow transitions inside the flapping
    /// window, oldest first.
    pub flips: Vec<f64>,
    /// When the job last changed phase (Unix seconds).
    pub last_transition_at: f64,
    /// When the job was last measured (Unix seconds), if ever.
    pub last_window_at: Option<f64>,
}

impl Job {
    /// A new job in `planned`, created at `at` (Unix seconds).
    pub fn planned(id: String, at: f64) -> Job {
        Job {
            id,
            phase: Phase::Planned,
            held_from: None,
            streak: 0,
            approved_by: None,
            approval_reason: None,
            awaiting_approval: false,
            failures: Vec::new(),
            flips: Vec::new(),
            last_transition_at: at,
            last_window_at: None,
        }
    }

    /// Whether the job needs nothing more from the loop (done, or held for a person).
    pub fn is_settled(&self) -> bool {
        matches!(self.phase, Phase::Done | Phase::Held)
    }
}

/// A recorded change of phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    /// The job.
    pub job: String,
    /// When (Unix seconds).
    pub at: f64,
    /// Phase before.
    pub from: Phase,
    /// Phase after.
    pub to: Phase,
    /// What made it.
    pub actor: Actor,
    /// Why, in words; a demotion starts with the failing criteria's codes.
    pub reason: String,
    /// The window's measured values the decision was taken on, when it was the loop's.
    pub window: Option<Window>,
}

impl Transition {
    /// The transition for a person, without its job:
    /// `shadow → reverse shadow by the loop: every criterion held over the last 3 windows`, or
    /// `… by ana` for a person's; the reason's criteria in words
    /// ([`super::status::failures_in_words`]).
    pub fn in_words(&self) -> String {
        let moved = format!(
            "{} → {} by {}",
            self.from.label(),
            self.to.label(),
            self.actor.in_words()
        );
        if self.reason.trim().is_empty() {
            moved
        } else {
            format!(
                "{moved}: {}",
                super::status::failures_in_words(&self.reason)
            )
        }
    }
}
