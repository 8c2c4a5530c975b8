//! Guards under misuse, against real databases: the source can never be the target, one writer
//! per run, and nothing a run writes leaves the project's run folder.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{mariadb, psql, ScratchMaria, ScratchPg};
use migration_studio::db::{self, Access, RunLock};
use migration_studio::import::Engine;
use migration_studio::plan::MigrationShape;
use migration_studio::project::Manifest;

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    Manifest::new(
        "safety-test",
        Engine::Mysql,
        Engine::Postgres,
        MigrationShape::Cdc,
    )
    .create(dir.path())
    .unwrap();
    dir
}

fn backfill(project: &Path, source: &str, target: &str, extra: &[&str]) -> Output {
    common::between("backfill", project, source, target, extra)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn pg_tables(db: &str) -> String {
    psql(
        db,
        &[
            "-At",
            "-c",
            "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'",
        ],
        None,
    )
    .trim()
    .to_owned()
}

#[test]
fn a_postgres_source_spelled_another_way_is_refused_as_its_own_target() {
    let db = ScratchPg::new("safe_same_pg");
    psql(
        &db.name,
        &[
            "-c",
            "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 100)",
        ],
        None,
    );
    let project = project();
    let output = backfill(
        project.path(),
        &db.url(),
        &format!(
            "postgresql://postgres@localhost/{}?application_name=x",
            db.name
        ),
        &["--mark-rehearsal-target"],
    );
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("is the source database"),
        "{}",
        stderr(&output)
    );
    assert_eq!(pg_tables(&db.name), "t", "no marker, no bookkeeping table");
    let rows = psql(
        &db.name,
        &["-At", "-c", "SELECT count(*), sum(id) FROM t"],
        None,
    );
    assert_eq!(rows.trim(), "100|5050");
}

#[test]
fn a_mariadb_source_spelled_another_way_is_refused_as_its_own_target() {
    let db = ScratchMaria::new("safe_same_my");
    mariadb(
        &db.name,
        &[
            "-e",
            "CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t SELECT seq FROM seq_1_to_100",
        ],
        None,
    );
    let project = project();
    let output = backfill(
        project.path(),
        &db.url(),
        &format!("mariadb://root@localhost:3306/{}", db.name),
        &["--mark-rehearsal-target"],
    );
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("is the source database"),
        "{}",
        stderr(&output)
    );
    let tables = mariadb(
        &db.name,
        &["-N", "-e", "SELECT GROUP_CONCAT(TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"],
        None,
    );
    assert_eq!(tables.trim(), "t");
}

#[test]
fn a_database_holding_a_changelog_is_never_marked_as_a_target() {
    let source = ScratchPg::new("safe_cl_src");
    psql(
        &source.name,
        &["-c", "CREATE TABLE t (id int PRIMARY KEY)"],
        None,
    );
    let former_source = ScratchPg::new("safe_cl_tgt");
    psql(
        &former_source.name,
        &[
            "-c",
            "CREATE TABLE _migration_studio_changelog (seq bigint)",
        ],
        None,
    );
    let project = project();
    let output = backfill(
        project.path(),
        &source.url(),
        &former_source.url(),
        &["--mark-rehearsal-target"],
    );
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("change-capture changelog"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        pg_tables(&former_source.name),
        "_migration_studio_changelog"
    );
}

#[tokio::test]
async fn a_second_writer_of_the_same_run_is_refused_naming_the_holder() {
    let source = ScratchMaria::new("safe_lock_src");
    mariadb(
        &source.name,
        &[
            "-e",
            "CREATE TABLE t (id INT, v INT); INSERT INTO t SELECT seq, seq FROM seq_1_to_1000; \
                 CREATE TABLE k (id INT PRIMARY KEY); INSERT INTO k SELECT seq FROM seq_1_to_10",
        ],
        None,
    );
    for (target_url, target) in [
        (ScratchPg::new("safe_lock_pg").url(), None),
        (String::new(), Some(ScratchMaria::new("safe_lock_my"))),
    ] {
        let target_url = target.as_ref().map_or(target_url, ScratchMaria::url);
        let project = project();
        let db = db::connect(&target_url, Access::ReadWrite, 2)
            .await
            .unwrap();
        db::guard::mark_rehearsal_target(&db, "test").await.unwrap();
        let held = RunLock::acquire(&db, "r1").await.unwrap();
        let output = backfill(
            project.path(),
            &source.url(),
            &target_url,
            &["--run-id", "r1", "--create-tables"],
        );
        assert!(!output.status.success());
        let err = stderr(&output);
        assert!(
            err.contains("run r1 is already being written by another process"),
            "{err}"
        );
        assert!(
            err.contains("PostgreSQL backend pid") || err.contains("connection "),
            "{err}"
        );
        // Another run id is another writer's business.
        let other = RunLock::acquire(&db, "r2").await.unwrap();
        other.release().await;
        held.release().await;
        let output = backfill(
            project.path(),
            &source.url(),
            &target_url,
            &["--run-id", "r1"],
        );
        assert!(output.status.success(), "{}", stderr(&output));
        db.close().await;
    }
}

#[tokio::test]
async fn a_sqlite_run_lock_is_exclusive_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.db");
    std::fs::write(&file, b"").unwrap();
    let url = format!("sqlite:{}?mode=rwc", file.display());
    let db = db::connect(&url, Access::ReadWrite, 2).await.unwrap();
    let held = RunLock::acquire(&db, "r1").await.unwrap();
    let refused = RunLock::acquire(&db, "r1").await.unwrap_err().to_string();
    assert!(
        refused.contains(&format!("process {}", std::process::id())),
        "{refused}"
    );
    held.release().await;
    let again = RunLock::acquire(&db, "r1").await.unwrap();
    again.release().await;
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains(".lock"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    db.close().await;
}

#[test]
fn a_run_id_that_is_a_path_is_refused_before_anything_is_written() {
    let source = ScratchMaria::new("safe_runid_src");
    mariadb(
        &source.name,
        &["-e", "CREATE TABLE t (id INT PRIMARY KEY)"],
        None,
    );
    let target = ScratchPg::new("safe_runid_tgt");
    let outer = tempfile::tempdir().unwrap();
    let project = outer.path().join("p");
    Manifest::new("p", Engine::Mysql, Engine::Postgres, MigrationShape::Cdc)
        .create(&project)
        .unwrap();
    let output = backfill(
        &project,
        &source.url(),
        &target.url(),
        &["--run-id", "../../../escaped", "--mark-rehearsal-target"],
    );
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("is not valid"),
        "{}",
        stderr(&output)
    );
    assert_eq!(pg_tables(&target.name), "", "nothing written to the target");
    let outside: Vec<_> = std::fs::read_dir(outer.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(outside, ["p"]);
    assert!(!project.join(".migration-studio").exists());
}

#[test]
fn rejects_of_a_table_named_like_a_path_stay_in_the_run_folder() {
    let source = ScratchMaria::new("safe_names_src");
    mariadb(
        &source.name,
        &[
            "-e",
            "CREATE TABLE `../../../../x` (id INT PRIMARY KEY, t TEXT); \
                 INSERT INTO `../../../../x` VALUES (1, 'fine'), (2, CONCAT('a', CHAR(0), 'b'))",
        ],
        None,
    );
    let target = ScratchPg::new("safe_names_tgt");
    let outer = tempfile::tempdir().unwrap();
    let project = outer.path().join("a/b/c/p");
    Manifest::new("p", Engine::Mysql, Engine::Postgres, MigrationShape::Cdc)
        .create(&project)
        .unwrap();
    let output = backfill(
        &project,
        &source.url(),
        &target.url(),
        &[
            "--run-id",
            "names",
            "--mark-rehearsal-target",
            "--create-tables",
            "--json",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["tables"][0]["rejected"], 1);
    let rejects = project.join(".migration-studio/runs/names/rejects");
    let files: Vec<String> = std::fs::read_dir(&rejects)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(
        files,
        [format!(
            "{}.%2E%2E%2F.%2E%2F.%2E%2F.%2E%2Fx.jsonl",
            source.name
        )]
    );
    let kept = std::fs::read_to_string(rejects.join(&files[0])).unwrap();
    assert!(kept.contains("\"v\":2"), "{kept}");
    let mut everything = Vec::new();
    collect_files(outer.path(), &mut everything);
    assert!(
        everything.iter().all(|f| f.starts_with(&project)),
        "{everything:?}"
    );
}

fn collect_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn a_refused_connection_names_the_address_and_the_os_error() {
    let project = project();
    let output = backfill(
        project.path(),
        "postgres://postgres@127.0.0.1:1/nothing",
        "postgres://postgres@127.0.0.1:1/nothing",
        &[],
    );
    assert!(!output.status.success());
    let err = stderr(&output);
    assert!(err.contains("127.0.0.1:1"), "{err}");
    assert!(err.contains("Connection refused"), "{err}");
    assert!(!err.contains("pool timed out"), "{err}");
}

#[test]
fn a_server_that_never_answers_fails_at_the_connect_timeout() {
    // Accepts connections and says nothing, as a firewall or a hung server does.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let project = project();
    let output = Command::new(env!("CARGO_BIN_EXE_migration-studio"))
        .arg("backfill")
        .arg(project.path())
        .args(["--source-url", &format!("mysql://root@127.0.0.1:{port}/x")])
        .args(["--target-url", &format!("mysql://root@127.0.0.1:{port}/y")])
        .env("MIGRATION_STUDIO_CONNECT_TIMEOUT", "0.5")
        .output()
        .unwrap();
    drop(listener);
    assert!(!output.status.success());
    let err = stderr(&output);
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
    assert!(err.contains("no answer within 0.5 s"), "{err}");
}

fn parent_child_source(label: &str) -> ScratchMaria {
    let source = ScratchMaria::new(label);
    mariadb(
        &source.name,
        &[
            "-e",
            "CREATE TABLE parent (id INT PRIMARY KEY, code INT NOT NULL, KEY by_code (code)); \
                 CREATE TABLE child (id INT PRIMARY KEY, parent_id INT NOT NULL, \
                   CONSTRAINT child_parent FOREIGN KEY (parent_id) REFERENCES parent (id)); \
                 INSERT INTO parent SELECT seq, seq * 2 FROM seq_1_to_300; \
                 INSERT INTO child SELECT seq, 1 + seq % 300 FROM seq_1_to_900",
        ],
        None,
    );
    source
}

fn pg_objects(db: &str) -> String {
    psql(
        db,
        &["-At", "-c", "SELECT coalesce((SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes \
                        WHERE schemaname = 'public' AND indexname NOT LIKE '%pkey' AND indexname NOT LIKE '_migration%'), '') \
                        || ' | ' || coalesce((SELECT string_agg(conname, ',' ORDER BY conname) FROM pg_constraint WHERE contype = 'f'), '')"],
        None,
    )
    .trim()
    .to_owned()
}

/// A `--post-copy` killed part-way leaves some objects made: the next run creates only the
/// rest, and `--restart` drops the foreign keys it made before reloading the rows.
#[test]
fn post_copy_can_be_repeated_resumed_and_restarted() {
    let source = parent_child_source("safe_post_src");
    let target = ScratchPg::new("safe_post_tgt");
    let project = project();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "--run-id",
            "post",
            "--mark-rehearsal-target",
            "--create-tables",
        ];
        args.extend_from_slice(extra);
        backfill(project.path(), &source.url(), &target.url(), &args)
    };
    // As a kill after the first index and before the foreign key leaves it.
    let first = run(&[]);
    assert!(first.status.success(), "{}", stderr(&first));
    psql(
        &target.name,
        &["-c", "CREATE INDEX parent_by_code ON parent (code)"],
        None,
    );
    for attempt in ["resumed", "repeated"] {
        let out = run(&["--post-copy"]);
        assert!(out.status.success(), "{attempt}: {}", stderr(&out));
        assert_eq!(
            pg_objects(&target.name),
            "child_child_parent,parent_by_code | child_parent",
            "{attempt}"
        );
    }
    let restarted = run(&["--post-copy", "--restart"]);
    assert!(restarted.status.success(), "{}", stderr(&restarted));
    assert_eq!(
        pg_objects(&target.name),
        "child_child_parent,parent_by_code | child_parent"
    );
    let rows = psql(
        &target.name,
        &[
            "-At",
            "-c",
            "SELECT (SELECT count(*) FROM parent) + (SELECT count(*) FROM child)",
        ],
        None,
    );
    assert_eq!(rows.trim(), "1200");
}

#[test]
fn post_copy_refuses_a_name_taken_on_other_columns() {
    let source = parent_child_source("safe_postc_src");
    let target = ScratchPg::new("safe_postc_tgt");
    let project = project();
    let first = backfill(
        project.path(),
        &source.url(),
        &target.url(),
        &["--mark-rehearsal-target", "--create-tables"],
    );
    assert!(first.status.success(), "{}", stderr(&first));
    psql(
        &target.name,
        &["-c", "CREATE INDEX parent_by_code ON parent (id, code)"],
        None,
    );
    let out = backfill(
        project.path(),
        &source.url(),
        &target.url(),
        &["--post-copy"],
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("parent_by_code exists on columns (id,code)"),
        "{err}"
    );
    assert_eq!(
        pg_objects(&target.name),
        "parent_by_code |",
        "nothing replaced"
    );
}
