//! Runbook steps: what a cutover team executes, in order, with how to undo each one.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Phase of the cutover a step belongs to, in execution order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Announcements and target preparation.
    Prepare,
    /// Change capture (CDC) or dual write set-up.
    Capture,
    /// Copying existing rows, wave by wave.
    Backfill,
    /// Deferred FKs, secondary indexes, views and triggers on the target.
    Constraints,
    /// Applying captured changes until lag is near zero.
    CatchUp,
    /// Counts, checksums, sampled rows.
    Validation,
    /// Decision points.
    GoNoGo,
    /// Write freeze on the source.
    Freeze,
    /// Switching applications to the target.
    Cutover,
    /// Checks after the switch.
    Verify,
    /// Source kept in sync as a fallback.
    KeepWarm,
    /// Retiring the source.
    Decommission,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Prepare => "prepare",
            Self::Capture => "capture",
            Self::Backfill => "backfill",
            Self::Constraints => "constraints",
            Self::CatchUp => "catch-up",
            Self::Validation => "validation",
            Self::GoNoGo => "go/no-go",
            Self::Freeze => "freeze",
            Self::Cutover => "cutover",
            Self::Verify => "verify",
            Self::KeepWarm => "keep-warm",
            Self::Decommission => "decommission",
        })
    }
}

/// What kind of step it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// Something is done to a system.
    Action,
    /// A go/no-go decision made on measured criteria.
    Checkpoint,
    /// People are told something.
    Communication,
}

impl fmt::Display for StepKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Action => "action",
            Self::Checkpoint => "checkpoint",
            Self::Communication => "communication",
        })
    }
}

/// What a step does, for the machine that executes it (a rehearsal's interpreter, an
/// orchestrator export). The title says it to people; the action says it to programs, so
/// nothing downstream matches titles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepAction {
    /// People are told something; no system changes.
    Announce,
    /// Create the target's schemas and tables (without deferred FKs and secondary indexes).
    PrepareTarget,
    /// Start change capture (CDC) on the source.
    StartCapture,
    /// Start replication source → target into a read-only standby (blue-green).
    StartReplication,
    /// Deploy the application's dual writer: every write goes to the source and the target.
    StartDualWrite,
    /// Copy one table's existing rows ([`Step::artifact`] names it).
    Backfill,
    /// Create deferred foreign keys and secondary indexes on the target.
    CreateConstraints,
    /// Create views and triggers on the target.
    CreateViewsAndTriggers,
    /// Apply captured changes until the lag is under the threshold, writes running.
    CatchUp,
    /// Full validation (counts, checksums, samples, constraints), or drift detection when
    /// the application writes both sides.
    Validate,
    /// A go/no-go decision on the gates measured so far.
    GoNoGo,
    /// Stop writes on the source.
    FreezeWrites,
    /// Apply the remaining captured changes until the lag is zero, writes frozen.
    FinalCatchUp,
    /// Validation of what changed since the last validation, writes frozen.
    FinalValidation,
    /// Point the applications' writes at the target (and lift the freeze there).
    SwitchWrites,
    /// Writes resume on the target, and the source no longer receives them.
    ResumeWrites,
    /// Point the applications' reads at the target (dual write).
    SwitchReads,
    /// Stop writing to the source (the dual writer writes the target only).
    StopSourceWrites,
    /// Reverse change capture target → source, keeping the source warm for a fallback.
    StartReverseCapture,
    /// Post-cutover verification: the application runs against the target; checks pass.
    Verify,
    /// Retire the source.
    Decommission,
    /// Run the statements an upgrade finding calls for on the target ([`Step::statements`]:
    /// a `REINDEX` of indexes under a collation whose version changed…).
    UpgradeStatements,
}

impl StepAction {
    /// Whether a rehearsal on a laptop has something to execute for it (an announcement or
    /// the retirement of production has not: it is recorded, not run).
    pub fn has_machine_action(self) -> bool {
        !matches!(self, Self::Announce | Self::Decommission)
    }
}

impl fmt::Display for StepAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        f.write_str(&text.replace('_', "-"))
    }
}

/// How a step is undone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rollback {
    /// What to do to undo the step.
    pub action: String,
    /// Minutes the undo takes on the way back to the source (estimate).
    pub minutes: f64,
}

/// One runbook step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Stable id, `S001`…, in execution order.
    pub id: String,
    /// Phase.
    pub phase: Phase,
    /// What to do.
    pub title: String,
    /// Role (or team) responsible.
    pub owner: String,
    /// Expected duration in minutes. An estimate unless calibrated from a rehearsal.
    pub expected_minutes: f64,
    /// How the duration was obtained, e.g. `estimate: 16,049 rows at 50,000 rows/s`.
    pub estimate_basis: String,
    /// Ids of steps that must be finished first.
    pub depends_on: Vec<String>,
    /// Kind.
    pub kind: StepKind,
    /// What the step does, for the programs that execute it.
    pub action: StepAction,
    /// How to undo it; `None` means it cannot be undone.
    pub rollback: Option<Rollback>,
    /// Artifact this step is about (backfill steps), by id.
    pub artifact: Option<String>,
    /// Wave of `artifact`, for backfill steps.
    pub wave: Option<usize>,
    /// The team's notes on the step, typed by a person (a step edit); the generated plan has
    /// none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// The upgrade finding's code that calls for the step (`U003`), on the steps an upgrade's
    /// checks add ([`crate::upgrade::UpgradeChecks`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finding: Option<String>,
    /// Statements to run on the target, in order (an upgrade step's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statements: Vec<String>,
}

impl Step {
    /// Whether the step can be undone.
    pub fn reversible(&self) -> bool {
        self.rollback.is_some()
    }
}
