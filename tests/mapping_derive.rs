//! Computed columns of the mapping spec end to end, on real MariaDB and PostgreSQL: Sakila's
//! customer names merged into `full_name`, e-mails derived in lower case and addresses split
//! into a number and a street are backfilled through the spec and validate clean through it; a
//! wrong value in a computed column is found by validation at its key and column. The
//! expression language's functions give the same values on both engines for the edge cases of
//! cutting text (past the last part, empty parts, NULL, non-ASCII).

mod common;

use std::process::Output;

use common::{edit_rule, mariadb, psql, sample, ScratchMaria, ScratchPg};
use migration_studio::import::Engine;
use migration_studio::mapping::expr::Expression;
use migration_studio::project::Project;
use migration_studio::validate::Report;
use migration_studio::workspace::mapping::init;

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Adds `rule` (a new column) at the top of the `[tables."<table>".columns]` section.
fn add_rule(text: &str, table: &str, rule: &str) -> String {
    let header = format!("[tables.\"{table}\".columns]\n");
    text.replacen(&header, &format!("{header}{rule}\n"), 1)
}

fn validate(root: &std::path::Path, source: &str, target: &str) -> (Output, Option<Report>) {
    let out = common::between(
        "validate",
        root,
        source,
        target,
        &["--tables", "customer,address", "--json", "--restart"],
    );
    let report = serde_json::from_slice(&out.stdout).ok();
    (out, report)
}

#[tokio::test]
async fn merged_derived_and_split_columns_backfill_and_validate_clean_through_the_spec() {
    let source = ScratchMaria::new("derive_src");
    common::load_sakila_mariadb(&source.name);
    let target = ScratchPg::new("derive_tgt");
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    init::init(&Project::open(&root).unwrap(), false)
        .await
        .expect("mapping init");
    let path = root.join("mapping.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    for name in ["first_name", "last_name"] {
        text = edit_rule(
            &text,
            "sakila.customer",
            name,
            &format!(
                r#"{name} = {{ drop = true, reason = "merged into full_name", author = "ana" }}"#
            ),
        );
    }
    text = add_rule(
        &text,
        "sakila.customer",
        r#"full_name = { merge = ["first_name", "last_name"], separator = " ", reason = "one name field in the new CRM", author = "ana" }"#,
    );
    text = edit_rule(
        &text,
        "sakila.customer",
        "email",
        r#"email = { derive = "lower(email)", reason = "addresses compare case-insensitively", author = "ana" }"#,
    );
    text = edit_rule(
        &text,
        "sakila.address",
        "address",
        r#"address = { split = ["street_number", "street_name"], separator = " ", reason = "the number is searched apart", author = "ana" }"#,
    );
    std::fs::write(&path, &text).unwrap();

    // The review says what a rollback cannot give back and what is computed in place.
    let review =
        migration_studio::workspace::mapping::review::review(&Project::open(&root).unwrap())
            .await
            .unwrap();
    let codes: Vec<(String, &str)> = review
        .findings
        .iter()
        .filter(|f| f.code == "M012" || f.code == "M013")
        .map(|f| (f.entry.clone(), f.code))
        .collect();
    assert_eq!(
        codes,
        [
            ("sakila.address.address".to_owned(), "M012"),
            ("sakila.customer.email".to_owned(), "M013"),
        ]
    );

    let out = common::between(
        "backfill",
        &root,
        &source.url(),
        &target.url(),
        &[
            "--create-tables",
            "--mark-rehearsal-target",
            "--tables",
            "customer,address",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let q = |sql: &str| {
        psql(&target.name, &["-At", "-c", sql], None)
            .trim()
            .to_owned()
    };
    let schema =
        q("SELECT table_schema FROM information_schema.tables WHERE table_name = 'customer'");
    let columns = q(&format!("SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = '{schema}' AND table_name = 'customer'"));
    assert!(
        !columns.contains("first_name") && columns.ends_with(",full_name"),
        "{columns}"
    );
    assert_eq!(
        q(&format!(
            "SELECT full_name || '|' || email FROM \"{schema}\".customer WHERE customer_id = 1"
        )),
        "MARY SMITH|mary.smith@sakilacustomer.org"
    );
    assert_eq!(
        q(&format!("SELECT street_number || '|' || street_name FROM \"{schema}\".address WHERE address_id = 1")),
        "47|MySakila Drive"
    );
    // No character lost by the split: the parts joined again give every address back.
    let joined = q(&format!("SELECT count(*) FROM \"{schema}\".address WHERE concat_ws(' ', street_number, NULLIF(street_name, '')) IS NOT NULL"));
    assert_eq!(joined, "603");

    let (out, report) = validate(&root, &source.url(), &target.url());
    let report = report.unwrap_or_else(|| panic!("{}", stderr(&out)));
    for table in &report.tables {
        assert_eq!(table.differences.total(), 0, "{table:?}");
        assert_eq!(table.error, None);
        assert!(table.columns.source_only.is_empty(), "{:?}", table.columns);
        assert!(table.columns.target_only.is_empty(), "{:?}", table.columns);
    }
    assert!(out.status.success(), "{}", stderr(&out));

    // A wrong value in a computed column is found at its key and column.
    q(&format!(
        "UPDATE \"{schema}\".customer SET full_name = 'MARY SMYTH' WHERE customer_id = 7"
    ));
    let (out, report) = validate(&root, &source.url(), &target.url());
    assert!(!out.status.success());
    let report = report.expect("a report");
    let customer = report
        .tables
        .iter()
        .find(|t| t.source_table.ends_with("customer"))
        .unwrap();
    assert_eq!(customer.differences.changed.count, 1);
    let changed = &customer.differences.changed.first[0];
    assert_eq!(changed.key, "7");
    assert_eq!(changed.columns, ["full_name"]);
}

#[tokio::test]
async fn cutting_text_gives_the_same_parts_on_both_engines() {
    let maria = ScratchMaria::new("expr_same");
    let pg = ScratchPg::new("expr_same");
    let rows = ["a b c", "a", "", " a", "a  b", "é ü ß x", "trailing "];
    mariadb(
        &maria.name,
        &[
            "-e",
            "CREATE TABLE t (id INT PRIMARY KEY, s VARCHAR(40) CHARACTER SET utf8mb4)",
        ],
        None,
    );
    psql(
        &pg.name,
        &["-c", "CREATE TABLE t (id int PRIMARY KEY, s varchar(40))"],
        None,
    );
    for (i, s) in rows.iter().enumerate() {
        let insert = format!("INSERT INTO t VALUES ({i}, '{s}')");
        mariadb(&maria.name, &["-e", &insert], None);
        psql(&pg.name, &["-c", &insert], None);
    }
    let null = "INSERT INTO t VALUES (99, NULL)";
    mariadb(&maria.name, &["-e", null], None);
    psql(&pg.name, &["-c", null], None);

    let maria_inventory =
        migration_studio::import::live::import_live(Engine::Mysql, &maria.url(), &[])
            .await
            .unwrap();
    let table = &maria_inventory.tables[0];
    for text in [
        "split_part(s, ' ', 1)",
        "split_part(s, ' ', 2)",
        "split_part(s, ' ', 3)",
        "split_rest(s, ' ', 2)",
        "split_rest(s, ' ', 3)",
        "concat(s, '-', NULL, id)",
        "concat_ws('/', s, NULL, id)",
        "upper(substr(s, 2, 2)) || length(s)",
        "replace(trim(s), ' ', '_')",
        "coalesce(nullif(s, ''), 'empty')",
    ] {
        let e = Expression::parse(text, table, Engine::Mysql).unwrap();
        let sql = |engine| format!("SELECT id, {} FROM t ORDER BY id", e.sql(engine));
        let on_maria = mariadb(&maria.name, &["-e", &sql(Engine::Mysql)], None);
        let on_pg = psql(
            &pg.name,
            &[
                "-At",
                "-F",
                "\t",
                "-P",
                "null=NULL",
                "-c",
                &sql(Engine::Postgres),
            ],
            None,
        );
        assert_eq!(on_maria, on_pg, "{text}");
    }
}

#[test]
fn a_rehearsal_backfills_catches_up_and_rolls_back_through_the_spec() {
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    // actor is one of the tables the workload writes (no application trigger): its changes
    // reach the target through the merge by the catch-up, and come back by the rollback drill.
    common::with_actor_spec(&root);
    common::rehearses_clean(&root);
}

#[test]
fn a_unique_key_over_a_value_computed_in_place_counts_the_rows_that_collide() {
    let source = ScratchMaria::new("derive_unique");
    let ddl = "CREATE TABLE users (id INT PRIMARY KEY, email VARCHAR(50) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin, UNIQUE KEY uq_email (email));";
    mariadb(
        &source.name,
        &["-e", &format!("{ddl} INSERT INTO users VALUES (1, 'Ann@x.org'), (2, 'ann@x.org'), (3, 'bob@x.org'), (4, NULL), (5, NULL), (6, 'BOB@x.org '), (7, 'Cy@x.org');")],
        None,
    );
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("p");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("schema.sql"), ddl).unwrap();
    std::fs::write(
        root.join("migration-studio.toml"),
        "name = \"u\"\nrto_minutes = 30\nmaintenance_window_minutes = 60\nmapping = \"mapping.toml\"\n\n[source]\nengine = \"mysql\"\n\n[target]\nengine = \"postgres\"\n\n[[inputs]]\npath = \"schema.sql\"\n",
    )
    .unwrap();
    std::fs::write(
        root.join("mapping.toml"),
        "version = 1\n\n[tables.users.columns]\nemail = { derive = \"lower(trim(email))\", reason = \"one account per address\", author = \"ana\" }\n",
    )
    .unwrap();
    let cli = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_migration-studio"))
            .args(args)
            .output()
            .unwrap()
    };
    let out = cli(&["import", root.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
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
        stderr(&out)
    );
    let review: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let m014 = review["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "M014")
        .expect("M014 on users.email");
    // Ann twice, Bob twice (one with a trailing space); the NULLs never collide.
    assert_eq!(m014["data"]["rows"], 4);
    assert_eq!(
        m014["data"]["examples"],
        serde_json::json!(["id 1", "id 2", "id 3", "id 6"])
    );
}

/// Computed columns on a table without a key, with repeated rows, copied from MariaDB into
/// PostgreSQL: the backfill writes the computed values, validation compares the rows as a multiset with the expressions computed
/// on the source side and finds them equal, and a computed value changed on the target behind
/// the copy's back is found.
#[test]
fn computed_columns_of_a_keyless_table_backfill_and_validate_through_the_spec() {
    let source = ScratchMaria::new("derive_keyless");
    let ddl = "CREATE TABLE events (kind VARCHAR(10) NOT NULL, note VARCHAR(40), seen DATE);";
    mariadb(
        &source.name,
        &[
            "-e",
            &format!(
                "{ddl} INSERT INTO events VALUES ('Login', 'From Home', '2024-01-02'), \
                 ('Login', 'From Home', '2024-01-02'), ('Logout', NULL, NULL), ('Error', 'Disk FULL', '2024-02-29');"
            ),
        ],
        None,
    );
    let target = ScratchPg::new("derive_keyless");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("p");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("schema.sql"), ddl).unwrap();
    std::fs::write(
        root.join("migration-studio.toml"),
        "name = \"k\"\nrto_minutes = 30\nmaintenance_window_minutes = 60\nmapping = \"mapping.toml\"\n\n[source]\nengine = \"mysql\"\n\n[target]\nengine = \"postgres\"\n\n[[inputs]]\npath = \"schema.sql\"\n",
    )
    .unwrap();
    std::fs::write(
        root.join("mapping.toml"),
        "version = 1\n\n[tables.events.columns]\nkind = { derive = \"lower(kind)\", reason = \"codes are lower case\", author = \"ana\" }\nlabel = { merge = [\"kind\", \"note\"], separator = \": \", reason = \"one line per event\", author = \"ana\" }\n",
    )
    .unwrap();
    let cli = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_migration-studio"))
            .args(args)
            .output()
            .unwrap()
    };
    let out = cli(&["import", root.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = common::between(
        "backfill",
        &root,
        &source.url(),
        &target.url(),
        &["--create-tables", "--mark-rehearsal-target"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let q = |sql: &str| {
        psql(&target.name, &["-At", "-c", sql], None)
            .trim()
            .to_owned()
    };
    let schema =
        q("SELECT table_schema FROM information_schema.tables WHERE table_name = 'events'");
    assert_eq!(
        q(&format!(
            "SELECT string_agg(kind || '|' || coalesce(label, '-'), ',' ORDER BY kind, label) FROM \"{schema}\".events"
        )),
        "error|Error: Disk FULL,login|Login: From Home,login|Login: From Home,logout|Logout"
    );
    let validate = || {
        let out = common::between(
            "validate",
            &root,
            &source.url(),
            &target.url(),
            &["--json", "--restart"],
        );
        let report: Report =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", stderr(&out)));
        (out, report)
    };
    let (out, report) = validate();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(report.tables[0].source_rows, 4);
    assert_eq!(report.tables[0].differences.total(), 0, "{report:?}");

    q(&format!(
        "UPDATE \"{schema}\".events SET label = 'Error: disk full' WHERE kind = 'error'"
    ));
    let (out, report) = validate();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let d = &report.tables[0].differences;
    assert_eq!((d.missing.count, d.extra.count), (1, 1), "{report:?}");
}
