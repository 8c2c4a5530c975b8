//! One rehearsal of a project per target server at a time.

use super::RehearsalError;
use crate::db::{self, Access, Database, Pool};

/// A session-level lock on the target server, named for the project: a second rehearsal of the
/// same project is refused, and the lock frees itself when its holder's connection dies
/// (PostgreSQL advisory lock, MySQL `GET_LOCK`).
pub(super) struct RunLock {
    pub(super) db: Database,
    pub(super) _conn: LockConn,
}

// The connection is only held: the lock lives as long as its session.
#[allow(dead_code)]
pub(super) enum LockConn {
    Postgres(sqlx::pool::PoolConnection<sqlx::Postgres>),
    Mysql(sqlx::pool::PoolConnection<sqlx::MySql>),
    None,
}

/// The lock's key for `project_key` (the project's canonical root as text): a non-negative
/// 63-bit hash. On PostgreSQL it is the advisory lock's `bigint` key (`pg_locks`: `classid` the
/// high 32 bits, `objid` the low 32, `objsubid` 1); on MySQL the lock is named
/// `migration-studio-<key in hex>`.
pub(super) fn lock_key(project_key: &str) -> i64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    project_key.hash(&mut h);
    (h.finish() >> 1) as i64
}

pub(super) async fn take_lock(server: &str, project_key: &str) -> Result<RunLock, RehearsalError> {
    let key = lock_key(project_key);
    let url = match db::engine_of(server) {
        Some(crate::import::Engine::Postgres) => {
            format!("{}/postgres", server.trim_end_matches('/'))
        }
        _ => server.to_owned(),
    };
    let db = db::connect(&url, Access::ReadWrite, 1).await?;
    let busy = || RehearsalError::Busy(db.display.clone());
    let err = |e| RehearsalError::Db(db.query_error("taking the rehearsal lock", e));
    let conn = match &db.pool {
        Pool::Postgres(p) => {
            let mut c = p.acquire().await.map_err(err)?;
            let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                .bind(key)
                .fetch_one(&mut *c)
                .await
                .map_err(err)?;
            if !got {
                return Err(busy());
            }
            LockConn::Postgres(c)
        }
        Pool::Mysql(p) => {
            let mut c = p.acquire().await.map_err(err)?;
            let got: Option<i64> = sqlx::query_scalar("SELECT CAST(GET_LOCK(?, 0) AS SIGNED)")
                .bind(format!("migration-studio-{key:x}"))
                .fetch_one(&mut *c)
                .await
                .map_err(err)?;
            if got != Some(1) {
                return Err(busy());
            }
            LockConn::Mysql(c)
        }
        Pool::Sqlite(_) => LockConn::None,
    };
    Ok(RunLock { db, _conn: conn })
}
