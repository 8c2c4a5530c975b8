//! MySQL and MariaDB catalog reader (`information_schema`).
//!
//! Every text column is `CAST(… AS CHAR)` and every number `CAST(… AS SIGNED)`: MariaDB reports
//! some `information_schema` columns as BLOB/VARBINARY and sizes as unsigned, which the driver
//! would otherwise refuse to decode as `String`/`i64`.

use std::str::FromStr;

use sqlx::mysql::{MySqlConnectOptions, MySqlConnection, MySqlRow};
use sqlx::{ConnectOptions, Row};

use super::{action_from_rule, Catalog};
use crate::import::dialect::Engine;
use crate::import::error::ImportError;
use crate::inventory::model::{Column, ColumnDefault, ForeignKey, QualifiedName, Table};

/// Databases that hold the server's own catalog, never an application's tables.
const SYSTEM_DATABASES: &str = "('mysql', 'information_schema', 'performance_schema', 'sys')";

/// Reads the `requested` databases (the URL's database, or every non-system one when the URL
/// names none, when empty) into `catalog`.
pub(super) async fn read(
    url: &str,
    requested: &[String],
    catalog: &mut Catalog,
) -> Result<(), ImportError> {
    let options =
        MySqlConnectOptions::from_str(url).map_err(catalog.error("parsing the connection URL"))?;
    let mut conn = options
        .connect()
        .await
        .map_err(catalog.error("connecting"))?;
    sqlx::query("SET SESSION TRANSACTION READ ONLY")
        .execute(&mut conn)
        .await
        .map_err(catalog.error("making the session read-only"))?;

    let schemas = databases(&mut conn, requested, catalog).await?;
    catalog.check_requested(requested, &schemas);
    catalog.schemas.clone_from(&schemas);
    if schemas.is_empty() {
        return Ok(());
    }
    let mut reader = Reader {
        conn: &mut conn,
        schemas: &schemas,
    };
    reader.tables(catalog).await?;
    reader.columns(catalog).await?;
    reader.indexes(catalog).await?;
    reader.foreign_keys(catalog).await?;
    reader.views(catalog).await?;
    reader.triggers(catalog).await
}

async fn databases(
    conn: &mut MySqlConnection,
    requested: &[String],
    catalog: &Catalog,
) -> Result<Vec<String>, ImportError> {
    let e = catalog.error("reading databases");
    let rows = if requested.is_empty() {
        let current: Option<String> = sqlx::query_scalar("SELECT CAST(DATABASE() AS CHAR)")
            .fetch_one(&mut *conn)
            .await
            .map_err(&e)?;
        if let Some(current) = current {
            return Ok(vec![current]);
        }
        let sql = format!(
            "SELECT CAST(SCHEMA_NAME AS CHAR) AS name FROM information_schema.SCHEMATA \
             WHERE SCHEMA_NAME NOT IN {SYSTEM_DATABASES} ORDER BY 1"
        );
        sqlx::query(&sql).fetch_all(&mut *conn).await.map_err(&e)?
    } else {
        let sql = format!(
            "SELECT CAST(SCHEMA_NAME AS CHAR) AS name FROM information_schema.SCHEMATA \
             WHERE SCHEMA_NAME IN ({}) ORDER BY 1",
            placeholders(requested.len())
        );
        let mut query = sqlx::query(&sql);
        for schema in requested {
            query = query.bind(schema);
        }
        query.fetch_all(&mut *conn).await.map_err(&e)?
    };
    rows.iter()
        .map(|r| r.try_get::<String, _>("name"))
        .collect::<Result<_, _>>()
        .map_err(&e)
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// Reads one kind of object at a time from the chosen databases.
struct Reader<'a> {
    conn: &'a mut MySqlConnection,
    schemas: &'a [String],
}

impl Reader<'_> {
    /// Runs `sql`, whose `{in}` is replaced by the placeholder list for the databases.
    async fn fetch(&mut self, sql: &str) -> Result<Vec<MySqlRow>, sqlx::Error> {
        let sql = sql.replace("{in}", &placeholders(self.schemas.len()));
        let mut query = sqlx::query(&sql);
        for schema in self.schemas {
            query = query.bind(schema);
        }
        query.fetch_all(&mut *self.conn).await
    }

    async fn tables(&mut self, catalog: &mut Catalog) -> Result<(), ImportError> {
        let e = catalog.error("reading tables");
        // MariaDB lists system-versioned tables under their own TABLE_TYPE.
        let rows = self
            .fetch(
                "SELECT CAST(TABLE_SCHEMA AS CHAR) AS db, CAST(TABLE_NAME AS CHAR) AS name,
                        CAST(TABLE_ROWS AS SIGNED) AS row_count,
                        CAST(DATA_LENGTH + INDEX_LENGTH AS SIGNED) AS bytes,
                        CAST(ENGINE AS CHAR) AS storage_engine
                 FROM information_schema.TABLES
                 WHERE TABLE_SCHEMA IN ({in}) AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')",
            )
            .await
            .map_err(&e)?;
        for row in rows {
            let mut table = Table::new(name(&row, "db", "name").map_err(&e)?);
            let rows: Option<i64> = row.try_get("row_count").map_err(&e)?;
            let bytes: Option<i64> = row.try_get("bytes").map_err(&e)?;
            table.rows = rows.and_then(|n| u64::try_from(n).ok());
            table.bytes = bytes.and_then(|n| u64::try_from(n).ok());
            table.storage_engine = row.try_get("storage_engine").map_err(&e)?;
            catalog.tables.insert(table.name.clone(), table);
        }
        Ok(())
    }

    async fn columns(&mut self, catalog: &mut Catalog) -> Result<(), ImportError> {
        let e = catalog.error("reading columns");
        let rows = self
            .fetch(
                "SELECT CAST(TABLE_SCHEMA AS CHAR) AS db, CAST(TABLE_NAME AS CHAR) AS table_name,
                        CAST(COLUMN_NAME AS CHAR) AS name, CAST(COLUMN_TYPE AS CHAR) AS data_type,
                        CAST(IS_NULLABLE AS CHAR) AS nullable, CAST(EXTRA AS CHAR) AS extra,
                        CAST(COLUMN_DEFAULT AS CHAR) AS column_default,
                        CAST(COLLATION_NAME AS CHAR) AS collation
                 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA IN ({in})
                 ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION",
            )
            .await
            .map_err(&e)?;
        for row in rows {
            let table = name(&row, "db", "table_name").map_err(&e)?;
            let nullable: String = row.try_get("nullable").map_err(&e)?;
            let extra: Option<String> = row.try_get("extra").map_err(&e)?;
            let default: Option<String> = row.try_get("column_default").map_err(&e)?;
            let column = Column {
                name: row.try_get("name").map_err(&e)?,
                data_type: row.try_get("data_type").map_err(&e)?,
                nullable: nullable == "YES",
                on_update: extra.as_deref().and_then(mysql_on_update),
                collation: row.try_get("collation").map_err(&e)?,
                default: mysql_default(extra.as_deref(), default),
            };
            if let Some(t) = catalog.tables.get_mut(&table) {
                t.columns.push(column);
            }
        }
        Ok(())
    }

    async fn indexes(&mut self, catalog: &mut Catalog) -> Result<(), ImportError> {
        let e = catalog.error("reading indexes");
        // COLUMN_NAME is NULL for a functional key part (MySQL 8); MariaDB has no EXPRESSION
        // column to ask instead, so such a part is only marked as an expression.
        let rows = self
            .fetch(
                "SELECT CAST(TABLE_SCHEMA AS CHAR) AS db, CAST(TABLE_NAME AS CHAR) AS table_name,
                        CAST(INDEX_NAME AS CHAR) AS name, CAST(NON_UNIQUE AS SIGNED) AS non_unique,
                        CAST(COLUMN_NAME AS CHAR) AS column_name
                 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA IN ({in})
                 ORDER BY TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
            )
            .await
            .map_err(&e)?;
        let mut current: Option<(QualifiedName, String, bool, Vec<String>)> = None;
        for row in rows {
            let table = name(&row, "db", "table_name").map_err(&e)?;
            let index: String = row.try_get("name").map_err(&e)?;
            let non_unique: i64 = row.try_get("non_unique").map_err(&e)?;
            let column: Option<String> = row.try_get("column_name").map_err(&e)?;
            let column = column.unwrap_or_else(|| "<expression>".to_owned());
            match &mut current {
                Some((t, i, _, columns)) if *t == table && *i == index => columns.push(column),
                _ => {
                    if let Some((t, i, unique, columns)) = current.take() {
                        add_index(catalog, &t, i, columns, unique);
                    }
                    current = Some((table, index, non_unique == 0, vec![column]));
                }
            }
        }
        if let Some((t, i, unique, columns)) = current {
            add_index(catalog, &t, i, columns, unique);
        }
        Ok(())
    }

    async fn foreign_keys(&mut self, catalog: &mut Catalog) -> Result<(), ImportError> {
        let e = catalog.error("reading foreign keys");
        let rows = self
            .fetch(
                "SELECT CAST(k.TABLE_SCHEMA AS CHAR) AS db, CAST(k.TABLE_NAME AS CHAR) AS table_name,
                        CAST(k.CONSTRAINT_NAME AS CHAR) AS name, CAST(k.COLUMN_NAME AS CHAR) AS column_name,
                        CAST(k.REFERENCED_TABLE_SCHEMA AS CHAR) AS ref_db,
                        CAST(k.REFERENCED_TABLE_NAME AS CHAR) AS ref_table,
                        CAST(k.REFERENCED_COLUMN_NAME AS CHAR) AS ref_column,
                        CAST(r.DELETE_RULE AS CHAR) AS on_delete, CAST(r.UPDATE_RULE AS CHAR) AS on_update
                 FROM information_schema.KEY_COLUMN_USAGE k
                 JOIN information_schema.REFERENTIAL_CONSTRAINTS r
                   ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
                  AND r.TABLE_NAME = k.TABLE_NAME
                 WHERE k.TABLE_SCHEMA IN ({in}) AND k.REFERENCED_TABLE_NAME IS NOT NULL
                 ORDER BY k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
            )
            .await
            .map_err(&e)?;
        let mut current: Option<(QualifiedName, ForeignKey)> = None;
        for row in rows {
            let table = name(&row, "db", "table_name").map_err(&e)?;
            let constraint: String = row.try_get("name").map_err(&e)?;
            let column: String = row.try_get("column_name").map_err(&e)?;
            let ref_column: String = row.try_get("ref_column").map_err(&e)?;
            if let Some((t, fk)) = &mut current {
                if *t == table && fk.name.as_deref() == Some(constraint.as_str()) {
                    fk.columns.push(column);
                    fk.referenced_columns.push(ref_column);
                    continue;
                }
            }
            if let Some((t, fk)) = current.take() {
                push_fk(catalog, &t, fk);
            }
            let on_delete: String = row.try_get("on_delete").map_err(&e)?;
            let on_update: String = row.try_get("on_update").map_err(&e)?;
            let fk = ForeignKey {
                name: Some(constraint),
                columns: vec![column],
                references: name(&row, "ref_db", "ref_table").map_err(&e)?,
                referenced_columns: vec![ref_column],
                on_delete: action_from_rule(&on_delete),
                on_update: action_from_rule(&on_update),
                nullable: true,
            };
            current = Some((table, fk));
        }
        if let Some((t, fk)) = current {
            push_fk(catalog, &t, fk);
        }
        Ok(())
    }

    /// Reads are parsed from `VIEW_DEFINITION` rather than taken from `VIEW_TABLE_USAGE`, which
    /// only MySQL 8.0.13+ has, so MySQL and MariaDB are read the same way.
    async fn views(&mut self, catalog: &mut Catalog) -> Result<(), ImportError> {
        let e = catalog.error("reading views");
        let rows = self
            .fetch(
                "SELECT CAST(TABLE_SCHEMA AS CHAR) AS db, CAST(TABLE_NAME AS CHAR) AS name,
                        CAST(VIEW_DEFINITION AS CHAR) AS definition
                 FROM information_schema.VIEWS WHERE TABLE_SCHEMA IN ({in})",
            )
            .await
            .map_err(&e)?;
        for row in rows {
            let view = name(&row, "db", "name").map_err(&e)?;
            let definition: Option<String> = row.try_get("definition").map_err(&e)?;
            let schema = view.schema.as_deref().unwrap_or_default();
            let script = format!(
                "USE {};\nCREATE VIEW {}.{} AS {};\n",
                quote(schema),
                quote(schema),
                quote(&view.name),
                definition.as_deref().unwrap_or_default()
            );
            catalog.parsed_view(view, &script, Engine::Mysql);
        }
        Ok(())
    }

    async fn triggers(&mut self, catalog: &mut Catalog) -> Result<(), ImportError> {
        let e = catalog.error("reading triggers");
        let rows = self
            .fetch(
                "SELECT CAST(TRIGGER_SCHEMA AS CHAR) AS db, CAST(TRIGGER_NAME AS CHAR) AS name,
                        CAST(EVENT_OBJECT_SCHEMA AS CHAR) AS table_db,
                        CAST(EVENT_OBJECT_TABLE AS CHAR) AS table_name,
                        CAST(ACTION_TIMING AS CHAR) AS timing, CAST(EVENT_MANIPULATION AS CHAR) AS event,
                        CAST(ACTION_STATEMENT AS CHAR) AS body
                 FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA IN ({in})",
            )
            .await
            .map_err(&e)?;
        for row in rows {
            let trigger = name(&row, "db", "name").map_err(&e)?;
            let table = name(&row, "table_db", "table_name").map_err(&e)?;
            let timing: String = row.try_get("timing").map_err(&e)?;
            let event: String = row.try_get("event").map_err(&e)?;
            let body: String = row.try_get("body").map_err(&e)?;
            let schema = table.schema.as_deref().unwrap_or_default();
            // The catalog splits the statement up; it is put back together as mysqldump writes
            // it, with a DELIMITER so the body's own semicolons do not end it.
            let script = format!(
                "USE {};\nDELIMITER ;;\nCREATE TRIGGER {} {timing} {event} ON {}.{} FOR EACH ROW {body};;\nDELIMITER ;\n",
                quote(schema),
                quote(&trigger.name),
                quote(schema),
                quote(&table.name),
            );
            catalog.parsed_trigger(trigger, table, &script, Engine::Mysql);
        }
        Ok(())
    }
}

fn name(row: &MySqlRow, schema: &str, name: &str) -> Result<QualifiedName, sqlx::Error> {
    Ok(QualifiedName {
        schema: Some(row.try_get(schema)?),
        name: row.try_get(name)?,
    })
}

fn add_index(
    catalog: &mut Catalog,
    table: &QualifiedName,
    name: String,
    columns: Vec<String>,
    unique: bool,
) {
    let primary = name == "PRIMARY";
    catalog.add_index(table, name, columns, unique, primary);
}

fn push_fk(catalog: &mut Catalog, table: &QualifiedName, fk: ForeignKey) {
    if let Some(t) = catalog.tables.get_mut(table) {
        t.foreign_keys.push(fk);
    }
}

fn quote(ident: &str) -> String {
    format!("`{}`", ident.replace('`', "``"))
}

/// The column's default from `information_schema.COLUMNS`: `EXTRA` says `auto_increment`;
/// MariaDB (10.2.7+) writes `COLUMN_DEFAULT` as an SQL expression (`'G'`, `current_timestamp()`,
/// `NULL` for none), MySQL as the bare value (`G`, `CURRENT_TIMESTAMP`), which is quoted here
/// unless it is a number or a function.
fn mysql_default(extra: Option<&str>, default: Option<String>) -> Option<ColumnDefault> {
    if extra.is_some_and(|e| e.to_ascii_lowercase().contains("auto_increment")) {
        return Some(ColumnDefault::Identity);
    }
    let text = default?;
    if text.eq_ignore_ascii_case("NULL") {
        return None;
    }
    let sql_already = text.starts_with('\'')
        || text.parse::<f64>().is_ok()
        || text.ends_with(')')
        || text.eq_ignore_ascii_case("CURRENT_TIMESTAMP");
    Some(ColumnDefault::Expression(if sql_already {
        text
    } else {
        format!("'{}'", text.replace('\'', "''"))
    }))
}

/// The `ON UPDATE` expression `EXTRA` names (`on update current_timestamp()` on MariaDB,
/// `DEFAULT_GENERATED on update CURRENT_TIMESTAMP` on MySQL 8).
fn mysql_on_update(extra: &str) -> Option<String> {
    let at = extra.to_ascii_lowercase().find("on update ")?;
    Some(extra[at + "on update ".len()..].trim().to_owned())
}
