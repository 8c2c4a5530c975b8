//! The command line's exit codes by class, through the real binary: 0 success, 1 a gate or
//! verdict failed, 2 bad input, 3 a database could not be reached or refused (README, "Exit
//! codes"; `docs/CODES.md`).

use std::path::Path;
use std::process::{Command, Output};

use migration_studio::codes::ErrorClass;
use migration_studio::project::MANIFEST_FILE;

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_migration-studio"))
        .args(args)
        .env("MIGRATION_STUDIO_CONNECT_TIMEOUT", "2")
        .env_remove("MIGRATION_STUDIO_SOURCE_URL")
        .env_remove("MIGRATION_STUDIO_TARGET_URL")
        .output()
        .expect("the binary runs")
}

#[track_caller]
fn exits(out: &Output, code: u8, says: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(i32::from(code)),
        "stderr: {stderr}\nstdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(stderr.contains(says), "expected `{says}` in: {stderr}");
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temporary path")
}

/// A project with one DDL script.
fn project(dir: &Path, ddl: &str) {
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::write(dir.join("data/schema.sql"), ddl).unwrap();
    std::fs::write(
        dir.join(MANIFEST_FILE),
        "name = \"codes\"\nrto_minutes = 30\nmaintenance_window_minutes = 60\n\n[source]\nengine = \"mysql\"\n\n[target]\nengine = \"postgres\"\n\n[[inputs]]\npath = \"data/schema.sql\"\n",
    )
    .unwrap();
}

/// An SQLite database file holding table `t` with the given ids.
async fn sqlite(path: &Path, ids: &[i64]) -> String {
    let url = format!("sqlite://{}", path.display());
    let pool = sqlx::SqlitePool::connect(&format!("{url}?mode=rwc"))
        .await
        .unwrap();
    sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    for id in ids {
        sqlx::query("INSERT INTO t VALUES (?, 'x')")
            .bind(id)
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;
    url
}

#[test]
fn the_documented_codes_are_the_classes_codes() {
    assert_eq!(ErrorClass::Failed.exit_code(), 1);
    assert_eq!(ErrorClass::BadInput.exit_code(), 2);
    assert_eq!(ErrorClass::Unavailable.exit_code(), 3);
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    for class in ErrorClass::ALL {
        let row = format!("| {} | {} |", class.exit_code(), class.name());
        assert!(readme.contains(&row), "README lacks the row `{row}`");
    }
}

#[test]
fn success_is_0_and_bad_input_is_2() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("p");
    project(&root, "CREATE TABLE a (id INT PRIMARY KEY);\n");
    let p = path(&root);
    exits(&cli(&["import", p]), 0, "");
    exits(&cli(&["plan", p]), 0, "");

    // Usage: the argument parser's own errors.
    exits(&cli(&["plan", p, "--no-such-flag"]), 2, "--no-such-flag");
    exits(&cli(&["no-such-command"]), 2, "no-such-command");
    // A project initialised twice.
    exits(
        &cli(&["init", p, "--source", "mysql", "--target", "postgres"]),
        2,
        "already exists",
    );
    // A run id that could name a path outside the project.
    exits(
        &cli(&["plan", p, "--calibrate-from", "../../etc"]),
        2,
        "no rehearsal",
    );
    // A CSV with a bad cell.
    let csv = root.join("risks.csv");
    std::fs::write(
        &csv,
        "title,category,severity,likelihood\nCold cache,performance,9,1\n",
    )
    .unwrap();
    exits(&cli(&["risks", "import", p, path(&csv)]), 2, "severity");
    // Broken DDL, then a broken manifest.
    project(&root, "CREATE TABLE a (id INT PRIMARY KEY GARBAGE HERE);\n");
    exits(&cli(&["import", p]), 2, "schema.sql:1");
    std::fs::write(
        root.join(MANIFEST_FILE),
        "name = \"codes\"\nrto_minutes = \"soon\"\n",
    )
    .unwrap();
    exits(&cli(&["plan", p]), 2, MANIFEST_FILE);
    exits(
        &cli(&["plan", path(&dir.path().join("nothing-here"))]),
        2,
        "not a Migration Studio project",
    );
}

#[tokio::test]
async fn a_verdict_other_than_equal_is_1_and_an_unreachable_database_is_3() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("p");
    project(
        &root,
        "CREATE TABLE t (id INT PRIMARY KEY, name TEXT NOT NULL);\n",
    );
    let source = sqlite(&dir.path().join("source.db"), &[1, 2, 3]).await;
    let equal = sqlite(&dir.path().join("equal.db"), &[1, 2, 3]).await;
    let missing = sqlite(&dir.path().join("missing.db"), &[1, 3]).await;
    let validate = |target: &str| {
        cli(&[
            "validate",
            path(&root),
            "--source-url",
            &source,
            "--target-url",
            target,
        ])
    };
    exits(&validate(&equal), 0, "");
    exits(&validate(&missing), 1, "validation verdict");

    // Nothing listens on port 1: the connection is refused.
    exits(
        &validate("postgres://postgres@127.0.0.1:1/none"),
        3,
        "127.0.0.1:1",
    );
    exits(&validate("mysql://root@127.0.0.1:1/none"), 3, "127.0.0.1:1");
}
