//! A standby kept in sync: captured changes applied continuously in the background, as a
//! replica follows its primary (blue-green's replication, the keep-warm reverse capture).

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::capture::Applier;

/// Pause between apply passes that found nothing to apply.
const IDLE: Duration = Duration::from_millis(20);

/// A background task applying what `Applier::from` captures to `Applier::to`.
#[derive(Debug)]
pub struct Standby {
    stop: Arc<AtomicBool>,
    failures: Arc<AtomicU64>,
    applied: Arc<AtomicI64>,
    floor: Arc<AtomicI64>,
    /// `None` once stopped.
    handle: Option<tokio::task::JoinHandle<Applier>>,
}

impl Standby {
    /// Starts following with `applier` (from its `applied` position), `batch` entries a pass.
    pub fn follow(applier: Applier, batch: i64) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let failures = Arc::new(AtomicU64::new(0));
        let applied = Arc::new(AtomicI64::new(applier.applied));
        let floor = Arc::new(AtomicI64::new(applier.floor()));
        let (flag, failed, position, below) = (
            stop.clone(),
            failures.clone(),
            applied.clone(),
            floor.clone(),
        );
        let handle = tokio::spawn(async move {
            let mut applier = applier;
            while !flag.load(Ordering::SeqCst) {
                let before = applier.applied;
                let pass = applier.apply(batch).await;
                position.store(applier.applied, Ordering::SeqCst);
                below.store(applier.floor(), Ordering::SeqCst);
                match pass {
                    // Moved on: there may be more. (Entries past a gap still in flight are
                    // read again each pass; the pause keeps that from spinning.)
                    Ok(applied) if applied.entries > 0 && applier.applied > before => {}
                    Ok(_) => tokio::time::sleep(IDLE).await,
                    // A failed pass changed nothing (it is one transaction) and is tried
                    // again; failures other than transient ones (a deadlock, a dropped
                    // connection) are counted for the report's error gate.
                    Err(e) => {
                        if crate::backfill::retry::is_transient(&e) {
                            tracing::info!(error = %e, "a standby apply pass failed transiently; retried");
                        } else {
                            tracing::warn!(error = %e, "a standby apply pass failed");
                            failed.fetch_add(1, Ordering::SeqCst);
                        }
                        tokio::time::sleep(IDLE).await;
                    }
                }
            }
            applier
        });
        Self {
            stop,
            failures,
            applied,
            floor,
            handle: Some(handle),
        }
    }

    /// The highest changelog sequence applied so far.
    pub fn applied(&self) -> i64 {
        self.applied.load(Ordering::SeqCst)
    }

    /// The changelog position below which every change is applied so far
    /// ([`Applier::floor`]).
    pub fn floor(&self) -> i64 {
        self.floor.load(Ordering::SeqCst)
    }

    /// Apply passes that failed so far, transient failures (retried) aside.
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::SeqCst)
    }

    /// Stops after the pass in flight; returns the applier at the position it reached.
    ///
    /// # Errors
    /// A message when the task panicked (its applier is lost with it).
    pub async fn stop(mut self) -> Result<Applier, String> {
        self.stop.store(true, Ordering::SeqCst);
        self.handle
            .take()
            .ok_or_else(|| "the standby was stopped already".to_owned())?
            .await
            .map_err(|e| format!("the standby's apply task ended abnormally: {e}"))
    }
}

/// A standby dropped without [`Standby::stop`] (a cancelled run) stops applying at once.
impl Drop for Standby {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(handle) = self.handle.take() {
            handle.abort();
        }
    }
}
