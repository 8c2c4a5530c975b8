//! The migration job lifecycle: promotion only on criteria held over the windows, demotion
//! with the reason recorded, flapping held, cleanup approved, a killed loop resumed, bad
//! manifest input named, and row counts and checksums measured on real PostgreSQL databases.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{mariadb, no_scratch_databases, psql, sample, ScratchMaria, ScratchPg};
use migration_studio::lifecycle::{
    tick, Actor, Criterion, Job, LifecycleError, LifecycleSettings, LifecycleStore, Phase,
    Resources, Window,
};
use migration_studio::project::{Project, Store, STORE_FILE};
use migration_studio::workspace::lifecycle::rehearse::RehearseRequest;
use migration_studio::workspace::lifecycle::run::{Measurements, RunRequest};
use migration_studio::workspace::lifecycle::{approve, rehearse, run, status};
use migration_studio::workspace::Cancel;

/// A window in which every criterion holds.
fn good() -> Window {
    Window {
        old_rows: Some(100),
        new_rows: Some(100),
        checksum_match: Some(true),
        old_latency_seconds: Some(2.0),
        new_latency_seconds: Some(2.0),
        old_resources: Some(Resources {
            rows_read: Some(1000),
            bytes_written: Some(5000),
            cpu_ms: Some(40.0),
            ..Resources::default()
        }),
        new_resources: Some(Resources {
            rows_read: Some(900),
            bytes_written: Some(5000),
            cpu_ms: Some(41.0),
            ..Resources::default()
        }),
        failed_assertions: None,
    }
}

fn checksum_mismatch() -> Window {
    Window {
        checksum_match: Some(false),
        ..good()
    }
}

fn latency_regression() -> Window {
    Window {
        new_latency_seconds: Some(3.0),
        ..good()
    }
}

fn resource_regression() -> Window {
    Window {
        new_resources: Some(Resources {
            rows_read: Some(5000),
            bytes_written: Some(5000),
            cpu_ms: Some(40.0),
            ..Resources::default()
        }),
        ..good()
    }
}

fn windows(pairs: &[(&str, Window)]) -> HashMap<String, Window> {
    pairs
        .iter()
        .map(|(j, w)| ((*j).to_owned(), w.clone()))
        .collect()
}

/// Runs ticks at times 1, 2, … from `jobs`, one window set each; returns the jobs after.
fn run_ticks(
    mut jobs: Vec<Job>,
    sets: &[HashMap<String, Window>],
    settings: &LifecycleSettings,
) -> (Vec<Job>, Vec<migration_studio::lifecycle::Transition>) {
    let mut all = Vec::new();
    for (i, set) in sets.iter().enumerate() {
        let out = tick(&jobs, set, settings, (i + 1) as f64);
        all.extend(out.transitions);
        jobs = out.jobs;
    }
    (jobs, all)
}

#[test]
fn promotion_only_when_every_criterion_holds_over_the_configured_windows() {
    let settings = LifecycleSettings::default(); // 3 windows
    let jobs = vec![Job::planned("a".into(), 0.0), Job::planned("b".into(), 0.0)];
    // Tick 1 starts both shadows; then `a` holds 3 windows, `b` holds 2, fails 1, holds 2.
    let sets = [
        windows(&[]),
        windows(&[("a", good()), ("b", good())]),
        windows(&[("a", good()), ("b", good())]),
        windows(&[("a", good()), ("b", latency_regression())]),
        windows(&[("b", good())]),
        windows(&[("b", good())]),
    ];
    let (jobs, transitions) = run_ticks(jobs, &sets[..4], &settings);
    assert_eq!(jobs[0].phase, Phase::ReverseShadow, "a held 3 windows");
    assert_eq!(jobs[1].phase, Phase::Shadow, "b failed its third window");
    assert!(
        jobs[1].failures[0].starts_with("L003 latency"),
        "{:?}",
        jobs[1].failures
    );
    let promotion = transitions
        .iter()
        .find(|t| t.job == "a" && t.to == Phase::ReverseShadow)
        .unwrap();
    assert_eq!(promotion.actor, Actor::Loop);
    assert_eq!(
        promotion.window.as_ref(),
        Some(&good()),
        "criteria values recorded"
    );
    // Two more good windows are not three in a row.
    let (jobs, _) = run_ticks(jobs, &sets[4..], &settings);
    assert_eq!(jobs[1].phase, Phase::Shadow);
    assert_eq!(jobs[1].streak, 2);

    // A criterion left unmeasured does not hold; a job that does not check it is promoted.
    let mut settings = LifecycleSettings {
        windows: 1,
        ..LifecycleSettings::default()
    };
    let counts_only = Window {
        old_rows: Some(5),
        new_rows: Some(5),
        checksum_match: Some(true),
        ..Window::default()
    };
    let jobs = vec![Job::planned("c".into(), 0.0)];
    let sets = [windows(&[]), windows(&[("c", counts_only.clone())])];
    let (after, _) = run_ticks(jobs.clone(), &sets, &settings);
    assert_eq!(after[0].phase, Phase::Shadow);
    assert!(after[0].failures.iter().all(|f| f.starts_with("L005")));
    settings.jobs.insert(
        "c".into(),
        migration_studio::lifecycle::JobSettings {
            criteria: Some(vec![Criterion::DataQuality]),
            ..Default::default()
        },
    );
    let (after, _) = run_ticks(jobs, &sets, &settings);
    assert_eq!(after[0].phase, Phase::ReverseShadow);
}

#[test]
fn each_regression_blocks_promotion_and_demotes_a_promoted_job_with_its_reason() {
    let settings = LifecycleSettings {
        windows: 2,
        ..LifecycleSettings::default()
    };
    for (bad, code) in [
        (checksum_mismatch(), "L002 data_quality"),
        (latency_regression(), "L003 latency"),
        (resource_regression(), "L004 resources"),
    ] {
        // Blocked: a bad window in shadow resets the count; no promotion.
        let jobs = vec![Job::planned("t".into(), 0.0)];
        let sets = [
            windows(&[]),
            windows(&[("t", good())]),
            windows(&[("t", bad.clone())]),
            windows(&[("t", good())]),
        ];
        let (after, transitions) = run_ticks(jobs, &sets, &settings);
        assert_eq!(after[0].phase, Phase::Shadow, "{code}: blocked");
        assert_eq!(transitions.len(), 1, "{code}: only the start");

        // Demoted: promoted after two good windows, then a bad one.
        let jobs = vec![Job::planned("t".into(), 0.0)];
        let sets = [
            windows(&[]),
            windows(&[("t", good())]),
            windows(&[("t", good())]),
            windows(&[("t", bad.clone())]),
        ];
        let (after, transitions) = run_ticks(jobs, &sets, &settings);
        assert_eq!(after[0].phase, Phase::Shadow, "{code}: demoted");
        let demotion = transitions.last().unwrap();
        assert_eq!(
            (demotion.from, demotion.to),
            (Phase::ReverseShadow, Phase::Shadow)
        );
        assert!(demotion.reason.starts_with(code), "{}", demotion.reason);
        assert_eq!(demotion.window.as_ref(), Some(&bad));
    }
}

#[test]
fn a_flapping_job_is_held() {
    let settings = LifecycleSettings {
        windows: 1,
        flap_limit: 3,
        flap_window_seconds: 100.0,
        ..LifecycleSettings::default()
    };
    let jobs = vec![
        Job::planned("f".into(), 0.0),
        Job::planned("steady".into(), 0.0),
    ];
    let mut sets = vec![windows(&[])];
    for i in 0..6 {
        let w = if i % 2 == 0 {
            good()
        } else {
            checksum_mismatch()
        };
        sets.push(windows(&[("f", w), ("steady", good())]));
    }
    let (after, transitions) = run_ticks(jobs, &sets, &settings);
    assert_eq!(after[0].phase, Phase::Held, "{transitions:#?}");
    assert_eq!(after[0].held_from, Some(Phase::Shadow));
    let held = transitions.iter().find(|t| t.to == Phase::Held).unwrap();
    assert!(
        held.reason.contains("4 promotions and demotions"),
        "{}",
        held.reason
    );
    // The steady job is never held (it waits for approval in reverse shadow).
    assert_eq!(after[1].phase, Phase::ReverseShadow);
    assert!(after[1].awaiting_approval);
    // Flips older than the window do not count.
    let slow = LifecycleSettings {
        flap_window_seconds: 1.5,
        ..settings
    };
    let (after, _) = run_ticks(vec![Job::planned("f".into(), 0.0)], &sets, &slow);
    assert_ne!(after[0].phase, Phase::Held);
}

/// A project with tables `a`, `b` and `c` (a PostgreSQL DDL script) and `manifest_extra`
/// appended to its manifest.
fn project(dir: &Path, manifest_extra: &str) -> PathBuf {
    project_with(dir, &["a", "b", "c"], manifest_extra)
}

/// A project with `tables` (each `id integer PRIMARY KEY, v text`), as [`project`].
fn project_with(dir: &Path, tables: &[&str], manifest_extra: &str) -> PathBuf {
    let root = dir.join("proj");
    std::fs::create_dir_all(root.join("ddl")).unwrap();
    let ddl: String = tables
        .iter()
        .map(|t| format!("CREATE TABLE {t} (id integer PRIMARY KEY, v text);\n"))
        .collect();
    std::fs::write(root.join("ddl/schema.sql"), ddl).unwrap();
    std::fs::write(
        root.join("migration-studio.toml"),
        format!(
            "name = \"lc\"\nrto_minutes = 30\nmaintenance_window_minutes = 60\n\n\
             [source]\nengine = \"postgres\"\n\n[target]\nengine = \"postgres\"\n\n\
             [[inputs]]\npath = \"ddl/schema.sql\"\n\n{manifest_extra}"
        ),
    )
    .unwrap();
    root
}

fn measurement_file(dir: &Path, ticks: &[HashMap<String, Window>]) -> PathBuf {
    let path = dir.join("measurements.json");
    let json = serde_json::json!({ "ticks": ticks });
    std::fs::write(&path, serde_json::to_string_pretty(&json).unwrap()).unwrap();
    path
}

fn request(file: &Path, max_ticks: Option<u64>) -> RunRequest {
    RunRequest {
        measurements: Measurements::File(file.to_owned()),
        max_ticks,
        interval: Some(std::time::Duration::ZERO),
    }
}

#[tokio::test]
async fn cleanup_needs_an_approval_unless_the_manifest_allows_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = project(
        dir.path(),
        "[lifecycle]\nwindows = 1\n\n[lifecycle.jobs.c]\nauto_cleanup = true\n",
    );
    let all = [("a", good()), ("b", good()), ("c", good())];
    let ticks: Vec<_> = (0..6).map(|_| windows(&all)).collect();
    let file = measurement_file(dir.path(), &ticks);
    let cancel = Cancel::new();
    let summary = run::run(&root, &request(&file, Some(4)), &cancel)
        .await
        .unwrap();
    assert!(!summary.settled);
    let view = status::status(&root, false, 10.0).await.unwrap();
    let waiting: Vec<(&str, Phase)> = view
        .jobs
        .iter()
        .map(|v| (v.job.id.as_str(), v.job.phase))
        .collect();
    assert_eq!(
        waiting,
        [
            ("public.a", Phase::ReverseShadow),
            ("public.b", Phase::ReverseShadow)
        ],
        "c cleaned up on its own; a and b wait"
    );
    assert!(view
        .jobs
        .iter()
        .all(|v| v.attention == [migration_studio::lifecycle::Attention::AwaitingApproval]));
    let c = view.phases.iter().find(|(p, _)| *p == Phase::Done).unwrap();
    assert_eq!(c.1, 1);

    // Approving a planned or done job is refused; approving `a` lets it through.
    // A job is named by its table alone when no other schema has one of that name.
    let refused = approve::approve(&root, "c", "ana", "", 11.0)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("is done"), "{refused}");
    // An approval is a person's: a blank name is refused and records nothing.
    let nobody = approve::approve(&root, "a", " ", "", 11.0)
        .await
        .unwrap_err();
    assert!(matches!(nobody, LifecycleError::NoApprover(_)), "{nobody}");
    approve::approve(&root, "a", "ana", "owners signed off", 11.0)
        .await
        .unwrap();
    let summary = run::run(&root, &request(&file, None), &cancel)
        .await
        .unwrap();
    let cleanup = summary
        .transitions
        .iter()
        .find(|t| t.job == "public.a" && t.to == Phase::Cleanup)
        .expect("a promoted into cleanup");
    assert_eq!(cleanup.actor, Actor::Person("ana".into()));
    assert!(
        cleanup
            .reason
            .ends_with("cleanup approved: owners signed off"),
        "{}",
        cleanup.reason
    );
    assert!(summary
        .transitions
        .iter()
        .all(|t| t.job != "public.b" || t.to != Phase::Cleanup));
    let store = LifecycleStore::new(Store::open(&root.join(STORE_FILE)).await.unwrap());
    let jobs = store.jobs().await.unwrap();
    assert_eq!(jobs[0].phase, Phase::Done);
    assert_eq!(jobs[1].phase, Phase::ReverseShadow);
}

#[tokio::test]
async fn a_killed_loop_resumes_from_the_recorded_states_with_no_job_skipped_or_repeated() {
    let dir = tempfile::tempdir().unwrap();
    let extra = "[lifecycle]\nwindows = 2\nauto_cleanup = true\n";
    let whole = project(&dir.path().join("whole"), extra);
    let killed = project(&dir.path().join("killed"), extra);
    let mut ticks = Vec::new();
    for i in 0..9 {
        let b = if i == 3 { checksum_mismatch() } else { good() };
        ticks.push(windows(&[
            ("a", good()),
            ("b", b),
            ("c", resource_regression()),
        ]));
    }
    let file = measurement_file(dir.path(), &ticks);
    let cancel = Cancel::new();
    let reference = run::run(&whole, &request(&file, None), &cancel)
        .await
        .unwrap();

    // The loop killed mid-tick: tick 4 is decided but never committed (the future dropped
    // after its decision, before its transaction); two more runs finish the work.
    run::run(&killed, &request(&file, Some(3)), &cancel)
        .await
        .unwrap();
    {
        let store = LifecycleStore::new(Store::open(&killed.join(STORE_FILE)).await.unwrap());
        let jobs = store.jobs().await.unwrap();
        let settings = Project::open(&killed).unwrap().manifest().lifecycle.clone();
        // The loop's own windows are keyed by job id (the file's by table name).
        let set: HashMap<String, Window> = ticks[3]
            .iter()
            .map(|(k, w)| (format!("public.{k}"), w.clone()))
            .collect();
        let lost = tick(&jobs, &set, &settings, 4.0);
        assert!(!lost.transitions.is_empty(), "the lost tick had work to do");
        drop(lost);
    }
    run::run(&killed, &request(&file, Some(2)), &cancel)
        .await
        .unwrap();
    run::run(&killed, &request(&file, None), &cancel)
        .await
        .unwrap();

    let whole_log = transition_log(&whole).await;
    let killed_log = transition_log(&killed).await;
    assert_eq!(killed_log, whole_log);
    assert_eq!(reference.transitions.len(), whole_log.len());
    // Every job's transitions are a chain: each starts where the previous ended.
    for job in ["public.a", "public.b", "public.c"] {
        let chain: Vec<_> = killed_log.iter().filter(|t| t.1 == job).collect();
        assert_eq!(chain[0].2, Phase::Planned);
        for pair in chain.windows(2) {
            assert_eq!(pair[0].3, pair[1].2, "{job}: {chain:?}");
        }
    }
    // b was demoted once by the planted mismatch, then finished; c never left shadow.
    assert!(killed_log
        .iter()
        .any(|t| t.1 == "public.b" && t.3 == Phase::Shadow && t.4.starts_with("L002")));
    let end: HashMap<_, _> = {
        let store = LifecycleStore::new(
            Store::open(&dir.path().join("killed/proj").join(STORE_FILE))
                .await
                .unwrap(),
        );
        store
            .jobs()
            .await
            .unwrap()
            .into_iter()
            .map(|j| (j.id, j.phase))
            .collect()
    };
    assert_eq!(end["public.a"], Phase::Done);
    assert_eq!(end["public.b"], Phase::Done);
    assert_eq!(end["public.c"], Phase::Shadow);
}

/// The project's recorded transitions: (tick, job, from, to, reason), in order.
async fn transition_log(root: &Path) -> Vec<(Option<i64>, String, Phase, Phase, String)> {
    let store = LifecycleStore::new(Store::open(&root.join(STORE_FILE)).await.unwrap());
    store
        .transitions(None)
        .await
        .unwrap()
        .into_iter()
        .map(|t| {
            (
                t.tick,
                t.transition.job,
                t.transition.from,
                t.transition.to,
                t.transition.reason,
            )
        })
        .collect()
}

fn cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_migration-studio"))
        .args(args)
        .output()
        .expect("the CLI runs")
}

#[test]
fn bad_lifecycle_input_names_the_manifest_file_line_and_field_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    for (extra, line, field) in [
        (
            "[lifecycle]\ncriteria = [\"data_quality\", \"speed\"]\n",
            15,
            "criteria",
        ),
        ("[lifecycle]\nwindows = 3\nflapping = 2\n", 16, "flapping"),
        (
            "[lifecycle]\nlatency_tolerance = -0.5\n",
            15,
            "latency_tolerance",
        ),
        ("[lifecycle.jobs.a]\nwindows = 0\n", 15, "windows"),
        (
            "[lifecycle.jobs.a]\ncriteria = [\"cost\"]\n",
            15,
            "criteria",
        ),
    ] {
        let sub = dir.path().join(field).join(line.to_string());
        let root = project(&sub, extra);
        let out = cli(&["lifecycle", "status", root.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra}: {stderr}");
        assert!(
            stderr.contains(&format!("migration-studio.toml:{line}")),
            "{extra}: {stderr}"
        );
        assert!(stderr.contains(&format!("`{field}`")), "{extra}: {stderr}");
    }
    // Settings for a job that is no table of the inventory.
    let root = project(
        &dir.path().join("unknown"),
        "[lifecycle.jobs.\"zebra\"]\nwindows = 2\n",
    );
    let out = cli(&["lifecycle", "status", root.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("migration-studio.toml:14"), "{stderr}");
    assert!(stderr.contains("zebra"), "{stderr}");
    // Approving a job that does not exist.
    let out = cli(&["lifecycle", "approve", root.to_str().unwrap(), "nope"]);
    assert_eq!(out.status.code(), Some(2));
    // A measurement file with a field no window has names its file and line.
    let root = project(&dir.path().join("file"), "");
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        "{\"ticks\": [\n  {\"a\": {\"old_rows\": 1,\n  \"speed\": 2}}\n]}\n",
    )
    .unwrap();
    let out = cli(&[
        "lifecycle",
        "run",
        root.to_str().unwrap(),
        "--measurements",
        bad.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("bad.json:3"), "{stderr}");
    assert!(stderr.contains("speed"), "{stderr}");
}

/// Row counts and checksums measured on two real PostgreSQL databases: the table with a
/// planted changed row stays in shadow with the mismatch recorded, the others are promoted.
#[test]
fn lifecycle_run_measures_counts_and_checksums_on_real_databases() {
    let source = ScratchPg::new("lc_src");
    let target = ScratchPg::new("lc_tgt");
    let ddl = "CREATE TABLE a (id integer PRIMARY KEY, v text);\n\
               CREATE TABLE b (id integer PRIMARY KEY, v text);\n\
               CREATE TABLE c (id integer PRIMARY KEY, v text);\n\
               INSERT INTO a SELECT g, 'a' || g FROM generate_series(1, 500) g;\n\
               INSERT INTO b SELECT g, 'b' || g FROM generate_series(1, 500) g;\n\
               INSERT INTO c SELECT g, 'c' || g FROM generate_series(1, 50) g;\n";
    psql(&source.name, &[], Some(ddl));
    psql(&target.name, &[], Some(ddl));
    // The planted divergence: one changed value, same row count.
    psql(
        &target.name,
        &["-c", "UPDATE b SET v = 'drift' WHERE id = 250"],
        None,
    );
    // c lost a row on the new side.
    psql(&target.name, &["-c", "DELETE FROM c WHERE id = 7"], None);
    let source_before = psql(
        &source.name,
        &["-tAc", "SELECT count(*), sum(length(v)) FROM b"],
        None,
    );

    let dir = tempfile::tempdir().unwrap();
    let root = project(
        dir.path(),
        "[lifecycle]\nwindows = 2\ncriteria = [\"data_quality\"]\n",
    );
    let out = cli(&[
        "lifecycle",
        "run",
        root.to_str().unwrap(),
        "--source-url",
        &source.url(),
        "--target-url",
        &target.url(),
        "--ticks",
        "5",
        "--interval",
        "0",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = cli(&["lifecycle", "status", root.to_str().unwrap(), "--json"]);
    assert!(out.status.success());
    let view: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let jobs = view["jobs"].as_array().unwrap();
    let by_id = |id: &str| {
        jobs.iter()
            .find(|j| j["id"] == format!("public.{id}"))
            .cloned()
    };
    let a = by_id("a").expect("a waits for approval");
    assert_eq!(a["phase"], "reverse_shadow");
    assert_eq!(a["attention"], serde_json::json!(["awaiting_approval"]));
    let b = by_id("b").expect("b regresses");
    assert_eq!(b["phase"], "shadow");
    assert!(
        b["failures"][0].as_str().unwrap().starts_with("L002"),
        "{b}"
    );
    let c = by_id("c").expect("c regresses");
    assert!(
        c["failures"][0]
            .as_str()
            .unwrap()
            .starts_with("L001 data_quality: rows old 50, new 49"),
        "{c}"
    );
    // Read-only on the source.
    let source_after = psql(
        &source.name,
        &["-tAc", "SELECT count(*), sum(length(v)) FROM b"],
        None,
    );
    assert_eq!(source_before, source_after);
    // The URLs (a password would be in them) are not in the store.
    let db = std::fs::read(root.join(STORE_FILE)).unwrap();
    let text = String::from_utf8_lossy(&db);
    assert!(!text.contains("postgres://"));
}

#[tokio::test]
async fn a_held_job_is_listed_and_a_person_releases_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = project(
        dir.path(),
        "[lifecycle]\nwindows = 1\nflap_limit = 2\ncriteria = [\"data_quality\"]\n",
    );
    let mut ticks = vec![windows(&[])];
    for i in 0..4 {
        let b = if i % 2 == 0 {
            good()
        } else {
            checksum_mismatch()
        };
        ticks.push(windows(&[("b", b)]));
    }
    let file = measurement_file(dir.path(), &ticks);
    run::run(&root, &request(&file, None), &Cancel::new())
        .await
        .unwrap();
    let view = status::status(&root, false, 0.0).await.unwrap();
    let held: Vec<_> = view
        .jobs
        .iter()
        .filter(|v| {
            v.attention
                .contains(&migration_studio::lifecycle::Attention::Held)
        })
        .map(|v| v.job.id.as_str())
        .collect();
    assert_eq!(held, ["public.b"]);
    let released = approve::approve(&root, "b", "ana", "checked by hand", 1.0)
        .await
        .unwrap();
    let t = released.transition.expect("a release is a transition");
    assert_eq!((t.from, t.to), (Phase::Held, Phase::ReverseShadow));
    assert_eq!(t.actor, Actor::Person("ana".into()));
    assert_eq!(t.reason, "released by a person: checked by hand");
    let store = LifecycleStore::new(Store::open(&root.join(STORE_FILE)).await.unwrap());
    let log = store.transitions(Some("public.b")).await.unwrap();
    assert_eq!(
        log.last().unwrap().tick,
        None,
        "a person's action is outside the ticks"
    );
    assert_eq!(log.last().unwrap().transition.to, Phase::ReverseShadow);
}

/// The CLI's loop killed with SIGKILL while it runs (between or inside ticks, wherever the
/// signal lands), then run again: the log equals an uninterrupted run's, tick for tick.
#[tokio::test]
async fn a_loop_killed_by_sigkill_resumes_with_the_same_log() {
    let dir = tempfile::tempdir().unwrap();
    let extra = "[lifecycle]\nwindows = 2\nauto_cleanup = true\n";
    let whole = project(&dir.path().join("whole"), extra);
    let killed = project(&dir.path().join("killed"), extra);
    let mut ticks = Vec::new();
    for i in 0..9 {
        let b = if i == 3 { checksum_mismatch() } else { good() };
        ticks.push(windows(&[
            ("a", good()),
            ("b", b),
            ("c", latency_regression()),
        ]));
    }
    let file = measurement_file(dir.path(), &ticks);
    run::run(&whole, &request(&file, None), &Cancel::new())
        .await
        .unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_migration-studio"))
        .args([
            "lifecycle",
            "run",
            killed.to_str().unwrap(),
            "--interval",
            "0.25",
        ])
        .arg("--measurements")
        .arg(&file)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("the CLI runs");
    std::thread::sleep(std::time::Duration::from_millis(900));
    child.kill().expect("killed"); // SIGKILL: no clean-up runs
    child.wait().unwrap();
    let at_kill = {
        let store = LifecycleStore::new(Store::open(&killed.join(STORE_FILE)).await.unwrap());
        store.last_tick().await.unwrap()
    };
    // Nine ticks 0.25 s apart take 2 s: the kill landed before the end.
    assert!(at_kill < 9, "killed after tick {at_kill}");
    let out = cli(&[
        "lifecycle",
        "run",
        killed.to_str().unwrap(),
        "--interval",
        "0",
        "--measurements",
        file.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    assert_eq!(
        transition_log(&killed).await,
        transition_log(&whole).await,
        "killed after tick {at_kill}"
    );
}

/// One loop per project: a second `lifecycle run` while the first runs is refused at once with
/// exit code 3 (the project is busy, like a database that refuses), naming the first one's
/// process, and changes nothing; once the first ends, the lock is gone with it.
#[test]
fn a_second_loop_on_the_same_project_is_refused_with_exit_code_3() {
    let dir = tempfile::tempdir().unwrap();
    let root = project(&dir.path().join("p"), "[lifecycle]\nwindows = 2\n");
    let ticks: Vec<_> = (0..8).map(|_| windows(&[("a", good())])).collect();
    let file = measurement_file(dir.path(), &ticks);
    let mut first = Command::new(env!("CARGO_BIN_EXE_migration-studio"))
        .args([
            "lifecycle",
            "run",
            root.to_str().unwrap(),
            "--interval",
            "0.5",
        ])
        .arg("--measurements")
        .arg(&file)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("the CLI runs");
    let lock = root.join(run::LOOP_LOCK_FILE);
    for _ in 0..100 {
        if lock.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let second = cli(&[
        "lifecycle",
        "run",
        root.to_str().unwrap(),
        "--interval",
        "0",
        "--measurements",
        file.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("another lifecycle loop")
            && stderr.contains(&format!("process {}", first.id())),
        "{stderr}"
    );
    assert!(first.wait().unwrap().success());
    assert!(!lock.exists(), "the lock file goes with the loop");
}

/// SQL assertions on real PostgreSQL databases: an assertion holding on both sides lets its
/// job through, a planted divergence it sees blocks a job in shadow and demotes a promoted one
/// with `L010` and the differing rows, and one that cannot run on a side fails; the source is
/// only read.
#[tokio::test]
async fn sql_assertions_decide_promotion_and_demotion_on_real_databases() {
    let source = ScratchPg::new("lc_as_src");
    let target = ScratchPg::new("lc_as_tgt");
    let ddl = "CREATE TABLE a (id integer PRIMARY KEY, v text);\n\
               CREATE TABLE b (id integer PRIMARY KEY, v text);\n\
               CREATE TABLE c (id integer PRIMARY KEY, v text);\n\
               INSERT INTO a SELECT g, 'a' || g FROM generate_series(1, 200) g;\n\
               INSERT INTO b SELECT g, 'b' || (g % 7) FROM generate_series(1, 200) g;\n\
               INSERT INTO c SELECT g, 'c' || g FROM generate_series(1, 20) g;\n";
    psql(&source.name, &[], Some(ddl));
    psql(&target.name, &[], Some(ddl));
    // The tables' own rows say nothing here: each job is held to its assertions alone.
    let dir = tempfile::tempdir().unwrap();
    let root = project(
        dir.path(),
        "[lifecycle]\nwindows = 1\ncriteria = [\"assertions\"]\n\n\
         [[lifecycle.jobs.a.assertions]]\nname = \"rows per v\"\n\
         sql = \"SELECT v, count(*) FROM a GROUP BY v\"\n\n\
         [[lifecycle.jobs.b.assertions]]\nname = \"b per bucket\"\n\
         sql = \"SELECT v, count(*) FROM b GROUP BY v\"\n\n\
         [[lifecycle.jobs.b.assertions]]\nname = \"b total\"\n\
         sql = \"SELECT count(*) FROM b\"\n\
         new_sql = \"SELECT count(*) + 0 FROM b\"\n\n\
         [[lifecycle.jobs.c.assertions]]\nname = \"c spelled\"\n\
         sql = \"SELECT count(*) FROM c\"\nnew_sql = \"SELECT count(nope) FROM c\"\n",
    );
    let source_before = psql(
        &source.name,
        &["-tAc", "SELECT md5(string_agg(v, ',' ORDER BY id)) FROM b"],
        None,
    );
    let request = |ticks| RunRequest {
        measurements: Measurements::Databases {
            source_url: source.url(),
            target_url: target.url(),
        },
        max_ticks: Some(ticks),
        interval: Some(std::time::Duration::ZERO),
    };
    let cancel = Cancel::new();
    // A divergence the assertion of `a` sees, planted before the first window.
    psql(
        &target.name,
        &["-c", "UPDATE a SET v = 'drift' WHERE id = 3"],
        None,
    );
    run::run(&root, &request(2), &cancel).await.unwrap();
    let jobs = jobs_by_id(&root).await;
    assert_eq!(jobs["public.a"].phase, Phase::Shadow, "blocked");
    assert!(
        jobs["public.a"].failures[0].starts_with(
            "L010 assertions: `rows per v` old 200 rows, new 200 rows, first difference"
        ),
        "{:?}",
        jobs["public.a"].failures
    );
    assert_eq!(
        jobs["public.b"].phase,
        Phase::ReverseShadow,
        "both of b's held"
    );
    assert_eq!(jobs["public.c"].phase, Phase::Shadow);
    assert!(
        jobs["public.c"].failures[0].contains("`c spelled` could not run"),
        "{:?}",
        jobs["public.c"].failures
    );

    // b promoted; now its new side moves one row to another bucket: demoted, with the reason.
    psql(
        &target.name,
        &["-c", "UPDATE b SET v = 'b1' WHERE id = 2"],
        None,
    );
    let summary = run::run(&root, &request(1), &cancel).await.unwrap();
    let demotion = summary
        .transitions
        .iter()
        .find(|t| t.job == "public.b")
        .expect("b moved");
    assert_eq!(
        (demotion.from, demotion.to),
        (Phase::ReverseShadow, Phase::Shadow)
    );
    assert!(
        demotion
            .reason
            .starts_with("L010 assertions: `b per bucket` old 7 rows, new 7 rows"),
        "{}",
        demotion.reason
    );
    assert!(!demotion.reason.contains("b total"), "{}", demotion.reason);
    let window = demotion.window.as_ref().unwrap();
    assert_eq!(window.failed_assertions.as_ref().map(Vec::len), Some(1));
    // Read-only on the source.
    let source_after = psql(
        &source.name,
        &["-tAc", "SELECT md5(string_agg(v, ',' ORDER BY id)) FROM b"],
        None,
    );
    assert_eq!(source_before, source_after);
}

/// Every job's stored state, by id.
async fn jobs_by_id(root: &Path) -> HashMap<String, Job> {
    let store = LifecycleStore::new(Store::open(&root.join(STORE_FILE)).await.unwrap());
    store
        .jobs()
        .await
        .unwrap()
        .into_iter()
        .map(|j| (j.id.clone(), j))
        .collect()
}

/// Bad assertions and criteria are refused before anything is opened: the error names the job,
/// the manifest file and line and the key; no store is created.
#[test]
fn a_bad_assertion_or_criterion_names_the_job_and_the_manifest_line_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let assertion = |sql: &str| {
        format!(
            "[lifecycle]\nwindows = 2\n\n[lifecycle.jobs.b]\nwindows = 1\n\n\
             [[lifecycle.jobs.b.assertions]]\nname = \"ok\"\nsql = \"SELECT 1\"\n\n\
             [[lifecycle.jobs.b.assertions]]\nname = \"bad\"\nsql = \"{sql}\"\n"
        )
    };
    for (i, (extra, line, words)) in [
        (assertion("SELEC count(*) FROM b"), 26, "does not parse"),
        (assertion("DELETE FROM b"), 26, "must be a SELECT"),
        (assertion("SELECT 1; SELECT 2"), 26, "one query, found 2"),
        (
            assertion("WITH d AS (DELETE FROM b RETURNING *) SELECT * FROM d"),
            26,
            "another statement",
        ),
        (assertion("SELECT * INTO b2 FROM b"), 26, "INTO"),
        (assertion("SELECT * FROM b FOR UPDATE"), 26, "lock rows"),
        (
            "[lifecycle.jobs.b]\nwindows = 1\n\n[[lifecycle.jobs.b.assertions]]\nname = \"n\"\n\
             sql = \"SELECT 1\"\nnew_sql = \"SELECT 1 +\"\n"
                .to_owned(),
            20,
            "`new_sql` does not parse",
        ),
        (
            "[lifecycle.jobs.b]\nwindows = 1\ncriteria = [\"data_quality\", \"cost\"]\n".to_owned(),
            16,
            "unknown variant `cost`",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let root = project(&dir.path().join(i.to_string()), &extra);
        let out = cli(&["lifecycle", "status", root.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra}: {stderr}");
        assert!(
            stderr.contains(&format!("migration-studio.toml:{line}")),
            "{extra}: {stderr}"
        );
        assert!(
            stderr.contains("`[lifecycle.jobs.\"b\"]`"),
            "{extra}: {stderr}"
        );
        assert!(stderr.contains(words), "{extra}: {stderr}");
        assert!(!root.join(STORE_FILE).exists(), "nothing created: {extra}");
    }
}

/// Resources from PostgreSQL's own statistics: a new side whose table needs much more storage
/// (two extra indexes) is blocked in shadow; once the others are promoted, one made to take
/// more storage and one whose new pipeline reads its table five more times per window are
/// demoted, each with the figure in its reason; the steady job is not.
#[tokio::test]
async fn a_resource_regression_in_the_databases_statistics_blocks_and_demotes() {
    let source = ScratchPg::new("lc_rs_src");
    let target = ScratchPg::new("lc_rs_tgt");
    let mut ddl = String::new();
    for t in ["a", "b", "c", "d"] {
        ddl.push_str(&format!(
            "CREATE TABLE {t} (id integer PRIMARY KEY, v text);\n\
             INSERT INTO {t} SELECT g, md5(g::text) FROM generate_series(1, 2000) g;\n"
        ));
    }
    psql(&source.name, &[], Some(&ddl));
    psql(&target.name, &[], Some(&ddl));
    psql(
        &target.name,
        &[],
        Some("CREATE INDEX b_v ON b (v, id); CREATE INDEX b_v2 ON b (v);"),
    );
    let dir = tempfile::tempdir().unwrap();
    let root = project_with(
        dir.path(),
        &["a", "b", "c", "d"],
        "[lifecycle]\nwindows = 2\ncriteria = [\"data_quality\", \"resources\"]\n",
    );
    // Between ticks: the statistics of this tick's reads are flushed when its sessions end.
    let request = |ticks| RunRequest {
        measurements: Measurements::Databases {
            source_url: source.url(),
            target_url: target.url(),
        },
        max_ticks: Some(ticks),
        interval: Some(std::time::Duration::from_millis(300)),
    };
    let cancel = Cancel::new();
    run::run(&root, &request(3), &cancel).await.unwrap();
    let jobs = jobs_by_id(&root).await;
    for steady in ["public.a", "public.c", "public.d"] {
        assert_eq!(
            jobs[steady].phase,
            Phase::ReverseShadow,
            "{:?}",
            jobs[steady]
        );
    }
    assert_eq!(jobs["public.b"].phase, Phase::Shadow, "blocked");
    assert!(
        jobs["public.b"].failures[0].starts_with("L004 resources: storage bytes old"),
        "{:?}",
        jobs["public.b"].failures
    );

    psql(&target.name, &[], Some("CREATE INDEX a_v ON a (v, id);"));
    for _ in 0..5 {
        psql(&target.name, &["-c", "SELECT count(*) FROM c"], None);
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let summary = run::run(&root, &request(1), &cancel).await.unwrap();
    let demoted: HashMap<&str, &str> = summary
        .transitions
        .iter()
        .filter(|t| (t.from, t.to) == (Phase::ReverseShadow, Phase::Shadow))
        .map(|t| (t.job.as_str(), t.reason.as_str()))
        .collect();
    assert_eq!(demoted.len(), 2, "{demoted:?}");
    // Building the index read the table too: both figures are in the reason.
    assert!(
        demoted["public.a"].starts_with("L004 resources:")
            && demoted["public.a"].contains("storage bytes old"),
        "{demoted:?}"
    );
    assert!(
        demoted["public.c"].starts_with("L004 resources: rows read old"),
        "{demoted:?}"
    );
    let store = LifecycleStore::new(Store::open(&root.join(STORE_FILE)).await.unwrap());
    let log = store.transitions(Some("public.c")).await.unwrap();
    let window = log.last().unwrap().transition.window.clone().unwrap();
    let (old, new) = (window.old_resources.unwrap(), window.new_resources.unwrap());
    assert!(
        new.rows_read.unwrap() >= old.rows_read.unwrap() + 5 * 2000,
        "{window:?}"
    );
    assert_eq!(old.storage_bytes, new.storage_bytes);
}

/// MariaDB's statistics: storage from `information_schema.TABLES` on both sides (rows read and
/// written only when the server has `userstat` on), and a table made to need much more
/// storage on the new side fails the resource criterion.
#[tokio::test]
async fn mariadb_storage_comes_from_information_schema() {
    let source = ScratchMaria::new("lc_rs_msrc");
    let target = ScratchMaria::new("lc_rs_mtgt");
    let ddl = "CREATE TABLE a (id integer PRIMARY KEY, v varchar(64)) ENGINE=InnoDB;\n\
               INSERT INTO a SELECT seq, md5(seq) FROM seq_1_to_5000;\n\
               ANALYZE TABLE a;\n";
    mariadb(&source.name, &[], Some(ddl));
    mariadb(&target.name, &[], Some(ddl));
    mariadb(
        &target.name,
        &[],
        Some("CREATE INDEX a_v ON a (v, id); CREATE INDEX a_v2 ON a (v); ANALYZE TABLE a;"),
    );
    let userstat = mariadb("mysql", &["-e", "SELECT @@userstat"], None);
    let mut baseline = migration_studio::lifecycle::measure::Baseline::default();
    let jobs = vec!["a".to_owned()];
    let windows = migration_studio::lifecycle::measure::from_databases(
        &source.url(),
        &target.url(),
        &jobs,
        &HashMap::new(),
        &mut baseline,
        &migration_studio::validate::Options::default(),
    )
    .await
    .unwrap();
    let w = &windows["a"];
    let (old, new) = (w.old_resources.unwrap(), w.new_resources.unwrap());
    assert!(old.storage_bytes.unwrap() > 0, "{w:?}");
    assert!(
        new.storage_bytes.unwrap() > old.storage_bytes.unwrap() * 3 / 2,
        "{w:?}"
    );
    assert_eq!(old.rows_read, None, "no delta in a first window");
    let again = migration_studio::lifecycle::measure::from_databases(
        &source.url(),
        &target.url(),
        &jobs,
        &HashMap::new(),
        &mut baseline,
        &migration_studio::validate::Options::default(),
    )
    .await
    .unwrap();
    let old = again["a"].old_resources.unwrap();
    assert_eq!(old.rows_read.is_some(), userstat.trim() == "1", "{old:?}");
    let policy = migration_studio::lifecycle::JobPolicy::for_job(
        &LifecycleSettings {
            criteria: vec![Criterion::Resources],
            ..LifecycleSettings::default()
        },
        "a",
    );
    let failures = again["a"].failures(&policy);
    assert_eq!(failures.len(), 1);
    assert!(
        failures[0]
            .line()
            .starts_with("L004 resources: storage bytes old"),
        "{failures:?}"
    );
}

fn rehearse_request(drill: Option<&str>) -> RehearseRequest {
    RehearseRequest {
        source_server: "postgres://postgres@127.0.0.1:5432".into(),
        target_server: "postgres://postgres@127.0.0.1:5432".into(),
        drill: drill.map(str::to_owned),
        interval: std::time::Duration::from_millis(300),
        writes_per_tick: 20,
    }
}

/// The lifecycle rehearsed on Pagila's scratch copies: every table a job, driven to done, the
/// fault drill's job (one row deleted on its new side once every job is in reverse shadow)
/// demoted and no other; the scratch databases are gone afterwards and the project's own
/// lifecycle untouched.
#[tokio::test]
async fn a_lifecycle_rehearsal_demotes_exactly_the_drilled_job() {
    let (_dir, root) = sample("pagila-postgres-upgrade");
    let done = rehearse::rehearse(&root, &rehearse_request(Some("film_actor")), &Cancel::new())
        .await
        .unwrap();
    no_scratch_databases(&done.run_id);
    assert!(!done.cancelled);
    assert!(done.jobs.len() > 10, "{}", done.jobs.len());
    let stuck: Vec<_> = done
        .jobs
        .iter()
        .filter(|j| j.phase != Phase::Done)
        .map(|j| (&j.id, &j.failures))
        .collect();
    assert!(done.drilled_after_tick.is_some(), "{stuck:#?}");
    assert_eq!(
        done.demoted,
        ["public.film_actor"],
        "{:#?}",
        done.transitions
    );
    let demotion = done
        .transitions
        .iter()
        .find(|t| t.to == Phase::Shadow && t.from == Phase::ReverseShadow)
        .unwrap();
    assert!(
        demotion
            .reason
            .starts_with("L001 data_quality: rows old 5462, new 5461"),
        "{}",
        demotion.reason
    );
    for job in &done.jobs {
        if job.id == "public.film_actor" {
            assert_eq!(job.phase, Phase::Shadow);
        } else {
            assert_eq!(job.phase, Phase::Done, "{job:?}");
        }
    }
    // The project's own lifecycle store holds no rehearsal job.
    let store = LifecycleStore::new(Store::open(&root.join(STORE_FILE)).await.unwrap());
    assert!(store.jobs().await.unwrap().is_empty());
}

fn cross_engine_request(drill: Option<&str>) -> RehearseRequest {
    RehearseRequest {
        source_server: "mysql://root@127.0.0.1:3306".into(),
        target_server: "postgres://postgres@127.0.0.1:5432".into(),
        drill: drill.map(str::to_owned),
        interval: std::time::Duration::ZERO,
        writes_per_tick: 30,
    }
}

/// Across engines (Sakila, MariaDB → PostgreSQL): the new side is made and filled through the
/// plan, the workload's writes on the old side reach it through the change capture, every job
/// walks to done except the drilled one, which is demoted for the row the drill deleted behind
/// the capture's back; nothing the capture carried was refused, and the scratch databases of
/// both engines are gone.
#[tokio::test]
async fn a_cross_engine_lifecycle_rehearsal_copies_through_the_plan_and_demotes_the_drilled_job() {
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    let done = rehearse::rehearse(
        &root,
        &cross_engine_request(Some("payment")),
        &Cancel::new(),
    )
    .await
    .unwrap();
    no_scratch_databases(&done.run_id);
    assert_eq!(done.new_side, rehearse::NewSide::Captured);
    assert_eq!(done.jobs.len(), 16, "{:?}", done.jobs);
    // Sakila's 47,273 rows less film_text's 1,000 (a trigger fills it) at least.
    assert!(done.copied_rows > 46_000, "{}", done.copied_rows);
    assert!(
        done.writes.inserts + done.writes.updates > 0,
        "{:?}",
        done.writes
    );
    assert!(done.changes_applied > 0);
    assert_eq!(done.changes_refused, 0);
    // Storage of InnoDB and PostgreSQL is no like-for-like figure: the rehearsal says it
    // leaves that criterion out rather than demote every small table for its page size.
    assert!(
        done.criteria_left_out
            .iter()
            .any(|c| c.starts_with("resources: ")),
        "{:?}",
        done.criteria_left_out
    );
    let drilled = done
        .jobs
        .iter()
        .find(|j| j.id.ends_with("payment"))
        .unwrap()
        .id
        .clone();
    assert_eq!(
        done.demoted,
        std::slice::from_ref(&drilled),
        "{:#?}",
        done.transitions
    );
    assert_eq!(done.drill_passed, Some(true));
    let demotion = done
        .transitions
        .iter()
        .find(|t| t.to == Phase::Shadow && t.from == Phase::ReverseShadow)
        .unwrap();
    assert!(
        demotion.reason.starts_with("L001 data_quality"),
        "{}",
        demotion.reason
    );
    for job in &done.jobs {
        let expected = if job.id == drilled {
            Phase::Shadow
        } else {
            Phase::Done
        };
        assert_eq!(job.phase, expected, "{job:?}");
    }
}

/// Cancelled while the new side is being filled or the loop runs, across engines: it stops,
/// says so, and leaves no scratch database on either server.
#[tokio::test]
async fn an_aborted_cross_engine_lifecycle_rehearsal_leaves_no_scratch_database() {
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    let cancel = Cancel::new();
    let stopper = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_secs(6)).await;
            cancel.cancel();
        })
    };
    let mut request = cross_engine_request(Some("payment"));
    request.interval = std::time::Duration::from_millis(500);
    let aborted = rehearse::rehearse(&root, &request, &cancel).await.unwrap();
    stopper.await.unwrap();
    assert!(aborted.cancelled, "{aborted:#?}");
    assert_eq!(aborted.drill_passed, None);
    no_scratch_databases(&aborted.run_id);
}

/// Cancelled mid-way: it stops, says so, and leaves no scratch database behind.
#[tokio::test]
async fn an_aborted_lifecycle_rehearsal_leaves_no_scratch_database() {
    let (_dir, root) = sample("pagila-postgres-upgrade");
    let cancel = Cancel::new();
    let stopper = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_secs(4)).await;
            cancel.cancel();
        })
    };
    let aborted = rehearse::rehearse(&root, &rehearse_request(Some("film_actor")), &cancel)
        .await
        .unwrap();
    stopper.await.unwrap();
    assert!(aborted.cancelled, "{aborted:#?}");
    assert_eq!(aborted.drill_passed, None);
    assert!(aborted.jobs.iter().any(|j| j.phase != Phase::Done));
    no_scratch_databases(&aborted.run_id);
}

/// The operator's view (the desktop polls it every 2 s while a loop runs) only reads: before
/// any loop every table is listed as a planned job and the store holds no job yet.
#[tokio::test]
async fn status_reads_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = project(dir.path(), "");
    let view = status::status(&root, true, 0.0).await.unwrap();
    let listed: Vec<(&str, Phase)> = view
        .jobs
        .iter()
        .map(|v| (v.job.id.as_str(), v.job.phase))
        .collect();
    assert_eq!(view.total, 3);
    assert!(
        listed.iter().all(|(_, p)| *p == Phase::Planned),
        "{listed:?}"
    );
    assert!(jobs_by_id(&root).await.is_empty(), "status wrote jobs");
}

/// The service inventory's pipelines are jobs beside the tables: Sock Shop's queue producer
/// (`shipping` publishes to RabbitMQ) and consumer (`queue-master`), by artifact id, driven by a
/// measurement file that names them as the manifest may (bare id); a pipeline whose outputs
/// differ stays in shadow with the reason.
#[tokio::test]
async fn service_pipelines_are_jobs_measured_from_a_file() {
    let (dir, root) = sample("sock-shop-services");
    let view = status::status(&root, true, 0.0).await.unwrap();
    let ids: Vec<&str> = view.jobs.iter().map(|v| v.job.id.as_str()).collect();
    assert_eq!(ids, ["service:queue-master", "service:shipping"], "{ids:?}");
    let bad = Window {
        new_rows: Some(99),
        checksum_match: Some(false),
        ..good()
    };
    // One tick starts the shadow, then the manifest's default windows each way.
    let ticks: Vec<HashMap<String, Window>> = (0..8)
        .map(|_| windows(&[("shipping", good()), ("queue-master", bad.clone())]))
        .collect();
    let file = measurement_file(dir.path(), &ticks);
    run::run(&root, &request(&file, None), &Cancel::new())
        .await
        .unwrap();
    let jobs = jobs_by_id(&root).await;
    assert_eq!(jobs["service:shipping"].phase, Phase::ReverseShadow);
    assert!(jobs["service:shipping"].awaiting_approval);
    let consumer = &jobs["service:queue-master"];
    assert_eq!(consumer.phase, Phase::Shadow);
    assert!(consumer.failures[0].starts_with("L001"), "{consumer:?}");
    let approval = approve::approve(&root, "shipping", "ops", "the new consumer keeps up", 0.0)
        .await
        .unwrap();
    assert!(
        format!("{approval:?}").contains("service:shipping"),
        "{approval:?}"
    );
}

/// The desktop's board polls `status_of` over its opened workspace (no re-import): after a loop
/// moved the jobs it shows what `status` shows, read afresh from the store.
#[tokio::test]
async fn status_of_an_opened_workspace_is_status() {
    let (dir, root) = sample("sock-shop-services");
    let ws = migration_studio::workspace::Workspace::open(&root)
        .await
        .unwrap();
    let before = status::status_of(ws.project(), ws.inventory(), true, 0.0)
        .await
        .unwrap();
    assert!(before.jobs.iter().all(|v| v.job.phase == Phase::Planned));
    let ticks: Vec<HashMap<String, Window>> = (0..8)
        .map(|_| windows(&[("shipping", good()), ("queue-master", good())]))
        .collect();
    let file = measurement_file(dir.path(), &ticks);
    run::run(&root, &request(&file, None), &Cancel::new())
        .await
        .unwrap();
    let polled = status::status_of(ws.project(), ws.inventory(), true, 0.0)
        .await
        .unwrap();
    let fresh = status::status(&root, true, 0.0).await.unwrap();
    assert_eq!(format!("{polled:?}"), format!("{fresh:?}"));
    assert!(
        polled
            .jobs
            .iter()
            .all(|v| v.job.phase == Phase::ReverseShadow),
        "{polled:?}"
    );
}

/// On the databases, a pipeline is measured on the tables it uses (the services CSV's
/// `tables`): `job:nightly-export` writes `a` and `b`; while `b` differs on the new side it
/// stays in shadow, though `a`, as a job of its own, promotes.
#[test]
fn a_pipeline_is_measured_on_the_tables_it_uses() {
    let source = ScratchPg::new("lc_pipe_src");
    let target = ScratchPg::new("lc_pipe_tgt");
    let ddl = "CREATE TABLE a (id integer PRIMARY KEY, v text);\n\
               CREATE TABLE b (id integer PRIMARY KEY, v text);\n\
               INSERT INTO a SELECT g, 'a' || g FROM generate_series(1, 300) g;\n\
               INSERT INTO b SELECT g, 'b' || g FROM generate_series(1, 300) g;\n";
    psql(&source.name, &[], Some(ddl));
    psql(&target.name, &[], Some(ddl));
    psql(&target.name, &["-c", "DELETE FROM b WHERE id = 9"], None);
    let dir = tempfile::tempdir().unwrap();
    let root = project_with(
        dir.path(),
        &["a", "b"],
        "[lifecycle]\nwindows = 2\ncriteria = [\"data_quality\"]\n\n\
         [[inputs]]\nservices = \"services.csv\"\n",
    );
    std::fs::write(
        root.join("services.csv"),
        "id,kind,owner,tables\nnightly-export,job,data-team,public.a public.b\n",
    )
    .unwrap();
    let out = cli(&[
        "lifecycle",
        "run",
        root.to_str().unwrap(),
        "--source-url",
        &source.url(),
        "--target-url",
        &target.url(),
        "--ticks",
        "4",
        "--interval",
        "0",
    ]);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let out = cli(&[
        "lifecycle",
        "status",
        root.to_str().unwrap(),
        "--json",
        "--all",
    ]);
    let view: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let job = |id: &str| {
        view["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no job {id} in {view}"))
    };
    assert_eq!(job("public.a")["phase"], "reverse_shadow");
    let pipeline = job("job:nightly-export");
    assert_eq!(pipeline["phase"], "shadow", "{pipeline}");
    assert!(
        pipeline["failures"][0]
            .as_str()
            .unwrap()
            .starts_with("L001 data_quality: rows old 600, new 599"),
        "{pipeline}"
    );
}

/// Across engines with a table that has no key (a log of notes, repeated rows included): it is
/// copied whole through the plan, compared as a multiset, and walks to done with the keyed
/// tables; the workload never writes it, so counts and checksums are all it is promoted on.
/// Nothing is left behind on either server.
#[tokio::test]
async fn a_cross_engine_lifecycle_rehearsal_carries_a_table_without_a_key() {
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    let data = root.join("data");
    let append = |file: &str, text: &str| {
        let path = data.join(file);
        let mut all = std::fs::read_to_string(&path).unwrap();
        all.push_str(text);
        std::fs::write(&path, all).unwrap();
    };
    append(
        "sakila-mv-schema.sql",
        "\nCREATE TABLE sakila.desk_note (noted_at DATETIME NOT NULL, note VARCHAR(60) NOT NULL)\n\
         ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n",
    );
    append(
        "sakila-mv-data.sql",
        "\nINSERT INTO sakila.desk_note VALUES ('2006-02-15 04:34:33', 'till short by 2.00'),\n\
         ('2006-02-15 04:34:33', 'till short by 2.00'), ('2006-02-16 10:00:00', 'Ünïcødé ✓'),\n\
         ('2006-02-17 09:30:00', 'repeated'), ('2006-02-17 09:30:00', 'repeated'),\n\
         ('2006-02-17 09:30:00', 'repeated');\n",
    );
    common::cli_ok(&["import", root.to_str().unwrap()]);
    let done = rehearse::rehearse(&root, &cross_engine_request(None), &Cancel::new())
        .await
        .unwrap();
    no_scratch_databases(&done.run_id);
    assert_eq!(done.jobs.len(), 17, "{:?}", done.jobs);
    assert_eq!(done.changes_refused, 0);
    assert!(done.demoted.is_empty(), "{:#?}", done.transitions);
    let note = done
        .jobs
        .iter()
        .find(|j| j.id.ends_with("desk_note"))
        .unwrap_or_else(|| panic!("{:?}", done.jobs));
    assert_eq!(note.phase, Phase::Done, "{note:?}");
    for job in &done.jobs {
        assert_eq!(job.phase, Phase::Done, "{job:?}");
    }
}
