//! `mapping review`: the static review of the project's spec ([`crate::mapping::review`]) and,
//! given the source's URL, its data pass ([`crate::mapping::data_review`]).

use super::load_required;
use super::view::DataSource;
use crate::db::{self, Access};
use crate::import::live::import_live;
use crate::inventory::Inventory;
use crate::mapping::review::Review;
use crate::mapping::{MappingError, MappingSpec};
use crate::project::Project;

/// Reviews the project's spec against its inventory, with an upgrade's findings beside it
/// ([`Review::upgrade`], as the plan carries them: [`crate::workspace::upgrade::checks`]). The
/// caller fails (exit 1) when [`Review::blocking`] is above zero.
///
/// # Errors
/// As [`super::load_required`].
pub async fn review(project: &Project) -> Result<Review, MappingError> {
    let (inventory, spec) = load_required(project).await?;
    review_against(project, &inventory, &spec, None).await
}

/// [`review`], then the data pass on the live source at `source_url` (opened read-only; the
/// URL, which may hold a password, is never stored or printed unredacted): each finding that
/// depends on values gets the count of source rows it hits and up to five keys. `sample`
/// bounds the rows read per table (first rows by key); `None` reads every row.
///
/// # Errors
/// As [`review`] and [`review_against`].
pub async fn review_with_data(
    project: &Project,
    source_url: &str,
    sample: Option<u64>,
) -> Result<Review, MappingError> {
    let (inventory, spec) = load_required(project).await?;
    let source = DataSource {
        url: source_url,
        sample,
    };
    review_against(project, &inventory, &spec, Some(source)).await
}

/// The review of `spec` against `inventory`, both already loaded (so a caller holding them
/// reads the store once); with `data`, the data pass ran there as [`review_with_data`]
/// describes.
///
/// # Errors
/// With `data`: [`MappingError::Db`] (connect, query) and [`MappingError::Import`] (the
/// source's catalog).
pub async fn review_against(
    project: &Project,
    inventory: &Inventory,
    spec: &MappingSpec,
    data: Option<DataSource<'_>>,
) -> Result<Review, MappingError> {
    let m = project.manifest();
    let mut review =
        crate::mapping::review::review(inventory, m.source.engine, m.target.engine, spec);
    review.upgrade = crate::workspace::upgrade::checks(project, inventory);
    let Some(data) = data else {
        return Ok(review);
    };
    let source = db::connect(data.url, Access::ReadOnly, 2).await?;
    let schemas: Vec<String> = source.default_schema.iter().cloned().collect();
    let counted = async {
        let live = import_live(source.engine, data.url, &schemas).await?;
        crate::mapping::data_review::count(
            &source,
            &live,
            m.target.engine,
            spec,
            &mut review,
            data.sample,
        )
        .await?;
        Ok::<_, MappingError>(())
    }
    .await;
    source.close().await;
    counted?;
    Ok(review)
}
