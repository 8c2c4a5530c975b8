//! The Mapping screen's view: per source table, the rows of [`super::show`] (source column and
//! type → target column and type, the rule, its reason and author) with the review's findings
//! beside the rule they are about, as the desktop shows them. A project without a spec gets an
//! empty view saying so (the screen then offers `mapping init`).

use serde::Serialize;

use super::show::{self, Row};
use crate::inventory::Inventory;
use crate::mapping::review::{Finding, Review};
use crate::mapping::{MappingError, MappingSpec};
use crate::project::Project;

/// The source of a data pass: a URL (read-only; never stored or shown) and an optional bound
/// on the rows read per table ([`super::review::review_with_data`]).
#[derive(Debug, Clone, Copy)]
pub struct DataSource<'a> {
    /// The source database's URL.
    pub url: &'a str,
    /// Rows read per table (first rows by key); `None` reads every row.
    pub sample: Option<u64>,
}

/// One source column: its row of `mapping show` and the findings about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleRow {
    /// The row as `mapping show` prints it.
    pub row: Row,
    /// The review's findings whose entry is this column (accepted ones carry their acceptance).
    pub findings: Vec<Finding>,
}

/// One source table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableView {
    /// Source table, qualified as the inventory names it (`sakila.film`).
    pub table: String,
    /// Main target table (bare name; a table split puts some columns in others, named on their
    /// rows); empty when the spec drops the table.
    pub target: String,
    /// Its columns, in inventory order.
    pub rows: Vec<RuleRow>,
    /// Findings about the table itself (a computed column's are on its row).
    pub findings: Vec<Finding>,
}

/// The whole screen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MappingView {
    /// The spec file; `None` when the project has none yet (`tables` is then empty).
    pub spec: Option<String>,
    /// Every source table, in inventory order.
    pub tables: Vec<TableView>,
    /// Errors not accepted (the review fails while above zero).
    pub blocking: usize,
    /// Findings in all.
    pub findings: usize,
    /// How much of the source the data pass read; `None` when it did not run.
    pub data_scope: Option<String>,
}

/// The view of `project`'s spec and its review; with `data`, the review's data pass ran on that
/// source, so the findings carry their row counts and example keys.
///
/// # Errors
/// As [`super::load_required`] and [`view_of_inventory`].
pub async fn view(
    project: &Project,
    data: Option<DataSource<'_>>,
) -> Result<MappingView, MappingError> {
    if project.manifest().mapping.is_none() {
        return Ok(MappingView::without_spec());
    }
    let inventory = project.inventory().await?;
    view_of_inventory(project, &inventory, data).await
}

/// [`view`] over `inventory` as given (the opened workspace's, which the plan was made from)
/// instead of the one in the project's store, which is then not read.
///
/// # Errors
/// As [`super::spec_of`] and [`super::review::review_against`].
pub async fn view_of_inventory(
    project: &Project,
    inventory: &Inventory,
    data: Option<DataSource<'_>>,
) -> Result<MappingView, MappingError> {
    match super::spec_of(project, inventory)? {
        Some(spec) => view_against(project, inventory, &spec, data).await,
        None => Ok(MappingView::without_spec()),
    }
}

/// [`view`] of `spec` over `inventory`, both already loaded.
///
/// # Errors
/// As [`super::review::review_against`].
pub async fn view_against(
    project: &Project,
    inventory: &Inventory,
    spec: &MappingSpec,
    data: Option<DataSource<'_>>,
) -> Result<MappingView, MappingError> {
    let review = super::review::review_against(project, inventory, spec, data).await?;
    Ok(assemble(show::rows(project, inventory, spec), review))
}

impl MappingView {
    /// The view of a project whose manifest names no spec.
    fn without_spec() -> Self {
        Self {
            spec: None,
            tables: Vec::new(),
            blocking: 0,
            findings: 0,
            data_scope: None,
        }
    }
}

/// Groups `rows` by table and puts each finding of `review` beside its column's row (or its
/// table's, for a table's own finding).
fn assemble(rows: Vec<Row>, review: Review) -> MappingView {
    let mut tables: Vec<TableView> = Vec::new();
    for row in rows {
        if tables.last().is_none_or(|t| t.table != row.source_table) {
            tables.push(TableView {
                table: row.source_table.clone(),
                target: String::new(),
                rows: Vec::new(),
                findings: Vec::new(),
            });
        }
        let table = tables.last_mut().expect("pushed above");
        // The main target table: a column a table split moves is in another one.
        if table.target.is_empty() && !row.rule.contains("table split") {
            table.target.clone_from(&row.target_table);
        }
        table.rows.push(RuleRow {
            row,
            findings: Vec::new(),
        });
    }
    let total = review.findings.len();
    for finding in review.findings {
        let Some(table) = tables.iter_mut().find(|t| t.table == finding.table) else {
            continue;
        };
        let row = finding
            .column
            .as_ref()
            .and_then(|c| table.rows.iter_mut().find(|r| &r.row.source_column == c));
        match row {
            Some(r) => r.findings.push(finding),
            None => table.findings.push(finding),
        }
    }
    MappingView {
        spec: Some(review.spec),
        tables,
        blocking: review.blocking,
        findings: total,
        data_scope: review.data_scope,
    }
}
