//! Connections to the databases a backfill or validation reads and writes.
//!
//! A source is always opened read-only (PostgreSQL and MySQL sessions in read-only transaction
//! mode, SQLite files opened read-only), so pointing the tool at production cannot change it. A
//! target is written only when it carries the rehearsal-target marker ([`guard`]).

pub mod guard;
mod identity;
pub mod quote;
mod run_lock;
mod sessions;

pub use identity::{identity, major_version, server_version, version_matches, DatabaseIdentity};
pub use run_lock::{FileLock, LockHolder, RunLock};
pub use sessions::end_sessions;

use std::str::FromStr;

use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Executor, MySqlPool, PgPool, Row, SqlitePool};

use crate::data::read::bind_all;
use crate::data::Cell;
use crate::import::live::redact_url;
use crate::import::Engine;

/// Whether a connection may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read-only session: every write is refused by the server itself.
    ReadOnly,
    /// Read-write session (rehearsal targets only; see [`guard`]).
    ReadWrite,
}

/// A pool to one database of one engine.
#[derive(Debug, Clone)]
pub enum Pool {
    /// PostgreSQL.
    Postgres(PgPool),
    /// MySQL or MariaDB.
    Mysql(MySqlPool),
    /// SQLite.
    Sqlite(SqlitePool),
}

/// An open database: its pool, engine, and a password-free name for messages and logs.
#[derive(Debug, Clone)]
pub struct Database {
    /// The pool.
    pub pool: Pool,
    /// Engine family.
    pub engine: Engine,
    /// The URL with its password redacted.
    pub display: String,
    /// PostgreSQL schema or MySQL database the URL points at (`None` for SQLite).
    pub default_schema: Option<String>,
}

/// Why a database could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL's scheme names no supported engine.
    #[error(
        "{url}: unsupported URL scheme (expected postgres://, mysql://, mariadb:// or sqlite:)"
    )]
    Scheme {
        /// Redacted URL.
        url: String,
    },
    /// Connecting failed.
    #[error("{url}: cannot connect: {source}")]
    Connect {
        /// Redacted URL.
        url: String,
        /// Driver error.
        #[source]
        source: sqlx::Error,
    },
    /// The server did not answer within the connect timeout.
    #[error(
        "{url}: no answer within {seconds} s (set MIGRATION_STUDIO_CONNECT_TIMEOUT to wait longer)"
    )]
    ConnectTimeout {
        /// Redacted URL.
        url: String,
        /// The timeout, in seconds.
        seconds: f64,
    },
    /// A query failed.
    #[error("{url}: {context}: {source}")]
    Query {
        /// Redacted URL.
        url: String,
        /// What was being done, e.g. `reading chunk of sakila.rental`.
        context: String,
        /// Driver error.
        #[source]
        source: sqlx::Error,
    },
    /// The target is not marked as a rehearsal target.
    #[error("{url} is not a rehearsal target: Migration Studio writes only to databases it created or that were explicitly marked (pass --mark-rehearsal-target to mark this one, after checking it is not a production database)")]
    NotARehearsalTarget {
        /// Redacted URL.
        url: String,
    },
    /// The target is the source (same server and database), whatever the URLs say.
    #[error("{target} is the source database ({source_url}, server {server}, database {database}): a backfill would delete and rewrite the source's own rows; point the target at another database")]
    TargetIsSource {
        /// Redacted source URL.
        source_url: String,
        /// Redacted target URL.
        target: String,
        /// The server identity both reach (PostgreSQL `system_identifier`, MySQL
        /// `@@server_uuid` or host:port:datadir, SQLite file path).
        server: String,
        /// The database (or MySQL schema) both reach.
        database: String,
    },
    /// The database holds a change-capture changelog: it was the source of a rehearsal run.
    #[error("{url} holds Migration Studio's change-capture changelog ({table}): it has been the source of a run and will not be marked as a rehearsal target")]
    CaptureSource {
        /// Redacted URL.
        url: String,
        /// The changelog table found.
        table: String,
    },
    /// Another process holds this run's writer lock on the target.
    #[error("{url}: run {run_id} is already being written by another process ({holder}); one writer per run — wait for it to finish or stop it")]
    RunLocked {
        /// Redacted URL.
        url: String,
        /// Run id.
        run_id: String,
        /// Who holds the lock, as the server (or lock file) tells it.
        holder: String,
    },
}

/// `count(*)` as a 64-bit integer in `engine`'s spelling (MySQL casts to `SIGNED`).
pub fn count_star(engine: Engine) -> &'static str {
    match engine {
        Engine::Mysql => "CAST(count(*) AS SIGNED)",
        _ => "CAST(count(*) AS BIGINT)",
    }
}

impl Database {
    /// Rows of `table`, exactly (`count(*)`).
    ///
    /// # Errors
    /// [`DbError::Query`].
    pub async fn count_rows(
        &self,
        table: &crate::inventory::QualifiedName,
    ) -> Result<u64, DbError> {
        let sql = format!(
            "SELECT {} FROM {}",
            count_star(self.engine),
            quote::table(self.engine, table)
        );
        let n = self
            .fetch_i64(&sql, &[], &format!("counting {table}"))
            .await?;
        Ok(n.unwrap_or(0).max(0) as u64)
    }
    /// A [`DbError::Query`] for this database.
    pub fn query_error(&self, context: impl Into<String>, source: sqlx::Error) -> DbError {
        DbError::Query {
            url: self.display.clone(),
            context: context.into(),
            source,
        }
    }

    /// Runs SQL text as written (no bound values: DDL and statements built from quoted
    /// identifiers only), on the simple-query protocol so it may hold several statements.
    ///
    /// # Errors
    /// [`DbError::Query`] naming `context`.
    pub async fn execute_script(&self, sql: &str, context: &str) -> Result<(), DbError> {
        use sqlx::Executor as _;
        let result = match &self.pool {
            Pool::Postgres(p) => p.execute(sqlx::raw_sql(sql)).await.map(|_| ()),
            Pool::Mysql(p) => p.execute(sqlx::raw_sql(sql)).await.map(|_| ()),
            Pool::Sqlite(p) => p.execute(sqlx::raw_sql(sql)).await.map(|_| ()),
        };
        result.map_err(|e| self.query_error(context, e))
    }

    /// Runs one statement with bound values; returns the rows it affected.
    ///
    /// # Errors
    /// [`DbError::Query`] naming `context`.
    pub async fn execute(&self, sql: &str, binds: &[Cell], context: &str) -> Result<u64, DbError> {
        let result = match &self.pool {
            Pool::Postgres(p) => bind_all!(sqlx::query(sql), binds)
                .execute(p)
                .await
                .map(|r| r.rows_affected()),
            Pool::Mysql(p) => bind_all!(sqlx::query(sql), binds)
                .execute(p)
                .await
                .map(|r| r.rows_affected()),
            Pool::Sqlite(p) => bind_all!(sqlx::query(sql), binds)
                .execute(p)
                .await
                .map(|r| r.rows_affected()),
        };
        result.map_err(|e| self.query_error(context, e))
    }

    /// Runs one `INSERT` that leaves the table's generated key (`key`, quoted) to the database
    /// and returns the key it generated: PostgreSQL through `RETURNING`, MySQL through the
    /// protocol's last insert id (`LAST_INSERT_ID()`), SQLite through the rowid of the insert.
    ///
    /// # Errors
    /// [`DbError::Query`] naming `context`.
    pub async fn insert_generated(
        &self,
        insert: &str,
        key: &str,
        binds: &[Cell],
        context: &str,
    ) -> Result<i64, DbError> {
        let result = match &self.pool {
            Pool::Postgres(p) => {
                let sql = format!("{insert} RETURNING ({key})::int8");
                bind_all!(sqlx::query_scalar::<_, i64>(&sql), binds)
                    .fetch_one(p)
                    .await
            }
            Pool::Mysql(p) => bind_all!(sqlx::query(insert), binds)
                .execute(p)
                .await
                .map(|r| r.last_insert_id() as i64),
            Pool::Sqlite(p) => bind_all!(sqlx::query(insert), binds)
                .execute(p)
                .await
                .map(|r| r.last_insert_rowid()),
        };
        result.map_err(|e| self.query_error(context, e))
    }

    /// Runs statements with bound values in one transaction: all or none.
    ///
    /// # Errors
    /// [`DbError::Query`] naming `context`; nothing is committed.
    pub async fn execute_in_transaction(
        &self,
        statements: &[(String, Vec<Cell>)],
        context: &str,
    ) -> Result<(), DbError> {
        let err = |e| self.query_error(context, e);
        macro_rules! run_all {
            ($pool:expr) => {{
                let mut tx = $pool.begin().await.map_err(err)?;
                for (sql, binds) in statements {
                    bind_all!(sqlx::query(sql), binds)
                        .execute(&mut *tx)
                        .await
                        .map_err(err)?;
                }
                tx.commit().await.map_err(err)
            }};
        }
        match &self.pool {
            Pool::Postgres(p) => run_all!(p),
            Pool::Mysql(p) => run_all!(p),
            Pool::Sqlite(p) => run_all!(p),
        }
    }

    /// Runs a query with bound values whose columns are all text (or NULL).
    ///
    /// # Errors
    /// [`DbError::Query`] naming `context`.
    pub async fn fetch_texts(
        &self,
        sql: &str,
        binds: &[Cell],
        context: &str,
    ) -> Result<Vec<Vec<Option<String>>>, DbError> {
        fn texts<R: Row>(row: &R) -> Result<Vec<Option<String>>, sqlx::Error>
        where
            usize: sqlx::ColumnIndex<R>,
            for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        {
            (0..row.len()).map(|i| row.try_get(i)).collect()
        }
        let rows = match &self.pool {
            Pool::Postgres(p) => bind_all!(sqlx::query(sql), binds)
                .fetch_all(p)
                .await
                .and_then(|rs| rs.iter().map(texts).collect()),
            Pool::Mysql(p) => bind_all!(sqlx::query(sql), binds)
                .fetch_all(p)
                .await
                .and_then(|rs| rs.iter().map(texts).collect()),
            Pool::Sqlite(p) => bind_all!(sqlx::query(sql), binds)
                .fetch_all(p)
                .await
                .and_then(|rs| rs.iter().map(texts).collect()),
        };
        rows.map_err(|e| self.query_error(context, e))
    }

    /// Runs a query with bound values returning one integer (e.g. a count); `None` when it
    /// returns no row or NULL.
    ///
    /// # Errors
    /// [`DbError::Query`] naming `context`.
    pub async fn fetch_i64(
        &self,
        sql: &str,
        binds: &[Cell],
        context: &str,
    ) -> Result<Option<i64>, DbError> {
        let value = match &self.pool {
            Pool::Postgres(p) => {
                bind_all!(sqlx::query_scalar::<_, Option<i64>>(sql), binds)
                    .fetch_optional(p)
                    .await
            }
            Pool::Mysql(p) => {
                bind_all!(sqlx::query_scalar::<_, Option<i64>>(sql), binds)
                    .fetch_optional(p)
                    .await
            }
            Pool::Sqlite(p) => {
                bind_all!(sqlx::query_scalar::<_, Option<i64>>(sql), binds)
                    .fetch_optional(p)
                    .await
            }
        };
        value
            .map(Option::flatten)
            .map_err(|e| self.query_error(context, e))
    }

    /// Closes the pool: idle connections at once, those in use as they come back, waiting for
    /// them at most [`CLOSE_WAIT`]. A connection whose statement was cut off mid-exchange (its
    /// future dropped: sqlx's connections are not cancel-safe) may never come back: the pool's
    /// release check waits for a reply the server never sends (sqlx issue 4349). Past the wait
    /// the pool stays closed and such a connection is closed when it does come back; the caller
    /// goes on. Logs a warning naming the database when it waited in vain.
    pub async fn close(&self) {
        let closing = async {
            match &self.pool {
                Pool::Postgres(p) => p.close().await,
                Pool::Mysql(p) => p.close().await,
                Pool::Sqlite(p) => p.close().await,
            }
        };
        if tokio::time::timeout(CLOSE_WAIT, closing).await.is_err() {
            tracing::warn!(
                database = %self.display,
                "connections still in use {} s after the pool closed; left to close when they come back",
                CLOSE_WAIT.as_secs()
            );
        }
    }
}

/// The longest [`Database::close`] waits for connections in use to come back.
pub const CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// The engine a URL is for, from its scheme.
pub fn engine_of(url: &str) -> Option<Engine> {
    let scheme = url.split(':').next()?.to_ascii_lowercase();
    match scheme.as_str() {
        "postgres" | "postgresql" => Some(Engine::Postgres),
        "mysql" | "mariadb" => Some(Engine::Mysql),
        "sqlite" => Some(Engine::Sqlite),
        _ => None,
    }
}

/// Bulk reads and loads of 100k-row chunks take over sqlx's default one-second "slow
/// statement" threshold by design; reported as warnings they would alarm users, so they are
/// debug-level here.
fn quiet<O: sqlx::ConnectOptions>(options: O) -> O {
    options.log_slow_statements(log::LevelFilter::Debug, std::time::Duration::from_secs(1))
}

/// How long a first connection may take before the server counts as unreachable: 5 s, or
/// `MIGRATION_STUDIO_CONNECT_TIMEOUT` seconds.
pub fn connect_timeout() -> std::time::Duration {
    std::env::var("MIGRATION_STUDIO_CONNECT_TIMEOUT")
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .map_or(
            std::time::Duration::from_secs(5),
            std::time::Duration::from_secs_f64,
        )
}

/// One connection, made and closed, so an unreachable server fails within [`connect_timeout`]
/// with the driver's own reason (e.g. `Connection refused (os error 111)`) instead of the
/// pool's retries ending, 30 s later, in "pool timed out".
async fn probe<C: sqlx::Connection>(options: &C::Options, display: &str) -> Result<(), DbError> {
    let timeout = connect_timeout();
    match tokio::time::timeout(timeout, C::connect_with(options)).await {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            Ok(())
        }
        Ok(Err(source)) => Err(DbError::Connect {
            url: display.to_owned(),
            source,
        }),
        Err(_) => Err(DbError::ConnectTimeout {
            url: display.to_owned(),
            seconds: timeout.as_secs_f64(),
        }),
    }
}

/// Opens a pool of up to `connections` connections to `url` with the given access.
///
/// # Errors
/// [`DbError::Scheme`], [`DbError::Connect`] or [`DbError::ConnectTimeout`] (after
/// [`connect_timeout`]), naming the redacted URL.
pub async fn connect(url: &str, access: Access, connections: u32) -> Result<Database, DbError> {
    let display = redact_url(url);
    let engine = engine_of(url).ok_or_else(|| DbError::Scheme {
        url: display.clone(),
    })?;
    let connect_err = |source| DbError::Connect {
        url: display.clone(),
        source,
    };
    let read_only = access == Access::ReadOnly;
    let (pool, default_schema) = match engine {
        Engine::Postgres => {
            let options = quiet(PgConnectOptions::from_str(url).map_err(connect_err)?);
            // UTC sessions on both sides make date-times travel as the same instants.
            let options = options.options([("TimeZone", "UTC")]);
            let options = if read_only {
                options.options([("default_transaction_read_only", "on")])
            } else {
                options
            };
            probe::<sqlx::PgConnection>(&options, &display).await?;
            let pool = PgPoolOptions::new()
                .max_connections(connections)
                .connect_with(options)
                .await
                .map_err(connect_err)?;
            (Pool::Postgres(pool), Some("public".to_owned()))
        }
        Engine::Mysql => {
            let url = url.replacen("mariadb://", "mysql://", 1);
            let options = quiet(MySqlConnectOptions::from_str(&url).map_err(connect_err)?);
            let database = options.get_database().map(str::to_owned);
            probe::<sqlx::MySqlConnection>(&options, &display).await?;
            let pool = MySqlPoolOptions::new()
                .max_connections(connections)
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        // Backfills move text verbatim; the session must not reinterpret it.
                        conn.execute("SET NAMES utf8mb4").await?;
                        conn.execute("SET time_zone = '+00:00'").await?;
                        // A checksum segment's row texts are joined by GROUP_CONCAT
                        // (`validate::segment`), which cuts at this length (1 MiB by default).
                        conn.execute("SET SESSION group_concat_max_len = 16777216")
                            .await?;
                        if read_only {
                            conn.execute("SET SESSION TRANSACTION READ ONLY").await?;
                        }
                        Ok(())
                    })
                })
                .connect_with(options)
                .await
                .map_err(connect_err)?;
            (Pool::Mysql(pool), database)
        }
        Engine::Sqlite => {
            let options = quiet(SqliteConnectOptions::from_str(url).map_err(connect_err)?)
                .read_only(read_only)
                .create_if_missing(false);
            let pool = SqlitePoolOptions::new()
                .max_connections(connections)
                .connect_with(options)
                .await
                .map_err(connect_err)?;
            (Pool::Sqlite(pool), None)
        }
    };
    Ok(Database {
        pool,
        engine,
        display,
        default_schema,
    })
}
