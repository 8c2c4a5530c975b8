//! `mapping accept`: a reviewer accepts a review finding with a reason. The acceptance is
//! appended to the spec as an `[[accept]]` entry (comments and layout kept), where the review
//! and every export show it.

use super::{load_required, schema, spec_path, write_inside};
use crate::mapping::spec::Acceptance;
use crate::mapping::{MappingError, MappingSpec};
use crate::project::Project;

/// Accepts finding `code` about `entry` (as `mapping review` prints them) with `reason`, by
/// `author`. Accepting a finding already accepted replaces nothing and returns the stored one.
///
/// # Errors
/// [`MappingError::NotAFinding`] when the current review has no such finding;
/// [`MappingError::Spec`] when the reason or author is empty (the spec would be refused);
/// as [`super::load_required`].
pub async fn accept(
    project: &Project,
    code: &str,
    entry: &str,
    reason: &str,
    author: &str,
) -> Result<Acceptance, MappingError> {
    let (inventory, spec) = load_required(project).await?;
    let m = project.manifest();
    let review =
        crate::mapping::review::review(&inventory, m.source.engine, m.target.engine, &spec);
    let finding = review
        .findings
        .iter()
        .find(|f| f.code == code && f.entry == entry)
        .ok_or_else(|| MappingError::NotAFinding {
            code: code.to_owned(),
            entry: entry.to_owned(),
        })?;
    if let Some(accepted) = &finding.accepted {
        return Ok(accepted.clone());
    }
    let path = spec_path(project);
    let text = std::fs::read_to_string(&path).map_err(|source| MappingError::Io {
        path: path.clone(),
        source,
    })?;
    let acceptance = Acceptance {
        code: code.to_owned(),
        entry: entry.to_owned(),
        reason: reason.trim().to_owned(),
        author: author.trim().to_owned(),
    };
    let mut doc: toml_edit::Document =
        text.parse()
            .map_err(|e: toml_edit::TomlError| MappingError::Spec {
                code: crate::mapping::error::SYNTAX,
                file: path.clone(),
                line: None,
                field: "(file)".into(),
                message: e.to_string(),
            })?;
    let mut table = toml_edit::Table::new();
    table.insert("code", toml_edit::value(&acceptance.code));
    table.insert("entry", toml_edit::value(&acceptance.entry));
    table.insert("reason", toml_edit::value(&acceptance.reason));
    table.insert("author", toml_edit::value(&acceptance.author));
    match doc
        .entry("accept")
        .or_insert_with(|| toml_edit::Item::ArrayOfTables(toml_edit::ArrayOfTables::new()))
        .as_array_of_tables_mut()
    {
        Some(list) => list.push(table),
        None => {
            return Err(MappingError::Spec {
                code: crate::mapping::error::SYNTAX,
                file: path,
                line: None,
                field: "accept".into(),
                message: "expected `accept` to be an array of tables ([[accept]])".into(),
            })
        }
    }
    let mut new_text = doc.to_string();
    if !new_text.ends_with('\n') {
        new_text.push('\n');
    }
    // Checked as a whole before it replaces the file: an empty reason is refused here.
    MappingSpec::parse(&path, &new_text, schema(project, &inventory))?;
    write_inside(&path, &new_text)?;
    Ok(acceptance)
}
