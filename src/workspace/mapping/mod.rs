//! The mapping stage's use cases, one file each: write a starting spec ([`init`]), show it as a
//! table ([`show`]), the target DDL it makes and what an edit changes ([`diff`]), its static
//! review ([`review`]), a reviewer's acceptance of a finding ([`accept`]), and the
//! desktop's per-table view with findings beside their rules ([`view`]) and its edit of one rule
//! ([`edit`]). Each reads the
//! project's stored inventory (importing it when the store has none) and the spec the manifest
//! names; a refused spec changes nothing.

pub mod accept;
pub mod diff;
pub mod edit;
pub mod init;
pub mod review;
pub mod show;
pub mod view;

use std::path::{Path, PathBuf};

use crate::inventory::Inventory;
use crate::mapping::spec::Schema;
use crate::mapping::{MappingError, MappingSpec, SPEC_FILE};
use crate::project::Project;

/// Where the spec of `project` lives: the manifest's `mapping`, else [`SPEC_FILE`] in the
/// project folder.
pub fn spec_path(project: &Project) -> PathBuf {
    project.root().join(
        project
            .manifest()
            .mapping
            .as_deref()
            .unwrap_or(Path::new(SPEC_FILE)),
    )
}

/// The project's inventory and its spec (`None` when the manifest names none), checked.
///
/// # Errors
/// [`MappingError::Project`] (store, import); as [`spec_of`].
pub async fn load(project: &Project) -> Result<(Inventory, Option<MappingSpec>), MappingError> {
    let inventory = project.inventory().await?;
    let spec = spec_of(project, &inventory)?;
    Ok((inventory, spec))
}

/// [`load`], refusing a project without a spec.
///
/// # Errors
/// [`MappingError::NoSpec`]; as [`load`].
pub async fn load_required(project: &Project) -> Result<(Inventory, MappingSpec), MappingError> {
    let inventory = project.inventory().await?;
    let spec = required_spec(project, &inventory)?;
    Ok((inventory, spec))
}

/// The spec the manifest of `project` names, checked against `inventory`; `None` when it
/// names none.
///
/// # Errors
/// [`MappingError::Io`] and [`MappingError::Spec`] for the spec.
pub fn spec_of(
    project: &Project,
    inventory: &Inventory,
) -> Result<Option<MappingSpec>, MappingError> {
    match &project.manifest().mapping {
        Some(_) => Ok(Some(MappingSpec::load(
            &spec_path(project),
            schema(project, inventory),
        )?)),
        None => Ok(None),
    }
}

/// [`spec_of`], refusing a project without a spec.
///
/// # Errors
/// [`MappingError::NoSpec`]; as [`spec_of`].
pub fn required_spec(
    project: &Project,
    inventory: &Inventory,
) -> Result<MappingSpec, MappingError> {
    spec_of(project, inventory)?.ok_or_else(|| MappingError::NoSpec(project.root().to_owned()))
}

/// What a spec of `project` is checked against.
pub fn schema<'a>(project: &Project, inventory: &'a Inventory) -> Schema<'a> {
    Schema {
        inventory,
        source: project.manifest().source.engine,
        target: project.manifest().target.engine,
    }
}

/// Writes `text` to `path` inside the project folder: beside it first, then renamed over it,
/// so a reader never sees half a file. A symbolic link at `path` is refused (it could point
/// outside the project).
pub(crate) fn write_inside(path: &Path, text: &str) -> Result<(), MappingError> {
    let io = |source| MappingError::Io {
        path: path.to_owned(),
        source,
    };
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(io(std::io::Error::other(
            "is a symbolic link; the spec is written only as a regular file inside the project",
        )));
    }
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(io)
}
