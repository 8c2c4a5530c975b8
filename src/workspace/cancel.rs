//! Cancellation shared by every long use case. A face makes a [`Cancel`], hands it to the use
//! case and calls [`Cancel::cancel`] when the person asks (Ctrl-C or a signal in the CLI, the
//! cancel button in the desktop). The use case stops at its next safe point (the backfill after
//! the current chunk; a read-only comparison at once), removes what its options say a cancelled
//! run must not leave, and returns a result that says it was cancelled.

use std::sync::Arc;

use tokio::sync::watch;

use crate::backfill::Control;

/// A cancel token: cheap to clone, every clone sees the same cancellation.
#[derive(Debug, Clone)]
pub struct Cancel {
    /// The backfill's own pause/cancel switch, flipped with the token.
    control: Control,
    /// Wakes those waiting in [`Cancel::cancelled`].
    fired: Arc<watch::Sender<bool>>,
}

impl Default for Cancel {
    fn default() -> Self {
        Self {
            control: Control::default(),
            fired: Arc::new(watch::channel(false).0),
        }
    }
}

impl Cancel {
    /// A token not cancelled yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks every holder to stop. Idempotent.
    pub fn cancel(&self) {
        self.control.cancel();
        self.fired.send_replace(true);
    }

    /// Whether cancel was asked.
    pub fn is_cancelled(&self) -> bool {
        *self.fired.borrow()
    }

    /// Resolves once cancel is asked (at once if it already was).
    pub async fn cancelled(&self) {
        let mut rx = self.fired.subscribe();
        // The sender lives in `self`, so `wait_for` cannot fail while we wait.
        let _ = rx.wait_for(|fired| *fired).await;
    }

    /// The backfill's control, cancelled with this token (and pausable on its own).
    pub fn control(&self) -> &Control {
        &self.control
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_clone_sees_the_cancel_and_waiters_wake() {
        let cancel = Cancel::new();
        let clone = cancel.clone();
        assert!(!clone.is_cancelled());
        let waiter = tokio::spawn(async move { clone.cancelled().await });
        cancel.cancel();
        waiter.await.unwrap();
        assert!(cancel.is_cancelled() && cancel.control().is_cancelled());
        // Already cancelled: resolves at once.
        cancel.cancelled().await;
    }
}
