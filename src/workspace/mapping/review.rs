//! `mapping review`: the static review of the project's spec ([`crate::mapping::review`]) and,
//! given the source's URL, its data pass ([`crate::mapping::data_review`]).

use super::load_required;
use crate::db::{self, Access};
use crate::import::live::import_live;
use crate::mapping::review::Review;
use crate::mapping::MappingError;
use crate::project::Project;

/// Reviews the project's spec against its inventory, with an upgrade's findings beside it
/// ([`Review::upgrade`], as the plan carries them: [`crate::workspace::upgrade::checks`]). The
/// caller fails (exit 1) when [`Review::blocking`] is above zero.
///
/// # Errors
/// As [`super::load_required`].
pub async fn review(project: &Project) -> Result<Review, MappingError> {
    let (inventory, spec) = load_required(project).await?;
    let m = project.manifest();
    let mut review =
        crate::mapping::review::review(&inventory, m.source.engine, m.target.engine, &spec);
    review.upgrade = crate::workspace::upgrade::checks(project, &inventory);
    Ok(review)
}

/// [`review`], then the data pass on the live source at `source_url` (opened read-only; the
/// URL, which may hold a password, is never stored or printed unredacted): each finding that
/// depends on values gets the count of source rows it hits and up to five keys. `sample`
/// bounds the rows read per table (first rows by key); `None` reads every row.
///
/// # Errors
/// As [`review`]; [`MappingError::Db`] (connect, query) and [`MappingError::Import`] (the
/// source's catalog).
pub async fn review_with_data(
    project: &Project,
    source_url: &str,
    sample: Option<u64>,
) -> Result<Review, MappingError> {
    let (_, spec) = load_required(project).await?;
    let mut review = review(project).await?;
    let source = db::connect(source_url, Access::ReadOnly, 2).await?;
    let schemas: Vec<String> = source.default_schema.iter().cloned().collect();
    let counted = async {
        let live = import_live(source.engine, source_url, &schemas).await?;
        crate::mapping::data_review::count(
            &source,
            &live,
            project.manifest().target.engine,
            &spec,
            &mut review,
            sample,
        )
        .await?;
        Ok::<_, MappingError>(())
    }
    .await;
    source.close().await;
    counted?;
    Ok(review)
}
