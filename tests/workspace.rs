//! The workspace a front end keeps open: derived values, blast radius, runbook edits persisted
//! in the store and applied to the plan and its exports.

use std::path::Path;

use migration_studio::export::RUNBOOK_CSV_COLUMNS;
use migration_studio::workspace::{step_key, RunbookFormat, StepEdit, Workspace, WorkspaceError};

fn copy_sakila(to: &Path) {
    let from =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-projects/sakila-mysql-to-postgres");
    std::fs::create_dir_all(to.join("data")).unwrap();
    std::fs::copy(
        from.join("migration-studio.toml"),
        to.join("migration-studio.toml"),
    )
    .unwrap();
    for file in ["sakila-mv-schema.sql", "sakila-mv-data.sql"] {
        std::fs::copy(from.join("data").join(file), to.join("data").join(file)).unwrap();
    }
}

#[tokio::test]
async fn edits_persist_and_reach_the_exports() {
    let dir = tempfile::tempdir().unwrap();
    copy_sakila(dir.path());
    let mut ws = Workspace::open(dir.path()).await.unwrap();
    assert_eq!(ws.inventory().tables.len(), 16);
    let json = ws.graph_json();
    assert!(json
        .nodes
        .iter()
        .any(|n| n.id == "table:rental" || n.id.ends_with(".rental")));

    let backfill = ws
        .plan()
        .steps
        .iter()
        .find(|s| s.artifact.is_some())
        .unwrap()
        .clone();
    let key = step_key(&backfill);
    ws.edit_step(StepEdit {
        step_key: key.clone(),
        owner: Some("  Team Rentals ".into()),
        expected_minutes: Some(42.0),
        notes: Some("check the trigger first".into()),
    })
    .await
    .unwrap();

    // Reopened from disk: the edit is there, the step changed, the schedule follows.
    let ws = Workspace::open(dir.path()).await.unwrap();
    assert_eq!(ws.edits().len(), 1);
    let step = ws.plan().steps.iter().find(|s| step_key(s) == key).unwrap();
    assert_eq!(step.owner, "Team Rentals");
    assert_eq!(step.expected_minutes, 42.0);
    assert!(step.estimate_basis.starts_with("edited: 42 min"));
    assert!(ws.plan().schedule.total_minutes >= 42.0);

    let csv = String::from_utf8(ws.runbook(RunbookFormat::Csv).unwrap()).unwrap();
    assert!(csv.starts_with(&RUNBOOK_CSV_COLUMNS.join(",")));
    assert!(csv.contains("Team Rentals"));
    let md = String::from_utf8(ws.runbook(RunbookFormat::Markdown).unwrap()).unwrap();
    assert!(md.contains("Team Rentals"));

    // An empty edit removes it.
    let mut ws = ws;
    ws.edit_step(StepEdit {
        step_key: key.clone(),
        owner: Some(" ".into()),
        expected_minutes: None,
        notes: None,
    })
    .await
    .unwrap();
    assert!(ws.edits().is_empty());
    let ws = Workspace::open(dir.path()).await.unwrap();
    assert!(ws.edits().is_empty());
    assert_eq!(
        ws.plan()
            .steps
            .iter()
            .find(|s| step_key(s) == key)
            .unwrap()
            .owner,
        backfill.owner
    );
}

#[tokio::test]
async fn bad_edits_and_unknown_ids_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    copy_sakila(dir.path());
    let mut ws = Workspace::open(dir.path()).await.unwrap();
    let key = step_key(&ws.plan().steps[0]);
    let err = ws
        .edit_step(StepEdit {
            step_key: key,
            owner: None,
            expected_minutes: Some(-1.0),
            notes: None,
        })
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        WorkspaceError::InvalidEdit {
            field: "expected_minutes",
            ..
        }
    ));
    let err = ws
        .edit_step(StepEdit {
            step_key: "prepare:no such step".into(),
            owner: Some("x".into()),
            expected_minutes: None,
            notes: None,
        })
        .await
        .unwrap_err();
    assert!(matches!(err, WorkspaceError::UnknownStep(_)));
    assert!(matches!(
        ws.blast_radius(&["table:nope".into()]),
        Err(WorkspaceError::UnknownArtifact(_))
    ));
    // Blast radius of a referenced table includes what references it.
    let json = ws.graph_json();
    let film = json
        .nodes
        .iter()
        .find(|n| n.name.ends_with("film"))
        .unwrap();
    let blast = ws.blast_radius(std::slice::from_ref(&film.id)).unwrap();
    assert!(
        blast.affected.iter().any(|a| a.ends_with("inventory")),
        "{blast:?}"
    );

    let out = dir.path().join("runbook.csv");
    let bytes = ws.write_runbook(RunbookFormat::Csv, &out).unwrap();
    assert_eq!(bytes, std::fs::metadata(&out).unwrap().len());
    let err = ws
        .write_runbook(RunbookFormat::Csv, &dir.path().join("missing/dir/r.csv"))
        .unwrap_err();
    assert!(matches!(err, WorkspaceError::Write { .. }));
}

#[tokio::test]
async fn an_artifact_detail_shows_its_definition_fks_both_ways_and_why_its_wave() {
    let dir = tempfile::tempdir().unwrap();
    copy_sakila(dir.path());
    let ws = Workspace::open(dir.path()).await.unwrap();
    let rental = ws
        .graph_json()
        .nodes
        .iter()
        .find(|n| n.kind == "table" && n.name.ends_with("rental"))
        .unwrap()
        .id
        .clone();
    let d = ws.artifact_detail(&rental).unwrap();
    assert_eq!(d.kind, "table");
    let table = d.table.as_ref().unwrap();
    assert!(table
        .columns
        .iter()
        .any(|c| c.name == "rental_id" && c.primary_key && !c.nullable));
    // Generated keys and defaults in the source engine's words (Sakila is MySQL).
    let column = |name: &str| table.columns.iter().find(|c| c.name == name).unwrap();
    assert_eq!(
        column("rental_id").generated.as_deref(),
        Some("AUTO_INCREMENT")
    );
    assert_eq!(column("rental_id").default, None);
    let last_update = column("last_update");
    assert_eq!(last_update.generated, None);
    assert_eq!(last_update.default.as_deref(), Some("CURRENT_TIMESTAMP"));
    assert_eq!(last_update.on_update.as_deref(), Some("CURRENT_TIMESTAMP"));
    assert_eq!(table.primary_key, ["rental_id"]);
    assert!(!table.indexes.is_empty(), "rental's indexes: {table:?}");
    // rental references customer, inventory and staff; payment references rental.
    let out: Vec<&str> = d
        .foreign_keys_out
        .iter()
        .map(|f| f.to_table.rsplit('.').next().unwrap())
        .collect();
    for t in ["customer", "inventory", "staff"] {
        assert!(out.contains(&t), "rental's FKs out: {out:?}");
    }
    assert!(d
        .foreign_keys_in
        .iter()
        .any(|f| f.from_table.ends_with("payment") && f.columns == ["rental_id"]));
    assert!(d.rows.unwrap() > 10_000, "rental's rows: {:?}", d.rows);
    // Its wave comes after the latest of its dependencies, named.
    let waves = ws.plan().order.wave_of();
    assert_eq!(d.wave.number, waves[rental.as_str()]);
    assert!(!d.wave.after.is_empty());
    for (id, wave) in &d.wave.after {
        assert_eq!(*wave, d.wave.number - 1, "{id}");
    }
    assert!(
        d.wave
            .because
            .starts_with(&format!("Wave {}: after ", d.wave.number)),
        "{}",
        d.wave.because
    );

    // An id not in the graph is refused, naming it.
    let err = ws.artifact_detail("table:nowhere").unwrap_err();
    assert!(matches!(err, WorkspaceError::UnknownArtifact(ref id) if id == "table:nowhere"));
}
