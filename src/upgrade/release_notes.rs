//! Upgrade checks a plan can make offline: what each engine's release notes say changed between
//! the manifest's two versions, applied to what the inventory holds (tables, columns and their
//! types, keys and indexes). The inventory records neither extensions, collations nor server
//! parameters, so those are left to the catalogs a rehearsal reads ([`super::catalog`]).
//!
//! Sources, by check:
//! - [`U008_TEXT_INDEXES`] (PostgreSQL): the PostgreSQL wiki's "Locale data changes"
//!   (<https://wiki.postgresql.org/wiki/Locale_data_changes>) and "ALTER COLLATION … REFRESH
//!   VERSION" (<https://www.postgresql.org/docs/17/sql-altercollation.html>): an index over text
//!   is ordered by the glibc or ICU of the server that built it; a new major version is usually
//!   a new operating system release with other libraries, and indexes moved as files
//!   (pg_upgrade, a physical standby) must then be rebuilt.
//! - [`U009_DEFAULT_COLLATION`] (MariaDB): "Changes and Improvements in MariaDB 11.8", Character
//!   Sets (<https://mariadb.com/kb/en/changes-improvements-in-mariadb-11-8/>): from 11.5 the
//!   default collation of the Unicode character sets is `uca1400_ai_ci` (MDEV-25829, through the
//!   default of `character_set_collations`), from 11.6 the default character set is `utf8mb4`
//!   instead of `latin1` (MDEV-19123). Tables created from the source's DDL without an explicit
//!   `COLLATE` compare, sort and enforce uniqueness of text under the new rules.
//! - [`U010_TIMESTAMP_RANGE`] (MariaDB): "MariaDB 11.5 Changes & Improvements", Data Types, and
//!   MDEV-32188: on 64-bit platforms `TIMESTAMP` holds values up to `2106-02-07 06:28:15 UTC`
//!   instead of `2038-01-19 03:14:07 UTC`; a value past 2038 written on the target cannot go back
//!   to the source (reverse capture, a rollback).
//! - [`U011_EXPLICIT_DEFAULTS_FOR_TIMESTAMP`] (MariaDB): the `explicit_defaults_for_timestamp`
//!   system variable defaults to `ON` from MariaDB 10.10
//!   (<https://mariadb.com/kb/en/server-system-variables/#explicit_defaults_for_timestamp>): the
//!   first `TIMESTAMP` column no longer gets `DEFAULT CURRENT_TIMESTAMP ON UPDATE
//!   CURRENT_TIMESTAMP` implicitly, and a `TIMESTAMP` column without `NOT NULL` accepts NULL.

use crate::import::Engine;
use crate::inventory::{Inventory, Severity, Table};

use super::UpgradeFinding;

/// Indexes over text columns whose order depends on the collation library (static, PostgreSQL).
pub const U008_TEXT_INDEXES: &str = "U008";
/// The default character set or collation of text changes between the two MariaDB versions.
pub const U009_DEFAULT_COLLATION: &str = "U009";
/// MariaDB's `TIMESTAMP` range is wider on the target.
pub const U010_TIMESTAMP_RANGE: &str = "U010";
/// MariaDB's `explicit_defaults_for_timestamp` is on by default on the target.
pub const U011_EXPLICIT_DEFAULTS_FOR_TIMESTAMP: &str = "U011";

/// A version as comparable numbers (`"10.11.9-MariaDB"` → `[10, 11, 9]`).
fn numbers(version: &str) -> Vec<u32> {
    version
        .split(|c: char| !c.is_ascii_digit() && c != '.')
        .next()
        .unwrap_or_default()
        .split('.')
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// Whether moving from `from` to `to` crosses `release` (`from` before it, `to` at or after it).
fn crosses(from: &str, to: &str, release: &[u32]) -> bool {
    let (from, to) = (numbers(from), numbers(to));
    !from.is_empty() && !to.is_empty() && from.as_slice() < release && to.as_slice() >= release
}

/// Whether a column type holds text under a collation.
pub fn is_text_type(data_type: &str) -> bool {
    let t = data_type.trim().to_ascii_lowercase();
    let base = t.split(['(', ' ']).next().unwrap_or_default();
    matches!(
        base,
        "char"
            | "varchar"
            | "character"
            | "bpchar"
            | "nchar"
            | "nvarchar"
            | "text"
            | "tinytext"
            | "mediumtext"
            | "longtext"
            | "citext"
            | "enum"
            | "set"
    )
}

/// Keys and indexes of `table` with a text column, as `table.index (columns)`.
fn text_indexes(table: &Table) -> Vec<String> {
    let texty = |cols: &[String]| {
        cols.iter()
            .any(|c| table.column(c).is_some_and(|c| is_text_type(&c.data_type)))
    };
    let mut out = Vec::new();
    if texty(&table.primary_key) {
        out.push(format!(
            "{} primary key ({})",
            table.name,
            table.primary_key.join(", ")
        ));
    }
    for key in table.unique_keys.iter().filter(|k| texty(k)) {
        out.push(format!("{} unique ({})", table.name, key.join(", ")));
    }
    for index in table.indexes.iter().filter(|i| texty(&i.columns)) {
        out.push(format!(
            "{} index {} ({})",
            table.name,
            index.name,
            index.columns.join(", ")
        ));
    }
    out
}

/// The inventory's TIMESTAMP columns that `also` accepts, as `table.column`.
fn timestamp_columns(
    inventory: &Inventory,
    also: impl Fn(&crate::inventory::Column) -> bool + Copy,
) -> Vec<String> {
    inventory
        .tables
        .iter()
        .flat_map(|t| {
            t.columns
                .iter()
                .filter(move |c| {
                    c.data_type
                        .trim()
                        .to_ascii_lowercase()
                        .starts_with("timestamp")
                        && also(c)
                })
                .map(move |c| format!("{}.{}", t.name, c.name))
        })
        .collect()
}

/// The findings the release notes of `engine` call for, moving from `from` to `to` (the
/// manifest's versions), for what `inventory` holds; in code order. Nothing for an engine or a
/// version pair the notes cited in this module's documentation do not concern.
pub fn check(engine: Engine, from: &str, to: &str, inventory: &Inventory) -> Vec<UpgradeFinding> {
    let mut out = Vec::new();
    let text_indexes: Vec<String> = inventory.tables.iter().flat_map(text_indexes).collect();
    match engine {
        Engine::Postgres => {
            if !text_indexes.is_empty() && numbers(from).first() != numbers(to).first() {
                out.push(UpgradeFinding {
                    code: U008_TEXT_INDEXES.into(),
                    severity: Severity::Notice,
                    message: format!(
                        "{} key(s) and index(es) are over text, ordered by the collation library (glibc or ICU) of the server that built them: where PostgreSQL {to} runs with another glibc or ICU than {from} (another operating system release), a move that keeps their files leaves them out of order",
                        text_indexes.len()
                    ),
                    objects: text_indexes,
                    suggestion: "rehearse the upgrade between the two servers: it reads both catalogs and names the indexes whose collation version changed (U003) with their REINDEX; indexes built anew on the target (a logical copy) need nothing".into(),
                });
            }
        }
        Engine::Mysql => {
            let collation = crosses(from, to, &[11, 5]);
            let charset = crosses(from, to, &[11, 6]);
            if collation || charset {
                let tables_with_text: Vec<String> = inventory
                    .tables
                    .iter()
                    .filter(|t| t.columns.iter().any(|c| is_text_type(&c.data_type)))
                    .map(|t| t.name.to_string())
                    .collect();
                let what = match (collation, charset) {
                    (true, true) => "the default collation of utf8mb4 and the other Unicode character sets is uca1400_ai_ci from MariaDB 11.5 (MDEV-25829), and the default character set is utf8mb4 instead of latin1 from 11.6 (MDEV-19123)",
                    (true, false) => "the default collation of utf8mb4 and the other Unicode character sets is uca1400_ai_ci from MariaDB 11.5 (MDEV-25829)",
                    _ => "the default character set is utf8mb4 instead of latin1 from MariaDB 11.6 (MDEV-19123)",
                };
                let (objects, count) = if text_indexes.is_empty() {
                    (tables_with_text, "table(s) with text columns")
                } else {
                    (text_indexes, "key(s) and index(es) over text")
                };
                if !objects.is_empty() {
                    out.push(UpgradeFinding {
                        code: U009_DEFAULT_COLLATION.into(),
                        severity: Severity::Warning,
                        message: format!(
                            "{what}: {} {count} created from the source's DDL without an explicit COLLATE compare, sort and enforce uniqueness of text under other rules on the target",
                            objects.len()
                        ),
                        objects,
                        suggestion: "state the character set and collation in the DDL (`DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci`), or set `character_set_collations` and `character_set_server` on the target to the source's; check unique keys over text for values that collide under uca1400_ai_ci".into(),
                    });
                }
            }
            let timestamps = timestamp_columns(inventory, |_| true);
            if crosses(from, to, &[11, 5]) && !timestamps.is_empty() {
                out.push(UpgradeFinding {
                    code: U010_TIMESTAMP_RANGE.into(),
                    severity: Severity::Warning,
                    message: format!(
                        "TIMESTAMP holds values up to 2106-02-07 06:28:15 UTC from MariaDB 11.5 (MDEV-32188; 2038-01-19 03:14:07 before): a value past 2038 written on the target cannot go back to the source through {} column(s)",
                        timestamps.len()
                    ),
                    objects: timestamps.clone(),
                    suggestion: "keep values past 2038-01-19 out of these columns while the source is the fallback (reverse capture and a rollback refuse them), or make them DATETIME; system-versioned tables are rewritten by mariadb-upgrade".into(),
                });
            }
            if crosses(from, to, &[10, 10]) {
                let implicit = timestamp_columns(inventory, |c| c.default.is_none());
                if !implicit.is_empty() {
                    out.push(UpgradeFinding {
                        code: U011_EXPLICIT_DEFAULTS_FOR_TIMESTAMP.into(),
                        severity: Severity::Warning,
                        message: format!(
                            "explicit_defaults_for_timestamp is ON by default from MariaDB 10.10: {} TIMESTAMP column(s) without a stated default no longer get DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP (the first of a table) or NOT NULL implicitly",
                            implicit.len()
                        ),
                        objects: implicit,
                        suggestion: "state the default, ON UPDATE and NOT NULL in the DDL, or set explicit_defaults_for_timestamp = OFF on the target".into(),
                    });
                }
            }
        }
        Engine::Sqlite => {}
    }
    out.sort_by(|a, b| a.code.cmp(&b.code));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{Column, Index, QualifiedName};

    fn column(name: &str, data_type: &str) -> Column {
        Column {
            name: name.into(),
            data_type: data_type.into(),
            nullable: true,
            default: None,
            on_update: None,
            collation: None,
        }
    }

    fn inventory() -> Inventory {
        let mut film = Table::new(QualifiedName::new(Some("shop"), "film"));
        film.columns = vec![
            column("film_id", "int"),
            column("title", "varchar(255)"),
            column("last_update", "timestamp"),
        ];
        film.primary_key = vec!["film_id".into()];
        film.indexes = vec![Index {
            name: "idx_title".into(),
            columns: vec!["title".into()],
            unique: false,
        }];
        Inventory {
            tables: vec![film],
            ..Inventory::default()
        }
    }

    #[test]
    fn mariadb_10_11_to_11_8_changes_collation_and_timestamp_range() {
        let findings = check(Engine::Mysql, "10.11", "11.8", &inventory());
        let codes: Vec<&str> = findings.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(codes, ["U009", "U010"]);
        assert_eq!(findings[0].objects, ["shop.film index idx_title (title)"]);
        assert!(findings[0].message.contains("11.5") && findings[0].message.contains("11.6"));
        assert_eq!(findings[1].objects, ["shop.film.last_update"]);
        // 10.6 → 10.11 crosses 10.10's explicit_defaults_for_timestamp only.
        let codes: Vec<String> = check(Engine::Mysql, "10.6", "10.11", &inventory())
            .into_iter()
            .map(|f| f.code)
            .collect();
        assert_eq!(codes, ["U011"]);
        assert!(check(Engine::Mysql, "11.8", "11.8", &inventory()).is_empty());
    }

    #[test]
    fn postgres_text_indexes_are_candidates_across_majors_only() {
        let findings = check(Engine::Postgres, "15", "17", &inventory());
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].code, U008_TEXT_INDEXES);
        assert_eq!(findings[0].severity, Severity::Notice);
        assert!(check(Engine::Postgres, "17", "17.2", &inventory()).is_empty());
    }

    #[test]
    fn every_code_is_registered() {
        for code in [
            U008_TEXT_INDEXES,
            U009_DEFAULT_COLLATION,
            U010_TIMESTAMP_RANGE,
            U011_EXPLICIT_DEFAULTS_FOR_TIMESTAMP,
        ] {
            assert!(crate::codes::upgrade_finding(code).is_some(), "{code}");
        }
    }
}
