//! The commands as the window calls them, minus the window: each test drives the functions the
//! registered commands are one call to, on a copy of a sample project in a temporary folder.
//! (The native dialogs need a display; the end-to-end test drives them.)

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tauri::ipc::{Channel, InvokeResponseBody};

use super::plan::{write_runbook, ExportFormat, RunbookExportFormat};
use super::projects::{
    create_in, import_live_database, open_at, open_recent, reimport, CreateProject, EngineChoice,
    ImportEvent, LiveImportRequest, ShapeChoice,
};
use super::rehearsal::{provider_for, FullRehearsalRequest, ProviderPick};
use super::risks::{self, RiskForm, SuggestionDecision};
use crate::connections::{self, ConnectionEngine, ConnectionForm};
use crate::dialogs::ChosenPath;
use crate::error::ErrorCode;
use crate::secrets::SecretStore;
use crate::state::AppState;

fn sample(name: &str, to: &Path) -> PathBuf {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sample-projects")
        .join(name);
    let root = to.join(name);
    for entry in walk(&from) {
        let relative = entry.strip_prefix(&from).unwrap();
        let text = relative.to_string_lossy();
        if text.starts_with("migration-studio.db") || text.starts_with(".migration-studio") {
            continue;
        }
        let dest = root.join(relative);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(&entry, dest).unwrap();
    }
    root
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn state(dir: &Path) -> AppState {
    AppState::new(dir.join("config"), SecretStore::memory("test"))
}

/// Opens the project in `root` as if chosen in the app's folder dialog; its handle.
async fn opened(state: &AppState, root: &Path) -> String {
    open_at(state, &ChosenPath::chosen_in_test(root))
        .await
        .unwrap()
        .handle
}

fn form(title: &str, severity: u8, likelihood: u8) -> RiskForm {
    RiskForm {
        id: String::new(),
        title: title.into(),
        category: "performance".into(),
        severity,
        likelihood,
        mitigation: None,
        owner: None,
        status: "open".into(),
        artifacts: Vec::new(),
        retired_by: None,
        ordering: Vec::new(),
    }
}

fn events() -> (Channel<ImportEvent>, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let channel = Channel::new(move |body| {
        if let InvokeResponseBody::Json(json) = body {
            sink.lock().unwrap().push(json);
        }
        Ok(())
    });
    (channel, seen)
}

#[tokio::test]
async fn risks_are_added_edited_decided_deleted_and_the_heat_map_follows() {
    let dir = tempfile::tempdir().unwrap();
    let root = sample("sakila-mysql-to-postgres", dir.path());
    let state = state(dir.path());
    let project = opened(&state, &root).await;

    let view = risks::register(&state, &project).await.unwrap();
    assert!(view.risks.is_empty());
    assert!(view.heat.iter().flatten().all(|&c| c == 0));
    assert!(view.categories.contains(&"data loss".to_owned()));
    assert_eq!(view.statuses, ["open", "mitigating", "accepted", "retired"]);
    let pending = view.suggestions.len();
    assert!(
        view.suggestions.iter().any(|s| s.key == "ponr"),
        "the plan suggests the point of no return: {:?}",
        view.suggestions
    );

    // Add, with links to an artifact and a runbook step.
    let rental = crate::json::InventoryView::of(&super::workspace(&state, &project).await.unwrap())
        .artifacts
        .into_iter()
        .find(|a| a.id.ends_with("rental") && a.kind == "table")
        .unwrap()
        .id;
    let step = crate::json::RunbookView::of(&super::workspace(&state, &project).await.unwrap())
        .steps
        .into_iter()
        .find(|s| s.artifact.as_deref() == Some(rental.as_str()))
        .unwrap();
    let mut new = form("  Rental backfill slower than planned ", 3, 4);
    new.owner = Some("dba team".into());
    new.mitigation = Some("rehearse at 100x".into());
    new.artifacts = vec![rental.clone(), rental.clone()];
    new.retired_by = Some(step.id.clone());
    let view = risks::save(&state, &project, new).await.unwrap();
    let added = &view.risks[0];
    assert_eq!(added.id, "R-001");
    assert_eq!(added.title, "Rental backfill slower than planned");
    assert_eq!((added.score, added.artifacts.len()), (12, 1));
    assert!(added.flags.is_empty());
    assert!(added.blast_radius > 0, "payment depends on rental");
    assert_eq!(added.retired_by_step.as_deref(), Some(step.title.as_str()));
    assert_eq!(view.heat[2][3], 1);

    // Refused forms name their field; the register stays as it was.
    for (bad, field) in [
        (form("", 3, 3), "title"),
        (form("x", 7, 3), "severity"),
        (form("x", 3, 0), "likelihood"),
        (
            RiskForm {
                category: "fire".into(),
                ..form("x", 3, 3)
            },
            "category",
        ),
        (
            RiskForm {
                status: "done".into(),
                ..form("x", 3, 3)
            },
            "status",
        ),
        (
            RiskForm {
                ordering: vec!["rental then payment".into()],
                ..form("x", 3, 3)
            },
            "ordering",
        ),
    ] {
        let e = risks::save(&state, &project, bad).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput, "{e:?}");
        assert_eq!(e.field.as_deref(), Some(field), "{e:?}");
    }
    let e = risks::save(
        &state,
        &project,
        RiskForm {
            id: "R-999".into(),
            ..form("x", 3, 3)
        },
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    assert_eq!(
        risks::register(&state, &project).await.unwrap().risks.len(),
        1
    );

    // Edit: the heat map moves with it.
    let edited = RiskForm {
        id: "R-001".into(),
        severity: 5,
        status: "mitigating".into(),
        ..form("Rental backfill slower than planned", 5, 4)
    };
    let view = risks::save(&state, &project, edited).await.unwrap();
    assert_eq!((view.heat[2][3], view.heat[4][3]), (0, 1));
    assert_eq!(view.risks[0].status, "mitigating");
    assert_eq!(view.risks[0].flags, ["no-mitigation", "no-owner"]);

    // Accept one suggestion, dismiss another.
    let view = risks::decide(&state, &project, "ponr", SuggestionDecision::Accept)
        .await
        .unwrap();
    assert_eq!(view.risks.len(), 2);
    let accepted = view.risks.iter().find(|r| r.id == "R-002").unwrap();
    assert_eq!(accepted.origin.as_deref(), Some("ponr"));
    assert_eq!(view.suggestions.len(), pending - 1);
    let other = view.suggestions[0].key.clone();
    let view = risks::decide(&state, &project, &other, SuggestionDecision::Dismiss)
        .await
        .unwrap();
    assert_eq!((view.risks.len(), view.suggestions.len()), (2, pending - 2));
    let e = risks::decide(&state, &project, &other, SuggestionDecision::Accept)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);

    // Deleting the accepted risk makes its suggestion pending again.
    let view = risks::delete(&state, &project, "R-002").await.unwrap();
    assert_eq!(view.risks.len(), 1);
    assert!(view.suggestions.iter().any(|s| s.key == "ponr"));
    let e = risks::delete(&state, &project, "R-002").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);

    // Export, then import: a changed register comes back; a bad file changes nothing.
    let csv = dir.path().join("register.csv");
    let saved = risks::write_register(
        &state,
        &project,
        ExportFormat::Csv,
        &ChosenPath::chosen_in_test(&csv),
    )
    .await
    .unwrap();
    assert_eq!(saved.bytes as u64, std::fs::metadata(&csv).unwrap().len());
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with("id,title,category,severity,likelihood"));
    let changed = text.replace("mitigating", "retired")
        + ",Target sequences not reset,compatibility,2,5,,,,,,,,,,\r\n";
    std::fs::write(&csv, changed).unwrap();
    let done = risks::import_csv(&state, &project, &ChosenPath::chosen_in_test(&csv))
        .await
        .unwrap();
    assert_eq!(done.imported, 2);
    assert_eq!(done.register.risks.len(), 2);
    assert_eq!(done.register.risks[0].status, "retired");
    assert!(done.register.heat.iter().flatten().sum::<u32>() == 1);
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "title,category,severity,likelihood\r\nfine,downtime,2,2\r\nbroken,downtime,9,2\r\n",
    )
    .unwrap();
    let e = risks::import_csv(&state, &project, &ChosenPath::chosen_in_test(&bad))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidCsv);
    assert!(
        e.message.contains("bad.csv:3: field `severity`"),
        "{}",
        e.message
    );
    assert!(e.hint.is_some());
    assert_eq!(
        risks::register(&state, &project).await.unwrap().risks.len(),
        2
    );

    // Everything is in the project store: a new app session sees it.
    let again = AppState::new(dir.path().join("config"), SecretStore::memory("test"));
    let project = opened(&again, &root).await;
    let view = risks::register(&again, &project).await.unwrap();
    assert_eq!(view.risks.len(), 2);
    let md = dir.path().join("register.md");
    risks::write_register(
        &again,
        &project,
        ExportFormat::Markdown,
        &ChosenPath::chosen_in_test(&md),
    )
    .await
    .unwrap();
    assert!(std::fs::read_to_string(md).unwrap().contains("## Heat map"));
}

#[tokio::test]
async fn ordering_constraints_of_risks_reach_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    let root = sample("sakila-mysql-to-postgres", dir.path());
    let state = state(dir.path());
    let project = opened(&state, &root).await;
    let wave = |ws: &migration_studio::workspace::Workspace, name: &str| {
        crate::json::InventoryView::of(ws)
            .artifacts
            .into_iter()
            .find(|a| {
                a.kind == "table"
                    && (a.id == format!("table:{name}") || a.id.ends_with(&format!(".{name}")))
            })
            .map(|a| (a.id, a.wave))
            .unwrap()
    };
    let ws = super::workspace(&state, &project).await.unwrap();
    let (category, category_wave) = wave(&ws, "category");
    let (actor, actor_wave) = wave(&ws, "actor");
    assert_eq!(category_wave, actor_wave, "neither depends on the other");
    drop(ws);
    let mut f = form("Categories must be live before actors", 2, 2);
    f.ordering = vec![format!("{category} before {actor}")];
    let view = risks::save(&state, &project, f).await.unwrap();
    assert!(view.ignored_orderings.is_empty());
    let ws = super::workspace(&state, &project).await.unwrap();
    assert!(wave(&ws, "actor").1 > wave(&ws, "category").1);
}

#[tokio::test]
async fn runbook_export_writes_only_where_the_dialog_chose() {
    let dir = tempfile::tempdir().unwrap();
    let root = sample("sakila-mysql-to-postgres", dir.path());
    let state = state(dir.path());
    let project = opened(&state, &root).await;
    let out = dir.path().join("out.csv");
    let saved = write_runbook(
        &state,
        &project,
        RunbookExportFormat::Csv,
        &ChosenPath::chosen_in_test(&out),
    )
    .await
    .unwrap();
    assert_eq!(saved.path, out.display().to_string());
    let csv = std::fs::read_to_string(&out).unwrap();
    assert_eq!(csv.matches(",backfill,").count(), 16);
    // A folder that cannot be written is an `io` error saying what to do.
    let e = write_runbook(
        &state,
        &project,
        RunbookExportFormat::Markdown,
        &ChosenPath::chosen_in_test(dir.path().join("missing/dir/out.md")),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::Io);
    assert!(e.hint.is_some());
    // The orchestrators' formats, through the same path: a workflow and a DAG file.
    for (format, file, first) in [
        (
            RunbookExportFormat::Argo,
            "wf.yaml",
            "apiVersion: argoproj.io/v1alpha1",
        ),
        (
            RunbookExportFormat::Airflow,
            "dag.py",
            "# Generated by migration-studio",
        ),
    ] {
        let out = dir.path().join(file);
        write_runbook(&state, &project, format, &ChosenPath::chosen_in_test(&out))
            .await
            .unwrap();
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.starts_with(first), "{text}");
        assert!(text.contains("S034"), "one task per step");
    }
}

/// A folder the person never opened is refused by every project command, by its path or any
/// other name the window makes up, and nothing is written there: no store, no edit, no risk, no
/// manifest change, no report. Only a folder chosen in the app's dialog, or one of the recent
/// list, is opened.
#[tokio::test]
async fn a_path_never_opened_is_refused_and_nothing_is_written_there() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(dir.path());
    // One project the person opened, so handles exist; and one they never opened.
    let mine = sample("sakila-mysql-to-postgres", &dir.path().join("mine"));
    let handle = opened(&state, &mine).await;
    let other = sample("sakila-mysql-to-postgres", &dir.path().join("other"));
    let before = bytes_of_tree(&other);
    assert!(!other.join("migration-studio.db").exists());
    let names = [
        other.to_string_lossy().into_owned(),
        format!("{}/", other.display()),
        format!("{}/../other/sakila-mysql-to-postgres", mine.display()),
        String::new(),
        "project-2".into(),
    ];
    let refused = |e: crate::error::AppError, what: &str, name: &str| {
        assert_eq!(e.code, ErrorCode::NotOpened, "{what} {name:?}: {e:?}");
        assert!(e.hint.is_some());
    };
    for name in &names {
        refused(
            super::workspace(&state, name).await.err().unwrap(),
            "workspace",
            name,
        );
        refused(
            risks::register(&state, name).await.unwrap_err(),
            "risks",
            name,
        );
        refused(
            risks::save(&state, name, form("planted", 5, 5))
                .await
                .unwrap_err(),
            "save_risk",
            name,
        );
        refused(
            risks::delete(&state, name, "R-1").await.unwrap_err(),
            "delete_risk",
            name,
        );
        refused(
            risks::decide(&state, name, "ponr", SuggestionDecision::Accept)
                .await
                .unwrap_err(),
            "decide",
            name,
        );
        let (channel, seen) = events();
        refused(
            reimport(&state, name, "t", &channel).await.unwrap_err(),
            "import_project",
            name,
        );
        refused(
            import_live_database(
                &state,
                name,
                "t",
                LiveImportRequest {
                    connection: "x".into(),
                    schemas: Vec::new(),
                },
                &channel,
            )
            .await
            .unwrap_err(),
            "import_live",
            name,
        );
        assert!(seen.lock().unwrap().is_empty());
        let out = dir.path().join("out.csv");
        refused(
            write_runbook(
                &state,
                name,
                RunbookExportFormat::Csv,
                &ChosenPath::chosen_in_test(&out),
            )
            .await
            .unwrap_err(),
            "export_runbook",
            name,
        );
        assert!(!out.exists());
        let request = FullRehearsalRequest {
            provider: ProviderPick::Local,
            source_server: None,
            target_server: None,
            source_image: None,
            target_image: None,
            workload_rate: 20.0,
        };
        refused(
            provider_for(&state, name, &request).await.unwrap_err(),
            "rehearsal_provider",
            name,
        );
        // Not opened from the recent list either: it is not in it.
        refused(open_recent(&state, name).await.unwrap_err(), "recent", name);
    }
    assert_eq!(
        bytes_of_tree(&other),
        before,
        "the folder never opened changed"
    );
    assert!(!other.join("migration-studio.db").exists());
    assert!(crate::recent::load(&state.config_dir)
        .iter()
        .all(|r| !r.path.contains("other")));
    // The project the person opened still works, and opens again from the recent list.
    assert!(risks::register(&state, &handle).await.is_ok());
    let recent = crate::recent::load(&state.config_dir);
    let again = open_recent(&state, &recent[0].path).await.unwrap();
    assert_eq!(again.handle, handle, "one handle per folder");
}

/// An SQLite connection's file is one chosen in the app's dialog: a path from the window is
/// refused (and nothing saved), a chosen one is kept, and re-saving keeps its file.
#[test]
fn an_sqlite_file_not_chosen_in_the_dialog_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(dir.path());
    let file = dir.path().join("app.db");
    std::fs::write(&file, b"").unwrap();
    let sqlite = |name: &str, database: &str| ConnectionForm {
        name: name.into(),
        engine: ConnectionEngine::Sqlite,
        host: String::new(),
        port: None,
        user: String::new(),
        database: database.into(),
        password: None,
    };
    let typed = file.display().to_string();
    let e = super::connections::save(&state, sqlite("local", &typed)).unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref()),
        (ErrorCode::InvalidInput, Some("database"))
    );
    assert!(e.hint.unwrap().contains("Choose file"));
    assert!(connections::list(&state.config_dir, &state.secrets).is_empty());
    // Chosen in the dialog: saved; saved again under its name with the same file: kept.
    let chosen = super::connections::admit_sqlite_file(&state, &ChosenPath::chosen_in_test(&file));
    assert_eq!(chosen, typed);
    super::connections::save(&state, sqlite("local", &chosen)).unwrap();
    let restarted = AppState::new(dir.path().join("config"), SecretStore::memory("test"));
    super::connections::save(&restarted, sqlite("local", &chosen)).unwrap();
    // But not under another name, nor another file under its name, in a new session.
    for (name, database) in [("copy", chosen.as_str()), ("local", "/etc/passwd")] {
        let e = super::connections::save(&restarted, sqlite(name, database)).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("database"), "{name} {database}");
    }
    assert_eq!(
        connections::list(&state.config_dir, &state.secrets).len(),
        1
    );
}

#[tokio::test]
async fn a_connection_test_names_the_server_or_the_error_by_its_code() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(dir.path());
    let postgres = |name: &str, port: u16| ConnectionForm {
        name: name.into(),
        engine: ConnectionEngine::Postgres,
        host: "127.0.0.1".into(),
        port: Some(port),
        user: "postgres".into(),
        database: "postgres".into(),
        password: None,
    };
    super::connections::save(&state, postgres("local", 5432)).unwrap();
    let server = connections::test(&state.config_dir, &state.secrets, "local")
        .await
        .unwrap();
    assert_eq!(server.engine, ConnectionEngine::Postgres);
    assert!(
        server.version.starts_with(|c: char| c.is_ascii_digit()),
        "{server:?}"
    );
    // Nothing listens on port 1: the stable code says a database could not be reached.
    super::connections::save(&state, postgres("closed", 1)).unwrap();
    let e = connections::test(&state.config_dir, &state.secrets, "closed")
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Database, "{e:?}");
    assert!(e.message.contains("127.0.0.1:1"), "{}", e.message);
    let e = connections::test(&state.config_dir, &state.secrets, "nobody")
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound, "{e:?}");
}

/// The commands that write or read files take no path from the window: their generated
/// bindings send only the project and a format (the path comes from a dialog Rust opens).
#[test]
fn file_commands_take_no_path_from_the_window() {
    let bindings = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings.ts"),
    )
    .unwrap();
    for (command, args) in [
        ("export_runbook", "{ project, format }"),
        ("export_risks", "{ project, format }"),
        ("import_risks", "{ project }"),
        ("create_project", "{ request }"),
        ("open_project", ""),
        ("choose_sqlite_file", ""),
        ("lifecycle_run", "{ project, task, request }"),
    ] {
        let call = if args.is_empty() {
            format!("__TAURI_INVOKE(\"{command}\")")
        } else {
            format!("__TAURI_INVOKE(\"{command}\", {args})")
        };
        assert!(bindings.contains(&call), "{command}: expected {call}");
    }
    // And the new project's request names no folder.
    let request = bindings
        .split("export type CreateProject = ")
        .nth(1)
        .and_then(|s| s.split('}').next())
        .expect("CreateProject in the bindings");
    assert!(!request.contains("path"), "CreateProject: {request}");
}

#[tokio::test]
async fn a_project_is_created_in_the_folder_the_dialog_chose() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(dir.path());
    // A folder a person made in the dialog and put a script in.
    let folder = dir.path().join("new/billing");
    std::fs::create_dir_all(folder.join("ddl")).unwrap();
    std::fs::write(
        folder.join("ddl/schema.sql"),
        "CREATE TABLE invoice (id INT PRIMARY KEY);\n",
    )
    .unwrap();
    let request = || CreateProject {
        name: String::new(),
        source: EngineChoice::Mysql,
        target: EngineChoice::Postgres,
        shape: ShapeChoice::Cdc,
        inputs: vec!["ddl/schema.sql".into()],
    };
    let view = create_in(&state, request(), &ChosenPath::chosen_in_test(&folder))
        .await
        .unwrap();
    // Named after the folder, with the manifest inside, and its script imported.
    assert_eq!(view.name, "billing");
    assert_eq!(view.inputs, ["script ddl/schema.sql"]);
    assert_eq!(view.counts.tables, 1);
    assert!(folder.join("migration-studio.toml").is_file());
    let manifest = std::fs::read_to_string(folder.join("migration-studio.toml")).unwrap();
    assert!(manifest.contains("ddl/schema.sql"), "{manifest}");
    // Opened and remembered.
    let recent = crate::recent::load(&state.config_dir);
    assert_eq!(recent[0].name, "billing");
    // A second time there is `already_exists`, and the first manifest stays.
    let e = create_in(&state, request(), &ChosenPath::chosen_in_test(&folder))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::AlreadyExists);
    assert_eq!(
        std::fs::read_to_string(folder.join("migration-studio.toml")).unwrap(),
        manifest
    );
}

struct Scratch {
    name: String,
}

impl Scratch {
    fn psql(database: &str, sql: &str) {
        let out = std::process::Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-v",
                "ON_ERROR_STOP=1",
                "-qd",
                database,
                "-c",
                sql,
            ])
            .output()
            .expect("psql");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn new(name: &str) -> Self {
        Self::psql("postgres", &format!("DROP DATABASE IF EXISTS {name}"));
        Self::psql("postgres", &format!("CREATE DATABASE {name}"));
        Self { name: name.into() }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        Self::psql(
            "postgres",
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

fn bytes_of_tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    walk(dir)
        .into_iter()
        .map(|p| {
            let b = std::fs::read(&p).unwrap_or_default();
            (p, b)
        })
        .collect()
}

fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// A live PostgreSQL database imported through a saved connection: its password goes to the
/// secret store only, never to the manifest, the store, the connections file or what the
/// window receives; a failed import changes nothing.
#[tokio::test]
async fn live_import_keeps_the_password_in_the_secret_store() {
    const PASSWORD: &str = "Sekr3t-pa55-6f1d";
    let scratch = Scratch::new("ms_desktop_live_import");
    Scratch::psql(
        &scratch.name,
        "CREATE TABLE author (id int PRIMARY KEY, name text NOT NULL); \
         CREATE TABLE book (id int PRIMARY KEY, author_id int NOT NULL REFERENCES author(id), title text); \
         INSERT INTO author VALUES (1, 'a'), (2, 'b'); INSERT INTO book VALUES (1, 1, 't');",
    );
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("live");
    migration_studio::project::Project::init(
        &root,
        migration_studio::project::Manifest::new(
            "live",
            migration_studio::import::Engine::Postgres,
            migration_studio::import::Engine::Postgres,
            migration_studio::plan::MigrationShape::Cdc,
        ),
    )
    .await
    .unwrap();
    let state = state(dir.path());
    let project = opened(&state, &root).await;
    let save = |name: &str, database: &str| ConnectionForm {
        name: name.into(),
        engine: ConnectionEngine::Postgres,
        host: "127.0.0.1".into(),
        port: Some(5432),
        user: "postgres".into(),
        database: database.into(),
        password: Some(PASSWORD.into()),
    };
    let manifest_before = std::fs::read_to_string(root.join("migration-studio.toml")).unwrap();

    // A database that does not exist: a typed error, redacted, and nothing changed.
    connections::save(
        &state.config_dir,
        &state.secrets,
        save("gone", "ms_desktop_no_such_db"),
    )
    .unwrap();
    let (channel, _) = events();
    let e = import_live_database(
        &state,
        &project,
        "t1",
        LiveImportRequest {
            connection: "gone".into(),
            schemas: Vec::new(),
        },
        &channel,
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::Database, "{e:?}");
    assert!(
        e.message
            .contains("postgres://postgres:***@127.0.0.1:5432/ms_desktop_no_such_db"),
        "{}",
        e.message
    );
    assert!(!format!("{e:?}").contains(PASSWORD));
    assert_eq!(
        std::fs::read_to_string(root.join("migration-studio.toml")).unwrap(),
        manifest_before
    );

    // The real one.
    connections::save(
        &state.config_dir,
        &state.secrets,
        save("library", &scratch.name),
    )
    .unwrap();
    let (channel, seen) = events();
    let view = import_live_database(
        &state,
        &project,
        "t2",
        LiveImportRequest {
            connection: "library".into(),
            schemas: vec![" public ".into(), String::new()],
        },
        &channel,
    )
    .await
    .unwrap();
    assert_eq!((view.counts.tables, view.counts.foreign_keys), (2, 1));
    assert_eq!(
        view.inputs,
        ["live library ($MIGRATION_STUDIO_LIVE_LIBRARY_URL)"]
    );
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen[0].contains("\"started\"") && seen[1].contains("\"finished\""),
        "{seen:?}"
    );
    let inventory =
        crate::json::InventoryView::of(&super::workspace(&state, &project).await.unwrap());
    assert!(inventory.artifacts.iter().any(|a| a.id.ends_with("book")));
    let sent = serde_json::to_string(&(&view, &inventory, &seen)).unwrap();
    assert!(!sent.contains(PASSWORD));
    let manifest = std::fs::read_to_string(root.join("migration-studio.toml")).unwrap();
    for line in manifest_before.lines().filter(|l| *l != "inputs = []") {
        assert!(manifest.contains(line), "{line} is gone from\n{manifest}");
    }
    assert!(manifest.contains("url_env = \"MIGRATION_STUDIO_LIVE_LIBRARY_URL\""));
    assert!(manifest.contains("schemas = [\"public\"]"));
    for (path, bytes) in bytes_of_tree(dir.path()) {
        assert!(
            !holds(&bytes, PASSWORD),
            "the password is in {}",
            path.display()
        );
    }

    // Re-importing every input takes the live URL from the connection of the same name; with
    // none saved (another machine), the error says which connection or variable to provide.
    let (channel, _) = events();
    assert_eq!(
        reimport(&state, &project, "t2b", &channel)
            .await
            .unwrap()
            .counts
            .tables,
        2
    );
    let elsewhere = AppState::new(dir.path().join("other-config"), SecretStore::memory("test"));
    let handle = elsewhere.admit(&root.canonicalize().unwrap());
    let e = reimport(&elsewhere, &handle, "t2c", &channel)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::MissingConnection);
    assert!(
        e.message.contains("MIGRATION_STUDIO_LIVE_LIBRARY_URL"),
        "{}",
        e.message
    );
    assert!(e
        .hint
        .unwrap()
        .contains("Save a connection named `library`"));
    let again = import_live_database(
        &state,
        &project,
        "t3",
        LiveImportRequest {
            connection: "library".into(),
            schemas: vec!["public".into()],
        },
        &channel,
    )
    .await
    .unwrap();
    assert_eq!(again.counts.tables, 2);
    // Another engine or other schemas under the same name are refused, naming the field.
    let (channel, _) = events();
    let e = import_live_database(
        &state,
        &project,
        "t4",
        LiveImportRequest {
            connection: "library".into(),
            schemas: Vec::new(),
        },
        &channel,
    )
    .await
    .unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref()),
        (ErrorCode::InvalidInput, Some("name"))
    );

    // After a restart without a keychain the password is gone: said so, with what to do.
    let restarted = AppState::new(dir.path().join("config"), SecretStore::memory("test"));
    let project = restarted.admit(&root.canonicalize().unwrap());
    let (channel, _) = events();
    let e = import_live_database(
        &restarted,
        &project,
        "t5",
        LiveImportRequest {
            connection: "library".into(),
            schemas: vec!["public".into()],
        },
        &channel,
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::MissingConnection);
    assert!(e.hint.unwrap().contains("Enter the password again"));
}

#[tokio::test]
async fn provider_choice_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let root = sample("sakila-mysql-to-postgres", dir.path());
    let state = state(dir.path());
    let project = opened(&state, &root).await;
    let request = |provider| FullRehearsalRequest {
        provider,
        source_server: None,
        target_server: None,
        source_image: None,
        target_image: None,
        workload_rate: 20.0,
    };
    let local = provider_for(&state, &project, &request(ProviderPick::Local))
        .await
        .unwrap();
    assert_eq!(
        (
            local.provider.as_str(),
            local.reason.as_deref(),
            local.needs_servers
        ),
        ("local", None, true)
    );
    // Auto always answers: Docker with the daemon it found, or local with why not.
    let auto = provider_for(&state, &project, &request(ProviderPick::Auto))
        .await
        .unwrap();
    let reason = auto.reason.clone().expect("auto says why");
    match auto.provider.as_str() {
        "docker" => assert!(reason.contains("Docker daemon answers"), "{reason}"),
        "local" => {
            assert!(
                reason.contains("Docker") || reason.contains("image"),
                "{reason}"
            );
            assert!(auto.needs_servers);
        }
        other => panic!("provider {other}"),
    }
    // Docker asked for where none answers is a typed error; with one, it is chosen.
    match provider_for(&state, &project, &request(ProviderPick::Docker)).await {
        Ok(docker) => assert_eq!(docker.provider, "docker"),
        Err(e) => {
            assert_eq!(e.code, ErrorCode::Provider);
            assert!(e.hint.is_some());
        }
    }
    // A server that is not a saved connection is named.
    let mut with_server = request(ProviderPick::Local);
    with_server.source_server = Some("nope".into());
    let e = provider_for(&state, &project, &with_server)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
}

/// Calibrating from a rehearsal (the report's action) is stored with the project: the runbook
/// marks the measured durations, a typed one wins, and a new session (or the CLI) shows the same
/// plan until the person goes back to the estimates.
#[tokio::test]
async fn a_calibration_is_marked_on_the_runbook_and_kept_with_the_project() {
    use crate::json::{DurationSource, RunbookView};
    use migration_studio::workspace::StepEdit;
    const RUN: &str = "1795316916-5cf700";
    let dir = tempfile::tempdir().unwrap();
    let root = sample("sakila-mysql-to-postgres", dir.path());
    let run_dir = migration_studio::rehearsal::history_dir(&root).join(RUN);
    std::fs::create_dir_all(&run_dir).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/rehearsals")
            .join(RUN)
            .join("report.json"),
        run_dir.join("report.json"),
    )
    .unwrap();
    let state = state(dir.path());
    let project = opened(&state, &root).await;
    let mut ws = super::workspace(&state, &project).await.unwrap();
    let before = RunbookView::of(&ws);
    assert!(before.calibrated_from.is_none());
    assert!(before
        .steps
        .iter()
        .all(|s| s.duration == DurationSource::Estimate));

    ws.calibrate(Some(RUN)).await.unwrap();
    let view = RunbookView::of(&ws);
    assert_eq!(view.calibrated_from.as_deref(), Some(RUN));
    let rental = |v: &RunbookView| {
        v.steps
            .iter()
            .find(|s| s.artifact.as_deref() == Some("table:sakila.rental"))
            .unwrap()
            .clone()
    };
    assert_eq!(rental(&view).duration, DurationSource::Calibrated);
    assert_ne!(
        rental(&view).expected_minutes,
        rental(&before).expected_minutes
    );
    ws.edit_step(StepEdit {
        step_key: rental(&view).key,
        owner: None,
        expected_minutes: Some(3.0),
        notes: Some("typed after the rehearsal".into()),
    })
    .await
    .unwrap();
    let edited = rental(&RunbookView::of(&ws));
    assert_eq!(edited.duration, DurationSource::Edited);
    assert_eq!(edited.notes.as_deref(), Some("typed after the rehearsal"));
    drop(ws);

    // Another session: the project's stored choice.
    let other = self::state(&dir.path().join("other"));
    let again = opened(&other, &root).await;
    let ws = super::workspace(&other, &again).await.unwrap();
    let view = RunbookView::of(&ws);
    assert_eq!(view.calibrated_from.as_deref(), Some(RUN));
    assert!(view
        .steps
        .iter()
        .any(|s| s.duration == DurationSource::Calibrated));
    drop(ws);

    let mut ws = super::workspace(&state, &project).await.unwrap();
    ws.calibrate(None).await.unwrap();
    let view = RunbookView::of(&ws);
    assert!(view.calibrated_from.is_none());
    assert!(view
        .steps
        .iter()
        .all(|s| s.duration != DurationSource::Calibrated));
    assert_eq!(rental(&view).duration, DurationSource::Edited);
}

/// What the window shows is for a person at the window: no message tells them to run a CLI
/// command (the engine's messages do, for the terminal).
#[tokio::test]
async fn errors_shown_in_the_window_name_no_cli_command() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(dir.path());
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let e = open_at(&state, &ChosenPath::chosen_in_test(&empty))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotAProject);
    assert!(
        e.message.contains("no migration-studio.toml"),
        "{}",
        e.message
    );
    assert!(
        !e.message.contains("migration-studio init"),
        "{}",
        e.message
    );

    let root = sample("sakila-mysql-to-postgres", dir.path());
    let project = opened(&state, &root).await;
    let mut ws = super::workspace(&state, &project).await.unwrap();
    let e: crate::error::AppError = ws.calibrate(Some("latest")).await.unwrap_err().into();
    assert_eq!(e.code, ErrorCode::NotFound);
    assert_eq!(e.message, "this project has no rehearsal yet");
    assert!(e.hint.unwrap().contains("Rehearsal screen"));
}

/// The loop run from the board on two saved connections (one scratch PostgreSQL database as
/// both sides: every window equal), a person's approval from a card (refused without a name),
/// the loop promoting the approved job with the reason given, Cancel stopping a loop, and a
/// second loop refused while one holds the project.
#[tokio::test]
async fn the_board_runs_the_loop_on_saved_connections_and_approves_a_cleanup() {
    use super::lifecycle::{approve_job, run_loop, ApprovalForm, LoopSource};
    use std::time::Duration;
    let scratch = Scratch::new("ms_desktop_lifecycle");
    Scratch::psql(
        &scratch.name,
        "CREATE TABLE t (id int PRIMARY KEY, v text); \
         INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 200) g;",
    );
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("lc");
    std::fs::create_dir_all(root.join("ddl")).unwrap();
    std::fs::write(
        root.join("ddl/schema.sql"),
        "CREATE TABLE t (id integer PRIMARY KEY, v text);\n",
    )
    .unwrap();
    std::fs::write(
        root.join("migration-studio.toml"),
        "name = \"lc\"\nrto_minutes = 30\nmaintenance_window_minutes = 60\n\n\
         [source]\nengine = \"postgres\"\n\n[target]\nengine = \"postgres\"\n\n\
         [[inputs]]\npath = \"ddl/schema.sql\"\n\n\
         [lifecycle]\nwindows = 1\ncriteria = [\"data_quality\"]\ninterval_seconds = 30\n",
    )
    .unwrap();
    let state = state(dir.path());
    let project = opened(&state, &root).await;
    for name in ["old", "new"] {
        connections::save(
            &state.config_dir,
            &state.secrets,
            ConnectionForm {
                name: name.into(),
                engine: ConnectionEngine::Postgres,
                host: "127.0.0.1".into(),
                port: Some(5432),
                user: "postgres".into(),
                database: scratch.name.clone(),
                password: Some("unused-with-trust".into()),
            },
        )
        .unwrap();
    }
    let sides = || LoopSource::Connections {
        source: "old".into(),
        target: "new".into(),
    };

    // Cancel stops a loop waiting for its next tick (the manifest's 30 s).
    let (cancelled, asked) = tokio::join!(
        run_loop(&state, &project, "loop-1", sides(), None, None),
        async {
            tokio::time::sleep(Duration::from_millis(800)).await;
            state.cancel_task("loop-1")
        }
    );
    assert!(asked, "the loop was running as task loop-1");
    let cancelled = cancelled.unwrap();
    assert!(cancelled.cancelled);
    assert_eq!((cancelled.first_tick, cancelled.last_tick), (1, 1));
    assert_eq!(
        cancelled.transitions,
        ["public.t: planned → shadow by the loop: shadow started"]
    );
    assert!(cancelled.measured_from.contains("old"));

    // Measured on the databases: equal sides promote t, then it waits for a person.
    let run = run_loop(
        &state,
        &project,
        "loop-2",
        sides(),
        Some(2),
        Some(Duration::ZERO),
    )
    .await
    .unwrap();
    assert_eq!((run.first_tick, run.last_tick, run.ticks), (2, 3, 2));
    assert!(
        run.transitions[0].starts_with("public.t: shadow → reverse shadow by the loop"),
        "{:?}",
        run.transitions
    );
    assert!(!run.settled && !run.cancelled);

    let form = |by: &str| ApprovalForm {
        job: "t".into(),
        by: by.into(),
        reason: "owners signed off".into(),
    };
    let nobody = approve_job(&state, &project, form("  ")).await.unwrap_err();
    assert_eq!(nobody.code, ErrorCode::InvalidInput);
    assert_eq!(nobody.field.as_deref(), Some("by"));
    let done = approve_job(&state, &project, form("ana")).await.unwrap();
    assert_eq!(done.phase, "reverse_shadow");
    assert!(
        done.message.contains("cleanup approved by ana"),
        "{}",
        done.message
    );

    let run = run_loop(
        &state,
        &project,
        "loop-3",
        sides(),
        None,
        Some(Duration::ZERO),
    )
    .await
    .unwrap();
    assert!(run.settled);
    assert!(
        run.transitions[0].starts_with("public.t: reverse shadow → cleanup by ana:")
            && run.transitions[0].ends_with("cleanup approved: owners signed off"),
        "{:?}",
        run.transitions
    );
    // Done: nothing left to approve, said in words.
    let late = approve_job(&state, &project, form("ana"))
        .await
        .unwrap_err();
    assert_eq!(late.code, ErrorCode::InvalidInput);
    assert!(late.message.contains("is done"), "{}", late.message);

    // A loop holding the project (here the engine's lock, as a CLI loop holds it) refuses a
    // second one with `busy`, naming it.
    let lock = migration_studio::db::FileLock::acquire(
        &root.join(migration_studio::workspace::lifecycle::run::LOOP_LOCK_FILE),
    )
    .unwrap();
    let busy = run_loop(&state, &project, "loop-4", sides(), Some(1), None)
        .await
        .unwrap_err();
    assert_eq!(busy.code, ErrorCode::Busy);
    assert!(
        busy.message.contains("another lifecycle loop")
            && busy
                .message
                .contains("the loop started earlier from this window")
            && !busy.message.contains("lifecycle.lock"),
        "{}",
        busy.message
    );
    lock.release();
    // The password is in neither the store nor the connections file.
    for (path, bytes) in bytes_of_tree(dir.path()) {
        assert!(!holds(&bytes, "unused-with-trust"), "{}", path.display());
    }
}
