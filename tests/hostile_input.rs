//! Input written by a careless or hostile hand (issue 15): special files in a services folder,
//! loose CSV quoting, unclosed SQL comments, misplaced manifest keys, control characters in names,
//! oversized statements. Each is refused (or skipped and reported) naming the file and line, and
//! a refused import changes nothing.

use std::path::Path;

use migration_studio::project::{Project, ProjectError, MANIFEST_FILE};

const HEAD: &str = "name = \"hostile\"\nrto_minutes = 30\nmaintenance_window_minutes = 60\n\n[source]\nengine = \"mysql\"\n\n[target]\nengine = \"postgres\"\n";

/// A project in `dir` whose manifest is [`HEAD`] then `inputs`, with `files` written under it.
fn project_with(dir: &Path, inputs: &str, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    std::fs::write(dir.join(MANIFEST_FILE), format!("{HEAD}{inputs}")).unwrap();
}

#[test]
fn an_unknown_key_in_one_input_names_that_inputs_line() {
    let dir = tempfile::tempdir().unwrap();
    // Lines 10-11: the first input; 13-15: the second, whose `bogus` key is on line 15.
    project_with(
        dir.path(),
        "[[inputs]]\npath = \"a.sql\"\n\n[[inputs]]\npath = \"b.sql\"\nbogus = 1\n",
        &[("a.sql", ""), ("b.sql", "")],
    );
    let error = Project::open(dir.path()).expect_err("refused");
    assert!(
        matches!(&error, ProjectError::Manifest { line: Some(15), message, .. } if message.contains("bogus")),
        "{error:?}"
    );

    // A key of another kind of input, and an input of no kind, name their own entry too.
    project_with(
        dir.path(),
        "[[inputs]]\npath = \"a.sql\"\n\n[[inputs]]\nservices = \"svc\"\nurl_env = \"X\"\n\n[[inputs]]\nengine = \"mysql\"\n",
        &[],
    );
    let error = Project::open(dir.path()).expect_err("refused");
    assert!(
        matches!(&error, ProjectError::Manifest { line: Some(15), message, .. } if message.contains("url_env")),
        "{error:?}"
    );
    project_with(
        dir.path(),
        "[[inputs]]\npath = \"a.sql\"\n\n[[inputs]]\nengine = \"mysql\"\n",
        &[],
    );
    let error = Project::open(dir.path()).expect_err("refused");
    assert!(
        matches!(&error, ProjectError::Manifest { line: Some(13), message, .. } if message.contains("`path`")),
        "{error:?}"
    );
}

/// Imports `dir`'s project expecting an error, and checks the store still holds `before`.
async fn refused(dir: &Path, before: &migration_studio::inventory::Inventory) -> ProjectError {
    let project = Project::open(dir).unwrap();
    let error = project.import().await.expect_err("refused");
    let stored = project.store().await.unwrap().inventory().await.unwrap();
    assert_eq!(&stored.unwrap().inventory, before, "the store is unchanged");
    error
}

#[tokio::test]
async fn an_unclosed_comment_or_string_is_an_error_naming_where_it_opens() {
    let dir = tempfile::tempdir().unwrap();
    let good = "CREATE TABLE a (id int PRIMARY KEY);\n";
    project_with(
        dir.path(),
        "[[inputs]]\npath = \"data/schema.sql\"\n",
        &[("data/schema.sql", good)],
    );
    let (before, _) = Project::open(dir.path()).unwrap().import().await.unwrap();
    for (script, line, what) in [
        (
            "CREATE TABLE x (id int);\n/* unclosed\nCREATE TABLE y (id int);\n",
            2,
            "block comment /*",
        ),
        (
            "CREATE TABLE x (id int);\nINSERT INTO x VALUES ('a);\nCREATE TABLE y (id int);\n",
            2,
            "string '",
        ),
        (
            "CREATE TABLE x (id int);\n\nCREATE TABLE `y (id int);\n",
            3,
            "quoted identifier `",
        ),
    ] {
        std::fs::write(dir.path().join("data/schema.sql"), script).unwrap();
        let error = refused(dir.path(), &before).await;
        let message = error.to_string();
        assert!(
            message.starts_with(&format!("data/schema.sql:{line}: {what} is never closed")),
            "{message}"
        );
    }
}

#[tokio::test]
async fn an_empty_script_is_a_notice() {
    let dir = tempfile::tempdir().unwrap();
    project_with(
        dir.path(),
        "[[inputs]]\npath = \"a.sql\"\n\n[[inputs]]\npath = \"b.sql\"\n",
        &[
            ("a.sql", "CREATE TABLE a (id int);\n"),
            ("b.sql", "-- nothing yet\n/* really */\n"),
        ],
    );
    let (inventory, report) = Project::open(dir.path()).unwrap().import().await.unwrap();
    let notice = inventory
        .findings
        .iter()
        .find(|f| f.code == "empty-script")
        .expect("an empty-script notice");
    assert_eq!(notice.source, "b.sql");
    assert_eq!(report.notices, 1);
}

#[tokio::test]
async fn oversized_statements_are_refused_naming_file_and_line() {
    use migration_studio::import::ddl::{MAX_PARSED_STATEMENT_BYTES, MAX_STATEMENT_BYTES};
    let dir = tempfile::tempdir().unwrap();
    project_with(
        dir.path(),
        "[[inputs]]\npath = \"big.sql\"\n",
        &[("big.sql", "CREATE TABLE t (id int, x text);\n")],
    );
    let (before, _) = Project::open(dir.path()).unwrap().import().await.unwrap();

    // Past the limit for any statement: refused once the splitter passes it.
    let huge = format!(
        "CREATE TABLE t (id int, x text);\n\nINSERT INTO t VALUES (1, '{}');\n",
        "x".repeat(MAX_STATEMENT_BYTES)
    );
    std::fs::write(dir.path().join("big.sql"), huge).unwrap();
    let message = refused(dir.path(), &before).await.to_string();
    assert!(
        message.starts_with("big.sql:3: statement is longer than the 67108864-byte limit"),
        "{message}"
    );

    // Past the limit for statements parsed whole (all but INSERT … VALUES).
    let long = format!(
        "CREATE TABLE t (id int, x text);\nCREATE VIEW v AS SELECT '{}' AS x;\n",
        "x".repeat(MAX_PARSED_STATEMENT_BYTES)
    );
    std::fs::write(dir.path().join("big.sql"), long).unwrap();
    let message = refused(dir.path(), &before).await.to_string();
    assert!(
        message.starts_with("big.sql:2: CREATE VIEW v is longer than the 8388608-byte limit"),
        "{message}"
    );
}
