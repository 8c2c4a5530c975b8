//! Which failures a chunk is retried after: a lost connection or a transaction the server gave
//! up on. A chunk's write is one transaction that deletes its key range before loading it, so
//! repeating it after any of these is safe (at most that chunk is copied again).

use std::time::Duration;

use crate::db::DbError;

/// Attempts per chunk before the failure is returned (the first try included).
pub const ATTEMPTS: u32 = 4;

/// Wait before attempt `n` (1-based retries): 200 ms, 400 ms, 800 ms.
pub fn backoff(retry: u32) -> Duration {
    Duration::from_millis(200 << retry.saturating_sub(1).min(4))
}

/// Whether `error` is worth a retry: I/O and pool failures; PostgreSQL SQLSTATE classes 08
/// (connection exception), 57P01–57P03 (administrator or crash shutdown, cannot connect now),
/// 40001/40P01 (serialization failure, deadlock); MySQL/MariaDB 1205 (lock wait timeout), 1213
/// (deadlock), 1053 (server shutdown), 1317 (query interrupted), 1927 (connection killed),
/// 2006/2013 (server gone away, lost connection), and 1146 (no such table) when the table is
/// the change-capture changelog: MariaDB fails a statement that runs while a trigger is being
/// created on its table with 1146 naming the trigger's table, which exists (MDEV-26048), so
/// writes made while capture is installed can fail once and succeed when repeated.
pub fn is_transient(error: &DbError) -> bool {
    let source = match error {
        DbError::Query { source, .. } | DbError::Connect { source, .. } => source,
        _ => return false,
    };
    match source {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            code.starts_with("08")
                || matches!(
                    code.as_ref(),
                    "57P01" | "57P02" | "57P03" | "40001" | "40P01" | "70100"
                )
                || db
                    .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
                    .is_some_and(|e| {
                        matches!(e.number(), 1205 | 1213 | 1053 | 1317 | 1927 | 2006 | 2013)
                            || (e.number() == 1146
                                && e.message().contains(crate::db::guard::CHANGELOG_TABLE))
                    })
        }
        _ => false,
    }
}

/// Runs `op` until it succeeds, fails with a non-transient error, or [`ATTEMPTS`] are spent,
/// waiting [`backoff`] between attempts. `op` must be safe to repeat.
///
/// # Errors
/// The last error.
pub async fn transient<T, F, Fut>(what: &str, mut op: F) -> Result<T, DbError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, DbError>>,
{
    let mut attempt = 1;
    loop {
        match op().await {
            Err(e) if attempt < ATTEMPTS && is_transient(&e) => {
                tracing::warn!(what, error = %e, attempt, "transient failure; retrying");
                tokio::time::sleep(backoff(attempt)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles() {
        assert_eq!(backoff(1), Duration::from_millis(200));
        assert_eq!(backoff(3), Duration::from_millis(800));
    }

    #[test]
    fn a_scheme_error_is_not_retried() {
        assert!(!is_transient(&DbError::Scheme { url: "x".into() }));
    }
}
