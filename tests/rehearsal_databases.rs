//! A MySQL project spread over two databases (`shop` and `billing`, each made by the schema
//! script, the data script qualifying its tables without a `USE` of its own), rehearsed into
//! PostgreSQL: both load into the run's scratch source, the rehearsal passes, and its report
//! names every table the project's way (`shop.customer`, `billing.invoice`), never the scratch
//! database's. Nothing is left behind, run to completion or interrupted once its scratch
//! databases hold both.

mod common;

use migration_studio::project::Project;
use migration_studio::rehearsal::state::Stage;
use migration_studio::rehearsal::{self, RehearsalOptions, Verdict};

const SCHEMA: &str = "CREATE DATABASE shop;
USE shop;
CREATE TABLE customer (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(40) NOT NULL) ENGINE=InnoDB;
CREATE TABLE customer_note (id INT PRIMARY KEY AUTO_INCREMENT, customer_id INT NOT NULL,
  note VARCHAR(80) NOT NULL, FOREIGN KEY (customer_id) REFERENCES customer (id)) ENGINE=InnoDB;
CREATE DATABASE billing;
USE billing;
CREATE TABLE invoice (id INT PRIMARY KEY AUTO_INCREMENT, customer_id INT NOT NULL,
  total DECIMAL(10,2) NOT NULL) ENGINE=InnoDB;
";

const DATA: &str = "INSERT INTO shop.customer VALUES (1, 'Ana'), (2, 'Ben'), (3, 'Chloé');
INSERT INTO shop.customer_note VALUES (1, 1, 'prefers e-mail'), (2, 3, 'VIP');
INSERT INTO billing.invoice VALUES (1, 1, 9.99), (2, 1, 20.00), (3, 3, 5.50);
";

/// The project in `dir/two-databases`, imported.
fn project(dir: &std::path::Path) -> std::path::PathBuf {
    let root = dir.join("two-databases");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("schema.sql"), SCHEMA).unwrap();
    std::fs::write(root.join("data.sql"), DATA).unwrap();
    std::fs::write(
        root.join("migration-studio.toml"),
        "name = \"two-databases\"\nshape = \"cdc\"\nrto_minutes = 30\nmaintenance_window_minutes = 60\n\n\
         [source]\nengine = \"mysql\"\n\n[target]\nengine = \"postgres\"\n\n\
         [[inputs]]\npath = \"schema.sql\"\n\n[[inputs]]\npath = \"data.sql\"\n",
    )
    .unwrap();
    common::cli_ok(&["import", root.to_str().unwrap()]);
    root
}

#[tokio::test]
async fn a_project_over_two_mysql_databases_rehearses_under_its_own_names() {
    let dir = tempfile::tempdir().unwrap();
    let root = project(dir.path());
    let project = Project::open(&root).unwrap();
    let report = rehearsal::rehearse(
        &project,
        &RehearsalOptions {
            post_cutover_seconds: 1.0,
            ..RehearsalOptions::default()
        },
    )
    .await
    .unwrap();
    common::no_scratch_databases(&report.id);
    assert_eq!(report.verdict, Verdict::Pass, "{:?}", report.failed_because);
    assert_eq!(report.source_rows, 8);
    assert_eq!(report.rows_lost, 0);
    let json = serde_json::to_string(&report).unwrap();
    assert!(
        !json.contains("ms_rh_"),
        "a scratch name in the report: {json}"
    );
    for table in ["shop.customer", "shop.customer_note", "billing.invoice"] {
        assert!(json.contains(table), "{table} missing from the report");
    }
    let folder = root
        .join(".migration-studio")
        .join("rehearsals")
        .join(&report.id);
    for file in ["report.md", "report.html"] {
        let text = std::fs::read_to_string(folder.join(file)).unwrap();
        assert!(!text.contains("ms_rh_"), "a scratch name in {file}");
    }
}

#[test]
fn a_project_over_two_mysql_databases_interrupted_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let root = project(dir.path());
    // Interrupted while provisioned (loading both databases into the scratch source) and again
    // once its capture runs (triggers on the tables of both).
    common::interrupted_leaves_nothing(&root, |s| s.stage == Stage::Provisioned);
    common::interrupted_leaves_nothing(&root, |s| s.stage == Stage::CatchUp);
}
