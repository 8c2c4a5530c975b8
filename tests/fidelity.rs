//! Data fidelity on real-world MariaDB types copied into PostgreSQL: every value arrives equal,
//! or is converted by a stated rule (counted per column, the count exact), or is rejected with
//! its reason; and validation agrees with values the test reads back itself.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{mariadb, psql, ScratchMaria, ScratchPg};
use migration_studio::data::rules::{ConversionPolicy, NonBinaryBooleans, ZeroDates};
use migration_studio::import::Engine;
use migration_studio::plan::MigrationShape;
use migration_studio::project::Manifest;

const EDGE_TABLES: &str = "SET SESSION sql_mode = ''; \
    CREATE TABLE zd (id INT PRIMARY KEY, d DATE, dt DATETIME, ts TIMESTAMP NULL); \
    INSERT INTO zd VALUES (1, '0000-00-00', '0000-00-00 00:00:00', '0000-00-00 00:00:00'), \
      (2, '2020-00-10', '2020-01-00 10:00:00', NULL), (3, '2020-05-10', '2020-05-10 10:00:00', '2020-05-10 10:00:00'), \
      (4, NULL, NULL, NULL); \
    CREATE TABLE bits (id INT PRIMARY KEY, b1 BIT(1), b8 BIT(8), b12 BIT(12), b64 BIT(64)); \
    INSERT INTO bits VALUES (1, b'0', b'10000001', b'101010101010', b'1111111111111111111111111111111111111111111111111111111111111111'), \
      (2, b'1', b'0', b'0', b'0'), (3, NULL, NULL, NULL, NULL); \
    CREATE TABLE flags (id INT PRIMARY KEY, f TINYINT(1)); \
    INSERT INTO flags VALUES (1, 0), (2, 1), (3, 2), (4, -1), (5, NULL); \
    CREATE TABLE geo (id INT PRIMARY KEY, p POINT, g GEOMETRY); \
    INSERT INTO geo VALUES (1, POINT(1, 2), ST_GeomFromText('LINESTRING(0 0, 1 1)', 4326)), (2, NULL, NULL);";

fn project(policy: ConversionPolicy) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut manifest = Manifest::new(
        "fidelity",
        Engine::Mysql,
        Engine::Postgres,
        MigrationShape::Cdc,
    );
    manifest.data = policy;
    manifest.create(dir.path()).unwrap();
    dir
}

fn cli(project: &Path, command: &str, source: &str, target: &str, extra: &[&str]) -> Output {
    common::between(command, project, source, target, extra)
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// `table.column → (rule, count)` from a report's tables (`tables[].converted`).
fn converted(tables: &serde_json::Value, name_key: &str) -> Vec<(String, String, u64)> {
    let mut out = Vec::new();
    for t in tables.as_array().unwrap() {
        let table = t[name_key]
            .as_str()
            .unwrap()
            .rsplit('.')
            .next()
            .unwrap()
            .to_owned();
        for c in t["converted"].as_array().into_iter().flatten() {
            out.push((
                format!("{table}.{}", c["column"].as_str().unwrap()),
                c["rule"].as_str().unwrap().to_owned(),
                c["count"].as_u64().unwrap(),
            ));
        }
    }
    out.sort();
    out
}

fn pg(db: &str, sql: &str) -> String {
    psql(db, &["-At", "-F", "|", "-c", sql], None)
        .trim()
        .to_owned()
}

#[test]
fn edge_values_arrive_equal_or_by_a_counted_rule_and_validation_agrees() {
    let source = ScratchMaria::new("fid_src");
    mariadb(&source.name, &["-e", EDGE_TABLES], None);
    let target = ScratchPg::new("fid_tgt");
    let project = project(ConversionPolicy::default());
    let out = cli(
        project.path(),
        "backfill",
        &source.url(),
        &target.url(),
        &["--mark-rehearsal-target", "--create-tables", "--json"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    let expected = vec![
        ("flags.f".to_owned(), "non-binary-to-true".to_owned(), 2),
        ("zd.d".to_owned(), "zero-date-to-null".to_owned(), 2),
        ("zd.dt".to_owned(), "zero-date-to-null".to_owned(), 2),
        ("zd.ts".to_owned(), "zero-date-to-null".to_owned(), 1),
    ];
    assert_eq!(converted(&report["tables"], "source"), expected);
    assert_eq!(
        report["tables"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["rejected"].as_u64().unwrap())
            .sum::<u64>(),
        0
    );

    // Read back by hand.
    assert_eq!(
        pg(
            &target.name,
            "SELECT id, d IS NULL, dt IS NULL, ts IS NULL FROM zd ORDER BY id"
        ),
        "1|t|t|t\n2|t|t|t\n3|f|f|f\n4|t|t|t"
    );
    assert_eq!(
        pg(
            &target.name,
            "SELECT id, b1, b8, b12, b64 FROM bits ORDER BY id"
        ),
        format!(
            "1|0|10000001|101010101010|{}\n2|1|00000000|000000000000|{}\n3||||",
            "1".repeat(64),
            "0".repeat(64)
        )
    );
    assert_eq!(
        pg(
            &target.name,
            "SELECT string_agg(coalesce(f::text, 'null'), ',' ORDER BY id) FROM flags"
        ),
        "false,true,true,true,null"
    );
    let source_geo = mariadb(
        &source.name,
        &[
            "-N",
            "-e",
            "SELECT LOWER(HEX(p)), LOWER(HEX(g)) FROM geo WHERE id = 1",
        ],
        None,
    );
    let target_geo = pg(
        &target.name,
        "SELECT encode(p, 'hex'), encode(g, 'hex') FROM geo WHERE id = 1",
    );
    assert_eq!(
        source_geo.trim().replace('\t', "|"),
        target_geo,
        "SRID and WKB bytes kept"
    );

    for strategy in ["merge", "checksum"] {
        let out = cli(
            project.path(),
            "validate",
            &source.url(),
            &target.url(),
            &["--json", "--strategy", strategy],
        );
        let report = json(&out);
        assert_eq!(report["verdict"], "equal", "{strategy}: {report:#}");
        assert_eq!(
            converted(&report["tables"], "source_table"),
            expected,
            "{strategy}"
        );
    }

    // A value changed behind the rules' back is found.
    psql(&target.name, &["-c", "UPDATE bits SET b8 = B'10000000' WHERE id = 1; UPDATE geo SET p = '\\x00' WHERE id = 1"], None);
    let out = cli(
        project.path(),
        "validate",
        &source.url(),
        &target.url(),
        &["--json"],
    );
    let report = json(&out);
    assert_eq!(report["verdict"], "different");
    let changed: u64 = report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["differences"]["changed"]["count"].as_u64().unwrap())
        .sum();
    assert_eq!(changed, 2);
}

#[test]
fn under_a_reject_policy_the_values_are_rejected_with_their_original_and_reason() {
    let source = ScratchMaria::new("fid_rej_src");
    mariadb(&source.name, &["-e", EDGE_TABLES], None);
    let target = ScratchPg::new("fid_rej_tgt");
    let project = project(ConversionPolicy {
        zero_dates: ZeroDates::Reject,
        non_binary_booleans: NonBinaryBooleans::Reject,
    });
    let out = cli(
        project.path(),
        "backfill",
        &source.url(),
        &target.url(),
        &[
            "--mark-rehearsal-target",
            "--create-tables",
            "--json",
            "--tables",
            "zd,flags",
            "--run-id",
            "rej",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    let by_table = |name: &str| {
        report["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["source"].as_str().unwrap().ends_with(name))
            .unwrap()
            .clone()
    };
    assert_eq!(by_table(".zd")["rejected"], 2, "{report:#}");
    assert_eq!(by_table(".zd")["rows"], 2);
    assert_eq!(by_table(".flags")["rejected"], 2);
    assert!(converted(&report["tables"], "source").is_empty());
    assert_eq!(
        pg(
            &target.name,
            "SELECT string_agg(id::text, ',' ORDER BY id) FROM zd"
        ),
        "3,4"
    );
    let rejects = project.path().join(".migration-studio/runs/rej/rejects");
    let zd = std::fs::read_to_string(rejects.join(format!("{}.zd.jsonl", source.name))).unwrap();
    assert!(
        zd.contains("0000-00-00"),
        "the original value is kept: {zd}"
    );
    assert!(zd.contains("2020-00-10"), "{zd}");
    assert!(
        zd.contains("out of range") || zd.contains("invalid"),
        "the target's reason: {zd}"
    );
    // Validation counts nothing as converted and finds the rejected rows missing.
    let out = cli(
        project.path(),
        "validate",
        &source.url(),
        &target.url(),
        &["--json", "--tables", "zd,flags"],
    );
    let report = json(&out);
    assert_eq!(report["verdict"], "different");
    assert!(converted(&report["tables"], "source_table").is_empty());
}

#[test]
fn a_table_without_a_key_is_copied_whole_and_validated_as_a_multiset() {
    let source = ScratchMaria::new("fid_nokey_src");
    mariadb(
        &source.name,
        &[
            "-e",
            "CREATE TABLE log (at INT, msg VARCHAR(20)); \
                 INSERT INTO log VALUES (1, 'x'), (1, 'x'), (2, NULL), (3, '')",
        ],
        None,
    );
    let target = ScratchPg::new("fid_nokey_tgt");
    let project = project(ConversionPolicy::default());
    for extra in [&[][..], &["--restart"][..]] {
        let mut args = vec![
            "--mark-rehearsal-target",
            "--create-tables",
            "--json",
            "--run-id",
            "nokey",
        ];
        args.extend_from_slice(extra);
        let out = cli(
            project.path(),
            "backfill",
            &source.url(),
            &target.url(),
            &args,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report = json(&out);
        assert_eq!(report["tables"][0]["rows"], 4, "{report:#}");
        assert!(report["skipped"].as_array().unwrap().is_empty());
        assert_eq!(
            pg(&target.name, "SELECT count(*), count(DISTINCT (at, msg)), count(*) FILTER (WHERE msg IS NULL), count(*) FILTER (WHERE msg = '') FROM log"),
            "4|3|1|1"
        );
    }
    let out = cli(
        project.path(),
        "validate",
        &source.url(),
        &target.url(),
        &["--json"],
    );
    let report = json(&out);
    assert_eq!(report["verdict"], "equal", "{report:#}");
    assert_eq!(report["tables"][0]["source_rows"], 4);
    // A lost duplicate and a changed row are both found.
    psql(&target.name, &["-c", "DELETE FROM log WHERE ctid = (SELECT min(ctid) FROM log WHERE at = 1); UPDATE log SET msg = 'y' WHERE at = 3"], None);
    let report = json(&cli(
        project.path(),
        "validate",
        &source.url(),
        &target.url(),
        &["--json"],
    ));
    assert_eq!(report["verdict"], "different");
    assert_eq!(report["tables"][0]["differences"]["missing"]["count"], 2);
    assert_eq!(report["tables"][0]["differences"]["extra"]["count"], 1);
}

#[test]
fn sqlite_rows_with_a_null_key_are_rejected_and_counted_never_lost() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("src.sqlite");
    let created = Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); \
             c.executescript(\"CREATE TABLE code (code INT, v INT, PRIMARY KEY (code)); \
             INSERT INTO code VALUES (10,1),(NULL,2),(NULL,3),(20,4);\"); c.commit()",
            file.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(created.success());
    let target = ScratchPg::new("fid_nullkey_tgt");
    let project = project(ConversionPolicy::default());
    let source_url = format!("sqlite:{}", file.display());
    let out = cli(
        project.path(),
        "backfill",
        &source_url,
        &target.url(),
        &[
            "--mark-rehearsal-target",
            "--create-tables",
            "--json",
            "--run-id",
            "nk",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    assert_eq!(report["tables"][0]["rows"], 2, "{report:#}");
    assert_eq!(report["tables"][0]["rejected"], 2);
    assert_eq!(
        pg(
            &target.name,
            "SELECT string_agg(code || ':' || v, ',' ORDER BY code) FROM code"
        ),
        "10:1,20:4"
    );
    let rejects = std::fs::read_to_string(
        project
            .path()
            .join(".migration-studio/runs/nk/rejects/code.jsonl"),
    )
    .unwrap();
    assert_eq!(rejects.lines().count(), 2, "{rejects}");
    assert!(
        rejects.contains("NULL in primary key column(s) code"),
        "{rejects}"
    );
}

/// Keys the two engines order differently are still copied whole and compared by value: an
/// ENUM orders by its index in MariaDB and as text in PostgreSQL, a BIGINT UNSIGNED beyond
/// the signed range lands in numeric(20); blobs compare as bytes on both sides.
#[test]
fn keys_ordered_differently_by_the_engines_lose_nothing_and_validate_equal() {
    let source = ScratchMaria::new("fid_order_src");
    mariadb(
        &source.name,
        &["-e", "CREATE TABLE grade (g ENUM('b','a','c') PRIMARY KEY, v INT); \
                 INSERT INTO grade VALUES ('a', 1), ('b', 2), ('c', 3); \
                 CREATE TABLE big (id BIGINT UNSIGNED PRIMARY KEY, v INT); \
                 INSERT INTO big VALUES (1, 1), (9223372036854775807, 2), (9223372036854775808, 3), (18446744073709551615, 4); \
                 CREATE TABLE blobs (id INT PRIMARY KEY, b BLOB); \
                 INSERT INTO blobs VALUES (1, 0x00FF80), (2, ''), (3, NULL), (4, 0x5C78)"],
        None,
    );
    let target = ScratchPg::new("fid_order_tgt");
    let project = project(ConversionPolicy::default());
    let out = cli(
        project.path(),
        "backfill",
        &source.url(),
        &target.url(),
        &[
            "--mark-rehearsal-target",
            "--create-tables",
            "--json",
            "--chunk-rows",
            "1",
            "--min-chunk-rows",
            "1",
            "--max-chunk-rows",
            "1",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        pg(
            &target.name,
            "SELECT string_agg(g || v, ',' ORDER BY v) FROM grade"
        ),
        "a1,b2,c3"
    );
    assert_eq!(
        pg(
            &target.name,
            "SELECT string_agg(id::text, ',' ORDER BY id) FROM big"
        ),
        "1,9223372036854775807,9223372036854775808,18446744073709551615"
    );
    assert_eq!(
        pg(
            &target.name,
            "SELECT string_agg(coalesce(encode(b, 'hex'), 'null'), ',' ORDER BY id) FROM blobs"
        ),
        "00ff80,,null,5c78"
    );
    let report = json(&cli(
        project.path(),
        "validate",
        &source.url(),
        &target.url(),
        &["--json", "--strategy", "merge"],
    ));
    assert_eq!(report["verdict"], "equal", "{report:#}");
    for t in report["tables"].as_array().unwrap() {
        assert_eq!(t["error"], serde_json::Value::Null, "{t:#}");
    }
}

/// One table per kind of MariaDB type, each column with its edge values.
const MATRIX_TABLES: &str = "SET SESSION sql_mode = ''; \
    CREATE TABLE m_int (id INT PRIMARY KEY, ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT, mi MEDIUMINT, \
      iu INT UNSIGNED, bi BIGINT, bu BIGINT UNSIGNED, b1 TINYINT(1), yr YEAR); \
    INSERT INTO m_int VALUES (1, -128, 255, -32768, -8388608, 4294967295, -9223372036854775808, 18446744073709551615, 2, 2155), \
      (2, 127, 0, 32767, 8388607, 0, 9223372036854775807, 0, 0, 1901), (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL); \
    CREATE TABLE m_num (id INT PRIMARY KEY, dc DECIMAL(65,30), dz DECIMAL(10,0), f FLOAT, d DOUBLE); \
    INSERT INTO m_num VALUES (1, 12345678901234567890123456789012345.123456789012345678901234567890, -9999999999, 3.4e38, 1.7976931348623157e308), \
      (2, -0.000000000000000000000000000001, 0, -1.175494e-38, -2.2250738585072014e-308), (3, NULL, NULL, NULL, NULL); \
    CREATE TABLE m_text (id INT PRIMARY KEY, c CHAR(3), vc VARCHAR(20), tx TEXT, lt LONGTEXT, js JSON, en ENUM('x','y'), st SET('a','b')) DEFAULT CHARSET utf8mb4; \
    INSERT INTO m_text VALUES (1, 'ab', 'héllo ✓ 😀', '', 'tab\\tnew\\nline\\\\', '{\"a\": [1, 2]}', 'y', 'a,b'), \
      (2, '   ', ' trailing ', 'NULL', REPEAT('x', 100000), 'null', 'x', ''), (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL); \
    CREATE TABLE m_bin (id INT PRIMARY KEY, bn BINARY(4), vb VARBINARY(10), bl BLOB, bt BIT(8), b64 BIT(64), p POINT); \
    INSERT INTO m_bin VALUES (1, 0x00010203, 0x00, 0xFF00FE, b'10000001', b'1111111111111111111111111111111111111111111111111111111111111111', POINT(1, 2)), \
      (2, 'abc', '', '', b'0', b'0', ST_GeomFromText('POINT(0 0)', 4326)), (3, NULL, NULL, NULL, NULL, NULL, NULL); \
    CREATE TABLE m_time (id INT PRIMARY KEY, d DATE, dt DATETIME(6), ts TIMESTAMP(6) NULL, t TIME(6)); \
    INSERT INTO m_time VALUES (1, '1000-01-01', '1000-01-01 00:00:00.000000', '1970-01-01 00:00:01.000000', '-838:59:59.000000'), \
      (2, '9999-12-31', '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999999', '23:59:59.999999'), \
      (3, '0000-00-00', '2020-00-01 00:00:00', '0000-00-00 00:00:00', '00:00:00'), (4, NULL, NULL, NULL, NULL), \
      (5, '2024-02-29', '2024-02-29 12:00:00.5', NULL, '838:59:59');";

/// PostgreSQL edge values: numbers with NaN and infinities, text of every kind, bit strings,
/// arrays, enums, date-times with infinities and BC years.
const PG_MATRIX_TABLES: &str = "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
    CREATE TABLE p_num (id int PRIMARY KEY, s smallint, i integer, b bigint, n numeric(40,20), nu numeric,
      r real, d double precision, bo boolean);
    INSERT INTO p_num VALUES (1, -32768, -2147483648, -9223372036854775808, 12345678901234567890.12345678901234567890, 1e-30, 1.5, 1.7976931348623157e308, true),
      (2, 32767, 2147483647, 9223372036854775807, -0.00000000000000000001, 'NaN', 'NaN', '-Infinity', false),
      (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    CREATE TABLE p_text (id int PRIMARY KEY, t text, vc varchar(10), c char(3), u uuid, j json, jb jsonb, m mood,
      a int[], bt bit(8), vb varbit(20), ip inet, by bytea);
    INSERT INTO p_text VALUES (1, 'héllo ✓ 😀', 'x', 'ab', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"a\": [1, 2]}', '{\"b\": 1, \"a\": 2}',
        'happy', '{1,2,NULL}', B'10000001', B'101', '10.0.0.1/8', '\\x00ff'),
      (2, E'tab\\tnew\\nline\\\\', '', '   ', NULL, 'null', '[]', 'sad', '{}', B'00000000', B'', '::1', ''),
      (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    CREATE TABLE p_time (id int PRIMARY KEY, d date, ts timestamp(6), tz timestamptz(6), t time(6), iv interval);
    INSERT INTO p_time VALUES (1, '1000-01-01', '1000-01-01 00:00:00', '1970-01-01 00:00:01+00', '00:00:00', '1 year 2 mons 3 days 04:05:06'),
      (2, '9999-12-31', '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999999+00', '23:59:59.999999', '-1 day'),
      (3, '2024-02-29', '2024-02-29 12:00:00.5', '2024-02-29 12:00:00.5+05:30', '12:34:56.789', NULL),
      (4, 'infinity', '-infinity', 'infinity', '24:00:00', NULL),
      (5, '0044-03-15 BC', NULL, NULL, NULL, NULL), (6, NULL, NULL, NULL, NULL, NULL);";

/// SQLite edge values, stored by SQLite's own affinities (a file made by Python's sqlite3).
const SQLITE_MATRIX_TABLES: &str = "CREATE TABLE s_all (id INTEGER PRIMARY KEY, i INTEGER, big BIGINT, r REAL,
      n NUMERIC(10,2), t TEXT, vc VARCHAR(10), nv NVARCHAR(40), b BLOB, d DATE, dt DATETIME, bo BOOLEAN);
    INSERT INTO s_all VALUES (1, -9223372036854775808, 9223372036854775807, 1.7976931348623157e308, 12345678.91,
      'héllo ✓ 😀', 'x', 'nvarchar', x'00ff', '2024-02-29', '2024-02-29 12:00:00', 1),
      (2, 0, 0, -2.2250738585072014e-308, 0.5, '', '', '', x'', '1000-01-01', '9999-12-31 23:59:59', 0),
      (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);";

/// What happened to each column of a copy from `source` into `target`, measured by a backfill
/// and a validation through the CLI, as Markdown table rows; with the rows each table lost to
/// rejects (their first reason). Panics when validation finds a value changed: nothing may be.
async fn measure_matrix(
    title: &str,
    project: &Path,
    (source_engine, source_url, source_schemas): (Engine, &str, &[String]),
    (target_engine, target_url, target_schemas): (Engine, &str, &[String]),
) -> String {
    let run = format!("matrix-{}", title.len());
    let out = cli(
        project,
        "backfill",
        source_url,
        target_url,
        &[
            "--mark-rehearsal-target",
            "--create-tables",
            "--json",
            "--run-id",
            &run,
        ],
    );
    assert!(
        out.status.success(),
        "{title}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let backfill = json(&out);
    let validation = json(&cli(
        project,
        "validate",
        source_url,
        target_url,
        &["--json", "--show", "1000"],
    ));
    let converted = converted(&backfill["tables"], "source");
    let source =
        migration_studio::import::live::import_live(source_engine, source_url, source_schemas)
            .await
            .unwrap();
    let target =
        migration_studio::import::live::import_live(target_engine, target_url, target_schemas)
            .await
            .unwrap();
    let mut lines = vec![
        format!("## {title}\n"),
        "| source column | target column | outcome |".to_owned(),
        "|---|---|---|".to_owned(),
    ];
    let mut rejected_lines = Vec::new();
    let mut tables: Vec<_> = source
        .tables
        .iter()
        .filter(|t| !t.name.name.starts_with('_'))
        .collect();
    tables.sort_by(|a, b| a.name.name.cmp(&b.name.name));
    for table in tables {
        let name = &table.name.name;
        let target_table = target
            .tables
            .iter()
            .find(|t| &t.name.name == name)
            .unwrap_or_else(|| panic!("{title}: {name} not in the target"));
        let report = backfill["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| {
                t["source"].as_str().unwrap().ends_with(&format!(".{name}"))
                    || t["source"] == name.as_str()
            })
            .unwrap();
        let validated = validation["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| {
                t["source_table"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!(".{name}"))
                    || t["source_table"] == name.as_str()
            })
            .unwrap();
        assert_eq!(
            validated["differences"]["extra"]["count"], 0,
            "{title}: {name}: {validated:#}"
        );
        let changed = &validated["differences"]["changed"];
        assert_eq!(
            changed["count"], 0,
            "{title}: {name}: a value changed without a rule: {changed:#}"
        );
        let rejected = report["rejected"].as_u64().unwrap();
        assert_eq!(
            validated["differences"]["missing"]["count"]
                .as_u64()
                .unwrap(),
            rejected,
            "{title}: {name}: every missing row is a rejected one"
        );
        if rejected > 0 {
            let file = project
                .join(format!(".migration-studio/runs/{run}/rejects"))
                .join(migration_studio::backfill::run_files::file_name(
                    report["source"].as_str().unwrap(),
                    "jsonl",
                ));
            let reasons: std::collections::BTreeSet<String> = std::fs::read_to_string(&file)
                .unwrap()
                .lines()
                .map(|l| {
                    let r: serde_json::Value = serde_json::from_str(l).unwrap();
                    let mut reason = r["reason"]
                        .as_str()
                        .unwrap()
                        .split(" at row")
                        .next()
                        .unwrap()
                        .replace('|', "\\|");
                    // Scratch databases are named after the test's process: the docs show a name.
                    for scratch in source_schemas.iter().chain(target_schemas) {
                        reason = reason.replace(scratch.as_str(), "target_db");
                    }
                    reason
                })
                .collect();
            rejected_lines.push(format!(
                "- `{name}`: {rejected} of {} rows rejected: {}",
                report["rows"].as_u64().unwrap() + rejected,
                reasons.into_iter().collect::<Vec<_>>().join("; ")
            ));
        }
        for column in table.columns.iter().filter(|c| c.name != "id") {
            let target_type = target_table
                .column(&column.name)
                .map_or("—".to_owned(), |c| c.data_type.clone());
            let mut outcome: Vec<String> = converted
                .iter()
                .filter(|(c, _, _)| *c == format!("{name}.{}", column.name))
                .map(|(_, rule, n)| format!("{n} converted by {rule}"))
                .collect();
            if outcome.is_empty() {
                outcome.push(if rejected > 0 {
                    "arrive equal (rows that arrived)".to_owned()
                } else {
                    "arrive equal".to_owned()
                });
            }
            lines.push(format!(
                "| `{name}.{}` {} | {target_type} | {} |",
                column.name,
                column.data_type,
                outcome.join("; ")
            ));
        }
    }
    if !rejected_lines.is_empty() {
        lines.push(String::new());
        lines.push("Rejected rows (kept in the reject table with the target's reason):".to_owned());
        lines.push(String::new());
        lines.extend(rejected_lines);
    }
    lines.join("\n") + "\n"
}

/// The type fidelity matrix of every engine pair the project moves data between, measured: each
/// column's source and target type and what became of its edge values. No value may change
/// without a stated rule (validation's `changed` is 0), and every missing row is a rejected one.
/// The docs hold the same tables; set `MIGRATION_STUDIO_UPDATE_DOCS=1` to rewrite them.
#[tokio::test]
async fn type_matrix_of_every_engine_pair_matches_the_docs() {
    let mut sections = Vec::new();
    // MariaDB → PostgreSQL.
    let maria = ScratchMaria::new("fid_m_src");
    mariadb(&maria.name, &["-e", MATRIX_TABLES], None);
    let pg_target = ScratchPg::new("fid_m_tgt");
    let p = project(ConversionPolicy::default());
    sections.push(
        measure_matrix(
            "MariaDB → PostgreSQL",
            p.path(),
            (
                Engine::Mysql,
                &maria.url(),
                std::slice::from_ref(&maria.name),
            ),
            (Engine::Postgres, &pg_target.url(), &["public".into()]),
        )
        .await,
    );
    // PostgreSQL → PostgreSQL and PostgreSQL → MariaDB.
    let pg_source = ScratchPg::new("fid_p_src");
    psql(&pg_source.name, &["-q"], Some(PG_MATRIX_TABLES));
    let pg_target = ScratchPg::new("fid_pp_tgt");
    // `--create-tables` keeps a same-engine copy's declared types, and creates no types of its
    // own: the enum is there as a DBA (or the project's schema script) would have made it.
    psql(
        &pg_target.name,
        &["-c", "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')"],
        None,
    );
    let p = project(ConversionPolicy::default());
    sections.push(
        measure_matrix(
            "PostgreSQL → PostgreSQL",
            p.path(),
            (Engine::Postgres, &pg_source.url(), &["public".into()]),
            (Engine::Postgres, &pg_target.url(), &["public".into()]),
        )
        .await,
    );
    let maria_target = ScratchMaria::new("fid_pm_tgt");
    let p = project(ConversionPolicy::default());
    sections.push(
        measure_matrix(
            "PostgreSQL → MariaDB",
            p.path(),
            (Engine::Postgres, &pg_source.url(), &["public".into()]),
            (
                Engine::Mysql,
                &maria_target.url(),
                std::slice::from_ref(&maria_target.name),
            ),
        )
        .await,
    );
    // SQLite → PostgreSQL.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("matrix.sqlite");
    let made = Command::new("python3")
        .args(["-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()", file.to_str().unwrap(), SQLITE_MATRIX_TABLES])
        .status()
        .unwrap();
    assert!(made.success());
    let pg_target = ScratchPg::new("fid_s_tgt");
    let p = project(ConversionPolicy::default());
    sections.push(
        measure_matrix(
            "SQLite → PostgreSQL",
            p.path(),
            (Engine::Sqlite, &format!("sqlite:{}", file.display()), &[]),
            (Engine::Postgres, &pg_target.url(), &["public".into()]),
        )
        .await,
    );

    let doc = format!(
        "# Type fidelity\n\n\
         Generated by `tests/fidelity.rs` (`type_matrix_of_every_engine_pair_matches_the_docs`) from real\n\
         backfills and validations of edge values (minimum, maximum, zero and partial dates, infinities,\n\
         NaN, BC years, NULL, empty, non-ASCII, control characters, 100 kB text, bit strings, spatial\n\
         values with and without an SRID) into tables the default mapping created. \"arrive equal\"\n\
         means validation compared every value equal; the rules (C001, C002) are the README's; a\n\
         rejected row is kept with the target's reason, and validation counts it missing. The test\n\
         fails if any value changed without a rule. Rewrite with\n\
         `MIGRATION_STUDIO_UPDATE_DOCS=1 cargo test --test fidelity type_matrix`.\n\n{}",
        sections.join("\n")
    );
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/type-fidelity.md");
    if std::env::var_os("MIGRATION_STUDIO_UPDATE_DOCS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &doc).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        committed, doc,
        "docs/type-fidelity.md is out of date: rerun with MIGRATION_STUDIO_UPDATE_DOCS=1"
    );
}

/// A value a rule converted that the target then refuses (NULL into NOT NULL) is kept with what
/// the source held, not with what the rule made of it.
#[test]
fn a_refused_row_is_kept_with_the_original_value_not_the_converted_one() {
    let source = ScratchMaria::new("fid_orig_src");
    mariadb(
        &source.name,
        &[
            "-e",
            "SET SESSION sql_mode = ''; CREATE TABLE ev (id INT PRIMARY KEY, d DATE); \
                 INSERT INTO ev VALUES (1, '2020-01-01'), (2, '0000-00-00')",
        ],
        None,
    );
    let target = ScratchPg::new("fid_orig_tgt");
    psql(
        &target.name,
        &[
            "-c",
            "CREATE TABLE ev (id integer PRIMARY KEY, d date NOT NULL)",
        ],
        None,
    );
    let project = project(ConversionPolicy::default());
    let out = cli(
        project.path(),
        "backfill",
        &source.url(),
        &target.url(),
        &["--mark-rehearsal-target", "--json", "--run-id", "orig"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json(&out)["tables"][0]["rejected"], 1);
    let kept = std::fs::read_to_string(project.path().join(format!(
        ".migration-studio/runs/orig/rejects/{}.ev.jsonl",
        source.name
    )))
    .unwrap();
    assert!(kept.contains("\"0000-00-00\""), "{kept}");
    assert!(kept.contains("null value"), "{kept}");
}
