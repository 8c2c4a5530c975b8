//! Schema import from live databases: PostgreSQL, MySQL/MariaDB and SQLite catalogs read into
//! the same [`Inventory`] a DDL import of that schema gives.
//!
//! Keys, columns and sizes come from the catalog. View and trigger bodies are described by
//! catalogs only partly (MariaDB has no `VIEW_TABLE_USAGE`, no engine lists the tables a trigger
//! writes), so their definition text is handed to the DDL importer, which already reads them;
//! a definition it cannot read leaves `reads`/`writes` empty with a finding, never an error.
//!
//! Every connection is read-only (SQLite opens the file read-only, PostgreSQL and MySQL sessions
//! are put in read-only transaction mode): pointing the tool at production must be safe.

mod mysql;
mod postgres;
mod sqlite;

use std::collections::BTreeMap;

use crate::import::ddl::DdlImporter;
use crate::import::dialect::Engine;
use crate::import::error::ImportError;
use crate::inventory::model::{
    Finding, Index, Inventory, QualifiedName, ReferentialAction, Severity, Table, Trigger, View,
};

/// Reads the schema of a live database. `url` is a sqlx URL (`postgres://`, `mysql://`,
/// `sqlite://`); `schemas` limits the PostgreSQL schemas or MySQL databases read (empty means
/// every non-system PostgreSQL schema, or the MySQL database named in the URL — every
/// non-system database when the URL names none). SQLite has a single schema and ignores it.
///
/// # Errors
/// [`ImportError::Live`] naming the redacted URL and what was being read when the connection
/// or a catalog query fails.
pub async fn import_live(
    engine: Engine,
    url: &str,
    schemas: &[String],
) -> Result<Inventory, ImportError> {
    let mut catalog = Catalog::new(redact_url(url));
    match engine {
        Engine::Postgres => postgres::read(url, schemas, &mut catalog).await?,
        Engine::Mysql => mysql::read(url, schemas, &mut catalog).await?,
        Engine::Sqlite => sqlite::read(url, &mut catalog).await?,
    }
    Ok(catalog.finish())
}

/// A URL with any password replaced by `***`, for errors and logs.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let (scheme, rest) = url.split_at(scheme_end);
    // The user part ends at the last `@` before the query, so a password holding an unencoded
    // `@` or `/` is still hidden whole; at worst a path holding `:…@` is over-redacted.
    let before_query = rest.find(['?', '#']).unwrap_or(rest.len());
    let (userinfo, host_and_path) = match rest[..before_query].rfind('@') {
        Some(at) => rest.split_at(at),
        None => ("", rest),
    };
    let userinfo = match userinfo.find(':') {
        Some(colon) => format!("{}:***", &userinfo[..colon]),
        None => userinfo.to_owned(),
    };
    let path_start = host_and_path
        .find(['?', '#'])
        .unwrap_or(host_and_path.len());
    let (host_and_path, tail) = host_and_path.split_at(path_start);
    format!(
        "{scheme}{userinfo}{host_and_path}{}",
        redact_query_password(tail)
    )
}

/// sqlx also accepts the password as a `password=` query parameter.
fn redact_query_password(tail: &str) -> String {
    let Some(q) = tail.find('?') else {
        return tail.to_owned();
    };
    let (path, query) = tail.split_at(q + 1);
    let (query, fragment) = query.split_at(query.find('#').unwrap_or(query.len()));
    let params: Vec<String> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
            _ => p.to_owned(),
        })
        .collect();
    format!("{path}{}{fragment}", params.join("&"))
}

/// What the engine readers collect before it becomes an [`Inventory`].
struct Catalog {
    connection: String,
    schemas: Vec<String>,
    tables: BTreeMap<QualifiedName, Table>,
    views: Vec<View>,
    triggers: Vec<Trigger>,
    findings: Vec<Finding>,
}

impl Catalog {
    fn new(connection: String) -> Self {
        Self {
            connection,
            schemas: Vec::new(),
            tables: BTreeMap::new(),
            views: Vec::new(),
            triggers: Vec::new(),
            findings: Vec::new(),
        }
    }

    /// Maps a driver error to [`ImportError::Live`]; `Fn` so one closure serves a whole loop.
    fn error(&self, context: &'static str) -> impl Fn(sqlx::Error) -> ImportError {
        let connection = self.connection.clone();
        move |source| ImportError::Live {
            connection: connection.clone(),
            context,
            source,
        }
    }

    fn finding(&mut self, code: &str, severity: Severity, message: String) {
        self.findings.push(Finding {
            code: code.to_owned(),
            severity,
            source: self.connection.clone(),
            line: None,
            message,
        });
    }

    /// Warns about requested schemas the server does not have, since reading nothing from a
    /// misspelt schema would otherwise look like an empty one.
    fn check_requested(&mut self, requested: &[String], found: &[String]) {
        for schema in requested.iter().filter(|s| !found.contains(s)) {
            self.finding(
                "unknown-schema",
                Severity::Warning,
                format!("schema {schema} was requested but does not exist on the server"),
            );
        }
    }

    /// Adds one index. The primary key's own index only sets the key; every other index is
    /// listed, and a unique one is also a unique key, as in the DDL importer.
    fn add_index(
        &mut self,
        table: &QualifiedName,
        name: String,
        columns: Vec<String>,
        unique: bool,
        primary: bool,
    ) {
        let Some(t) = self.tables.get_mut(table) else {
            return;
        };
        if primary {
            t.primary_key = columns;
            return;
        }
        if unique && !columns.is_empty() {
            t.unique_keys.push(columns.clone());
        }
        t.indexes.push(Index {
            name,
            columns,
            unique,
        });
    }

    /// Records a view whose reads come from parsing its definition.
    fn parsed_view(&mut self, name: QualifiedName, script: &str, engine: Engine) {
        let parsed = parse_definitions(engine, script);
        let reads = match parsed.views.into_iter().next() {
            Some(view) => view.reads,
            None => {
                self.finding(
                    "unread-definition",
                    Severity::Notice,
                    format!("the definition of view {name} could not be read; the tables it reads are unknown"),
                );
                Vec::new()
            }
        };
        self.views.push(View { name, reads });
    }

    /// Records a trigger whose writes come from parsing its definition (and, for PostgreSQL, its
    /// function's); name and table come from the catalog, so an unreadable body loses only writes.
    fn parsed_trigger(
        &mut self,
        name: QualifiedName,
        table: QualifiedName,
        script: &str,
        engine: Engine,
    ) {
        let parsed = parse_definitions(engine, script);
        let writes = match parsed.triggers.into_iter().next() {
            Some(trigger) => trigger.writes,
            None => {
                self.finding(
                    "unread-definition",
                    Severity::Notice,
                    format!("the body of trigger {name} could not be read; the tables it writes are unknown"),
                );
                Vec::new()
            }
        };
        self.triggers.push(Trigger {
            name,
            table,
            writes,
        });
    }

    fn finish(self) -> Inventory {
        let mut tables: Vec<Table> = self.tables.into_values().collect();
        for table in &mut tables {
            let nullable: Vec<bool> = table
                .foreign_keys
                .iter()
                .map(|fk| crate::import::ddl::foreign_key_nullable(table, &fk.columns))
                .collect();
            for (fk, nullable) in table.foreign_keys.iter_mut().zip(nullable) {
                fk.nullable = nullable;
            }
        }
        let mut inventory = Inventory {
            schemas: self.schemas,
            tables,
            views: self.views,
            triggers: self.triggers,
            findings: self.findings,
            ..Inventory::default()
        };
        inventory.normalize();
        crate::inventory::resolve::report_dangling(&mut inventory);
        inventory
    }
}

/// Runs a reconstructed definition through the DDL importer; it only ever holds one view or
/// one trigger (plus its function), so the first of each is the one asked about.
fn parse_definitions(engine: Engine, script: &str) -> Inventory {
    let mut importer = DdlImporter::new(engine);
    match importer.add_script("catalog", script) {
        Ok(()) => importer.finish(),
        Err(_) => Inventory::default(),
    }
}

/// Maps the rule names MySQL's `REFERENTIAL_CONSTRAINTS` and SQLite's `foreign_key_list` report.
fn action_from_rule(rule: &str) -> ReferentialAction {
    match rule.to_ascii_uppercase().as_str() {
        "RESTRICT" => ReferentialAction::Restrict,
        "CASCADE" => ReferentialAction::Cascade,
        "SET NULL" => ReferentialAction::SetNull,
        "SET DEFAULT" => ReferentialAction::SetDefault,
        _ => ReferentialAction::NoAction,
    }
}
