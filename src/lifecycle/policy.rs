//! The criteria and limits one job is held to: the manifest's `[lifecycle]` defaults with the
//! job's own `[lifecycle.jobs."<table>"]` overrides applied.

use crate::project::settings::{Criterion, LifecycleSettings};

/// One job's resolved settings.
#[derive(Debug, Clone, PartialEq)]
pub struct JobPolicy {
    /// Consecutive windows every criterion must hold before a promotion (at least 1).
    pub windows: u32,
    /// The criteria checked (not empty); [`Criterion::Assertions`] among them when the job
    /// has assertions.
    pub criteria: Vec<Criterion>,
    /// Fraction by which the new side may land later than the old.
    pub latency_tolerance: f64,
    /// Fraction by which the new side may spend more than the old.
    pub resource_tolerance: f64,
    /// Whether cleanup needs no approval.
    pub auto_cleanup: bool,
}

impl JobPolicy {
    /// The policy of job `job` under `settings`.
    pub fn for_job(settings: &LifecycleSettings, job: &str) -> JobPolicy {
        let own = settings.jobs.get(job);
        JobPolicy {
            windows: own.and_then(|o| o.windows).unwrap_or(settings.windows),
            criteria: {
                let mut criteria = own
                    .and_then(|o| o.criteria.clone())
                    .unwrap_or_else(|| settings.criteria.clone());
                // A job's assertions are why it has them: checked whether listed or not.
                if own.is_some_and(|o| !o.assertions.is_empty())
                    && !criteria.contains(&Criterion::Assertions)
                {
                    criteria.push(Criterion::Assertions);
                }
                criteria
            },
            latency_tolerance: own
                .and_then(|o| o.latency_tolerance)
                .unwrap_or(settings.latency_tolerance),
            resource_tolerance: own
                .and_then(|o| o.resource_tolerance)
                .unwrap_or(settings.resource_tolerance),
            auto_cleanup: own
                .and_then(|o| o.auto_cleanup)
                .unwrap_or(settings.auto_cleanup),
        }
    }
}
