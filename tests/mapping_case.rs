//! Case sensitivity of text keys across engines, reviewed statically and against real data:
//! MySQL's default collations (and SQLite's NOCASE) compare without regard to case, PostgreSQL's
//! and a `_bin` collation with it. A key that becomes case-sensitive is a warning (M017); one
//! that becomes case-insensitive is an error (M018) whose data pass counts the source rows that
//! would collide, checked against a SQL count.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{psql, ScratchPg};

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_migration-studio"))
        .args(args)
        .output()
        .unwrap()
}

/// A project from `ddl` moving `source` to `target`, imported, with a spec from `mapping init`.
fn project(dir: &Path, source: &str, target: &str, ddl: &str) -> PathBuf {
    let root = dir.join("case");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("schema.sql"), ddl).unwrap();
    std::fs::write(
        root.join("migration-studio.toml"),
        format!(
            "name = \"case\"\nrto_minutes = 30\nmaintenance_window_minutes = 60\n\n\
             [source]\nengine = \"{source}\"\n\n[target]\nengine = \"{target}\"\n\n\
             [[inputs]]\npath = \"schema.sql\"\n"
        ),
    )
    .unwrap();
    for args in [["import", ""], ["mapping", "init"]] {
        let mut full: Vec<&str> = args.iter().copied().filter(|a| !a.is_empty()).collect();
        full.push(root.to_str().unwrap());
        let out = cli(&full);
        assert!(
            out.status.success(),
            "{full:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    root
}

fn findings(review: &serde_json::Value, code: &str) -> Vec<String> {
    review["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .map(|f| f["entry"].as_str().unwrap().to_owned())
        .collect()
}

/// MariaDB → PostgreSQL: `email`'s unique key under the default collation becomes
/// case-sensitive (M017, a warning: the review passes); `login` under `utf8mb4_bin`, `tag.label`
/// under its table's `COLLATE=utf8mb4_bin`, and the integer keys do not change.
#[test]
fn a_unique_key_under_mysqls_default_collation_is_warned_to_become_case_sensitive() {
    let dir = tempfile::tempdir().unwrap();
    let root = project(
        dir.path(),
        "mysql",
        "postgres",
        "CREATE TABLE account (id INT PRIMARY KEY, email VARCHAR(100) NOT NULL,\n\
         login VARCHAR(40) COLLATE utf8mb4_bin NOT NULL, UNIQUE KEY (email), UNIQUE KEY (login));\n\
         CREATE TABLE tag (id INT PRIMARY KEY, label VARCHAR(40) NOT NULL, UNIQUE KEY (label))\n\
         ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;\n",
    );
    let out = cli(&["mapping", "review", root.to_str().unwrap(), "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "warnings only: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let review: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(findings(&review, "M017"), ["account.email"]);
    assert!(findings(&review, "M018").is_empty());
    let inventory = cli(&["inventory", root.to_str().unwrap(), "--json"]);
    let text = String::from_utf8_lossy(&inventory.stdout);
    assert!(
        text.contains("utf8mb4_bin"),
        "the collation is in the inventory"
    );
}

/// PostgreSQL → MariaDB: `email`'s unique key becomes case-insensitive (M018, an error: the
/// review exits 1); the data pass on the real source counts the rows whose emails differ only
/// in case, with their first keys, equal to what SQL counts.
#[test]
fn a_case_sensitive_unique_key_into_mysql_counts_the_rows_that_collide() {
    let ddl = "CREATE TABLE account (id integer PRIMARY KEY, email text UNIQUE, note text);\n";
    let source = ScratchPg::new("case_src");
    psql(&source.name, &[], Some(ddl));
    psql(
        &source.name,
        &[
            "-c",
            "INSERT INTO account VALUES (1, 'ann@x.org', ''), (2, 'bob@x.org', ''), \
             (3, 'Ann@X.org', ''), (4, 'carl@x.org', ''), (5, 'BOB@x.org', ''), (6, NULL, ''), (7, NULL, '')",
        ],
        None,
    );
    let dir = tempfile::tempdir().unwrap();
    let root = project(dir.path(), "postgres", "mysql", ddl);
    let out = cli(&[
        "mapping",
        "review",
        root.to_str().unwrap(),
        "--json",
        "--source-url",
        &source.url(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "an error finding: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let review: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(findings(&review, "M018"), ["public.account.email"]);
    let m018 = review["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "M018")
        .unwrap();
    let expected = psql(
        &source.name,
        &[
            "-At",
            "-c",
            "SELECT count(*) FROM account WHERE lower(email) IN \
             (SELECT lower(email) FROM account GROUP BY 1 HAVING count(*) > 1)",
        ],
        None,
    );
    assert_eq!(m018["data"]["rows"].to_string(), expected.trim());
    assert_eq!(m018["data"]["rows"], 4);
    assert_eq!(
        m018["data"]["examples"],
        serde_json::json!(["id 1", "id 2", "id 3", "id 5"])
    );
}
