//! Live import against real databases on this machine, checked against the DDL import of the
//! same schema: both must find the same tables and keys.
//!
//! Needs PostgreSQL at 127.0.0.1:5432 (user `postgres`, trust auth), MariaDB at 127.0.0.1:3306
//! (`root`, no password) and the `psql` and `mariadb` clients. The schemas are the sample
//! projects' and `tests/datasets/`'s. Each test works in a database of its own, dropped at the
//! end.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::process::{Command, Stdio};

use migration_studio::import::ddl::DdlImporter;
use migration_studio::import::live::{import_live, redact_url};
use migration_studio::import::Engine;
use migration_studio::inventory::{Inventory, QualifiedName};

mod common;

/// A file of Chinook's SQLite form, as its sample project carries it.
fn chinook_sqlite(file: &str) -> String {
    common::sample_file(&format!("chinook-sqlite-to-postgres/data/{file}"))
        .to_string_lossy()
        .into_owned()
}

fn chinook_postgres() -> String {
    common::dataset("chinook/ChinookDatabase/DataSources/Chinook_PostgreSql.sql")
        .to_string_lossy()
        .into_owned()
}

fn sakila_schema() -> String {
    common::sample_file("sakila-mysql-to-postgres/data/sakila-mv-schema.sql")
        .to_string_lossy()
        .into_owned()
}

type Name = (Option<String>, String);
type Fk = (Name, Vec<String>, Name, Vec<String>, String, String);

/// What both imports must agree on.
#[derive(Debug, PartialEq)]
struct Keys {
    tables: BTreeSet<Name>,
    primary_keys: BTreeMap<Name, Vec<String>>,
    unique_keys: BTreeMap<Name, Vec<Vec<String>>>,
    foreign_keys: BTreeSet<Fk>,
    /// Columns whose values the database generates (AUTO_INCREMENT, identity, serial, rowid).
    identities: BTreeSet<(Name, String)>,
}

/// `keep_schema = false` compares names without their schema, for a schema loaded under
/// another database name than its script uses.
fn keys(inventory: &Inventory, keep_schema: bool) -> Keys {
    let name = |n: &QualifiedName| (n.schema.clone().filter(|_| keep_schema), n.name.clone());
    Keys {
        tables: inventory.tables.iter().map(|t| name(&t.name)).collect(),
        primary_keys: inventory
            .tables
            .iter()
            .map(|t| (name(&t.name), t.primary_key.clone()))
            .collect(),
        unique_keys: inventory
            .tables
            .iter()
            .map(|t| (name(&t.name), t.unique_keys.clone()))
            .collect(),
        foreign_keys: inventory
            .tables
            .iter()
            .flat_map(|t| {
                t.foreign_keys.iter().map(move |fk| {
                    (
                        name(&t.name),
                        fk.columns.clone(),
                        name(&fk.references),
                        fk.referenced_columns.clone(),
                        fk.on_delete.to_string(),
                        fk.on_update.to_string(),
                    )
                })
            })
            .collect(),
        identities: inventory
            .tables
            .iter()
            .flat_map(|t| {
                t.columns
                    .iter()
                    .filter(|c| c.is_identity())
                    .map(move |c| (name(&t.name), c.name.clone()))
            })
            .collect(),
    }
}

fn ddl_import(engine: Engine, path: &str) -> Inventory {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut importer = DdlImporter::new(engine);
    importer.add_script(path, &text).expect("DDL import");
    importer.finish()
}

/// Runs a client program, feeding `stdin`, and fails the test with its stderr if it fails.
fn run(program: &str, args: &[&str], stdin: &str) {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write to client");
    let output = child.wait_with_output().expect("client output");
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn psql(database: &str, sql: &str) {
    run(
        "psql",
        &[
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            database,
            "-v",
            "ON_ERROR_STOP=1",
            "-q",
        ],
        sql,
    );
}

fn mariadb(database: Option<&str>, sql: &str) {
    let mut args = vec!["-h127.0.0.1", "-uroot"];
    args.extend(database);
    run("mariadb", &args, sql);
}

/// Drops a scratch database when the test ends, passed or not.
struct Scratch {
    engine: Engine,
    name: String,
}

impl Scratch {
    fn create(engine: Engine, name: String) -> Self {
        let scratch = Self { engine, name };
        scratch.drop_database();
        match engine {
            Engine::Postgres => psql("postgres", &format!("CREATE DATABASE {};", scratch.name)),
            _ => mariadb(None, &format!("CREATE DATABASE {};", scratch.name)),
        }
        scratch
    }

    fn drop_database(&self) {
        let mut command = match self.engine {
            Engine::Postgres => {
                let mut c = Command::new("psql");
                c.args([
                    "-h",
                    "127.0.0.1",
                    "-U",
                    "postgres",
                    "-d",
                    "postgres",
                    "-q",
                    "-c",
                ])
                .arg(format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE);",
                    self.name
                ));
                c
            }
            _ => {
                let mut c = Command::new("mariadb");
                c.args(["-h127.0.0.1", "-uroot", "-e"])
                    .arg(format!("DROP DATABASE IF EXISTS {};", self.name));
                c
            }
        };
        // Best effort: a Drop must not panic while a failed test is already unwinding.
        let _ = command.stdout(Stdio::null()).stderr(Stdio::null()).status();
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        self.drop_database();
    }
}

#[tokio::test]
async fn chinook_sqlite_live_matches_ddl() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("chinook.sqlite");
    std::fs::copy(chinook_sqlite("Chinook_Sqlite.sqlite"), &db).expect("copy database");
    let url = format!("sqlite://{}", db.display());

    let live = import_live(Engine::Sqlite, &url, &[])
        .await
        .expect("live import");
    let ddl = ddl_import(Engine::Sqlite, &chinook_sqlite("Chinook_Sqlite.sql"));

    assert_eq!(live.tables.len(), 11);
    assert_eq!(keys(&live, true), keys(&ddl, true));
    let track = live
        .table(&QualifiedName::new(None, "Track"))
        .expect("Track");
    assert_eq!(track.rows, Some(3503));
    assert!(live.findings.is_empty(), "{:?}", live.findings);
}

#[tokio::test]
async fn chinook_postgres_live_matches_ddl() {
    let name = format!("ms_test_chinook_{}", std::process::id());
    let scratch = Scratch::create(Engine::Postgres, name);
    let script = std::fs::read_to_string(chinook_postgres()).expect("script");
    // The script creates and connects to its own `chinook` database; it must fill the scratch one.
    let body: String = script
        .lines()
        .filter(|l| {
            let l = l.trim_start().to_ascii_uppercase();
            !(l.starts_with("DROP DATABASE")
                || l.starts_with("CREATE DATABASE")
                || l.starts_with("\\C"))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    psql(&scratch.name, &body);

    let url = format!("postgres://postgres@127.0.0.1:5432/{}", scratch.name);
    let live = import_live(Engine::Postgres, &url, &[])
        .await
        .expect("live import");
    let ddl = ddl_import(Engine::Postgres, &chinook_postgres());

    assert_eq!(live.schemas, vec!["public".to_owned()]);
    assert_eq!(live.tables.len(), 11);
    assert_eq!(keys(&live, true), keys(&ddl, true));
    let album = live
        .table(&QualifiedName::new(Some("public"), "album"))
        .expect("album");
    assert!(album
        .indexes
        .iter()
        .any(|i| i.name == "album_artist_id_idx" && !i.unique));
    assert!(album.bytes.is_some_and(|b| b > 0));
}

#[tokio::test]
async fn sakila_mariadb_live_matches_ddl() {
    let name = format!("ms_test_sakila_{}", std::process::id());
    let scratch = Scratch::create(Engine::Mysql, name);
    let script = std::fs::read_to_string(sakila_schema()).expect("script");
    // The script makes and uses its own `sakila` database, and the actor_info view names it;
    // everything must land in the scratch database instead.
    let body = script
        .replace("DROP SCHEMA IF EXISTS sakila;", "")
        .replace("CREATE SCHEMA sakila;", "")
        .replace("USE sakila;", "")
        .replace("sakila.", "");
    mariadb(Some(&scratch.name), &body);

    let url = format!("mysql://root@127.0.0.1:3306/{}", scratch.name);
    let live = import_live(Engine::Mysql, &url, std::slice::from_ref(&scratch.name))
        .await
        .expect("live import");
    let ddl = ddl_import(Engine::Mysql, &sakila_schema());

    assert_eq!(live.schemas, vec![scratch.name.clone()]);
    assert_eq!(live.tables.len(), 16);
    assert_eq!(live.foreign_key_count(), 22);
    assert_eq!(keys(&live, false), keys(&ddl, false));
    assert_eq!(
        keys(&live, false).identities.len(),
        13,
        "AUTO_INCREMENT keys"
    );
    // Defaults are read as the server writes them, each one's meaning as the DDL's.
    let film = live.tables.iter().find(|t| t.name.name == "film").unwrap();
    let default = |c: &str| film.column(c).and_then(|c| c.default.clone());
    use migration_studio::inventory::ColumnDefault::Expression;
    assert_eq!(default("rental_duration"), Some(Expression("3".into())));
    assert_eq!(default("rating"), Some(Expression("'G'".into())));
    assert!(
        matches!(default("last_update"), Some(Expression(e)) if e.to_lowercase().starts_with("current_timestamp")),
        "{:?}",
        default("last_update")
    );
    assert_eq!(default("description"), None);
    let on_update = film.column("last_update").and_then(|c| c.on_update.clone());
    assert!(
        on_update.is_some_and(|e| e.to_lowercase().starts_with("current_timestamp")),
        "ON UPDATE read from EXTRA"
    );
    let from_url = import_live(Engine::Mysql, &url, &[])
        .await
        .expect("import of the URL's database");
    assert_eq!(keys(&from_url, true), keys(&live, true));
    let fks = keys(&live, false).foreign_keys;
    let links = |from: &str, to: &str| fks.iter().any(|fk| fk.0 .1 == from && fk.2 .1 == to);
    assert!(
        links("store", "staff") && links("staff", "store"),
        "store<->staff FK pair"
    );

    // Views and triggers come from parsing their stored definitions.
    assert!(
        !live.findings.iter().any(|f| f.code == "unread-definition"),
        "{:?}",
        live.findings
    );
    assert_eq!(live.views.len(), ddl.views.len());
    let film_list = live
        .views
        .iter()
        .find(|v| v.name.name == "film_list")
        .expect("film_list");
    let reads: BTreeSet<&str> = film_list.reads.iter().map(|r| r.name.as_str()).collect();
    assert!(
        reads.contains("film") && reads.contains("actor"),
        "{reads:?}"
    );
    let ins_film = live
        .triggers
        .iter()
        .find(|t| t.name.name == "ins_film")
        .expect("ins_film");
    assert_eq!(ins_film.table.name, "film");
    assert!(
        ins_film.writes.iter().any(|w| w.name == "film_text"),
        "{:?}",
        ins_film.writes
    );
}

#[tokio::test]
async fn errors_name_the_redacted_connection() {
    let url = "postgres://postgres:hunter2@127.0.0.1:5432/ms_test_no_such_database";
    let error = import_live(Engine::Postgres, url, &[])
        .await
        .expect_err("no such database");
    let message = error.to_string();
    assert!(message.contains(&redact_url(url)), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
}

/// Partitions, an FK to a partitioned table, an expression index, a view and a trigger, checked
/// against `pg_dump --schema-only` of the same database read by the DDL importer.
#[tokio::test]
async fn postgres_partitions_views_triggers_match_pg_dump() {
    let name = format!("ms_test_parts_{}", std::process::id());
    let scratch = Scratch::create(Engine::Postgres, name);
    psql(
        &scratch.name,
        "CREATE SCHEMA sales;
         CREATE TABLE sales.customer (id int PRIMARY KEY, email text NOT NULL UNIQUE, code text);
         CREATE UNIQUE INDEX customer_code_lower ON sales.customer (lower(code));
         CREATE TABLE sales.orders (id int, placed date NOT NULL,
             customer_id int REFERENCES sales.customer (id) ON DELETE CASCADE,
             PRIMARY KEY (id, placed)) PARTITION BY RANGE (placed);
         CREATE TABLE sales.orders_2024 PARTITION OF sales.orders
             FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
         CREATE TABLE sales.orders_2025 PARTITION OF sales.orders
             FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
         CREATE TABLE sales.line (order_id int, placed date, qty int,
             FOREIGN KEY (order_id, placed) REFERENCES sales.orders (id, placed) ON UPDATE SET NULL);
         CREATE TABLE sales.audit (id serial PRIMARY KEY, what text);
         CREATE FUNCTION sales.log_order() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN INSERT INTO sales.audit (what) VALUES ('order'); RETURN NEW; END $$;
         CREATE TRIGGER orders_log AFTER INSERT ON sales.orders
             FOR EACH ROW EXECUTE FUNCTION sales.log_order();
         CREATE VIEW sales.customer_orders AS
             SELECT c.email, o.placed FROM sales.customer c JOIN sales.orders o ON o.customer_id = c.id;",
    );
    let dump = Command::new("pg_dump")
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "--schema-only",
            "-n",
            "sales",
            &scratch.name,
        ])
        .output()
        .expect("pg_dump");
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    let mut importer = DdlImporter::new(Engine::Postgres);
    importer
        .add_script(
            "dump.sql",
            &String::from_utf8(dump.stdout).expect("UTF-8 dump"),
        )
        .expect("DDL import");
    let ddl = importer.finish();

    let url = format!("postgres://postgres@127.0.0.1:5432/{}", scratch.name);
    let live = import_live(
        Engine::Postgres,
        &url,
        &["sales".to_owned(), "nowhere".to_owned()],
    )
    .await
    .expect("live import");

    assert_eq!(live.schemas, vec!["sales".to_owned()]);
    assert!(live
        .findings
        .iter()
        .any(|f| f.code == "unknown-schema" && f.message.contains("nowhere")));
    assert_eq!(keys(&live, true), keys(&ddl, true));
    let sales = |n: &str| QualifiedName::new(Some("sales"), n);
    let orders = live.table(&sales("orders")).expect("orders");
    let partitioning = orders.partitioning.as_ref().expect("orders is partitioned");
    assert_eq!(partitioning.strategy, "RANGE (placed)");
    assert_eq!(
        partitioning.partitions,
        vec![sales("orders_2024"), sales("orders_2025")]
    );
    assert_eq!(
        live.table(&sales("orders_2024"))
            .expect("partition")
            .partition_of,
        Some(sales("orders"))
    );
    let customer = live.table(&sales("customer")).expect("customer");
    assert!(
        customer
            .unique_keys
            .contains(&vec!["lower(code)".to_owned()]),
        "{:?}",
        customer.unique_keys
    );

    assert_eq!(live.views.len(), 1);
    assert_eq!(
        live.views[0].reads,
        vec![sales("customer"), sales("orders")]
    );
    assert_eq!(live.triggers.len(), 1, "{:?}", live.triggers);
    assert_eq!(live.triggers[0].table, sales("orders"));
    assert_eq!(live.triggers[0].writes, vec![sales("audit")]);
}

#[test]
fn passwords_are_redacted() {
    assert_eq!(
        redact_url("postgres://app:s3cr@t@db:5432/x?sslmode=require"),
        "postgres://app:***@db:5432/x?sslmode=require"
    );
    assert_eq!(
        redact_url("mysql://root@127.0.0.1/sakila"),
        "mysql://root@127.0.0.1/sakila"
    );
    assert_eq!(
        redact_url("postgres://db/x?user=a&password=b#f"),
        "postgres://db/x?user=a&password=***#f"
    );
    assert_eq!(redact_url("mysql://u:pa/ss@h/db"), "mysql://u:***@h/db");
    assert_eq!(redact_url("sqlite:///tmp/a.db"), "sqlite:///tmp/a.db");
    assert_eq!(redact_url("sqlite:a.db"), "sqlite:a.db");
}
