//! Loading the project's SQL scripts into a rehearsal source database, as the engine's own
//! client would run them: statements split by [`crate::import::ddl::split`], `COPY … FROM
//! stdin` data streamed, client directives skipped. Statements that would leave the scratch
//! database (`USE`, `CREATE`/`DROP DATABASE`, MySQL's `SCHEMA` synonym, `\connect`) are skipped, and MySQL
//! qualifiers naming the script's own schema are rewritten, token by token, to the scratch
//! database, so a script written for `sakila` loads into `ms_rh_…_src`.

use std::collections::BTreeSet;

use sqlparser::tokenizer::{Token, Tokenizer};
use sqlx::Executor;

use crate::db::{Database, Pool};
use crate::import::ddl::split::{split, Piece};
use crate::import::Engine;

/// Why a script could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: loading the source failed: {message}")]
pub struct LoadError {
    /// Script, as named in the manifest.
    pub file: String,
    /// 1-based line of the failing statement.
    pub line: usize,
    /// The database's message.
    pub message: String,
}

fn head(text: &str, n: usize) -> Vec<String> {
    text.split_whitespace()
        .take(n)
        .map(|w| w.trim_end_matches(';').to_ascii_uppercase())
        .collect()
}

/// A project script split into its statements once, to be loaded into one database or more.
pub struct Script<'a> {
    /// The script's name, as the manifest gives it.
    file: String,
    text: &'a str,
    pieces: Vec<Piece<'a>>,
}

impl<'a> Script<'a> {
    /// Splits `text` (named `file`, written for `engine`) as the engine's client would.
    ///
    /// # Errors
    /// [`LoadError`] naming the file and line the script stops making sense at.
    pub fn split(engine: Engine, file: &str, text: &'a str) -> Result<Self, LoadError> {
        let pieces = split(text, engine).map_err(|e| LoadError {
            file: file.to_owned(),
            line: e.line(),
            message: e.to_string(),
        })?;
        Ok(Self {
            file: file.to_owned(),
            text,
            pieces,
        })
    }
}

/// Each of `scripts` (name and text, written for `engine`) split once.
///
/// # Errors
/// As [`Script::split`], for the first script that does not split.
pub fn split_all(
    engine: Engine,
    scripts: &[(std::path::PathBuf, String)],
) -> Result<Vec<Script<'_>>, LoadError> {
    scripts
        .iter()
        .map(|(path, text)| Script::split(engine, &path.to_string_lossy(), text))
        .collect()
}

/// The schema names a project's `scripts` switch to or create, all scripts together: a data
/// script naming `shop.customer` without a `USE shop` of its own (its schema script made
/// `shop`) loads into the scratch database too.
pub fn project_schemas(scripts: &[Script<'_>]) -> BTreeSet<String> {
    scripts
        .iter()
        .flat_map(|script| script_schemas(&script.pieces))
        .collect()
}

/// Schema names a script switches to or creates (`USE x`, `CREATE SCHEMA|DATABASE x`).
fn script_schemas(pieces: &[Piece]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for piece in pieces {
        if let Piece::Statement { text, .. } = piece {
            let words: Vec<&str> = text.split_whitespace().collect();
            let name = match head(text, 3).as_slice() {
                [u, ..] if u == "USE" => words.get(1),
                [c, s, ..] if c == "CREATE" && (s == "SCHEMA" || s == "DATABASE") => words.last(),
                _ => None,
            };
            if let Some(name) = name {
                out.insert(name.trim_matches(['`', ';', '"']).to_owned());
            }
        }
    }
    out
}

/// Whether a statement reaches outside the scratch database: `USE`, `CREATE`/`DROP DATABASE`,
/// and in MySQL also `CREATE`/`DROP SCHEMA` (a synonym of `DATABASE` there). A PostgreSQL
/// schema lives inside the database, so its `CREATE SCHEMA` runs.
fn leaves_the_database(text: &str, engine: Engine) -> bool {
    let h = head(text, 2);
    let containers: &[&str] = if engine == Engine::Postgres {
        &["DATABASE"]
    } else {
        &["SCHEMA", "DATABASE"]
    };
    matches!(h.first().map(String::as_str), Some("USE"))
        || (matches!(h.first().map(String::as_str), Some("CREATE" | "DROP"))
            && h.get(1).is_some_and(|w| containers.contains(&w.as_str())))
}

/// Rewrites `schema.` qualifiers naming one of `from` to `to` (MySQL scripts).
fn requalify(text: &str, from: &BTreeSet<String>, to: &str) -> String {
    // Most statements (all data) never name the schema: leave their text untouched.
    if !from
        .iter()
        .any(|s| text.contains(&format!("{s}.")) || text.contains(&format!("{s}`.")))
    {
        return text.to_owned();
    }
    let dialect = Engine::Mysql.sql_dialect();
    let Ok(tokens) = Tokenizer::new(dialect.as_ref(), text).tokenize() else {
        return text.to_owned();
    };
    let mut out = String::with_capacity(text.len());
    for (i, token) in tokens.iter().enumerate() {
        match token {
            Token::Word(w)
                if from.contains(&w.value) && matches!(tokens.get(i + 1), Some(Token::Period)) =>
            {
                out.push('`');
                out.push_str(&to.replace('`', "``"));
                out.push('`');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    out
}

/// What of a script to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Everything.
    All,
    /// Everything but data (`INSERT`, `COPY`): a same-engine target's schema.
    SchemaOnly,
}

/// Runs `script` (written for the database's engine) in `db`, its MySQL qualifiers naming one
/// of `schemas` (the project's, [`project_schemas`]) rewritten to `database_name`.
///
/// # Errors
/// [`LoadError`] naming the file and line of the first statement the database refuses.
pub async fn load_script(
    db: &Database,
    database_name: &str,
    script: &Script<'_>,
    part: Part,
    schemas: &BTreeSet<String>,
) -> Result<u64, LoadError> {
    let pieces: Vec<&Piece> = script
        .pieces
        .iter()
        .filter(|p| match (part, p) {
            (Part::All, _) => true,
            (Part::SchemaOnly, Piece::Statement { text, .. }) => !matches!(
                head(text, 1).first().map(String::as_str),
                Some("INSERT" | "COPY")
            ),
            (Part::SchemaOnly, Piece::CopyData { .. }) => false,
            (Part::SchemaOnly, Piece::Skipped { .. }) => true,
        })
        .collect();
    let fail = |line: usize, e: sqlx::Error| LoadError {
        file: script.file.clone(),
        line,
        message: match e {
            sqlx::Error::Database(d) => d.message().to_owned(),
            other => other.to_string(),
        },
    };
    let mut loaded_rows = 0u64;
    match &db.pool {
        Pool::Mysql(pool) => {
            // A script may change its session (`SET AUTOCOMMIT=0`, variables): load on a
            // connection taken out of the pool, so nothing it sets reaches later users.
            let mut conn = pool.acquire().await.map_err(|e| fail(1, e))?.detach();
            for &piece in &pieces {
                let Piece::Statement { text, line } = piece else {
                    continue;
                };
                if leaves_the_database(text, db.engine) {
                    continue;
                }
                let sql = if schemas.is_empty() {
                    text.to_string()
                } else {
                    requalify(text, schemas, database_name)
                };
                let done = conn
                    .execute(sqlx::raw_sql(&sql))
                    .await
                    .map_err(|e| fail(*line, e))?;
                if head(text, 1).first().is_some_and(|w| w == "INSERT") {
                    loaded_rows += done.rows_affected();
                }
            }
            conn.execute("COMMIT").await.map_err(|e| fail(1, e))?;
            let _ = sqlx::Connection::close(conn).await;
        }
        Pool::Postgres(pool) => {
            let mut conn = pool.acquire().await.map_err(|e| fail(1, e))?.detach();
            let mut pending_copy: Option<(String, usize)> = None;
            for &piece in &pieces {
                match piece {
                    Piece::Statement { text, line } => {
                        if leaves_the_database(text, db.engine) {
                            continue;
                        }
                        if head(text, 1).first().is_some_and(|w| w == "COPY")
                            && text.to_ascii_uppercase().contains("FROM STDIN")
                        {
                            pending_copy = Some((text.to_string(), *line));
                            continue;
                        }
                        let done = conn
                            .execute(sqlx::raw_sql(text))
                            .await
                            .map_err(|e| fail(*line, e))?;
                        if head(text, 1).first().is_some_and(|w| w == "INSERT") {
                            loaded_rows += done.rows_affected();
                        }
                    }
                    Piece::CopyData { data, rows, .. } => {
                        let Some((statement, line)) = pending_copy.take() else {
                            continue;
                        };
                        let mut copy = conn
                            .copy_in_raw(&statement)
                            .await
                            .map_err(|e| fail(line, e))?;
                        copy.send(script.text[data.clone()].as_bytes())
                            .await
                            .map_err(|e| fail(line, e))?;
                        copy.finish().await.map_err(|e| fail(line, e))?;
                        loaded_rows += rows;
                    }
                    Piece::Skipped { .. } => {}
                }
            }
            let _ = sqlx::Connection::close(conn).await;
        }
        Pool::Sqlite(pool) => {
            let mut conn = pool.acquire().await.map_err(|e| fail(1, e))?;
            for &piece in &pieces {
                let Piece::Statement { text, line } = piece else {
                    continue;
                };
                let done = conn
                    .execute(sqlx::raw_sql(text))
                    .await
                    .map_err(|e| fail(*line, e))?;
                if head(text, 1).first().is_some_and(|w| w == "INSERT") {
                    loaded_rows += done.rows_affected();
                }
            }
        }
    }
    Ok(loaded_rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mysql_qualifiers_follow_the_scratch_database() {
        let from: BTreeSet<String> = ["sakila".to_owned()].into();
        assert_eq!(
            requalify(
                "SELECT a.x FROM sakila.film AS a, `sakila`.actor",
                &from,
                "ms_rh_1_src"
            ),
            "SELECT a.x FROM `ms_rh_1_src`.film AS a, `ms_rh_1_src`.actor"
        );
    }
}
