//! The DDL import reads valid MySQL and SQLite that `sqlparser` alone refuses, agrees with the
//! live import of the same schema on keys and NOT NULL (a PRIMARY KEY column, inline or in a
//! constraint, is NOT NULL where the engine says so), and a statement that still cannot be
//! parsed is reported with file, line, the text near it and what to do, or skipped and listed
//! with `--skip-unparsed`.
//!
//! The live side runs against the machine's MariaDB (127.0.0.1:3306, root) and PostgreSQL
//! (127.0.0.1:5432, postgres), in scratch databases of their own, and a temporary SQLite file.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use migration_studio::import::ddl::{DdlImporter, UNPARSED_STATEMENT};
use migration_studio::import::live::import_live;
use migration_studio::import::{Engine, ImportError};
use migration_studio::inventory::{Inventory, QualifiedName, Table};
use migration_studio::project::{Project, ProjectError, MANIFEST_FILE};
use sqlx::{ConnectOptions, Connection};

fn ddl(engine: Engine, script: &str) -> Inventory {
    let mut importer = DdlImporter::new(engine);
    importer
        .add_script("schema.sql", script)
        .unwrap_or_else(|e| panic!("DDL import: {e}"));
    importer.finish()
}

fn table<'a>(inventory: &'a Inventory, schema: Option<&str>, name: &str) -> &'a Table {
    inventory
        .table(&QualifiedName::new(schema, name))
        .unwrap_or_else(|| panic!("table {name} imported: {:?}", inventory.tables))
}

/// Per table (without schema): the primary key and each column's nullability.
type Shape = BTreeMap<String, (Vec<String>, Vec<(String, bool)>)>;

fn shape(inventory: &Inventory) -> Shape {
    inventory
        .tables
        .iter()
        .map(|t| {
            (
                t.name.name.clone(),
                (
                    t.primary_key.clone(),
                    t.columns
                        .iter()
                        .map(|c| (c.name.clone(), c.nullable))
                        .collect(),
                ),
            )
        })
        .collect()
}

fn nullable(inventory: &Inventory, schema: Option<&str>, t: &str, column: &str) -> bool {
    table(inventory, schema, t)
        .columns
        .iter()
        .find(|c| c.name == column)
        .unwrap_or_else(|| panic!("{t}.{column}"))
        .nullable
}

/// Valid MySQL (MariaDB 10.11 runs every statement) that sqlparser 0.59 refuses on its own.
const MYSQL_SCRIPT: &str = r#"
CREATE TABLE charsets (
  id int NOT NULL AUTO_INCREMENT COMMENT 'key',
  a varchar(10) charset utf8mb4 NOT NULL,
  b varchar(10) CHARACTER SET latin1 COLLATE latin1_bin DEFAULT NULL COMMENT 'b',
  c text CHARSET utf8mb4 COLLATE utf8mb4_bin,
  d national varchar(3),
  e long varchar,
  f char(4) byte,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE comments (
  id int unsigned zerofill NOT NULL AUTO_INCREMENT COMMENT 'after auto_increment',
  d varchar(10) NOT NULL DEFAULT '' COMMENT 'after default',
  u timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP COMMENT 'after on update',
  q varchar(10) DEFAULT NULL COMMENT 'it\'s ''quoted'' \\',
  dq int DEFAULT NULL COMMENT "double quoted",
  PRIMARY KEY (id),
  KEY k_d (d) USING BTREE COMMENT 'index comment after USING'
);
CREATE TABLE keyed (id int KEY COMMENT 'KEY alone is the primary key', code int UNIQUE KEY, v int);
CREATE TABLE words (a varchar(3) ASCII, b char(2) BYTE, c long varbinary, d national char(2),
  e nchar varchar(3), f long, g int key, h int unique key, i int serial default value,
  k varchar(3) compressed=zlib, l int INVISIBLE DEFAULT 1, m int AS (g + 1) PERSISTENT);
CREATE TABLE gbk_copy AS SELECT id, CONVERT(d USING gbk) AS d_gbk, CAST(d AS CHAR(10) CHARACTER SET gbk) AS d_cast FROM comments;
"#;

#[tokio::test]
async fn mysql_syntax_sqlparser_refuses_is_imported_and_agrees_with_live() {
    let ddl = ddl(Engine::Mysql, MYSQL_SCRIPT);
    assert_eq!(ddl.tables.len(), 5, "{:?}", ddl.tables);

    // MySQL's multi-word type names come out as the server reports them.
    let charsets = table(&ddl, None, "charsets");
    let types: Vec<&str> = charsets
        .columns
        .iter()
        .map(|c| c.data_type.as_str())
        .collect();
    assert_eq!(
        types,
        [
            "INT",
            "VARCHAR(10)",
            "VARCHAR(10)",
            "TEXT",
            "VARCHAR(3)",
            "MEDIUMTEXT",
            "BINARY(4)"
        ]
    );
    let words: Vec<String> = table(&ddl, None, "words")
        .columns
        .iter()
        .map(|c| c.data_type.to_ascii_lowercase())
        .collect();
    assert_eq!(
        words,
        [
            "varchar(3)",
            "binary(2)",
            "mediumblob",
            "char(2)",
            "varchar(3)",
            "mediumtext",
            "int",
            "int",
            "int",
            "varchar(3)",
            "int",
            "int"
        ]
    );
    assert_eq!(table(&ddl, None, "words").primary_key, ["g"]);
    assert_eq!(table(&ddl, None, "keyed").primary_key, ["id"]);
    assert_eq!(table(&ddl, None, "keyed").unique_keys, [["code"]]);

    let db = common::ScratchMaria::new("ddl_mysql");
    common::mariadb(&db.name, &[], Some(MYSQL_SCRIPT));
    let live = import_live(Engine::Mysql, &db.url(), std::slice::from_ref(&db.name))
        .await
        .expect("live import");
    // A table made from a query has the query's columns, which only the server knows.
    assert!(live
        .table(&QualifiedName::new(Some(&db.name), "gbk_copy"))
        .is_some());
    let without_query_table = |inventory: &Inventory| {
        let mut s = shape(inventory);
        s.remove("gbk_copy");
        s
    };
    assert_eq!(without_query_table(&ddl), without_query_table(&live));
}

#[tokio::test]
async fn primary_key_columns_are_not_null_in_mysql_as_live() {
    let script = "CREATE TABLE inline_pk (id int PRIMARY KEY, v int);\nCREATE TABLE table_pk (a int, b int, v int, PRIMARY KEY (a, b));\nCREATE TABLE named_pk (id int, CONSTRAINT pk PRIMARY KEY (id));\n";
    let ddl = ddl(Engine::Mysql, script);
    for (t, c) in [
        ("inline_pk", "id"),
        ("table_pk", "a"),
        ("table_pk", "b"),
        ("named_pk", "id"),
    ] {
        assert!(
            !nullable(&ddl, None, t, c),
            "{t}.{c} NOT NULL in the DDL import"
        );
    }
    assert!(nullable(&ddl, None, "inline_pk", "v"));

    let db = common::ScratchMaria::new("ddl_pk");
    common::mariadb(&db.name, &[], Some(script));
    let live = import_live(Engine::Mysql, &db.url(), std::slice::from_ref(&db.name))
        .await
        .expect("live import");
    assert_eq!(shape(&ddl), shape(&live));
}

#[tokio::test]
async fn primary_key_columns_are_not_null_in_postgres_as_live() {
    let script = "CREATE TABLE inline_pk (id int PRIMARY KEY, v int);\nCREATE TABLE table_pk (a int, b int, v int, PRIMARY KEY (a, b));\nCREATE TABLE named_pk (id int CONSTRAINT named_pk_key PRIMARY KEY, v text);\nCREATE TABLE child (id int PRIMARY KEY REFERENCES inline_pk (id));\n";
    let ddl = ddl(Engine::Postgres, script);
    for (t, c) in [
        ("inline_pk", "id"),
        ("table_pk", "a"),
        ("table_pk", "b"),
        ("named_pk", "id"),
        ("child", "id"),
    ] {
        assert!(
            !nullable(&ddl, Some("public"), t, c),
            "{t}.{c} NOT NULL in the DDL import"
        );
    }
    // A key column cannot be loaded NULL, so the plan never proposes it for a cycle break.
    let child = table(&ddl, Some("public"), "child");
    assert!(!child.foreign_keys[0].nullable);

    let db = common::ScratchPg::new("ddl_pk");
    common::psql(&db.name, &[], Some(script));
    let live = import_live(Engine::Postgres, &db.url(), &[])
        .await
        .expect("live import");
    assert_eq!(shape(&ddl), shape(&live));
}

/// Creates a SQLite database file from `script` with SQLite itself (the bundled library).
async fn sqlite_file(dir: &Path, script: &str) -> String {
    let path = dir.join("live.sqlite");
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .connect()
        .await
        .expect("create SQLite file");
    sqlx::raw_sql(script)
        .execute(&mut conn)
        .await
        .expect("SQLite runs the script");
    conn.close().await.expect("close");
    format!("sqlite://{}", path.display())
}

/// SQLite type names are any words (SQLite docs, "Datatypes In SQLite" §3.1), and a table may
/// be called `unsigned`.
const SQLITE_SCRIPT: &str = r#"
CREATE TABLE unsigned(id integer auto_increment primary key, n short integer);
CREATE TABLE words (
  a text nocase,
  b unsigned big int,
  c varying character(255),
  d floating point not null,
  e big number(10,-2),
  f my custom type with many words(5),
  'g' blob sub_type text,
  h int references unsigned(id) match simple,
  unique (a) on conflict replace
);
CREATE TABLE options (id int primary key, v text) without rowid, strict;
"#;

#[tokio::test]
async fn sqlite_free_form_types_are_imported_as_sqlite_declares_them() {
    let ddl = ddl(Engine::Sqlite, SQLITE_SCRIPT);
    let dir = tempfile::tempdir().expect("temp dir");
    let live = import_live(
        Engine::Sqlite,
        &sqlite_file(dir.path(), SQLITE_SCRIPT).await,
        &[],
    )
    .await
    .expect("live import");
    assert_eq!(shape(&ddl), shape(&live));
    // The declared type is what `pragma_table_info` reports (SQLite upper-cases the standard
    // names), so the affinity rules see the same words on both sides.
    for t in ["unsigned", "words", "options"] {
        let types = |inv: &Inventory| -> Vec<String> {
            table(inv, None, t)
                .columns
                .iter()
                .map(|c| c.data_type.to_ascii_lowercase())
                .collect()
        };
        assert_eq!(types(&ddl), types(&live), "types of {t}");
    }
    assert_eq!(
        table(&ddl, None, "unsigned").columns[1].data_type,
        "short integer"
    );
    assert_eq!(table(&ddl, None, "words").foreign_keys.len(), 1);
}

#[tokio::test]
async fn sqlite_primary_key_nullability_is_the_catalogs() {
    // SQLite lets an ordinary table's key columns hold NULL, except the rowid alias (a lone
    // INTEGER key) and the keys of WITHOUT ROWID tables.
    let script = "CREATE TABLE int_pk (id int primary key, v);\nCREATE TABLE rowid_pk (id integer primary key, v);\nCREATE TABLE rowid_table_pk (id integer, v, primary key (id));\nCREATE TABLE pair_pk (a, b, primary key (a, b));\nCREATE TABLE no_rowid (id int primary key, v) without rowid;\nCREATE TABLE child (id int primary key references int_pk (id));\n";
    let ddl = ddl(Engine::Sqlite, script);
    let dir = tempfile::tempdir().expect("temp dir");
    let live = import_live(Engine::Sqlite, &sqlite_file(dir.path(), script).await, &[])
        .await
        .expect("live import");
    assert_eq!(shape(&ddl), shape(&live));
    assert!(nullable(&ddl, None, "int_pk", "id"));
    assert!(!nullable(&ddl, None, "rowid_pk", "id"));
    assert!(!nullable(&ddl, None, "rowid_table_pk", "id"));
    assert!(nullable(&ddl, None, "pair_pk", "a"));
    assert!(!nullable(&ddl, None, "no_rowid", "id"));
    // The key column is NOT NULL on any target, so its FK is never "loaded NULL".
    for inventory in [&ddl, &live] {
        assert!(!table(inventory, None, "child").foreign_keys[0].nullable);
    }
}

fn project(dir: &Path, engine: &str, script: &str) {
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::write(dir.join("data/schema.sql"), script).unwrap();
    std::fs::write(
        dir.join(MANIFEST_FILE),
        format!(
            "name = \"unparsed\"\nrto_minutes = 30\nmaintenance_window_minutes = 60\n\n[source]\nengine = \"{engine}\"\n\n[target]\nengine = \"postgres\"\n\n[[inputs]]\npath = \"data/schema.sql\"\n"
        ),
    )
    .unwrap();
}

#[tokio::test]
async fn an_unparsed_statement_says_where_and_what_to_do_and_can_be_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let script = "CREATE TABLE a (id int PRIMARY KEY);\n\nCREATE TABLE b (\n  id int PRIMARY KEY,\n  x int FROBNICATE(3)\n);\nCREATE TABLE c (id int PRIMARY KEY, a_id int REFERENCES a (id));\n";
    project(dir.path(), "mysql", script);

    // Without the option the import is all-or-nothing, and says how to import the rest.
    let error = Project::open(dir.path())
        .unwrap()
        .import()
        .await
        .expect_err("refused");
    let message = error.to_string();
    assert!(
        matches!(&error, ProjectError::Import(ImportError::Parse { line: 5, near, .. }) if near.contains("x int FROBNICATE(3)")),
        "{error:?}"
    );
    assert!(
        message.starts_with("data/schema.sql:5: cannot parse CREATE TABLE b"),
        "{message}"
    );
    assert!(message.contains("--skip-unparsed"), "{message}");
    assert!(Project::open(dir.path())
        .unwrap()
        .store()
        .await
        .unwrap()
        .inventory()
        .await
        .unwrap()
        .is_none());

    // With it, the rest is imported and the skipped statement listed with file and line.
    let (inventory, report) = Project::open(dir.path())
        .unwrap()
        .with_skip_unparsed(true)
        .import()
        .await
        .expect("import of the rest");
    let names: Vec<&str> = inventory
        .tables
        .iter()
        .map(|t| t.name.name.as_str())
        .collect();
    assert_eq!(names, ["a", "c"]);
    let skipped: Vec<_> = inventory
        .findings
        .iter()
        .filter(|f| f.code == UNPARSED_STATEMENT)
        .collect();
    assert_eq!(skipped.len(), 1, "{:?}", inventory.findings);
    assert_eq!(
        (skipped[0].source.as_str(), skipped[0].line),
        ("data/schema.sql", Some(5))
    );
    assert!(skipped[0].message.contains("CREATE TABLE b"));
    assert_eq!(report.statements.unparsed, 1);
    assert_eq!(report.unparsed.len(), 1);
    assert!(
        report.unparsed[0].starts_with("data/schema.sql:5: CREATE TABLE b"),
        "{:?}",
        report.unparsed
    );
    // The stored inventory keeps the finding for `inventory` and the plan's risk suggestions.
    let stored = Project::open(dir.path())
        .unwrap()
        .store()
        .await
        .unwrap()
        .inventory()
        .await
        .unwrap()
        .expect("stored");
    assert!(stored
        .inventory
        .findings
        .iter()
        .any(|f| f.code == UNPARSED_STATEMENT));
}

#[test]
fn a_sqlite_parse_error_says_what_to_do() {
    let mut importer = DdlImporter::new(Engine::Sqlite);
    let error = importer
        .add_script(
            "s.sql",
            "CREATE TABLE t (\n  id integer,\n  v text DEFAULT\n);\n",
        )
        .expect_err("refused");
    let message = error.to_string();
    assert!(
        message.starts_with("s.sql:4: cannot parse CREATE TABLE t"),
        "{message}"
    );
    assert!(message.contains("--skip-unparsed"), "{message}");
}

#[test]
fn the_cli_takes_skip_unparsed() {
    let dir = tempfile::tempdir().unwrap();
    project(
        dir.path(),
        "sqlite",
        "CREATE TABLE a (id integer primary key);\nCREATE TABLE b (id integer primary key, v text DEFAULT);\n",
    );
    let run = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_migration-studio"))
            .arg("import")
            .arg(dir.path())
            .args(extra)
            .output()
            .expect("run migration-studio")
    };
    let refused = run(&[]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("data/schema.sql:2:") && stderr.contains("--skip-unparsed"),
        "{stderr}"
    );
    let imported = run(&["--skip-unparsed"]);
    let stdout = String::from_utf8_lossy(&imported.stdout);
    assert!(
        imported.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    assert!(stdout.contains("Imported 1 tables"), "{stdout}");
    assert!(
        stdout.contains("warning [unparsed-statement] data/schema.sql:2: CREATE TABLE b"),
        "{stdout}"
    );
}

/// Each table's generated key columns and its columns' defaults, as imported.
fn defaults(inventory: &Inventory, schema: Option<&str>, t: &str) -> Vec<(String, Option<String>)> {
    use migration_studio::inventory::ColumnDefault;
    table(inventory, schema, t)
        .columns
        .iter()
        .map(|c| {
            let d = match &c.default {
                None => None,
                Some(ColumnDefault::Identity) => Some("identity".to_owned()),
                Some(ColumnDefault::Expression(e)) => Some(e.clone()),
            };
            (c.name.clone(), d)
        })
        .collect()
}

fn pairs(list: &[(&str, Option<&str>)]) -> Vec<(String, Option<String>)> {
    list.iter()
        .map(|(c, d)| ((*c).to_owned(), d.map(str::to_owned)))
        .collect()
}

/// The application's inserts after a cutover omit generated keys and defaulted columns, so
/// each engine's ways of writing them are read: MySQL `AUTO_INCREMENT` and `DEFAULT`,
/// PostgreSQL `serial`, identity, `nextval` defaults (inline and as pg_dump sets them after the
/// table), SQLite's rowid alias.
#[test]
fn generated_keys_and_defaults_are_read_from_every_engines_ddl() {
    let mysql = ddl(
        Engine::Mysql,
        "CREATE TABLE film (film_id SMALLINT UNSIGNED NOT NULL AUTO_INCREMENT, \
           rating ENUM('G','PG') DEFAULT 'G', rental_duration TINYINT UNSIGNED NOT NULL DEFAULT 3, \
           last_update TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, \
           note TEXT, PRIMARY KEY (film_id));",
    );
    assert_eq!(
        defaults(&mysql, None, "film"),
        pairs(&[
            ("film_id", Some("identity")),
            ("rating", Some("'G'")),
            ("rental_duration", Some("3")),
            ("last_update", Some("CURRENT_TIMESTAMP")),
            ("note", None),
        ])
    );
    let last_update = table(&mysql, None, "film").column("last_update").unwrap();
    assert_eq!(last_update.on_update.as_deref(), Some("CURRENT_TIMESTAMP"));
    let postgres = ddl(
        Engine::Postgres,
        "CREATE TABLE a (id serial PRIMARY KEY, n int DEFAULT 0);
         CREATE TABLE b (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, at timestamptz DEFAULT now());
         CREATE TABLE c (id integer DEFAULT nextval('public.c_id_seq'::regclass) NOT NULL);
         CREATE TABLE d (id integer NOT NULL, kind text);
         ALTER TABLE ONLY d ALTER COLUMN id SET DEFAULT nextval('d_id_seq'::regclass);
         ALTER TABLE ONLY d ALTER COLUMN kind SET DEFAULT 'x'::text;",
    );
    assert_eq!(
        defaults(&postgres, Some("public"), "a"),
        pairs(&[("id", Some("identity")), ("n", Some("0"))])
    );
    assert_eq!(
        defaults(&postgres, Some("public"), "b"),
        pairs(&[("id", Some("identity")), ("at", Some("now()"))])
    );
    assert_eq!(
        defaults(&postgres, Some("public"), "c"),
        pairs(&[("id", Some("identity"))])
    );
    assert_eq!(
        defaults(&postgres, Some("public"), "d"),
        pairs(&[("id", Some("identity")), ("kind", Some("'x'::TEXT"))])
    );
    let sqlite = ddl(
        Engine::Sqlite,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER DEFAULT 1);
         CREATE TABLE u (id INTEGER, k TEXT, PRIMARY KEY (id, k));",
    );
    assert_eq!(
        defaults(&sqlite, None, "t"),
        pairs(&[("id", Some("identity")), ("n", Some("1"))])
    );
    assert_eq!(
        defaults(&sqlite, None, "u"),
        pairs(&[("id", None), ("k", None)]),
        "a composite key is no rowid alias"
    );
}
