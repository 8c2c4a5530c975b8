//! The `local` provider: existing servers given by URL. The rehearsal creates scratch databases
//! named after the run on them (`ms_rh_<run>_src`, `ms_rh_<run>_tgt`) and drops them at the
//! end; only those, and nothing else on the servers, are written.

use std::path::{Path, PathBuf};

use sqlx::Executor;

use super::{Environment, Provider, ProviderError, Resources, Side};
use crate::db::{self, guard, quote, Access, DbError, Pool};
use crate::import::Engine;

/// Scratch databases on servers that already run (the machine's own, or any the user names);
/// a side whose server is `sqlite:` is a file `ms_rh_<run>_src.sqlite` in `files`.
#[derive(Debug, Clone)]
pub struct LocalProvider {
    /// Admin URL of the server for the scratch source, without a database.
    pub source_server: String,
    /// Admin URL of the server for the scratch target.
    pub target_server: String,
    /// Folder for SQLite sides' files (the project's runs folder).
    pub files: PathBuf,
    /// Rehearse an upgrade (the manifest's source and target: one engine, two major versions)
    /// on servers of one major version all the same: told it is intended.
    pub same_version: bool,
}

impl LocalProvider {
    /// Refuses an upgrade the servers cannot rehearse: the manifest's sides are one engine at
    /// two major versions, and the servers run one major version, unless
    /// [`LocalProvider::same_version`]. Returns the servers' versions as they report them.
    async fn check_versions(
        &self,
        source: &Side,
        target: &Side,
    ) -> Result<Option<(String, String)>, ProviderError> {
        let (Some(wanted_source), Some(wanted_target)) = (&source.version, &target.version) else {
            return Ok(None);
        };
        let engine = source.engine;
        if engine != target.engine
            || engine == Engine::Sqlite
            || db::major_version(engine, wanted_source) == db::major_version(engine, wanted_target)
        {
            return Ok(None);
        }
        let mut found = Vec::new();
        for server in [&self.source_server, &self.target_server] {
            let Some(server_engine) = db::engine_of(server).filter(|e| *e != Engine::Sqlite) else {
                return Ok(None);
            };
            let db = db::connect(&admin_url(server, server_engine), Access::ReadOnly, 1).await?;
            let version = db::server_version(&db).await;
            db.close().await;
            found.push(version?);
        }
        let (source_version, target_version) = (found.remove(0), found.remove(0));
        tracing::info!(source = %source_version, target = %target_version, "local servers");
        if !self.same_version
            && db::major_version(engine, &source_version)
                == db::major_version(engine, &target_version)
        {
            return Err(ProviderError::SameVersion {
                engine: engine.to_string(),
                wanted: format!("{wanted_source} → {wanted_target}"),
                source_version,
                target_version,
            });
        }
        Ok(Some((source_version, target_version)))
    }
}

impl Provider for LocalProvider {
    fn name(&self) -> &'static str {
        "local"
    }

    async fn provision(
        &self,
        run: &str,
        source: &Side,
        target: &Side,
    ) -> Result<Environment, ProviderError> {
        self.check_versions(source, target).await?;
        Ok(scratch(run, &self.source_server, &self.target_server, &self.files).await?)
    }

    async fn clean_up(&self, run: &str) {
        planned(run, &self.source_server, &self.target_server, &self.files)
            .teardown_databases()
            .await;
    }

    async fn reattach(
        &self,
        run: &str,
        _containers: &[String],
    ) -> Result<Environment, ProviderError> {
        let env = planned(run, &self.source_server, &self.target_server, &self.files);
        // Both scratch databases must still be there; the target keeps its marker.
        for url in [&env.source_url, &env.target_url] {
            db::connect(url, Access::ReadOnly, 1).await?.close().await;
        }
        Ok(env)
    }
}

/// `server` with its path set to `database` (query kept).
pub(super) fn with_database(server: &str, database: &str) -> String {
    let (base, query) = server
        .split_once('?')
        .map_or((server, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let url = format!("{}/{database}", &base[..path_start]);
    match query {
        Some(q) => format!("{url}?{q}"),
        None => url,
    }
}

async fn admin(url: &str, sql: &str) -> Result<(), DbError> {
    let db = db::connect(url, Access::ReadWrite, 1).await?;
    let result = match &db.pool {
        Pool::Postgres(p) => p.execute(sql).await.map(|_| ()),
        Pool::Mysql(p) => p.execute(sql).await.map(|_| ()),
        Pool::Sqlite(p) => p.execute(sql).await.map(|_| ()),
    };
    db.close().await;
    result.map_err(|e| DbError::Query {
        url: crate::import::live::redact_url(url),
        context: "managing scratch databases".into(),
        source: e,
    })
}

/// Drops the scratch database `name` on `server` (`engine` PostgreSQL or MySQL), ending every
/// session on it first: PostgreSQL's `WITH (FORCE)` does so itself, MySQL's sessions are listed
/// by their current database and killed ([`db::end_sessions`]). A cancelled run can leave connections that will never
/// be answered: sqlx's connections are not cancel-safe, and a statement cut off mid-exchange
/// leaves the pool's release check (a ping, in a task of its own) waiting for a reply the server
/// never sends while the server waits for the next command (sqlx issue 4349, "return_to_pool
/// can hang forever"). Ending the session ends that task; the database would go without it.
///
/// # Errors
/// [`DbError`] when the server cannot be reached or refuses the drop. A session that ends by
/// itself before it is killed is not an error.
async fn drop_database(server: &str, engine: Engine, name: &str) -> Result<(), DbError> {
    let url = admin_url(server, engine);
    if engine != Engine::Mysql {
        return admin(&url, &drop_sql(engine, name)).await;
    }
    let db = db::connect(&url, Access::ReadWrite, 1).await?;
    let result = async {
        db::end_sessions(&db, name).await?;
        db.execute(&drop_sql(engine, name), &[], "managing scratch databases")
            .await
            .map(|_| ())
    }
    .await;
    db.close().await;
    result
}

fn drop_sql(engine: Engine, name: &str) -> String {
    match engine {
        Engine::Postgres => format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote::ident(engine, name)
        ),
        _ => format!("DROP DATABASE IF EXISTS {}", quote::ident(engine, name)),
    }
}

/// Creates `ms_rh_<run>_src` on `source_server` and `ms_rh_<run>_tgt` on `target_server`
/// (server URLs with admin rights, e.g. `mysql://root@127.0.0.1:3306`), and marks the target.
///
/// # Errors
/// [`DbError`]; whatever was created is dropped again.
pub(super) async fn scratch(
    run: &str,
    source_server: &str,
    target_server: &str,
    files: &Path,
) -> Result<Environment, DbError> {
    let unsupported = |url: &str| DbError::Scheme {
        url: crate::import::live::redact_url(url),
    };
    let source_engine = db::engine_of(source_server).ok_or_else(|| unsupported(source_server))?;
    let target_engine = db::engine_of(target_server).ok_or_else(|| unsupported(target_server))?;
    let env = planned(run, source_server, target_server, files);
    let create = async {
        for (server, engine, name, url) in [
            (
                source_server,
                source_engine,
                &env.source_name,
                &env.source_url,
            ),
            (
                target_server,
                target_engine,
                &env.target_name,
                &env.target_url,
            ),
        ] {
            if engine == Engine::Sqlite {
                create_file(url, files).await?;
                continue;
            }
            drop_database(server, engine, name).await?;
            admin(
                &admin_url(server, engine),
                &format!("CREATE DATABASE {}", quote::ident(engine, name)),
            )
            .await?;
        }
        let target = db::connect(&env.target_url, Access::ReadWrite, 1).await?;
        let marked =
            guard::mark_rehearsal_target(&target, "scratch database created by a rehearsal").await;
        target.close().await;
        marked
    }
    .await;
    if let Err(e) = create {
        env.teardown_databases().await;
        return Err(e);
    }
    Ok(env)
}

/// A fresh SQLite file in WAL mode (a reader and the workload's writer at once).
async fn create_file(url: &str, files: &Path) -> Result<(), DbError> {
    let io = |e: std::io::Error| DbError::Query {
        url: url.to_owned(),
        context: "creating a scratch SQLite file".into(),
        source: sqlx::Error::Io(e),
    };
    std::fs::create_dir_all(files).map_err(io)?;
    let path = url.trim_start_matches("sqlite://");
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
    // An empty file is an empty SQLite database.
    std::fs::File::create(path).map_err(io)?;
    admin(url, "PRAGMA journal_mode = WAL").await
}

/// The URL of a scratch database `name` on `server`: a file in `files` for `sqlite:`.
fn scratch_url(server: &str, name: &str, files: &Path) -> String {
    if db::engine_of(server) == Some(Engine::Sqlite) {
        format!(
            "sqlite://{}",
            files.join(format!("{name}.sqlite")).display()
        )
    } else {
        with_database(server, name)
    }
}

/// The environment of run `run` without creating anything (to tear down after Ctrl-C).
pub(super) fn planned(
    run: &str,
    source_server: &str,
    target_server: &str,
    files: &Path,
) -> Environment {
    let source_name = format!("ms_rh_{run}_src");
    let target_name = format!("ms_rh_{run}_tgt");
    Environment {
        provider: "local",
        source_url: scratch_url(source_server, &source_name, files),
        target_url: scratch_url(target_server, &target_name, files),
        source_name,
        target_name,
        resources: Resources {
            servers: (source_server.to_owned(), target_server.to_owned()),
            containers: Vec::new(),
        },
    }
}

impl Environment {
    /// Drops the scratch databases of a local environment. Failures are logged: teardown runs
    /// on error paths too.
    pub(super) async fn teardown_databases(&self) {
        self.remove_files();
        let servers = &self.resources.servers;
        for (server, name) in [
            (&servers.0, &self.source_name),
            (&servers.1, &self.target_name),
        ] {
            let Some(engine) = db::engine_of(server).filter(|e| *e != Engine::Sqlite) else {
                continue;
            };
            if let Err(e) = drop_database(server, engine, name).await {
                tracing::warn!(database = %name, error = %e, "cannot drop a scratch database");
            }
        }
    }
}

impl Environment {
    /// Deletes the SQLite files of `sqlite:` sides (with their WAL and shared-memory files).
    pub(super) fn remove_files(&self) {
        for url in [&self.source_url, &self.target_url] {
            if let Some(path) = url.strip_prefix("sqlite://") {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{path}{suffix}"));
                }
            }
        }
    }
}

/// The server URL pointed at a maintenance database (`postgres` for PostgreSQL, none for MySQL).
pub(super) fn admin_url(server: &str, engine: Engine) -> String {
    match engine {
        Engine::Postgres => with_database(server, "postgres"),
        _ => with_database(server, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_goes_in_the_path() {
        assert_eq!(
            with_database("mysql://root@127.0.0.1:3306", "x"),
            "mysql://root@127.0.0.1:3306/x"
        );
        assert_eq!(
            with_database("postgres://p@h:5432/postgres?sslmode=disable", "y"),
            "postgres://p@h:5432/y?sslmode=disable"
        );
    }
}
