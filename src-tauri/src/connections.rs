//! Named database connections. The non-secret parts (engine, host, port, user, database) are
//! kept in `connections.json` in the app's configuration folder; the password goes to the
//! [`SecretStore`] under `connection:<name>`. The webview only ever sees [`ConnectionInfo`],
//! whose URL has the password replaced by `***`.

use std::path::Path;

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::error::{AppError, ErrorCode};
use crate::secrets::SecretStore;

const FILE: &str = "connections.json";
/// What stands for a password in everything the webview sees.
const REDACTED: &str = "***";

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

impl ConnectionInfo {
    /// The URL with `password`, or with `***` in its place when `password` is `REDACTED`.
    fn url_with(&self, password: Option<&str>) -> String {
        match self.engine {
            ConnectionEngine::Sqlite => format!("sqlite:{}", self.database),
            ConnectionEngine::Postgres | ConnectionEngine::Mysql => {
                let scheme = if self.engine == ConnectionEngine::Postgres {
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
}

/// The stored connections, with `password_available` and `display_url` filled in.
pub fn list(config_dir: &Path, secrets: &SecretStore) -> Vec<ConnectionInfo> {
    let mut list: Vec<ConnectionInfo> = std::fs::read(config_dir.join(FILE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    for c in &mut list {
        c.password_available =
            !c.has_password || matches!(secrets.get(&secret_key(&c.name)), Ok(Some(_)));
        c.display_url = c.url_with(c.has_password.then_some(REDACTED));
    }
    list
}

fn store(config_dir: &Path, list: &[ConnectionInfo]) -> Result<(), AppError> {
    let io = |e: std::io::Error| {
        AppError::new(
            ErrorCode::Io,
            format!("{}: {e}", config_dir.join(FILE).display()),
        )
    };
    std::fs::create_dir_all(config_dir).map_err(io)?;
    let tmp = config_dir.join(format!("{FILE}.tmp"));
    std::fs::write(&tmp, serde_json::to_vec_pretty(list).unwrap_or_default()).map_err(io)?;
    std::fs::rename(tmp, config_dir.join(FILE)).map_err(io)
}

/// Saves a connection (replacing one of the same name) and its password.
///
/// # Errors
/// [`ErrorCode::InvalidInput`] naming the field; [`ErrorCode::Secret`]; [`ErrorCode::Io`].
pub fn save(
    config_dir: &Path,
    secrets: &SecretStore,
    form: ConnectionForm,
) -> Result<ConnectionInfo, AppError> {
    let invalid = |field: &str, what: &str| AppError::invalid(field, format!("{field}: {what}"));
    let name = form.name.trim().to_owned();
    if name.is_empty() {
        return Err(invalid("name", "a connection needs a name"));
    }
    if form.engine == ConnectionEngine::Sqlite && form.database.trim().is_empty() {
        return Err(invalid("database", "name the SQLite file"));
    }
    if form.engine != ConnectionEngine::Sqlite && form.host.trim().is_empty() {
        return Err(invalid("host", "name the server's host, e.g. 127.0.0.1"));
    }
    let mut all = list(config_dir, secrets);
    let previous = all.iter().find(|c| c.name == name).cloned();
    let has_password = match &form.password {
        Some(p) if !p.is_empty() => {
            secrets.set(&secret_key(&name), p)?;
            true
        }
        Some(_) => {
            secrets.delete(&secret_key(&name))?;
            false
        }
        None => previous.as_ref().is_some_and(|c| c.has_password),
    };
    let mut info = ConnectionInfo {
        name: name.clone(),
        engine: form.engine,
        host: form.host.trim().to_owned(),
        port: form.port,
        user: form.user.trim().to_owned(),
        database: form.database.trim().to_owned(),
        has_password,
        password_available: true,
        display_url: String::new(),
    };
    info.display_url = info.url_with(has_password.then_some(REDACTED));
    all.retain(|c| c.name != name);
    all.push(info.clone());
    all.sort_by(|a, b| a.name.cmp(&b.name));
    store(config_dir, &all)?;
    Ok(info)
}

/// Deletes a connection and its password.
///
/// # Errors
/// [`ErrorCode::Secret`]; [`ErrorCode::Io`].
pub fn delete(config_dir: &Path, secrets: &SecretStore, name: &str) -> Result<(), AppError> {
    let mut all = list(config_dir, secrets);
    all.retain(|c| c.name != name);
    secrets.delete(&secret_key(name))?;
    store(config_dir, &all)
}

impl From<ConnectionEngine> for migration_studio::import::Engine {
    fn from(e: ConnectionEngine) -> Self {
        match e {
            ConnectionEngine::Postgres => Self::Postgres,
            ConnectionEngine::Mysql => Self::Mysql,
            ConnectionEngine::Sqlite => Self::Sqlite,
        }
    }
}

/// The stored connection `name` (no password).
///
/// # Errors
/// [`ErrorCode::NotFound`].
pub fn find(
    config_dir: &Path,
    secrets: &SecretStore,
    name: &str,
) -> Result<ConnectionInfo, AppError> {
    list(config_dir, secrets)
        .into_iter()
        .find(|c| c.name == name)
        .ok_or_else(|| {
            AppError::new(ErrorCode::NotFound, format!("no connection named `{name}`"))
                .hint("Add it in the connection form.")
        })
}

/// The URLs of the live inputs of `manifest` that a saved connection of the same name can
/// give (password available), for the engine only; the others read their variable.
pub fn live_urls(
    config_dir: &Path,
    secrets: &SecretStore,
    manifest: &migration_studio::project::Manifest,
) -> migration_studio::project::LiveUrls {
    let mut urls = migration_studio::project::LiveUrls::default();
    for input in &manifest.inputs {
        if let migration_studio::project::Input::Live { live, .. } = input {
            if let Ok(url) = url(config_dir, secrets, live) {
                urls.insert(live, url);
            }
        }
    }
    urls
}

/// The full URL of a connection, password included, for the engine only.
///
/// # Errors
/// [`ErrorCode::NotFound`]; [`ErrorCode::MissingConnection`] when its password is not available.
pub fn url(config_dir: &Path, secrets: &SecretStore, name: &str) -> Result<String, AppError> {
    let info = find(config_dir, secrets, name)?;
    if !info.has_password {
        return Ok(info.url_with(None));
    }
    match secrets.get(&secret_key(name))? {
        Some(p) => Ok(info.url_with(Some(&p))),
        None => Err(AppError::new(
            ErrorCode::MissingConnection,
            format!("the password of connection `{name}` is not available"),
        )
        .hint(match secrets.backend() {
            crate::secrets::SecretBackend::Memory => "Enter the password again in the connection form (same name): without an OS keychain it is kept only until the app quits.",
            crate::secrets::SecretBackend::Keychain => "Enter the password again in the connection form (same name): the keychain has none for it.",
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let on_disk = std::fs::read_to_string(dir.path().join(FILE)).unwrap();
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
