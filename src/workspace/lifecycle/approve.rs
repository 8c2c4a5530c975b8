//! `lifecycle approve`: a person's go. For a job in reverse shadow it approves cleanup, the
//! point of no return (the loop promotes it once its criteria hold, with the person as the
//! actor and their reason in the transition's); for a held job it releases it to the phase it
//! was held in.

use std::path::Path;

use serde::Serialize;

use crate::lifecycle::{Actor, Job, LifecycleError, Phase, Transition};

/// What an approval did.
#[derive(Debug, Clone, Serialize)]
pub struct Approval {
    /// The job after it.
    pub job: Job,
    /// The release of a held job; `None` for a cleanup approval (the loop promotes it).
    pub transition: Option<Transition>,
}

/// Approves job `job` of the project in `root` as `person` at `now` (Unix seconds), for
/// `reason` (what the person said; blank: none), recorded in the release's transition or, for a
/// cleanup, in the transition the loop makes.
///
/// # Errors
/// [`LifecycleError::UnknownJob`]; [`LifecycleError::NothingToApprove`] when the job is in
/// neither reverse shadow nor held; [`LifecycleError::NoApprover`] when `person` is blank;
/// as [`super::open`].
pub async fn approve(
    root: &Path,
    job: &str,
    person: &str,
    reason: &str,
    now: f64,
) -> Result<Approval, LifecycleError> {
    let person = person.trim();
    if person.is_empty() {
        return Err(LifecycleError::NoApprover(job.to_owned()));
    }
    let reason = Some(reason.trim()).filter(|r| !r.is_empty());
    let opened = super::open(root).await?;
    let jobs = opened.store.jobs().await?;
    let ids: Vec<String> = jobs.iter().map(|j| j.id.clone()).collect();
    let id = super::resolve(&ids, job).ok_or_else(|| LifecycleError::UnknownJob(job.to_owned()))?;
    let mut state = jobs
        .into_iter()
        .find(|j| &j.id == id)
        .ok_or_else(|| LifecycleError::UnknownJob(job.to_owned()))?;
    let transition = match state.phase {
        Phase::ReverseShadow => {
            state.approved_by = Some(person.to_owned());
            state.approval_reason = reason.map(str::to_owned);
            None
        }
        Phase::Held => {
            let to = state.held_from.take().unwrap_or(Phase::Shadow);
            let t = Transition {
                job: state.id.clone(),
                at: now,
                from: Phase::Held,
                to,
                actor: Actor::Person(person.to_owned()),
                reason: match reason {
                    Some(why) => format!("released by a person: {why}"),
                    None => "released by a person".into(),
                },
                window: None,
            };
            state.phase = to;
            state.flips.clear();
            state.streak = 0;
            state.last_transition_at = now;
            Some(t)
        }
        phase => {
            return Err(LifecycleError::NothingToApprove {
                job: job.to_owned(),
                phase,
            })
        }
    };
    opened
        .store
        .record_action(&state, transition.as_ref())
        .await?;
    Ok(Approval {
        job: state,
        transition,
    })
}
