//! Named database connections as the window sees them: the transport types of the engine's
//! [`migration_studio::workspace::connections`] (which keeps them, their passwords in the secret
//! store, and turns them into URLs), and one call into it per operation. The webview only ever
//! sees [`ConnectionInfo`], whose URL has the password replaced by `***`.

use std::path::Path;

use migration_studio::import::Engine;
use migration_studio::project::{LiveUrls, Manifest};
use migration_studio::workspace::connections::{
    Connection, ConnectionDraft, ConnectionTestError, Connections,
};
use serde::{Deserialize, Serialize};
use specta::Type;

use crate::error::AppError;
use crate::secrets::SecretStore;

/// Database engine of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionEngine {
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    Mysql,
    /// An SQLite file (`database` is its path).
    Sqlite,
}

/// A connection as the form sends it. The password is consumed here and never sent back.
#[derive(Debug, Clone, Deserialize, Type)]
pub struct ConnectionForm {
    /// Unique name, e.g. `sakila source`.
    pub name: String,
    /// Engine.
    pub engine: ConnectionEngine,
    /// Host (ignored for SQLite).
    pub host: String,
    /// Port (ignored for SQLite).
    pub port: Option<u16>,
    /// User (ignored for SQLite).
    pub user: String,
    /// Database name, or the SQLite file path.
    pub database: String,
    /// Password; `None` keeps the stored one, empty means none.
    pub password: Option<String>,
}

/// A stored connection without its secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct ConnectionInfo {
    /// Name.
    pub name: String,
    /// Engine.
    pub engine: ConnectionEngine,
    /// Host.
    pub host: String,
    /// Port.
    pub port: Option<u16>,
    /// User.
    pub user: String,
    /// Database or file.
    pub database: String,
    /// Whether a password was given.
    pub has_password: bool,
    /// Whether that password is available now (memory stores forget on restart).
    #[serde(default)]
    pub password_available: bool,
    /// The URL with the password shown as `***`.
    #[serde(default)]
    pub display_url: String,
}

impl From<ConnectionEngine> for Engine {
    fn from(e: ConnectionEngine) -> Self {
        match e {
            ConnectionEngine::Postgres => Self::Postgres,
            ConnectionEngine::Mysql => Self::Mysql,
            ConnectionEngine::Sqlite => Self::Sqlite,
        }
    }
}

impl From<Engine> for ConnectionEngine {
    fn from(e: Engine) -> Self {
        match e {
            Engine::Postgres => Self::Postgres,
            Engine::Mysql => Self::Mysql,
            Engine::Sqlite => Self::Sqlite,
        }
    }
}

fn info(connections: &Connections<'_>, c: Connection) -> ConnectionInfo {
    ConnectionInfo {
        password_available: connections.password_available(&c),
        display_url: c.display_url(),
        name: c.name,
        engine: c.engine.into(),
        host: c.host,
        port: c.port,
        user: c.user,
        database: c.database,
        has_password: c.has_password,
    }
}

/// The stored connections, with `password_available` and `display_url` filled in.
pub fn list(config_dir: &Path, secrets: &SecretStore) -> Vec<ConnectionInfo> {
    let connections = Connections::new(config_dir, secrets);
    connections
        .list()
        .into_iter()
        .map(|c| info(&connections, c))
        .collect()
}

/// Saves a connection (replacing one of the same name) and its password.
///
/// # Errors
/// [`ErrorCode::InvalidInput`](crate::error::ErrorCode::InvalidInput) naming the field;
/// `secret`; `io`.
pub fn save(
    config_dir: &Path,
    secrets: &SecretStore,
    form: ConnectionForm,
) -> Result<ConnectionInfo, AppError> {
    let connections = Connections::new(config_dir, secrets);
    let saved = connections.save(ConnectionDraft {
        connection: Connection {
            name: form.name,
            engine: form.engine.into(),
            host: form.host,
            port: form.port,
            user: form.user,
            database: form.database,
            has_password: false,
        },
        password: form.password,
    })?;
    Ok(info(&connections, saved))
}

/// Deletes a connection and its password.
///
/// # Errors
/// `secret`; `io`.
pub fn delete(config_dir: &Path, secrets: &SecretStore, name: &str) -> Result<(), AppError> {
    Ok(Connections::new(config_dir, secrets).delete(name)?)
}

/// The stored connection `name` (no password).
///
/// # Errors
/// `not_found`.
pub fn find(
    config_dir: &Path,
    secrets: &SecretStore,
    name: &str,
) -> Result<ConnectionInfo, AppError> {
    let connections = Connections::new(config_dir, secrets);
    Ok(info(&connections, connections.find(name)?))
}

/// The server a tested connection reached, as the window shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct ServerInfo {
    /// Engine family.
    pub engine: ConnectionEngine,
    /// The version the server reported (`16.4 (Debian 16.4-1)`, `10.11.6-MariaDB`).
    pub version: String,
}

/// How long a connection test waits for the server before saying it did not answer: long
/// enough for a remote server, short enough for a person waiting at the button.
pub const TEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Connects to the connection `name` read-only and says which server answered.
///
/// # Errors
/// `not_found`; `missing_connection` when its password is not available; `database` when the
/// server refuses or does not answer within [`TEST_TIMEOUT`].
pub async fn test(
    config_dir: &Path,
    secrets: &SecretStore,
    name: &str,
) -> Result<ServerInfo, AppError> {
    let found = Connections::new(config_dir, secrets)
        .test(name, TEST_TIMEOUT)
        .await
        .map_err(|e| match e {
            ConnectionTestError::Connection(e) => AppError::from(e),
            ConnectionTestError::Database(e) => AppError::from(e),
        })?;
    Ok(ServerInfo {
        engine: found.engine.into(),
        version: found.version,
    })
}

/// The URLs of the live inputs of `manifest` that a saved connection of the same name can
/// give (password available), for the engine only; the others read their variable.
pub fn live_urls(config_dir: &Path, secrets: &SecretStore, manifest: &Manifest) -> LiveUrls {
    Connections::new(config_dir, secrets).live_urls(manifest)
}

/// The full URL of a connection, password included, for the engine only.
///
/// # Errors
/// `not_found`; `missing_connection` when its password is not available; `secret`.
pub fn url(config_dir: &Path, secrets: &SecretStore, name: &str) -> Result<String, AppError> {
    Ok(Connections::new(config_dir, secrets).url(name)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn form(password: Option<&str>) -> ConnectionForm {
        ConnectionForm {
            name: "src".into(),
            engine: ConnectionEngine::Postgres,
            host: "127.0.0.1".into(),
            port: Some(5432),
            user: "me@x".into(),
            database: "db".into(),
            password: password.map(str::to_owned),
        }
    }

    #[test]
    fn passwords_stay_in_the_secret_store() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = SecretStore::memory("test");
        let info = save(dir.path(), &secrets, form(Some("p@ss:w/rd"))).unwrap();
        assert_eq!(info.display_url, "postgres://me%40x:***@127.0.0.1:5432/db");
        let on_disk = std::fs::read_to_string(dir.path().join("connections.json")).unwrap();
        assert!(
            !on_disk.contains("p@ss") && !on_disk.contains("p%40ss"),
            "{on_disk}"
        );
        assert_eq!(
            url(dir.path(), &secrets, "src").unwrap(),
            "postgres://me%40x:p%40ss%3Aw%2Frd@127.0.0.1:5432/db"
        );
        // Saving again without a password keeps the stored one.
        save(dir.path(), &secrets, form(None)).unwrap();
        assert!(url(dir.path(), &secrets, "src").unwrap().contains("p%40ss"));
        // A restart with a memory store forgets it: the connection says so.
        let fresh = SecretStore::memory("test");
        let listed = list(dir.path(), &fresh);
        assert!(!listed[0].password_available);
        assert_eq!(
            url(dir.path(), &fresh, "src").unwrap_err().code,
            ErrorCode::MissingConnection
        );
        delete(dir.path(), &secrets, "src").unwrap();
        assert!(list(dir.path(), &secrets).is_empty());
        assert_eq!(secrets.get("connection:src").unwrap(), None);
    }

    #[test]
    fn no_password_and_bad_forms() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = SecretStore::memory("test");
        let mut f = form(Some(""));
        f.engine = ConnectionEngine::Mysql;
        f.user = "root".into();
        save(dir.path(), &secrets, f).unwrap();
        assert_eq!(
            url(dir.path(), &secrets, "src").unwrap(),
            "mysql://root@127.0.0.1:5432/db"
        );
        let mut f = form(None);
        f.name = " ".into();
        assert_eq!(
            save(dir.path(), &secrets, f).unwrap_err().code,
            ErrorCode::InvalidInput
        );
    }
}
