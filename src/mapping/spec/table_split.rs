//! A table split: one source table written as several target tables that share its primary
//! key, each holding some of its columns (a vertical split, e.g. a wide `film` whose long
//! texts move to `film_detail`).
//!
//! ```toml
//! [tables."sakila.film".split.film_detail]
//! columns = ["description", "special_features"]
//! reason = "long texts read by the catalogue page only"
//! author = "ana"
//! ```
//!
//! Every part holds the key columns; the columns listed move to the part (with their own
//! column rules: a rename, a cast or a derivation applies where the column lands), and the
//! rest stay in the main target table (the table's `target`, or its own name). A listed name
//! is a source column or a column the spec computes (a `derive` or `merge` keyed by a new
//! name); a column split moves with all its parts. Each source row becomes one row in every
//! table of the split, so the parts join back 1:1 on the key.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::{error, names, toml_key, Checker, ColumnRule, MappingError, Schema};
use crate::import::Engine;
use crate::inventory::Table;

/// One table a split makes besides the main one.
#[derive(Debug, Clone, PartialEq)]
pub struct TablePart {
    /// Target table name (bare).
    pub target: String,
    /// Target schema, when the spec names one (`schema.table`, PostgreSQL only); `None`: the
    /// main target table's schema.
    pub target_schema: Option<String>,
    /// The spec's column keys that move to this part: source columns, or computed columns
    /// keyed by their new name.
    pub columns: Vec<String>,
    /// Why.
    pub reason: String,
    /// Who decided.
    pub author: String,
    /// 1-based line of the part's key in the spec.
    pub line: usize,
}

impl TablePart {
    /// The part's target name as the spec writes it (`schema.table` or bare).
    pub fn qualified(&self) -> String {
        match &self.target_schema {
            Some(schema) => format!("{schema}.{}", self.target),
            None => self.target.clone(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPart {
    columns: Spanned<Vec<String>>,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    author: String,
}

/// A target name as the spec writes it, bare or `schema.table`, split and checked: each part
/// an identifier, a schema only for a PostgreSQL target.
pub(super) fn target_name(
    check: &Checker<'_>,
    schema: Schema<'_>,
    written: &Spanned<String>,
    field: &str,
) -> Result<(Option<String>, String), MappingError> {
    let (schema_part, name_part) = match written.get_ref().split_once('.') {
        Some((schema_part, name_part)) => (Some(schema_part), name_part),
        None => (None, written.get_ref().as_str()),
    };
    if !super::valid_identifier(name_part)
        || name_part.contains('.')
        || schema_part.is_some_and(|s| !super::valid_identifier(s))
    {
        return Err(check.err(
            error::CONFLICT,
            Some(written.span()),
            field,
            "expected a table name, bare or `schema.table` (each part 1–63 bytes, no `.`, no control characters); a bare name keeps the default schema",
        ));
    }
    if schema_part.is_some() && schema.target != Engine::Postgres {
        return Err(check.err(
            error::CONFLICT,
            Some(written.span()),
            field,
            format!(
                "a target schema needs a PostgreSQL target: a {} schema is a database of its own, and the migration writes into its one target database; give a bare name",
                schema.target
            ),
        ));
    }
    Ok((schema_part.map(str::to_owned), name_part.to_owned()))
}

/// Checks the parts of `table`'s split against the table and its column rules: the table has
/// a primary key, every listed name is a column the target gets (not a key column, not
/// dropped), and no name is listed twice.
pub(super) fn check_parts(
    check: &Checker<'_>,
    schema: Schema<'_>,
    table: &Table,
    field: &str,
    raw: BTreeMap<Spanned<String>, RawPart>,
    columns: &BTreeMap<String, ColumnRule>,
) -> Result<Vec<TablePart>, MappingError> {
    let mut parts: Vec<TablePart> = Vec::new();
    let mut placed: BTreeMap<String, String> = BTreeMap::new();
    for (key, part) in raw {
        let span = key.span();
        let pfield = format!("{field}.split.{}", toml_key(key.get_ref()));
        check.require_why(&part.reason, &part.author, span.clone(), &pfield)?;
        if table.primary_key.is_empty() {
            return Err(check.err(
                error::CONFLICT,
                Some(span),
                pfield,
                format!(
                    "{} has no primary key: the tables of a split are joined back on it, so a split needs one",
                    table.name
                ),
            ));
        }
        let (target_schema, target) = target_name(check, schema, &key, &format!("{field}.split"))?;
        let listed = part.columns.span();
        let cfield = format!("{pfield}.columns");
        if part.columns.get_ref().is_empty() {
            return Err(check.err(
                error::MISSING_FIELD,
                Some(listed),
                cfield,
                "expected at least one column to move to this table",
            ));
        }
        let mut moved = Vec::new();
        for name in part.columns.get_ref() {
            let rule = columns.get(name);
            let stored = table.column(name).map(|c| c.name.clone());
            let why_not = if table.primary_key.iter().any(|k| Some(k) == stored.as_ref()) {
                Some("is part of the primary key, which every table of the split holds")
            } else if stored.is_none() && !rule.is_some_and(|r| r.new) {
                Some("is neither a column of the table nor one the spec computes")
            } else if rule.is_some_and(|r| r.drop) {
                Some("is dropped (or consumed by a merge), so the target has no such column")
            } else {
                None
            };
            if let Some(why) = why_not {
                return Err(check.err(
                    error::UNKNOWN_COLUMN,
                    Some(listed.clone()),
                    cfield,
                    format!(
                        "`{name}` {why}; expected one of: {}",
                        names(
                            table
                                .columns
                                .iter()
                                .map(|c| c.name.clone())
                                .filter(|c| !table.primary_key.contains(c))
                        )
                    ),
                ));
            }
            let column = stored.unwrap_or_else(|| name.clone());
            if let Some(other) = placed.insert(column.clone(), target.clone()) {
                return Err(check.err(
                    error::CONFLICT,
                    Some(listed.clone()),
                    cfield,
                    format!("`{column}` is listed for `{other}` and for `{target}`"),
                ));
            }
            moved.push(column);
        }
        parts.push(TablePart {
            target,
            target_schema,
            columns: moved,
            reason: part.reason,
            author: part.author,
            line: super::line_at(check.text, span.start),
        });
    }
    Ok(parts)
}
