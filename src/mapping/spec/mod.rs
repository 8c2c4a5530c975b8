//! The mapping spec, `mapping.toml`: which source table and column goes where, as what, and why.
//! It is referenced by the manifest's optional `mapping` field; without one, every table moves
//! under the engine pair's default mapping ([`super::default_type`]), as before specs existed.
//!
//! ```toml
//! version = 1
//!
//! [tables."sakila.film"]
//! target = "movie"                 # rename (bare: the schema follows the default;
//!                                  # "catalog.movie" moves it into a schema, PostgreSQL only)
//! reason = "the product team calls them movies"
//! author = "ana"
//!
//! [tables."sakila.film".columns]
//! title = { target = "name", type = "varchar(200)", reason = "…", author = "ana" }
//! original_language_id = { drop = true, reason = "always NULL", author = "ana" }
//! rental_rate = { null_default = 0, not_null = true, reason = "…", author = "ana" }
//!
//! [[accept]]                       # a reviewer's acceptance of a review finding
//! code = "M001"
//! entry = "sakila.film.title"
//! reason = "no title is longer than 200 characters (checked 2026-12-04)"
//! author = "ben"
//! ```
//!
//! Columns can also be computed ([`super::expr`] has the expression language):
//!
//! ```toml
//! [tables."sakila.customer".columns]
//! email = { derive = "lower(email)", reason = "…", author = "ana" }       # in place
//! full_name = { merge = ["first_name", "last_name"], separator = " ", reason = "…", author = "ana" }
//! initials = { derive = "substr(first_name, 1, 1) || substr(last_name, 1, 1)", type = "char(2)", reason = "…", author = "ana" }
//!
//! [tables."sakila.address".columns]
//! address = { split = ["street_number", "street_name"], separator = " ", reason = "…", author = "ana" }
//! ```
//!
//! A `derive` keyed by a source column computes that column's value; keyed by a new name it
//! adds a target column (of `type`, or of the kind the expression yields). A `merge` adds a
//! column joining its inputs with the separator, NULLs skipped; its inputs are not copied
//! as columns of their own unless they have a rule of their own (a key column always is). A
//! `split` replaces its column by one target column per part: part `n` is the text between
//! the `n-1`th and `n`th separator, the last part holds the rest, so no character is lost.
//! Key columns are copied as they are: they can be renamed, never derived or split.
//!
//! A table or column the spec does not name keeps the default mapping, so a spec may be as
//! small as one rule. Every rule carries a `reason` and an `author`. A table can be split into
//! several target tables on its key ([`table_split`]), and tables 1:1 on the key merged into
//! one ([`table_merge`]).

pub mod table_merge;
pub mod table_split;

pub use table_merge::TableMerge;
pub use table_split::TablePart;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::error::{self, MappingError};
use super::expr::{ExprError, Expression};
use crate::data::{Cell, Logical};
use crate::import::Engine;
use crate::inventory::{Inventory, Table};

/// Default file name of a spec inside the project folder.
pub const SPEC_FILE: &str = "mapping.toml";
/// The spec format version this build reads.
pub const SPEC_VERSION: u32 = 1;

/// A parsed and checked mapping spec.
#[derive(Debug, Clone, PartialEq)]
pub struct MappingSpec {
    /// The file it was read from (for messages).
    pub file: PathBuf,
    /// Rules by source table (qualified name as the inventory prints it, e.g. `sakila.film`).
    pub tables: BTreeMap<String, TableRule>,
    /// Review findings a reviewer accepted.
    pub accepted: Vec<Acceptance>,
}

/// The rule of one source table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableRule {
    /// Target table name (bare), when renamed.
    pub target: Option<String>,
    /// Target schema, when the spec moves the table into one (`target = "catalog.film"`;
    /// PostgreSQL targets only); `None`: the default schema.
    pub target_schema: Option<String>,
    /// Whether the table is left out of the target.
    pub drop: bool,
    /// Why.
    pub reason: String,
    /// Who decided.
    pub author: String,
    /// Rules by source column name.
    pub columns: BTreeMap<String, ColumnRule>,
    /// The tables a split makes besides the main one, in the spec's order of names; empty
    /// when the table is not split.
    pub parts: Vec<TablePart>,
    /// The tables merged into this one on the key, in the spec's order of names.
    pub merged: Vec<TableMerge>,
    /// For a table merged into another, that table (qualified as the inventory prints it):
    /// the table has no target table of its own.
    pub merged_into: Option<String>,
    /// 1-based line of the table's header in the spec.
    pub line: usize,
}

impl TableRule {
    /// A rule that decides nothing (the default mapping), to record a merge on.
    fn empty() -> Self {
        Self {
            target: None,
            target_schema: None,
            drop: false,
            reason: String::new(),
            author: String::new(),
            columns: BTreeMap::new(),
            parts: Vec::new(),
            merged: Vec::new(),
            merged_into: None,
            line: 0,
        }
    }

    /// Whether the table has no target table of its own: dropped, or merged into another.
    pub fn leaves_no_table(&self) -> bool {
        self.drop || self.merged_into.is_some()
    }

    /// The index in [`Self::parts`] of the table of the split that `column` (a spec column
    /// key: a source column, or a computed column's name) moves to; `None`: the main table.
    pub fn part_of(&self, column: &str) -> Option<usize> {
        self.parts
            .iter()
            .position(|p| p.columns.iter().any(|c| c == column))
    }
}

/// The rule of one source column.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnRule {
    /// Target column name, when renamed.
    pub target: Option<String>,
    /// Target declared type, when cast away from the default.
    pub cast: Option<String>,
    /// The value a NULL becomes, as a SQL literal of the target type (a TOML string is
    /// quoted, a number or boolean written as is).
    pub null_default: Option<String>,
    /// The same value as the copy writes it in place of a NULL.
    pub null_cell: Option<Cell>,
    /// Whether the target column is NOT NULL, when the spec says (default: as the source).
    pub not_null: Option<bool>,
    /// Whether the column is left out of the target (a `drop`, or an input a `merge` consumed).
    pub drop: bool,
    /// The expression the value is computed by (`derive`, or a `merge`'s `concat_ws`).
    pub derive: Option<super::expr::Expression>,
    /// Whether the rule's key names no source column: a column only the target has, computed
    /// by [`Self::derive`].
    pub new: bool,
    /// The target columns a `split` makes of this column, with the expression of each; the
    /// column itself is then not copied.
    pub split: Vec<(String, super::expr::Expression)>,
    /// The `merge` rule (its column's name) that consumed this column, which is then not
    /// copied on its own.
    pub merged_into: Option<String>,
    /// Why.
    pub reason: String,
    /// Who decided.
    pub author: String,
    /// 1-based line of the rule in the spec.
    pub line: usize,
}

impl ColumnRule {
    /// Whether the source column is copied as a column of its own (not dropped, consumed by a
    /// merge, or split).
    pub fn keeps_column(&self) -> bool {
        !self.drop && self.split.is_empty()
    }
}

/// A review finding a reviewer accepted: it no longer fails `mapping review`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Acceptance {
    /// Finding code (`M001`…).
    pub code: String,
    /// The spec entry the finding is about (`sakila.film.title`, or a table).
    pub entry: String,
    /// Why it is acceptable.
    #[serde(default)]
    pub reason: String,
    /// Who accepted it.
    #[serde(default)]
    pub author: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    version: Spanned<u32>,
    #[serde(default)]
    tables: BTreeMap<Spanned<String>, RawTable>,
    #[serde(default)]
    accept: Vec<Spanned<Acceptance>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    target: Option<Spanned<String>>,
    #[serde(default)]
    drop: bool,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    author: String,
    #[serde(default)]
    split: BTreeMap<Spanned<String>, table_split::RawPart>,
    #[serde(default)]
    merge: BTreeMap<Spanned<String>, table_merge::RawMerge>,
    #[serde(default)]
    columns: BTreeMap<Spanned<String>, RawColumn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawColumn {
    target: Option<Spanned<String>>,
    #[serde(rename = "type")]
    cast: Option<Spanned<String>>,
    null_default: Option<Spanned<toml::Value>>,
    not_null: Option<bool>,
    #[serde(default)]
    drop: bool,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    author: String,
    derive: Option<Spanned<String>>,
    split: Option<Spanned<Vec<String>>>,
    merge: Option<Spanned<Vec<String>>>,
    separator: Option<Spanned<String>>,
}

/// What a spec is checked against: the source inventory and the engine pair.
#[derive(Debug, Clone, Copy)]
pub struct Schema<'a> {
    /// The source inventory (the project's import).
    pub inventory: &'a Inventory,
    /// Source engine.
    pub source: Engine,
    /// Target engine.
    pub target: Engine,
}

/// 1-based line of byte `offset` of `text` (bytes: a span may start inside a character).
pub(crate) fn line_at(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// A TOML key as the spec writes it: bare when it can be, else a quoted string.
pub(crate) fn toml_key(key: &str) -> String {
    if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        key.to_owned()
    } else {
        toml::Value::String(key.to_owned()).to_string()
    }
}

/// Whether `declared` is a type of `engine` the engine maps: only the characters type names
/// use (it goes into DDL as written), and a meaning other than [`Logical::Other`].
pub fn known_type(engine: Engine, declared: &str) -> bool {
    let chars_ok = !declared.trim().is_empty()
        && declared
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '(' | ')' | ',' | '_'))
        && declared.matches('(').count() == declared.matches(')').count()
        && declared.matches('(').count() <= 1;
    chars_ok && !matches!(Logical::of(engine, declared), Logical::Other(_))
}

/// Whether `name` can be a target identifier: not empty, at most 63 bytes (PostgreSQL's
/// limit), no control character. It is always quoted in DDL.
fn valid_identifier(name: &str) -> bool {
    !name.is_empty() && name.len() <= 63 && !name.chars().any(char::is_control)
}

struct Checker<'a> {
    file: &'a Path,
    text: &'a str,
}

impl Checker<'_> {
    fn err(
        &self,
        code: &'static str,
        span: Option<std::ops::Range<usize>>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> MappingError {
        MappingError::Spec {
            code,
            file: self.file.to_owned(),
            line: span.map(|s| line_at(self.text, s.start)),
            field: field.into(),
            message: message.into(),
        }
    }

    fn require_why(
        &self,
        reason: &str,
        author: &str,
        span: std::ops::Range<usize>,
        field: &str,
    ) -> Result<(), MappingError> {
        for (name, value) in [("reason", reason), ("author", author)] {
            if value.trim().is_empty() {
                return Err(self.err(
                    error::MISSING_FIELD,
                    Some(span),
                    format!("{field}.{name}"),
                    format!(
                        "every rule needs a non-empty `{name}` (a rule says why, and who decided)"
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Renders a TOML value given as a NULL default as a SQL literal.
fn sql_literal(value: &toml::Value) -> Option<String> {
    match value {
        toml::Value::String(s) => Some(format!("'{}'", s.replace('\'', "''"))),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Float(f) if f.is_finite() => Some(f.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn names(list: impl Iterator<Item = String>) -> String {
    let all: Vec<String> = list.collect();
    let shown: Vec<&str> = all.iter().take(12).map(String::as_str).collect();
    let more = all.len().saturating_sub(shown.len());
    if more > 0 {
        format!("{}, … ({more} more)", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

impl MappingSpec {
    /// Reads and checks the spec at `path` against `schema`.
    ///
    /// # Errors
    /// [`MappingError::Io`] when it cannot be read; [`MappingError::Spec`] as [`Self::parse`].
    pub fn load(path: &Path, schema: Schema<'_>) -> Result<Self, MappingError> {
        let text = std::fs::read_to_string(path).map_err(|source| MappingError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(path, &text, schema)
    }

    /// Parses `text` (the contents of `file`) and checks it against `schema`: every table and
    /// column it names exists, every type is one the target engine maps, every rule has a
    /// reason and an author, no key column is dropped, no two targets share a name.
    ///
    /// # Errors
    /// [`MappingError::Spec`] with the file, line, field and what was expected: codes
    /// [`error::SYNTAX`], [`error::UNKNOWN_TABLE`], [`error::UNKNOWN_COLUMN`],
    /// [`error::UNKNOWN_TYPE`], [`error::MISSING_FIELD`],
    /// [`error::CONFLICT`], [`error::UNKNOWN_FINDING`].
    pub fn parse(file: &Path, text: &str, schema: Schema<'_>) -> Result<Self, MappingError> {
        let check = Checker { file, text };
        let raw: RawSpec = toml::from_str(text).map_err(|e| {
            check.err(
                error::SYNTAX,
                e.span(),
                "(file)",
                e.message().trim().to_owned(),
            )
        })?;
        if *raw.version.get_ref() != SPEC_VERSION {
            return Err(check.err(
                error::SYNTAX,
                Some(raw.version.span()),
                "version",
                format!(
                    "expected version = {SPEC_VERSION}, got {}",
                    raw.version.get_ref()
                ),
            ));
        }
        let mut tables = BTreeMap::new();
        let mut target_tables: BTreeMap<String, String> = BTreeMap::new();
        let mut merges = Vec::new();
        for (key, mut raw_table) in raw.tables {
            let (key_span, name) = (key.span(), key.into_inner());
            let field = format!("tables.{}", toml_key(&name));
            let table = find_table(schema.inventory, &name)
                .ok_or_else(|| {
                    check.err(
                        error::UNKNOWN_TABLE,
                        Some(key_span.clone()),
                        &field,
                        format!(
                            "no table `{name}` in the inventory; expected a qualified name as `inventory` prints it: {}",
                            names(schema.inventory.tables.iter().map(|t| t.name.to_string()))
                        ),
                    )
                })?;
            if !raw_table.merge.is_empty() {
                merges.push(table_merge::Pending {
                    into: table.name.to_string(),
                    field: field.clone(),
                    raw: std::mem::take(&mut raw_table.merge),
                });
            }
            let rule = check_table(&check, schema, table, &field, key_span, raw_table)?;
            let main = (!rule.drop).then(|| {
                let bare = rule
                    .target
                    .clone()
                    .unwrap_or_else(|| table.name.name.clone());
                match &rule.target_schema {
                    Some(schema) => format!("{schema}.{bare}"),
                    None => bare,
                }
            });
            for target in main
                .into_iter()
                .chain(rule.parts.iter().map(TablePart::qualified))
            {
                if let Some(other) = target_tables.insert(target.to_lowercase(), name.clone()) {
                    return Err(check.err(
                        error::CONFLICT,
                        None,
                        format!("{field}.target"),
                        format!("`{name}` and `{other}` both map to the target table `{target}`"),
                    ));
                }
            }
            let resolved = table.name.to_string();
            if tables.contains_key(&resolved) {
                return Err(check.err(
                    error::CONFLICT,
                    Some(key_span_for_line(&rule, text)),
                    &field,
                    format!("a second rule for table {resolved}"),
                ));
            }
            tables.insert(resolved, rule);
        }
        // Renamed tables may now collide with tables the spec leaves as they are.
        for table in &schema.inventory.tables {
            let name = table.name.to_string();
            if tables.contains_key(&name) {
                continue;
            }
            if let Some(other) = target_tables.get(&table.name.name.to_lowercase()) {
                let line = tables.get(other).map(|r| r.line);
                return Err(MappingError::Spec {
                    code: error::CONFLICT,
                    file: file.to_owned(),
                    line,
                    field: format!("tables.{}.target", toml_key(other)),
                    message: format!(
                        "`{other}` maps a table to `{}`, the name `{name}` keeps in the target",
                        table.name.name
                    ),
                });
            }
        }
        table_merge::check_merges(&check, schema.inventory, &mut tables, merges)?;
        let mut accepted = Vec::new();
        for entry in raw.accept {
            let span = entry.span();
            let entry = entry.into_inner();
            if crate::codes::review_finding(&entry.code).is_none() {
                return Err(check.err(
                    error::UNKNOWN_FINDING,
                    Some(span),
                    "accept.code",
                    format!(
                        "no review finding `{}`; expected one of {}",
                        entry.code,
                        names(
                            crate::codes::REVIEW_FINDINGS
                                .iter()
                                .map(|f| f.code.to_owned())
                        )
                    ),
                ));
            }
            check.require_why(&entry.reason, &entry.author, span, "accept")?;
            accepted.push(entry);
        }
        Ok(Self {
            file: file.to_owned(),
            tables,
            accepted,
        })
    }

    /// The rule of `table`, when the spec has one.
    pub fn table(&self, table: &Table) -> Option<&TableRule> {
        self.tables.get(&table.name.to_string())
    }

    /// Whether finding `code` about `entry` was accepted.
    pub fn is_accepted(&self, code: &str, entry: &str) -> Option<&Acceptance> {
        self.accepted
            .iter()
            .find(|a| a.code == code && a.entry == entry)
    }

    /// Whether some column rule sets a NULL default (not yet applied by the backfill).
    pub fn has_null_defaults(&self) -> bool {
        self.tables
            .values()
            .any(|t| t.columns.values().any(|c| c.null_default.is_some()))
    }
}

/// The table a spec key names: its qualified name as the inventory prints it, or, when no
/// table has that name, the one table whose bare name is the key's last part. A spec written
/// from the DDL import (`sakila.film`) so applies to a live copy in another database
/// (`rehearsal_db.film`).
pub(crate) fn find_table<'a>(inventory: &'a Inventory, key: &str) -> Option<&'a Table> {
    if let Some(t) = inventory.tables.iter().find(|t| t.name.to_string() == key) {
        return Some(t);
    }
    let bare = key.rsplit('.').next().unwrap_or(key);
    let mut same = inventory.tables.iter().filter(|t| t.name.name == bare);
    match (same.next(), same.next()) {
        (Some(t), None) => Some(t),
        _ => None,
    }
}

/// The byte range of the start of `rule`'s line, for an error about the rule as a whole.
fn key_span_for_line(rule: &TableRule, text: &str) -> std::ops::Range<usize> {
    let start = text
        .split_inclusive('\n')
        .take(rule.line.saturating_sub(1))
        .map(str::len)
        .sum();
    start..start
}

fn check_table(
    check: &Checker<'_>,
    schema: Schema<'_>,
    table: &Table,
    field: &str,
    key_span: std::ops::Range<usize>,
    raw: RawTable,
) -> Result<TableRule, MappingError> {
    // Spans of the keys, not of the values: a table made implicitly by a dotted header
    // (`[tables."x".columns]`) has no span of its own for toml's `Spanned`.
    let span = key_span.clone();
    if raw.drop && !raw.merge.is_empty() {
        return Err(check.err(
            error::CONFLICT,
            Some(span),
            format!("{field}.merge"),
            "a dropped table has no target table to merge into; remove `drop` or the merge",
        ));
    }
    // A table entry that only holds column rules (`[tables."x".columns]`) decides nothing
    // itself; a rename or a drop does, and says why.
    if raw.target.is_some() || raw.drop {
        check.require_why(&raw.reason, &raw.author, key_span.clone(), field)?;
    }
    let mut target_schema = None;
    let mut target_name = None;
    if let Some(target) = &raw.target {
        let (schema_part, name_part) =
            table_split::target_name(check, schema, target, &format!("{field}.target"))?;
        target_schema = schema_part;
        target_name = Some(name_part);
    }
    let mut columns = BTreeMap::new();
    let mut merges = Vec::new();
    for (key, raw_column) in raw.columns {
        let (key_span, name) = (key.span(), key.into_inner());
        let cfield = format!("{field}.columns.{}", toml_key(&name));
        // A derivation or a merge may name a column only the target has.
        let computed = raw_column.derive.is_some() || raw_column.merge.is_some();
        let column_name = match table.column(&name) {
            Some(column) => column.name.clone(),
            None if computed => name.clone(),
            None => {
                return Err(check.err(
                    error::UNKNOWN_COLUMN,
                    Some(key_span.clone()),
                    &cfield,
                    format!(
                        "no column `{name}` in source table {}; expected one of: {}",
                        table.name,
                        names(table.columns.iter().map(|c| c.name.clone()))
                    ),
                ))
            }
        };
        if raw_column.merge.is_some() {
            merges.push(name.clone());
        }
        let rule = check_column(
            check,
            schema,
            table,
            &column_name,
            &cfield,
            key_span,
            raw_column,
        )?;
        columns.insert(name, rule);
    }
    // A merge's inputs are not copied as themselves, unless a rule of their own says how (or
    // they are key columns, which are always copied).
    for merged in merges {
        let rule = columns[&merged].clone();
        for input in rule.derive.iter().flat_map(|d| d.columns.clone()) {
            if columns.contains_key(&input) || table.primary_key.contains(&input) {
                continue;
            }
            columns.insert(
                input,
                ColumnRule {
                    drop: true,
                    merged_into: Some(merged.clone()),
                    reason: format!("merged into `{merged}`: {}", rule.reason),
                    ..rule.consumed()
                },
            );
        }
    }
    // A rename, a new column or a split part onto the name another column keeps.
    let mut seen = BTreeSet::new();
    for target in target_columns(table, &columns, &[]) {
        if !seen.insert(target.to_lowercase()) {
            return Err(check.err(
                error::CONFLICT,
                Some(key_span.clone()),
                format!("{field}.columns"),
                format!(
                    "two columns of {} map to the target column `{target}`",
                    table.name
                ),
            ));
        }
    }
    if raw.drop && !raw.split.is_empty() {
        return Err(check.err(
            error::CONFLICT,
            Some(key_span.clone()),
            format!("{field}.split"),
            "a dropped table has no tables to split into; remove `drop` or the split",
        ));
    }
    let parts = table_split::check_parts(check, schema, table, field, raw.split, &columns)?;
    let drop = raw.drop;
    Ok(TableRule {
        target: target_name,
        target_schema,
        drop,
        reason: raw.reason,
        author: raw.author,
        columns,
        parts,
        merged: Vec::new(),
        merged_into: None,
        line: line_at(check.text, key_span.start),
    })
}

/// The target column names `table`'s columns get under `columns` (its column rules): the
/// columns it keeps, renamed where a rule says, except those named in `skip`; then the
/// columns only the target has and the parts of split columns.
fn target_columns(
    table: &Table,
    columns: &BTreeMap<String, ColumnRule>,
    skip: &[String],
) -> Vec<String> {
    let kept = table
        .columns
        .iter()
        .filter(|c| !skip.contains(&c.name))
        .filter_map(|column| {
            let rule = columns.get(&column.name);
            match rule {
                Some(r) if !r.keeps_column() => None,
                _ => Some(
                    rule.and_then(|r| r.target.clone())
                        .unwrap_or_else(|| column.name.clone()),
                ),
            }
        });
    let added = columns.iter().flat_map(|(name, rule)| {
        let new = rule
            .new
            .then(|| rule.target.clone().unwrap_or_else(|| name.clone()));
        new.into_iter()
            .chain(rule.split.iter().map(|(part, _)| part.clone()))
    });
    kept.chain(added).collect()
}

fn check_column(
    check: &Checker<'_>,
    schema: Schema<'_>,
    table: &Table,
    source_name: &str,
    field: &str,
    key_span: std::ops::Range<usize>,
    raw: RawColumn,
) -> Result<ColumnRule, MappingError> {
    let span = key_span.clone();
    check.require_why(&raw.reason, &raw.author, key_span.clone(), field)?;
    if raw.drop {
        if table.primary_key.iter().any(|k| k == source_name) {
            return Err(check.err(
                error::CONFLICT,
                Some(key_span),
                format!("{field}.drop"),
                format!(
                    "`{source_name}` is part of the primary key of {}; a key column cannot be dropped",
                    table.name
                ),
            ));
        }
        if raw.target.is_some()
            || raw.cast.is_some()
            || raw.null_default.is_some()
            || raw.not_null.is_some()
            || raw.derive.is_some()
            || raw.merge.is_some()
            || raw.split.is_some()
        {
            return Err(check.err(
                error::CONFLICT,
                Some(span),
                field,
                "a dropped column takes no `target`, `type`, `null_default`, `not_null`, `derive`, `merge` or `split`",
            ));
        }
    }
    let (derive, split) = computed(
        check,
        schema,
        table,
        source_name,
        field,
        key_span.clone(),
        &raw,
    )?;
    let new = table.column(source_name).is_none();
    if let Some(target) = &raw.target {
        if !valid_identifier(target.get_ref()) {
            return Err(check.err(
                error::CONFLICT,
                Some(target.span()),
                format!("{field}.target"),
                "expected a column name of 1–63 bytes without control characters",
            ));
        }
    }
    if let Some(cast) = &raw.cast {
        // The default type is the catalog's own (verbatim for a same-engine move, e.g. an
        // array or a domain): always accepted, so `mapping init`'s output loads back.
        let default = table.column(source_name).map(|c| {
            let logical = Logical::of(schema.source, &c.data_type);
            super::default_type(schema.source, schema.target, &c.data_type, &logical)
        });
        if default.as_deref() != Some(cast.get_ref().as_str())
            && !known_type(schema.target, cast.get_ref())
        {
            return Err(check.err(
                error::UNKNOWN_TYPE,
                Some(cast.span()),
                format!("{field}.type"),
                format!(
                    "`{}` is not a {} type this tool maps; expected e.g. integer, bigint, numeric(10,2), varchar(255), text, boolean, date, timestamp, timestamptz, bytea, json",
                    cast.get_ref(),
                    schema.target
                ),
            ));
        }
    }
    let null_cell = raw.null_default.as_ref().map(|v| match v.get_ref() {
        toml::Value::Integer(i) => Cell::Int(*i),
        toml::Value::Float(f) => Cell::Float(*f),
        toml::Value::Boolean(b) => Cell::Bool(*b),
        other => Cell::Text(other.as_str().unwrap_or_default().to_owned()),
    });
    let null_default = match raw.null_default {
        None => None,
        Some(value) => Some(sql_literal(value.get_ref()).ok_or_else(|| {
            check.err(
                error::SYNTAX,
                Some(value.span()),
                format!("{field}.null_default"),
                "expected a string, a number or a boolean",
            )
        })?),
    };
    Ok(ColumnRule {
        target: raw.target.map(Spanned::into_inner),
        cast: raw.cast.map(|c| c.into_inner().trim().to_owned()),
        null_default,
        null_cell,
        not_null: raw.not_null,
        drop: raw.drop,
        derive,
        new,
        split,
        merged_into: None,
        reason: raw.reason,
        author: raw.author,
        line: line_at(check.text, key_span.start),
    })
}

impl ColumnRule {
    /// A rule that only says a column is not copied, by the author and at the line of `self`.
    fn consumed(&self) -> Self {
        Self {
            target: None,
            cast: None,
            null_default: None,
            null_cell: None,
            not_null: None,
            drop: true,
            derive: None,
            new: false,
            split: Vec::new(),
            merged_into: None,
            reason: String::new(),
            author: self.author.clone(),
            line: self.line,
        }
    }
}

/// The `derive`, `merge` or `split` of a column rule, checked: at most one of them, never on
/// a key column, expressions that parse and type-check against `table` (error
/// [`error::EXPRESSION`] with the line of the rule).
#[allow(clippy::type_complexity)]
fn computed(
    check: &Checker<'_>,
    schema: Schema<'_>,
    table: &Table,
    name: &str,
    field: &str,
    key_span: std::ops::Range<usize>,
    raw: &RawColumn,
) -> Result<(Option<Expression>, Vec<(String, Expression)>), MappingError> {
    let given: Vec<&str> = [
        ("derive", raw.derive.is_some()),
        ("merge", raw.merge.is_some()),
        ("split", raw.split.is_some()),
    ]
    .into_iter()
    .filter_map(|(what, present)| present.then_some(what))
    .collect();
    if given.len() > 1 {
        return Err(check.err(
            error::CONFLICT,
            Some(key_span),
            field,
            format!(
                "a rule takes one of `derive`, `merge` or `split`, not {}",
                given.join(" and ")
            ),
        ));
    }
    if given.is_empty() {
        if raw.separator.is_some() {
            return Err(check.err(
                error::CONFLICT,
                Some(key_span),
                format!("{field}.separator"),
                "`separator` goes with `merge` or `split`",
            ));
        }
        return Ok((None, Vec::new()));
    }
    if table.primary_key.iter().any(|k| k == name) {
        return Err(check.err(
            error::CONFLICT,
            Some(key_span),
            format!("{field}.{}", given[0]),
            format!("`{name}` is part of the primary key of {}: key values are copied as they are (rename it, never derive or split it)", table.name),
        ));
    }
    let expression_error = |span: std::ops::Range<usize>, what: &str, e: ExprError| {
        check.err(
            error::EXPRESSION,
            Some(span),
            format!("{field}.{what}"),
            e.to_string(),
        )
    };
    let separator = |what: &str| -> Result<String, MappingError> {
        match &raw.separator {
            Some(sep) if !sep.get_ref().is_empty() => Ok(sep.get_ref().clone()),
            _ => Err(check.err(
                error::MISSING_FIELD,
                Some(key_span.clone()),
                format!("{field}.separator"),
                format!("a `{what}` needs a non-empty `separator`"),
            )),
        }
    };
    if let Some(text) = &raw.derive {
        let expr = Expression::parse(text.get_ref(), table, schema.source)
            .map_err(|e| expression_error(text.span(), "derive", e))?;
        return Ok((Some(expr), Vec::new()));
    }
    if let Some(inputs) = &raw.merge {
        if inputs.get_ref().len() < 2 {
            return Err(check.err(
                error::CONFLICT,
                Some(inputs.span()),
                format!("{field}.merge"),
                "a merge joins two columns or more",
            ));
        }
        let expr = Expression::merge(inputs.get_ref(), &separator("merge")?, table, schema.source)
            .map_err(|e| expression_error(inputs.span(), "merge", e))?;
        return Ok((Some(expr), Vec::new()));
    }
    let Some(parts) = &raw.split else {
        unreachable!("one of the three is given")
    };
    if table.column(name).is_none() {
        return Err(check.err(
            error::UNKNOWN_COLUMN,
            Some(key_span),
            field,
            format!("a split needs a column of {} to split", table.name),
        ));
    }
    if parts.get_ref().len() < 2 || parts.get_ref().iter().any(|p| !valid_identifier(p)) {
        return Err(check.err(
            error::CONFLICT,
            Some(parts.span()),
            format!("{field}.split"),
            "a split makes two target columns or more, each a column name of 1–63 bytes",
        ));
    }
    let sep = separator("split")?;
    let n = parts.get_ref().len();
    let split = parts
        .get_ref()
        .iter()
        .enumerate()
        .map(|(i, part)| {
            Expression::split(name, &sep, i + 1, n, table, schema.source)
                .map(|e| (part.clone(), e))
                .map_err(|e| expression_error(parts.span(), "split", e))
        })
        .collect::<Result<_, _>>()?;
    Ok((None, split))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{Column, QualifiedName};

    fn inventory() -> Inventory {
        let mut film = Table::new(QualifiedName::new(Some("sakila"), "film"));
        film.columns = vec![
            Column::new("film_id", "SMALLINT UNSIGNED", false),
            Column::new("title", "VARCHAR(255)", false),
            Column::new("note", "TEXT", true),
        ];
        film.primary_key = vec!["film_id".into()];
        let mut actor = Table::new(QualifiedName::new(Some("sakila"), "actor"));
        actor.columns = vec![Column::new("actor_id", "INT", false)];
        actor.primary_key = vec!["actor_id".into()];
        let mut film_text = Table::new(QualifiedName::new(Some("sakila"), "film_text"));
        film_text.columns = vec![
            Column::new("film_id", "SMALLINT", false),
            Column::new("title", "VARCHAR(255)", false),
            Column::new("description", "TEXT", true),
        ];
        film_text.primary_key = vec!["film_id".into()];
        Inventory {
            tables: vec![actor, film, film_text],
            ..Inventory::default()
        }
    }

    fn parse(text: &str) -> Result<MappingSpec, MappingError> {
        let inventory = inventory();
        MappingSpec::parse(
            Path::new("mapping.toml"),
            text,
            Schema {
                inventory: &inventory,
                source: Engine::Mysql,
                target: Engine::Postgres,
            },
        )
    }

    fn code(text: &str) -> (&'static str, Option<usize>) {
        match parse(text) {
            Err(MappingError::Spec { code, line, .. }) => (code, line),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_table_merge_joins_on_the_key_and_refuses_what_cannot_be_merged() {
        let merge = |into: &str, merged: &str, extra: &str| {
            format!("version = 1\n{extra}[tables.\"{into}\".merge.\"{merged}\"]\nreason = \"r\"\nauthor = \"a\"\n")
        };
        let renamed = "[tables.\"sakila.film_text\".columns]\ntitle = { target = \"text_title\", reason = \"r\", author = \"a\" }\n";
        let spec = parse(&merge("sakila.film", "sakila.film_text", renamed)).unwrap();
        let merged = &spec.tables["sakila.film"].merged[0];
        assert_eq!(
            (merged.table.name.to_string(), merged.line),
            ("sakila.film_text".to_owned(), 4)
        );
        assert_eq!(
            spec.tables["sakila.film_text"].merged_into.as_deref(),
            Some("sakila.film")
        );
        // `title` lands on film's own `title`; an unknown table; itself; no key on one side
        // (actor's key is one column, so its length matches: refused for the name clash
        // instead, none there); merged twice; a merged table renamed by its own entry.
        assert_eq!(
            code(&merge("sakila.film", "sakila.film_text", "")),
            (error::CONFLICT, Some(2))
        );
        assert_eq!(
            code(&merge("sakila.film", "sakila.nope", "")),
            (error::UNKNOWN_TABLE, Some(2))
        );
        assert_eq!(
            code(&merge("sakila.film", "sakila.film", "")).0,
            error::CONFLICT
        );
        assert_eq!(
            code(&format!("{}[tables.\"sakila.actor\".merge.\"sakila.film_text\"]\nreason = \"r\"\nauthor = \"a\"\n", merge("sakila.film", "sakila.film_text", renamed))).0,
            error::CONFLICT
        );
        assert_eq!(
            code(&merge(
                "sakila.film",
                "sakila.film_text",
                "[tables.\"sakila.film_text\"]\ntarget = \"ft\"\nreason = \"r\"\nauthor = \"a\"\n"
            ))
            .0,
            error::CONFLICT
        );
        // Into a table that is itself merged.
        assert_eq!(
            code(&format!("{}[tables.\"sakila.film_text\".merge.\"sakila.actor\"]\nreason = \"r\"\nauthor = \"a\"\n", merge("sakila.film", "sakila.film_text", renamed))).0,
            error::CONFLICT
        );
    }

    #[test]
    fn a_table_split_moves_the_listed_columns_and_refuses_what_cannot_be_split() {
        let split = |columns: &str, extra: &str| {
            format!("version = 1\n{extra}[tables.\"sakila.film\".split.film_note]\ncolumns = {columns}\nreason = \"r\"\nauthor = \"a\"\n")
        };
        let spec = parse(&split("[\"note\"]", "")).unwrap();
        let part = &spec.tables["sakila.film"].parts[0];
        assert_eq!(
            (part.target.as_str(), part.columns.as_slice(), part.line),
            ("film_note", ["note".to_owned()].as_slice(), 2)
        );
        // A key column (every table of the split holds it), a column the table lacks, none.
        assert_eq!(
            code(&split("[\"film_id\"]", "")),
            (error::UNKNOWN_COLUMN, Some(3))
        );
        assert_eq!(
            code(&split("[\"nope\"]", "")),
            (error::UNKNOWN_COLUMN, Some(3))
        );
        assert_eq!(code(&split("[]", "")), (error::MISSING_FIELD, Some(3)));
        // A dropped column; a column in two tables of the split.
        assert_eq!(
            code(&split("[\"note\"]", "[tables.\"sakila.film\".columns]\nnote = { drop = true, reason = \"r\", author = \"a\" }\n")).0,
            error::UNKNOWN_COLUMN
        );
        assert_eq!(
            code(&format!("{}[tables.\"sakila.film\".split.film_more]\ncolumns = [\"note\"]\nreason = \"r\"\nauthor = \"a\"\n", split("[\"note\"]", ""))).0,
            error::CONFLICT
        );
        // A part named as a table the target keeps; no reason.
        assert_eq!(
            code("version = 1\n[tables.\"sakila.film\".split.actor]\ncolumns = [\"note\"]\nreason = \"r\"\nauthor = \"a\"\n").0,
            error::CONFLICT
        );
        assert_eq!(
            code("version = 1\n[tables.\"sakila.film\".split.film_note]\ncolumns = [\"note\"]\n").0,
            error::MISSING_FIELD
        );
        // A computed column, keyed by its new name, can move too.
        let spec = parse(&split(
            "[\"upper_title\"]",
            "[tables.\"sakila.film\".columns]\nupper_title = { derive = \"upper(title)\", reason = \"r\", author = \"a\" }\n",
        ))
        .unwrap();
        assert_eq!(spec.tables["sakila.film"].parts[0].columns, ["upper_title"]);
    }

    #[test]
    fn a_small_spec_names_only_what_changes_and_a_bare_name_finds_its_table() {
        let spec = parse(
            "version = 1\n[tables.film.columns]\ntitle = { target = \"name\", type = \"text\", null_default = \"?\", reason = \"r\", author = \"a\" }\n",
        )
        .unwrap();
        let rule = &spec.tables["sakila.film"].columns["title"];
        assert_eq!(rule.target.as_deref(), Some("name"));
        assert_eq!(rule.null_default.as_deref(), Some("'?'"));
        assert_eq!(rule.line, 3);
    }

    #[test]
    fn contradictions_are_refused_with_their_line() {
        let head = "version = 1\n";
        // Two columns onto one name.
        assert_eq!(
            code(&format!("{head}[tables.\"sakila.film\".columns]\ntitle = {{ target = \"note\", reason = \"r\", author = \"a\" }}\n")),
            (error::CONFLICT, Some(2))
        );
        // A rename onto a table that keeps its name.
        assert_eq!(
            code(&format!("{head}[tables.\"sakila.film\"]\ntarget = \"actor\"\nreason = \"r\"\nauthor = \"a\"\n")).0,
            error::CONFLICT
        );
        // A rename without a reason.
        assert_eq!(
            code(&format!(
                "{head}[tables.\"sakila.film\"]\ntarget = \"movie\"\n"
            )),
            (error::MISSING_FIELD, Some(2))
        );
        // An acceptance of a code that is no review finding; a wrong version.
        assert_eq!(
            code(&format!("{head}[[accept]]\ncode = \"X1\"\nentry = \"sakila.film\"\nreason = \"r\"\nauthor = \"a\"\n")).0,
            error::UNKNOWN_FINDING
        );
        assert_eq!(code("version = 2\n"), (error::SYNTAX, Some(1)));
        // A NULL default that is not a scalar.
        assert_eq!(
            code(&format!("{head}[tables.\"sakila.film\".columns]\nnote = {{ null_default = [1], reason = \"r\", author = \"a\" }}\n")),
            (error::SYNTAX, Some(3))
        );
    }

    #[test]
    fn only_type_names_pass_as_types() {
        assert!(known_type(Engine::Postgres, "numeric(10,2)"));
        assert!(known_type(Engine::Postgres, "timestamp with time zone"));
        assert!(!known_type(Engine::Postgres, "text); drop table x; --"));
        assert!(!known_type(Engine::Postgres, "varchr(10)"));
        assert!(!known_type(Engine::Postgres, "int'"));
    }
}
