//! Reads the [`Facts`] the upgrade checks judge from two PostgreSQL databases: the source (its
//! extensions, the collations its indexes use with the versions recorded for them, functions
//! without a pinned `search_path` used by expression indexes and materialized views, its server
//! parameters) and the target (what its server offers and the versions its libraries report).
//! Read-only on both.

use crate::data::Cell;
use crate::db::{Database, DbError};
use crate::import::Engine;

use super::{CollatedIndex, Collation, Facts, Setting};

/// Indexes of user schemas with a key under a collation, the collation's provider, locale and
/// the version recorded on the source. `default` stands for the database's collation, whose
/// locale column is `datlocale` from PostgreSQL 17 and `daticulocale` before (read through
/// `to_jsonb` so one query serves both).
const COLLATED_INDEXES: &str = "
WITH db AS (
    SELECT d.oid, d.datlocprovider::text AS provider,
           coalesce(to_jsonb(d)->>'datlocale', to_jsonb(d)->>'daticulocale', d.datcollate) AS locale,
           coalesce(d.datcollversion, pg_database_collation_actual_version(d.oid)) AS version
    FROM pg_database d WHERE d.datname = current_database()
)
SELECT n.nspname || '.' || ic.relname, tn.nspname || '.' || t.relname, c.collname,
       CASE WHEN c.collname = 'default' THEN db.provider ELSE c.collprovider::text END,
       CASE WHEN c.collname = 'default' THEN db.locale
            ELSE coalesce(to_jsonb(c)->>'colllocale', to_jsonb(c)->>'colliculocale', c.collcollate) END,
       CASE WHEN c.collname = 'default' THEN db.version
            ELSE coalesce(c.collversion, pg_collation_actual_version(c.oid)) END,
       greatest(t.reltuples, 0)::bigint::text
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = ic.relnamespace
JOIN pg_class t ON t.oid = i.indrelid
JOIN pg_namespace tn ON tn.oid = t.relnamespace
CROSS JOIN LATERAL (SELECT DISTINCT u.coll FROM unnest(i.indcollation::oid[]) AS u(coll) WHERE u.coll <> 0) k
JOIN pg_collation c ON c.oid = k.coll
CROSS JOIN db
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
  AND c.collname NOT IN ('C', 'POSIX')
ORDER BY 1, 3";

/// The target's version of each collation named in `$1` (a JSON array), `default` being the
/// database's.
const TARGET_COLLATIONS: &str = "
SELECT c.collname, c.collprovider::text,
       coalesce(to_jsonb(c)->>'colllocale', to_jsonb(c)->>'colliculocale', c.collcollate),
       pg_collation_actual_version(c.oid)
FROM pg_collation c
WHERE c.collname IN (SELECT json_array_elements_text($1::json)) AND c.collname <> 'default'
UNION ALL
SELECT 'default', d.datlocprovider::text,
       coalesce(to_jsonb(d)->>'datlocale', to_jsonb(d)->>'daticulocale', d.datcollate),
       pg_database_collation_actual_version(d.oid)
FROM pg_database d WHERE d.datname = current_database()";

/// Functions of user schemas used by an expression index or a materialized view (through its
/// rewrite rule) with no `search_path` in their `SET` clauses. SQL-standard bodies
/// (`prosqlbody`, bound at creation) are safe and left out.
const UNPINNED_FUNCTIONS: &str = "
SELECT DISTINCT pn.nspname || '.' || p.proname, un.nspname || '.' || u.relname
FROM pg_depend d
JOIN pg_proc p ON d.refclassid = 'pg_proc'::regclass AND p.oid = d.refobjid
JOIN pg_namespace pn ON pn.oid = p.pronamespace
LEFT JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid
JOIN pg_class u ON u.oid = CASE WHEN d.classid = 'pg_class'::regclass THEN d.objid ELSE r.ev_class END
JOIN pg_namespace un ON un.oid = u.relnamespace
WHERE pn.nspname NOT IN ('pg_catalog', 'information_schema')
  AND u.relkind IN ('i', 'I', 'm')
  AND to_jsonb(p)->>'prosqlbody' IS NULL
  AND NOT EXISTS (SELECT 1 FROM unnest(coalesce(p.proconfig, '{}')) AS s(kv) WHERE s.kv LIKE 'search_path=%')
ORDER BY 1, 2";

const EXTENSIONS: &str = "SELECT extname, extversion FROM pg_extension ORDER BY 1";
const AVAILABLE_EXTENSIONS: &str =
    "SELECT name, coalesce(default_version, '') FROM pg_available_extensions ORDER BY 1";
const SETTINGS: &str = "SELECT name, coalesce(boot_val, ''), source FROM pg_settings ORDER BY 1";

fn text(row: &[Option<String>], i: usize) -> String {
    row.get(i).cloned().flatten().unwrap_or_default()
}

fn provider(code: &str) -> String {
    match code {
        "i" => "icu",
        "c" => "libc",
        "b" => "builtin",
        "d" => "default",
        other => other,
    }
    .to_owned()
}

/// Reads what the checks need from `source` and `target`: both PostgreSQL, or both MariaDB
/// ([`super::mariadb::read`]); anything else gives empty facts.
///
/// # Errors
/// [`DbError::Query`] when a catalog cannot be read.
pub async fn read(source: &Database, target: &Database) -> Result<Facts, DbError> {
    match (source.engine, target.engine) {
        (Engine::Postgres, Engine::Postgres) => {}
        (Engine::Mysql, Engine::Mysql) => return super::mariadb::read(source, target).await,
        _ => return Ok(Facts::default()),
    }
    let mut facts = Facts {
        source_version: crate::db::server_version(source).await?,
        target_version: crate::db::server_version(target).await?,
        ..Facts::default()
    };
    let pairs = |rows: Vec<Vec<Option<String>>>| -> Vec<(String, String)> {
        rows.iter().map(|r| (text(r, 0), text(r, 1))).collect()
    };
    facts.source_extensions = pairs(
        source
            .fetch_texts(EXTENSIONS, &[], "reading the source's extensions")
            .await?,
    );
    facts.target_extensions = pairs(
        target
            .fetch_texts(
                AVAILABLE_EXTENSIONS,
                &[],
                "reading the target's available extensions",
            )
            .await?,
    );
    for row in source
        .fetch_texts(
            COLLATED_INDEXES,
            &[],
            "reading the collations of the source's indexes",
        )
        .await?
    {
        let collation = Collation {
            name: text(&row, 2),
            provider: provider(&text(&row, 3)),
            locale: text(&row, 4),
            version: row.get(5).cloned().flatten(),
        };
        facts.indexes.push(CollatedIndex {
            index: text(&row, 0),
            table: text(&row, 1),
            collation: collation.name.clone(),
            rows: text(&row, 6).parse().unwrap_or(0),
        });
        if !facts.source_collations.contains(&collation) {
            facts.source_collations.push(collation);
        }
    }
    if !facts.source_collations.is_empty() {
        let names: Vec<&str> = facts
            .source_collations
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        let names = serde_json::to_string(&names).unwrap_or_else(|_| "[]".into());
        for row in target
            .fetch_texts(
                TARGET_COLLATIONS,
                &[Cell::Text(names)],
                "reading the target's collation versions",
            )
            .await?
        {
            facts.target_collations.push(Collation {
                name: text(&row, 0),
                provider: provider(&text(&row, 1)),
                locale: text(&row, 2),
                version: row.get(3).cloned().flatten(),
            });
        }
    }
    facts.unpinned_functions = pairs(
        source
            .fetch_texts(
                UNPINNED_FUNCTIONS,
                &[],
                "reading the functions of the source's expression indexes and materialized views",
            )
            .await?,
    );
    let settings = |rows: Vec<Vec<Option<String>>>| -> Vec<Setting> {
        rows.iter()
            .map(|r| Setting {
                name: text(r, 0),
                default: text(r, 1),
                source: text(r, 2),
            })
            .collect()
    };
    facts.source_settings = settings(
        source
            .fetch_texts(SETTINGS, &[], "reading the source's parameters")
            .await?,
    );
    facts.target_settings = settings(
        target
            .fetch_texts(SETTINGS, &[], "reading the target's parameters")
            .await?,
    );
    Ok(facts)
}

/// `facts` with the exact row counts (`count(*)` on the source) of the tables whose indexes a
/// collation finding (`U003`) names, for the rebuild's estimate: `reltuples` is 0 until the
/// source is analyzed.
///
/// # Errors
/// [`DbError::Query`].
pub async fn count_rows(
    source: &Database,
    mut facts: Facts,
    findings: &[super::UpgradeFinding],
) -> Result<Facts, DbError> {
    let named = |index: &str| {
        findings.iter().any(|f| {
            f.code == super::U003_COLLATION_VERSION && f.objects.iter().any(|o| o == index)
        })
    };
    let mut counted: Vec<(String, u64)> = Vec::new();
    for i in 0..facts.indexes.len() {
        if !named(&facts.indexes[i].index) {
            continue;
        }
        let table = facts.indexes[i].table.clone();
        let rows = match counted.iter().find(|(t, _)| *t == table) {
            Some((_, n)) => *n,
            None => {
                let quoted = match table.split_once('.') {
                    Some((schema, name)) => format!(
                        "{}.{}",
                        crate::db::quote::ident(Engine::Postgres, schema),
                        crate::db::quote::ident(Engine::Postgres, name)
                    ),
                    None => crate::db::quote::ident(Engine::Postgres, &table),
                };
                let n = source
                    .fetch_i64(
                        &format!("SELECT count(*) FROM {quoted}"),
                        &[],
                        "counting the rows under a collation finding",
                    )
                    .await?
                    .unwrap_or(0);
                let n = u64::try_from(n).unwrap_or(0);
                counted.push((table, n));
                n
            }
        };
        facts.indexes[i].rows = rows;
    }
    Ok(facts)
}
