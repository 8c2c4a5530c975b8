//! Backfill against real databases: every row arrives, kills lose nothing, refused rows are
//! kept, names never become SQL.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use common::{mariadb, psql, ScratchMaria, ScratchPg};
use migration_studio::data::{read_rows, TableSpec};
use migration_studio::db::{self, Access, Database};
use migration_studio::import::live::import_live;
use migration_studio::import::Engine;
use migration_studio::inventory::Inventory;
use migration_studio::plan::MigrationShape;
use migration_studio::project::Manifest;

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let manifest = Manifest::new(
        "backfill-test",
        Engine::Mysql,
        Engine::Postgres,
        MigrationShape::Cdc,
    );
    manifest.create(dir.path()).unwrap();
    dir
}

fn backfill(project: &Path, source: &str, target: &str, extra: &[&str]) -> Output {
    common::between("backfill", project, source, target, extra)
}

fn ok(output: Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "backfill failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

async fn inventory(db: &Database, url: &str) -> Inventory {
    let schemas: Vec<String> = db.default_schema.iter().cloned().collect();
    import_live(db.engine, url, &schemas)
        .await
        .expect("live import")
}

/// Canonical rows of every table, by table name, in key order.
async fn canonical_tables(url: &str) -> BTreeMap<String, Vec<Vec<Option<String>>>> {
    let db = db::connect(url, Access::ReadOnly, 2).await.unwrap();
    let inv = inventory(&db, url).await;
    let mut out = BTreeMap::new();
    for table in inv
        .tables
        .iter()
        .filter(|t| !t.name.name.starts_with("_migration_studio"))
    {
        let Ok(spec) = TableSpec::new(db.engine, table) else {
            continue;
        };
        let rows = read_rows(&db, &spec, None, None, None).await.unwrap();
        let canonical = rows
            .iter()
            .map(|r| {
                r.iter()
                    .zip(&spec.columns)
                    .map(|(c, col)| c.canonical(&col.logical))
                    .collect()
            })
            .collect();
        out.insert(table.name.name.clone(), canonical);
    }
    db.close().await;
    out
}

#[tokio::test]
async fn sakila_mariadb_to_postgres_every_table_arrives_equal() {
    let source = ScratchMaria::new("bf_sakila_src");
    common::load_sakila_mariadb(&source.name);
    let target = ScratchPg::new("bf_sakila_tgt");
    let project = project();
    let out = ok(backfill(
        project.path(),
        &source.url(),
        &target.url(),
        &[
            "--create-tables",
            "--post-copy",
            "--mark-rehearsal-target",
            "--chunk-rows",
            "1000",
        ],
    ));
    assert!(out.contains("47273 rows"), "{out}");
    let fks = psql(
        &target.name,
        &[
            "-At",
            "-c",
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f'",
        ],
        None,
    );
    assert_eq!(fks.trim(), "22", "every FK created after the copy");

    let (src, tgt) = (
        canonical_tables(&source.url()).await,
        canonical_tables(&target.url()).await,
    );
    assert_eq!(src.len(), 16);
    assert_eq!(
        src.keys().collect::<Vec<_>>(),
        tgt.keys().collect::<Vec<_>>()
    );
    for (table, rows) in &src {
        assert_eq!(rows.len(), tgt[table].len(), "{table}: row count");
        assert!(rows == &tgt[table], "{table}: rows differ");
    }
    // TINYINT(1) became boolean, ENUM and SET text, YEAR smallint.
    let types = psql(&target.name, &["-At", "-c", "SELECT data_type FROM information_schema.columns WHERE table_name = 'film' AND column_name IN ('rating', 'release_year') ORDER BY column_name"], None);
    assert_eq!(
        types.split_whitespace().collect::<Vec<_>>(),
        ["text", "smallint"]
    );

    // A second run with the same run id finds every table done and copies nothing again.
    let again = ok(backfill(
        project.path(),
        &source.url(),
        &target.url(),
        &["--json"],
    ));
    let report: serde_json::Value = serde_json::from_str(&again).unwrap();
    assert!(report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["chunks"] == 0));

    // The application's first insert after the cutover leaves the key and `last_update` to the
    // database, as it did on MariaDB: the identity draws past the copied keys.
    let schema = psql(
        &target.name,
        &[
            "-At",
            "-c",
            "SELECT table_schema FROM information_schema.tables WHERE table_name = 'actor'",
        ],
        None,
    );
    let actor = format!("\"{}\".actor", schema.trim());
    let inserted = psql(
        &target.name,
        &["-At", "-c", &format!("INSERT INTO {actor} (first_name, last_name) VALUES ('NEW', 'ACTOR') RETURNING actor_id, last_update IS NOT NULL")],
        None,
    );
    assert_eq!(inserted.lines().next(), Some("201|t"), "{inserted}");

    // A sequence left behind the copied keys is found by validation, with the rows it would
    // hand out again.
    psql(
        &target.name,
        &[
            "-At",
            "-c",
            &format!("SELECT setval(pg_get_serial_sequence('{actor}', 'actor_id'), 150)"),
        ],
        None,
    );
    let report = validate_json(project.path(), &source.url(), &target.url());
    let checks = report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| {
            t["target_table"]
                .as_str()
                .is_some_and(|n| n.ends_with(".actor"))
        })
        .map(|t| t["constraints"].clone())
        .unwrap();
    let behind = checks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "generated_key")
        .unwrap_or_else(|| panic!("{checks:#}"));
    assert_eq!(
        behind["violations"], 51,
        "keys 151..201 would be drawn again: {behind}"
    );
}

/// Copies Chinook (SQLite, a copy of the sample project's file) into `target` with its tables created
/// and its indexes and foreign keys after the copy, and checks that every table arrived with
/// the same rows. Returns the project and the source URL, with the folder holding the copy.
async fn chinook_sqlite_into(target: &str) -> (tempfile::TempDir, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("chinook.sqlite");
    std::fs::copy(
        common::sample_file("chinook-sqlite-to-postgres/data/Chinook_Sqlite.sqlite"),
        &file,
    )
    .unwrap();
    let source = format!("sqlite://{}", file.display());
    let project = project();
    let out = ok(backfill(
        project.path(),
        &source,
        target,
        &["--create-tables", "--post-copy", "--mark-rehearsal-target"],
    ));
    assert!(out.contains("15607 rows"), "{out}");
    let (src, tgt) = (
        canonical_tables(&source).await,
        canonical_tables(target).await,
    );
    assert_eq!(src.len(), 11);
    for (table, rows) in &src {
        assert!(rows == &tgt[table], "{table}: rows differ");
    }
    (project, source, dir)
}

#[tokio::test]
async fn chinook_sqlite_to_postgres() {
    let target = ScratchPg::new("bf_chinook_tgt");
    chinook_sqlite_into(&target.url()).await;
}

#[tokio::test]
async fn pagila_postgres_to_postgres_through_partitions() {
    let [schema, data] =
        common::pagila_scripts().map(|path| std::fs::read_to_string(path).unwrap());
    let source = ScratchPg::new("bf_pagila_src");
    psql(&source.name, &[], Some(&format!("{schema}\n{data}")));
    let target = ScratchPg::new("bf_pagila_tgt");
    psql(&target.name, &[], Some(&schema));
    let project = project();
    let out = ok(backfill(
        project.path(),
        &source.url(),
        &target.url(),
        &["--mark-rehearsal-target"],
    ));
    assert!(
        out.contains("skipped public.payment: partitioned table"),
        "{out}"
    );
    let (src, tgt) = (
        canonical_tables(&source.url()).await,
        canonical_tables(&target.url()).await,
    );
    for (table, rows) in &src {
        assert!(rows == &tgt[table], "{table}: rows differ");
    }
    let count = psql(
        &target.name,
        &["-At", "-c", "SELECT count(*) FROM payment"],
        None,
    );
    assert_eq!(count.trim(), "16049");
}

#[tokio::test]
async fn an_unmarked_target_is_refused_before_any_write() {
    let source = ScratchMaria::new("bf_guard_src");
    mariadb(
        &source.name,
        &[
            "-e",
            "CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1)",
        ],
        None,
    );
    let target = ScratchPg::new("bf_guard_tgt");
    let project = project();
    let output = backfill(
        project.path(),
        &source.url(),
        &target.url(),
        &["--create-tables"],
    );
    // A guard's refusal is bad input (exit 2): the fix is another database, not a retry.
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is not a rehearsal target"), "{stderr}");
    let tables = psql(
        &target.name,
        &[
            "-At",
            "-c",
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
        ],
        None,
    );
    assert_eq!(tables.trim(), "0", "nothing was created");
}

/// Sums that change if any row is lost, duplicated or altered.
fn mariadb_fingerprint(db: &str) -> String {
    mariadb(
        db,
        &[
            "-e",
            "SELECT COUNT(*), SUM(id), SUM(amount), SUM(CRC32(note)) FROM big",
        ],
        None,
    )
    .split_whitespace()
    .collect::<Vec<_>>()
    .join(" ")
}

fn pg_fingerprint(db: &str) -> String {
    psql(
        db,
        &[
            "-At",
            "-F",
            " ",
            "-c",
            "SELECT count(*), sum(id), sum(amount), count(DISTINCT id) FROM big",
        ],
        None,
    )
    .trim()
    .to_owned()
}

fn log_lines(project: &Path) -> Vec<serde_json::Value> {
    let runs = project.join(".migration-studio/runs");
    let run = std::fs::read_dir(&runs)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::read_to_string(run.join("backfill.log.jsonl"))
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Chunks begun but never committed in the attempt that ended at `log[end]`.
fn uncommitted_chunks(log: &[serde_json::Value]) -> usize {
    let begun = log.iter().filter(|r| r["step"] == "chunk_begin").count();
    let committed = log.iter().filter(|r| r["step"] == "chunk_commit").count();
    begun - committed
}

#[tokio::test]
async fn kill_9_at_random_points_loses_and_duplicates_nothing() {
    const ROWS: u64 = 1_000_000;
    let source = ScratchMaria::new("bf_kill_src");
    mariadb(
        &source.name,
        &["-e", &format!(
            "CREATE TABLE big (id BIGINT PRIMARY KEY, amount INT NOT NULL, note VARCHAR(60) NOT NULL); \
             INSERT INTO big SELECT seq, (seq * 7919) % 100003, CONCAT('row ', seq, ' ', MD5(seq)) FROM seq_1_to_{ROWS}"
        )],
        None,
    );
    let target = ScratchPg::new("bf_kill_tgt");
    let project = project();
    let args = [
        "--create-tables",
        "--mark-rehearsal-target",
        "--chunk-rows",
        "20000",
        "--chunk-seconds",
        "0.2",
    ];
    // Deterministic kill times from a fixed seed (xorshift), 20 trials.
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut kills = 0;
    let mut max_in_flight = 0;
    for _ in 0..20 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = Duration::from_millis(150 + seed % 900);
        let before = log_lines_if_any(project.path()).len();
        let mut child = Command::new(env!("CARGO_BIN_EXE_migration-studio"))
            .arg("backfill")
            .arg(project.path())
            .args(["--source-url", &source.url(), "--target-url", &target.url()])
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        tokio::time::sleep(delay).await;
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        child.wait().unwrap();
        let log = log_lines_if_any(project.path());
        max_in_flight = max_in_flight.max(uncommitted_chunks(&log[before..]));
    }
    // Resume to the end.
    ok(backfill(
        project.path(),
        &source.url(),
        &target.url(),
        &args,
    ));
    assert!(
        kills >= 10,
        "only {kills} of 20 trials caught the copy running"
    );
    assert!(
        max_in_flight <= 1,
        "at most one chunk re-copied per kill, saw {max_in_flight}"
    );
    let src = mariadb_fingerprint(&source.name);
    let tgt = pg_fingerprint(&target.name);
    let (s, t): (Vec<&str>, Vec<&str>) = (src.split(' ').collect(), tgt.split(' ').collect());
    assert_eq!(s[0], ROWS.to_string(), "source rows");
    assert_eq!(
        t[0],
        s[0],
        "rows lost: {}",
        ROWS as i64 - t[0].parse::<i64>().unwrap()
    );
    assert_eq!(t[3], s[0], "duplicates");
    assert_eq!(t[1], s[1], "sum of ids");
    assert_eq!(t[2], s[2], "sum of amounts");
    let (src_rows, tgt_rows) = (
        canonical_tables(&source.url()).await,
        canonical_tables(&target.url()).await,
    );
    assert!(src_rows["big"] == tgt_rows["big"], "every value equal");
}

fn log_lines_if_any(project: &Path) -> Vec<serde_json::Value> {
    if project.join(".migration-studio/runs").exists() {
        log_lines(project)
    } else {
        Vec::new()
    }
}

#[tokio::test]
async fn killed_between_writing_a_chunk_and_committing_it_recopies_that_chunk_only() {
    let source = ScratchMaria::new("bf_abort_src");
    mariadb(
        &source.name,
        &["-e", "CREATE TABLE big (id INT PRIMARY KEY, amount INT NOT NULL, note VARCHAR(40) NOT NULL); \
                INSERT INTO big SELECT seq, seq % 97, CONCAT('n', seq) FROM seq_1_to_50000"],
        None,
    );
    let target = ScratchPg::new("bf_abort_tgt");
    let project = project();
    let args = [
        "--create-tables",
        "--mark-rehearsal-target",
        "--chunk-rows",
        "5000",
        "--min-chunk-rows",
        "5000",
        "--max-chunk-rows",
        "5000",
    ];
    let mut with_drill = args.to_vec();
    with_drill.extend(["--drill-abort-before-commit", "3"]);
    let aborted = backfill(project.path(), &source.url(), &target.url(), &with_drill);
    assert!(!aborted.status.success(), "the drill aborts the process");
    let count = psql(
        &target.name,
        &["-At", "-c", "SELECT count(*) FROM big"],
        None,
    );
    assert_eq!(
        count.trim(),
        "10000",
        "two chunks committed, the third rolled back with its checkpoint"
    );
    ok(backfill(
        project.path(),
        &source.url(),
        &target.url(),
        &args,
    ));
    let log = log_lines(project.path());
    let third: Vec<_> = log
        .iter()
        .filter(|r| r["step"] == "chunk_begin" && r["chunk"] == 3)
        .collect();
    assert_eq!(
        third.len(),
        2,
        "chunk 3 written twice: once aborted, once committed"
    );
    assert_eq!(
        log.iter().filter(|r| r["step"] == "chunk_begin").count(),
        11,
        "10 chunks + 1 re-copied"
    );
    let fp = pg_fingerprint(&target.name);
    assert!(fp.starts_with("50000 1250025000 "), "{fp}");
    assert!(fp.ends_with(" 50000"), "no duplicates: {fp}");
}

#[tokio::test]
async fn rows_the_target_refuses_are_kept_and_no_good_row_is_lost() {
    let source = ScratchMaria::new("bf_reject_src");
    mariadb(
        &source.name,
        &["-e", "CREATE TABLE item (id INT PRIMARY KEY, code VARCHAR(20) NULL, qty INT NOT NULL, due VARCHAR(20) NOT NULL, label VARCHAR(50) NOT NULL); \
                INSERT INTO item SELECT seq, CONCAT('c', seq), seq, '2024-01-15', CONCAT('ok', seq) FROM seq_1_to_2000; \
                UPDATE item SET code = 'c1' WHERE id = 700; \
                UPDATE item SET code = NULL WHERE id = 701; \
                UPDATE item SET qty = 70000 WHERE id = 1402; \
                UPDATE item SET due = '2024-02-30' WHERE id = 1403; \
                UPDATE item SET label = 'much too long for five' WHERE id = 1999;"],
        None,
    );
    let target = ScratchPg::new("bf_reject_tgt");
    psql(
        &target.name,
        &["-c", "CREATE TABLE item (id integer PRIMARY KEY, code text NOT NULL UNIQUE, qty smallint NOT NULL, due date NOT NULL, label varchar(5) NOT NULL); \
                 UPDATE item SET label = label"],
        None,
    );
    // The target is stricter than the source: labels of 5 characters except the good rows'.
    psql(
        &target.name,
        &["-c", "ALTER TABLE item ALTER COLUMN label TYPE varchar(8)"],
        None,
    );
    let project = project();
    let out = ok(backfill(
        project.path(),
        &source.url(),
        &target.url(),
        &["--mark-rehearsal-target", "--chunk-rows", "500", "--json"],
    ));
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["tables"][0]["rejected"], 5);
    assert_eq!(report["tables"][0]["rows"], 1995);
    let count = psql(
        &target.name,
        &["-At", "-c", "SELECT count(*) FROM item"],
        None,
    );
    assert_eq!(count.trim(), "1995", "every good row landed");

    let runs = project.path().join(".migration-studio/runs");
    let run = std::fs::read_dir(&runs)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let rejects =
        std::fs::read_to_string(run.join(format!("rejects/{}.item.jsonl", source.name))).unwrap();
    let kept: Vec<serde_json::Value> = rejects
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut ids: Vec<i64> = kept
        .iter()
        .map(|r| r["key"][0]["v"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, [700, 701, 1402, 1403, 1999]);
    let reason = |id: i64| {
        kept.iter().find(|r| r["key"][0]["v"] == id).unwrap()["reason"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(reason(700).contains("duplicate key"), "{}", reason(700));
    assert!(reason(701).contains("null value"), "{}", reason(701));
    assert!(reason(1402).contains("out of range"), "{}", reason(1402));
    assert!(
        reason(1403).contains("out of range") || reason(1403).contains("invalid"),
        "{}",
        reason(1403)
    );
    assert!(reason(1999).contains("too long"), "{}", reason(1999));
    // The kept row has every value, so nothing is lost.
    let row = &kept.iter().find(|r| r["key"][0]["v"] == 1999).unwrap()["row"];
    assert_eq!(row[4]["v"], "much too long for five");
    // Chunks the reader handed over as their binary COPY stream alone were read again as rows
    // to isolate the refused ones (the invalid date's chunk went as text from the start).
    let log = std::fs::read_to_string(run.join("backfill.log.jsonl")).unwrap();
    assert!(log.contains(r#""step":"chunk_reread""#), "{log}");
}

#[tokio::test]
async fn names_with_quotes_backticks_semicolons_unicode_stay_names() {
    let source = ScratchMaria::new("bf_names_src");
    let long = "t".repeat(64);
    mariadb(
        &source.name,
        &["-e", &format!(
            "CREATE TABLE `we\"ird``; DROP TABLE x; --` (`id;` INT PRIMARY KEY, `bıgınt \"q\"` VARCHAR(10)); \
             INSERT INTO `we\"ird``; DROP TABLE x; --` VALUES (1, 'a'), (2, NULL); \
             CREATE TABLE `{long}` (id INT PRIMARY KEY); INSERT INTO `{long}` VALUES (7);"
        )],
        None,
    );
    let target = ScratchPg::new("bf_names_tgt");
    psql(&target.name, &["-c", "CREATE TABLE x (id int)"], None);
    let project = project();
    let out = ok(backfill(
        project.path(),
        &source.url(),
        &target.url(),
        &["--create-tables", "--mark-rehearsal-target"],
    ));
    assert!(out.contains("3 rows"), "{out}");
    let rows = psql(&target.name, &["-At", "-c", "SELECT \"id;\", coalesce(\"bıgınt \"\"q\"\"\", 'NULL') FROM \"we\"\"ird`; DROP TABLE x; --\" ORDER BY 1"], None);
    assert_eq!(rows.trim(), "1|a\n2|NULL");
    let x = psql(
        &target.name,
        &[
            "-At",
            "-c",
            "SELECT count(*) FROM pg_tables WHERE tablename = 'x'",
        ],
        None,
    );
    assert_eq!(x.trim(), "1", "table x is still there");
    let long_rows = psql(
        &target.name,
        &["-At", "-c", &format!("SELECT id FROM \"{}\"", &long[..63])],
        None,
    );
    assert_eq!(
        long_rows.trim(),
        "7",
        "a 64-character MySQL name lands under PostgreSQL's 63-byte limit"
    );
}

/// The `CREATE TABLE` of `table` in the employees dataset's schema, without its foreign keys
/// (the referenced tables are not loaded here).
fn employees_table_ddl(table: &str) -> String {
    let schema = std::fs::read_to_string(common::dataset("employees/employees.sql")).unwrap();
    let start = schema
        .find(&format!("CREATE TABLE {table} "))
        .unwrap_or_else(|| panic!("employees.sql creates {table}"));
    let end = start + schema[start..].find(';').unwrap();
    schema[start..end]
        .lines()
        .filter(|line| !line.trim_start().starts_with("FOREIGN KEY"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn a_resume_on_a_composite_key_with_a_date_goes_on_after_the_checkpointed_date() {
    // The employees schema's `salaries`, keyed on (emp_no, from_date): a checkpoint's last key
    // holds a date, which the resumed keyset predicate must compare as a date.
    let source = ScratchMaria::new("bf_salaries_src");
    mariadb(
        &source.name,
        &[
            "-e",
            &format!(
                "{}; INSERT INTO salaries SELECT 10001 + seq DIV 7, 40000 + (seq * 7919) % 90000, \
                 DATE_ADD('1985-02-28', INTERVAL (seq % 7) * 13 MONTH), \
                 DATE_ADD('1986-02-28', INTERVAL (seq % 7) * 13 MONTH) FROM seq_0_to_29999",
                employees_table_ddl("salaries")
            ),
        ],
        None,
    );
    let target = ScratchPg::new("bf_salaries_tgt");
    let project = project();
    let args = [
        "--create-tables",
        "--mark-rehearsal-target",
        "--chunk-rows",
        "4000",
        "--min-chunk-rows",
        "4000",
        "--max-chunk-rows",
        "4000",
    ];
    let mut with_drill = args.to_vec();
    with_drill.extend(["--drill-abort-before-commit", "3"]);
    let aborted = backfill(project.path(), &source.url(), &target.url(), &with_drill);
    assert!(!aborted.status.success(), "the drill aborts the process");
    let last_key = psql(
        &target.name,
        &[
            "-At",
            "-c",
            "SELECT state::json->'last_key' FROM _migration_studio_checkpoint",
        ],
        None,
    );
    // Two chunks committed: the 8000th row in key order is seq 7999, employee
    // 10001 + 7999 / 7 = 11143's sixth salary (7999 % 7 = 5), from 1985-02-28 + 65 months.
    assert_eq!(
        last_key.trim(),
        r#"[{"t":"Int","v":11143},{"t":"Text","v":"1990-07-28"}]"#
    );
    ok(backfill(
        project.path(),
        &source.url(),
        &target.url(),
        &args,
    ));
    let (src, tgt) = (
        canonical_tables(&source.url()).await,
        canonical_tables(&target.url()).await,
    );
    assert_eq!(src["salaries"].len(), 30_000);
    assert!(src["salaries"] == tgt["salaries"], "rows differ");
    let types = psql(
        &target.name,
        &["-At", "-c", "SELECT count(*) FROM information_schema.columns WHERE table_name = 'salaries' AND data_type = 'date'"],
        None,
    );
    assert_eq!(types.trim(), "2", "both dates arrive as dates");
}

#[tokio::test]
async fn chinook_sqlite_to_mariadb_arrives_equal_by_validation() {
    // MariaDB as the target: multi-row INSERTs in the chunk's transaction, tables created from
    // the default SQLite → MySQL mapping, indexes and foreign keys after the copy.
    let target = ScratchMaria::new("bf_chinook_my");
    let (project, source, _dir) = chinook_sqlite_into(&target.url()).await;
    let validated = validate_json(project.path(), &source, &target.url());
    assert_eq!(validated["verdict"], "equal", "{validated}");
}

#[tokio::test]
async fn sakila_mariadb_to_sqlite_arrives_equal_by_validation() {
    // SQLite as the target: an empty file (SQLite reads a file of 0 bytes as an empty
    // database), marked as a rehearsal target by the run.
    let source = ScratchMaria::new("bf_sakila_lite_src");
    common::load_sakila_mariadb(&source.name);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sakila.sqlite");
    std::fs::File::create(&file).unwrap();
    let target = format!("sqlite://{}", file.display());
    let project = project();
    let out = ok(backfill(
        project.path(),
        &source.url(),
        &target,
        &[
            "--create-tables",
            "--mark-rehearsal-target",
            "--chunk-rows",
            "1000",
        ],
    ));
    assert!(out.contains("47273 rows"), "{out}");
    let (src, tgt) = (
        canonical_tables(&source.url()).await,
        canonical_tables(&target).await,
    );
    assert_eq!(src.len(), 16);
    for (table, rows) in &src {
        assert_eq!(rows.len(), tgt[table].len(), "{table}: row count");
    }
    // Date-times land as SQLite's TEXT (its storage class for them), in MySQL's own form; the
    // validation below compares them as date-times.
    assert_eq!(
        tgt["actor"][0],
        [
            Some("1".to_owned()),
            Some("PENELOPE".to_owned()),
            Some("GUINESS".to_owned()),
            Some("2006-02-15 04:34:33".to_owned())
        ]
    );
    let validated = validate_json(project.path(), &source.url(), &target);
    assert_eq!(validated["verdict"], "equal", "{validated}");
}

/// `validate --json` of the project's tables between `source` and `target`.
fn validate_json(project: &Path, source: &str, target: &str) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_migration-studio"))
        .arg("validate")
        .arg(project)
        .args(["--source-url", source, "--target-url", target, "--json"])
        .output()
        .expect("the CLI runs");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "validate printed no JSON ({e}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}
