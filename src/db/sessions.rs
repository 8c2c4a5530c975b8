//! Ending the sessions on a database: the drop-connection drill's dropped connections, and a
//! scratch database's teardown on MySQL, whose `DROP DATABASE` (unlike PostgreSQL's
//! `WITH (FORCE)`) leaves its sessions open.

use super::{Database, DbError};
use crate::data::Cell;
use crate::import::Engine;

/// Ends every session whose database is `database` on `db`'s server, but `db`'s own: on
/// PostgreSQL with `pg_terminate_backend`, on MySQL by listing them in
/// `information_schema.PROCESSLIST` and killing each. Returns how many were ended; a session
/// that ends by itself before it is killed is not counted and is not an error.
///
/// # Errors
/// [`DbError::Query`] when the sessions cannot be listed (PostgreSQL: terminated).
pub async fn end_sessions(db: &Database, database: &str) -> Result<u64, DbError> {
    let binds = [Cell::Text(database.to_owned())];
    if db.engine == Engine::Postgres {
        return Ok(db
            .fetch_i64(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                 WHERE datname = $1 AND pid <> pg_backend_pid()",
                &binds,
                "ending the sessions on a database",
            )
            .await?
            .unwrap_or(0) as u64);
    }
    let ids = db
        .fetch_texts(
            "SELECT CAST(ID AS CHAR) FROM information_schema.PROCESSLIST \
             WHERE DB = ? AND ID <> CONNECTION_ID()",
            &binds,
            "listing the sessions on a database",
        )
        .await?;
    let mut ended = 0;
    for id in ids
        .iter()
        .filter_map(|row| row.first()?.as_deref()?.parse::<u64>().ok())
    {
        if db
            .execute(&format!("KILL CONNECTION {id}"), &[], "ending a session")
            .await
            .is_ok()
        {
            ended += 1;
        }
    }
    Ok(ended)
}
