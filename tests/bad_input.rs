//! Bad input gets a clear error naming the file, line and what was expected, and changes
//! nothing: the store keeps the previous import.

mod common;

use std::path::Path;

use migration_studio::import::ddl::DdlImporter;
use migration_studio::import::{Engine, ImportError};
use migration_studio::project::{Project, ProjectError, MANIFEST_FILE};

fn project_with(dir: &Path, manifest_inputs: &str, files: &[(&str, &str)]) {
    std::fs::create_dir_all(dir.join("data")).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    std::fs::write(
        dir.join(MANIFEST_FILE),
        format!(
            "name = \"bad\"\nrto_minutes = 30\nmaintenance_window_minutes = 60\n\n[source]\nengine = \"mysql\"\n\n[target]\nengine = \"postgres\"\n{manifest_inputs}"
        ),
    )
    .unwrap();
}

#[tokio::test]
async fn a_ddl_error_names_file_and_line_and_leaves_the_store_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let good = "CREATE TABLE a (id INT PRIMARY KEY);\nCREATE TABLE b (id INT PRIMARY KEY, a_id INT REFERENCES a (id));\n";
    project_with(
        dir.path(),
        "[[inputs]]\npath = \"data/schema.sql\"\n",
        &[("data/schema.sql", good)],
    );
    let project = Project::open(dir.path()).unwrap();
    let (first, _) = project.import().await.unwrap();
    assert_eq!(first.tables.len(), 2);

    // Line 4 has a broken column definition.
    let broken = "CREATE TABLE a (id INT PRIMARY KEY);\nCREATE TABLE c (id INT PRIMARY KEY);\n\nCREATE TABLE b (\n  id INT PRIMARY KEY,\n  a_id INT REFERENCES a (id) GARBAGE HERE\n);\n";
    std::fs::write(dir.path().join("data/schema.sql"), broken).unwrap();
    let error = project
        .import()
        .await
        .expect_err("the broken DDL is refused");
    let message = error.to_string();
    assert!(
        matches!(&error, ProjectError::Import(ImportError::Parse { file, line: 6, .. }) if file == "data/schema.sql"),
        "{error:?}"
    );
    assert!(
        message.starts_with("data/schema.sql:6: cannot parse CREATE TABLE b"),
        "{message}"
    );
    assert!(message.contains("Expected"), "{message}");

    // Nothing of the broken import was stored: table c is not there, a and b still are.
    let stored = project
        .store()
        .await
        .unwrap()
        .inventory()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.inventory, first);
}

#[test]
fn an_fk_to_a_missing_table_is_a_finding_not_a_crash() {
    let mut importer = DdlImporter::new(Engine::Postgres);
    importer
        .add_script(
            "x.sql",
            "CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers (id));",
        )
        .unwrap();
    let inventory = importer.finish();
    let finding = inventory
        .findings
        .iter()
        .find(|f| f.code == "dangling-fk")
        .expect("dangling FK reported");
    assert!(
        finding.message.contains("public.customers"),
        "{}",
        finding.message
    );
    let graph = migration_studio::graph::DependencyGraph::from_inventory(&inventory);
    assert_eq!(graph.dependency_count(), 0);
    assert_eq!(graph.order().waves.len(), 1);
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let depth = 100_000;
    let sql = format!(
        "CREATE TABLE t (x int DEFAULT {}1{});",
        "(".repeat(depth),
        ")".repeat(depth)
    );
    let mut importer = DdlImporter::new(Engine::Postgres);
    let error = importer.add_script("deep.sql", &sql).expect_err("refused");
    assert!(
        matches!(&error, ImportError::Parse { line: 1, expected, .. } if expected.contains("nesting")),
        "{error}"
    );
}

#[test]
fn skipped_statements_are_counted_and_visible() {
    let mut importer = DdlImporter::new(Engine::Mysql);
    let script = "CREATE TABLE t (\n a int,\n /*!50705 b int,*/\n c int);\nDELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; END //\nDELIMITER ;\nFROBNICATE THE DATABASE;\n";
    importer.add_script("s.sql", script).unwrap();
    assert_eq!(importer.summary().skipped, 2);
    let inventory = importer.finish();
    let lines: Vec<Option<usize>> = inventory
        .findings
        .iter()
        .filter(|f| f.code == "skipped-statement")
        .map(|f| f.line)
        .collect();
    assert_eq!(lines, [Some(3), Some(8)]);
    assert_eq!(inventory.tables[0].columns.len(), 2);
}

#[test]
fn a_manifest_error_names_the_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(MANIFEST_FILE),
        "name = \"x\"\nrto_minutes = \"soon\"\nmaintenance_window_minutes = 60\n[source]\nengine = \"mysql\"\n[target]\nengine = \"postgres\"\n",
    )
    .unwrap();
    let error = Project::open(dir.path()).expect_err("refused");
    assert!(
        matches!(error, ProjectError::Manifest { line: Some(2), .. }),
        "{error:?}"
    );

    std::fs::write(
        dir.path().join(MANIFEST_FILE),
        "name = \"x\"\nrto_minutes = 30\nmaintenance_window_minutes = 60\n[source]\nengine = \"oracle\"\n[target]\nengine = \"postgres\"\n",
    )
    .unwrap();
    let error = Project::open(dir.path()).expect_err("refused").to_string();
    assert!(error.contains(":5:") && error.contains("oracle"), "{error}");
}

#[test]
fn input_paths_cannot_escape_the_project() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("p");
    project_with(&project, "[[inputs]]\npath = \"../secret.sql\"\n", &[]);
    let error = Project::open(&project).expect_err("refused");
    assert!(
        matches!(&error, ProjectError::PathEscapes { line: Some(11), .. }),
        "{error:?}"
    );

    #[cfg(unix)]
    {
        std::fs::write(dir.path().join("outside.sql"), "CREATE TABLE x (id int);").unwrap();
        project_with(&project, "[[inputs]]\npath = \"data/link.sql\"\n", &[]);
        std::os::unix::fs::symlink(
            dir.path().join("outside.sql"),
            project.join("data/link.sql"),
        )
        .unwrap();
        let error = Project::open(&project).expect_err("symlink out refused");
        assert!(error.to_string().contains("symbolic link"), "{error}");
    }
}

#[test]
fn creating_a_project_whose_input_escapes_it_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("new-project");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_migration-studio"))
        .arg("init")
        .arg(&project)
        .args(["--source", "mysql", "--target", "postgres"])
        .args(["--input", "ddl/schema.sql", "--input", "../../etc/passwd"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("../../etc/passwd") && stderr.contains("climbs out"),
        "{stderr}"
    );
    assert!(
        !project.exists(),
        "no folder, manifest or store was created"
    );
}

#[test]
fn identifiers_with_quotes_unicode_and_semicolons_survive() {
    let mut importer = DdlImporter::new(Engine::Postgres);
    importer
        .add_script(
            "names.sql",
            "CREATE TABLE \"we;ird \"\"name\"\"\" (\"bıgınt\" int PRIMARY KEY);\nCREATE TABLE \"=cmd()\" (id int REFERENCES \"we;ird \"\"name\"\"\" (\"bıgınt\"));",
        )
        .unwrap();
    let inventory = importer.finish();
    let names: Vec<&str> = inventory
        .tables
        .iter()
        .map(|t| t.name.name.as_str())
        .collect();
    assert_eq!(names, ["=cmd()", "we;ird \"name\""]);
    assert_eq!(inventory.tables[1].primary_key, ["bıgınt"]);
    assert_eq!(
        inventory.tables[0].foreign_keys[0].references.name,
        "we;ird \"name\""
    );
}
