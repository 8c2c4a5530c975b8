//! A table split on real databases: Sakila's `film` and `actor` written as two target tables
//! each, sharing the key. The backfill fills both tables of each split from real MariaDB into
//! real PostgreSQL, validation pairs each with the source and finds them equal, and a value
//! changed in the second table is located at its key and column; the review flags a unique key
//! the split cuts in two; a rehearsal with live writes catches up and rolls back through the
//! split, and interrupted during its catch-up leaves nothing behind. Rows the application
//! inserts, updates and deletes on the tables of a split go back into the one source table
//! whole.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{cli_ok, psql, sample, ScratchMaria, ScratchPg};
use migration_studio::rehearsal::state::Stage;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Gives the Sakila sample at `root` a spec splitting `film` (its long texts, one renamed, to
/// `film_detail`) and `actor` (the names to `actor_name`); `extra` is appended.
fn with_split_spec(root: &Path, extra: &str) {
    common::use_spec(
        root,
        &format!(
            r#"version = 1

[tables."sakila.film".columns]
description = {{ target = "blurb", reason = "the catalogue's word", author = "ana" }}

[tables."sakila.film".split.film_detail]
columns = ["description", "special_features"]
reason = "long texts read by the catalogue page only"
author = "ana"

[tables."sakila.actor".split.actor_name]
columns = ["first_name", "last_name"]
reason = "names are personal data, kept apart"
author = "ana"
{extra}"#
        ),
    );
}

fn validate(root: &Path, source: &str, target: &str, strategy: &str) -> serde_json::Value {
    common::validate_json(
        root,
        (source, target),
        strategy,
        &["--tables", "film,actor,language"],
    )
}

#[test]
fn a_split_table_backfills_into_both_tables_validates_and_locates_a_wrong_value() {
    let source = ScratchMaria::new("split_src");
    common::load_sakila_mariadb(&source.name);
    let target = ScratchPg::new("split_tgt");
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    with_split_spec(&root, "");
    let path = root.to_str().unwrap();
    cli_ok(&["import", path]);
    common::backfill_ok(
        &root,
        (&source.url(), &target.url()),
        &["--tables", "film,actor,language"],
    );
    let q = |sql: &str| {
        psql(&target.name, &["-At", "-c", sql], None)
            .trim()
            .to_owned()
    };
    let columns = |table: &str| {
        q(&format!("SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '{table}'"))
    };
    assert_eq!(columns("film_detail"), "film_id,blurb,special_features");
    assert!(
        !columns("film").contains("description"),
        "{}",
        columns("film")
    );
    assert_eq!(columns("actor"), "actor_id,last_update");
    assert_eq!(columns("actor_name"), "actor_id,first_name,last_name");
    // Every source row is one row of each table of its split, every character arrived.
    let on_source = common::mariadb(
        &source.name,
        &["-N", "-e", "SELECT COUNT(*), SUM(CHAR_LENGTH(description)), (SELECT COUNT(*) FROM actor), (SELECT SUM(CHAR_LENGTH(last_name)) FROM actor) FROM film"],
        None,
    );
    let on_target = q("SELECT (SELECT count(*) FROM film) || E'\\t' || sum(char_length(blurb)) || E'\\t' || (SELECT count(*) FROM actor) || E'\\t' || (SELECT sum(char_length(last_name)) FROM actor_name) FROM film_detail");
    assert_eq!(on_source.trim(), on_target);
    assert_eq!(q("SELECT count(*) FROM film_detail"), "1000");
    // The main table generates the key; the other tables of the split take it from there.
    assert_eq!(
        q("SELECT string_agg(table_name || ':' || is_identity, ',' ORDER BY table_name) FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'film_id' AND table_name LIKE 'film%'"),
        "film:YES,film_detail:NO"
    );
    // Keys and foreign keys: each table of a split has the key; the main table keeps its
    // foreign keys; the index on the names went with them.
    assert_eq!(
        q("SELECT string_agg(conrelid::regclass::text || ':' || contype::text, ',' ORDER BY 1) FROM pg_constraint WHERE conrelid::regclass::text IN ('film_detail', 'actor_name') "),
        "actor_name:p,film_detail:p"
    );
    assert_eq!(
        q("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid = 'film'::regclass"),
        "2"
    );
    assert_eq!(
        q("SELECT string_agg(tablename, ',') FROM pg_indexes WHERE indexdef LIKE '%(last_name)%'"),
        "actor_name"
    );

    for strategy in ["merge", "checksum"] {
        let report = validate(&root, &source.url(), &target.url(), strategy);
        assert_eq!(report["verdict"], "equal", "{strategy}: {report:#}");
        let pairs: Vec<(&str, &str)> = report["tables"]
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
                )
            })
            .collect();
        assert_eq!(
            pairs,
            [
                ("actor", "public.actor"),
                ("actor", "public.actor_name"),
                ("film", "public.film"),
                ("film", "public.film_detail"),
                ("language", "public.language"),
            ],
            "{strategy}"
        );
    }

    // A value changed behind the copy's back, in the second table of the split: found there, at
    // its key and column, and nowhere else.
    q("UPDATE film_detail SET blurb = blurb || '!' WHERE film_id = 7");
    let report = validate(&root, &source.url(), &target.url(), "merge");
    assert_eq!(report["verdict"], "different", "{report:#}");
    let differing: Vec<(&str, serde_json::Value)> = report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["differences"]["changed"]["count"] != 0)
        .map(|t| {
            (
                t["target_table"].as_str().unwrap(),
                t["differences"]["changed"]["first"].clone(),
            )
        })
        .collect();
    assert_eq!(
        differing,
        [(
            "public.film_detail",
            serde_json::json!([{"key": "7", "columns": ["description"]}])
        )],
        "{report:#}"
    );

    // `mapping show` names the table each column lands in.
    let rows: serde_json::Value =
        serde_json::from_str(&cli_ok(&["mapping", "show", path, "--json"])).unwrap();
    let lands = |column: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["source_table"] == "sakila.film" && r["source_column"] == column)
            .map(|r| {
                format!(
                    "{}.{}",
                    r["target_table"].as_str().unwrap(),
                    r["target_column"].as_str().unwrap()
                )
            })
            .unwrap()
    };
    assert_eq!(lands("description"), "film_detail.blurb");
    assert_eq!(lands("title"), "film.title");
    assert_eq!(lands("film_id"), "film.film_id");
}

#[test]
fn a_unique_key_a_split_cuts_in_two_is_a_review_error() {
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    // rental's unique key (rental_date, inventory_id, customer_id) loses rental_date to the part.
    with_split_spec(
        &root,
        r#"
[tables."sakila.rental".split.rental_time]
columns = ["rental_date", "return_date"]
reason = "time series kept apart"
author = "ana"
"#,
    );
    let path = root.to_str().unwrap();
    cli_ok(&["import", path]);
    let out = Command::new(env!("CARGO_BIN_EXE_migration-studio"))
        .args(["mapping", "review", path, "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let review: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let m021: Vec<(&str, &str)> = review["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "M021")
        .map(|f| {
            (
                f["entry"].as_str().unwrap(),
                f["severity"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        m021,
        [(
            "sakila.rental.rental_date,inventory_id,customer_id",
            "error"
        )],
        "{review:#}"
    );
    // The moved columns are named where views read them.
    let consumers: Vec<&str> = review["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "M008")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        consumers
            .iter()
            .any(|m| m.contains("first_name moved to actor_name")),
        "{consumers:#?}"
    );
    // The DDL creates each table of the split with the key, and no index across them.
    let ddl = cli_ok(&["mapping", "ddl", path]);
    assert!(
        ddl.contains(".\"rental_time\" (\n  \"rental_id\" integer NOT NULL,\n  \"rental_date\""),
        "{ddl}"
    );
    assert!(!ddl.contains("rental_date\", \"inventory_id\""), "{ddl}");
}

#[test]
fn a_rehearsal_catches_up_validates_and_rolls_back_through_a_split() {
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    // actor is one of the tables the workload writes: inserts, updates and deletes reach both
    // tables of its split by the catch-up and come back into the one source table by the
    // rollback drill.
    with_split_spec(&root, "");
    let report = common::rehearses_clean(&root);
    // The application's updates on the target came back through the reverse route.
    assert!(
        report.workload_target.updates > 0,
        "{:?}",
        report.workload_target
    );
}

#[test]
fn a_rehearsal_through_a_split_interrupted_in_its_catch_up_leaves_nothing_behind() {
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    with_split_spec(&root, "");
    common::interrupted_leaves_nothing(&root, |s| s.stage == Stage::CatchUp);
}

#[tokio::test]
async fn writes_on_the_tables_of_a_split_go_back_into_the_one_source_table_whole() {
    use migration_studio::db::{self, Access};
    use migration_studio::rehearsal::capture::{self, Applier};

    let source = ScratchMaria::new("split_back_src");
    let target = ScratchPg::new("split_back_tgt");
    // Every column NOT NULL without a default: the source refuses a row that lacks one, so a
    // row can only go back whole.
    let ddl = "CREATE TABLE person (id INT PRIMARY KEY, nick VARCHAR(20) NOT NULL, \
               first_name VARCHAR(20) NOT NULL, last_name VARCHAR(20) NOT NULL);\n";
    common::mariadb(
        &source.name,
        &["-e", &format!("{ddl}INSERT INTO person VALUES (1, 'a', 'Ann', 'Lee'), (2, 'b', 'Bo', 'Kim'), (3, 'c', 'Cy', 'Ng');")],
        None,
    );
    let dir = tempfile::tempdir().unwrap();
    let root = common::ddl_project(dir.path(), "split", ("mysql", "postgres"), ddl, false);
    let spec_text = "version = 1\n\n[tables.person.split.person_name]\ncolumns = [\"first_name\", \"last_name\"]\nreason = \"names apart\"\nauthor = \"ana\"\n";
    common::use_spec(&root, spec_text);
    let out = common::between(
        "backfill",
        &root,
        &source.url(),
        &target.url(),
        &["--create-tables", "--mark-rehearsal-target"],
    );
    assert!(out.status.success(), "{}", stderr(&out));

    let routes = common::mysql_to_postgres_routes(&root, &source.url(), spec_text, true).await;
    assert_eq!(routes.len(), 1, "one route back for the split");
    let (to_source, from_target) = (
        db::connect(&source.url(), Access::ReadWrite, 2)
            .await
            .unwrap(),
        db::connect(&target.url(), Access::ReadWrite, 2)
            .await
            .unwrap(),
    );
    capture::install(&from_target, &routes).await.unwrap();
    // The application, after the cutover: a new person in both tables in one transaction, a
    // name changed in the second table only, a person deleted from both.
    psql(
        &target.name,
        &["-c", "BEGIN; INSERT INTO person VALUES (4, 'd'); INSERT INTO person_name VALUES (4, 'Di', 'Doe'); COMMIT; \
                 UPDATE person_name SET last_name = 'Lim' WHERE id = 1; \
                 BEGIN; DELETE FROM person_name WHERE id = 2; DELETE FROM person WHERE id = 2; COMMIT;"],
        None,
    );
    let mut applier = Applier {
        from: from_target.clone(),
        to: to_source.clone(),
        routes: routes.clone(),
        applied: 0,
        run_id: "back".into(),
        policy: Default::default(),
        refused: 0,
        converted: Default::default(),
        skipped: Default::default(),
    };
    let applied = applier.apply(1_000).await.unwrap();
    assert_eq!(applier.refused, 0, "{applied:?}");
    assert_eq!(
        common::mariadb(
            &source.name,
            &[
                "-N",
                "-B",
                "-e",
                "SELECT id, nick, first_name, last_name FROM person ORDER BY id"
            ],
            None,
        )
        .trim()
        .replace('\t', "|"),
        "1|a|Ann|Lim\n3|c|Cy|Ng\n4|d|Di|Doe"
    );
    capture::remove(&from_target, &routes).await.unwrap();
    assert_eq!(
        psql(
            &target.name,
            &[
                "-At",
                "-c",
                "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal"
            ],
            None
        )
        .trim(),
        "0",
        "the capture triggers of every table of the split are gone"
    );
}

#[test]
fn a_split_into_schemas_of_its_own_backfills_and_validates_clean() {
    let source = ScratchMaria::new("split_schema_src");
    let target = ScratchPg::new("split_schema_tgt");
    let ddl = "CREATE TABLE person (id INT PRIMARY KEY, nick VARCHAR(20) NOT NULL, \
               first_name VARCHAR(20), last_name VARCHAR(20));\n";
    common::mariadb(
        &source.name,
        &["-e", &format!("{ddl}INSERT INTO person VALUES (1, 'a', 'Ann', 'Lee'), (2, 'b', NULL, 'Kim'), (3, 'c', 'Chloé', NULL);")],
        None,
    );
    let dir = tempfile::tempdir().unwrap();
    let root = common::ddl_project(dir.path(), "split", ("mysql", "postgres"), ddl, false);
    // The main table moves into `crm`, the names into `private`.
    common::use_spec(&root, "version = 1\n\n[tables.person]\ntarget = \"crm.person\"\nreason = \"the CRM's schema\"\nauthor = \"ana\"\n\n\
         [tables.person.split.\"private.person_name\"]\ncolumns = [\"first_name\", \"last_name\"]\nreason = \"personal data apart\"\nauthor = \"ana\"\n");
    common::backfill_ok(&root, (&source.url(), &target.url()), &[]);
    let q = |sql: &str| {
        psql(&target.name, &["-At", "-c", sql], None)
            .trim()
            .to_owned()
    };
    assert_eq!(
        q("SELECT id || '|' || nick FROM crm.person ORDER BY id"),
        "1|a\n2|b\n3|c"
    );
    assert_eq!(
        q("SELECT id || '|' || coalesce(first_name, '-') || '|' || coalesce(last_name, '-') FROM private.person_name ORDER BY id"),
        "1|Ann|Lee\n2|-|Kim\n3|Chloé|-"
    );
    for strategy in ["merge", "checksum"] {
        let report = common::validate_json(&root, (&source.url(), &target.url()), strategy, &[]);
        assert_eq!(report["verdict"], "equal", "{strategy}: {report:#}");
        let targets: Vec<&str> = report["tables"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["target_table"].as_str().unwrap())
            .collect();
        assert_eq!(targets, ["crm.person", "private.person_name"], "{strategy}");
    }
}
