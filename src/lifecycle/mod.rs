//! # The migration job lifecycle
//!
//! When a migration covers many tables, each one is a **job** that earns its way from the old
//! system to the new, and so is each service pipeline of the service inventory
//! ([`pipeline`]: batch jobs and queue producers and consumers), through phases ([`Phase`]):
//!
//! | phase | what runs | who writes the production table |
//! |---|---|---|
//! | planned | the old pipeline only | old |
//! | shadow | the new pipeline writes a shadow table beside the old one | old |
//! | reverse shadow | writers swapped; the old pipeline writes the shadow table | new |
//! | cleanup | the old job and its shadow table are removed (point of no return) | new |
//! | done | nothing of the old job is left | new |
//!
//! A **control loop** ([`tick::tick`], a pure function) takes the jobs' states and one tick's
//! measured [`Window`]s and decides the transitions: a job is promoted when every criterion
//! of its [`JobPolicy`] (data quality, landing latency, resources, and a critical job's own SQL
//! assertions, [`crate::project::settings::Assertion`]; defaults and per-job overrides from the
//! manifest's `[lifecycle]`) held over its last N windows; a promoted job
//! whose criteria stop holding is demoted one phase with the failures as the reason; a job
//! that flaps is held for a person ([`Phase::Held`]). Cleanup needs a person's approval unless
//! the manifest sets `auto_cleanup`.
//!
//! Every transition is recorded with its time, the window's values and its actor
//! ([`Actor`]); states and transitions live in the project store ([`store`]), one
//! transaction per tick, so a killed loop resumes where the last tick committed.
//! [`status::attention`] is the operator's view: held, regressing, awaiting approval, stuck.
//!
//! The planning core ([`crate::plan`]) does not depend on this module.

pub mod job;
pub mod measure;
pub mod phase;
pub mod pipeline;
pub mod policy;
pub mod status;
pub mod store;
pub mod tick;
pub mod window;

use std::path::PathBuf;

pub use crate::project::settings::{Criterion, JobSettings, LifecycleSettings};
pub use job::{Job, Transition};
pub use phase::{Actor, Phase};
pub use policy::JobPolicy;
pub use status::{failures_in_words, Attention};
pub use store::LifecycleStore;
pub use tick::{tick, TickOutcome};
pub use window::{Failure, Resources, Window};

/// Why a lifecycle operation failed.
#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    /// The project (manifest, store) failed.
    #[error(transparent)]
    Project(#[from] crate::project::ProjectError),
    /// No job has this id.
    #[error("no lifecycle job `{0}` (jobs are the inventory's tables and service pipelines; `lifecycle status --all` lists them)")]
    UnknownJob(String),
    /// The project has no imported inventory to make jobs of.
    #[error("{0}: no inventory imported yet; run `migration-studio import` first")]
    NoInventory(PathBuf),
    /// `[lifecycle.jobs."<name>"]` names no table of the inventory.
    #[error("{}{}: `[lifecycle.jobs.\"{job}\"]` names no table of the inventory", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    UnknownJobSettings {
        /// The manifest file.
        file: PathBuf,
        /// 1-based line of the section, when found.
        line: Option<usize>,
        /// The name given.
        job: String,
    },
    /// `lifecycle approve` on a job that has nothing to approve.
    #[error("job `{job}` is {phase}: only a job in reverse_shadow (cleanup) or held (release) takes an approval")]
    NothingToApprove {
        /// The job.
        job: String,
        /// Its phase.
        phase: Phase,
    },
    /// `lifecycle approve` without a name: an approval is a person's.
    #[error("job `{0}`: say who approves (an approval is recorded with a person's name)")]
    NoApprover(String),
    /// A measurement file could not be read.
    #[error("{}{}: {message}", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Measurements {
        /// The file.
        file: PathBuf,
        /// 1-based line, when known.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// `lifecycle run` was given no measurement source.
    #[error("no measurements: give --source-url and --target-url, or --measurements FILE")]
    NoMeasurements,
    /// Measuring on the databases failed.
    #[error(transparent)]
    Validate(crate::validate::ValidateError),
    /// `lifecycle rehearse` could not make, load or drill its scratch databases.
    #[error("lifecycle rehearsal: {0}")]
    Rehearsal(String),
    /// Another `lifecycle run` drives this project's jobs: one loop per project.
    #[error(
        "another lifecycle loop is running on this project ({detail}); wait for it or stop it"
    )]
    Busy {
        /// What the lock file says of its holder, and where the file is.
        detail: String,
        /// The holder, as it named itself in the lock file, when it did.
        holder: Option<crate::db::LockHolder>,
    },
}

#[cfg(test)]
mod tests;
