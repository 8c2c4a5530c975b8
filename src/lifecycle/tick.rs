//! The control loop's decision: a pure function of the jobs' states and one tick's measured
//! windows to their next states and the transitions between. No I/O, no clock: the caller
//! gives the time, so a test (or a restarted loop) replays a tick exactly.

use std::collections::HashMap;

use super::job::{Job, Transition};
use super::phase::{Actor, Phase};
use super::policy::JobPolicy;
use super::window::Window;
use crate::project::settings::LifecycleSettings;

/// The outcome of one tick.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TickOutcome {
    /// Every job's state after the tick, in the order given.
    pub jobs: Vec<Job>,
    /// Indexes (into `jobs`) of the jobs whose state changed: only they need writing.
    pub changed: Vec<usize>,
    /// The transitions, in job order.
    pub transitions: Vec<Transition>,
}

/// Decides one tick at time `at` (Unix seconds).
///
/// Per job: `planned` starts its shadow; `cleanup` ends in `done` (the old job and shadow
/// table are gone); in `shadow` and `reverse_shadow` the job's window (if measured) is checked
/// against its policy: every criterion holding for `windows` consecutive windows promotes it
/// (into `cleanup` only when approved or `auto_cleanup`), any failing one resets the count, and
/// in `reverse_shadow` demotes it to `shadow` with the failures as the reason. A job whose
/// shadow ⇄ reverse-shadow transitions exceed `flap_limit` within `flap_window_seconds` is
/// held. `done` and `held` jobs are left alone; a job without a window this tick waits.
pub fn tick(
    jobs: &[Job],
    windows: &HashMap<String, Window>,
    settings: &LifecycleSettings,
    at: f64,
) -> TickOutcome {
    let default_policy = JobPolicy::for_job(settings, "");
    let mut out = TickOutcome {
        jobs: Vec::with_capacity(jobs.len()),
        ..TickOutcome::default()
    };
    for (i, job) in jobs.iter().enumerate() {
        let own;
        let policy = if settings.jobs.contains_key(&job.id) {
            own = JobPolicy::for_job(settings, &job.id);
            &own
        } else {
            &default_policy
        };
        let mut next = job.clone();
        let before = out.transitions.len();
        decide(
            &mut next,
            windows.get(&job.id),
            policy,
            settings,
            at,
            &mut out.transitions,
        );
        if next != *job || out.transitions.len() != before {
            out.changed.push(i);
        }
        out.jobs.push(next);
    }
    out
}

fn decide(
    job: &mut Job,
    window: Option<&Window>,
    policy: &JobPolicy,
    settings: &LifecycleSettings,
    at: f64,
    transitions: &mut Vec<Transition>,
) {
    let mut go =
        |job: &mut Job, to: Phase, actor: Actor, reason: String, window: Option<&Window>| {
            transitions.push(Transition {
                job: job.id.clone(),
                at,
                from: job.phase,
                to,
                actor,
                reason,
                window: window.cloned(),
            });
            if matches!(
                (job.phase, to),
                (Phase::Shadow, Phase::ReverseShadow) | (Phase::ReverseShadow, Phase::Shadow)
            ) {
                job.flips.push(at);
            }
            job.phase = to;
            job.streak = 0;
            job.awaiting_approval = false;
            job.last_transition_at = at;
        };
    match job.phase {
        Phase::Done | Phase::Held => return,
        Phase::Planned => {
            go(
                job,
                Phase::Shadow,
                Actor::Loop,
                "shadow started".into(),
                None,
            );
            return;
        }
        Phase::Cleanup => {
            go(
                job,
                Phase::Done,
                Actor::Loop,
                "old job and shadow table removed".into(),
                None,
            );
            return;
        }
        Phase::Shadow | Phase::ReverseShadow => {}
    }
    let Some(window) = window else { return };
    job.last_window_at = Some(at);
    let failures: Vec<String> = window.failures(policy).iter().map(|f| f.line()).collect();
    if !failures.is_empty() {
        job.streak = 0;
        job.awaiting_approval = false;
        let reason = failures.join("; ");
        job.failures = failures;
        if job.phase == Phase::ReverseShadow {
            // An approval was given for the job as it was: a demoted job earns it again.
            job.approved_by = None;
            job.approval_reason = None;
            go(job, Phase::Shadow, Actor::Loop, reason, Some(window));
        }
    } else {
        job.failures.clear();
        job.streak = job.streak.saturating_add(1);
        if job.streak >= policy.windows {
            let reason = format!(
                "every criterion held over the last {} windows",
                policy.windows
            );
            match job.phase {
                Phase::Shadow => go(job, Phase::ReverseShadow, Actor::Loop, reason, Some(window)),
                Phase::ReverseShadow if policy.auto_cleanup => {
                    go(job, Phase::Cleanup, Actor::Loop, reason, Some(window))
                }
                Phase::ReverseShadow => match job.approved_by.clone() {
                    Some(person) => {
                        let why = match job.approval_reason.clone() {
                            Some(why) => format!("{reason}; cleanup approved: {why}"),
                            None => format!("{reason}; cleanup approved"),
                        };
                        go(
                            job,
                            Phase::Cleanup,
                            Actor::Person(person),
                            why,
                            Some(window),
                        )
                    }
                    None => job.awaiting_approval = true,
                },
                _ => {}
            }
        }
    }
    // Flapping: only the shadow ⇄ reverse-shadow moves count; the one-way steps of a healthy
    // job (start, cleanup, done) never make it flap.
    let since = at - settings.flap_window_seconds;
    job.flips.retain(|&t| t > since);
    if job.flips.len() > settings.flap_limit as usize {
        let reason = format!(
            "{} promotions and demotions within {} s (limit {})",
            job.flips.len(),
            settings.flap_window_seconds,
            settings.flap_limit
        );
        job.held_from = Some(job.phase);
        go(job, Phase::Held, Actor::Loop, reason, Some(window));
    }
}
