//! The sample projects end to end through the CLI: import, plan, runbook CSV and Markdown (with
//! the team's notes saved through the application layer), graph DOT and JSON; golden snapshots
//! of the plan text and of the runbook CSV; re-import idempotence.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use migration_studio::export::{write_runbook_csv, RUNBOOK_CSV_COLUMNS};
use migration_studio::graph::{DependencyGraph, GraphJson};
use migration_studio::plan::{Plan, Rollback};
use migration_studio::project::Project;
use migration_studio::workspace::{step_key, StepEdit, Workspace};

const SAMPLES: [&str; 3] = [
    "sakila-mysql-to-postgres",
    "chinook-sqlite-to-postgres",
    "pagila-postgres-upgrade",
];

use common::sample;

fn cli(args: &[&str]) -> (String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_migration-studio"))
        .args(args)
        .output()
        .expect("the CLI runs");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    );
    assert!(output.status.success(), "{args:?} failed: {stderr}");
    (stdout, stderr)
}

fn read_csv_strict(path: &Path) -> Vec<HashMap<String, String>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(path)
        .expect("open CSV");
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(headers, RUNBOOK_CSV_COLUMNS);
    reader
        .records()
        .map(|r| {
            let r = r.expect("every record is valid RFC 4180 with the header's width");
            headers
                .iter()
                .cloned()
                .zip(r.iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

#[test]
fn sakila_runbook_csv_is_in_a_correct_order() {
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    let csv_path = root.join("runbook.csv");
    let root_arg = root.to_str().unwrap();
    let (text, _) = cli(&[
        "plan",
        root_arg,
        "--runbook-csv",
        csv_path.to_str().unwrap(),
    ]);
    assert!(
        text.contains("cycle: sakila.staff <-> sakila.store"),
        "{text}"
    );

    let rows = read_csv_strict(&csv_path);
    let position: HashMap<&str, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r["step_id"].as_str(), i))
        .collect();
    for (i, row) in rows.iter().enumerate() {
        for dep in row["depends_on"].split_whitespace() {
            assert!(
                position[dep] < i,
                "{} depends on a later step {dep}",
                row["step_id"]
            );
        }
    }
    let backfill: Vec<(&str, usize)> = rows
        .iter()
        .filter(|r| r["phase"] == "backfill")
        .map(|r| (r["artifact"].as_str(), r["wave"].parse().unwrap()))
        .collect();
    assert_eq!(backfill.len(), 16, "one backfill step per table");
    assert!(
        backfill.windows(2).all(|w| w[0].1 <= w[1].1),
        "backfill in wave order"
    );
    let at = |table: &str| backfill.iter().position(|(a, _)| *a == table).unwrap();
    for parent in ["inventory", "customer", "staff"] {
        assert!(at("table:sakila.rental") > at(&format!("table:sakila.{parent}")));
    }
    let ponr: Vec<_> = rows
        .iter()
        .filter(|r| r["point_of_no_return"] == "yes")
        .collect();
    assert_eq!(ponr.len(), 1);
    assert_eq!(ponr[0]["reversible"], "no");
    assert!(rows
        .iter()
        .all(|r| r["estimate_basis"].starts_with("estimate:")));
    let phases: Vec<&str> = rows.iter().map(|r| r["phase"].as_str()).collect();
    for phase in [
        "prepare",
        "capture",
        "backfill",
        "constraints",
        "catch-up",
        "validation",
        "go/no-go",
        "freeze",
        "cutover",
        "verify",
        "keep-warm",
        "decommission",
    ] {
        assert!(phases.contains(&phase), "runbook covers {phase}");
    }
}

#[tokio::test]
async fn csv_cells_round_trip_and_formulas_are_neutralised() {
    let (_dir, root) = sample("chinook-sqlite-to-postgres");
    let project = Project::open(&root).unwrap();
    let inventory = project.inventory().await.unwrap();
    let graph = DependencyGraph::from_inventory(&inventory);
    let mut plan = Plan::build(&graph, &project.manifest().plan_settings());
    plan.steps[0].owner = "=HYPERLINK(\"http://x\",\"y\")".into();
    plan.steps[1].title = "-2+3, \"quoted\"\nsecond line".into();
    plan.steps[2].rollback = Some(Rollback {
        action: "@SUM(A1:A9)".into(),
        minutes: 1.0,
    });
    plan.steps[3].owner = "\tTabbed".into();
    plan.steps[4].owner = "+cmd|' /C calc'!A0".into();
    let path = root.join("evil.csv");
    write_runbook_csv(&plan, std::fs::File::create(&path).unwrap()).unwrap();

    let rows = read_csv_strict(&path);
    assert_eq!(rows.len(), plan.steps.len());
    assert_eq!(rows[0]["owner"], "'=HYPERLINK(\"http://x\",\"y\")");
    assert_eq!(rows[1]["title"], "'-2+3, \"quoted\"\nsecond line");
    assert_eq!(rows[2]["rollback_action"], "'@SUM(A1:A9)");
    assert_eq!(rows[3]["owner"], "'\tTabbed");
    assert_eq!(rows[4]["owner"], "'+cmd|' /C calc'!A0");
    for (row, step) in rows.iter().zip(&plan.steps).skip(5) {
        assert_eq!(row["title"], step.title);
        assert_eq!(row["owner"], step.owner);
        assert_eq!(
            row["expected_minutes"].parse::<f64>().unwrap(),
            step.expected_minutes
        );
        assert_eq!(row["depends_on"], step.depends_on.join(" "));
    }
    let raw = std::fs::read_to_string(&path).unwrap();
    assert!(raw.contains("\r\n"), "RFC 4180 line ends");
}

/// A note as a person might type it: over two lines, with a comma, a quote and Markdown, and
/// starting like a formula.
const NOTE: &str =
    "=HYPERLINK(\"http://x\") call the DVD store | first, *then* <b>go</b>\nsecond line";

#[tokio::test]
async fn a_note_saved_through_the_workspace_is_in_the_csv_and_the_markdown() {
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    let r = root.to_str().unwrap();
    let mut ws = Workspace::open(&root).await.unwrap();
    let step = ws
        .plan()
        .steps
        .iter()
        .find(|s| s.artifact.as_deref() == Some("table:sakila.rental"))
        .expect("a backfill step of rental")
        .clone();
    ws.edit_step(StepEdit {
        step_key: step_key(&step),
        owner: None,
        expected_minutes: None,
        notes: Some(NOTE.into()),
    })
    .await
    .unwrap();
    // A note alone changes no duration.
    assert_eq!(
        ws.plan().step(&step.id).unwrap().expected_minutes,
        step.expected_minutes
    );

    // The CLI, a process of its own, reads the note from the project store.
    let csv_path = root.join("runbook.csv");
    cli(&[
        "runbook",
        "export",
        r,
        "--format",
        "csv",
        "-o",
        csv_path.to_str().unwrap(),
    ]);
    let rows = read_csv_strict(&csv_path);
    let noted: Vec<_> = rows.iter().filter(|r| !r["notes"].is_empty()).collect();
    assert_eq!(noted.len(), 1, "only the edited step has notes");
    assert_eq!(noted[0]["step_id"], step.id);
    // Formula-safe: the spreadsheet shows the text, and reading it back gives the note.
    assert_eq!(noted[0]["notes"], format!("'{NOTE}"));
    assert_eq!(
        migration_studio::export::restore_neutralized(&noted[0]["notes"]),
        NOTE
    );
    let raw = std::fs::read_to_string(&csv_path).unwrap();
    let header_and_row: Vec<&str> = raw
        .split("\r\n")
        .filter(|l| l.starts_with("step_id,") || l.starts_with(&format!("{},", step.id)))
        .collect();
    insta::assert_snapshot!("runbook_csv_sakila_noted_step", header_and_row.join("\n"));

    let (md, _) = cli(&["runbook", "export", r, "--format", "md"]);
    let row = md
        .lines()
        .find(|l| l.starts_with(&format!("| {} |", step.id)))
        .expect("the step's row");
    assert!(
        row.ends_with(
            "| =HYPERLINK(\"http://x\") call the DVD store \\| first, \\*then\\* &lt;b&gt;go&lt;/b&gt;<br>second line |"
        ),
        "{row}"
    );
    assert!(md.contains("| Rollback min | Notes |"), "{md}");
    // The plan's JSON carries the note on the step; steps without one have no field.
    let (json, _) = cli(&["plan", r, "--json"]);
    let plan: Plan = serde_json::from_str(&json).unwrap();
    assert_eq!(plan.step(&step.id).unwrap().notes.as_deref(), Some(NOTE));
    assert_eq!(json.matches("\"notes\"").count(), 1);
}

#[test]
fn plan_text_matches_the_golden_files() {
    for name in SAMPLES {
        let (_dir, root) = sample(name);
        let (text, _) = cli(&["plan", root.to_str().unwrap()]);
        insta::assert_snapshot!(format!("plan_{name}"), text);
    }
}

#[test]
fn markdown_and_graph_exports() {
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    let r = root.to_str().unwrap();
    let (md, _) = cli(&["runbook", "export", r, "--format", "md"]);
    assert!(md.starts_with("# Cutover runbook: sakila-mysql-to-postgres"));
    assert_eq!(md.matches("⛔ PONR").count(), 1);

    let (dot, _) = cli(&["graph", r, "--format", "dot"]);
    assert!(dot.starts_with("digraph migration {"));
    assert!(dot.contains("subgraph cluster_wave_1"));
    assert_eq!(
        dot.matches("style=dashed, color=red").count(),
        1,
        "the deferred FK"
    );

    let (json, _) = cli(&["graph", r, "--format", "json"]);
    let graph: GraphJson = serde_json::from_str(&json).expect("valid graph JSON");
    assert_eq!(graph.nodes.iter().filter(|n| n.kind == "table").count(), 16);
    assert_eq!(graph.edges.iter().filter(|e| e.deferred).count(), 1);
    let wave = |id: &str| graph.nodes.iter().find(|n| n.id == id).unwrap().wave;
    assert!(wave("table:sakila.rental") > wave("table:sakila.inventory"));
}

#[tokio::test]
async fn reimport_is_idempotent() {
    let (_dir, root) = sample("pagila-postgres-upgrade");
    let project = Project::open(&root).unwrap();
    let (first, report) = project.import().await.unwrap();
    assert!(report.changed);
    let (second, report) = project.import().await.unwrap();
    assert!(!report.changed);
    assert_eq!(first, second);
    let store = project.store().await.unwrap();
    assert_eq!(store.inventory().await.unwrap().unwrap().inventory, first);
    assert_eq!(store.import_count().await.unwrap(), 2);
}

#[test]
fn init_then_import_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("fresh");
    std::fs::create_dir_all(root.join("ddl")).unwrap();
    std::fs::copy(
        common::dataset("chinook/ChinookDatabase/DataSources/Chinook_MySql.sql"),
        root.join("ddl/chinook.sql"),
    )
    .unwrap();
    let r = root.to_str().unwrap();
    cli(&[
        "init",
        r,
        "--source",
        "mariadb",
        "--target",
        "postgres",
        "--input",
        "ddl/chinook.sql",
    ]);
    let (out, _) = cli(&["import", r, "--json"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["tables"], 11);
    assert_eq!(report["foreign_keys"], 11);
    let failed = Command::new(env!("CARGO_BIN_EXE_migration-studio"))
        .args(["init", r, "--source", "mysql", "--target", "postgres"])
        .output()
        .unwrap();
    assert_eq!(
        failed.status.code(),
        Some(2),
        "init twice is refused as bad input"
    );
    assert!(String::from_utf8_lossy(&failed.stderr).contains("already exists"));
}
