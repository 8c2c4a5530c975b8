//! A table merge on real databases: Sakila's `film_text` (1:1 with `film` on `film_id`)
//! merged into `film`. The backfill brings its columns into the target `film` from real
//! MariaDB into real PostgreSQL, validation finds them equal under both strategies, and a
//! merged row without a partner (an orphan) is caught by validation at its key and counted by
//! the review's data pass; a rehearsal runs through the merge and, interrupted, leaves nothing
//! behind. Changes on either source table reach the one target row; changes the application
//! makes on the target go back into both source tables, a row of NULLs meaning no partner.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{cli_ok, psql, sample, ScratchMaria, ScratchPg};
use migration_studio::rehearsal::state::Stage;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Gives the Sakila sample at `root` a spec merging `film_text` into `film` (its `title` and
/// `description` renamed, `film` has its own).
fn with_merge_spec(root: &Path) {
    common::use_spec(
        root,
        r#"version = 1

[tables."sakila.film".merge."sakila.film_text"]
reason = "film_text is a full-text copy of film, 1:1 on film_id"
author = "ana"

[tables."sakila.film_text".columns]
title = { target = "text_title", reason = "film has a title of its own", author = "ana" }
description = { target = "text_description", reason = "film has a description of its own", author = "ana" }
"#,
    );
}

/// `mapping review --json` of the project at `root` with its data pass on `source_url`, which
/// must exit with `code`; the review.
fn review(root: &Path, source_url: &str, code: i32) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_migration-studio"))
        .args(["mapping", "review", root.to_str().unwrap(), "--json"])
        .env("MIGRATION_STUDIO_SOURCE_URL", source_url)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(code), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The first finding of `review` with `code`.
fn finding<'a>(review: &'a serde_json::Value, code: &str) -> &'a serde_json::Value {
    review["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code}: {review:#}"))
}

fn validate(root: &Path, source: &str, target: &str, strategy: &str) -> serde_json::Value {
    common::validate_json(
        root,
        (source, target),
        strategy,
        &["--tables", "film,film_text,language"],
    )
}

#[test]
fn a_merged_table_backfills_into_its_partner_validates_and_an_orphan_is_caught() {
    let source = ScratchMaria::new("merge_src");
    common::load_sakila_mariadb(&source.name);
    let target = ScratchPg::new("merge_tgt");
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    with_merge_spec(&root);
    let path = root.to_str().unwrap();
    cli_ok(&["import", path]);
    // An orphan: a film_text row whose film does not exist has nowhere to go.
    common::mariadb(
        &source.name,
        &[
            "-e",
            "INSERT INTO film_text VALUES (5000, 'Lost', 'no film has this key')",
        ],
        None,
    );
    common::backfill_ok(
        &root,
        (&source.url(), &target.url()),
        &["--tables", "film,film_text,language"],
    );
    let q = |sql: &str| {
        psql(&target.name, &["-At", "-c", sql], None)
            .trim()
            .to_owned()
    };
    // The merged columns come after film's own, nullable; film_text has no table of its own.
    assert!(
        q("SELECT string_agg(column_name || ':' || is_nullable, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'film'")
            .ends_with("last_update:NO,text_title:YES,text_description:YES"),
        "{}",
        q("SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'film'")
    );
    assert_eq!(
        q("SELECT count(*) FROM information_schema.tables WHERE table_name = 'film_text'"),
        "0"
    );
    // Every character of film_text with a film arrived at its film's row.
    let on_source = common::mariadb(
        &source.name,
        &[
            "-N",
            "-e",
            "SELECT COUNT(*), SUM(CHAR_LENGTH(title)), SUM(CHAR_LENGTH(description)) FROM film_text WHERE film_id IN (SELECT film_id FROM film)",
        ],
        None,
    );
    let on_target = q("SELECT count(text_title) || E'\\t' || sum(char_length(text_title)) || E'\\t' || sum(char_length(text_description)) FROM film");
    assert_eq!(on_source.trim(), on_target);
    // The orphan is rejected by the backfill with its reason, under its own table...
    assert_eq!(
        q("SELECT table_name || '|' || row_key || '|' || reason FROM _migration_studio_reject"),
        format!("{}.film_text|[{{\"t\":\"Int\",\"v\":5000}}]|merged into {0}.film by the mapping spec, and {0}.film has no row with this key: the row has no target row to arrive in", source.name)
    );
    // ...and fails validation of the merged table at its key.
    let report = validate(&root, &source.url(), &target.url(), "checksum");
    assert_eq!(report["verdict"], "different", "{report:#}");
    let orphan = &report["tables"][1];
    assert_eq!(
        (
            orphan["source_table"]
                .as_str()
                .map(|t| t.ends_with(".film_text")),
            orphan["differences"]["missing"]["count"].as_u64(),
            orphan["differences"]["missing"]["first"].clone()
        ),
        (Some(true), Some(1), serde_json::json!(["5000"])),
        "{report:#}"
    );
    // The review's data pass counts it.
    let m022 = finding(&review(&root, &source.url(), 1), "M022").clone();
    assert_eq!(
        (
            m022["entry"].as_str(),
            m022["data"]["rows"].as_u64(),
            m022["data"]["examples"].clone()
        ),
        (
            Some("sakila.film_text"),
            Some(1),
            serde_json::json!(["film_id 5000"])
        ),
        "{m022:#}"
    );
    common::mariadb(
        &source.name,
        &["-e", "DELETE FROM film_text WHERE film_id = 5000"],
        None,
    );

    for strategy in ["merge", "checksum"] {
        let report = validate(&root, &source.url(), &target.url(), strategy);
        assert_eq!(report["verdict"], "equal", "{strategy}: {report:#}");
        let pairs: Vec<(&str, &str, u64)> = report["tables"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["source_table"]
                        .as_str()
                        .unwrap()
                        .rsplit('.')
                        .next()
                        .unwrap(),
                    t["target_table"].as_str().unwrap(),
                    t["source_rows"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            pairs,
            [
                ("film", "public.film", 1000),
                ("film_text", "public.film", 1000),
                ("language", "public.language", 6),
            ],
            "{strategy}"
        );
    }

    // A merged value changed behind the copy's back (without film's ON UPDATE trigger):
    // located at its key and column.
    q("SET session_replication_role = replica; UPDATE film SET text_description = text_description || '!' WHERE film_id = 7");
    let report = validate(&root, &source.url(), &target.url(), "merge");
    assert_eq!(report["verdict"], "different", "{report:#}");
    assert_eq!(
        report["tables"][0]["differences"]["changed"]["first"],
        serde_json::json!([{"key": "7", "columns": ["film_text.description"]}]),
        "{report:#}"
    );
    q("SET session_replication_role = replica; UPDATE film SET text_description = left(text_description, -1) WHERE film_id = 7");

    // `mapping show` names where each merged column lands; the DDL has them on film.
    let rows: serde_json::Value =
        serde_json::from_str(&cli_ok(&["mapping", "show", path, "--json"])).unwrap();
    let lands: Vec<String> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["source_table"] == "sakila.film_text")
        .map(|r| {
            format!(
                "{} → {}.{}",
                r["source_column"].as_str().unwrap(),
                r["target_table"].as_str().unwrap(),
                r["target_column"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        lands,
        [
            "film_id → film.film_id",
            "title → film.text_title",
            "description → film.text_description"
        ],
        "{rows:#}"
    );
}

#[test]
fn a_rehearsal_runs_through_a_merge() {
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    with_merge_spec(&root);
    let report = common::rehearses_clean(&root);
    // The runbook's step for film_text is done by film's, and says so.
    let step = report
        .runbook
        .iter()
        .find(|s| s.title.contains("film_text") && s.detail.contains("merged"))
        .unwrap_or_else(|| panic!("{:#?}", report.runbook));
    assert_eq!(
        (step.outcome, step.detail.as_str()),
        (
            migration_studio::rehearsal::StepOutcome::Done,
            "merged into sakila.film by the mapping spec: its rows are copied with sakila.film's"
        )
    );
}

#[test]
fn a_rehearsal_through_a_merge_interrupted_in_its_catch_up_leaves_nothing_behind() {
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    with_merge_spec(&root);
    common::interrupted_leaves_nothing(&root, |s| s.stage == Stage::CatchUp);
}

/// A customer table and its 1:1 profile (keyed by its own name for the customer's key), on a
/// scratch MariaDB, copied to a scratch PostgreSQL through a spec merging the profile in.
struct Merged {
    source: ScratchMaria,
    target: ScratchPg,
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
    spec: String,
}

fn merged_customer(name: &str) -> Merged {
    let source = ScratchMaria::new(&format!("{name}_src"));
    let target = ScratchPg::new(&format!("{name}_tgt"));
    let ddl = "CREATE TABLE customer (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL);\n\
               CREATE TABLE customer_profile (customer_id INT PRIMARY KEY, note VARCHAR(40), score INT, \
               FOREIGN KEY (customer_id) REFERENCES customer (id));\n";
    common::mariadb(
        &source.name,
        &[
            "-e",
            &format!(
                "{ddl}INSERT INTO customer VALUES (1, 'Ann'), (2, 'Bo'), (3, 'Chloé');\
                          INSERT INTO customer_profile VALUES (1, 'likes tea', 7), (3, NULL, 9);"
            ),
        ],
        None,
    );
    let dir = tempfile::tempdir().unwrap();
    let root = common::ddl_project(dir.path(), name, ("mysql", "postgres"), ddl, false);
    let spec = "version = 1\n\n[tables.customer.merge.customer_profile]\nreason = \"1:1, read together\"\nauthor = \"ana\"\n".to_owned();
    common::use_spec(&root, &spec);
    common::backfill_ok(&root, (&source.url(), &target.url()), &[]);
    Merged {
        source,
        target,
        _dir: dir,
        root,
        spec,
    }
}

impl Merged {
    /// Both databases, opened for writing.
    async fn connect(
        &self,
    ) -> (
        migration_studio::db::Database,
        migration_studio::db::Database,
    ) {
        use migration_studio::db::{connect, Access};
        (
            connect(&self.source.url(), Access::ReadWrite, 2)
                .await
                .unwrap(),
            connect(&self.target.url(), Access::ReadWrite, 2)
                .await
                .unwrap(),
        )
    }
}

async fn routes(m: &Merged, reverse: bool) -> Vec<migration_studio::rehearsal::capture::Route> {
    common::mysql_to_postgres_routes(&m.root, &m.source.url(), &m.spec, reverse).await
}

fn applier(
    from: &migration_studio::db::Database,
    to: &migration_studio::db::Database,
    routes: &[migration_studio::rehearsal::capture::Route],
) -> migration_studio::rehearsal::capture::Applier {
    migration_studio::rehearsal::capture::Applier {
        from: from.clone(),
        to: to.clone(),
        routes: routes.to_vec(),
        applied: 0,
        run_id: "merge".into(),
        policy: Default::default(),
        refused: 0,
        converted: Default::default(),
        skipped: Default::default(),
    }
}

fn customers_on_target(m: &Merged) -> String {
    psql(
        &m.target.name,
        &[
            "-At",
            "-F",
            "|",
            "-P",
            "null=-",
            "-c",
            "SELECT id, name, note, score FROM customer ORDER BY id",
        ],
        None,
    )
    .trim()
    .to_owned()
}

#[tokio::test]
async fn changes_on_either_source_table_reach_the_one_target_row() {
    use migration_studio::rehearsal::capture;
    let m = merged_customer("merge_fwd");
    assert_eq!(
        customers_on_target(&m),
        "1|Ann|likes tea|7\n2|Bo|-|-\n3|Chloé|-|9"
    );
    let routes = routes(&m, false).await;
    assert_eq!(
        routes.len(),
        1,
        "one route: customer, reading its profile in"
    );
    let (source, target) = m.connect().await;
    capture::install(&source, &routes).await.unwrap();
    // The application: a profile for Bo, Ann's note changed, Chloé's profile deleted, a new
    // customer without a profile.
    common::mariadb(
        &m.source.name,
        &[
            "-e",
            "INSERT INTO customer_profile VALUES (2, 'new', 1); UPDATE customer_profile SET note = 'likes coffee' WHERE customer_id = 1; \
             DELETE FROM customer_profile WHERE customer_id = 3; INSERT INTO customer VALUES (4, 'Di');",
        ],
        None,
    );
    let mut applier = applier(&source, &target, &routes);
    applier.apply_settled(1_000).await.unwrap();
    assert_eq!(applier.refused, 0);
    assert_eq!(
        customers_on_target(&m),
        "1|Ann|likes coffee|7\n2|Bo|new|1\n3|Chloé|-|-\n4|Di|-|-"
    );
    capture::remove(&source, &routes).await.unwrap();
    assert_eq!(
        common::mariadb(
            &m.source.name,
            &["-N", "-e", "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()"],
            None
        )
        .trim(),
        "0",
        "the capture triggers of both source tables are gone"
    );
}

#[tokio::test]
async fn changes_on_the_target_go_back_into_both_source_tables() {
    use migration_studio::rehearsal::capture;
    let m = merged_customer("merge_back");
    let routes = routes(&m, true).await;
    assert_eq!(
        routes
            .iter()
            .map(|r| r.to_table.name.as_str())
            .collect::<Vec<_>>(),
        ["customer", "customer_profile"],
        "the table first, then the merged table (its rows after their partners)"
    );
    let (source, target) = m.connect().await;
    capture::install(&target, &routes).await.unwrap();
    // After the cutover: a new customer with a profile, Bo given one, Ann's profile emptied
    // (all NULL: no profile), Chloé deleted.
    psql(
        &m.target.name,
        &[
            "-c",
            "INSERT INTO customer VALUES (4, 'Di', 'hi', 2); UPDATE customer SET note = 'new' WHERE id = 2; \
             UPDATE customer SET note = NULL, score = NULL WHERE id = 1; DELETE FROM customer WHERE id = 3;",
        ],
        None,
    );
    let mut applier = applier(&target, &source, &routes);
    applier.apply_settled(1_000).await.unwrap();
    assert_eq!(applier.refused, 0);
    let on_source = |sql: &str| {
        common::mariadb(&m.source.name, &["-N", "-B", "-e", sql], None)
            .trim()
            .replace('\t', "|")
    };
    assert_eq!(
        on_source("SELECT id, name FROM customer ORDER BY id"),
        "1|Ann\n2|Bo\n4|Di"
    );
    assert_eq!(
        on_source("SELECT customer_id, COALESCE(note, '-'), COALESCE(score, '-') FROM customer_profile ORDER BY customer_id"),
        "2|new|-\n4|hi|2"
    );
    capture::remove(&target, &routes).await.unwrap();
    assert_eq!(
        psql(
            &m.target.name,
            &[
                "-At",
                "-c",
                "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal"
            ],
            None
        )
        .trim(),
        "0"
    );
    assert_eq!(
        psql(
            &m.target.name,
            &[
                "-At",
                "-c",
                "SELECT count(*) FROM pg_proc WHERE proname LIKE '\\_ms\\_capture%'"
            ],
            None
        )
        .trim(),
        "0",
        "the trigger functions are gone"
    );
}

#[test]
fn a_merge_validates_clean_and_the_review_knows_the_key_is_a_foreign_key() {
    let m = merged_customer("merge_clean");
    for strategy in ["merge", "checksum"] {
        let out = common::between(
            "validate",
            &m.root,
            &m.source.url(),
            &m.target.url(),
            &["--json", "--strategy", strategy],
        );
        let report: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
        assert_eq!(report["verdict"], "equal", "{strategy}: {report:#}");
    }
    // The profile's key is a foreign key to customer: no orphan can exist, so no M022; its
    // columns may all be NULL, so M023 (a warning: the review passes).
    let review = review(&m.root, &m.source.url(), 0);
    let codes: Vec<(&str, &str, u64)> = review["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "M022" || f["code"] == "M023")
        .map(|f| {
            (
                f["code"].as_str().unwrap(),
                f["entry"].as_str().unwrap(),
                f["data"]["rows"].as_u64().unwrap_or(u64::MAX),
            )
        })
        .collect();
    assert_eq!(codes, [("M023", "customer_profile", 0)], "{review:#}");
}

#[test]
fn a_narrowing_of_a_merged_column_is_found_at_its_own_table_and_counted() {
    let m = merged_customer("merge_narrow");
    std::fs::write(
        m.root.join("mapping.toml"),
        format!(
            "{}\n[tables.customer_profile.columns]\nnote = {{ type = \"varchar(5)\", reason = \"short notes\", author = \"ana\" }}\n",
            m.spec
        ),
    )
    .unwrap();
    let m001 = finding(&review(&m.root, &m.source.url(), 1), "M001").clone();
    // "likes tea" is the one note longer than 5 characters.
    assert_eq!(
        (
            m001["entry"].as_str(),
            m001["line"].as_u64(),
            m001["data"]["rows"].as_u64(),
            m001["data"]["examples"].clone()
        ),
        (
            Some("customer_profile.note"),
            Some(8),
            Some(1),
            serde_json::json!(["customer_id 1"])
        ),
        "{m001:#}"
    );
}

#[test]
fn a_merge_between_postgresql_schemas_of_their_own_backfills_rejects_its_orphan_and_validates() {
    let source = ScratchPg::new("merge_pg_src");
    let target = ScratchPg::new("merge_pg_tgt");
    // No foreign key from the profile: an orphan can exist (key 9). Non-ASCII text, a NULL.
    let ddl = "CREATE SCHEMA crm;\n\
               CREATE TABLE crm.customer (id bigint PRIMARY KEY, name text NOT NULL);\n\
               CREATE TABLE crm.customer_profile (customer_ref bigint PRIMARY KEY, note text, born date);\n";
    psql(
        &source.name,
        &["-c", &format!("{ddl}INSERT INTO crm.customer VALUES (1, 'Ann'), (2, 'Zoë'), (3, 'Chloé');\
                          INSERT INTO crm.customer_profile VALUES (1, 'thé', '1980-02-29'), (3, NULL, NULL), (9, 'orphan', NULL);")],
        None,
    );
    let dir = tempfile::tempdir().unwrap();
    let root = common::ddl_project(dir.path(), "merge_pg", ("postgres", "postgres"), ddl, false);
    common::use_spec(&root, "version = 1\n\n[tables.\"crm.customer\".merge.\"crm.customer_profile\"]\nreason = \"1:1\"\nauthor = \"ana\"\n");
    common::backfill_ok(
        &root,
        (&source.url(), &target.url()),
        &["--source-schema", "crm"],
    );
    let q = |sql: &str| {
        psql(
            &target.name,
            &["-At", "-F", "|", "-P", "null=-", "-c", sql],
            None,
        )
        .trim()
        .to_owned()
    };
    assert_eq!(
        q("SELECT id, name, note, born FROM crm.customer ORDER BY id"),
        "1|Ann|thé|1980-02-29\n2|Zoë|-|-\n3|Chloé|-|-"
    );
    assert_eq!(
        q("SELECT table_name, reason LIKE 'merged into crm.customer %' FROM _migration_studio_reject"),
        "crm.customer_profile|t"
    );
    for strategy in ["merge", "checksum"] {
        let report = common::validate_json(&root, (&source.url(), &target.url()), strategy, &[]);
        let verdicts: Vec<(&str, &str, u64)> = report["tables"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["source_table"].as_str().unwrap(),
                    t["verdict"].as_str().unwrap(),
                    t["differences"]["missing"]["count"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            verdicts,
            [
                ("crm.customer", "equal", 0),
                ("crm.customer_profile", "different", 1)
            ],
            "{strategy}: {report:#}"
        );
    }
    // Without the orphan, clean.
    psql(
        &source.name,
        &[
            "-c",
            "DELETE FROM crm.customer_profile WHERE customer_ref = 9",
        ],
        None,
    );
    let out = common::between("validate", &root, &source.url(), &target.url(), &["--json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["verdict"], "equal", "{report:#}");
}

/// The rehearsal's workload writes a table and the table merged into it together: a cloned
/// customer gets a clone of its profile, a deleted one loses its profile first, in one
/// transaction each, so no profile is ever left without its customer (the merge's orphan) and
/// the database's foreign key never refuses a write.
#[tokio::test]
async fn the_workload_writes_a_table_and_its_merged_table_together() {
    use migration_studio::db::{connect, Access};
    use migration_studio::import::{live::import_live, Engine};
    use migration_studio::rehearsal::workload::{Scope, Workload, WorkloadSettings};
    let source = ScratchMaria::new("merge_workload");
    let rows: Vec<String> = (1..=20).map(|i| format!("({i}, 'customer {i}')")).collect();
    let profiles: Vec<String> = (1..=20)
        .map(|i| format!("({i}, 'note number {i}')"))
        .collect();
    common::mariadb(
        &source.name,
        &[
            "-e",
            &format!(
            "CREATE TABLE customer (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(40) NOT NULL);\
             CREATE TABLE customer_profile (customer_id INT PRIMARY KEY, note VARCHAR(40), \
             FOREIGN KEY (customer_id) REFERENCES customer (id));\
             INSERT INTO customer VALUES {}; INSERT INTO customer_profile VALUES {};",
            rows.join(", "),
            profiles.join(", ")
        ),
        ],
        None,
    );
    let inventory = import_live(Engine::Mysql, &source.url(), &[])
        .await
        .unwrap();
    let db = connect(&source.url(), Access::ReadWrite, 2).await.unwrap();
    let groups = vec![("customer".to_owned(), vec!["customer_profile".to_owned()])];
    let workload = Workload::start(
        db.clone(),
        &inventory,
        Scope {
            avoid: &[],
            companions: &groups,
        },
        WorkloadSettings {
            rate: 400.0,
            seed: 3,
        },
        Default::default(),
    );
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    let memory = workload.stop().await;
    let stats = memory.stats();
    assert_eq!((stats.errors, memory.first_error()), (0, None), "{stats:?}");
    assert!(stats.inserts > 10 && stats.deletes > 0, "{stats:?}");
    assert_eq!(
        stats.key_changes, 0,
        "a key shared with a merged table is not changed"
    );
    let q = |sql: &str| {
        common::mariadb(&source.name, &["-N", "-e", sql], None)
            .trim()
            .to_owned()
    };
    assert_eq!(
        q("SELECT COUNT(*) FROM customer c LEFT JOIN customer_profile p ON p.customer_id = c.id WHERE p.customer_id IS NULL"),
        "0",
        "every customer kept its profile"
    );
    assert_eq!(
        q("SELECT COUNT(*) FROM customer_profile p LEFT JOIN customer c ON c.id = p.customer_id WHERE c.id IS NULL"),
        "0",
        "no profile without its customer"
    );
    assert!(q("SELECT COUNT(*) FROM customer").parse::<u64>().unwrap() > 20);
    db.close().await;
}
