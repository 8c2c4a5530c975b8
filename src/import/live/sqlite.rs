//! SQLite catalog reader (`sqlite_master` and the table-valued pragma functions).
//!
//! SQLite has one schema per file, so names carry no schema, as in the DDL importer.

use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Row};

use super::{action_from_rule, Catalog};
use crate::import::dialect::Engine;
use crate::import::error::ImportError;
use crate::inventory::model::{
    Column, ColumnDefault, ForeignKey, Index, QualifiedName, Severity, Table,
};

/// Reads the database file into `catalog`.
pub(super) async fn read(url: &str, catalog: &mut Catalog) -> Result<(), ImportError> {
    // Read-only also means a missing file is an error instead of a new empty database.
    let options = SqliteConnectOptions::from_str(url)
        .map_err(catalog.error("parsing the connection URL"))?
        .read_only(true);
    let mut conn = options
        .connect()
        .await
        .map_err(catalog.error("connecting"))?;

    let e = catalog.error("reading sqlite_master");
    let objects = sqlx::query(
        "SELECT type, name, tbl_name, sql FROM sqlite_master
         WHERE type IN ('table', 'view', 'trigger') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
         ORDER BY name",
    )
    .fetch_all(&mut conn)
    .await
    .map_err(&e)?;
    for object in objects {
        let kind: String = object.try_get("type").map_err(&e)?;
        let name: String = object.try_get("name").map_err(&e)?;
        let sql: Option<String> = object.try_get("sql").map_err(&e)?;
        let sql = sql.unwrap_or_default();
        match kind.as_str() {
            // The DDL importer ignores virtual tables too, and their pragmas fail without the
            // module that implements them.
            "table"
                if sql
                    .trim_start()
                    .to_ascii_uppercase()
                    .starts_with("CREATE VIRTUAL") =>
            {
                catalog.finding(
                    "skipped-virtual-table",
                    Severity::Notice,
                    format!("virtual table {name} skipped"),
                )
            }
            "table" => {
                let table = table(&mut conn, &name, catalog).await?;
                catalog.tables.insert(table.name.clone(), table);
            }
            "view" => catalog.parsed_view(
                QualifiedName::new(None, &name),
                &format!("{sql};\n"),
                Engine::Sqlite,
            ),
            _ => {
                let table: String = object.try_get("tbl_name").map_err(&e)?;
                catalog.parsed_trigger(
                    QualifiedName::new(None, &name),
                    QualifiedName::new(None, &table),
                    &format!("{sql};\n"),
                    Engine::Sqlite,
                );
            }
        }
    }
    Ok(())
}

async fn table(
    conn: &mut SqliteConnection,
    name: &str,
    catalog: &Catalog,
) -> Result<Table, ImportError> {
    let mut table = Table::new(QualifiedName::new(None, name));

    let e = catalog.error("reading columns");
    let mut key: Vec<(i64, String)> = Vec::new();
    let rows = sqlx::query(
        r#"SELECT name, type, "notnull", pk, dflt_value FROM pragma_table_info(?1) ORDER BY cid"#,
    )
    .bind(name)
    .fetch_all(&mut *conn)
    .await
    .map_err(&e)?;
    for row in rows {
        let column: String = row.try_get("name").map_err(&e)?;
        let not_null: i64 = row.try_get("notnull").map_err(&e)?;
        // `pk` is the column's 1-based position in the primary key, so key order survives.
        let pk: i64 = row.try_get("pk").map_err(&e)?;
        if pk > 0 {
            key.push((pk, column.clone()));
        }
        let default: Option<String> = row.try_get("dflt_value").map_err(&e)?;
        table.columns.push(Column {
            name: column,
            data_type: row.try_get("type").map_err(&e)?,
            nullable: not_null == 0,
            on_update: None,
            collation: None,
            default: default
                .filter(|d| !d.eq_ignore_ascii_case("NULL"))
                .map(ColumnDefault::Expression),
        });
    }
    key.sort();
    table.primary_key = key.into_iter().map(|(_, c)| c).collect();
    // `pragma_table_info` says notnull 0 for the rowid alias, which can never hold NULL; the DDL
    // import applies the same rule (a WITHOUT ROWID table's key is reported NOT NULL already).
    crate::import::ddl::primary_key_not_null(&mut table, Engine::Sqlite, false);

    let e = catalog.error("reading foreign keys");
    let rows = sqlx::query(
        r#"SELECT id, "table", "from", "to", on_update, on_delete
           FROM pragma_foreign_key_list(?1) ORDER BY id, seq"#,
    )
    .bind(name)
    .fetch_all(&mut *conn)
    .await
    .map_err(&e)?;
    let mut current: Option<(i64, ForeignKey)> = None;
    for row in rows {
        let id: i64 = row.try_get("id").map_err(&e)?;
        let from: String = row.try_get("from").map_err(&e)?;
        // `to` is NULL when the FK names only the table and so means its primary key; the DDL
        // importer then leaves the referenced columns empty too.
        let to: Option<String> = row.try_get("to").map_err(&e)?;
        if let Some((current_id, fk)) = &mut current {
            if *current_id == id {
                fk.columns.push(from);
                fk.referenced_columns.extend(to);
                continue;
            }
        }
        table.foreign_keys.extend(current.take().map(|(_, fk)| fk));
        let on_delete: String = row.try_get("on_delete").map_err(&e)?;
        let on_update: String = row.try_get("on_update").map_err(&e)?;
        let fk = ForeignKey {
            // SQLite keeps FK constraint names only in the CREATE TABLE text.
            name: None,
            columns: vec![from],
            references: QualifiedName::new(None, &row.try_get::<String, _>("table").map_err(&e)?),
            referenced_columns: to.into_iter().collect(),
            on_delete: action_from_rule(&on_delete),
            on_update: action_from_rule(&on_update),
            nullable: true,
        };
        current = Some((id, fk));
    }
    table.foreign_keys.extend(current.map(|(_, fk)| fk));

    let e = catalog.error("reading indexes");
    let indexes = sqlx::query(r#"SELECT name, "unique", origin FROM pragma_index_list(?1)"#)
        .bind(name)
        .fetch_all(&mut *conn)
        .await
        .map_err(&e)?;
    for index in indexes {
        let index_name: String = index.try_get("name").map_err(&e)?;
        let unique: i64 = index.try_get("unique").map_err(&e)?;
        let origin: String = index.try_get("origin").map_err(&e)?;
        if origin == "pk" {
            continue;
        }
        // A column of NULL name is an expression (or the rowid) in an index on expressions.
        let columns: Vec<Option<String>> =
            sqlx::query_scalar("SELECT name FROM pragma_index_info(?1) ORDER BY seqno")
                .bind(&index_name)
                .fetch_all(&mut *conn)
                .await
                .map_err(&e)?;
        let columns: Vec<String> = columns
            .into_iter()
            .map(|c| c.unwrap_or_else(|| "<expression>".to_owned()))
            .collect();
        if unique != 0 && !columns.is_empty() {
            table.unique_keys.push(columns.clone());
        }
        // A UNIQUE constraint's index is SQLite's own `sqlite_autoindex_…`, named by no DDL; it
        // counts as a unique key only, like an unnamed UNIQUE constraint in the DDL importer.
        if origin == "c" {
            table.indexes.push(Index {
                name: index_name,
                columns,
                unique: unique != 0,
            });
        }
    }

    let e = catalog.error("counting rows");
    let count: i64 = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM \"{}\"",
        name.replace('"', "\"\"")
    ))
    .fetch_one(&mut *conn)
    .await
    .map_err(&e)?;
    table.rows = u64::try_from(count).ok();
    Ok(table)
}
