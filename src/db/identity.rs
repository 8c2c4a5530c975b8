//! Which database a connection really reaches, independent of how its URL was spelled
//! (`localhost` vs `127.0.0.1`, a socket, a port forward, a second user name).

use super::{Database, DbError};
use crate::import::Engine;

/// The server a connection reaches and the database (PostgreSQL database, MySQL schema, SQLite
/// file) it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseIdentity {
    /// PostgreSQL: the cluster's `system_identifier` (unique per `initdb`). MySQL:
    /// `@@server_uuid`, or `@@hostname:@@port:@@datadir` on MariaDB, which has no server UUID.
    /// SQLite: the canonical path of the main database file (`""` for an in-memory database).
    pub server: String,
    /// PostgreSQL `current_database()`, MySQL `DATABASE()` (empty when the URL names none),
    /// SQLite `main`.
    pub database: String,
}

impl DatabaseIdentity {
    /// Whether both name the same stored database. In-memory SQLite databases are private to
    /// their connection, so two of them are never the same.
    pub fn same_database(&self, other: &Self) -> bool {
        self.server == other.server
            && self.database == other.database
            && !(self.server.is_empty() && self.database == "main")
    }
}

/// Asks the server who it is.
///
/// # Errors
/// [`DbError::Query`] when the catalog cannot be read.
pub async fn identity(db: &Database) -> Result<DatabaseIdentity, DbError> {
    let first_row = |rows: Vec<Vec<Option<String>>>| {
        let mut row = rows.into_iter().next().unwrap_or_default().into_iter();
        (
            row.next().flatten().unwrap_or_default(),
            row.next().flatten().unwrap_or_default(),
        )
    };
    let context = "reading the server's identity";
    let (server, database) = match db.engine {
        Engine::Postgres => first_row(
            db.fetch_texts(
                "SELECT system_identifier::text, current_database()::text FROM pg_control_system()",
                &[],
                context,
            )
            .await?,
        ),
        Engine::Mysql => {
            match db
                .fetch_texts("SELECT @@server_uuid, DATABASE()", &[], context)
                .await
            {
                Ok(rows) => first_row(rows),
                // MariaDB has no @@server_uuid; its data directory on a host and port is as
                // unique as a running server gets.
                Err(_) => first_row(
                    db.fetch_texts(
                        "SELECT CONCAT(@@hostname, ':', @@port, ':', @@datadir), DATABASE()",
                        &[],
                        context,
                    )
                    .await?,
                ),
            }
        }
        Engine::Sqlite => {
            let (file, _) = first_row(
                db.fetch_texts(
                    "SELECT file, name FROM pragma_database_list WHERE name = 'main'",
                    &[],
                    context,
                )
                .await?,
            );
            let server = if file.is_empty() {
                file
            } else {
                std::fs::canonicalize(&file)
                    .map(|p| p.display().to_string())
                    .unwrap_or(file)
            };
            (server, "main".to_owned())
        }
    };
    Ok(DatabaseIdentity { server, database })
}

/// The server's version as it reports it (`15.19 (Debian 15.19-0+deb12u1)`,
/// `10.11.19-MariaDB-0+deb12u1`, `3.45.1` for SQLite's library).
///
/// # Errors
/// [`DbError::Query`].
pub async fn server_version(db: &Database) -> Result<String, DbError> {
    let sql = match db.engine {
        Engine::Postgres => "SELECT current_setting('server_version')",
        Engine::Mysql => "SELECT VERSION()",
        Engine::Sqlite => "SELECT sqlite_version()",
    };
    let rows = db
        .fetch_texts(sql, &[], "reading the server's version")
        .await?;
    Ok(rows
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next().flatten())
        .unwrap_or_default())
}

/// Whether a server reporting `reported` runs the version a manifest names as `wanted`
/// (`"16"`, `"10.11"`): its dot-separated leading numbers start with those of `wanted`.
pub fn version_matches(wanted: &str, reported: &str) -> bool {
    let numbers = |v: &str| -> Vec<String> {
        v.split(|c: char| !c.is_ascii_digit() && c != '.')
            .next()
            .unwrap_or_default()
            .split('.')
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let (wanted, reported) = (numbers(wanted), numbers(reported));
    !wanted.is_empty() && reported.len() >= wanted.len() && reported[..wanted.len()] == wanted[..]
}

/// The major version in a version string (a manifest's `"17.2"` or a server's
/// `"15.19 (Debian 15.19-0+deb12u1)"`, `"10.11.19-MariaDB"`): PostgreSQL's first number from 10
/// on (`17`, `9.6` before), MariaDB's and MySQL's first two (`10.11`, `8.0`), SQLite's first.
pub fn major_version(engine: Engine, version: &str) -> String {
    let numbers: Vec<&str> = version
        .split(|c: char| !c.is_ascii_digit() && c != '.')
        .next()
        .unwrap_or_default()
        .split('.')
        .filter(|p| !p.is_empty())
        .collect();
    let keep = match engine {
        Engine::Postgres if numbers.first().and_then(|n| n.parse::<u32>().ok()) >= Some(10) => 1,
        Engine::Sqlite => 1,
        _ => 2,
    };
    numbers[..keep.min(numbers.len())].join(".")
}

#[cfg(test)]
mod tests {
    use super::version_matches;

    #[test]
    fn versions_match_by_their_leading_numbers() {
        assert!(version_matches("15", "15.19 (Debian 15.19-0+deb12u1)"));
        assert!(version_matches("10.11", "10.11.19-MariaDB-0+deb12u1"));
        assert!(!version_matches("16", "15.19 (Debian 15.19-0+deb12u1)"));
        assert!(!version_matches("10.1", "10.11.19-MariaDB"));
        assert!(!version_matches("8.0", "10.11.19-MariaDB"));
    }

    #[test]
    fn major_versions() {
        use super::{major_version, Engine};
        assert_eq!(
            major_version(Engine::Postgres, "17.12 (Debian 17.12-0+deb13u1)"),
            "17"
        );
        assert_eq!(major_version(Engine::Postgres, "9.6.24"), "9.6");
        assert_eq!(
            major_version(Engine::Mysql, "11.8.9-MariaDB-0+deb13u1 from Debian"),
            "11.8"
        );
        assert_eq!(major_version(Engine::Mysql, "10.11"), "10.11");
    }
}
