//! The mapping spec end to end: `mapping init` on the sample projects writes a spec that loads
//! back and keeps today's DDL byte for byte (golden files), a planted narrowing is found by the
//! static review, bad specs are refused with file, line, field and code (exit 2) and change
//! nothing, and a rename plus a cast backfilled from real MariaDB land in real PostgreSQL under
//! the new names.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{edit_rule, psql, sample, ScratchMaria, ScratchPg};
use migration_studio::mapping::ddl::target_ddl;
use migration_studio::mapping::review::{Severity, M001_LENGTH};
use migration_studio::project::Project;
use migration_studio::workspace::mapping::{self as use_case, init, review};

const SAMPLES: [&str; 3] = [
    "sakila-mysql-to-postgres",
    "chinook-sqlite-to-postgres",
    "pagila-postgres-upgrade",
];

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_migration-studio"))
        .args(args)
        .output()
        .expect("the CLI runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

async fn initialised(name: &str) -> (tempfile::TempDir, std::path::PathBuf, Project) {
    let (dir, root) = sample(name);
    let project = Project::open(&root).unwrap();
    init::init(&project, false).await.expect("mapping init");
    // Reopened: init pointed the manifest at the spec.
    let project = Project::open(&root).unwrap();
    (dir, root, project)
}

#[tokio::test]
async fn init_writes_a_spec_that_loads_back_and_keeps_the_default_ddl_byte_for_byte() {
    for name in SAMPLES {
        let (_dir, root, project) = initialised(name).await;
        assert_eq!(
            project.manifest().mapping.as_deref(),
            Some(Path::new("mapping.toml"))
        );
        let (inventory, spec) = use_case::load(&project).await.expect("the spec loads back");
        let spec = spec.expect("the manifest names it");
        let m = project.manifest();
        let default = target_ddl(&inventory, m.source.engine, m.target.engine, None);
        let through_spec = target_ddl(&inventory, m.source.engine, m.target.engine, Some(&spec));
        assert_eq!(default, through_spec, "{name}: DDL through the init spec");
        insta::assert_snapshot!(format!("ddl_{name}"), through_spec);
        // Same spec, same bytes.
        assert_eq!(
            through_spec,
            target_ddl(&inventory, m.source.engine, m.target.engine, Some(&spec))
        );
        let out = cli(&["mapping", "diff", root.to_str().unwrap()]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(String::from_utf8_lossy(&out.stdout).starts_with("No DDL change"));
    }
}

#[tokio::test]
async fn init_comments_every_default_with_its_reason_and_source_and_refuses_to_overwrite() {
    let (_dir, root, _project) = initialised("sakila-mysql-to-postgres").await;
    let path = root.join("mapping.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(
        "# SMALLINT UNSIGNED → integer: SMALLINT UNSIGNED reaches 65535, above smallint's 32767"
    ));
    assert!(text.contains("pgloader default MySQL casting rules"));
    for edge in [
        "AUTO_INCREMENT",
        "Generated columns",
        "Zero and partial dates",
        "TIME beyond 24 h",
        "DECIMAL(65,30)",
    ] {
        assert!(text.contains(edge), "pair note on {edge}");
    }
    // Every rule line is preceded by its comment.
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if line.contains("reason = \"default mapping\"") {
            assert!(lines[i - 1].starts_with("# "), "no comment above {line}");
        }
    }
    let again = cli(&["mapping", "init", root.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(stderr(&again).contains("--force"));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        text,
        "nothing written"
    );
    let forced = cli(&["mapping", "init", root.to_str().unwrap(), "--force"]);
    assert!(forced.status.success(), "{}", stderr(&forced));
}

#[tokio::test]
async fn a_planted_narrowing_of_film_title_is_found_statically_and_accepted_with_a_reason() {
    let (_dir, root, project) = initialised("sakila-mysql-to-postgres").await;
    let path = root.join("mapping.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        edit_rule(
            &text,
            "sakila.film",
            "title",
            r#"title = { type = "varchar(10)", reason = "short titles", author = "ana" }"#,
        ),
    )
    .unwrap();
    let r = review::review(&project).await.unwrap();
    let found: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.entry == "sakila.film.title")
        .collect();
    assert_eq!(found.len(), 1, "{:#?}", r.findings);
    assert_eq!(found[0].code, M001_LENGTH);
    assert_eq!(found[0].severity, Severity::Error);
    assert!(found[0].message.contains("255"), "{}", found[0].message);
    assert!(found[0].line.is_some());
    assert_eq!(r.blocking, 1);
    // Its blast radius: what reads or writes film sees the shortened titles.
    for consumer in ["view sakila.film_list", "trigger sakila.upd_film"] {
        assert!(
            found[0].consumers.iter().any(|c| c == consumer),
            "{consumer} in {:?}",
            found[0].consumers
        );
    }

    let r_arg = root.to_str().unwrap();
    let out = cli(&["mapping", "review", r_arg, "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["blocking"], 1);

    let out = cli(&[
        "mapping",
        "accept",
        r_arg,
        "M001",
        "sakila.film.title",
        "--reason",
        "no title is longer than 10 characters",
        "--author",
        "ben",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = cli(&["mapping", "review", r_arg]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("accepted by ben"));
}

/// Each bad spec: the edit, the line it is on, and what the message must name.
#[tokio::test]
async fn bad_specs_are_refused_with_file_line_field_and_code_and_change_nothing() {
    let (_dir, root, _project) = initialised("sakila-mysql-to-postgres").await;
    let path = root.join("mapping.toml");
    let good = std::fs::read_to_string(&path).unwrap();
    let title_line = {
        let start = good.find("[tables.\"sakila.film\".columns]").unwrap();
        let at = start + good[start..].find("\ntitle = ").unwrap() + 1;
        good[..at].matches('\n').count() + 1
    };
    let cases = [
        (
            r#"titel = { type = "varchar(255)", reason = "r", author = "a" }"#,
            "[mapping-unknown-column]",
            "columns.titel",
        ),
        (
            r#"title = { type = "varchr(255)", reason = "r", author = "a" }"#,
            "[mapping-unknown-type]",
            "columns.title.type",
        ),
        (
            r#"title = { type = "varchar(255)); DROP TABLE x; --", reason = "r", author = "a" }"#,
            "[mapping-unknown-type]",
            "columns.title.type",
        ),
        (
            r#"title = { type = "varchar(255)", author = "a" }"#,
            "[mapping-missing-field]",
            "columns.title.reason",
        ),
        (
            r#"title = { typ = "varchar(255)", reason = "r", author = "a" }"#,
            "[mapping-syntax]",
            "unknown field `typ`",
        ),
        (
            r#"title = { derive = "upper(titel)", reason = "r", author = "a" }"#,
            "[mapping-expression]",
            "columns.title.derive: at character 7: no column `titel`",
        ),
        (
            r#"title = { derive = "title'); DROP TABLE film; --", reason = "r", author = "a" }"#,
            "[mapping-expression]",
            "columns.title.derive: at character 6: unterminated quote",
        ),
        (
            r#"title = { derive = "title + 1", reason = "r", author = "a" }"#,
            "[mapping-expression]",
            "arithmetic needs numbers",
        ),
        (
            r#"title = { split = ["a", "b"], reason = "r", author = "a" }"#,
            "[mapping-missing-field]",
            "columns.title.separator",
        ),
        (
            r#"title = { type = "varchar(255)", reason = "r", author = "a""#,
            "[mapping-syntax]",
            "",
        ),
    ];
    let manifest = std::fs::read_to_string(root.join("migration-studio.toml")).unwrap();
    for (rule, code, field) in cases {
        let bad = edit_rule(&good, "sakila.film", "title", rule);
        std::fs::write(&path, &bad).unwrap();
        for command in ["review", "show", "ddl"] {
            let out = cli(&["mapping", command, root.to_str().unwrap()]);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{rule}: {err}");
            assert!(
                err.contains(&format!("mapping.toml:{title_line}:")),
                "{rule}: line {title_line} in {err}"
            );
            assert!(err.contains(code), "{rule}: {code} in {err}");
            assert!(err.contains(field), "{rule}: {field} in {err}");
        }
        let out = cli(&[
            "mapping",
            "accept",
            root.to_str().unwrap(),
            "M007",
            "sakila.film.rating",
            "--reason",
            "r",
            "--author",
            "a",
        ]);
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            bad,
            "spec unchanged"
        );
    }
    assert_eq!(
        std::fs::read_to_string(root.join("migration-studio.toml")).unwrap(),
        manifest
    );
    // A key column cannot be dropped; an unknown table is named with its line.
    std::fs::write(
        &path,
        edit_rule(
            &good,
            "sakila.film",
            "film_id",
            r#"film_id = { drop = true, reason = "r", author = "a" }"#,
        ),
    )
    .unwrap();
    let out = cli(&["mapping", "review", root.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("[mapping-conflict]"),
        "{}",
        stderr(&out)
    );
    std::fs::write(
        &path,
        good.replace(
            "[tables.\"sakila.film\"]",
            "[tables.\"sakila.flim\"]\ntarget = \"x\"",
        ),
    )
    .unwrap();
    let out = cli(&["mapping", "review", root.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("[mapping-unknown-table] tables.\"sakila.flim\""),
        "{}",
        stderr(&out)
    );
    // An accept with an empty reason is refused before the file is touched.
    std::fs::write(&path, &good).unwrap();
    let out = cli(&[
        "mapping",
        "accept",
        root.to_str().unwrap(),
        "M007",
        "sakila.film.rating",
        "--reason",
        " ",
        "--author",
        "a",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), good);
}

#[tokio::test]
async fn a_rename_and_a_cast_backfilled_through_the_spec_land_under_the_new_names() {
    let source = ScratchMaria::new("map_src");
    common::load_sakila_mariadb(&source.name);
    let target = ScratchPg::new("map_tgt");
    let (_dir, root, _project) = initialised("sakila-mysql-to-postgres").await;
    let path = root.join("mapping.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text.replace(
        "[tables.\"sakila.film\"]\nreason = \"default: same name, every column by its default type\"\nauthor = \"mapping init\"",
        "[tables.\"sakila.film\"]\ntarget = \"movie\"\nreason = \"the catalogue calls them movies\"\nauthor = \"ana\"",
    );
    let text = edit_rule(
        &text,
        "sakila.film",
        "title",
        r#"title = { target = "name", type = "text", reason = "the new schema's word", author = "ana" }"#,
    );
    let text = edit_rule(
        &text,
        "sakila.film",
        "original_language_id",
        r#"original_language_id = { type = "smallint", null_default = 1, not_null = true, reason = "English unless stated", author = "ana" }"#,
    );
    let text = edit_rule(
        &text,
        "sakila.film",
        "rental_duration",
        r#"rental_duration = { type = "integer", reason = "arithmetic in integer", author = "ana" }"#,
    );
    std::fs::write(&path, text).unwrap();
    let out = common::between(
        "backfill",
        &root,
        &source.url(),
        &target.url(),
        &[
            "--create-tables",
            "--post-copy",
            "--mark-rehearsal-target",
            "--tables",
            "film,language",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let q = |sql: &str| {
        psql(&target.name, &["-At", "-c", sql], None)
            .trim()
            .to_owned()
    };
    let schema = q("SELECT table_schema FROM information_schema.tables WHERE table_name = 'movie'");
    assert!(!schema.is_empty(), "table movie created");
    assert_eq!(
        q("SELECT count(*) FROM information_schema.tables WHERE table_name = 'film'"),
        "0"
    );
    assert_eq!(
        q(&format!("SELECT count(*) FROM \"{schema}\".movie")),
        "1000"
    );
    assert_eq!(
        q(&format!("SELECT data_type FROM information_schema.columns WHERE table_schema = '{schema}' AND table_name = 'movie' AND column_name IN ('name', 'rental_duration') ORDER BY column_name")),
        "text\ninteger"
    );
    let source_titles = common::mariadb(
        &source.name,
        &[
            "-e",
            "SELECT COUNT(*), SUM(CHAR_LENGTH(title)), SUM(rental_duration) FROM film",
        ],
        None,
    );
    let target_titles = q(&format!(
        "SELECT count(*) || E'\\t' || sum(char_length(name)) || E'\\t' || sum(rental_duration) FROM \"{schema}\".movie"
    ));
    assert_eq!(source_titles.trim(), target_titles);
    // NULLs became the spec's default (rule C003), and the column is NOT NULL.
    assert_eq!(
        q(&format!("SELECT count(*) FILTER (WHERE original_language_id = 1) || ' ' || (SELECT is_nullable FROM information_schema.columns WHERE table_schema = '{schema}' AND table_name = 'movie' AND column_name = 'original_language_id') FROM \"{schema}\".movie")),
        "1000 NO"
    );
    // The foreign key to language follows the rename.
    assert_eq!(
        q("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text LIKE '%movie'"),
        "2"
    );
    // MySQL's ON UPDATE CURRENT_TIMESTAMP is a trigger on PostgreSQL: an update that leaves
    // last_update alone stamps it, one that sets it keeps what it set.
    let movie = format!("\"{schema}\".movie");
    assert_eq!(
        q(&format!("UPDATE {movie} SET name = 'X' WHERE film_id = 1 RETURNING last_update = date_trunc('second', now() + interval '0.5 second')")),
        "t"
    );
    assert_eq!(
        q(&format!("UPDATE {movie} SET name = 'Y', last_update = '2001-01-01' WHERE film_id = 2 RETURNING last_update::date::text")),
        "2001-01-01"
    );
}

#[tokio::test]
async fn the_data_pass_counts_exactly_the_rows_a_narrowing_hits_with_their_first_keys() {
    let source = ScratchMaria::new("map_data_src");
    common::load_sakila_mariadb(&source.name);
    let (_dir, root, project) = initialised("sakila-mysql-to-postgres").await;
    let path = root.join("mapping.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let text = edit_rule(
        &text,
        "sakila.film",
        "title",
        r#"title = { type = "varchar(10)", reason = "short titles", author = "ana" }"#,
    );
    let text = edit_rule(
        &text,
        "sakila.film",
        "original_language_id",
        r#"original_language_id = { type = "smallint", not_null = true, reason = "planted", author = "ana" }"#,
    );
    std::fs::write(&path, text).unwrap();
    let sql = |q: &str| {
        common::mariadb(&source.name, &["-e", q], None)
            .trim()
            .to_owned()
    };

    let r = review::review_with_data(&project, &source.url(), None)
        .await
        .expect("data pass");
    let title = r
        .findings
        .iter()
        .find(|f| f.entry == "sakila.film.title")
        .expect("M001 on title");
    let data = title.data.as_ref().expect("counted");
    let expected = sql("SELECT COUNT(*) FROM film WHERE CHAR_LENGTH(title) > 10");
    assert_eq!(data.rows.to_string(), expected);
    assert!(data.rows > 0);
    let keys =
        sql("SELECT film_id FROM film WHERE CHAR_LENGTH(title) > 10 ORDER BY film_id LIMIT 5");
    let expected_keys: Vec<String> = keys.lines().map(|k| format!("film_id {k}")).collect();
    assert_eq!(data.examples, expected_keys);

    let nulls = r
        .findings
        .iter()
        .find(|f| f.entry == "sakila.film.original_language_id" && f.code == "M005")
        .expect("M005 on original_language_id");
    assert_eq!(
        nulls.data.as_ref().unwrap().rows.to_string(),
        sql("SELECT COUNT(*) FROM film WHERE original_language_id IS NULL")
    );
    // PostgreSQL has no ON UPDATE column option: a trigger made after the copy does it, so the
    // review has nothing to say about it.
    assert!(
        !r.findings.iter().any(|f| f.code == "M011"),
        "{:?}",
        r.findings
            .iter()
            .filter(|f| f.code == "M011")
            .collect::<Vec<_>>()
    );

    // A sample bounds the rows read and says so.
    let out = Command::new(env!("CARGO_BIN_EXE_migration-studio"))
        .args([
            "mapping",
            "review",
            root.to_str().unwrap(),
            "--json",
            "--sample",
            "100",
        ])
        .env("MIGRATION_STUDIO_SOURCE_URL", source.url())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["data_scope"],
        "the first 100 rows of each table by key"
    );
    let sampled = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["entry"] == "sakila.film.title")
        .unwrap();
    assert_eq!(
        sampled["data"]["rows"].to_string(),
        sql("SELECT COUNT(*) FROM (SELECT title FROM film ORDER BY film_id LIMIT 100) s WHERE CHAR_LENGTH(title) > 10")
    );
}

#[tokio::test]
async fn renaming_a_table_views_and_triggers_read_is_a_finding_naming_them() {
    let (_dir, root, project) = initialised("sakila-mysql-to-postgres").await;
    let path = root.join("mapping.toml");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "[tables.\"sakila.film\"]\nreason = \"default: same name, every column by its default type\"\nauthor = \"mapping init\"",
        "[tables.\"sakila.film\"]\ntarget = \"movie\"\nreason = \"movies\"\nauthor = \"ana\"",
    );
    std::fs::write(&path, text).unwrap();
    let r = review::review(&project).await.unwrap();
    let found = r
        .findings
        .iter()
        .find(|f| f.code == "M008" && f.entry == "sakila.film")
        .expect("M008 on sakila.film");
    assert_eq!(found.severity, Severity::Warning);
    for consumer in ["view sakila.film_list", "trigger sakila.ins_film"] {
        assert!(
            found.message.contains(consumer),
            "{consumer} in {}",
            found.message
        );
    }
    assert_eq!(r.blocking, 0, "a warning does not fail the review");

    // `mapping show`: one row per source column, the renamed table's target name on each.
    let out = cli(&["mapping", "show", root.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let columns: usize = project_inventory_columns(&project).await;
    assert_eq!(rows.len(), columns);
    let title = rows
        .iter()
        .find(|r| r["source_table"] == "sakila.film" && r["source_column"] == "title")
        .unwrap();
    assert_eq!(title["target_table"], "movie");
    assert_eq!(title["target_type"], "varchar(255) NOT NULL");
    assert_eq!(title["rule"], "default");
}

async fn project_inventory_columns(project: &Project) -> usize {
    let inventory = project.inventory().await.unwrap();
    inventory.tables.iter().map(|t| t.columns.len()).sum()
}

/// Binary floats in a MySQL schema moved to PostgreSQL: each float column is a warning (M016,
/// its key use said), and a spec narrowing a DOUBLE to `real` is an error (M015).
#[tokio::test]
async fn binary_floats_across_engines_are_warned_and_a_double_narrowed_to_real_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("p");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(
        root.join("schema.sql"),
        "CREATE TABLE readings (sensor FLOAT NOT NULL, at DATETIME NOT NULL, value DOUBLE, price DECIMAL(10,2), PRIMARY KEY (sensor, at));",
    )
    .unwrap();
    std::fs::write(
        root.join("migration-studio.toml"),
        "name = \"floats\"\nrto_minutes = 30\nmaintenance_window_minutes = 60\n\n[source]\nengine = \"mysql\"\n\n[target]\nengine = \"postgres\"\n\n[[inputs]]\npath = \"schema.sql\"\n",
    )
    .unwrap();
    let out = cli(&["import", root.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let project = Project::open(&root).unwrap();
    init::init(&project, false).await.expect("mapping init");
    let project = Project::open(&root).unwrap();
    let r = review::review(&project).await.unwrap();
    let codes: Vec<(&str, &str)> = r
        .findings
        .iter()
        .map(|f| (f.code, f.entry.as_str()))
        .collect();
    assert!(codes.contains(&("M016", "readings.sensor")), "{codes:?}");
    assert!(codes.contains(&("M016", "readings.value")), "{codes:?}");
    assert!(
        !codes.iter().any(|(_, e)| *e == "readings.price"),
        "{codes:?}"
    );
    let sensor = r
        .findings
        .iter()
        .find(|f| f.entry == "readings.sensor")
        .unwrap();
    assert_eq!(sensor.severity, Severity::Warning);
    assert!(sensor.message.contains("key"), "{}", sensor.message);
    assert_eq!(r.blocking, 0, "warnings do not block: {codes:?}");

    let path = root.join("mapping.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        edit_rule(
            &text.replace("[tables.readings.columns]", "[tables.\"readings\".columns]"),
            "readings",
            "value",
            r#"value = { type = "real", reason = "saves space", author = "ana" }"#,
        ),
    )
    .unwrap();
    let r = review::review(&project).await.unwrap();
    let value = r
        .findings
        .iter()
        .find(|f| f.entry == "readings.value" && f.code == "M015")
        .unwrap_or_else(|| panic!("M015 on value: {:#?}", r.findings));
    assert_eq!(value.severity, Severity::Error);
    assert_eq!(r.blocking, 1);
}

/// A copy request made for a project goes through its spec once the manifest names one (the
/// CLI's backfill and the desktop's trial copy both make theirs so), and through the default
/// mapping before.
#[tokio::test]
async fn a_copy_request_for_a_project_goes_through_its_spec_once_it_has_one() {
    use migration_studio::workspace::backfill::BackfillRequest;
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    let request = || BackfillRequest::new("mysql://source", "postgres://target");
    let before = request().with_project_spec(&Project::open(&root).unwrap());
    assert_eq!(before.mapping, None);
    let (_dir, root, project) = initialised("sakila-mysql-to-postgres").await;
    let after = request().with_project_spec(&project);
    assert_eq!(after.mapping, Some(root.join("mapping.toml")));
}

/// A spec may move tables into schemas of their own on a PostgreSQL target (`target =
/// "catalog.movie"`): the backfill creates the schemas, the tables land there with their rows
/// and the foreign key between them, and validation through the spec pairs them (both
/// strategies say equal); a MySQL target refuses a schema with the file, line and why.
#[tokio::test]
async fn a_spec_moves_tables_into_schemas_of_their_own_and_validates_clean() {
    let source = ScratchMaria::new("map_schema_src");
    common::load_sakila_mariadb(&source.name);
    let target = ScratchPg::new("map_schema_tgt");
    let (_dir, root, _project) = initialised("sakila-mysql-to-postgres").await;
    let path = root.join("mapping.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let default = "reason = \"default: same name, every column by its default type\"\nauthor = \"mapping init\"";
    let text = text
        .replace(
            &format!("[tables.\"sakila.film\"]\n{default}"),
            "[tables.\"sakila.film\"]\ntarget = \"catalog.movie\"\nreason = \"the catalogue team owns its schema\"\nauthor = \"ana\"",
        )
        .replace(
            &format!("[tables.\"sakila.language\"]\n{default}"),
            "[tables.\"sakila.language\"]\ntarget = \"reference.language\"\nreason = \"shared reference data\"\nauthor = \"ana\"",
        );
    std::fs::write(&path, &text).unwrap();
    let out = common::between(
        "backfill",
        &root,
        &source.url(),
        &target.url(),
        &[
            "--create-tables",
            "--post-copy",
            "--mark-rehearsal-target",
            "--tables",
            "film,language",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let q = |sql: &str| {
        psql(&target.name, &["-At", "-c", sql], None)
            .trim()
            .to_owned()
    };
    assert_eq!(q("SELECT count(*) FROM catalog.movie"), "1000");
    assert_eq!(q("SELECT count(*) FROM reference.language"), "6");
    assert_eq!(
        q("SELECT count(*) FROM information_schema.tables WHERE table_name IN ('film', 'movie', 'language') AND table_schema NOT IN ('catalog', 'reference')"),
        "0"
    );
    assert_eq!(
        q("SELECT string_agg(DISTINCT confrelid::regclass::text, ',') FROM pg_constraint WHERE contype = 'f' AND conrelid = 'catalog.movie'::regclass"),
        "reference.language"
    );
    for strategy in ["merge", "checksum"] {
        let out = common::between(
            "validate",
            &root,
            &source.url(),
            &target.url(),
            &[
                "--json",
                "--strategy",
                strategy,
                "--tables",
                "film,language",
            ],
        );
        let report: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
        assert_eq!(report["verdict"], "equal", "{strategy}: {report:#}");
        let targets: Vec<&str> = report["tables"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["target_table"].as_str().unwrap())
            .collect();
        assert_eq!(
            targets,
            ["catalog.movie", "reference.language"],
            "{strategy}"
        );
    }

    // A MySQL target keeps one database: a schema in a target name is refused, naming the line.
    let manifest = root.join("migration-studio.toml");
    let m = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        m.replace(
            "[target]\nengine = \"postgres\"",
            "[target]\nengine = \"mysql\"",
        ),
    )
    .unwrap();
    let out = cli(&["mapping", "show", root.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    let line = text
        .lines()
        .position(|l| l == "target = \"catalog.movie\"")
        .unwrap()
        + 1;
    assert!(err.contains(&format!("mapping.toml:{line}")), "{err}");
    assert!(
        err.contains("a target schema needs a PostgreSQL target"),
        "{err}"
    );
}
