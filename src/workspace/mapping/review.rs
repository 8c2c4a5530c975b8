//! `mapping review`: the static review of the project's spec ([`crate::mapping::review`]).

use super::load_required;
use crate::mapping::review::Review;
use crate::mapping::MappingError;
use crate::project::Project;

/// Reviews the project's spec against its inventory. The caller fails (exit 1) when
/// [`Review::blocking`] is above zero.
///
/// # Errors
/// As [`super::load_required`].
pub async fn review(project: &Project) -> Result<Review, MappingError> {
    let (inventory, spec) = load_required(project).await?;
    let m = project.manifest();
    Ok(crate::mapping::review::review(
        &inventory,
        m.source.engine,
        m.target.engine,
        &spec,
    ))
}
