//! PostgreSQL catalog reader (`pg_catalog`, PostgreSQL 11 or later).
//!
//! `pg_catalog` rather than `information_schema`: the latter hides objects the user does not
//! own, reports no partitioning and gives unique indexes that are not constraints no place.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgConnection, PgRow};
use sqlx::{ConnectOptions, Row};

use super::Catalog;
use crate::import::dialect::Engine;
use crate::import::error::ImportError;
use crate::inventory::model::{
    Column, ColumnDefault, ForeignKey, Partitioning, QualifiedName, ReferentialAction, Table, View,
};

const SCHEMAS: &str = "
SELECT nspname::text AS schema FROM pg_namespace
WHERE CASE WHEN cardinality($1::text[]) = 0
           THEN nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'
           ELSE nspname = ANY($1) END
ORDER BY 1";

const TABLES: &str = "
SELECT n.nspname::text AS schema, c.relname::text AS name,
       c.reltuples::float8 AS reltuples, pg_total_relation_size(c.oid) AS bytes,
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partition_key
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY($1)";

const COLUMNS: &str = "
SELECT n.nspname::text AS schema, c.relname::text AS table_name, a.attname::text AS name,
       format_type(a.atttypid, a.atttypmod) AS data_type, a.attnotnull AS not_null,
       a.attidentity <> '' AS is_identity,
       CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END AS column_default,
       (SELECT co.collname::text FROM pg_collation co
        WHERE co.oid = a.attcollation AND a.attcollation <> 0
          AND a.attcollation <> (SELECT t.typcollation FROM pg_type t WHERE t.oid = a.atttypid))
         AS collation
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY 1, 2, a.attnum";

// Index columns in key order, INCLUDE columns left out; an expression column (attnum 0) is given
// as its text. The partition's copy of a parent index is kept: the partition is a real table.
const INDEXES: &str = "
SELECT n.nspname::text AS schema, c.relname::text AS table_name, ic.relname::text AS name,
       i.indisunique AS is_unique, i.indisprimary AS is_primary,
       ARRAY(SELECT CASE WHEN k.attnum <> 0 THEN a.attname::text
                         ELSE pg_get_indexdef(i.indexrelid, k.ord::int, true) END
             FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
             LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
             WHERE k.ord <= i.indnkeyatts ORDER BY k.ord) AS columns
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY($1)";

// `conparentid <> 0` marks copies PostgreSQL makes of a parent's FK, on each partition and
// towards each partition of a referenced partitioned table; the parent's FK stands for them.
const FOREIGN_KEYS: &str = "
SELECT n.nspname::text AS schema, c.relname::text AS table_name, k.conname::text AS name,
       ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY AS u(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum
             ORDER BY u.ord) AS columns,
       rn.nspname::text AS ref_schema, r.relname::text AS ref_table,
       ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY AS u(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.attnum
             ORDER BY u.ord) AS ref_columns,
       k.confdeltype::text AS on_delete, k.confupdtype::text AS on_update
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_class r ON r.oid = k.confrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace
WHERE k.contype = 'f' AND k.conparentid = 0 AND n.nspname = ANY($1)";

const PARTITIONS: &str = "
SELECT cn.nspname::text AS schema, c.relname::text AS name,
       pn.nspname::text AS parent_schema, p.relname::text AS parent_name
FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace
JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace
WHERE c.relispartition AND c.relkind IN ('r', 'p')
  AND (cn.nspname = ANY($1) OR pn.nspname = ANY($1))";

const VIEWS: &str = "
SELECT n.nspname::text AS schema, c.relname::text AS name
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('v', 'm') AND n.nspname = ANY($1)";

// A view's query is stored as a rewrite rule; the rule depends on every relation it reads.
const VIEW_READS: &str = "
SELECT DISTINCT vn.nspname::text AS schema, v.relname::text AS name,
       rn.nspname::text AS ref_schema, r.relname::text AS ref_name
FROM pg_rewrite w
JOIN pg_class v ON v.oid = w.ev_class JOIN pg_namespace vn ON vn.oid = v.relnamespace
JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = w.oid
                AND d.refclassid = 'pg_class'::regclass
JOIN pg_class r ON r.oid = d.refobjid JOIN pg_namespace rn ON rn.oid = r.relnamespace
WHERE v.relkind IN ('v', 'm') AND vn.nspname = ANY($1) AND r.oid <> v.oid
  AND r.relkind IN ('r', 'p', 'v', 'm', 'f')";

const TRIGGERS: &str = "
SELECT n.nspname::text AS schema, c.relname::text AS table_name, t.tgname::text AS name,
       pg_get_triggerdef(t.oid) AS definition, pg_get_functiondef(t.tgfoid) AS function
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT t.tgisinternal AND n.nspname = ANY($1)";

/// Reads `requested` schemas (all non-system ones when empty) into `catalog`.
pub(super) async fn read(
    url: &str,
    requested: &[String],
    catalog: &mut Catalog,
) -> Result<(), ImportError> {
    let options = PgConnectOptions::from_str(url)
        .map_err(catalog.error("parsing the connection URL"))?
        .options([("default_transaction_read_only", "on")]);
    let mut conn = options
        .connect()
        .await
        .map_err(catalog.error("connecting"))?;

    let e = catalog.error("reading schemas");
    let rows = sqlx::query(SCHEMAS)
        .bind(requested)
        .fetch_all(&mut conn)
        .await
        .map_err(&e)?;
    let schemas = rows
        .iter()
        .map(|r| r.try_get::<String, _>("schema"))
        .collect::<Result<Vec<_>, _>>()
        .map_err(&e)?;
    catalog.check_requested(requested, &schemas);
    catalog.schemas.clone_from(&schemas);

    tables(&mut conn, &schemas, catalog).await?;
    columns(&mut conn, &schemas, catalog).await?;
    indexes(&mut conn, &schemas, catalog).await?;
    foreign_keys(&mut conn, &schemas, catalog).await?;
    partitions(&mut conn, &schemas, catalog).await?;
    views(&mut conn, &schemas, catalog).await?;
    triggers(&mut conn, &schemas, catalog).await
}

fn name(row: &PgRow, schema: &str, name: &str) -> Result<QualifiedName, sqlx::Error> {
    Ok(QualifiedName {
        schema: Some(row.try_get(schema)?),
        name: row.try_get(name)?,
    })
}

async fn tables(
    conn: &mut PgConnection,
    schemas: &[String],
    catalog: &mut Catalog,
) -> Result<(), ImportError> {
    let e = catalog.error("reading tables");
    for row in sqlx::query(TABLES)
        .bind(schemas)
        .fetch_all(&mut *conn)
        .await
        .map_err(&e)?
    {
        let mut table = Table::new(name(&row, "schema", "name").map_err(&e)?);
        // -1 means never analysed (PostgreSQL 14+): unknown, not empty.
        let reltuples: f64 = row.try_get("reltuples").map_err(&e)?;
        table.rows = (reltuples >= 0.0).then_some(reltuples as u64);
        let bytes: i64 = row.try_get("bytes").map_err(&e)?;
        table.bytes = u64::try_from(bytes).ok();
        let partition_key: Option<String> = row.try_get("partition_key").map_err(&e)?;
        table.partitioning = partition_key.map(|strategy| Partitioning {
            strategy,
            partitions: Vec::new(),
        });
        catalog.tables.insert(table.name.clone(), table);
    }
    Ok(())
}

async fn columns(
    conn: &mut PgConnection,
    schemas: &[String],
    catalog: &mut Catalog,
) -> Result<(), ImportError> {
    let e = catalog.error("reading columns");
    for row in sqlx::query(COLUMNS)
        .bind(schemas)
        .fetch_all(&mut *conn)
        .await
        .map_err(&e)?
    {
        let table = name(&row, "schema", "table_name").map_err(&e)?;
        let default: Option<String> = row.try_get("column_default").map_err(&e)?;
        let column = Column {
            name: row.try_get("name").map_err(&e)?,
            data_type: row.try_get("data_type").map_err(&e)?,
            nullable: !row.try_get::<bool, _>("not_null").map_err(&e)?,
            on_update: None,
            collation: row.try_get("collation").map_err(&e)?,
            default: if row.try_get::<bool, _>("is_identity").map_err(&e)? {
                Some(ColumnDefault::Identity)
            } else {
                default.map(crate::import::ddl::postgres_default)
            },
        };
        if let Some(t) = catalog.tables.get_mut(&table) {
            t.columns.push(column);
        }
    }
    Ok(())
}

async fn indexes(
    conn: &mut PgConnection,
    schemas: &[String],
    catalog: &mut Catalog,
) -> Result<(), ImportError> {
    let e = catalog.error("reading indexes");
    for row in sqlx::query(INDEXES)
        .bind(schemas)
        .fetch_all(&mut *conn)
        .await
        .map_err(&e)?
    {
        let table = name(&row, "schema", "table_name").map_err(&e)?;
        catalog.add_index(
            &table,
            row.try_get("name").map_err(&e)?,
            row.try_get("columns").map_err(&e)?,
            row.try_get("is_unique").map_err(&e)?,
            row.try_get("is_primary").map_err(&e)?,
        );
    }
    Ok(())
}

async fn foreign_keys(
    conn: &mut PgConnection,
    schemas: &[String],
    catalog: &mut Catalog,
) -> Result<(), ImportError> {
    let e = catalog.error("reading foreign keys");
    for row in sqlx::query(FOREIGN_KEYS)
        .bind(schemas)
        .fetch_all(&mut *conn)
        .await
        .map_err(&e)?
    {
        let table = name(&row, "schema", "table_name").map_err(&e)?;
        let on_delete: String = row.try_get("on_delete").map_err(&e)?;
        let on_update: String = row.try_get("on_update").map_err(&e)?;
        let fk = ForeignKey {
            name: Some(row.try_get("name").map_err(&e)?),
            columns: row.try_get("columns").map_err(&e)?,
            references: name(&row, "ref_schema", "ref_table").map_err(&e)?,
            referenced_columns: row.try_get("ref_columns").map_err(&e)?,
            on_delete: action(&on_delete),
            on_update: action(&on_update),
            nullable: true,
        };
        if let Some(t) = catalog.tables.get_mut(&table) {
            t.foreign_keys.push(fk);
        }
    }
    Ok(())
}

/// `pg_constraint.confdeltype` / `confupdtype` codes.
fn action(code: &str) -> ReferentialAction {
    match code {
        "r" => ReferentialAction::Restrict,
        "c" => ReferentialAction::Cascade,
        "n" => ReferentialAction::SetNull,
        "d" => ReferentialAction::SetDefault,
        _ => ReferentialAction::NoAction,
    }
}

async fn partitions(
    conn: &mut PgConnection,
    schemas: &[String],
    catalog: &mut Catalog,
) -> Result<(), ImportError> {
    let e = catalog.error("reading partitions");
    for row in sqlx::query(PARTITIONS)
        .bind(schemas)
        .fetch_all(&mut *conn)
        .await
        .map_err(&e)?
    {
        let child = name(&row, "schema", "name").map_err(&e)?;
        let parent = name(&row, "parent_schema", "parent_name").map_err(&e)?;
        if let Some(t) = catalog.tables.get_mut(&child) {
            t.partition_of = Some(parent.clone());
        }
        if let Some(p) = catalog
            .tables
            .get_mut(&parent)
            .and_then(|t| t.partitioning.as_mut())
        {
            p.partitions.push(child);
        }
    }
    Ok(())
}

async fn views(
    conn: &mut PgConnection,
    schemas: &[String],
    catalog: &mut Catalog,
) -> Result<(), ImportError> {
    let e = catalog.error("reading views");
    let mut views = std::collections::BTreeMap::new();
    for row in sqlx::query(VIEWS)
        .bind(schemas)
        .fetch_all(&mut *conn)
        .await
        .map_err(&e)?
    {
        views.insert(name(&row, "schema", "name").map_err(&e)?, Vec::new());
    }
    for row in sqlx::query(VIEW_READS)
        .bind(schemas)
        .fetch_all(&mut *conn)
        .await
        .map_err(&e)?
    {
        let view = name(&row, "schema", "name").map_err(&e)?;
        let read = name(&row, "ref_schema", "ref_name").map_err(&e)?;
        views.entry(view).or_default().push(read);
    }
    catalog
        .views
        .extend(views.into_iter().map(|(name, reads)| View { name, reads }));
    Ok(())
}

async fn triggers(
    conn: &mut PgConnection,
    schemas: &[String],
    catalog: &mut Catalog,
) -> Result<(), ImportError> {
    let e = catalog.error("reading triggers");
    let version: String = sqlx::query_scalar("SHOW server_version_num")
        .fetch_one(&mut *conn)
        .await
        .map_err(&e)?;
    let mut sql = TRIGGERS.to_owned();
    // From PostgreSQL 13 a partition's copy of its parent's trigger is a visible trigger of its
    // own, marked by `tgparentid`; the parent's trigger stands for it.
    if version.parse::<u32>().is_ok_and(|v| v >= 130_000) {
        sql.push_str(" AND t.tgparentid = 0");
    }
    for row in sqlx::query(&sql)
        .bind(schemas)
        .fetch_all(&mut *conn)
        .await
        .map_err(&e)?
    {
        let table = name(&row, "schema", "table_name").map_err(&e)?;
        let trigger = QualifiedName {
            schema: table.schema.clone(),
            name: row.try_get("name").map_err(&e)?,
        };
        let definition: String = row.try_get("definition").map_err(&e)?;
        let function: String = row.try_get("function").map_err(&e)?;
        // The function comes first so the importer knows what the trigger's EXECUTE calls.
        let script = format!("{function};\n{definition};\n");
        catalog.parsed_trigger(trigger, table, &script, Engine::Postgres);
    }
    Ok(())
}
