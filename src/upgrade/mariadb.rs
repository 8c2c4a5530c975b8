//! Reads the [`Facts`] of two MariaDB databases, as [`super::catalog`] does for PostgreSQL:
//! the server parameters with their compiled-in defaults (`information_schema.SYSTEM_VARIABLES`,
//! whose `DEFAULT_VALUE` MariaDB fills; MySQL has no such table, and gets no facts), the
//! collations of the text columns the source's keys and indexes cover, which of them the target
//! has (`information_schema.COLLATIONS`), and each server's default collation per character set
//! (`IS_DEFAULT`, overridden from 11.2 by `character_set_collations`, whose default is
//! `uca1400_ai_ci` from 11.5: "Changes and Improvements in MariaDB 11.8", MDEV-25829). Only the
//! connection's database is read. Read-only on both.

use crate::db::{Database, DbError};

use super::{CollatedIndex, Collation, Facts, Setting};

/// The collation of each text column a key or index of the current database covers, with the
/// table's estimated rows.
const COLLATED_INDEXES: &str = "
SELECT DISTINCT CONCAT(s.TABLE_SCHEMA, '.', s.TABLE_NAME, '.', s.INDEX_NAME),
       CONCAT(s.TABLE_SCHEMA, '.', s.TABLE_NAME), c.COLLATION_NAME, c.CHARACTER_SET_NAME,
       CAST(COALESCE(t.TABLE_ROWS, 0) AS CHAR)
FROM information_schema.STATISTICS s
JOIN information_schema.COLUMNS c
  ON c.TABLE_SCHEMA = s.TABLE_SCHEMA AND c.TABLE_NAME = s.TABLE_NAME AND c.COLUMN_NAME = s.COLUMN_NAME
JOIN information_schema.TABLES t
  ON t.TABLE_SCHEMA = s.TABLE_SCHEMA AND t.TABLE_NAME = s.TABLE_NAME
WHERE s.TABLE_SCHEMA = DATABASE() AND c.COLLATION_NAME IS NOT NULL
ORDER BY 1, 3";

const COLLATIONS: &str =
    "SELECT COLLATION_NAME, CHARACTER_SET_NAME FROM information_schema.COLLATIONS";

const DEFAULT_COLLATIONS: &str = "
SELECT CHARACTER_SET_NAME, COLLATION_NAME FROM information_schema.COLLATIONS
WHERE IS_DEFAULT = 'Yes' ORDER BY 1";

/// `character_set_collations` (MariaDB 11.2 and later; no row before).
const CHARACTER_SET_COLLATIONS: &str = "
SELECT GLOBAL_VALUE FROM information_schema.SYSTEM_VARIABLES
WHERE VARIABLE_NAME = 'CHARACTER_SET_COLLATIONS'";

const SETTINGS: &str = "
SELECT LOWER(VARIABLE_NAME), COALESCE(DEFAULT_VALUE, ''), GLOBAL_VALUE_ORIGIN
FROM information_schema.SYSTEM_VARIABLES ORDER BY 1";

fn text(row: &[Option<String>], i: usize) -> String {
    row.get(i).cloned().flatten().unwrap_or_default()
}

/// Where a value comes from, in the words [`super::check`] reads: `default` (compiled in),
/// `override` (the server chose it: `AUTO`), else the origin (`config`, `command-line`, `sql`).
fn origin(code: &str) -> String {
    match code {
        "COMPILE-TIME" => "default".into(),
        "AUTO" => "override".into(),
        other => other.to_ascii_lowercase(),
    }
}

/// Each character set's default collation on `db`: `IS_DEFAULT`, with `character_set_collations`
/// (`utf8mb4=utf8mb4_uca1400_ai_ci,…`) winning where it names one.
///
/// # Errors
/// [`DbError::Query`].
pub async fn default_collations(db: &Database) -> Result<Vec<(String, String)>, DbError> {
    let mut out: Vec<(String, String)> = db
        .fetch_texts(DEFAULT_COLLATIONS, &[], "reading the default collations")
        .await?
        .iter()
        .map(|r| (text(r, 0), text(r, 1)))
        .collect();
    let overrides = db
        .fetch_texts(
            CHARACTER_SET_COLLATIONS,
            &[],
            "reading character_set_collations",
        )
        .await?;
    let overrides = overrides.first().map(|r| text(r, 0)).unwrap_or_default();
    for pair in overrides.split(',').filter(|p| !p.trim().is_empty()) {
        let Some((charset, collation)) = pair.split_once('=') else {
            continue;
        };
        let (charset, collation) = (charset.trim(), collation.trim());
        // Contextually typed (`uca1400_ai_ci`) or full (`utf8mb4_uca1400_ai_ci`).
        let collation = if collation.starts_with(&format!("{charset}_")) {
            collation.to_owned()
        } else {
            format!("{charset}_{collation}")
        };
        match out.iter_mut().find(|(c, _)| c == charset) {
            Some(entry) => entry.1 = collation,
            None => out.push((charset.to_owned(), collation)),
        }
    }
    Ok(out)
}

/// Reads what the checks need from the MariaDB databases `source` and `target`; empty facts
/// when either is not MariaDB (MySQL has no `SYSTEM_VARIABLES`).
///
/// # Errors
/// [`DbError::Query`] when a catalog cannot be read.
pub async fn read(source: &Database, target: &Database) -> Result<Facts, DbError> {
    let (source_version, target_version) = (
        crate::db::server_version(source).await?,
        crate::db::server_version(target).await?,
    );
    if !source_version.contains("MariaDB") || !target_version.contains("MariaDB") {
        return Ok(Facts::default());
    }
    let mut facts = Facts {
        source_version,
        target_version,
        ..Facts::default()
    };
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
            provider: "mariadb".into(),
            locale: text(&row, 3),
            version: None,
        };
        facts.indexes.push(CollatedIndex {
            index: text(&row, 0),
            table: text(&row, 1),
            collation: collation.name.clone(),
            rows: text(&row, 4).parse().unwrap_or(0),
        });
        if !facts.source_collations.contains(&collation) {
            facts.source_collations.push(collation);
        }
    }
    let offered = target
        .fetch_texts(COLLATIONS, &[], "reading the target's collations")
        .await?;
    facts.target_collations = facts
        .source_collations
        .iter()
        .filter(|c| offered.iter().any(|r| text(r, 0) == c.name))
        .cloned()
        .collect();
    facts.source_default_collations = default_collations(source).await?;
    facts.target_default_collations = default_collations(target).await?;
    let settings = |rows: Vec<Vec<Option<String>>>| -> Vec<Setting> {
        rows.iter()
            .map(|r| Setting {
                name: text(r, 0),
                default: text(r, 1),
                source: origin(&text(r, 2)),
            })
            .collect()
    };
    facts.source_settings = settings(
        source
            .fetch_texts(SETTINGS, &[], "reading the source's system variables")
            .await?,
    );
    facts.target_settings = settings(
        target
            .fetch_texts(SETTINGS, &[], "reading the target's system variables")
            .await?,
    );
    Ok(facts)
}
