//! SQL dialects Migration Studio reads and connects to.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A database engine family, which fixes both the DDL dialect and the live catalog to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// PostgreSQL (any supported version).
    Postgres,
    /// MySQL and MariaDB.
    Mysql,
    /// SQLite 3.
    Sqlite,
}

impl Engine {
    /// Every engine, in display order.
    pub const ALL: [Engine; 3] = [Engine::Postgres, Engine::Mysql, Engine::Sqlite];

    /// The schema unqualified names fall into, when the engine has one by default.
    pub fn default_schema(self) -> Option<&'static str> {
        match self {
            Engine::Postgres => Some("public"),
            Engine::Mysql | Engine::Sqlite => None,
        }
    }

    /// Folds an identifier as the engine's catalog would report it: PostgreSQL lower-cases
    /// unquoted identifiers (PostgreSQL docs §4.1.1); MySQL and SQLite keep them as written.
    pub fn fold_identifier(self, ident: &str, quoted: bool) -> String {
        match (self, quoted) {
            (Engine::Postgres, false) => ident.to_lowercase(),
            _ => ident.to_owned(),
        }
    }

    /// The sqlparser dialect for DDL written for this engine.
    pub(crate) fn sql_dialect(self) -> Box<dyn sqlparser::dialect::Dialect> {
        match self {
            Engine::Postgres => Box::new(sqlparser::dialect::PostgreSqlDialect {}),
            Engine::Mysql => Box::new(crate::import::ddl::MySqlDumpDialect::default()),
            Engine::Sqlite => Box::new(sqlparser::dialect::SQLiteDialect {}),
        }
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Engine::Postgres => "postgres",
            Engine::Mysql => "mysql",
            Engine::Sqlite => "sqlite",
        })
    }
}

/// Error for an engine name that is not one of `postgres`, `mysql`, `mariadb`, `sqlite`.
#[derive(Debug, thiserror::Error)]
#[error("unknown engine `{0}` (expected postgres, mysql, mariadb or sqlite)")]
pub struct UnknownEngine(pub String);

impl FromStr for Engine {
    type Err = UnknownEngine;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" | "pg" => Ok(Engine::Postgres),
            "mysql" | "mariadb" => Ok(Engine::Mysql),
            "sqlite" | "sqlite3" => Ok(Engine::Sqlite),
            _ => Err(UnknownEngine(s.to_owned())),
        }
    }
}
