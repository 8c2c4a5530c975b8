//! An upgrade's checks in the plan, its runbook and exports, and in the mapping review: the
//! release notes applied to the inventory, and the findings and steps the latest rehearsal of the
//! same version pair read from both servers' catalogs (a report.json planted in a copy of the
//! Pagila sample, PostgreSQL 15 → 17, as the docker rehearsal writes it). A project that is no
//! upgrade gets nothing of it.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{cli_ok, sample};
use migration_studio::inventory::Severity;
use migration_studio::rehearsal::{history_dir, RehearsalReport};
use migration_studio::upgrade::{UpgradeFinding, UpgradeStep};

const PAGILA: &str = "pagila-postgres-upgrade";
const RUN: &str = "1795400000-0a1b2c";

/// Plants a rehearsal of `project` between servers reporting `versions`, with a U003 finding on
/// `public.idx_title` and its REINDEX step, as a rehearsal's report carries them.
fn plant_rehearsal(root: &Path, id: &str, versions: (&str, &str)) {
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rehearsals/1795316916-5cf700/report.json");
    let mut report: RehearsalReport =
        serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
    report.id = id.into();
    report.project = PAGILA.into();
    report.server_versions = (versions.0.into(), versions.1.into());
    report.upgrade_findings = vec![
        UpgradeFinding {
            code: "U003".into(),
            severity: Severity::Warning,
            message: "the database's default collation (icu und) is version 153.120 on the source and icu 153.128 on the target".into(),
            objects: vec!["public.idx_title".into()],
            suggestion: "REINDEX the indexes on the target after the move".into(),
        },
        UpgradeFinding {
            code: "U006".into(),
            severity: Severity::Notice,
            message: "3 server parameter(s) of PostgreSQL 15 do not exist in PostgreSQL 17".into(),
            objects: vec!["old_snapshot_threshold".into()],
            suggestion: "remove them".into(),
        },
    ];
    report.upgrade_steps = vec![UpgradeStep {
        code: "U003".into(),
        title: "Rebuild 1 index(es) under collation \"default\" and record its new version".into(),
        sql: vec![
            "REINDEX INDEX CONCURRENTLY \"public\".\"idx_title\"".into(),
            "ALTER DATABASE <database> REFRESH COLLATION VERSION".into(),
        ],
        expected_seconds: 90.0,
        estimate_basis: "estimate: 18000000 rows at 200000 rows/s".into(),
    }];
    let dir = history_dir(root).join(id);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("report.json"),
        serde_json::to_string_pretty(&report).unwrap(),
    )
    .unwrap();
}

fn plan_json(root: &Path) -> serde_json::Value {
    serde_json::from_str(&cli_ok(&["plan", root.to_str().unwrap(), "--json"])).unwrap()
}

fn codes(plan: &serde_json::Value) -> Vec<String> {
    plan["upgrade"]["findings"]
        .as_array()
        .expect("an upgrade's plan carries its findings")
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect()
}

fn read_csv(path: &Path) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    reader
        .records()
        .map(|r| {
            headers
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

#[test]
fn without_a_rehearsal_the_plan_carries_the_release_notes_findings_and_no_step() {
    let (_dir, root) = sample(PAGILA);
    // A rehearsal of another version pair (the local provider's 15 → 15) measured nothing of it.
    plant_rehearsal(
        &root,
        RUN,
        (
            "15.14 (Debian 15.14-0+deb12u1)",
            "15.14 (Debian 15.14-0+deb12u1)",
        ),
    );
    let plan = plan_json(&root);
    assert_eq!(codes(&plan), ["U008"]);
    assert!(plan["upgrade"].get("rehearsal").is_none());
    let objects = plan["upgrade"]["findings"][0]["objects"].to_string();
    assert!(
        objects.contains("public.film index idx_title (title)"),
        "{objects}"
    );
    assert!(plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s.get("finding").is_none()));
    let text = cli_ok(&["plan", root.to_str().unwrap()]);
    assert!(
        text.contains("Upgrade PostgreSQL 15 → 17: 1 finding(s)"),
        "{text}"
    );
    assert!(text.contains("U008 notice"), "{text}");
}

#[test]
fn a_rehearsal_of_the_pair_adds_its_findings_and_the_reindex_step_to_the_runbook_and_its_exports() {
    let (_dir, root) = sample(PAGILA);
    plant_rehearsal(
        &root,
        RUN,
        (
            "15.20 (Debian 15.20-0+deb12u1)",
            "17.12 (Debian 17.12-0+deb13u1)",
        ),
    );
    let root_arg = root.to_str().unwrap();

    let plan = plan_json(&root);
    assert_eq!(
        codes(&plan),
        ["U003", "U006"],
        "U008 gives way to the measured collations"
    );
    assert_eq!(plan["upgrade"]["rehearsal"], RUN);
    assert_eq!(plan["upgrade"]["findings"][0]["rehearsal"], RUN);
    let steps = plan["steps"].as_array().unwrap();
    let reindex: Vec<&serde_json::Value> =
        steps.iter().filter(|s| s["finding"] == "U003").collect();
    assert_eq!(reindex.len(), 1);
    assert_eq!(reindex[0]["action"], "upgrade_statements");
    assert_eq!(reindex[0]["phase"], "constraints");
    assert_eq!(reindex[0]["expected_minutes"], 1.5);
    assert_eq!(
        reindex[0]["statements"][0],
        "REINDEX INDEX CONCURRENTLY \"public\".\"idx_title\""
    );

    let csv_path = root.join("runbook.csv");
    let text = cli_ok(&[
        "plan",
        root_arg,
        "--runbook-csv",
        csv_path.to_str().unwrap(),
    ]);
    assert!(
        text.contains(&format!("U003 warning (rehearsal {RUN})")),
        "{text}"
    );
    assert!(text.contains("runbook S"), "{text}");
    let rows = read_csv(&csv_path);
    let at = |pred: &dyn Fn(&HashMap<String, String>) -> bool| rows.iter().position(pred).unwrap();
    let step = at(&|r| r["title"].starts_with("U003: Rebuild 1 index(es)"));
    let row = &rows[step];
    assert_eq!(row["phase"], "constraints");
    assert_eq!(row["expected_minutes"], "1.5");
    assert_eq!(
        row["estimate_basis"],
        format!("estimate: 18000000 rows at 200000 rows/s (read in rehearsal {RUN})")
    );
    // On the target after the copy's indexes, before the catch-up and the swap.
    let constraints = at(&|r| r["title"].starts_with("Create ") && r["phase"] == "constraints");
    let swap = at(&|r| r["phase"] == "cutover");
    let catch_up = at(&|r| r["phase"] == "catch-up");
    assert!(constraints < step && step < catch_up && catch_up < swap);
    assert!(row["depends_on"]
        .split(' ')
        .any(|d| d == rows[step - 1]["step_id"]));
    // The step's id is the plan's: the same in the JSON and the CSV.
    assert_eq!(reindex[0]["id"].as_str().unwrap(), row["step_id"]);

    let argo_path = root.join("cutover.yaml");
    cli_ok(&[
        "runbook",
        "export",
        root_arg,
        "--format",
        "argo",
        "-o",
        argo_path.to_str().unwrap(),
    ]);
    let argo = std::fs::read_to_string(&argo_path).unwrap();
    assert!(
        argo.contains(&format!("step {} (upgrade-statements)", row["step_id"])),
        "the orchestrator's task for the step waits for the team's command"
    );

    let md = cli_ok(&["runbook", "export", root_arg, "--format", "md"]);
    assert!(md.contains("## Upgrade checks: PostgreSQL 15 → 17"), "{md}");
    assert!(md.contains("| U003 | warning | rehearsal"), "{md}");
    assert!(
        md.contains("REINDEX INDEX CONCURRENTLY \"public\".\"idx_title\";"),
        "{md}"
    );
}

#[test]
fn a_project_that_is_no_upgrade_gets_no_upgrade_checks() {
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    let plan = plan_json(&root);
    assert!(plan.get("upgrade").is_none());
    assert!(plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s.get("finding").is_none() && s["action"] != "upgrade_statements"));
}

#[test]
fn the_mapping_review_lists_the_upgrade_findings_with_their_codes() {
    let (_dir, root) = sample(PAGILA);
    let root_arg = root.to_str().unwrap();
    cli_ok(&["mapping", "init", root_arg]);
    let review: serde_json::Value =
        serde_json::from_str(&cli_ok(&["mapping", "review", root_arg, "--json"])).unwrap();
    assert_eq!(codes(&review), ["U008"]);

    plant_rehearsal(
        &root,
        RUN,
        (
            "15.20 (Debian 15.20-0+deb12u1)",
            "17.12 (Debian 17.12-0+deb13u1)",
        ),
    );
    let review: serde_json::Value =
        serde_json::from_str(&cli_ok(&["mapping", "review", root_arg, "--json"])).unwrap();
    assert_eq!(codes(&review), ["U003", "U006"]);
    assert_eq!(
        review["upgrade"]["findings"][0]["objects"][0],
        "public.idx_title"
    );
    assert_eq!(
        review["blocking"], 0,
        "upgrade findings never block the review"
    );
    let text = cli_ok(&["mapping", "review", root_arg]);
    assert!(text.contains("Upgrade PostgreSQL 15 → 17:"), "{text}");
    assert!(
        text.contains(&format!("U003 warning public.idx_title (rehearsal {RUN})")),
        "{text}"
    );

    // Sakila's review fails on its unaccepted errors (exit 1), and prints its JSON all the same.
    let (_dir, sakila) = sample("sakila-mysql-to-postgres");
    let sakila_arg = sakila.to_str().unwrap();
    cli_ok(&["mapping", "init", sakila_arg]);
    let output = Command::new(env!("CARGO_BIN_EXE_migration-studio"))
        .args(["mapping", "review", sakila_arg, "--json"])
        .output()
        .unwrap();
    let review: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(review["findings"].as_array().is_some_and(|f| !f.is_empty()));
    assert!(review.get("upgrade").is_none());
}

/// In every shape's runbook the step follows the target's constraints and indexes, depends on
/// them, and comes before the switch.
#[test]
fn every_shape_runs_the_upgrade_step_after_the_indexes_and_before_the_switch() {
    use migration_studio::graph::DependencyGraph;
    use migration_studio::import::Engine;
    use migration_studio::plan::{MigrationShape, Phase, Plan, PlanSettings, StepAction};
    use migration_studio::upgrade::{Measured, UpgradeChecks};

    let inventory = common::import_scripts(Engine::Postgres, &common::pagila_scripts());
    let graph = DependencyGraph::from_inventory(&inventory);
    let steps = [UpgradeStep {
        code: "U003".into(),
        title: "Rebuild 1 index(es)".into(),
        sql: vec!["REINDEX INDEX CONCURRENTLY \"public\".\"idx_title\"".into()],
        expected_seconds: 30.0,
        estimate_basis: "estimate: 6000000 rows at 200000 rows/s".into(),
    }];
    let checks = UpgradeChecks::new(
        Engine::Postgres,
        "15",
        "17",
        &inventory,
        Some(Measured {
            run_id: RUN,
            findings: &[],
            steps: &steps,
        }),
    );
    for shape in [
        MigrationShape::Offline,
        MigrationShape::DualWrite,
        MigrationShape::Cdc,
        MigrationShape::BlueGreen,
    ] {
        let settings = PlanSettings {
            shape,
            ..PlanSettings::default()
        };
        let plain = Plan::build(&graph, &settings);
        let plan = Plan::build_with(&graph, &settings, None, Some(&checks));
        assert_eq!(plan.steps.len(), plain.steps.len() + 1, "{shape}");
        let at = plan
            .steps
            .iter()
            .position(|s| s.action == StepAction::UpgradeStatements)
            .unwrap();
        let step = &plan.steps[at];
        assert_eq!(step.finding.as_deref(), Some("U003"));
        assert_eq!(step.phase, Phase::Constraints);
        assert_eq!(step.expected_minutes, 0.5);
        let last_index = plan
            .steps
            .iter()
            .rposition(|s| {
                matches!(
                    s.action,
                    StepAction::CreateConstraints | StepAction::CreateViewsAndTriggers
                )
            })
            .unwrap();
        let switch = plan
            .steps
            .iter()
            .position(|s| matches!(s.action, StepAction::SwitchWrites | StepAction::SwitchReads))
            .unwrap();
        assert!(last_index < at && at < switch, "{shape}: {at}");
        assert_eq!(
            step.depends_on,
            [plan.steps[last_index].id.clone()],
            "{shape}"
        );
    }
}
