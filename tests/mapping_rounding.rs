//! Decimals cast to a smaller scale, and date-times and times of day cast to fewer digits of a
//! second, end to end on real MariaDB and PostgreSQL, both ways: the
//! review finds the narrowing (M002) and its data pass counts the rows it rounds; the copy
//! rounds them half away from zero (rule C004, counted with example keys); validation compares
//! at the target's scale, so a correct copy is equal under both strategies, with the rounded
//! values counted rather than silent; a value changed on the target is still found at its key
//! and column.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{mariadb, psql, ScratchMaria, ScratchPg};

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_migration-studio"))
        .args(args)
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const ROWS: &str = "INSERT INTO price VALUES
    (1, 1.0050, 2.500, '2020-01-01 10:00:00.500000', '2020-01-01 10:00:00.500000', '10:00:00.500000'),
    (2, -1.0050, -2.500, '2020-12-31 23:59:59.999999', '2020-12-31 23:59:59.999999', '23:59:59.999999'),
    (3, 2.4990, 7.000, '1999-12-31 23:59:59.500000', '1999-12-31 23:59:59.500000', '23:59:59.500000'),
    (4, 9.9950, 0.499, '2020-06-01 12:00:00', '2020-06-01 12:00:00', '12:00:00'),
    (5, 1.0000, 1.000, '2020-06-01 12:00:00.000400', '2020-06-01 12:00:00.000400', '12:00:00.000400'),
    (6, NULL, NULL, NULL, NULL, NULL),
    (7, 99999999.9999, -0.500, '2020-06-01 12:00:00.123456', '2020-06-01 12:00:00.123456', '12:00:00.123456'),
    (8, 0.0040, 0.000, '2020-06-01 12:00:00.499999', '2020-06-01 12:00:00.499999', '12:00:00.499999')";

/// What each row holds on the target: amount rounded to 2 decimals, qty to an integer, `at` to
/// whole seconds and `at_ms` to milliseconds (a tie before 2000 goes up too), the time of day
/// `t` to whole seconds (up to `24:00:00`, which both engines' types hold).
const EXPECTED: &str = "\
1|1.01|3|2020-01-01 10:00:01|2020-01-01 10:00:00.500|10:00:01
2|-1.01|-3|2021-01-01 00:00:00|2021-01-01 00:00:00.000|24:00:00
3|2.50|7|2000-01-01 00:00:00|1999-12-31 23:59:59.500|24:00:00
4|10.00|0|2020-06-01 12:00:00|2020-06-01 12:00:00.000|12:00:00
5|1.00|1|2020-06-01 12:00:00|2020-06-01 12:00:00.000|12:00:00
6|||||
7|100000000.00|-1|2020-06-01 12:00:00|2020-06-01 12:00:00.123|12:00:00
8|0.00|0|2020-06-01 12:00:00|2020-06-01 12:00:00.500|12:00:00";

/// A project moving `price` from `source` to `target`, imported from its DDL, with a spec that
/// casts `amount` to 2 decimals, `qty` to an integer, `at` to whole seconds and `at_ms` to
/// milliseconds.
fn project(dir: &Path, source: &str, target: &str, ddl: &str) -> PathBuf {
    let root = common::ddl_project(dir, "rounding", (source, target), ddl, true);
    let path = root.join("mapping.toml");
    let amount = format!(
        r#"amount = {{ type = "{}", reason = "the ledger keeps cents", author = "ana" }}"#,
        if target == "postgres" {
            "numeric(12,2)"
        } else {
            "decimal(12,2)"
        }
    );
    let qty = r#"qty = { type = "integer", reason = "whole units only", author = "ana" }"#;
    let (seconds, millis) = if target == "postgres" {
        ("timestamp(0)", "timestamp(3)")
    } else {
        ("datetime", "datetime(3)")
    };
    let at = format!(
        r#"at = {{ type = "{seconds}", reason = "the report shows seconds", author = "ana" }}"#
    );
    let at_ms = format!(
        r#"at_ms = {{ type = "{millis}", reason = "the API keeps milliseconds", author = "ana" }}"#
    );
    let t = format!(
        r#"t = {{ type = "{}", reason = "opening hours in seconds", author = "ana" }}"#,
        if target == "postgres" {
            "time(0)"
        } else {
            "time"
        }
    );
    // One table, so each column's rule is the one line starting with its name.
    let text: Vec<String> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|line| match line {
            l if l.starts_with("amount = ") => amount.clone(),
            l if l.starts_with("qty = ") => qty.to_owned(),
            l if l.starts_with("at = ") => at.clone(),
            l if l.starts_with("at_ms = ") => at_ms.clone(),
            l if l.starts_with("t = ") => t.clone(),
            l => l.to_owned(),
        })
        .collect();
    let text = text.join("\n") + "\n";
    std::fs::write(&path, text).unwrap();
    root
}

/// The data pass's count of the rounding findings (M002, M019) per column.
fn review_counts(root: &Path, source_url: &str) -> Vec<(String, u64)> {
    let out = cli(&[
        "mapping",
        "review",
        root.to_str().unwrap(),
        "--source-url",
        source_url,
        "--json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "M002 and M019 are errors: {}",
        stderr(&out)
    );
    let review: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut counts: Vec<(String, u64)> = review["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "M002" || f["code"] == "M019")
        .map(|f| {
            (
                f["column"].as_str().unwrap().to_owned(),
                f["data"]["rows"].as_u64().unwrap(),
            )
        })
        .collect();
    counts.sort();
    counts
}

/// C004 and C005 counts per column of the one table of a report (`converted`, as JSON).
fn rounded(table: &serde_json::Value) -> Vec<(String, u64)> {
    let mut counts: Vec<(String, u64)> = table["converted"]
        .as_array()
        .map(|a| a.as_slice())
        .unwrap_or_default()
        .iter()
        .filter(|c| c["rule"] == "rounded-to-scale" || c["rule"] == "rounded-to-fraction")
        .map(|c| {
            (
                c["column"].as_str().unwrap().to_owned(),
                c["count"].as_u64().unwrap(),
            )
        })
        .collect();
    counts.sort();
    counts
}

fn validate(
    root: &Path,
    source: &str,
    target: &str,
    strategy: &str,
) -> (Output, serde_json::Value) {
    let out = common::between(
        "validate",
        root,
        source,
        target,
        &["--strategy", strategy, "--json", "--restart"],
    );
    let report =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    (out, report)
}

/// Backfills, then checks the target's values, the copy's and validation's C004 counts, and
/// that a value changed on the target is found; `set_amount` changes row 3's amount on the
/// target, `target_rows` reads the target's rows as `id|amount|qty` lines.
fn copy_and_validate(
    root: &Path,
    source_url: &str,
    target_url: &str,
    target_rows: impl Fn() -> String,
    set_amount: impl Fn(),
) {
    let expected_counts: Vec<(String, u64)> =
        [("amount", 6), ("at", 6), ("at_ms", 4), ("qty", 4), ("t", 6)]
            .map(|(c, n)| (c.to_owned(), n))
            .to_vec();
    assert_eq!(review_counts(root, source_url), expected_counts);

    let out = common::between(
        "backfill",
        root,
        source_url,
        target_url,
        &["--create-tables", "--mark-rehearsal-target", "--json"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let backfill: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    let table = &backfill["tables"][0];
    assert_eq!(rounded(table), expected_counts, "{table}");
    assert_eq!(table["rejected"].as_u64().unwrap_or(0), 0, "{table}");
    assert_eq!(target_rows(), EXPECTED);

    for strategy in ["checksum", "merge"] {
        let (out, report) = validate(root, source_url, target_url, strategy);
        assert!(out.status.success(), "{strategy}: {report}");
        let table = &report["tables"][0];
        assert_eq!(
            table["differences"]["changed"]["count"], 0,
            "{strategy}: {table}"
        );
        assert_eq!(rounded(table), expected_counts, "{strategy}: {table}");
    }

    set_amount();
    for strategy in ["checksum", "merge"] {
        let (out, report) = validate(root, source_url, target_url, strategy);
        assert!(!out.status.success(), "{strategy}: {report}");
        let changed = &report["tables"][0]["differences"]["changed"];
        assert_eq!(changed["count"], 1, "{strategy}: {changed}");
        assert_eq!(changed["first"][0]["key"], "3", "{strategy}: {changed}");
        assert_eq!(
            changed["first"][0]["columns"],
            serde_json::json!(["amount"]),
            "{strategy}: {changed}"
        );
    }
}

#[test]
fn decimals_and_fractions_of_seconds_cast_narrower_are_rounded_counted_and_validate_mariadb_to_postgres(
) {
    let dir = tempfile::tempdir().unwrap();
    let source = ScratchMaria::new("round_src");
    let target = ScratchPg::new("round_tgt");
    let ddl = "CREATE TABLE price (id INT PRIMARY KEY, amount DECIMAL(12,4), qty DECIMAL(10,3),
               at DATETIME(6), at_ms DATETIME(6), t TIME(6));\n";
    mariadb(&source.name, &["-e", &format!("{ddl}{ROWS}")], None);
    let root = project(dir.path(), "mysql", "postgres", ddl);
    let rows = || {
        let schema = psql(
            &target.name,
            &[
                "-At",
                "-c",
                "SELECT table_schema FROM information_schema.tables WHERE table_name = 'price'",
            ],
            None,
        );
        psql(
            &target.name,
            &[
                "-At",
                "-c",
                &format!(
                    "SELECT id, amount, qty, to_char(at, 'YYYY-MM-DD HH24:MI:SS'), \
                     to_char(at_ms, 'YYYY-MM-DD HH24:MI:SS.MS'), t FROM \"{}\".price ORDER BY id",
                    schema.trim()
                ),
            ],
            None,
        )
        .trim()
        .to_owned()
    };
    let set = || {
        psql(
            &target.name,
            &["-c", "UPDATE price SET amount = 2.49 WHERE id = 3"],
            None,
        );
    };
    copy_and_validate(&root, &source.url(), &target.url(), rows, set);
}

#[test]
fn decimals_and_fractions_of_seconds_cast_narrower_are_rounded_counted_and_validate_postgres_to_mariadb(
) {
    let dir = tempfile::tempdir().unwrap();
    let source = ScratchPg::new("round_src");
    let target = ScratchMaria::new("round_tgt");
    let ddl = "CREATE TABLE price (id int PRIMARY KEY, amount numeric(12,4), qty numeric(10,3),
               at timestamp(6), at_ms timestamp(6), t time(6));\n";
    psql(&source.name, &["-c", &format!("{ddl}{ROWS}")], None);
    let root = project(dir.path(), "postgres", "mysql", ddl);
    let rows = || {
        mariadb(
            &target.name,
            &[
                "-N",
                "-B",
                "-e",
                "SELECT id, COALESCE(amount, ''), COALESCE(qty, ''), COALESCE(at, ''), \
                 COALESCE(LEFT(DATE_FORMAT(at_ms, '%Y-%m-%d %H:%i:%s.%f'), 23), ''), COALESCE(t, '') \
                 FROM price ORDER BY id",
            ],
            None,
        )
        .trim()
        .replace('\t', "|")
    };
    let set = || {
        mariadb(
            &target.name,
            &["-e", "UPDATE price SET amount = 2.49 WHERE id = 3"],
            None,
        );
    };
    copy_and_validate(&root, &source.url(), &target.url(), rows, set);
}
