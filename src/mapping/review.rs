//! The static review of a mapping spec: what the spec's casts, drops and NOT NULLs can do to
//! the data, found from the types alone, before anything runs. Each finding has a stable code
//! ([`crate::codes::REVIEW_FINDINGS`]: `M001`…), a severity, the spec entry it is about
//! (`schema.table.column` in source names, with the spec's line when the entry is written
//! there), a message and a suggested fix. A reviewer accepts a finding with a reason
//! (`[[accept]]` in the spec); an unaccepted error fails `mapping review` (exit 1).

use serde::Serialize;

use super::spec::{Acceptance, MappingSpec, TableRule};
use super::TableMapping;
use crate::data::Logical;
use crate::import::Engine;
use crate::inventory::{Inventory, Table};

/// Text longer than the target length.
pub const M001_LENGTH: &str = "M001";
/// Fewer integer digits or fewer decimals.
pub const M002_PRECISION: &str = "M002";
/// A narrower integer range (width, or unsigned into signed).
pub const M003_INTEGER_RANGE: &str = "M003";
/// An instant becomes a local date-time.
pub const M004_TIME_ZONE: &str = "M004";
/// NOT NULL over a nullable source without a NULL default.
pub const M005_NOT_NULL: &str = "M005";
/// A foreign key into a table (or over columns) the spec drops or does not map.
pub const M006_FK_UNMAPPED: &str = "M006";
/// ENUM/SET labels become free text with nothing to constrain them.
pub const M007_ENUM_WITHOUT_CHECK: &str = "M007";

/// A view, trigger or service uses a table whose name or columns the spec changes.
pub const M008_CONSUMER: &str = "M008";
/// A source column's generated key that the target column will not generate.
pub const M009_IDENTITY_NOT_CARRIED: &str = "M009";
/// A source column's default expression that the target column will not have.
pub const M010_DEFAULT_NOT_CARRIED: &str = "M010";
/// A MySQL `ON UPDATE` the target engine has no column option for.
pub const M011_ON_UPDATE_NOT_CARRIED: &str = "M011";
/// A column not copied on its own because a merge consumed it or a split replaced it: a
/// rollback cannot give it back for rows written on the target after the cutover.
pub const M012_NOT_REVERSIBLE: &str = "M012";
/// A column computed in place: the target keeps the computed value, and a rollback writes that
/// value back, not the original.
pub const M013_COMPUTED_IN_PLACE: &str = "M013";
/// A UNIQUE key or index over a column computed in place: two source values may compute to
/// one (`lower(email)`), and the target then refuses the second row.
pub const M014_UNIQUE_COMPUTED: &str = "M014";
/// A 64-bit binary float into a 32-bit one: about 7 significant digits are kept of 15–17.
pub const M015_FLOAT_NARROWING: &str = "M015";
/// A binary float moved to another engine: the bits arrive, but each engine prints and parses
/// it with its own digits, so equality on a literal or on the printed text can change.
pub const M016_FLOAT_EQUALITY: &str = "M016";
/// A text key compared without regard to case on the source and with it on the target (MySQL's
/// default collations, SQLite's NOCASE → PostgreSQL): values differing only in case, refused
/// today, are accepted after the cutover, and `=` lookups stop matching across case.
pub const M017_KEY_BECOMES_CASE_SENSITIVE: &str = "M017";
/// A text key compared with regard to case on the source and without it on the target
/// (PostgreSQL, SQLite, a `_bin` collation → MySQL's default collations): source rows that differ
/// only in case collide on the target's key, which refuses all but one.
pub const M018_KEY_BECOMES_CASE_INSENSITIVE: &str = "M018";
/// A date-time or a time cast to fewer digits of the fraction of a second: values are rounded
/// (rule C005).
pub const M019_FRACTION_NARROWING: &str = "M019";
/// Text into a MySQL column whose character set holds fewer characters than the source's
/// (`CHARACTER SET latin1`, `utf8mb3`): values with other characters are refused.
pub const M020_CHARSET_NARROWING: &str = "M020";
/// An index or unique key of a split table over columns that land in different tables of the
/// split ([`crate::mapping::spec::table_split`]): the target cannot declare it, so it is not
/// created, and a unique one is no longer enforced.
pub const M021_KEY_ACROSS_SPLIT: &str = "M021";
/// A table merged into another ([`crate::mapping::spec::table_merge`]) whose key is not a
/// foreign key to it: a merged row without a partner row (an orphan) has nowhere to go.
pub const M022_MERGE_ORPHANS: &str = "M022";
/// A merged table with nullable columns: a merged row holding only NULLs cannot be told from
/// no row once merged, so it is not written back when the application changes its partner
/// after the cutover.
pub const M023_MERGE_ALL_NULL: &str = "M023";

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Data can be lost or refused: fails the review until accepted.
    Error,
    /// Meaning can change; worth a look.
    Warning,
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Stable code (`M001`…).
    pub code: &'static str,
    /// Severity.
    pub severity: Severity,
    /// The spec entry: `schema.table.column` or `schema.table`, source names.
    pub entry: String,
    /// 1-based line of the entry's rule in the spec, when the spec writes one.
    pub line: Option<usize>,
    /// What can happen.
    pub message: String,
    /// What to do about it.
    pub fix: String,
    /// The reviewer's acceptance, when given.
    pub accepted: Option<Acceptance>,
    /// Source table (qualified, as the inventory names it).
    pub table: String,
    /// Source column, for a column's finding.
    pub column: Option<String>,
    /// What the data pass counted on the source rows, when it ran and the finding has a
    /// condition on values ([`super::data_review`]).
    pub data: Option<super::data_review::DataCount>,
    /// The finding's blast radius: the views reading its table, the triggers on or writing
    /// it and the service-graph artifacts linked to it (`view x`, `trigger y`, `service:z`),
    /// which see the harm the finding describes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub consumers: Vec<String>,
}

/// The review of a spec.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Review {
    /// The spec file reviewed.
    pub spec: String,
    /// Findings, by entry then code.
    pub findings: Vec<Finding>,
    /// Errors not accepted: the review fails when this is above zero.
    pub blocking: usize,
    /// How much of the source the data pass read (`None`: no data pass).
    pub data_scope: Option<String>,
    /// For an upgrade (one engine, two versions in the manifest), the upgrade's findings (`U…`)
    /// as the plan carries them ([`crate::upgrade::UpgradeChecks`]): they act on the move, not
    /// on the spec, so they are listed beside its findings and never block the review.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<crate::upgrade::UpgradeChecks>,
}

/// Smallest and largest value of an integer type.
fn int_range(bits: u8, unsigned: bool) -> (i128, i128) {
    let bits = u32::from(bits.clamp(8, 64));
    if unsigned {
        (0, (1i128 << bits) - 1)
    } else {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    }
}

/// Decimal digits of the largest magnitude of an integer type.
fn int_digits(bits: u8, unsigned: bool) -> u32 {
    let (min, max) = int_range(bits, unsigned);
    max.max(-min).to_string().len() as u32
}

/// The longest text a source value of `logical` can hold (characters), `None` for unbounded.
fn max_chars(logical: &Logical) -> Option<Option<u32>> {
    match logical {
        Logical::Text { max_len } => Some(*max_len),
        Logical::Enum(labels) => Some(Some(
            labels.iter().map(|l| l.chars().count()).max().unwrap_or(0) as u32,
        )),
        Logical::Set(labels) => Some(Some(
            (labels.iter().map(|l| l.chars().count() + 1).sum::<usize>()).saturating_sub(1) as u32,
        )),
        _ => None,
    }
}

/// A narrowing of `from` into `to`: (code, message, fix).
fn narrowing(
    from: &Logical,
    to: &Logical,
    source_type: &str,
    target_type: &str,
) -> Option<(&'static str, String, String)> {
    let cast = format!("{source_type} → {target_type}");
    match (from, to) {
        (_, Logical::Text { max_len: Some(n) }) => {
            let longest = max_chars(from)?;
            match longest {
                Some(m) if m <= *n => None,
                _ => Some((
                    M001_LENGTH,
                    format!(
                        "{cast}: source values can be {} characters long; longer than {n} are refused by the target (rejects) or cut",
                        longest.map_or_else(|| "any number of".to_owned(), |m| format!("up to {m}"))
                    ),
                    format!(
                        "cast to {} or text, or accept after the data review shows no longer value",
                        longest.map_or_else(|| "text".to_owned(), |m| format!("varchar({m})"))
                    ),
                )),
            }
        }
        (
            Logical::Decimal {
                precision: Some(p),
                scale,
            },
            Logical::Decimal {
                precision: Some(q),
                scale: t,
            },
        ) => {
            let (s, t) = (scale.unwrap_or(0), t.unwrap_or(0));
            (p.saturating_sub(s) > q.saturating_sub(t) || s > t).then(|| {
                (
                    M002_PRECISION,
                    format!(
                        "{cast}: {} integer digits and {s} decimals into {} and {t}: large values overflow, extra decimals are rounded half away from zero (rule C004, counted)",
                        p.saturating_sub(s),
                        q.saturating_sub(t)
                    ),
                    format!("cast to numeric({p},{s}) or wider"),
                )
            })
        }
        (
            Logical::Int { bits, unsigned },
            Logical::Decimal {
                precision: Some(q),
                scale,
            },
        ) => {
            let digits = int_digits(*bits, *unsigned);
            (digits > q.saturating_sub(scale.unwrap_or(0))).then(|| {
                (
                    M002_PRECISION,
                    format!(
                        "{cast}: integers of up to {digits} digits into {} integer digits",
                        q.saturating_sub(scale.unwrap_or(0))
                    ),
                    format!("cast to numeric({digits}) or a wide enough integer"),
                )
            })
        }
        (Logical::Decimal { scale, .. }, Logical::Int { .. }) => Some((
            M002_PRECISION,
            format!(
                "{cast}: decimals{} are rounded away, half away from zero (rule C004, counted)",
                scale.map(|s| format!(" (scale {s})")).unwrap_or_default()
            ),
            "keep numeric, or accept if every value is whole".to_owned(),
        )),
        (
            Logical::Int { bits, unsigned },
            Logical::Int {
                bits: to_bits,
                unsigned: to_unsigned,
            },
        ) => {
            let (min, max) = int_range(*bits, *unsigned);
            let (tmin, tmax) = int_range(*to_bits, *to_unsigned);
            (min < tmin || max > tmax).then(|| {
                (
                    M003_INTEGER_RANGE,
                    format!(
                        "{cast}: source range {min}..{max} does not fit the target's {tmin}..{tmax}{}",
                        if *unsigned && !to_unsigned { " (unsigned into signed)" } else { "" }
                    ),
                    "cast to an integer type whose range holds the source's (see the default mapping)".to_owned(),
                )
            })
        }
        (Logical::Float { bits: 64 }, Logical::Float { bits: 32 }) => Some((
            M015_FLOAT_NARROWING,
            format!(
                "{cast}: 64-bit floats rounded to 32 bits keep about 7 significant digits of 15–17"
            ),
            "cast to double precision (or numeric if the values are decimal quantities)".to_owned(),
        )),
        (Logical::Timestamp { tz: true, .. }, Logical::Timestamp { tz: false, .. }) => Some((
            M004_TIME_ZONE,
            format!("{cast}: an instant becomes a local date-time; which zone it was in is lost"),
            "cast to timestamptz, or accept and state the zone the values are in".to_owned(),
        )),
        (
            Logical::Timestamp { fraction: f, .. },
            Logical::Timestamp { fraction: t, .. },
        )
        | (Logical::Time { fraction: f }, Logical::Time { fraction: t })
            if f > t =>
        {
            Some((
            M019_FRACTION_NARROWING,
            format!(
                "{cast}: {f} digits of the fraction of a second into {t}: values are rounded half up to {} (rule C005, counted)",
                if *t == 0 { "whole seconds".to_owned() } else { format!("{t} digits") }
            ),
            format!("cast to a type keeping {f} digits, or accept after the data review shows how many values it rounds"),
        ))
        }
        _ => None,
    }
}

/// Whether a column of type `l` holds text (labels of an enum or a set included).
fn textual(l: &Logical) -> bool {
    matches!(l, Logical::Text { .. } | Logical::Enum(_) | Logical::Set(_))
}

/// M017 or M018 for a text column of a primary or unique key whose comparison changes case
/// sensitivity between the engines (the target's column under its engine's default
/// collation, as the copy creates it).
fn case_change(
    table: &crate::inventory::Table,
    source: Engine,
    target: Engine,
    column: &super::ColumnMapping,
    source_column: &crate::inventory::Column,
    entry: (&str, Option<&str>),
    line: Option<usize>,
) -> Option<Finding> {
    if source == target || !textual(&column.source) || !textual(&column.target) {
        return None;
    }
    let key = key_over(table, &source_column.name)?;
    let before = source_column.case_insensitive(source);
    let after = crate::inventory::Column::new("", "", true).case_insensitive(target);
    let key = key.join(", ");
    match (before, after) {
        (true, false) => Some(finding(
            M017_KEY_BECOMES_CASE_SENSITIVE,
            Severity::Warning,
            entry,
            line,
            format!(
                "{} is part of the key ({key}), compared without regard to case on {source}{} and with it on {target}: values that differ only in case, refused today, are accepted after the cutover, and `=` lookups stop matching across case",
                source_column.name,
                source_column.collation.as_deref().map(|c| format!(" (collation {c})")).unwrap_or_default(),
            ),
            match target {
                Engine::Postgres => "on PostgreSQL, a unique index on lower(column) with lookups on lower(), or a nondeterministic ICU collation (CREATE COLLATION … (provider = icu, locale = 'und-u-ks-level2', deterministic = false)); or accept if the application already writes one case".into(),
                _ => "a unique index on lower(column) on the target, or accept if the application already writes one case".into(),
            },
        )),
        (false, true) => Some(finding(
            M018_KEY_BECOMES_CASE_INSENSITIVE,
            Severity::Error,
            entry,
            line,
            format!(
                "{} is part of the key ({key}), compared with regard to case on {source} and without it on {target}'s default collation: source rows that differ only in case collide, and the target refuses all but one",
                source_column.name
            ),
            "cast the column to a binary or case-sensitive collation on the target (utf8mb4_bin), or accept with the data pass's count of 0".into(),
        )),
        _ => None,
    }
}

/// M020 for a text column going into a target column whose character set holds fewer
/// characters than the source's ([`super::charset::Repertoire`]).
fn charset_narrowing(
    source: Engine,
    target: Engine,
    column: &super::ColumnMapping,
    source_column: &crate::inventory::Column,
    entry: (&str, Option<&str>),
    line: Option<usize>,
) -> Option<Finding> {
    use super::charset::Repertoire;
    if !textual(&column.source) || !textual(&column.target) {
        return None;
    }
    let from = Repertoire::of_source(source, source_column)?;
    let to = Repertoire::of_target(target, &column.target_type)?;
    (to < from).then(|| {
        finding(
            M020_CHARSET_NARROWING,
            Severity::Error,
            entry,
            line,
            format!(
                "{} → {}: text in {} into {}, which cannot hold {}: such values are refused by the target (rejects)",
                source_column.data_type,
                column.target_type,
                from.name(),
                to.name(),
                to.cannot_hold()
            ),
            format!(
                "leave the character set out of the cast (the tool creates MySQL tables in utf8mb4), or accept after the data review shows no row holds a character {} lacks",
                to.name()
            ),
        )
    })
}

/// M021 for each index or unique key of `table` whose columns `rule`'s split puts in
/// different target tables (key columns are in all of them).
fn keys_across_split(table: &Table, rule: &TableRule, table_name: &str) -> Vec<Finding> {
    let keys = table
        .unique_keys
        .iter()
        .map(|k| (k, true))
        .chain(table.indexes.iter().map(|i| (&i.columns, i.unique)));
    let mut out = Vec::new();
    for (columns, unique) in keys {
        let homes: std::collections::BTreeSet<Option<usize>> = columns
            .iter()
            .filter(|c| !table.primary_key.contains(c))
            .map(|c| rule.part_of(c))
            .collect();
        if homes.len() < 2 {
            continue;
        }
        let what = if unique { "unique key" } else { "index" };
        let entry = columns.join(",");
        let columns = columns.join(", ");
        out.push(finding(
            M021_KEY_ACROSS_SPLIT,
            if unique { Severity::Error } else { Severity::Warning },
            (table_name, Some(entry.as_str())),
            Some(rule.line),
            format!("the {what} ({columns}) spans tables of the split, so the target cannot declare it and it is not created{}", if unique { ": nothing keeps those values unique after the cutover" } else { "" }),
            format!("keep the columns of the {what} in one table of the split, or accept with how the application keeps them {}", if unique { "unique" } else { "fast to look up" }),
        ));
    }
    out
}

/// The findings of the merges of `rule` (the rule of `table`): M022 for a merged table whose
/// key is not a foreign key to `table`'s, M023 for one with nullable merged columns, M006 for
/// a merged table's foreign keys that do not come along (over a column its rules drop).
fn merges(table: &Table, rule: &TableRule) -> Vec<Finding> {
    let mut out = Vec::new();
    for merge in &rule.merged {
        let merged = &merge.table;
        let name = merged.name.to_string();
        let entry = (name.as_str(), None);
        let key_is_fk = merged.foreign_keys.iter().any(|fk| {
            fk.references == table.name
                && fk.columns == merged.primary_key
                && (fk.referenced_columns.is_empty() || fk.referenced_columns == table.primary_key)
        });
        if !key_is_fk {
            out.push(finding(
                M022_MERGE_ORPHANS,
                Severity::Error,
                entry,
                Some(merge.line),
                format!("{name} is merged into {} on the key, which is not a foreign key to it: a row of {name} whose key has no row in {} has nowhere to go, and validation fails it", table.name, table.name),
                "delete or fix the orphans before the backfill (the data pass lists them), or declare the foreign key; accept with the data pass's count of 0".into(),
            ));
        }
        let nullable: Vec<&str> = merge
            .carried_columns(merged)
            .filter(|c| c.nullable)
            .map(|c| c.name.as_str())
            .collect();
        let all_nullable = merge.carried_columns(merged).all(|c| c.nullable);
        if !nullable.is_empty() && all_nullable {
            out.push(finding(
                M023_MERGE_ALL_NULL,
                Severity::Warning,
                entry,
                Some(merge.line),
                format!("every merged column of {name} ({}) may be NULL: a row holding only NULLs looks like no row once merged, so if the application changes its partner after the cutover, a rollback does not give it back", nullable.join(", ")),
                "make one merged column NOT NULL on the source, or accept with the data pass's count of such rows".into(),
            ));
        }
        for fk in &merged.foreign_keys {
            let lost = fk
                .columns
                .iter()
                .find(|c| merge.columns.get(*c).is_some_and(|r| !r.keeps_column()));
            if let Some(column) = lost {
                out.push(finding(
                    M006_FK_UNMAPPED,
                    Severity::Error,
                    (name.as_str(), Some(fk.columns.join(",").as_str())),
                    Some(merge.line),
                    format!("foreign key ({}) → {} of merged table {name}: its column {column} is not copied, so the key is not created", fk.columns.join(", "), fk.references),
                    "keep the column, or accept the lost constraint".into(),
                ));
            }
        }
    }
    out
}

/// The findings of `table`'s column rules `rules` themselves (`table_name` qualified): a
/// column a merge consumed or a split replaced (M012), a unique key over a column computed in
/// place (M014), a column computed in place (M013).
fn column_rules(
    table: &Table,
    table_name: &str,
    rules: Option<&std::collections::BTreeMap<String, super::spec::ColumnRule>>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (name, r) in rules.into_iter().flatten() {
        let entry = (table_name, Some(name.as_str()));
        let gone = match (&r.merged_into, r.split.is_empty()) {
            (Some(merged), _) => Some(format!("merged into `{merged}`")),
            (None, false) => Some(format!(
                "split into {}",
                r.split
                    .iter()
                    .map(|(p, _)| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            (None, true) => None,
        };
        if let Some(how) = gone {
            findings.push(finding(
                M012_NOT_REVERSIBLE,
                Severity::Error,
                entry,
                Some(r.line),
                format!("{name} is {how} and not copied on its own: a rollback cannot give it back to the source for rows the application writes on the target after the cutover"),
                format!("keep {name} as a column of its own (a rule for it) if the fallback period needs it, or accept with the reason a rollback may lose it"),
            ));
        }
        let unique_keys = table.unique_keys.iter().chain(
            table
                .indexes
                .iter()
                .filter(|i| i.unique)
                .map(|i| &i.columns),
        );
        for key in unique_keys.filter(|k| k.contains(name)) {
            if r.derive.is_some() && !r.new {
                findings.push(finding(
                    M014_UNIQUE_COMPUTED,
                    Severity::Error,
                    entry,
                    Some(r.line),
                    format!("{name} is computed in place and is part of the unique key ({}): source rows whose computed values are equal collide, and the target refuses all but one", key.join(", ")),
                    "make the computation keep distinct values distinct, drop the unique key on the target, or accept with the data pass's count of 0".into(),
                ));
                break;
            }
        }
        if r.derive.is_some() && !r.new {
            findings.push(finding(
                M013_COMPUTED_IN_PLACE,
                Severity::Warning,
                entry,
                Some(r.line),
                format!("{name} is computed in place ({}): the target does not keep the original value, and a rollback writes the computed one back", r.derive.as_ref().map_or("", |d| d.text.as_str())),
                "write the computed value to a new column and keep the original, if it must survive a rollback".into(),
            ));
        }
    }
    findings
}

/// The first primary or unique key (constraint or unique index) of `table` holding `column`.
fn key_over<'a>(table: &'a crate::inventory::Table, column: &str) -> Option<&'a Vec<String>> {
    std::iter::once(&table.primary_key)
        .chain(&table.unique_keys)
        .chain(
            table
                .indexes
                .iter()
                .filter(|i| i.unique)
                .map(|i| &i.columns),
        )
        .find(|k| k.iter().any(|c| c.eq_ignore_ascii_case(column)))
}

fn finding(
    code: &'static str,
    severity: Severity,
    (table, column): (&str, Option<&str>),
    line: Option<usize>,
    message: String,
    fix: String,
) -> Finding {
    Finding {
        code,
        severity,
        entry: column.map_or_else(|| table.to_owned(), |c| format!("{table}.{c}")),
        line,
        message,
        fix,
        accepted: None,
        table: table.to_owned(),
        column: column.map(str::to_owned),
        data: None,
        consumers: Vec::new(),
    }
}

/// Reviews `spec` for `inventory` moved from `source` to `target`: narrowing casts (M001
/// length, M002 precision/scale, M003 integer range), time zone loss (M004), NOT NULL over a
/// nullable source without a NULL default (M005), foreign keys into dropped or unmapped
/// tables or over dropped columns (M006), ENUM/SET into text without a CHECK (M007), views,
/// triggers and services using a table the spec renames or whose columns it renames or drops
/// (M008), a 64-bit float narrowed to 32 bits (M015) and binary floats moved across engines
/// (M016).
/// Acceptances in the spec are attached to their findings.
pub fn review(inventory: &Inventory, source: Engine, target: Engine, spec: &MappingSpec) -> Review {
    let mut findings = Vec::new();
    for table in &inventory.tables {
        if table.name.name.starts_with("_migration_studio") {
            continue;
        }
        let rule = spec.table(table);
        // A merged table's columns are reviewed with the table they are merged into.
        if rule.is_some_and(|r| r.leaves_no_table()) {
            continue;
        }
        let table_line = rule.map(|r| r.line);
        let (mapping, read) = TableMapping::mapped(source, target, table, None, rule);
        let table_name = table.name.to_string();
        findings.extend(column_rules(table, &table_name, rule.map(|r| &r.columns)));
        for merge in rule.iter().flat_map(|r| &r.merged) {
            let name = merge.table.name.to_string();
            findings.extend(column_rules(&merge.table, &name, Some(&merge.columns)));
        }
        for (column, source_column) in mapping.columns.iter().zip(&read.columns) {
            // A merged table's column is its own table's entry, where its rule is written.
            let merge = column
                .merged_from
                .and_then(|m| rule.map(|r| &r.merged[m.table]));
            let (entry_table, entry_column) = match merge {
                Some(m) => (m.table.name.to_string(), column.origin.as_str()),
                None => (table_name.clone(), column.name.as_str()),
            };
            let entry = (entry_table.as_str(), Some(entry_column));
            let line = match merge {
                Some(m) => Some(m.columns.get(entry_column).map_or(m.line, |c| c.line)),
                None => rule
                    .and_then(|r| r.columns.get(&column.name))
                    .map(|c| c.line)
                    .or(table_line),
            };
            if let Some((code, message, fix)) = narrowing(
                &column.source,
                &column.target,
                &source_column.data_type,
                &column.target_type,
            ) {
                let severity = if code == M004_TIME_ZONE {
                    Severity::Warning
                } else {
                    Severity::Error
                };
                findings.push(finding(code, severity, entry, line, message, fix));
            }
            if let (Logical::Float { .. }, Logical::Float { .. }) = (&column.source, &column.target)
            {
                if source != target {
                    let keyed = std::iter::once(&table.primary_key)
                        .chain(&table.unique_keys)
                        .any(|k| {
                            k.iter()
                                .any(|c| c.eq_ignore_ascii_case(&source_column.name))
                        });
                    findings.push(finding(
                        M016_FLOAT_EQUALITY,
                        Severity::Warning,
                        entry,
                        line,
                        format!(
                            "{} → {}: a binary float arrives bit for bit, but {source} and {target} print and parse it with their own digits (MySQL shows a FLOAT with 6 significant digits), so `=` on a literal or on its text can match other rows after the cutover{}",
                            source_column.data_type,
                            column.target_type,
                            if keyed { "; it is part of a primary or unique key, so lookups by key are affected" } else { "" }
                        ),
                        "cast to numeric(p,s) if the values are decimal quantities (prices, measures); otherwise compare with a tolerance in the application's queries. Validation compares floats by value, not by text".into(),
                    ));
                }
            }
            if let Some(f) = case_change(table, source, target, column, source_column, entry, line)
            {
                findings.push(f);
            }
            if let Some(f) = charset_narrowing(source, target, column, source_column, entry, line) {
                findings.push(f);
            }
            if column.not_null && source_column.nullable && column.null_default.is_none() {
                findings.push(finding(
                    M005_NOT_NULL,
                    Severity::Error,
                    entry,
                    line,
                    format!("the target column is NOT NULL but the source column {} is nullable and has no `null_default`: rows with NULL are refused", column.name),
                    "set `null_default`, or drop `not_null`".into(),
                ));
            }
            if let Err(not_carried) = &column.default {
                let identity =
                    matches!(not_carried, super::column_default::NotCarried::Identity(_));
                findings.push(finding(
                    // Without its generated key the application's first insert fails.
                    if identity { M009_IDENTITY_NOT_CARRIED } else { M010_DEFAULT_NOT_CARRIED },
                    if identity { Severity::Error } else { Severity::Warning },
                    entry,
                    line,
                    format!("{}: the application's inserts that omit {} will {}", not_carried.message(), column.name, if identity { "fail on the key" } else { "get NULL or be refused" }),
                    if identity {
                        "cast the column to an integer type (and make it the key on a MySQL or SQLite target), or generate the key in the application".into()
                    } else {
                        "write the default for the target engine after the backfill (ALTER TABLE … SET DEFAULT), or have the application write the column".into()
                    },
                ));
            }
            if let super::OnUpdate::NotCarried(expr) = &column.on_update {
                findings.push(finding(
                    M011_ON_UPDATE_NOT_CARRIED,
                    Severity::Warning,
                    entry,
                    line,
                    format!(
                        "ON UPDATE {expr} is not carried: the target engine has no column option for it, so rows the application updates after the cutover keep their old {}",
                        column.name
                    ),
                    format!(
                        "after the backfill, create a BEFORE UPDATE trigger on the target table that sets {} to {expr}, or have the application write it",
                        column.target_name
                    ),
                ));
            }
            if let (Logical::Enum(labels) | Logical::Set(labels), Logical::Text { .. }) =
                (&column.source, &column.target)
            {
                findings.push(finding(
                    M007_ENUM_WITHOUT_CHECK,
                    Severity::Warning,
                    entry,
                    line,
                    format!(
                        "{} labels ({}) become {} with no CHECK: the target accepts any text",
                        if matches!(column.source, Logical::Enum(_)) { "ENUM" } else { "SET" },
                        labels.join(", "),
                        column.target_type
                    ),
                    "add a CHECK constraint on the labels after the backfill (or map to an enum type)".into(),
                ));
            }
        }
        let changed: Vec<String> = rule
            .map(|r| {
                let moved = r.parts.iter().flat_map(|p| {
                    p.columns
                        .iter()
                        .map(move |c| format!("{c} moved to {}", p.qualified()))
                });
                r.columns
                    .iter()
                    .filter(|(_, c)| c.drop || c.target.is_some())
                    .map(|(name, c)| {
                        if c.drop {
                            format!("{name} dropped")
                        } else {
                            format!("{name} renamed")
                        }
                    })
                    .chain(moved)
                    .collect()
            })
            .unwrap_or_default();
        if let Some(r) = rule.filter(|r| !r.parts.is_empty()) {
            findings.extend(keys_across_split(table, r, &table_name));
        }
        if let Some(r) = rule {
            findings.extend(merges(table, r));
        }
        let renamed = rule.is_some_and(|r| r.target.is_some());
        if renamed || !changed.is_empty() {
            let consumers = consumers(inventory, table);
            if !consumers.is_empty() {
                let what = if renamed {
                    format!("the table is renamed to {}", mapping.target.name)
                } else {
                    changed.join(", ")
                };
                findings.push(finding(
                    M008_CONSUMER,
                    Severity::Warning,
                    (table_name.as_str(), None),
                    table_line,
                    format!("{what}; used by {}", consumers.join(", ")),
                    "rewrite those consumers for the target names (or keep the names)".into(),
                ));
            }
        }
        for fk in &table.foreign_keys {
            let fk_columns = fk.columns.join(",");
            let entry = (table_name.as_str(), Some(fk_columns.as_str()));
            let parent = inventory.table(&fk.references);
            let parent_dropped = parent.and_then(|p| spec.table(p)).is_some_and(|r| r.drop);
            let parent_merged = parent
                .and_then(|p| spec.table(p))
                .and_then(|r| r.merged_into.clone())
                .filter(|_| {
                    !fk.referenced_columns.is_empty()
                        && parent.is_some_and(|p| fk.referenced_columns != p.primary_key)
                });
            let message = if parent.is_none() {
                Some(format!("foreign key ({}) references {}, which is not in the inventory: it is not created", fk.columns.join(", "), fk.references))
            } else if parent_dropped {
                Some(format!("foreign key ({}) references {}, which the spec drops: it is not created and nothing checks these values", fk.columns.join(", "), fk.references))
            } else if let Some(into) = parent_merged {
                Some(format!("foreign key ({}) references columns of {} other than its key, and {} is merged into {into}: it is not created", fk.columns.join(", "), fk.references, fk.references))
            } else if mapping.target_columns(&fk.columns).is_none() {
                Some(format!(
                    "foreign key ({}) → {}: a column of it is dropped, so the key is not created",
                    fk.columns.join(", "),
                    fk.references
                ))
            } else {
                None
            };
            if let Some(message) = message {
                findings.push(finding(
                    M006_FK_UNMAPPED,
                    Severity::Error,
                    entry,
                    table_line,
                    message,
                    "map the referenced table (or keep the columns), or accept the lost constraint"
                        .into(),
                ));
            }
        }
    }
    for f in &mut findings {
        f.accepted = spec.is_accepted(f.code, &f.entry).cloned();
        if let Some(table) = inventory
            .tables
            .iter()
            .find(|t| t.name.to_string() == f.table)
        {
            f.consumers = consumers(inventory, table);
        }
    }
    findings.sort_by(|a, b| (&a.entry, a.code).cmp(&(&b.entry, b.code)));
    let blocking = findings
        .iter()
        .filter(|f| f.severity == Severity::Error && f.accepted.is_none())
        .count();
    Review {
        spec: spec.file.display().to_string(),
        findings,
        blocking,
        data_scope: None,
        upgrade: None,
    }
}

/// The views reading `table`, the triggers on or writing it, and the artifacts of the service
/// graph linked to it (`uses-table` and the like), as `view x`, `trigger y`, `service:z`.
fn consumers(inventory: &Inventory, table: &crate::inventory::Table) -> Vec<String> {
    let mut out: Vec<String> = inventory
        .views
        .iter()
        .filter(|v| v.reads.contains(&table.name))
        .map(|v| format!("view {}", v.name))
        .collect();
    out.extend(
        inventory
            .triggers
            .iter()
            .filter(|t| t.table == table.name || t.writes.contains(&table.name))
            .map(|t| format!("trigger {}", t.name)),
    );
    let id = format!("table:{}", table.name);
    out.extend(
        inventory
            .links
            .iter()
            .filter(|l| l.to == id)
            .map(|l| l.from.clone()),
    );
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(from: &str, to: &str) -> Option<&'static str> {
        narrowing(
            &Logical::of(Engine::Mysql, from),
            &Logical::of(Engine::Postgres, to),
            from,
            to,
        )
        .map(|(code, _, _)| code)
    }

    #[test]
    fn narrowing_casts_are_found_and_widening_ones_are_not() {
        assert_eq!(n("varchar(255)", "varchar(10)"), Some(M001_LENGTH));
        assert_eq!(n("text", "varchar(10)"), Some(M001_LENGTH));
        assert_eq!(n("varchar(10)", "varchar(10)"), None);
        assert_eq!(n("enum('G','PG-13')", "varchar(5)"), None);
        assert_eq!(n("enum('G','PG-13')", "varchar(4)"), Some(M001_LENGTH));
        assert_eq!(n("decimal(65,30)", "numeric(10,2)"), Some(M002_PRECISION));
        assert_eq!(n("decimal(5,2)", "numeric(6,2)"), None);
        assert_eq!(n("int unsigned", "integer"), Some(M003_INTEGER_RANGE));
        assert_eq!(n("smallint unsigned", "integer"), None);
        assert_eq!(n("bigint", "integer"), Some(M003_INTEGER_RANGE));
        assert_eq!(n("timestamp", "timestamp"), Some(M004_TIME_ZONE));
        assert_eq!(n("double", "real"), Some(M015_FLOAT_NARROWING));
        assert_eq!(n("float", "double precision"), None);
        assert_eq!(n("datetime", "timestamp"), None);
    }
}
