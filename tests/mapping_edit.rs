//! The Mapping screen's use cases on a copy of the Sakila sample: the view (per table, each
//! column's rule with the findings beside it), an edit of one rule that rewrites only that rule
//! and answers with the new review and the DDL diff, refused edits that change nothing, and
//! the data pass's counts on the view from a real MariaDB.

mod common;

use common::{sample, ScratchMaria};
use migration_studio::mapping::MappingError;
use migration_studio::project::Project;
use migration_studio::workspace::mapping::edit::{edit_rule, FieldChange, RuleEdit, RuleField};
use migration_studio::workspace::mapping::view::{
    view, view_of_inventory, DataSource, MappingView, RuleRow,
};
use migration_studio::workspace::mapping::{accept, init};

async fn initialised() -> (tempfile::TempDir, std::path::PathBuf, Project) {
    let (dir, root) = sample("sakila-mysql-to-postgres");
    let project = Project::open(&root).unwrap();
    init::init(&project, false).await.expect("mapping init");
    let project = Project::open(&root).unwrap();
    (dir, root, project)
}

fn set(field: RuleField, value: &str) -> FieldChange {
    FieldChange {
        field,
        value: Some(value.to_owned()),
    }
}

fn clear(field: RuleField) -> FieldChange {
    FieldChange { field, value: None }
}

fn title_to_varchar10() -> RuleEdit {
    RuleEdit {
        table: "sakila.film".into(),
        column: "title".into(),
        changes: vec![
            set(RuleField::Type, "varchar(10)"),
            set(RuleField::Reason, "short titles"),
            set(RuleField::Author, "ana"),
        ],
    }
}

fn row<'a>(view: &'a MappingView, table: &str, column: &str) -> &'a RuleRow {
    view.tables
        .iter()
        .find(|t| t.table == table)
        .and_then(|t| t.rows.iter().find(|r| r.row.source_column == column))
        .unwrap_or_else(|| panic!("no row {table}.{column}"))
}

#[tokio::test]
async fn the_view_says_when_there_is_no_spec_and_lists_every_column_once_there_is() {
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    let project = Project::open(&root).unwrap();
    let empty = view(&project, None).await.unwrap();
    assert_eq!(empty.spec, None);
    assert!(empty.tables.is_empty());
    init::init(&project, false).await.unwrap();
    let project = Project::open(&root).unwrap();
    let v = view(&project, None).await.unwrap();
    assert!(v.spec.as_deref().unwrap().ends_with("mapping.toml"));
    let film = v.tables.iter().find(|t| t.table == "sakila.film").unwrap();
    assert_eq!(film.target, "film");
    let title = row(&v, "sakila.film", "title");
    assert_eq!(title.row.target_column, "title");
    assert_eq!(title.row.rule, "default");
    assert!(title.findings.is_empty(), "{:?}", title.findings);
    let columns: usize = v.tables.iter().map(|t| t.rows.len()).sum();
    let shown = migration_studio::workspace::mapping::show::show(&project)
        .await
        .unwrap();
    assert_eq!(columns, shown.len());
    // The desktop's view over the opened workspace's inventory is the same view.
    let ws = migration_studio::workspace::Workspace::open(&root)
        .await
        .unwrap();
    let over = view_of_inventory(&project, ws.inventory(), None)
        .await
        .unwrap();
    assert_eq!(over, v);
}

#[tokio::test]
async fn an_edit_rewrites_only_its_rule_and_answers_with_the_review_and_the_ddl_diff() {
    let (_dir, root, project) = initialised().await;
    let path = root.join("mapping.toml");
    let before = std::fs::read_to_string(&path).unwrap();
    let edited = edit_rule(&project, &title_to_varchar10(), None)
        .await
        .expect("the edit");
    let after = std::fs::read_to_string(&path).unwrap();
    let changed: Vec<(&str, &str)> = before
        .lines()
        .zip(after.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(before.lines().count(), after.lines().count());
    assert_eq!(
        changed,
        vec![(
            r#"title = { type = "varchar(255)", reason = "default mapping", author = "mapping init" }"#,
            r#"title = { type = "varchar(10)", reason = "short titles", author = "ana" }"#
        )],
        "only the rule's line changes"
    );
    let title = row(&edited.view, "sakila.film", "title");
    assert_eq!(title.row.target_type, "varchar(10) NOT NULL");
    assert_eq!(
        (title.row.reason.as_str(), title.row.author.as_str()),
        ("short titles", "ana")
    );
    assert_eq!(title.findings.len(), 1, "{:?}", title.findings);
    assert_eq!(title.findings[0].code, "M001");
    assert!(title.findings[0].accepted.is_none());
    assert_eq!(edited.view.blocking, 1);
    assert!(
        edited.diff.diff.contains("+") && edited.diff.diff.contains("varchar(10)"),
        "{}",
        edited.diff.diff
    );
    assert!(edited.diff.before.contains("varchar(255)"));

    // Accepted, the finding stays beside its rule, marked with the reason.
    accept::accept(
        &project,
        "M001",
        "sakila.film.title",
        "no title over 10 characters",
        "ben",
    )
    .await
    .unwrap();
    let v = view(&project, None).await.unwrap();
    let title = row(&v, "sakila.film", "title");
    let accepted = title.findings[0].accepted.as_ref().expect("accepted");
    assert_eq!(accepted.reason, "no title over 10 characters");
    assert_eq!(v.blocking, 0);

    // A rename and a drop, with a reason; clearing the cast goes back to the default type.
    let edited = edit_rule(
        &project,
        &RuleEdit {
            table: "sakila.film".into(),
            column: "description".into(),
            changes: vec![
                clear(RuleField::Type),
                set(RuleField::Drop, "true"),
                set(RuleField::Reason, "nobody reads it"),
                set(RuleField::Author, "ana"),
            ],
        },
        None,
    )
    .await
    .expect("a drop");
    let description = row(&edited.view, "sakila.film", "description");
    assert_eq!(description.row.rule, "drop");
    assert_eq!(description.row.target_column, "");
    assert!(edited.diff.diff.contains("-"), "{}", edited.diff.diff);
    let edited = edit_rule(
        &project,
        &RuleEdit {
            table: "sakila.film".into(),
            column: "title".into(),
            changes: vec![set(RuleField::Target, "name"), clear(RuleField::Type)],
        },
        None,
    )
    .await
    .expect("a rename");
    let title = row(&edited.view, "sakila.film", "title");
    assert_eq!(title.row.target_column, "name");
    assert_eq!(title.row.rule, "rename");
    assert!(title.findings.iter().all(|f| f.code != "M001"));
    assert!(
        edited.diff.diff.contains("\"name\""),
        "{}",
        edited.diff.diff
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains(r#"title = { reason = "short titles", author = "ana", target = "name" }"#),
        "{text}"
    );
}

#[tokio::test]
async fn a_refused_edit_gives_its_code_and_line_and_changes_nothing() {
    let (_dir, root, project) = initialised().await;
    let path = root.join("mapping.toml");
    let before = std::fs::read_to_string(&path).unwrap();
    let cases: Vec<(RuleEdit, &str)> = vec![
        (
            RuleEdit {
                changes: vec![set(RuleField::Type, "no such type")],
                ..title_to_varchar10()
            },
            "mapping-unknown-type",
        ),
        (
            RuleEdit {
                changes: vec![set(RuleField::Reason, " ")],
                ..title_to_varchar10()
            },
            "mapping-missing-field",
        ),
        (
            RuleEdit {
                column: "film_id".into(),
                changes: vec![set(RuleField::Drop, "true"), clear(RuleField::Type)],
                ..title_to_varchar10()
            },
            "mapping-conflict",
        ),
        (
            RuleEdit {
                changes: vec![set(RuleField::NotNull, "maybe")],
                ..title_to_varchar10()
            },
            "mapping-syntax",
        ),
        (
            RuleEdit {
                column: "no_such_column".into(),
                ..title_to_varchar10()
            },
            "mapping-unknown-column",
        ),
        (
            RuleEdit {
                table: "sakila.nope".into(),
                ..title_to_varchar10()
            },
            "mapping-unknown-table",
        ),
    ];
    for (edit, code) in cases {
        let e = edit_rule(&project, &edit, None).await.expect_err(code);
        assert_eq!(e.code(), Some(code), "{e}");
        if code != "mapping-syntax" && code != "mapping-unknown-table" {
            let MappingError::Spec { line, .. } = &e else {
                panic!("{e}")
            };
            assert!(line.is_some(), "{code}: {e}");
        }
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            before,
            "{code}: nothing written"
        );
    }
}

#[tokio::test]
async fn with_the_source_the_view_carries_the_rows_a_narrowing_hits_and_their_keys() {
    let source = ScratchMaria::new("map_view_src");
    common::load_sakila_mariadb(&source.name);
    let (_dir, _root, project) = initialised().await;
    let url = source.url();
    let data = Some(DataSource {
        url: &url,
        sample: None,
    });
    let edited = edit_rule(&project, &title_to_varchar10(), data)
        .await
        .expect("the edit with the data pass");
    assert!(edited.view.data_scope.is_some());
    let title = row(&edited.view, "sakila.film", "title");
    let count = title.findings[0].data.as_ref().expect("counted");
    let expected = common::mariadb(
        &source.name,
        &[
            "-e",
            "SELECT COUNT(*) FROM film WHERE CHAR_LENGTH(title) > 10",
        ],
        None,
    );
    assert_eq!(count.rows.to_string(), expected.trim());
    assert!(!count.examples.is_empty() && count.examples[0].starts_with("film_id "));
}

/// Removing a rule: a computed column added by an edit goes away and the spec is byte for byte
/// what it was; a source column's rule removed puts it back under the default mapping; a rule
/// the spec does not have is refused with its code and nothing changes.
#[tokio::test]
async fn a_removed_rule_leaves_the_spec_as_before_and_a_missing_one_is_refused() {
    use migration_studio::workspace::mapping::edit::remove_rule;
    let (_dir, root, project) = initialised().await;
    let spec = root.join("mapping.toml");
    let before = std::fs::read_to_string(&spec).unwrap();
    edit_rule(
        &project,
        &RuleEdit {
            table: "sakila.film".into(),
            column: "title_key".into(),
            changes: vec![
                set(RuleField::Derive, "lower(title)"),
                set(RuleField::Reason, "case-insensitive search"),
                set(RuleField::Author, "ana"),
            ],
        },
        None,
    )
    .await
    .unwrap();
    assert!(std::fs::read_to_string(&spec)
        .unwrap()
        .contains("title_key"));
    let removed = remove_rule(&project, "sakila.film", "title_key", None)
        .await
        .unwrap();
    assert!(
        removed.diff.diff.contains("title_key"),
        "{}",
        removed.diff.diff
    );
    assert_eq!(std::fs::read_to_string(&spec).unwrap(), before);
    assert!(removed
        .view
        .tables
        .iter()
        .flat_map(|t| &t.rows)
        .all(|r| r.row.source_column != "title_key"));

    // A source column's rule: back to the default, which the starting spec wrote out.
    edit_rule(&project, &title_to_varchar10(), None)
        .await
        .unwrap();
    remove_rule(&project, "sakila.film", "title", None)
        .await
        .unwrap();
    let view = view(&project, None).await.unwrap();
    assert_eq!(row(&view, "sakila.film", "title").row.rule, "default");

    let unchanged = std::fs::read_to_string(&spec).unwrap();
    match remove_rule(&project, "sakila.film", "no_such_rule", None).await {
        Err(MappingError::Spec { code, field, .. }) => {
            assert_eq!(code, "mapping-unknown-column");
            assert!(field.ends_with("no_such_rule"), "{field}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(std::fs::read_to_string(&spec).unwrap(), unchanged);
}
