//! Upgrade checks: what changes for a database moving between two major versions of PostgreSQL
//! beyond the copy itself, read from the catalogs of both servers ([`catalog::read`]) and judged
//! here ([`check`]) into findings with stable codes (`U001`…, registered in
//! [`crate::codes::UPGRADE_FINDINGS`]) and the runbook steps they call for ([`steps`]). A plan,
//! made offline, carries the release notes' checks applied to the inventory
//! ([`release_notes`]) and the latest rehearsal's of the same version pair ([`UpgradeChecks`]).
//!
//! What is checked, and where it comes from:
//! - extensions installed on the source and missing on the target server, or whose version
//!   there differs (`pg_extension` against `pg_available_extensions`);
//! - collations whose version differs between the servers (ICU's, or glibc's for libc locales:
//!   `pg_collation.collversion` recorded on the source against `pg_collation_actual_version()`
//!   / `pg_database_collation_actual_version()` on the target, PostgreSQL ≥ 15): an index over
//!   text under such a collation is ordered by the old rules and must be rebuilt where its
//!   files move as they are (`pg_upgrade`, a promoted physical standby); the PostgreSQL wiki's
//!   "Locale data changes" page and `ALTER COLLATION … REFRESH VERSION` describe the remedy;
//! - functions used by expression indexes and materialized views without a pinned
//!   `search_path`, for a target of 17 or later: "Change functions to use a safe search_path
//!   during maintenance operations" (PostgreSQL 17 release notes, E.x.2 "Migration to Version
//!   17", <https://www.postgresql.org/docs/17/release-17.html>): `CREATE INDEX`, `REINDEX`,
//!   `REFRESH MATERIALIZED VIEW` then run them with `search_path = pg_catalog, pg_temp`;
//! - server parameters the target version no longer has (removed or renamed: 16 removed
//!   `vacuum_defer_cleanup_age`, `promote_trigger_file`, the `lc_collate`/`lc_ctype` settings and
//!   renamed `force_parallel_mode` to `debug_parallel_query`; 17 removed `db_user_namespace`,
//!   `old_snapshot_threshold` and `trace_recovery_messages` — release notes 16 and 17,
//!   "Migration to Version …", <https://www.postgresql.org/docs/16/release-16.html>), and
//!   parameters whose built-in default changed, both read from `pg_settings` on each server
//!   rather than copied from the notes, so a later version is checked the same way;
//! - for MariaDB ([`mariadb::read`]): system variables the target no longer has and compiled-in
//!   defaults that changed (`information_schema.SYSTEM_VARIABLES`' `DEFAULT_VALUE`, as above),
//!   collations of indexed text columns the target lacks (`U004`), and character sets whose
//!   default collation differs between the servers (`U009`: `uca1400_ai_ci` from 11.5).

pub mod catalog;
pub mod mariadb;
pub mod planned;
pub mod release_notes;

pub use planned::{upgrade_pair, Measured, PlannedFinding, PlannedStep, UpgradeChecks};
pub use release_notes::{
    U008_TEXT_INDEXES, U009_DEFAULT_COLLATION, U010_TIMESTAMP_RANGE,
    U011_EXPLICIT_DEFAULTS_FOR_TIMESTAMP,
};

use serde::{Deserialize, Serialize};

use crate::inventory::Severity;

/// An extension installed on the source unavailable on the target server.
pub const U001_EXTENSION_MISSING: &str = "U001";
/// An extension whose version on the target differs from the source's.
pub const U002_EXTENSION_VERSION: &str = "U002";
/// A collation indexes use whose version differs on the target.
pub const U003_COLLATION_VERSION: &str = "U003";
/// A collation indexes use that the target does not have.
pub const U004_COLLATION_MISSING: &str = "U004";
/// A function used by an expression index or materialized view without a pinned search_path.
pub const U005_UNPINNED_SEARCH_PATH: &str = "U005";
/// Server parameters the target version no longer has.
pub const U006_REMOVED_SETTINGS: &str = "U006";
/// Server parameters whose built-in default changed.
pub const U007_CHANGED_DEFAULTS: &str = "U007";

/// One collation as a server reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collation {
    /// Name in `pg_collation` (`und-x-icu`), or `default` for the database's own.
    pub name: String,
    /// Provider: `icu`, `libc` or `builtin`.
    pub provider: String,
    /// Locale (`und`, `en_US.UTF-8`).
    pub locale: String,
    /// Version: on the source the one recorded when its indexes were built, on the target the
    /// library's; `None` for versionless locales (`C`, `POSIX`, `C.UTF-8` of libc).
    pub version: Option<String>,
}

/// An index with a key column (or expression) under a collation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollatedIndex {
    /// Qualified index name (`public.idx_title`).
    pub index: String,
    /// Qualified table name.
    pub table: String,
    /// The collation's name ([`Collation::name`]).
    pub collation: String,
    /// Rows of the table, estimated by the server (`reltuples`; 0 before an ANALYZE).
    pub rows: u64,
}

/// A server parameter (`pg_settings`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setting {
    /// Name.
    pub name: String,
    /// Built-in default (`boot_val`).
    pub default: String,
    /// Where the current value comes from (`default`, `configuration file`, `database`…).
    pub source: String,
}

/// What the two servers' catalogs say, as the checks need it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    /// Source server version (`15.20 (Debian …)`).
    pub source_version: String,
    /// Target server version.
    pub target_version: String,
    /// Extensions installed on the source: name and version.
    pub source_extensions: Vec<(String, String)>,
    /// Extensions the target server offers: name and default version.
    pub target_extensions: Vec<(String, String)>,
    /// Indexes of the source whose keys are under a collation.
    pub indexes: Vec<CollatedIndex>,
    /// The collations those indexes use, on the source.
    pub source_collations: Vec<Collation>,
    /// The same collations on the target (absent: the target has none of that name).
    pub target_collations: Vec<Collation>,
    /// Functions without a pinned `search_path` used by an expression index or a materialized
    /// view: function and user (`public.f` used by `public.idx`).
    pub unpinned_functions: Vec<(String, String)>,
    /// Source server parameters.
    pub source_settings: Vec<Setting>,
    /// Target server parameters.
    pub target_settings: Vec<Setting>,
    /// MariaDB: the collation each character set gets on the source where the DDL names none,
    /// as `(character set, collation)`.
    #[serde(default)]
    pub source_default_collations: Vec<(String, String)>,
    /// MariaDB: the same on the target.
    #[serde(default)]
    pub target_default_collations: Vec<(String, String)>,
}

impl Facts {
    /// Whether the servers are MariaDB's (their versions say so); else PostgreSQL's.
    pub fn mariadb(&self) -> bool {
        self.source_version.contains("MariaDB")
    }

    /// `PostgreSQL 15`, `MariaDB 10.11` for the server version `v`.
    fn label(&self, v: &str) -> String {
        let (engine, name) = if self.mariadb() {
            (crate::import::Engine::Mysql, "MariaDB")
        } else {
            (crate::import::Engine::Postgres, "PostgreSQL")
        };
        match crate::db::major_version(engine, v) {
            m if m.is_empty() => v.to_owned(),
            m => format!("{name} {m}"),
        }
    }
}

/// An upgrade finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpgradeFinding {
    /// Stable code, `U001`….
    pub code: String,
    /// `warning` (acts on the migration) or `notice`.
    pub severity: Severity,
    /// What was found, in a sentence.
    pub message: String,
    /// The objects it touches (indexes, extensions, parameters).
    pub objects: Vec<String>,
    /// What to do about it.
    pub suggestion: String,
}

impl UpgradeFinding {
    /// `warning` or `notice`.
    pub fn severity_word(&self) -> &'static str {
        match self.severity {
            Severity::Warning => "warning",
            Severity::Notice => "notice",
        }
    }
}

/// A runbook step a finding calls for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpgradeStep {
    /// The finding's code that calls for it.
    pub code: String,
    /// What to do.
    pub title: String,
    /// Statements to run on the target, in order.
    pub sql: Vec<String>,
    /// Expected duration, seconds (an estimate).
    pub expected_seconds: f64,
    /// How the estimate was made (`12,000 rows at 200,000 rows/s`).
    pub estimate_basis: String,
}

fn major(version: &str) -> Option<u32> {
    crate::db::major_version(crate::import::Engine::Postgres, version)
        .parse()
        .ok()
}

/// Judges `facts` into findings, in code order.
pub fn check(facts: &Facts) -> Vec<UpgradeFinding> {
    let mut out = Vec::new();
    extensions(facts, &mut out);
    collations(facts, &mut out);
    default_collations(facts, &mut out);
    let crosses_17 = !facts.mariadb()
        && matches!(
            (major(&facts.source_version), major(&facts.target_version)),
            (Some(s), Some(t)) if s < 17 && t >= 17
        );
    if crosses_17 && !facts.unpinned_functions.is_empty() {
        out.push(UpgradeFinding {
            code: U005_UNPINNED_SEARCH_PATH.into(),
            severity: Severity::Warning,
            message: format!(
                "{} function(s) used by expression indexes or materialized views have no pinned search_path; from PostgreSQL 17, CREATE INDEX, REINDEX and REFRESH MATERIALIZED VIEW run them with search_path = pg_catalog, pg_temp, so an unqualified name in them fails",
                facts.unpinned_functions.len()
            ),
            objects: facts
                .unpinned_functions
                .iter()
                .map(|(f, user)| format!("{f} (used by {user})"))
                .collect(),
            suggestion: "qualify the names in the function bodies, or `ALTER FUNCTION … SET search_path = <schema>, pg_catalog` on the source before the move".into(),
        });
    }
    settings(facts, &mut out);
    out.sort_by(|a, b| a.code.cmp(&b.code));
    out
}

fn extensions(facts: &Facts, out: &mut Vec<UpgradeFinding>) {
    let mut missing = Vec::new();
    for (name, version) in &facts.source_extensions {
        match facts.target_extensions.iter().find(|(n, _)| n == name) {
            None => missing.push(format!("{name} {version}")),
            Some((_, available)) if available != version => out.push(UpgradeFinding {
                code: U002_EXTENSION_VERSION.into(),
                severity: Severity::Warning,
                message: format!(
                    "extension {name} is at {version} on the source; the target offers {available}"
                ),
                objects: vec![name.clone()],
                suggestion: format!(
                    "`CREATE EXTENSION {name} VERSION '{version}'` if the target packages it, else create it at {available} and check what its update changes (`ALTER EXTENSION {name} UPDATE` after pg_upgrade)"
                ),
            }),
            Some(_) => {}
        }
    }
    if !missing.is_empty() {
        out.push(UpgradeFinding {
            code: U001_EXTENSION_MISSING.into(),
            severity: Severity::Warning,
            message: format!(
                "{} extension(s) installed on the source are not available on the target server",
                missing.len()
            ),
            objects: missing,
            suggestion: "install the extensions' packages for the target version before the move (pg_upgrade refuses to start without them; a copy fails on the objects that use them)".into(),
        });
    }
}

fn collations(facts: &Facts, out: &mut Vec<UpgradeFinding>) {
    for source in &facts.source_collations {
        let indexes: Vec<&CollatedIndex> = facts
            .indexes
            .iter()
            .filter(|i| i.collation == source.name)
            .collect();
        if indexes.is_empty() {
            continue;
        }
        let names: Vec<String> = indexes.iter().map(|i| i.index.clone()).collect();
        let label = if facts.mariadb() {
            format!("collation {} ({})", source.name, source.locale)
        } else if source.name == "default" {
            format!(
                "the database's default collation ({} {})",
                source.provider, source.locale
            )
        } else {
            format!(
                "collation \"{}\" ({} {})",
                source.name, source.provider, source.locale
            )
        };
        let suggestion = if facts.mariadb() {
            format!("name a collation of {} the target has in the DDL of these columns (MariaDB cannot create one), or run a target version that has {}", source.locale, source.name)
        } else {
            format!("create it on the target (`CREATE COLLATION \"{}\" (provider = {}, locale = '{}')`) before the schema", source.name, source.provider, source.locale)
        };
        match facts
            .target_collations
            .iter()
            .find(|t| t.name == source.name)
        {
            None => out.push(UpgradeFinding {
                code: U004_COLLATION_MISSING.into(),
                severity: Severity::Warning,
                message: format!(
                    "{label} is used by {} index(es) and does not exist on the target",
                    names.len()
                ),
                objects: names,
                suggestion,
            }),
            Some(target)
                if target.provider != source.provider || target.version != source.version =>
            {
                let from = source.version.as_deref().unwrap_or("none");
                let to = target.version.as_deref().unwrap_or("none");
                out.push(UpgradeFinding {
                    code: U003_COLLATION_VERSION.into(),
                    severity: Severity::Warning,
                    message: format!(
                        "{label} is version {from} on the source and {} {to} on the target: {} index(es) over text are ordered by the old rules and must be rebuilt where their files move as they are (pg_upgrade, a promoted physical standby); a copy built on the target sorts text differently from the source",
                        target.provider,
                        names.len()
                    ),
                    objects: names,
                    suggestion: "REINDEX the indexes on the target after the move, then record the new version (`ALTER COLLATION … REFRESH VERSION`, `ALTER DATABASE … REFRESH COLLATION VERSION` for the default); compare text ordering that applications or keyset validation rely on".into(),
                });
            }
            Some(_) => {}
        }
    }
}

fn settings(facts: &Facts, out: &mut Vec<UpgradeFinding>) {
    if facts.source_settings.is_empty() || facts.target_settings.is_empty() {
        return;
    }
    let on_target = |name: &str| facts.target_settings.iter().find(|t| t.name == name);
    let (from, to) = (
        facts.label(&facts.source_version),
        facts.label(&facts.target_version),
    );
    let removed: Vec<&Setting> = facts
        .source_settings
        .iter()
        .filter(|s| on_target(&s.name).is_none())
        .collect();
    if !removed.is_empty() {
        let set: Vec<&str> = removed
            .iter()
            .filter(|s| s.source != "default" && s.source != "override")
            .map(|s| s.name.as_str())
            .collect();
        out.push(UpgradeFinding {
            code: U006_REMOVED_SETTINGS.into(),
            severity: if set.is_empty() { Severity::Notice } else { Severity::Warning },
            message: if set.is_empty() {
                format!("{} server parameter(s) of {from} do not exist in {to}; the source leaves them at their defaults", removed.len())
            } else {
                format!("{} server parameter(s) of {from} do not exist in {to}, and the source sets {}", removed.len(), set.join(", "))
            },
            objects: removed.iter().map(|s| s.name.clone()).collect(),
            suggestion: if facts.mariadb() {
                "remove them from the option files (my.cnf) and from code that SETs them: the target refuses an unknown variable at startup and in SET (MariaDB 11.0 removed the InnoDB change buffer's innodb_change_buffering, for one)".into()
            } else {
                "remove them from postgresql.conf, ALTER SYSTEM, ALTER DATABASE/ROLE … SET and from code calling current_setting() or SET (the target refuses unknown parameters); force_parallel_mode is debug_parallel_query from 16".into()
            },
        });
    }
    let changed: Vec<String> = facts
        .source_settings
        .iter()
        .filter(|s| !matches!(s.name.as_str(), "server_version" | "server_version_num"))
        .filter_map(|s| {
            let t = on_target(&s.name)?;
            (t.default != s.default).then(|| format!("{}: {} → {}", s.name, s.default, t.default))
        })
        .collect();
    if !changed.is_empty() {
        out.push(UpgradeFinding {
            code: U007_CHANGED_DEFAULTS.into(),
            severity: Severity::Warning,
            message: format!("{} server parameter(s) have another built-in default on the target; where the source relies on the default, behaviour changes", changed.len()),
            objects: changed,
            suggestion: "set the source's value explicitly on the target where the old behaviour is wanted".into(),
        });
    }
}

/// MariaDB: a character set whose default collation differs between the servers, for the keys
/// and indexes over columns under the source's default (what a table created from DDL without
/// `COLLATE` gets): `U009`, as the release notes' check in [`release_notes`], measured.
fn default_collations(facts: &Facts, out: &mut Vec<UpgradeFinding>) {
    for (charset, from) in &facts.source_default_collations {
        let Some((_, to)) = facts
            .target_default_collations
            .iter()
            .find(|(c, _)| c == charset)
            .filter(|(_, to)| to != from)
        else {
            continue;
        };
        let objects: Vec<String> = facts
            .indexes
            .iter()
            .filter(|i| i.collation == *from)
            .map(|i| i.index.clone())
            .collect();
        if objects.is_empty() {
            continue;
        }
        out.push(UpgradeFinding {
            code: U009_DEFAULT_COLLATION.into(),
            severity: Severity::Warning,
            message: format!(
                "{charset} text gets {to} on the target where its DDL names no collation, {from} on the source: {} key(s) and index(es) over {from} columns compare, sort and enforce uniqueness otherwise when their tables are created from DDL without COLLATE",
                objects.len()
            ),
            objects,
            suggestion: format!("state `COLLATE {from}` in the DDL, or set `character_set_collations = '{charset}={from}'` on the target; check unique keys over text for values that collide under {to}"),
        });
    }
}

/// The runbook steps `findings` call for, with their durations estimated at
/// `index_rows_per_second` (the plan's [`crate::plan::Throughput::index_rows_per_second`]):
/// a `REINDEX` of each index under a collation whose version changed, then the collation's
/// version refreshed.
pub fn steps(
    facts: &Facts,
    findings: &[UpgradeFinding],
    index_rows_per_second: f64,
) -> Vec<UpgradeStep> {
    let mut out = Vec::new();
    for finding in findings.iter().filter(|f| f.code == U003_COLLATION_VERSION) {
        let indexes: Vec<&CollatedIndex> = facts
            .indexes
            .iter()
            .filter(|i| finding.objects.contains(&i.index))
            .collect();
        let Some(collation) = indexes.first().map(|i| i.collation.clone()) else {
            continue;
        };
        let rows: u64 = indexes.iter().map(|i| i.rows).sum();
        let mut sql: Vec<String> = indexes
            .iter()
            .map(|i| format!("REINDEX INDEX CONCURRENTLY {}", qualified(&i.index)))
            .collect();
        sql.push(if collation == "default" {
            // The production database's name is not the rehearsal's scratch one.
            "ALTER DATABASE <database> REFRESH COLLATION VERSION".to_owned()
        } else {
            format!(
                "ALTER COLLATION {} REFRESH VERSION",
                crate::db::quote::ident(crate::import::Engine::Postgres, &collation)
            )
        });
        let rate = index_rows_per_second.max(1.0);
        out.push(UpgradeStep {
            code: finding.code.clone(),
            title: format!(
                "Rebuild {} index(es) under collation \"{collation}\" and record its new version",
                indexes.len()
            ),
            sql,
            expected_seconds: rows as f64 / rate,
            estimate_basis: format!("estimate: {rows} rows at {rate:.0} rows/s"),
        });
    }
    out
}

/// `schema.name` with each part quoted as PostgreSQL needs.
fn qualified(name: &str) -> String {
    let quote = |part: &str| crate::db::quote::ident(crate::import::Engine::Postgres, part);
    match name.split_once('.') {
        Some((schema, rest)) => format!("{}.{}", quote(schema), quote(rest)),
        None => quote(name),
    }
}

#[cfg(test)]
mod tests;
