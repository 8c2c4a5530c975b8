//! Editing or removing one column rule of the project's spec, as the Mapping screen does: only
//! that rule's text changes (every other byte of the file, comments included, is kept), the
//! new text is checked as a whole before it replaces the file, and a refused edit writes
//! nothing. The answer is the new view (review included) and what the edit changed in the
//! target DDL.

use serde::{Deserialize, Serialize};

use super::diff::DdlDiff;
use super::view::{view_against, DataSource, MappingView};
use super::{load_required, schema, spec_path, write_inside};
use crate::mapping::ddl::{line_diff, target_ddl};
use crate::mapping::error::{self, MappingError};
use crate::mapping::spec::{find_table, toml_key};
use crate::mapping::MappingSpec;
use crate::project::Project;

/// A field of a column rule, as the spec spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleField {
    /// `target`: the target column's name (a rename).
    Target,
    /// `type`: the target column's declared type (a cast).
    Type,
    /// `null_default`: what a NULL becomes.
    NullDefault,
    /// `not_null`: `true` or `false`.
    NotNull,
    /// `drop`: `true` or `false`.
    Drop,
    /// `derive`: the expression the value is computed by.
    Derive,
    /// `reason`: why.
    Reason,
    /// `author`: who decided.
    Author,
}

impl RuleField {
    /// The key in the spec.
    pub fn key(self) -> &'static str {
        match self {
            Self::Target => "target",
            Self::Type => "type",
            Self::NullDefault => "null_default",
            Self::NotNull => "not_null",
            Self::Drop => "drop",
            Self::Derive => "derive",
            Self::Reason => "reason",
            Self::Author => "author",
        }
    }
}

/// Sets or clears one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// The field.
    pub field: RuleField,
    /// The new value; `None` removes the field from the rule. `not_null` and `drop` take
    /// `true`/`false`; `null_default` takes a TOML value (`0`, `true`, `"n/a"`), and text that
    /// is not one is written as a string; the others are written as strings.
    pub value: Option<String>,
}

/// An edit of the rule of `column` of `table`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleEdit {
    /// Source table, qualified as the inventory names it (`sakila.film`).
    pub table: String,
    /// Source column (or the name of a column only the target has).
    pub column: String,
    /// What to set or clear, in order.
    pub changes: Vec<FieldChange>,
}

/// What an edit did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Edited {
    /// The view after the edit (its review with the data pass when one was asked for).
    pub view: MappingView,
    /// The target DDL before and after the edit.
    pub diff: DdlDiff,
}

/// Applies `edit` to the project's spec and returns the new view and the DDL diff; with
/// `data`, the view's review runs its data pass there.
///
/// # Errors
/// [`MappingError::Spec`] (code, line, field) when the edited spec would be refused or a value
/// is not what its field takes: nothing is written then; as [`super::load_required`] and
/// [`view_against`].
pub async fn edit_rule(
    project: &Project,
    edit: &RuleEdit,
    data: Option<DataSource<'_>>,
) -> Result<Edited, MappingError> {
    let (inventory, old, path, text) = open_spec(project).await?;
    let refuse = |field: String, message: String| MappingError::Spec {
        code: error::SYNTAX,
        file: path.clone(),
        line: None,
        field,
        message,
    };
    let table = find_table(&inventory, &edit.table).ok_or_else(|| MappingError::Spec {
        code: error::UNKNOWN_TABLE,
        file: path.clone(),
        line: None,
        field: format!("tables.{}", toml_key(&edit.table)),
        message: format!("no table `{}` in the inventory", edit.table),
    })?;
    let field = format!(
        "tables.{}.columns.{}",
        toml_key(&table.name.to_string()),
        toml_key(&edit.column)
    );
    let mut doc: toml_edit::Document = text
        .parse()
        .map_err(|e: toml_edit::TomlError| refuse("(file)".into(), e.to_string()))?;
    let tables = doc
        .entry("tables")
        .or_insert_with(|| toml_edit::Item::Table(implicit_table()))
        .as_table_like_mut()
        .ok_or_else(|| refuse("tables".into(), "expected a table".into()))?;
    // The spec may name the table as the inventory prints it or by a bare name it resolves.
    let key = tables
        .iter()
        .map(|(k, _)| k.to_owned())
        .find(|k| find_table(&inventory, k).is_some_and(|t| t.name == table.name))
        .unwrap_or_else(|| table.name.to_string());
    let table_item = tables.entry(&key).or_insert_with(|| {
        let mut t = toml_edit::Table::new();
        for change in &edit.changes {
            if let (RuleField::Reason | RuleField::Author, Some(v)) = (change.field, &change.value)
            {
                t.insert(change.field.key(), toml_edit::value(v.as_str()));
            }
        }
        toml_edit::Item::Table(t)
    });
    let columns = table_item
        .as_table_like_mut()
        .ok_or_else(|| {
            refuse(
                format!("tables.{}", toml_key(&key)),
                "expected a table".into(),
            )
        })?
        .entry("columns")
        .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()))
        .as_table_like_mut()
        .ok_or_else(|| {
            refuse(
                format!("tables.{}.columns", toml_key(&key)),
                "expected a table".into(),
            )
        })?;
    let rule = columns
        .entry(&edit.column)
        .or_insert_with(|| toml_edit::value(toml_edit::InlineTable::new()))
        .as_table_like_mut()
        .ok_or_else(|| {
            refuse(
                field.clone(),
                "expected a table of the rule's fields".into(),
            )
        })?;
    for change in &edit.changes {
        let name = change.field.key();
        match &change.value {
            None => {
                rule.remove(name);
            }
            Some(v) => {
                let mut value = field_value(change.field, v).ok_or_else(|| {
                    refuse(
                        format!("{field}.{name}"),
                        format!("expected true or false, got `{v}`"),
                    )
                })?;
                value.decor_mut().clear();
                rule.insert(name, toml_edit::Item::Value(value));
            }
        }
    }
    // Only this rule is laid out again (`{ key = value, … }`); the rest of the file is kept.
    rule.fmt();
    replace_spec(project, &inventory, &old, &path, doc.to_string(), data).await
}

/// Removes the rule of `column` of `table` from the project's spec: a source column goes
/// back to the default mapping, a column only the target has (a computed one) is no longer
/// made. Every other byte of the file is kept; the new text is checked as a whole before it
/// replaces the file (a merge still reading the column refuses it), and a refused removal
/// writes nothing. The answer is as [`edit_rule`]'s.
///
/// # Errors
/// [`MappingError::Spec`] ([`error::UNKNOWN_COLUMN`]) when the spec has no rule for the
/// column, or as [`edit_rule`].
pub async fn remove_rule(
    project: &Project,
    table: &str,
    column: &str,
    data: Option<DataSource<'_>>,
) -> Result<Edited, MappingError> {
    let (inventory, old, path, text) = open_spec(project).await?;
    let refuse = |code: &'static str, field: String, message: String| MappingError::Spec {
        code,
        file: path.clone(),
        line: None,
        field,
        message,
    };
    let found = find_table(&inventory, table).ok_or_else(|| {
        refuse(
            error::UNKNOWN_TABLE,
            format!("tables.{}", toml_key(table)),
            format!("no table `{table}` in the inventory"),
        )
    })?;
    let field = format!(
        "tables.{}.columns.{}",
        toml_key(&found.name.to_string()),
        toml_key(column)
    );
    let mut doc: toml_edit::Document = text
        .parse()
        .map_err(|e: toml_edit::TomlError| refuse(error::SYNTAX, "(file)".into(), e.to_string()))?;
    let removed = doc
        .get_mut("tables")
        .and_then(|t| t.as_table_like_mut())
        .and_then(|tables| {
            let key = tables
                .iter()
                .map(|(k, _)| k.to_owned())
                .find(|k| find_table(&inventory, k).is_some_and(|t| t.name == found.name))?;
            tables
                .get_mut(&key)?
                .as_table_like_mut()?
                .get_mut("columns")?
                .as_table_like_mut()?
                .remove(column)
        });
    if removed.is_none() {
        return Err(refuse(
            error::UNKNOWN_COLUMN,
            field,
            format!("the spec has no rule for `{column}` of {}", found.name),
        ));
    }
    replace_spec(project, &inventory, &old, &path, doc.to_string(), data).await
}

/// The project's inventory, its spec as loaded, the spec's path and its text.
async fn open_spec(
    project: &Project,
) -> Result<
    (
        crate::inventory::Inventory,
        MappingSpec,
        std::path::PathBuf,
        String,
    ),
    MappingError,
> {
    let (inventory, old) = load_required(project).await?;
    let path = spec_path(project);
    let text = std::fs::read_to_string(&path).map_err(|source| MappingError::Io {
        path: path.clone(),
        source,
    })?;
    Ok((inventory, old, path, text))
}

/// Checks `new_text` as a whole spec, writes it over the project's spec at `path` and answers
/// with the new view and the DDL diff from `old`; a refused text writes nothing.
async fn replace_spec(
    project: &Project,
    inventory: &crate::inventory::Inventory,
    old: &MappingSpec,
    path: &std::path::Path,
    mut new_text: String,
    data: Option<DataSource<'_>>,
) -> Result<Edited, MappingError> {
    if !new_text.ends_with('\n') {
        new_text.push('\n');
    }
    let new = MappingSpec::parse(path, &new_text, schema(project, inventory))?;
    let m = project.manifest();
    let (from, to) = (m.source.engine, m.target.engine);
    let before = target_ddl(inventory, from, to, Some(old));
    let after = target_ddl(inventory, from, to, Some(&new));
    write_inside(path, &new_text)?;
    let name = path.display().to_string();
    let diff = DdlDiff {
        before_from: format!("{name} before the edit"),
        after_from: name,
        diff: line_diff(&before, &after),
        before,
        after,
    };
    Ok(Edited {
        view: view_against(project, inventory, &new, data).await?,
        diff,
    })
}

/// A table with no header of its own (`[tables.x]` headers carry it).
fn implicit_table() -> toml_edit::Table {
    let mut t = toml_edit::Table::new();
    t.set_implicit(true);
    t
}

/// The TOML value `text` stands for in `field`; `None` when a boolean field is given anything
/// but `true` or `false`.
fn field_value(field: RuleField, text: &str) -> Option<toml_edit::Value> {
    let text_value = || toml_edit::Value::from(text);
    match field {
        RuleField::NotNull | RuleField::Drop => match text.trim() {
            "true" => Some(true.into()),
            "false" => Some(false.into()),
            _ => None,
        },
        RuleField::NullDefault => Some(
            text.trim()
                .parse::<toml_edit::Value>()
                .ok()
                .filter(|v| {
                    !matches!(
                        v,
                        toml_edit::Value::Array(_) | toml_edit::Value::InlineTable(_)
                    )
                })
                .unwrap_or_else(text_value),
        ),
        _ => Some(text_value()),
    }
}
