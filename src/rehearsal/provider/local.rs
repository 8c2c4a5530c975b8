//! The `local` provider: existing servers given by URL. The rehearsal creates scratch databases
//! named after the run on them (`ms_rh_<run>_src`, `ms_rh_<run>_tgt`) and drops them at the
//! end; only those, and nothing else on the servers, are written.

use sqlx::Executor;

use super::{Environment, Provider, ProviderError, Resources, Side};
use crate::db::{self, guard, quote, Access, DbError, Pool};
use crate::import::Engine;

/// Scratch databases on servers that already run (the machine's own, or any the user names).
#[derive(Debug, Clone)]
pub struct LocalProvider {
    /// Admin URL of the server for the scratch source, without a database.
    pub source_server: String,
    /// Admin URL of the server for the scratch target.
    pub target_server: String,
}

impl Provider for LocalProvider {
    fn name(&self) -> &'static str {
        "local"
    }

    async fn provision(
        &self,
        run: &str,
        _source: &Side,
        _target: &Side,
    ) -> Result<Environment, ProviderError> {
        Ok(scratch(run, &self.source_server, &self.target_server).await?)
    }

    async fn clean_up(&self, run: &str) {
        planned(run, &self.source_server, &self.target_server)
            .teardown_databases()
            .await;
    }

    async fn reattach(
        &self,
        run: &str,
        _containers: &[String],
    ) -> Result<Environment, ProviderError> {
        let env = planned(run, &self.source_server, &self.target_server);
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
) -> Result<Environment, DbError> {
    let unsupported = |url: &str| DbError::Scheme {
        url: crate::import::live::redact_url(url),
    };
    let source_engine = db::engine_of(source_server).ok_or_else(|| unsupported(source_server))?;
    let target_engine = db::engine_of(target_server).ok_or_else(|| unsupported(target_server))?;
    let env = planned(run, source_server, target_server);
    let create = async {
        for (server, engine, name) in [
            (source_server, source_engine, &env.source_name),
            (target_server, target_engine, &env.target_name),
        ] {
            admin(&admin_url(server, engine), &drop_sql(engine, name)).await?;
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

/// The environment of run `run` without creating anything (to tear down after Ctrl-C).
pub(super) fn planned(run: &str, source_server: &str, target_server: &str) -> Environment {
    let source_name = format!("ms_rh_{run}_src");
    let target_name = format!("ms_rh_{run}_tgt");
    Environment {
        provider: "local",
        source_url: with_database(source_server, &source_name),
        target_url: with_database(target_server, &target_name),
        source_name,
        target_name,
        resources: Resources::Databases {
            servers: (source_server.to_owned(), target_server.to_owned()),
        },
    }
}

impl Environment {
    /// Drops the scratch databases of a local environment. Failures are logged: teardown runs
    /// on error paths too.
    pub(super) async fn teardown_databases(&self) {
        let Resources::Databases { servers } = &self.resources else {
            return;
        };
        for (server, name) in [
            (&servers.0, &self.source_name),
            (&servers.1, &self.target_name),
        ] {
            let Some(engine) = db::engine_of(server) else {
                continue;
            };
            if let Err(e) = admin(&admin_url(server, engine), &drop_sql(engine, name)).await {
                tracing::warn!(database = %name, error = %e, "cannot drop a scratch database");
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
