//! The Mapping screen: the project's mapping spec per table with the review's findings beside
//! each rule ([`mapping_view`]), its starting spec when it has none ([`init_mapping`]), the edit
//! of one column rule with the new review and DDL diff ([`edit_mapping_rule`]) and a
//! reviewer's acceptance of a finding ([`accept_mapping_finding`]). A saved connection named
//! as `source_connection` runs the review's data pass there (its URL stays in Rust).

use migration_studio::mapping::review::Finding;
use migration_studio::mapping::MappingError;
use migration_studio::project::Project;
use migration_studio::workspace::mapping::edit::{self, FieldChange, RuleEdit, RuleField};
use migration_studio::workspace::mapping::view::{self, DataSource, MappingView};
use migration_studio::workspace::mapping::{accept, init};
use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::State;

use crate::error::{AppError, ErrorCode};
use crate::state::AppState;

/// The screen: every source table with its columns' rules and findings.
#[derive(Debug, Clone, Serialize, Type)]
pub struct MappingScreen {
    /// The spec file; `None` when the project has none yet (the screen offers to write one).
    pub spec: Option<String>,
    /// Every source table, in inventory order.
    pub tables: Vec<MappingTable>,
    /// Errors not accepted: the review fails while above zero.
    pub blocking: u32,
    /// Findings in all.
    pub findings: u32,
    /// How much of the source the data pass read (`None`: it did not run).
    pub data_scope: Option<String>,
}

/// One source table.
#[derive(Debug, Clone, Serialize, Type)]
pub struct MappingTable {
    /// Source table, qualified (`sakila.film`).
    pub table: String,
    /// Target table; empty when dropped.
    pub target: String,
    /// Its columns.
    pub rows: Vec<MappingRow>,
    /// Findings about the table itself (a computed column's are on its row).
    pub findings: Vec<MappingFinding>,
}

/// One source column (or a column only the target has) and what it becomes.
#[derive(Debug, Clone, Serialize, Type)]
pub struct MappingRow {
    /// Source column; for a computed column, the rule's own name.
    pub source_column: String,
    /// Source declared type; empty for a computed column.
    pub source_type: String,
    /// Target table the column lands in (a table split puts some columns in another table
    /// than the main one); empty when dropped.
    pub target_table: String,
    /// Target column; empty when dropped.
    pub target_column: String,
    /// Target declared type (with ` NOT NULL`); empty when dropped.
    pub target_type: String,
    /// `default`, or the comma-separated rules (`rename`, `cast`, `drop`…).
    pub rule: String,
    /// Why.
    pub reason: String,
    /// Who decided.
    pub author: String,
    /// The rule's `derive` expression; empty when it has none.
    pub derive: String,
    /// What a NULL becomes, as a SQL literal (`0`, `'n/a'`); empty when the rule says nothing.
    pub null_default: String,
    /// The rule's `not_null`, when it says.
    pub not_null: Option<bool>,
    /// Whether the column is only the target's, computed by `derive`.
    pub computed: bool,
    /// The findings about this column.
    pub findings: Vec<MappingFinding>,
}

/// A review finding.
#[derive(Debug, Clone, Serialize, Type)]
pub struct MappingFinding {
    /// Stable code (`M001`…).
    pub code: String,
    /// `error` or `warning`.
    pub severity: String,
    /// The spec entry (`sakila.film.title`), as an acceptance names it.
    pub entry: String,
    /// 1-based line of the rule in the spec.
    pub line: Option<u32>,
    /// What can happen.
    pub message: String,
    /// What to do about it.
    pub fix: String,
    /// The reviewer's acceptance, when given.
    pub accepted: Option<AcceptedFinding>,
    /// What the data pass counted, when it ran.
    pub data: Option<FindingCount>,
}

/// A reviewer's acceptance.
#[derive(Debug, Clone, Serialize, Type)]
pub struct AcceptedFinding {
    /// Why it is acceptable.
    pub reason: String,
    /// Who accepted it.
    pub author: String,
}

/// The data pass's count for a finding.
#[derive(Debug, Clone, Serialize, Type)]
pub struct FindingCount {
    /// Source rows hit.
    pub rows: f64,
    /// What those rows are (`longer than 10 characters`).
    pub condition: String,
    /// Up to five of their keys (`film_id 12`).
    pub examples: Vec<String>,
}

/// A field of a column rule.
#[derive(Debug, Clone, Copy, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum MappingRuleField {
    /// Rename.
    Target,
    /// Cast.
    Type,
    /// What a NULL becomes.
    NullDefault,
    /// `true`/`false`.
    NotNull,
    /// `true`/`false`.
    Drop,
    /// Expression.
    Derive,
    /// Why.
    Reason,
    /// Who.
    Author,
}

/// One field set (`value`) or cleared (`null`).
#[derive(Debug, Clone, Deserialize, Type)]
pub struct MappingFieldChange {
    /// The field.
    pub field: MappingRuleField,
    /// The new value, `null` to remove the field.
    pub value: Option<String>,
}

/// An edit of one column rule.
#[derive(Debug, Clone, Deserialize, Type)]
pub struct MappingRuleEdit {
    /// Source table (`sakila.film`).
    pub table: String,
    /// Source column, or the name of a column only the target has (a computed one).
    pub column: String,
    /// In order.
    pub changes: Vec<MappingFieldChange>,
}

/// What an edit did.
#[derive(Debug, Clone, Serialize, Type)]
pub struct MappingEdited {
    /// The screen after the edit.
    pub view: MappingScreen,
    /// Line diff of the target DDL (`+`/`-` lines); empty when the DDL did not change.
    pub ddl_diff: String,
}

fn finding(f: Finding) -> MappingFinding {
    MappingFinding {
        code: f.code.to_owned(),
        severity: f.severity.to_string(),
        entry: f.entry,
        line: f.line.map(|l| l as u32),
        message: f.message,
        fix: f.fix,
        accepted: f.accepted.map(|a| AcceptedFinding {
            reason: a.reason,
            author: a.author,
        }),
        data: f.data.map(|d| FindingCount {
            rows: d.rows as f64,
            condition: d.condition,
            examples: d.examples,
        }),
    }
}

fn screen(v: MappingView) -> MappingScreen {
    MappingScreen {
        spec: v.spec,
        blocking: v.blocking as u32,
        findings: v.findings as u32,
        data_scope: v.data_scope,
        tables: v
            .tables
            .into_iter()
            .map(|t| MappingTable {
                table: t.table,
                target: t.target,
                findings: t.findings.into_iter().map(finding).collect(),
                rows: t
                    .rows
                    .into_iter()
                    .map(|r| MappingRow {
                        source_column: r.row.source_column,
                        source_type: r.row.source_type,
                        target_table: r.row.target_table,
                        target_column: r.row.target_column,
                        target_type: r.row.target_type,
                        rule: r.row.rule,
                        reason: r.row.reason,
                        author: r.row.author,
                        derive: r.row.derive,
                        null_default: r.row.null_default,
                        not_null: r.row.not_null,
                        computed: r.row.computed,
                        findings: r.findings.into_iter().map(finding).collect(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// The error as the window shows it: a refused spec keeps its code, file and line in the
/// message, and nothing names a CLI command.
pub fn mapping_error(e: MappingError) -> AppError {
    match e {
        MappingError::Spec { ref field, .. } => AppError {
            field: Some(field.clone()),
            ..AppError::new(ErrorCode::InvalidInput, e.to_string())
        }
        .hint("The spec was not changed. Fix the value and save again."),
        MappingError::Exists(path) => AppError::new(
            ErrorCode::AlreadyExists,
            format!("{} already exists", path.display()),
        ),
        MappingError::NoSpec(_) => {
            AppError::new(ErrorCode::NotFound, "this project has no mapping spec yet")
                .hint("Write the starting spec on the Mapping screen.")
        }
        MappingError::NotAFinding { code, entry } => AppError::new(
            ErrorCode::NotFound,
            format!("the review has no finding {code} about `{entry}`"),
        ),
        MappingError::Project(p) => p.into(),
        MappingError::Db(d) => d.into(),
        other => AppError::classified(&other),
    }
}

/// The project (read again: a spec written by another command or the CLI is seen) and the URL
/// of the saved connection `source`, if any.
fn project_and_source(
    state: &AppState,
    project: &str,
    source: Option<&str>,
) -> Result<(Project, Option<String>), AppError> {
    let root = state.project_root(project)?;
    let opened = Project::open(&root)?;
    let url = match source {
        Some(name) if !name.is_empty() => Some(crate::connections::url(
            &state.config_dir,
            &state.secrets,
            name,
        )?),
        _ => None,
    };
    Ok((opened, url))
}

fn data(url: Option<&String>) -> Option<DataSource<'_>> {
    url.map(|url| DataSource { url, sample: None })
}

/// Forgets the opened workspace of `project`, so the plan is made again through the new spec.
async fn spec_changed(state: &AppState, project: &str) {
    if let Ok(root) = state.project_root(project) {
        state.workspaces.lock().await.remove(&root);
    }
}

/// [`mapping_view`] on an [`AppState`].
pub async fn view_of(
    state: &AppState,
    project: &str,
    source_connection: Option<&str>,
) -> Result<MappingScreen, AppError> {
    let (p, url) = project_and_source(state, project, source_connection)?;
    // The inventory the plan was made from, not a second read of the store per view; shared
    // rather than held, as the data pass may query the source for a while.
    let inventory = super::workspace(state, project).await?.shared_inventory();
    let v = view::view_of_inventory(&p, &inventory, data(url.as_ref()))
        .await
        .map_err(mapping_error)?;
    Ok(screen(v))
}

/// The Mapping screen of `project`; with `source_connection` (a saved connection's name), the
/// findings carry the data pass's counts and example keys from that source.
#[tauri::command]
#[specta::specta]
pub async fn mapping_view(
    state: State<'_, AppState>,
    project: String,
    source_connection: Option<String>,
) -> Result<MappingScreen, AppError> {
    view_of(&state, &project, source_connection.as_deref()).await
}

/// [`init_mapping`] on an [`AppState`].
pub async fn init_of(state: &AppState, project: &str) -> Result<MappingScreen, AppError> {
    let (p, _) = project_and_source(state, project, None)?;
    init::init(&p, false).await.map_err(mapping_error)?;
    spec_changed(state, project).await;
    view_of(state, project, None).await
}

/// Writes the project's starting spec (every column under the default mapping, with its reason)
/// and returns the screen over it. Refused when the project has one.
#[tauri::command]
#[specta::specta]
pub async fn init_mapping(
    state: State<'_, AppState>,
    project: String,
) -> Result<MappingScreen, AppError> {
    init_of(&state, &project).await
}

/// [`edit_mapping_rule`] on an [`AppState`].
pub async fn edit_of(
    state: &AppState,
    project: &str,
    request: MappingRuleEdit,
    source_connection: Option<&str>,
) -> Result<MappingEdited, AppError> {
    let (p, url) = project_and_source(state, project, source_connection)?;
    let rule_edit = RuleEdit {
        table: request.table,
        column: request.column,
        changes: request
            .changes
            .into_iter()
            .map(|c| FieldChange {
                field: match c.field {
                    MappingRuleField::Target => RuleField::Target,
                    MappingRuleField::Type => RuleField::Type,
                    MappingRuleField::NullDefault => RuleField::NullDefault,
                    MappingRuleField::NotNull => RuleField::NotNull,
                    MappingRuleField::Drop => RuleField::Drop,
                    MappingRuleField::Derive => RuleField::Derive,
                    MappingRuleField::Reason => RuleField::Reason,
                    MappingRuleField::Author => RuleField::Author,
                },
                value: c.value,
            })
            .collect(),
    };
    let edited = edit::edit_rule(&p, &rule_edit, data(url.as_ref())).await;
    answer_edit(state, project, edited).await
}

/// The screen after an edit or a removal of a rule (the cached spec forgotten), or its error.
async fn answer_edit(
    state: &AppState,
    project: &str,
    edited: Result<edit::Edited, migration_studio::mapping::MappingError>,
) -> Result<MappingEdited, AppError> {
    let edited = edited.map_err(mapping_error)?;
    spec_changed(state, project).await;
    Ok(MappingEdited {
        view: screen(edited.view),
        ddl_diff: edited.diff.diff,
    })
}

/// Sets or clears fields of one column rule (only that rule's text changes); returns the
/// screen with the new review and the target DDL's diff. A refused edit changes nothing and
/// says why with the spec's code and line.
#[tauri::command]
#[specta::specta]
pub async fn edit_mapping_rule(
    state: State<'_, AppState>,
    project: String,
    edit: MappingRuleEdit,
    source_connection: Option<String>,
) -> Result<MappingEdited, AppError> {
    edit_of(&state, &project, edit, source_connection.as_deref()).await
}

/// [`remove_mapping_rule`] on an [`AppState`].
pub async fn remove_of(
    state: &AppState,
    project: &str,
    table: &str,
    column: &str,
    source_connection: Option<&str>,
) -> Result<MappingEdited, AppError> {
    let (p, url) = project_and_source(state, project, source_connection)?;
    let edited = edit::remove_rule(&p, table, column, data(url.as_ref())).await;
    answer_edit(state, project, edited).await
}

/// Removes the rule of `column` of `table` (`sakila.film`): a source column goes back to the
/// default mapping, a computed column is no longer made. Answers as [`edit_mapping_rule`]; a
/// refused removal changes nothing.
#[tauri::command]
#[specta::specta]
pub async fn remove_mapping_rule(
    state: State<'_, AppState>,
    project: String,
    table: String,
    column: String,
    source_connection: Option<String>,
) -> Result<MappingEdited, AppError> {
    remove_of(
        &state,
        &project,
        &table,
        &column,
        source_connection.as_deref(),
    )
    .await
}

/// [`accept_mapping_finding`] on an [`AppState`].
pub async fn accept_of(
    state: &AppState,
    project: &str,
    code: &str,
    entry: &str,
    reason: &str,
    author: &str,
) -> Result<(), AppError> {
    let (p, _) = project_and_source(state, project, None)?;
    accept::accept(&p, code, entry, reason, author)
        .await
        .map_err(mapping_error)?;
    Ok(())
}

/// Accepts finding `code` about `entry` with `reason`, by `author` (stored in the spec).
#[tauri::command]
#[specta::specta]
pub async fn accept_mapping_finding(
    state: State<'_, AppState>,
    project: String,
    code: String,
    entry: String,
    reason: String,
    author: String,
) -> Result<(), AppError> {
    accept_of(&state, &project, &code, &entry, &reason, &author).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialogs::ChosenPath;
    use crate::secrets::SecretStore;

    #[tokio::test]
    async fn init_edit_refuse_and_accept_through_the_commands() {
        let dir = tempfile::tempdir().unwrap();
        let from = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../sample-projects/sakila-mysql-to-postgres");
        let root = dir.path().join("sakila");
        std::fs::create_dir_all(root.join("data")).unwrap();
        for f in [
            "migration-studio.toml",
            "data/sakila-mv-schema.sql",
            "data/sakila-mv-data.sql",
        ] {
            std::fs::copy(from.join(f), root.join(f)).unwrap();
        }
        let state = AppState::new(dir.path().join("config"), SecretStore::memory("test"));
        let project = super::super::projects::open_at(&state, &ChosenPath::chosen_in_test(&root))
            .await
            .unwrap()
            .handle;
        let empty = view_of(&state, &project, None).await.unwrap();
        assert!(empty.spec.is_none());
        let e = edit_of(
            &state,
            &project,
            MappingRuleEdit {
                table: "sakila.film".into(),
                column: "title".into(),
                changes: vec![],
            },
            None,
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound);
        assert!(!e.message.contains("migration-studio "), "{}", e.message);
        let v = init_of(&state, &project).await.unwrap();
        assert!(v.spec.is_some() && v.tables.len() >= 16);
        let change = |field, value: &str| MappingFieldChange {
            field,
            value: Some(value.to_owned()),
        };
        let edit = |ty: &str| MappingRuleEdit {
            table: "sakila.film".into(),
            column: "title".into(),
            changes: vec![
                change(MappingRuleField::Type, ty),
                change(MappingRuleField::Reason, "short titles"),
                change(MappingRuleField::Author, "ana"),
            ],
        };
        let spec = root.join("mapping.toml");
        let before = std::fs::read_to_string(&spec).unwrap();
        let e = edit_of(&state, &project, edit("varchar(10"), None)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert!(
            e.message.contains("[mapping-unknown-type]") && e.message.contains("mapping.toml:"),
            "{}",
            e.message
        );
        assert_eq!(std::fs::read_to_string(&spec).unwrap(), before);
        let edited = edit_of(&state, &project, edit("varchar(10)"), None)
            .await
            .unwrap();
        assert!(edited.ddl_diff.contains("varchar(10)"));
        let film = edited
            .view
            .tables
            .iter()
            .find(|t| t.table == "sakila.film")
            .unwrap();
        let title = film
            .rows
            .iter()
            .find(|r| r.source_column == "title")
            .unwrap();
        assert_eq!(title.findings[0].code, "M001");
        accept_of(
            &state,
            &project,
            "M001",
            &title.findings[0].entry,
            "fine",
            "ben",
        )
        .await
        .unwrap();
        let v = view_of(&state, &project, None).await.unwrap();
        assert_eq!(v.blocking, 0);

        // A NULL default and NOT NULL on a column, then a computed column: the rows carry them.
        let rule = |column: &str, changes: Vec<MappingFieldChange>| MappingRuleEdit {
            table: "sakila.film".into(),
            column: column.into(),
            changes,
        };
        edit_of(
            &state,
            &project,
            rule(
                "description",
                vec![
                    change(MappingRuleField::NullDefault, "'none yet'"),
                    change(MappingRuleField::NotNull, "true"),
                    change(MappingRuleField::Reason, "always shown"),
                    change(MappingRuleField::Author, "ana"),
                ],
            ),
            None,
        )
        .await
        .unwrap();
        let edited = edit_of(
            &state,
            &project,
            rule(
                "title_key",
                vec![
                    change(MappingRuleField::Derive, "lower(title)"),
                    change(MappingRuleField::Type, "varchar(255)"),
                    change(MappingRuleField::Reason, "case-blind search"),
                    change(MappingRuleField::Author, "ana"),
                ],
            ),
            None,
        )
        .await
        .unwrap();
        assert!(edited.ddl_diff.contains("title_key"), "{}", edited.ddl_diff);
        let film = edited
            .view
            .tables
            .iter()
            .find(|t| t.table == "sakila.film")
            .unwrap();
        let description = film
            .rows
            .iter()
            .find(|r| r.source_column == "description")
            .unwrap();
        assert_eq!(
            (description.null_default.as_str(), description.not_null),
            ("'none yet'", Some(true))
        );
        assert!(description.target_type.ends_with(" NOT NULL"));
        let key = film.rows.last().unwrap();
        assert_eq!(
            (
                key.source_column.as_str(),
                key.computed,
                key.derive.as_str(),
                key.rule.as_str()
            ),
            ("title_key", true, "lower(title)", "computed")
        );
        assert_eq!(key.target_type, "varchar(255)");
        assert!(key.source_type.is_empty());
    }
}
