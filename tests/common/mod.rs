//! Shared helpers for the integration tests: dataset and sample-project paths, DDL import,
//! scratch databases.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Stdio};

use migration_studio::import::ddl::DdlImporter;
use migration_studio::import::Engine;
use migration_studio::inventory::Inventory;

/// The upstream datasets the tests read that no sample project carries: `tests/datasets/`
/// (each folder says its source and licence), or `$MIGRATION_STUDIO_DATASETS`, a folder laid out
/// the same way.
pub fn datasets() -> PathBuf {
    std::env::var_os("MIGRATION_STUDIO_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/datasets"))
}

/// A dataset file by its path under `datasets()`.
pub fn dataset(relative: &str) -> PathBuf {
    let path = datasets().join(relative);
    assert!(path.is_file(), "dataset file missing: {}", path.display());
    path
}

/// The sample projects' folder, `sample-projects/`: tests read the data the samples carry
/// (Sakila, Pagila, Chinook's SQLite forms, Sock Shop's manifests) from there rather than from a
/// second copy.
pub fn samples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-projects")
}

/// A file of a sample project by its path under `samples()`, read in place (`sample` copies a
/// whole project for tests that write).
pub fn sample_file(relative: &str) -> PathBuf {
    let path = samples().join(relative);
    assert!(
        path.is_file(),
        "sample project file missing: {}",
        path.display()
    );
    path
}

/// Oracle's Sakila for MySQL (schema, then data), as the Sakila sample project carries it.
pub fn sakila_scripts() -> [PathBuf; 2] {
    [
        sample_file("sakila-mysql-to-postgres/data/sakila-mv-schema.sql"),
        sample_file("sakila-mysql-to-postgres/data/sakila-mv-data.sql"),
    ]
}

/// Pagila (schema, then data), as the Pagila sample project carries it.
pub fn pagila_scripts() -> [PathBuf; 2] {
    [
        sample_file("pagila-postgres-upgrade/data/pagila-schema.sql"),
        sample_file("pagila-postgres-upgrade/data/pagila-data.sql"),
    ]
}

/// Imports scripts with one importer, each named by its file name.
pub fn import_scripts(engine: Engine, paths: &[PathBuf]) -> Inventory {
    let mut importer = DdlImporter::new(engine);
    for path in paths {
        let name = path.file_name().expect("a file").to_string_lossy();
        let text = std::fs::read_to_string(path).expect("script is UTF-8");
        importer
            .add_script(&name, &text)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    importer.finish()
}

/// Runs the CLI's `command` (`backfill`, `validate`) on `project` from `source` to `target`.
pub fn between(
    command: &str,
    project: &std::path::Path,
    source: &str,
    target: &str,
    extra: &[&str],
) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_migration-studio"))
        .arg(command)
        .arg(project)
        .args(["--source-url", source, "--target-url", target])
        .args(extra)
        .output()
        .expect("the CLI runs")
}

/// Runs `psql` against the local server as `postgres`, failing the test on error.
pub fn psql(database: &str, args: &[&str], stdin: Option<&str>) -> String {
    let mut command = Command::new("psql");
    command
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            database,
        ])
        .args(args);
    run_client(command, stdin)
}

/// Runs a database client with `stdin` fed to it, failing the test with its stderr on error;
/// returns its stdout.
fn run_client(mut command: Command, stdin: Option<&str>) -> String {
    let program = command.get_program().to_string_lossy().into_owned();
    command
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("{program} runs: {e}"));
    if let Some(input) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin piped")
            .write_all(input.as_bytes())
            .unwrap_or_else(|e| panic!("write to {program}: {e}"));
    }
    let output = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("{program} finishes: {e}"));
    assert!(
        output.status.success(),
        "{program} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A PostgreSQL database created for one test and dropped when dropped.
pub struct ScratchPg {
    /// Database name.
    pub name: String,
}

impl ScratchPg {
    /// Creates `ms_test_<label>_<pid>`.
    pub fn new(label: &str) -> Self {
        let name = format!("ms_test_{label}_{}", std::process::id());
        psql(
            "postgres",
            &["-c", &format!("DROP DATABASE IF EXISTS {name}")],
            None,
        );
        psql(
            "postgres",
            &["-c", &format!("CREATE DATABASE {name}")],
            None,
        );
        Self { name }
    }
}

impl Drop for ScratchPg {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-X",
                "-q",
                "-d",
                "postgres",
                "-c",
            ])
            .arg(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .output();
    }
}

/// Runs the `mariadb` client against the local server as root, failing the test on error.
pub fn mariadb(database: &str, args: &[&str], stdin: Option<&str>) -> String {
    let mut command = Command::new("mariadb");
    command
        .args([
            "-h",
            "127.0.0.1",
            "-u",
            "root",
            "--batch",
            "--skip-column-names",
        ])
        .args(args)
        .arg(database);
    run_client(command, stdin)
}

/// A MariaDB database created for one test and dropped when dropped.
pub struct ScratchMaria {
    /// Database name.
    pub name: String,
}

impl ScratchMaria {
    /// Creates `ms_test_<label>_<pid>`.
    pub fn new(label: &str) -> Self {
        let name = format!("ms_test_{label}_{}", std::process::id());
        mariadb(
            "mysql",
            &[
                "-e",
                &format!("DROP DATABASE IF EXISTS `{name}`; CREATE DATABASE `{name}`"),
            ],
            None,
        );
        Self { name }
    }

    /// `mysql://root@127.0.0.1:3306/<name>`.
    pub fn url(&self) -> String {
        format!("mysql://root@127.0.0.1:3306/{}", self.name)
    }
}

impl Drop for ScratchMaria {
    fn drop(&mut self) {
        let _ = Command::new("mariadb")
            .args(["-h", "127.0.0.1", "-u", "root", "-e"])
            .arg(format!("DROP DATABASE IF EXISTS `{}`", self.name))
            .output();
    }
}

impl ScratchPg {
    /// `postgres://postgres@127.0.0.1:5432/<name>`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:5432/{}", self.name)
    }
}

/// Loads Sakila (Oracle's MySQL scripts) into the MariaDB database `db`.
pub fn load_sakila_mariadb(db: &str) {
    let [schema, data] = sakila_scripts().map(|path| std::fs::read_to_string(path).expect("read"));
    let script: String = format!("{schema}\n{data}")
        .lines()
        .filter(|l| {
            let t = l.trim();
            t != "DROP SCHEMA IF EXISTS sakila;"
                && t != "CREATE SCHEMA sakila;"
                && t != "USE sakila;"
        })
        .map(|l| l.replace("sakila.", &format!("{db}.")))
        .collect::<Vec<_>>()
        .join("\n");
    mariadb(db, &[], Some(&script));
}

/// A copy of `sample-projects/<name>` in a temporary folder, without its store or run folders,
/// so tests never write into the repository.
pub fn sample(name: &str) -> (tempfile::TempDir, PathBuf) {
    fn copy(from: &std::path::Path, to: &std::path::Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.file_type().unwrap().is_dir() {
                if name != ".migration-studio" {
                    copy(&entry.path(), &target);
                }
            } else if !name.starts_with("migration-studio.db") {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join(name);
    copy(&samples().join(name), &root);
    (dir, root)
}

/// Asserts that no scratch database of rehearsal run `id` is left on the machine's PostgreSQL
/// or MariaDB.
#[allow(dead_code)]
pub fn no_scratch_databases(id: &str) {
    let prefix = format!("ms_rh_{}", id.replace('-', "_"));
    let pg = psql(
        "postgres",
        &[
            "-At",
            "-c",
            &format!("SELECT count(*) FROM pg_database WHERE datname LIKE '{prefix}%'"),
        ],
        None,
    );
    assert_eq!(pg.trim(), "0", "PostgreSQL scratch databases left");
    let my = mariadb(
        "mysql",
        &[
            "-e",
            &format!(
                "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '{prefix}%'"
            ),
        ],
        None,
    );
    assert_eq!(my.trim(), "0", "MariaDB scratch databases left");
}

/// A change-capture pair for applier tests: a scratch MariaDB database whose table `item`
/// (`id INT PRIMARY KEY, label VARCHAR(20)`, rows 1 `a`, 2 `b`, 3 `c`) has capture installed,
/// a scratch PostgreSQL database with the same rows in `item (id integer, label text)`, both
/// connected read-write, and the route between them. The scratch databases go when dropped.
pub struct CapturePair {
    pub source: ScratchMaria,
    pub target: ScratchPg,
    pub from: migration_studio::db::Database,
    pub to: migration_studio::db::Database,
    pub routes: Vec<migration_studio::rehearsal::capture::Route>,
}

/// Makes a [`CapturePair`]; `prefix` names its scratch databases (`<prefix>_src`, `_tgt`).
pub async fn capture_pair(prefix: &str) -> CapturePair {
    use migration_studio::data::TableSpec;
    use migration_studio::db::{self, Access};
    use migration_studio::import::live::import_live;
    use migration_studio::rehearsal::capture::{self, Route};

    let source = ScratchMaria::new(&format!("{prefix}_src"));
    mariadb(
        &source.name,
        &[
            "-e",
            "CREATE TABLE item (id INT PRIMARY KEY, label VARCHAR(20)); \
                 INSERT INTO item VALUES (1, 'a'), (2, 'b'), (3, 'c')",
        ],
        None,
    );
    let target = ScratchPg::new(&format!("{prefix}_tgt"));
    psql(
        &target.name,
        &[
            "-c",
            "CREATE TABLE item (id integer PRIMARY KEY, label text); \
                 INSERT INTO item VALUES (1, 'a'), (2, 'b'), (3, 'c')",
        ],
        None,
    );
    let from = db::connect(&source.url(), Access::ReadWrite, 2)
        .await
        .unwrap();
    let to = db::connect(&target.url(), Access::ReadWrite, 2)
        .await
        .unwrap();
    let source_inventory = import_live(
        Engine::Mysql,
        &source.url(),
        std::slice::from_ref(&source.name),
    )
    .await
    .unwrap();
    let target_inventory = import_live(Engine::Postgres, &target.url(), &["public".into()])
        .await
        .unwrap();
    let target_spec = TableSpec::new(Engine::Postgres, &target_inventory.tables[0]).unwrap();
    let routes = vec![Route {
        from: TableSpec::new(Engine::Mysql, &source_inventory.tables[0]).unwrap(),
        to_table: target_spec.name.clone(),
        to_columns: target_spec
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.declared.clone(), c.logical.clone()))
            .collect(),
        to_key: target_spec.key_columns(),
        also_from: Vec::new(),
        partner: false,
    }];
    capture::install(&from, &routes).await.unwrap();
    CapturePair {
        source,
        target,
        from,
        to,
        routes,
    }
}

/// The spec text with the rule line of `column` in the `[tables."<table>".columns]` section
/// replaced by `rule`.
pub fn edit_rule(text: &str, table: &str, column: &str, rule: &str) -> String {
    let header = format!("[tables.\"{table}\".columns]");
    let start = text.find(&header).expect("the table's columns section");
    let at = start
        + text[start..]
            .find(&format!("\n{column} = "))
            .expect("the column's rule")
        + 1;
    let end = at + text[at..].find('\n').unwrap();
    format!("{}{rule}{}", &text[..at], &text[end..])
}

/// A project folder `dir/name` moving a `source` to a `target` engine (as the manifest spells
/// them: `mysql`, `postgres`) from one DDL script, `schema.sql` holding `ddl`; with `spec`, the
/// manifest names `mapping.toml` as its spec. Imported, and the spec written by `mapping init`
/// when asked.
pub fn ddl_project(
    dir: &std::path::Path,
    name: &str,
    (source, target): (&str, &str),
    ddl: &str,
    spec: bool,
) -> PathBuf {
    let root = dir.join(name);
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("schema.sql"), ddl).unwrap();
    std::fs::write(
        root.join("migration-studio.toml"),
        format!(
            "name = \"{name}\"\nrto_minutes = 30\nmaintenance_window_minutes = 60\n{}\n\
             [source]\nengine = \"{source}\"\n\n[target]\nengine = \"{target}\"\n\n\
             [[inputs]]\npath = \"schema.sql\"\n",
            if spec {
                "mapping = \"mapping.toml\"\n"
            } else {
                ""
            }
        ),
    )
    .unwrap();
    let path = root.to_str().unwrap();
    cli_ok(&["import", path]);
    if spec {
        cli_ok(&["mapping", "init", path]);
    }
    root
}

/// Runs the CLI with `args`, failing the test unless it succeeds; its standard output.
pub fn cli_ok(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_migration-studio"))
        .args(args)
        .output()
        .expect("the CLI runs");
    assert!(
        output.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Gives the Sakila sample project at `root` a mapping spec over `actor`, one of the tables the
/// rehearsal's workload writes: renamed to `performer`, `first_name` renamed, `last_name`
/// derived in lower case and a `full_name` merged from both. Its changes reach the target
/// through the spec by the catch-up, and come back by the rollback drill.
#[allow(dead_code)]
pub fn with_actor_spec(root: &std::path::Path) {
    use_spec(
        root,
        r#"version = 1

[tables."sakila.actor"]
target = "performer"
reason = "the new schema's word"
author = "ana"

[tables."sakila.actor".columns]
full_name = { merge = ["first_name", "last_name"], separator = " ", reason = "credits print one name", author = "ana" }
first_name = { target = "given_name", reason = "kept for search", author = "ana" }
last_name = { derive = "lower(last_name)", reason = "case-insensitive search", author = "ana" }
"#,
    );
}

/// `validate --json --strategy <strategy>` with `extra` between `source` and `target`: its report.
#[allow(dead_code)]
pub fn validate_json(
    root: &std::path::Path,
    (source, target): (&str, &str),
    strategy: &str,
    extra: &[&str],
) -> serde_json::Value {
    let args: Vec<&str> = ["--json", "--strategy", strategy]
        .into_iter()
        .chain(extra.iter().copied())
        .collect();
    let out = between("validate", root, source, target, &args);
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

/// `backfill --create-tables --post-copy --mark-rehearsal-target` with `extra` from `source`
/// into a fresh `target`, which must succeed.
#[allow(dead_code)]
pub fn backfill_ok(root: &std::path::Path, (source, target): (&str, &str), extra: &[&str]) {
    let args: Vec<&str> = ["--create-tables", "--post-copy", "--mark-rehearsal-target"]
        .into_iter()
        .chain(extra.iter().copied())
        .collect();
    let out = between("backfill", root, source, target, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The capture routes, `reverse` or not, of a copy from the MariaDB database at `source_url`
/// into PostgreSQL's `public` through the spec `spec_text` of the project at `root`.
#[allow(dead_code)]
pub async fn mysql_to_postgres_routes(
    root: &std::path::Path,
    source_url: &str,
    spec_text: &str,
    reverse: bool,
) -> Vec<migration_studio::rehearsal::capture::Route> {
    use migration_studio::backfill::BackfillPlan;
    use migration_studio::import::live::import_live;
    use migration_studio::import::Engine;
    use migration_studio::mapping::spec::{MappingSpec, Schema};
    let inventory = import_live(Engine::Mysql, source_url, &[]).await.unwrap();
    let spec = MappingSpec::parse(
        &root.join("mapping.toml"),
        spec_text,
        Schema {
            inventory: &inventory,
            source: Engine::Mysql,
            target: Engine::Postgres,
        },
    )
    .unwrap();
    let plan = BackfillPlan::mapped(
        &inventory,
        Engine::Mysql,
        Engine::Postgres,
        Some("public"),
        &[],
        Some(&spec),
    );
    migration_studio::rehearsal::routes::routes(&plan, reverse)
}

/// Writes `spec` as the project's `mapping.toml` at `root` and names it in the manifest.
#[allow(dead_code)]
pub fn use_spec(root: &std::path::Path, spec: &str) {
    std::fs::write(root.join("mapping.toml"), spec).unwrap();
    let manifest = root.join("migration-studio.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, format!("mapping = \"mapping.toml\"\n{text}")).unwrap();
}

/// Rehearses the project at `root` on the local provider and asserts what a clean rehearsal
/// is: it passes, the final validation and the rollback drill find no differing row, the
/// workload wrote, and no scratch database is left. The report, for more checks.
#[allow(dead_code)]
pub fn rehearses_clean(root: &std::path::Path) -> migration_studio::rehearsal::RehearsalReport {
    let out = Command::new(env!("CARGO_BIN_EXE_migration-studio"))
        .arg("rehearse")
        .arg(root)
        .args(["--provider", "local", "--json"])
        .env_remove("DOCKER_HOST")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report: migration_studio::rehearsal::RehearsalReport =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{stderr}"));
    let steps: Vec<String> = report
        .runbook
        .iter()
        .map(|s| format!("{}: {}", s.title, s.detail))
        .collect();
    assert!(out.status.success(), "{stderr}\n{}", steps.join("\n"));
    assert_eq!(report.mismatched_rows, 0, "{steps:#?}");
    assert_eq!(report.rollback_mismatched_rows, 0, "{steps:#?}");
    assert!(report.workload_source.writes() > 0);
    no_scratch_databases(&report.id);
    report
}

/// Starts `rehearse` on the project at `root` (local provider, a paced backfill so the run is
/// met running), sends it Ctrl-C (SIGINT) once its saved state satisfies `reached`, and asserts
/// it stops with exit code 130 leaving nothing behind: no scratch database, no saved state to
/// resume. The state it was interrupted in.
#[allow(dead_code)]
pub fn interrupted_leaves_nothing(
    root: &std::path::Path,
    reached: fn(&migration_studio::rehearsal::state::RunState) -> bool,
) -> migration_studio::rehearsal::state::RunState {
    use migration_studio::rehearsal::state::RunState;
    use std::time::{Duration, Instant};
    let mut child = Command::new(env!("CARGO_BIN_EXE_migration-studio"))
        .env_remove("DOCKER_HOST")
        .arg("rehearse")
        .arg(root)
        .args(["--provider", "local", "--json"])
        .args(["--backfill-rows-per-second", "5000"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(240);
    let state = loop {
        if let Some(state) = RunState::unfinished(root).pop() {
            if reached(&state) {
                break state;
            }
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the rehearsal ended before it was interrupted"
        );
        assert!(Instant::now() < deadline, "the stage was never reached");
        std::thread::sleep(Duration::from_millis(10));
    };
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    assert_eq!(
        child.wait().unwrap().code(),
        Some(130),
        "interrupted exit code"
    );
    no_scratch_databases(&state.id);
    assert!(
        RunState::unfinished(root).is_empty(),
        "saved state left to resume"
    );
    state
}
