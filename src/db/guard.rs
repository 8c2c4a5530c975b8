//! The rehearsal-target guard: Migration Studio writes only to databases that carry its marker
//! table, which it creates in the scratch databases it provisions, or which a user explicitly
//! marked (`--mark-rehearsal-target`). Anything else is refused before the first write.

use super::{Database, DbError};
use crate::data::Cell;
use crate::import::Engine;

/// Name of the marker table. Its presence, with one row, makes a database a rehearsal target.
pub const MARKER_TABLE: &str = "_migration_studio_rehearsal_target";

/// Creates the marker in `db` (an explicit user decision, or a database the tool just created).
///
/// # Errors
/// [`DbError::Query`].
pub async fn mark_rehearsal_target(db: &Database, note: &str) -> Result<(), DbError> {
    let create = format!(
        "CREATE TABLE IF NOT EXISTS {} (note TEXT NOT NULL)",
        super::quote::ident(db.engine, MARKER_TABLE)
    );
    let insert = format!(
        "INSERT INTO {} (note) SELECT {p} WHERE NOT EXISTS (SELECT 1 FROM {})",
        super::quote::ident(db.engine, MARKER_TABLE),
        super::quote::ident(db.engine, MARKER_TABLE),
        p = if db.engine == Engine::Postgres {
            "$1"
        } else {
            "?"
        }
    );
    db.execute(&create, &[], "marking the rehearsal target")
        .await?;
    db.execute(
        &insert,
        &[Cell::Text(note.to_owned())],
        "marking the rehearsal target",
    )
    .await?;
    Ok(())
}

/// Succeeds only when `db` carries the marker.
///
/// # Errors
/// [`DbError::NotARehearsalTarget`], or [`DbError::Query`] when the check itself fails.
pub async fn ensure_rehearsal_target(db: &Database) -> Result<(), DbError> {
    let check = match db.engine {
        Engine::Postgres => "SELECT count(*)::bigint FROM pg_catalog.pg_tables WHERE tablename = $1 AND schemaname = current_schema()",
        Engine::Mysql => "SELECT CAST(count(*) AS SIGNED) FROM information_schema.TABLES WHERE TABLE_NAME = ? AND TABLE_SCHEMA = DATABASE()",
        Engine::Sqlite => "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
    };
    let count = db
        .fetch_i64(
            check,
            &[Cell::Text(MARKER_TABLE.to_owned())],
            "checking for the rehearsal-target marker",
        )
        .await?
        .unwrap_or(0);
    if count == 0 {
        return Err(DbError::NotARehearsalTarget {
            url: db.display.clone(),
        });
    }
    Ok(())
}
