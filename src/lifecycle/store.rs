//! The lifecycle's state in the project store (tables `lifecycle_job`, `lifecycle_transition`,
//! `lifecycle_tick`, `lifecycle_stats`). A tick is written in one transaction: the changed jobs
//! in multi-row upserts, its transitions, the database statistics its windows were measured
//! from, and the tick's own row. A loop killed mid-tick leaves the store at
//! the previous tick, which is where the next loop resumes.

use sqlx::{QueryBuilder, Row, Sqlite};

use super::job::{Job, Transition};
use super::measure::Baseline;
use super::phase::{Actor, Phase};
use crate::project::{ProjectError, Store};

/// Rows per multi-row statement: 11 bound values a job row, well under SQLite's 32,766
/// variables, and few enough statements that 20,000 jobs write in tens of milliseconds.
const ROWS_PER_STATEMENT: usize = 1_000;

/// A stored transition with its place in the log.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StoredTransition {
    /// Order in the log (1, 2, …).
    pub seq: i64,
    /// The tick that made it; `None` for a person's action between ticks.
    pub tick: Option<i64>,
    /// The transition.
    #[serde(flatten)]
    pub transition: Transition,
}

/// The lifecycle tables of a project store.
#[derive(Debug, Clone)]
pub struct LifecycleStore {
    store: Store,
}

fn corrupt(store: &Store, what: String) -> ProjectError {
    store.error(sqlx::Error::Decode(what.into()))
}

impl LifecycleStore {
    /// The lifecycle tables of `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Closes the store's pool ([`Store::close`]): a reader that polls (the desktop's board,
    /// every 2 s) leaves no connection behind between polls.
    pub async fn close(self) {
        self.store.close().await;
    }

    /// The last committed tick (0 before the first).
    ///
    /// # Errors
    /// [`ProjectError::Store`].
    pub async fn last_tick(&self) -> Result<i64, ProjectError> {
        sqlx::query("SELECT coalesce(max(tick), 0) FROM lifecycle_tick")
            .fetch_one(self.store.pool())
            .await
            .map(|r| r.get(0))
            .map_err(|e| self.store.error(e))
    }

    /// Every job, by id.
    ///
    /// # Errors
    /// [`ProjectError::Store`], also when a stored value is unreadable.
    pub async fn jobs(&self) -> Result<Vec<Job>, ProjectError> {
        let rows = sqlx::query(
            "SELECT id, phase, held_from, streak, approved_by, awaiting_approval, failures_json, \
             flips_json, last_transition_at, last_window_at, approval_reason FROM lifecycle_job \
             ORDER BY id",
        )
        .fetch_all(self.store.pool())
        .await
        .map_err(|e| self.store.error(e))?;
        rows.iter()
            .map(|r| {
                let phase_of = |text: String| {
                    Phase::parse(&text)
                        .ok_or_else(|| corrupt(&self.store, format!("unknown phase `{text}`")))
                };
                Ok(Job {
                    id: r.get(0),
                    phase: phase_of(r.get(1))?,
                    held_from: r.get::<Option<String>, _>(2).map(phase_of).transpose()?,
                    streak: r.get::<i64, _>(3).try_into().unwrap_or(0),
                    approved_by: r.get(4),
                    awaiting_approval: r.get::<i64, _>(5) != 0,
                    failures: json(&self.store, r.get(6))?,
                    flips: json(&self.store, r.get(7))?,
                    last_transition_at: r.get(8),
                    last_window_at: r.get(9),
                    approval_reason: r.get(10),
                })
            })
            .collect()
    }

    /// Adds `jobs` that are not stored yet (a job already stored keeps its state). Returns how
    /// many were added.
    ///
    /// # Errors
    /// [`ProjectError::Store`].
    pub async fn add_jobs(&self, jobs: &[Job]) -> Result<u64, ProjectError> {
        let mut tx = self
            .store
            .pool()
            .begin()
            .await
            .map_err(|e| self.store.error(e))?;
        let mut added = 0;
        for chunk in jobs.chunks(ROWS_PER_STATEMENT) {
            let mut q = upsert(chunk.iter(), "INSERT OR IGNORE");
            added += q
                .build()
                .execute(&mut *tx)
                .await
                .map_err(|e| self.store.error(e))?
                .rows_affected();
        }
        tx.commit().await.map_err(|e| self.store.error(e))?;
        Ok(added)
    }

    /// Records tick number `tick` at `at`: the `changed` jobs, the `transitions` and the
    /// statistics `baseline` (every job in it), in one transaction. Refuses (as a store error) a tick that is not the next one, so two loops
    /// on one project cannot both record the same tick.
    ///
    /// # Errors
    /// [`ProjectError::Store`].
    pub async fn record_tick<'a>(
        &self,
        tick: i64,
        at: f64,
        jobs_evaluated: usize,
        changed: impl ExactSizeIterator<Item = &'a Job> + Clone,
        transitions: &[Transition],
        baseline: &Baseline,
    ) -> Result<(), ProjectError> {
        let mut tx = self
            .store
            .pool()
            .begin()
            .await
            .map_err(|e| self.store.error(e))?;
        // The tick row first: its primary key refuses a tick another loop already recorded.
        sqlx::query("INSERT INTO lifecycle_tick (tick, at, jobs, transitions) VALUES (?, ?, ?, ?)")
            .bind(tick)
            .bind(at)
            .bind(jobs_evaluated as i64)
            .bind(transitions.len() as i64)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.store.error(e))?;
        let changed: Vec<&Job> = changed.collect();
        for chunk in changed.chunks(ROWS_PER_STATEMENT) {
            upsert(chunk.iter().copied(), "INSERT OR REPLACE")
                .build()
                .execute(&mut *tx)
                .await
                .map_err(|e| self.store.error(e))?;
        }
        for chunk in transitions.chunks(ROWS_PER_STATEMENT) {
            insert_transitions(Some(tick), chunk)
                .build()
                .execute(&mut *tx)
                .await
                .map_err(|e| self.store.error(e))?;
        }
        let stats: Vec<(&String, String)> = baseline
            .0
            .iter()
            .map(|(job, s)| (job, serde_json::to_string(s).expect("numbers serialise")))
            .collect();
        for chunk in stats.chunks(ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT OR REPLACE INTO lifecycle_stats (job, stats_json) ",
            );
            q.push_values(chunk, |mut b, (job, json)| {
                b.push_bind(job.as_str()).push_bind(json.as_str());
            });
            q.build()
                .execute(&mut *tx)
                .await
                .map_err(|e| self.store.error(e))?;
        }
        tx.commit().await.map_err(|e| self.store.error(e))
    }

    /// The database statistics recorded with the last tick, from which the next window's
    /// deltas start.
    ///
    /// # Errors
    /// [`ProjectError::Store`], also when a stored value is unreadable.
    pub async fn baseline(&self) -> Result<Baseline, ProjectError> {
        let rows = sqlx::query("SELECT job, stats_json FROM lifecycle_stats")
            .fetch_all(self.store.pool())
            .await
            .map_err(|e| self.store.error(e))?;
        rows.iter()
            .map(|r| Ok((r.get::<String, _>(0), json(&self.store, r.get(1))?)))
            .collect::<Result<_, ProjectError>>()
            .map(Baseline)
    }

    /// Writes a person's change of one job (an approval, a release), with its transition if it
    /// made one, in one transaction.
    ///
    /// # Errors
    /// [`ProjectError::Store`].
    pub async fn record_action(
        &self,
        job: &Job,
        transition: Option<&Transition>,
    ) -> Result<(), ProjectError> {
        let mut tx = self
            .store
            .pool()
            .begin()
            .await
            .map_err(|e| self.store.error(e))?;
        upsert(std::iter::once(job), "INSERT OR REPLACE")
            .build()
            .execute(&mut *tx)
            .await
            .map_err(|e| self.store.error(e))?;
        if let Some(t) = transition {
            insert_transitions(None, std::slice::from_ref(t))
                .build()
                .execute(&mut *tx)
                .await
                .map_err(|e| self.store.error(e))?;
        }
        tx.commit().await.map_err(|e| self.store.error(e))
    }

    /// Each job's latest transition, by job id.
    ///
    /// # Errors
    /// [`ProjectError::Store`].
    pub async fn last_transitions(
        &self,
    ) -> Result<std::collections::HashMap<String, Transition>, ProjectError> {
        Ok(self
            .transitions_where(
                "seq IN (SELECT max(seq) FROM lifecycle_transition GROUP BY job)",
                None,
            )
            .await?
            .into_iter()
            .map(|t| (t.transition.job.clone(), t.transition))
            .collect())
    }

    /// The transitions, oldest first; of one job when `job` is given.
    ///
    /// # Errors
    /// [`ProjectError::Store`].
    pub async fn transitions(
        &self,
        job: Option<&str>,
    ) -> Result<Vec<StoredTransition>, ProjectError> {
        self.transitions_where("?1 IS NULL OR job = ?1", job).await
    }

    /// The transitions matching `condition` (a constant SQL condition, `?1` bound to `job`),
    /// oldest first.
    async fn transitions_where(
        &self,
        condition: &str,
        job: Option<&str>,
    ) -> Result<Vec<StoredTransition>, ProjectError> {
        let sql = format!(
            "SELECT seq, tick, job, at, from_phase, to_phase, actor, reason, window_json \
             FROM lifecycle_transition WHERE {condition} ORDER BY seq"
        );
        let rows = sqlx::query(&sql)
            .bind(job)
            .fetch_all(self.store.pool())
            .await
            .map_err(|e| self.store.error(e))?;
        rows.iter()
            .map(|r| {
                let phase_of = |text: String| {
                    Phase::parse(&text)
                        .ok_or_else(|| corrupt(&self.store, format!("unknown phase `{text}`")))
                };
                let window = r
                    .get::<Option<String>, _>(8)
                    .map(|text| {
                        serde_json::from_str(&text)
                            .map_err(|e| corrupt(&self.store, format!("lifecycle_transition: {e}")))
                    })
                    .transpose()?;
                Ok(StoredTransition {
                    seq: r.get(0),
                    tick: r.get(1),
                    transition: Transition {
                        job: r.get(2),
                        at: r.get(3),
                        from: phase_of(r.get(4))?,
                        to: phase_of(r.get(5))?,
                        actor: Actor::from_text(&r.get::<String, _>(6)),
                        reason: r.get(7),
                        window,
                    },
                })
            })
            .collect()
    }
}

fn json<T: serde::de::DeserializeOwned>(store: &Store, text: String) -> Result<T, ProjectError> {
    serde_json::from_str(&text).map_err(|e| corrupt(store, format!("lifecycle_job: {e}")))
}

fn upsert<'a>(jobs: impl Iterator<Item = &'a Job>, verb: &str) -> QueryBuilder<'a, Sqlite> {
    let mut q = QueryBuilder::new(format!(
        "{verb} INTO lifecycle_job (id, phase, held_from, streak, approved_by, awaiting_approval, \
         failures_json, flips_json, last_transition_at, last_window_at, approval_reason) "
    ));
    q.push_values(jobs, |mut b, job| {
        b.push_bind(job.id.as_str())
            .push_bind(job.phase.name())
            .push_bind(job.held_from.map(Phase::name))
            .push_bind(i64::from(job.streak))
            .push_bind(job.approved_by.as_deref())
            .push_bind(i64::from(job.awaiting_approval))
            .push_bind(serde_json::to_string(&job.failures).expect("strings serialise"))
            .push_bind(serde_json::to_string(&job.flips).expect("numbers serialise"))
            .push_bind(job.last_transition_at)
            .push_bind(job.last_window_at)
            .push_bind(job.approval_reason.as_deref());
    });
    q
}

fn insert_transitions(tick: Option<i64>, transitions: &[Transition]) -> QueryBuilder<'_, Sqlite> {
    let mut q = QueryBuilder::new(
        "INSERT INTO lifecycle_transition (tick, job, at, from_phase, to_phase, actor, reason, \
         window_json) ",
    );
    q.push_values(transitions, |mut b, t| {
        b.push_bind(tick)
            .push_bind(t.job.as_str())
            .push_bind(t.at)
            .push_bind(t.from.name())
            .push_bind(t.to.name())
            .push_bind(t.actor.to_text())
            .push_bind(t.reason.as_str())
            .push_bind(
                t.window
                    .as_ref()
                    .map(|w| serde_json::to_string(w).expect("a window serialises")),
            );
    });
    q
}
