//! The rehearsal-target guard: Migration Studio writes only to databases that carry its marker
//! table, which it creates in the scratch databases it provisions, or which a user explicitly
//! marked (`--mark-rehearsal-target`). Anything else is refused before the first write.

use super::{Database, DbError};
use crate::data::Cell;
use crate::import::Engine;

/// Name of the marker table. Its presence, with one row, makes a database a rehearsal target.
pub const MARKER_TABLE: &str = "_migration_studio_rehearsal_target";

/// Name of the change-capture changelog a rehearsal creates in its source. A database holding
/// one has been a source, so it is never marked as a target.
pub const CHANGELOG_TABLE: &str = "_migration_studio_changelog";

/// Creates the marker in `db` (an explicit user decision, or a database the tool just created).
///
/// # Errors
/// [`DbError::CaptureSource`] when `db` holds a change-capture changelog (it has been the
/// source of a run); [`DbError::Query`].
pub async fn mark_rehearsal_target(db: &Database, note: &str) -> Result<(), DbError> {
    let found = has_table(
        db,
        CHANGELOG_TABLE,
        Scope::AnySchema,
        "looking for a change-capture changelog",
    )
    .await?;
    if found {
        return Err(DbError::CaptureSource {
            url: db.display.clone(),
            table: CHANGELOG_TABLE.to_owned(),
        });
    }
    let create = format!(
        "CREATE TABLE IF NOT EXISTS {} (note TEXT NOT NULL){}",
        super::quote::ident(db.engine, MARKER_TABLE),
        super::quote::created_table_options(db.engine)
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

/// Where [`has_table`] looks in a PostgreSQL database (MySQL: the URL's database; SQLite: the
/// file).
enum Scope {
    /// The session's current schema (where the tool creates its tables).
    CurrentSchema,
    /// Every schema.
    AnySchema,
}

/// Whether `db` has a table named `name`.
async fn has_table(
    db: &Database,
    name: &str,
    scope: Scope,
    context: &str,
) -> Result<bool, DbError> {
    let sql = match (db.engine, scope) {
        (Engine::Postgres, Scope::CurrentSchema) => "SELECT count(*)::bigint FROM pg_catalog.pg_tables WHERE tablename = $1 AND schemaname = current_schema()",
        (Engine::Postgres, Scope::AnySchema) => "SELECT count(*)::bigint FROM pg_catalog.pg_tables WHERE tablename = $1",
        (Engine::Mysql, _) => "SELECT CAST(count(*) AS SIGNED) FROM information_schema.TABLES WHERE TABLE_NAME = ? AND TABLE_SCHEMA = DATABASE()",
        (Engine::Sqlite, _) => "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
    };
    let count = db
        .fetch_i64(sql, &[Cell::Text(name.to_owned())], context)
        .await?;
    Ok(count.unwrap_or(0) > 0)
}

/// Succeeds only when `db` carries the marker.
///
/// # Errors
/// [`DbError::NotARehearsalTarget`], or [`DbError::Query`] when the check itself fails.
pub async fn ensure_rehearsal_target(db: &Database) -> Result<(), DbError> {
    let marked = has_table(
        db,
        MARKER_TABLE,
        Scope::CurrentSchema,
        "checking for the rehearsal-target marker",
    )
    .await?;
    if !marked {
        return Err(DbError::NotARehearsalTarget {
            url: db.display.clone(),
        });
    }
    Ok(())
}

/// Refuses a `target` that is the `source`: the same server (by its own identity, not the URL's
/// text) and the same database. On MySQL, where a database is a schema of the server, it is
/// the same when the schemas read (`source_schemas`, else the source URL's database) meet the
/// schemas written (`target_schemas` and the target URL's database, which receives the
/// bookkeeping tables).
///
/// # Errors
/// [`DbError::TargetIsSource`]; [`DbError::Query`] when an identity cannot be read.
pub async fn ensure_target_is_not_source(
    source: &Database,
    source_schemas: &[String],
    target: &Database,
    target_schemas: &[String],
) -> Result<(), DbError> {
    if source.engine != target.engine {
        return Ok(());
    }
    let (from, to) = (
        super::identity(source).await?,
        super::identity(target).await?,
    );
    if from.server != to.server {
        return Ok(());
    }
    let clash = match source.engine {
        Engine::Postgres | Engine::Sqlite => from.same_database(&to).then(|| to.database.clone()),
        Engine::Mysql => {
            let read: Vec<&str> = if source_schemas.is_empty() {
                vec![from.database.as_str()]
            } else {
                source_schemas.iter().map(String::as_str).collect()
            };
            let written = target_schemas
                .iter()
                .map(String::as_str)
                .chain([to.database.as_str()]);
            written
                .filter(|s| !s.is_empty())
                .find(|s| read.contains(s))
                .map(str::to_owned)
        }
    };
    match clash {
        Some(database) => Err(DbError::TargetIsSource {
            source_url: source.display.clone(),
            target: target.display.clone(),
            server: to.server,
            database,
        }),
        None => Ok(()),
    }
}
