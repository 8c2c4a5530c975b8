//! Input written by a careless or hostile hand (issue 15): special files in a services folder,
//! loose CSV quoting, unclosed SQL comments, misplaced manifest keys, control characters in names,
//! oversized statements. Each is refused (or skipped and reported) naming the file and line, and
//! a refused import changes nothing.

use std::path::Path;

use migration_studio::project::{Project, ProjectError, MANIFEST_FILE};

const HEAD: &str = "name = \"hostile\"\nrto_minutes = 30\nmaintenance_window_minutes = 60\n\n[source]\nengine = \"mysql\"\n\n[target]\nengine = \"postgres\"\n";

/// A project in `dir` whose manifest is [`HEAD`] then `inputs`, with `files` written under it.
fn project_with(dir: &Path, inputs: &str, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    std::fs::write(dir.join(MANIFEST_FILE), format!("{HEAD}{inputs}")).unwrap();
}

#[test]
fn an_unknown_key_in_one_input_names_that_inputs_line() {
    let dir = tempfile::tempdir().unwrap();
    // Lines 10-11: the first input; 13-15: the second, whose `bogus` key is on line 15.
    project_with(
        dir.path(),
        "[[inputs]]\npath = \"a.sql\"\n\n[[inputs]]\npath = \"b.sql\"\nbogus = 1\n",
        &[("a.sql", ""), ("b.sql", "")],
    );
    let error = Project::open(dir.path()).expect_err("refused");
    assert!(
        matches!(&error, ProjectError::Manifest { line: Some(15), message, .. } if message.contains("bogus")),
        "{error:?}"
    );

    // A key of another kind of input, and an input of no kind, name their own entry too.
    project_with(
        dir.path(),
        "[[inputs]]\npath = \"a.sql\"\n\n[[inputs]]\nservices = \"svc\"\nurl_env = \"X\"\n\n[[inputs]]\nengine = \"mysql\"\n",
        &[],
    );
    let error = Project::open(dir.path()).expect_err("refused");
    assert!(
        matches!(&error, ProjectError::Manifest { line: Some(15), message, .. } if message.contains("url_env")),
        "{error:?}"
    );
    project_with(
        dir.path(),
        "[[inputs]]\npath = \"a.sql\"\n\n[[inputs]]\nengine = \"mysql\"\n",
        &[],
    );
    let error = Project::open(dir.path()).expect_err("refused");
    assert!(
        matches!(&error, ProjectError::Manifest { line: Some(13), message, .. } if message.contains("`path`")),
        "{error:?}"
    );
}

/// Imports `dir`'s project expecting an error, and checks the store still holds `before`.
async fn refused(dir: &Path, before: &migration_studio::inventory::Inventory) -> ProjectError {
    let project = Project::open(dir).unwrap();
    let error = project.import().await.expect_err("refused");
    let stored = project.store().await.unwrap().inventory().await.unwrap();
    assert_eq!(&stored.unwrap().inventory, before, "the store is unchanged");
    error
}

#[tokio::test]
async fn an_unclosed_comment_or_string_is_an_error_naming_where_it_opens() {
    let dir = tempfile::tempdir().unwrap();
    let good = "CREATE TABLE a (id int PRIMARY KEY);\n";
    project_with(
        dir.path(),
        "[[inputs]]\npath = \"data/schema.sql\"\n",
        &[("data/schema.sql", good)],
    );
    let (before, _) = Project::open(dir.path()).unwrap().import().await.unwrap();
    for (script, line, what) in [
        (
            "CREATE TABLE x (id int);\n/* unclosed\nCREATE TABLE y (id int);\n",
            2,
            "block comment /*",
        ),
        (
            "CREATE TABLE x (id int);\nINSERT INTO x VALUES ('a);\nCREATE TABLE y (id int);\n",
            2,
            "string '",
        ),
        (
            "CREATE TABLE x (id int);\n\nCREATE TABLE `y (id int);\n",
            3,
            "quoted identifier `",
        ),
    ] {
        std::fs::write(dir.path().join("data/schema.sql"), script).unwrap();
        let error = refused(dir.path(), &before).await;
        let message = error.to_string();
        assert!(
            message.starts_with(&format!("data/schema.sql:{line}: {what} is never closed")),
            "{message}"
        );
    }
}

#[tokio::test]
async fn an_empty_script_is_a_notice() {
    let dir = tempfile::tempdir().unwrap();
    project_with(
        dir.path(),
        "[[inputs]]\npath = \"a.sql\"\n\n[[inputs]]\npath = \"b.sql\"\n",
        &[
            ("a.sql", "CREATE TABLE a (id int);\n"),
            ("b.sql", "-- nothing yet\n/* really */\n"),
        ],
    );
    let (inventory, report) = Project::open(dir.path()).unwrap().import().await.unwrap();
    let notice = inventory
        .findings
        .iter()
        .find(|f| f.code == "empty-script")
        .expect("an empty-script notice");
    assert_eq!(notice.source, "b.sql");
    assert_eq!(report.notices, 1);
}

#[tokio::test]
async fn oversized_statements_are_refused_naming_file_and_line() {
    use migration_studio::import::ddl::{MAX_PARSED_STATEMENT_BYTES, MAX_STATEMENT_BYTES};
    let dir = tempfile::tempdir().unwrap();
    project_with(
        dir.path(),
        "[[inputs]]\npath = \"big.sql\"\n",
        &[("big.sql", "CREATE TABLE t (id int, x text);\n")],
    );
    let (before, _) = Project::open(dir.path()).unwrap().import().await.unwrap();

    // Past the limit for any statement: refused once the splitter passes it.
    let huge = format!(
        "CREATE TABLE t (id int, x text);\n\nINSERT INTO t VALUES (1, '{}');\n",
        "x".repeat(MAX_STATEMENT_BYTES)
    );
    std::fs::write(dir.path().join("big.sql"), huge).unwrap();
    let message = refused(dir.path(), &before).await.to_string();
    assert!(
        message.starts_with("big.sql:3: statement is longer than the 67108864-byte limit"),
        "{message}"
    );

    // Past the limit for statements parsed whole (all but INSERT … VALUES).
    let long = format!(
        "CREATE TABLE t (id int, x text);\nCREATE VIEW v AS SELECT '{}' AS x;\n",
        "x".repeat(MAX_PARSED_STATEMENT_BYTES)
    );
    std::fs::write(dir.path().join("big.sql"), long).unwrap();
    let message = refused(dir.path(), &before).await.to_string();
    assert!(
        message.starts_with("big.sql:2: CREATE VIEW v is longer than the 8388608-byte limit"),
        "{message}"
    );
}

/// Runs the CLI with `args`, killing it after `seconds` (a read of a FIFO or of /dev/zero would
/// otherwise hang the test or eat the machine's memory).
fn cli_within(seconds: u64, args: &[&std::ffi::OsStr]) -> std::process::Output {
    use std::io::Read;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_migration-studio"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("migration-studio {args:?} still running after {seconds} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    child
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_end(&mut stderr)
        .unwrap();
    std::process::Output {
        status,
        stdout,
        stderr,
    }
}

#[cfg(unix)]
#[test]
fn special_files_in_a_services_folder_are_skipped_unopened_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("p");
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(
        outside.join("secret.yaml"),
        "services:\n  secret:\n    image: x\n",
    )
    .unwrap();
    project_with(
        &project,
        "[[inputs]]\nservices = \"svc\"\n",
        &[(
            "svc/compose.yaml",
            "services:\n  web:\n    image: nginx\n    depends_on: [db]\n  db:\n    image: postgres:16\n",
        )],
    );
    let svc = project.join("svc");
    std::os::unix::fs::symlink("/dev/zero", svc.join("zero.yaml")).unwrap();
    std::os::unix::fs::symlink(&outside, svc.join("elsewhere")).unwrap();
    std::os::unix::fs::symlink("compose.yaml", svc.join("again.yaml")).unwrap();
    let mkfifo = |path: &Path| {
        assert!(std::process::Command::new("mkfifo")
            .arg(path)
            .status()
            .unwrap()
            .success())
    };
    mkfifo(&svc.join("pipe.yaml"));

    let out = cli_within(60, &["import".as_ref(), project.as_os_str()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in ["again.yaml", "elsewhere", "pipe.yaml", "zero.yaml"] {
        assert!(
            stdout.contains(&format!("warning [not-a-regular-file] svc/{name}: ")),
            "{name}: {stdout}"
        );
    }
    assert!(stdout.contains("svc/pipe.yaml: a FIFO; skipped unopened"));
    assert!(stdout.contains("svc/elsewhere: a symbolic link; skipped unopened"));
    let out = cli_within(
        60,
        &["inventory".as_ref(), "--json".as_ref(), project.as_os_str()],
    );
    let inventory: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let services: Vec<&str> = inventory["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert!(
        !services.iter().any(|s| s.contains("secret")),
        "{services:?}"
    );
    assert_eq!(services.len(), 2, "{services:?}");

    // Named in the manifest, a FIFO is refused at once, naming it.
    mkfifo(&project.join("pipe.csv"));
    project_with(&project, "[[inputs]]\nservices = \"pipe.csv\"\n", &[]);
    let out = cli_within(60, &["import".as_ref(), project.as_os_str()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("pipe.csv: a FIFO, not a regular file or folder"),
        "{stderr}"
    );
    mkfifo(&project.join("pipe.sql"));
    project_with(&project, "[[inputs]]\npath = \"pipe.sql\"\n", &[]);
    let out = cli_within(60, &["import".as_ref(), project.as_os_str()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("pipe.sql: a FIFO, not a regular file"),
        "{stderr}"
    );
}

#[tokio::test]
async fn loose_csv_quotes_are_errors_naming_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let good = "id,kind,owner\nweb,service,\"team, \"\"web\"\"\"\ndb,datastore,team-db\n";
    project_with(
        dir.path(),
        "[[inputs]]\nservices = \"services.csv\"\n",
        &[("services.csv", good)],
    );
    let (before, _) = Project::open(dir.path()).unwrap().import().await.unwrap();
    assert_eq!(before.services.len(), 2);
    assert_eq!(before.services[1].owner.as_deref(), Some("team, \"web\""));
    for (csv, line, what) in [
        (
            "id,kind,owner\nweb,service,team\"a\ndb,datastore,x\n",
            2,
            "a quote inside an unquoted cell",
        ),
        (
            "id,kind,owner\r\nweb,service,x\r\ndb,datastore,\"team-b\"x\r\n",
            3,
            "text after the closing quote",
        ),
        (
            "id,kind,owner\nweb,service,\"team-a\ndb,datastore,x\nq,queue,y\n",
            2,
            "a quoted cell is never closed",
        ),
    ] {
        std::fs::write(dir.path().join("services.csv"), csv).unwrap();
        let message = refused(dir.path(), &before).await.to_string();
        assert!(
            message.starts_with(&format!(
                "services.csv:{line}: malformed CSV: field `owner`: {what}"
            )),
            "{message}"
        );
    }
}

#[test]
fn control_characters_in_names_reach_the_terminal_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let evil = "evil\u{1b}[2J\u{1b}]0;pwned\u{7}\u{9b}31m";
    let schema = format!(
        "CREATE TABLE \"{evil}\" (id int PRIMARY KEY);\nCREATE TABLE child (id int PRIMARY KEY, e int REFERENCES \"{evil}\" (id));\n"
    );
    std::fs::write(
        dir.path().join(MANIFEST_FILE),
        HEAD.replace("\"mysql\"", "\"postgres\"") + "[[inputs]]\npath = \"schema.sql\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("schema.sql"), &schema).unwrap();
    let project = dir.path().as_os_str();
    let escaped = "evil\\u{1b}[2J\\u{1b}]0;pwned\\u{7}\\u{9b}31m";
    for command in ["import", "inventory", "plan"] {
        let out = cli_within(60, &[command.as_ref(), project]);
        assert!(out.status.success(), "{command}: {out:?}");
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(
            !stdout
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t'),
            "{command} printed a control character: {stdout:?}"
        );
        if command != "import" {
            assert!(stdout.contains(escaped), "{command}: {stdout}");
        }
    }
    // Machine output keeps the name as it is.
    let out = cli_within(60, &["inventory".as_ref(), "--json".as_ref(), project]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["tables"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["name"]["name"] == evil));

    // Error messages too.
    std::fs::write(
        dir.path().join("schema.sql"),
        format!("CREATE TABLE \"{evil}\" (id int GARBAGE HERE);\n"),
    )
    .unwrap();
    let out = cli_within(60, &["import".as_ref(), project]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!out.status.success());
    assert!(
        stderr.contains(escaped) && !stderr.contains('\u{1b}') && !stderr.contains('\u{7}'),
        "{stderr:?}"
    );
}
