//! One writer per run: a lock on the target, keyed by the run id, held for as long as a
//! backfill writes. A second process with the same run id is refused at once, naming who holds
//! it; a crashed holder's lock goes with its session (PostgreSQL and MySQL) or its open file
//! (SQLite), so no stale lock needs clearing by hand.
//!
//! PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) on a 64-bit key derived
//! from the run id, on a connection taken out of the pool. MySQL/MariaDB: a named lock
//! (`GET_LOCK(name, 0)`), whose namespace is the whole server, so the name also carries the
//! database. SQLite: an exclusive lock on a file beside the database file, removed on release.

use std::path::PathBuf;

use sqlx::{Connection, MySqlConnection, PgConnection};

use super::{Database, DbError, Pool};
use crate::data::Cell;

/// A held run lock; [`RunLock::release`] gives it back (dropping it does too, when the
/// connection closes or the process ends).
#[derive(Debug)]
pub struct RunLock {
    holder: Holder,
}

#[derive(Debug)]
enum Holder {
    Postgres(PgConnection, i64),
    Mysql(MySqlConnection, String),
    Sqlite(FileLock),
    /// An in-memory SQLite database: no other process can reach it.
    Private,
}

fn run_key(scope: &str, run_id: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(format!("migration-studio run\u{0}{scope}\u{0}{run_id}").as_bytes())
}

impl RunLock {
    /// Takes the lock for `run_id` on `db`, without waiting.
    ///
    /// # Errors
    /// [`DbError::RunLocked`] naming the holder when another session or process has it;
    /// [`DbError::Query`] when the lock cannot be asked for.
    pub async fn acquire(db: &Database, run_id: &str) -> Result<Self, DbError> {
        let locked = |holder: String| DbError::RunLocked {
            url: db.display.clone(),
            run_id: run_id.to_owned(),
            holder,
        };
        let context = "taking the run's writer lock";
        let holder = match &db.pool {
            Pool::Postgres(pool) => {
                let key = run_key("", run_id) as i64;
                let mut conn = pool
                    .acquire()
                    .await
                    .map_err(|e| db.query_error(context, e))?
                    .detach();
                let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                    .bind(key)
                    .fetch_one(&mut conn)
                    .await
                    .map_err(|e| db.query_error(context, e))?;
                if !got {
                    let _ = conn.close().await;
                    return Err(locked(pg_holder(db, key).await));
                }
                Holder::Postgres(conn, key)
            }
            Pool::Mysql(pool) => {
                let database = super::identity(db).await?.database;
                let name = format!("migration-studio:{:016x}", run_key(&database, run_id));
                let mut conn = pool
                    .acquire()
                    .await
                    .map_err(|e| db.query_error(context, e))?
                    .detach();
                let got: Option<i64> = sqlx::query_scalar("SELECT GET_LOCK(?, 0)")
                    .bind(&name)
                    .fetch_one(&mut conn)
                    .await
                    .map_err(|e| db.query_error(context, e))?;
                if got != Some(1) {
                    let _ = conn.close().await;
                    return Err(locked(mysql_holder(db, &name).await));
                }
                Holder::Mysql(conn, name)
            }
            Pool::Sqlite(_) => {
                let file = super::identity(db).await?.server;
                if file.is_empty() {
                    Holder::Private
                } else {
                    let path =
                        PathBuf::from(format!("{file}.ms-run-{:016x}.lock", run_key("", run_id)));
                    Holder::Sqlite(FileLock::acquire(&path).map_err(locked)?)
                }
            }
        };
        Ok(Self { holder })
    }

    /// Gives the lock back (and closes the connection that held it).
    pub async fn release(self) {
        match self.holder {
            Holder::Postgres(mut conn, key) => {
                let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(key)
                    .execute(&mut conn)
                    .await;
                let _ = conn.close().await;
            }
            Holder::Mysql(mut conn, name) => {
                let _ = sqlx::query("SELECT RELEASE_LOCK(?)")
                    .bind(name)
                    .execute(&mut conn)
                    .await;
                let _ = conn.close().await;
            }
            Holder::Sqlite(lock) => lock.release(),
            Holder::Private => {}
        }
    }
}

/// The holder described from the first row of a catalog query (NULLs as empty text), or
/// `unknown` when the query failed or found nobody (the holder may have just let go).
fn describe(
    rows: Result<Vec<Vec<Option<String>>>, DbError>,
    unknown: &str,
    text: impl Fn(&[String]) -> String,
) -> String {
    match rows.ok().and_then(|r| r.into_iter().next()) {
        Some(row) => text(
            &row.into_iter()
                .map(Option::unwrap_or_default)
                .collect::<Vec<_>>(),
        ),
        None => unknown.to_owned(),
    }
}

/// Who holds the advisory lock `key`, from `pg_locks` and `pg_stat_activity`.
async fn pg_holder(db: &Database, key: i64) -> String {
    let key = key as u64;
    let rows = db
        .fetch_texts(
            "SELECT a.pid::text, coalesce(a.application_name, ''), coalesce(a.client_addr::text, 'local'), \
             a.backend_start::text FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
             AND l.classid::bigint = $1 AND l.objid::bigint = $2 \
             AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())",
            &[Cell::Int((key >> 32) as i64), Cell::Int((key & 0xffff_ffff) as i64)],
            "finding the run lock's holder",
        )
        .await;
    describe(rows, "another session", |f| {
        format!(
            "PostgreSQL backend pid {} ({}) from {} since {}",
            f[0], f[1], f[2], f[3]
        )
    })
}

/// Who holds the named lock, from `IS_USED_LOCK` and the process list.
async fn mysql_holder(db: &Database, name: &str) -> String {
    let rows = db
        .fetch_texts(
            "SELECT CAST(p.ID AS CHAR), p.USER, p.HOST, CAST(p.TIME AS CHAR) FROM information_schema.PROCESSLIST p \
             WHERE p.ID = IS_USED_LOCK(?)",
            &[Cell::Text(name.to_owned())],
            "finding the run lock's holder",
        )
        .await;
    describe(rows, "another connection", |f| {
        format!("connection {} of {}@{}, for {} s", f[0], f[1], f[2], f[3])
    })
}

/// An exclusive lock on a file (the operating system's advisory lock, `flock` on Linux), which
/// names its holder's process id; it goes with the process, so a crashed holder leaves no stale
/// lock. [`FileLock::release`] removes the file.
#[derive(Debug)]
pub struct FileLock {
    file: std::fs::File,
    path: PathBuf,
}

impl FileLock {
    /// Locks the file at `path` exclusively (creating it), without waiting, and writes the
    /// holder's process id into it.
    ///
    /// # Errors
    /// What the file says of its holder (`process 1234, lock file …`) when another process
    /// holds it; why the file could not be opened or locked otherwise.
    pub fn acquire(path: &std::path::Path) -> Result<Self, String> {
        lock_file(path).map(|(file, path)| Self { file, path })
    }

    /// Who holds the lock at `path`, as the holder wrote itself into the file; `None` when
    /// the file is gone or says nothing readable (read without locking).
    pub fn holder(path: &std::path::Path) -> Option<LockHolder> {
        LockHolder::parse(&std::fs::read_to_string(path).ok()?)
    }

    /// Gives the lock back and removes the file.
    pub fn release(self) {
        // Removed while still locked, so a process that opens the path next creates a new file
        // (and [`lock_file`] checks it locked the file the path names).
        let _ = std::fs::remove_file(&self.path);
        drop(self.file);
    }
}

/// The process holding a [`FileLock`]: its id and its program's name (the executable's file
/// name without extension: `migration-studio` for the CLI, `migration-studio-desktop` for the
/// app), as the file says `process 1234 (migration-studio)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockHolder {
    /// The process id.
    pub pid: u32,
    /// The program's name, when the holder wrote it.
    pub program: Option<String>,
}

impl LockHolder {
    fn this_process() -> Self {
        Self {
            pid: std::process::id(),
            program: std::env::current_exe()
                .ok()
                .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned())),
        }
    }

    fn parse(text: &str) -> Option<Self> {
        let rest = text.trim().strip_prefix("process ")?;
        let (pid, program) = match rest.split_once(' ') {
            Some((pid, program)) => (
                pid,
                program
                    .strip_prefix('(')
                    .and_then(|p| p.strip_suffix(')'))
                    .map(str::to_owned),
            ),
            None => (rest, None),
        };
        Some(Self {
            pid: pid.parse().ok()?,
            program,
        })
    }
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "process {}", self.pid)?;
        match &self.program {
            Some(p) => write!(f, " ({p})"),
            None => Ok(()),
        }
    }
}

fn lock_file(path: &std::path::Path) -> Result<(std::fs::File, PathBuf), String> {
    use std::io::{Read, Seek, Write};
    // A holder that released (and removed the file) between our open and our lock leaves us
    // holding a file no path names; try again on the path's new file.
    for _ in 0..8 {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| format!("cannot open lock file {}: {e}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut who = String::new();
                let _ = file.read_to_string(&mut who);
                let who = who.trim();
                return Err(if who.is_empty() {
                    format!("lock file {}", path.display())
                } else {
                    format!("{who}, lock file {}", path.display())
                });
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(format!("cannot lock {}: {e}", path.display()))
            }
        }
        if !same_file(&file, path) {
            continue;
        }
        let _ = file.set_len(0);
        let _ = file.rewind();
        let _ = write!(file, "{}", LockHolder::this_process());
        let _ = file.flush();
        return Ok((file, path.to_owned()));
    }
    Err(format!("lock file {} keeps changing", path.display()))
}

#[cfg(unix)]
fn same_file(file: &std::fs::File, path: &std::path::Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &std::fs::File, path: &std::path::Path) -> bool {
    path.exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_lock_names_its_holder_and_a_reader_finds_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let lock = FileLock::acquire(&path).unwrap();
        let holder = FileLock::holder(&path).expect("the holder wrote itself");
        assert_eq!(holder.pid, std::process::id());
        assert!(holder.program.is_some());
        let refused = FileLock::acquire(&path).unwrap_err();
        assert!(refused.contains(&holder.to_string()), "{refused}");
        lock.release();
        assert_eq!(FileLock::holder(&path), None);
        assert_eq!(
            LockHolder::parse("process 12"),
            Some(LockHolder {
                pid: 12,
                program: None
            })
        );
        assert_eq!(
            LockHolder::parse("process 12 (migration-studio)").and_then(|h| h.program),
            Some("migration-studio".into())
        );
        assert_eq!(LockHolder::parse("someone"), None);
    }
}
