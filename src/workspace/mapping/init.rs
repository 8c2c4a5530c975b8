//! `mapping init`: writes the project's starting spec ([`crate::mapping::init`]) and points the
//! manifest at it.

use std::path::PathBuf;

use serde::Serialize;

use super::{schema, spec_path, write_inside};
use crate::mapping::init::starting_spec;
use crate::mapping::{MappingError, MappingSpec, SPEC_FILE};
use crate::project::{Manifest, Project, ProjectError};

/// What `mapping init` wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Initialised {
    /// The spec file.
    pub path: PathBuf,
    /// Tables with a rule.
    pub tables: usize,
    /// Columns with a rule.
    pub columns: usize,
    /// Whether the manifest's `mapping` field was added.
    pub manifest_updated: bool,
}

/// Writes the starting spec of `project` (its inventory under the default mapping of its
/// engine pair, every rule with its reason and source) to the manifest's `mapping` path, or
/// `mapping.toml` (then added to the manifest, comments kept). The spec is loaded back and
/// checked before anything is written.
///
/// # Errors
/// [`MappingError::Exists`] when a spec is there and `force` is not set;
/// [`MappingError::Project`] (store, import, manifest); [`MappingError::Io`].
pub async fn init(project: &Project, force: bool) -> Result<Initialised, MappingError> {
    let path = spec_path(project);
    if path.exists() && !force {
        return Err(MappingError::Exists(path));
    }
    let inventory = project.inventory().await?;
    let manifest = project.manifest();
    let text = starting_spec(
        &manifest.name,
        &inventory,
        manifest.source.engine,
        manifest.target.engine,
    );
    let spec = MappingSpec::parse(&path, &text, schema(project, &inventory))?;
    let new_manifest = match manifest.mapping {
        Some(_) => None,
        None => Some(with_mapping_field(project)?),
    };
    write_inside(&path, &text)?;
    if let Some(text) = &new_manifest {
        Manifest::write_text(project.root(), text)?;
    }
    Ok(Initialised {
        path,
        tables: spec.tables.len(),
        columns: spec.tables.values().map(|t| t.columns.len()).sum(),
        manifest_updated: new_manifest.is_some(),
    })
}

/// The manifest text with `mapping = "mapping.toml"` added among its top-level keys, checked.
fn with_mapping_field(project: &Project) -> Result<String, MappingError> {
    let path = project.root().join(crate::project::MANIFEST_FILE);
    let text = std::fs::read_to_string(&path).map_err(|source| MappingError::Io {
        path: path.clone(),
        source,
    })?;
    let mut doc: toml_edit::Document =
        text.parse()
            .map_err(|e: toml_edit::TomlError| ProjectError::Manifest {
                file: path.clone(),
                line: None,
                message: e.to_string(),
            })?;
    doc.insert("mapping", toml_edit::value(SPEC_FILE));
    let new_text = doc.to_string();
    Manifest::from_text(project.root(), &new_text)?;
    Ok(new_text)
}
