//! `mapping diff`: the target DDL before and after a spec edit. "Before" is a second spec file
//! (e.g. the committed version, `git show HEAD:mapping.toml > /tmp/old.toml`), or the default
//! mapping when none is given; "after" is the project's spec.

use std::path::Path;

use serde::Serialize;

use super::{load, schema};
use crate::mapping::ddl::{line_diff, target_ddl};
use crate::mapping::{MappingError, MappingSpec};
use crate::project::Project;

/// The DDL on both sides and their line diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DdlDiff {
    /// What "before" is: a file, or `default mapping`.
    pub before_from: String,
    /// What "after" is: the project's spec, or `default mapping` when it has none.
    pub after_from: String,
    /// DDL before.
    pub before: String,
    /// DDL after.
    pub after: String,
    /// [`line_diff`] of the two: empty when the edit changes no DDL.
    pub diff: String,
}

/// The target DDL of `project` (its spec, or the default mapping), as the backfill's "prepare
/// target" and "after the copy" steps run it ([`target_ddl`]).
///
/// # Errors
/// As [`super::load`].
pub async fn ddl(project: &Project) -> Result<String, MappingError> {
    let (inventory, spec) = load(project).await?;
    let m = project.manifest();
    Ok(target_ddl(
        &inventory,
        m.source.engine,
        m.target.engine,
        spec.as_ref(),
    ))
}

/// The DDL of `before` (a spec file checked against the same inventory; `None`: the default
/// mapping) against the DDL of the project's spec.
///
/// # Errors
/// As [`super::load`]; [`MappingError::Io`] and [`MappingError::Spec`] for `before`.
pub async fn diff(project: &Project, before: Option<&Path>) -> Result<DdlDiff, MappingError> {
    let (inventory, spec) = load(project).await?;
    let m = project.manifest();
    let old = match before {
        Some(path) => Some(MappingSpec::load(path, schema(project, &inventory))?),
        None => None,
    };
    let (from, to) = (m.source.engine, m.target.engine);
    let before_ddl = target_ddl(&inventory, from, to, old.as_ref());
    let after_ddl = target_ddl(&inventory, from, to, spec.as_ref());
    let name = |s: Option<&MappingSpec>| {
        s.map_or_else(
            || "default mapping".to_owned(),
            |s| s.file.display().to_string(),
        )
    };
    Ok(DdlDiff {
        before_from: name(old.as_ref()),
        after_from: name(spec.as_ref()),
        diff: line_diff(&before_ddl, &after_ddl),
        before: before_ddl,
        after: after_ddl,
    })
}
