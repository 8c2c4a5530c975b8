//! Named database connections and where a use case's URLs come from. The non-secret parts of a
//! connection (engine, host, port, user, database) are kept in `connections.json` in a
//! configuration folder (the desktop app's); its password goes to the [`SecretStore`] under
//! `connection:<name>`. Anything shown to a person carries the password as `***`.
//!
//! Every use case resolves a URL the same way ([`Connections::resolve`]): given as is (a CLI
//! flag), from an environment variable (the CLI's `MIGRATION_STUDIO_*_URL`, a manifest's live
//! input), or from a saved connection (the desktop) whose password the keychain holds.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::secrets::{SecretBackend, SecretError, SecretStore};
use crate::db::DbError;
use crate::import::Engine;
use crate::project::{Input, LiveUrls, Manifest};

const FILE: &str = "connections.json";
/// What stands for a password in everything a person sees.
pub const REDACTED: &str = "***";

/// A stored connection, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    /// Unique name, e.g. `sakila source`.
    pub name: String,
    /// Engine.
    pub engine: Engine,
    /// Host (empty for SQLite).
    pub host: String,
    /// Port, when not the engine's default.
    pub port: Option<u16>,
    /// User.
    pub user: String,
    /// Database name, or the SQLite file's path; empty: the server only (a full rehearsal's
    /// scratch databases are made there).
    pub database: String,
    /// Whether a password was given.
    pub has_password: bool,
}

/// A connection to save, as a form sends it. Its password is consumed here: stored in the
/// secret store, never written to the file nor returned.
#[derive(Debug, Clone)]
pub struct ConnectionDraft {
    /// The connection; its `has_password` is decided from `password`.
    pub connection: Connection,
    /// Password; `None` keeps the stored one, empty means none.
    pub password: Option<String>,
}

/// Why a connection could not be saved, found or turned into a URL.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// A field of the form is refused.
    #[error("{field}: {message}")]
    Invalid {
        /// The form field (`name`, `host`, `database`).
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// No connection has this name.
    #[error("no connection named `{0}`")]
    NotFound(String),
    /// Its password is not in the secret store (a memory store forgets it on restart).
    #[error("the password of connection `{name}` is not available")]
    PasswordUnavailable {
        /// The connection.
        name: String,
        /// Which store was asked.
        backend: SecretBackend,
    },
    /// An environment variable a URL should come from is not set.
    #[error("the variable {0} is not set (it holds the database URL; passwords never go in the project)")]
    VariableUnset(String),
    /// The keychain refused.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// The connections file could not be written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// The server a connection reached, as [`Connections::test`] found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerIdentity {
    /// Engine family of the connection.
    pub engine: Engine,
    /// The version the server reported (`16.4 (Debian 16.4-1)`, `10.11.6-MariaDB`, SQLite's
    /// library version for a file).
    pub version: String,
}

/// Why testing a connection failed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionTestError {
    /// The connection could not be turned into a URL.
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    /// The server refused, did not answer in time, or could not say its version.
    #[error(transparent)]
    Database(#[from] DbError),
}

/// Where a use case's URL comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlSource {
    /// The URL itself (a CLI flag or a variable clap already read).
    Url(String),
    /// An environment variable holding it.
    Variable(String),
    /// A saved connection, password from the secret store.
    Connection(String),
}

fn secret_key(name: &str) -> String {
    format!("connection:{name}")
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Connection {
    /// The URL with `password` (`None`: without one). [`REDACTED`] stands for a password in
    /// what a person sees ([`Connection::display_url`]).
    pub fn url_with(&self, password: Option<&str>) -> String {
        match self.engine {
            Engine::Sqlite => format!("sqlite:{}", self.database),
            Engine::Postgres | Engine::Mysql => {
                let scheme = if self.engine == Engine::Postgres {
                    "postgres"
                } else {
                    "mysql"
                };
                let auth = match password.filter(|p| !p.is_empty()) {
                    Some(REDACTED) => format!("{}:{REDACTED}@", encode(&self.user)),
                    Some(p) => format!("{}:{}@", encode(&self.user), encode(p)),
                    None if self.user.is_empty() => String::new(),
                    None => format!("{}@", encode(&self.user)),
                };
                let port = self.port.map(|p| format!(":{p}")).unwrap_or_default();
                // A server connection (no database) is what a full rehearsal needs.
                let path = if self.database.is_empty() {
                    String::new()
                } else {
                    format!("/{}", encode(&self.database))
                };
                format!("{scheme}://{auth}{}{port}{path}", self.host)
            }
        }
    }

    /// The URL as a person may see it: the password shown as `***`.
    pub fn display_url(&self) -> String {
        self.url_with(self.has_password.then_some(REDACTED))
    }
}

/// The saved connections of a configuration folder, with the secret store of their passwords.
#[derive(Debug, Clone, Copy)]
pub struct Connections<'a> {
    dir: &'a Path,
    secrets: &'a SecretStore,
}

impl<'a> Connections<'a> {
    /// The connections saved in `config_dir`, passwords in `secrets`.
    pub fn new(config_dir: &'a Path, secrets: &'a SecretStore) -> Self {
        Self {
            dir: config_dir,
            secrets,
        }
    }

    /// The configuration folder.
    pub fn dir(&self) -> &Path {
        self.dir
    }

    /// The secret store.
    pub fn secrets(&self) -> &SecretStore {
        self.secrets
    }

    /// The saved connections, by name (an unreadable file reads as none).
    pub fn list(&self) -> Vec<Connection> {
        std::fs::read(self.dir.join(FILE))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Whether the password of `connection` can be had now (a memory store forgets it on
    /// restart); true when it has none.
    pub fn password_available(&self, connection: &Connection) -> bool {
        !connection.has_password
            || matches!(self.secrets.get(&secret_key(&connection.name)), Ok(Some(_)))
    }

    fn store(&self, list: &[Connection]) -> Result<(), ConnectionError> {
        let path = self.dir.join(FILE);
        let io = |source| ConnectionError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(self.dir).map_err(io)?;
        let tmp = self.dir.join(format!("{FILE}.tmp"));
        std::fs::write(&tmp, serde_json::to_vec_pretty(list).unwrap_or_default()).map_err(io)?;
        std::fs::rename(tmp, &path).map_err(io)
    }

    /// Saves a connection (replacing one of the same name) and its password.
    ///
    /// # Errors
    /// [`ConnectionError::Invalid`] naming the field; [`ConnectionError::Secret`];
    /// [`ConnectionError::Io`].
    pub fn save(&self, draft: ConnectionDraft) -> Result<Connection, ConnectionError> {
        let invalid = |field, message: &str| ConnectionError::Invalid {
            field,
            message: message.to_owned(),
        };
        let form = draft.connection;
        let name = form.name.trim().to_owned();
        if name.is_empty() {
            return Err(invalid("name", "a connection needs a name"));
        }
        if form.engine == Engine::Sqlite && form.database.trim().is_empty() {
            return Err(invalid("database", "name the SQLite file"));
        }
        if form.engine != Engine::Sqlite && form.host.trim().is_empty() {
            return Err(invalid("host", "name the server's host, e.g. 127.0.0.1"));
        }
        let mut all = self.list();
        let previous = all.iter().find(|c| c.name == name).cloned();
        let has_password = match &draft.password {
            Some(p) if !p.is_empty() => {
                self.secrets.set(&secret_key(&name), p)?;
                true
            }
            Some(_) => {
                self.secrets.delete(&secret_key(&name))?;
                false
            }
            None => previous.as_ref().is_some_and(|c| c.has_password),
        };
        let saved = Connection {
            name: name.clone(),
            engine: form.engine,
            host: form.host.trim().to_owned(),
            port: form.port,
            user: form.user.trim().to_owned(),
            database: form.database.trim().to_owned(),
            has_password,
        };
        all.retain(|c| c.name != name);
        all.push(saved.clone());
        all.sort_by(|a, b| a.name.cmp(&b.name));
        self.store(&all)?;
        Ok(saved)
    }

    /// Deletes a connection and its password.
    ///
    /// # Errors
    /// [`ConnectionError::Secret`]; [`ConnectionError::Io`].
    pub fn delete(&self, name: &str) -> Result<(), ConnectionError> {
        let mut all = self.list();
        all.retain(|c| c.name != name);
        self.secrets.delete(&secret_key(name))?;
        self.store(&all)
    }

    /// The saved connection `name` (no password).
    ///
    /// # Errors
    /// [`ConnectionError::NotFound`].
    pub fn find(&self, name: &str) -> Result<Connection, ConnectionError> {
        self.list()
            .into_iter()
            .find(|c| c.name == name)
            .ok_or_else(|| ConnectionError::NotFound(name.to_owned()))
    }

    /// The full URL of the saved connection `name`, password included: for a driver only.
    ///
    /// # Errors
    /// [`ConnectionError::NotFound`]; [`ConnectionError::PasswordUnavailable`];
    /// [`ConnectionError::Secret`].
    pub fn url(&self, name: &str) -> Result<String, ConnectionError> {
        let connection = self.find(name)?;
        if !connection.has_password {
            return Ok(connection.url_with(None));
        }
        match self.secrets.get(&secret_key(name))? {
            Some(p) => Ok(connection.url_with(Some(&p))),
            None => Err(ConnectionError::PasswordUnavailable {
                name: name.to_owned(),
                backend: self.secrets.backend(),
            }),
        }
    }

    /// The URL `source` names, resolved the one way every use case does.
    ///
    /// # Errors
    /// [`ConnectionError::VariableUnset`], and those of [`Connections::url`].
    pub fn resolve(&self, source: &UrlSource) -> Result<String, ConnectionError> {
        match source {
            UrlSource::Url(url) => Ok(url.clone()),
            UrlSource::Variable(var) => {
                std::env::var(var).map_err(|_| ConnectionError::VariableUnset(var.clone()))
            }
            UrlSource::Connection(name) => self.url(name),
        }
    }

    /// Connects to the saved connection `name` read-only, one connection, giving up after
    /// `timeout` in all, and says which server answered: a person checks a connection before
    /// a rehearsal or an import relies on it. Nothing is written.
    ///
    /// # Errors
    /// [`ConnectionTestError::Connection`] for a connection that cannot be turned into a URL
    /// (not found, password unavailable); [`ConnectionTestError::Database`] when the server
    /// refuses, does not answer within `timeout` ([`DbError::ConnectTimeout`]) or cannot say
    /// its version.
    pub async fn test(
        &self,
        name: &str,
        timeout: std::time::Duration,
    ) -> Result<ServerIdentity, ConnectionTestError> {
        let url = self.url(name)?;
        let engine = self.find(name)?.engine;
        let display = crate::import::live::redact_url(&url);
        let probe = async {
            let db = crate::db::connect(&url, crate::db::Access::ReadOnly, 1).await?;
            let version = crate::db::server_version(&db).await;
            db.close().await;
            version
        };
        let version =
            tokio::time::timeout(timeout, probe)
                .await
                .map_err(|_| DbError::ConnectTimeout {
                    url: display,
                    seconds: timeout.as_secs_f64(),
                })??;
        Ok(ServerIdentity { engine, version })
    }

    /// The URLs of `manifest`'s live inputs that a saved connection of the same name gives
    /// (password available); the others read their variable at import.
    pub fn live_urls(&self, manifest: &Manifest) -> LiveUrls {
        let mut urls = LiveUrls::default();
        for input in &manifest.inputs {
            if let Input::Live { live, .. } = input {
                if let Ok(url) = self.url(live) {
                    urls.insert(live, url);
                }
            }
        }
        urls
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(password: Option<&str>) -> ConnectionDraft {
        ConnectionDraft {
            connection: Connection {
                name: "src".into(),
                engine: Engine::Postgres,
                host: "127.0.0.1".into(),
                port: Some(5432),
                user: "me@x".into(),
                database: "db".into(),
                has_password: false,
            },
            password: password.map(str::to_owned),
        }
    }

    #[tokio::test]
    async fn a_test_says_which_server_answered_or_why_none_did() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = SecretStore::memory("test");
        let connections = Connections::new(dir.path(), &secrets);
        let mut local = draft(None);
        local.connection.user = "postgres".into();
        local.connection.database = "postgres".into();
        connections.save(local).unwrap();
        let found = connections
            .test("src", std::time::Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(found.engine, Engine::Postgres);
        assert!(
            found.version.starts_with(|c: char| c.is_ascii_digit()),
            "{found:?}"
        );
        // Nothing listens on port 1: refused at once, well before the timeout.
        let mut closed = draft(None);
        closed.connection.name = "closed".into();
        closed.connection.port = Some(1);
        connections.save(closed).unwrap();
        let refused = connections
            .test("closed", std::time::Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(
            matches!(
                refused,
                ConnectionTestError::Database(DbError::Connect { .. })
            ),
            "{refused:?}"
        );
        assert!(matches!(
            connections
                .test("nobody", std::time::Duration::from_secs(5))
                .await,
            Err(ConnectionTestError::Connection(ConnectionError::NotFound(
                _
            )))
        ));
    }

    #[test]
    fn passwords_stay_in_the_secret_store() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = SecretStore::memory("test");
        let connections = Connections::new(dir.path(), &secrets);
        let saved = connections.save(draft(Some("p@ss:w/rd"))).unwrap();
        assert_eq!(
            saved.display_url(),
            "postgres://me%40x:***@127.0.0.1:5432/db"
        );
        let on_disk = std::fs::read_to_string(dir.path().join(FILE)).unwrap();
        assert!(
            !on_disk.contains("p@ss") && !on_disk.contains("p%40ss"),
            "{on_disk}"
        );
        assert_eq!(
            connections
                .resolve(&UrlSource::Connection("src".into()))
                .unwrap(),
            "postgres://me%40x:p%40ss%3Aw%2Frd@127.0.0.1:5432/db"
        );
        // Saving again without a password keeps the stored one.
        connections.save(draft(None)).unwrap();
        assert!(connections.url("src").unwrap().contains("p%40ss"));
        // A restart with a memory store forgets it: the connection says so.
        let forgetful = SecretStore::memory("test");
        let fresh = Connections::new(dir.path(), &forgetful);
        assert!(!fresh.password_available(&fresh.list()[0]));
        assert!(matches!(
            fresh.url("src").unwrap_err(),
            ConnectionError::PasswordUnavailable { .. }
        ));
        connections.delete("src").unwrap();
        assert!(connections.list().is_empty());
        assert_eq!(connections.secrets().get("connection:src").unwrap(), None);
    }

    #[test]
    fn urls_resolve_one_way_and_forms_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = SecretStore::memory("test");
        let connections = Connections::new(dir.path(), &secrets);
        let mut d = draft(Some(""));
        d.connection.engine = Engine::Mysql;
        d.connection.user = "root".into();
        connections.save(d).unwrap();
        assert_eq!(
            connections.url("src").unwrap(),
            "mysql://root@127.0.0.1:5432/db"
        );
        assert_eq!(
            connections
                .resolve(&UrlSource::Url("sqlite::memory:".into()))
                .unwrap(),
            "sqlite::memory:"
        );
        assert!(matches!(
            connections.resolve(&UrlSource::Variable(
                "MIGRATION_STUDIO_TEST_UNSET_VARIABLE".into()
            )),
            Err(ConnectionError::VariableUnset(_))
        ));
        let mut d = draft(None);
        d.connection.name = " ".into();
        assert!(matches!(
            connections.save(d),
            Err(ConnectionError::Invalid { field: "name", .. })
        ));
        assert!(matches!(
            connections.url("nope"),
            Err(ConnectionError::NotFound(_))
        ));
    }
}
