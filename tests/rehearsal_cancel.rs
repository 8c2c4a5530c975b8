//! A rehearsal interrupted (Ctrl-C, i.e. SIGINT, to the CLI) at each stage of its runbook —
//! provisioning, backfill, catch-up, validation, cutover, rollback drill — leaves nothing
//! behind: no scratch database (so no capture trigger and no changelog), no saved state to
//! resume, no advisory lock held on the server, no process (so no workload task) running.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{psql, sample};
use migration_studio::rehearsal::state::{RunState, Stage};

fn start(root: &Path) -> Child {
    let out = std::fs::File::create(root.join("rehearse.out")).unwrap();
    Command::new(env!("CARGO_BIN_EXE_migration-studio"))
        .env_remove("DOCKER_HOST")
        .arg("rehearse")
        .arg(root)
        .args(["--provider", "local", "--json"])
        // A paced backfill, so the test meets it running.
        .args(["--backfill-rows-per-second", "5000"])
        .stdout(out)
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Advisory locks held for the project at `root` (other rehearsals on the server, this
/// binary's other test among them, hold their own).
fn advisory_locks(root: &Path) -> usize {
    let key = migration_studio::rehearsal::run_lock_key(root);
    psql(
        "postgres",
        &[
            "-tAc",
            &format!(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1 \
                 AND classid::text::bigint = {} AND objid::text::bigint = {}",
                key >> 32,
                key & 0xffff_ffff
            ),
        ],
        None,
    )
    .trim()
    .parse()
    .unwrap()
}

/// Step ids of the Sakila CDC runbook (16 tables): the step after which each stage runs.
const CATCH_UP_DONE: &str = "S022";
const FINAL_GO_NO_GO_DONE: &str = "S029";
const LAST_STEP_BEFORE_DRILL: &str = "S033";

/// Whether a run's saved state shows it at the stage a test interrupts.
type Reached = fn(&RunState) -> bool;

#[test]
fn ctrl_c_at_each_stage_leaves_nothing_behind() {
    let stages: [(&str, Reached); 6] = [
        ("provisioning", |s| s.stage == Stage::Provisioned),
        ("backfill", |s| s.stage == Stage::Backfill),
        ("catch-up", |s| s.stage == Stage::CatchUp),
        ("validation", |s| {
            s.done.iter().any(|d| d == CATCH_UP_DONE) && s.stage != Stage::Frozen
        }),
        ("cutover", |s| {
            s.done.iter().any(|d| d == FINAL_GO_NO_GO_DONE)
        }),
        ("rollback drill", |s| {
            s.done.iter().any(|d| d == LAST_STEP_BEFORE_DRILL)
        }),
    ];
    for (stage, reached) in stages {
        let (_dir, root) = sample("sakila-mysql-to-postgres");
        let mut child = start(&root);
        let deadline = Instant::now() + Duration::from_secs(240);
        let state = loop {
            if let Some(state) = RunState::unfinished(&root).pop() {
                if reached(&state) {
                    break state;
                }
            }
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "{stage}: the rehearsal ended ({status}) before the interruption: {}",
                    std::fs::read_to_string(root.join("rehearse.out")).unwrap_or_default()
                );
            }
            assert!(Instant::now() < deadline, "{stage}: never reached");
            std::thread::sleep(Duration::from_millis(10));
        };
        assert_eq!(advisory_locks(&root), 1, "{stage}: the run holds its lock");
        let sent = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(130), "{stage}: interrupted exit code");
        common::no_scratch_databases(&state.id);
        assert!(
            RunState::unfinished(&root).is_empty(),
            "{stage}: saved state left to resume"
        );
        assert_eq!(
            advisory_locks(&root),
            0,
            "{stage}: the run's lock is released"
        );
    }
}

/// The desktop cancels by dropping the rehearsal's future (then removing what the run made):
/// at each stage, every task the run started (workloads, standbys) ends with it, its scratch
/// databases go, its lock is released.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_rehearsal_leaves_no_task_database_or_lock() {
    use migration_studio::project::Project;
    use migration_studio::rehearsal::{self, ProviderChoice, RehearsalOptions};
    let stages: [(&str, Reached); 4] = [
        ("backfill", |s| s.stage == Stage::Backfill),
        ("catch-up", |s| s.stage == Stage::CatchUp),
        ("cutover", |s| {
            s.done.iter().any(|d| d == FINAL_GO_NO_GO_DONE)
        }),
        ("rollback drill", |s| {
            s.done.iter().any(|d| d == LAST_STEP_BEFORE_DRILL)
        }),
    ];
    let metrics = tokio::runtime::Handle::current().metrics();
    for (stage, reached) in stages {
        let (_dir, root) = sample("sakila-mysql-to-postgres");
        let project = Project::open(&root).unwrap();
        let options = RehearsalOptions {
            provider: ProviderChoice::Local,
            run_id: Some(rehearsal::new_run_id()),
            backfill_rows_per_second: Some(5000.0),
            ..RehearsalOptions::default()
        };
        let id = options.run_id.clone().unwrap();
        let (provider, _) = rehearsal::choose_provider(&project, &options)
            .await
            .unwrap();
        let tasks_before = metrics.num_alive_tasks();
        let watch = async {
            loop {
                if RunState::load(&root, &id).is_some_and(|s| reached(&s)) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::select! {
            report = rehearsal::rehearse_on(&project, &options, &provider, None) => {
                panic!("{stage}: the rehearsal ended before the cancel: {:?}", report.map(|r| r.failed_because));
            }
            () = watch => {}
        }
        rehearsal::drop_scratch(&id, &provider).await;
        RunState::remove(&root, &id);
        // Tasks end at their next await once aborted; a connection's release check left
        // waiting by a statement cut off mid-exchange ends when the drop ends its session
        // (`dropping_the_scratch_databases_ends_their_sessions`). The minute bounds a loaded
        // machine's slowness; it is not a time the run is expected to take.
        let dropped_at = Instant::now();
        let deadline = dropped_at + Duration::from_secs(60);
        while (metrics.num_alive_tasks() > tasks_before || advisory_locks(&root) > 0)
            && Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            metrics.num_alive_tasks() <= tasks_before,
            "{stage}: {} tasks alive {:?} after the drop, {tasks_before} before the run",
            metrics.num_alive_tasks(),
            dropped_at.elapsed()
        );
        assert_eq!(
            advisory_locks(&root),
            0,
            "{stage}: the run's lock is released"
        );
        common::no_scratch_databases(&id);
    }
}

/// Dropping a run's scratch databases ends every session on them, on MariaDB as PostgreSQL's
/// `WITH (FORCE)` does there. A cancelled run can leave a connection whose statement was cut off
/// mid-exchange, with sqlx's release check waiting in a task for a reply the server never sends:
/// only the end of its session ends that task (why, in a CI run, two tasks of a rehearsal
/// dropped at its rollback drill were still alive a minute later).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_scratch_databases_ends_their_sessions() {
    use migration_studio::db::{self, Access};
    use migration_studio::project::Project;
    use migration_studio::rehearsal::{self, Provider, ProviderChoice, RehearsalOptions};
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    let project = Project::open(&root).unwrap();
    let options = RehearsalOptions {
        provider: ProviderChoice::Local,
        ..RehearsalOptions::default()
    };
    let id = rehearsal::new_run_id();
    let (provider, _) = rehearsal::choose_provider(&project, &options)
        .await
        .unwrap();
    let (source, target) = rehearsal::sides(&project);
    let env = provider
        .provision(&id.replace('-', "_"), &source, &target)
        .await
        .unwrap();
    let sessions = |name: &str| -> (u64, u64) {
        let count = |sql: String, out: String| -> u64 {
            out.trim()
                .parse()
                .unwrap_or_else(|_| panic!("{sql}: {out}"))
        };
        let my = format!("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = '{name}'");
        let pg = format!("SELECT count(*) FROM pg_stat_activity WHERE datname = '{name}'");
        (
            count(my.clone(), common::mariadb("mysql", &["-e", &my], None)),
            count(pg.clone(), psql("postgres", &["-tAc", &pg], None)),
        )
    };
    // An idle connection on each side: its server waits for the next command, as it does for
    // a connection whose client waits for a reply.
    let held = [
        db::connect(&env.source_url, Access::ReadOnly, 1)
            .await
            .unwrap(),
        db::connect(&env.target_url, Access::ReadOnly, 1)
            .await
            .unwrap(),
    ];
    assert_eq!(sessions(&env.source_name).0, 1, "the source's session");
    assert_eq!(sessions(&env.target_name).1, 1, "the target's session");
    rehearsal::drop_scratch(&id, &provider).await;
    assert_eq!(
        sessions(&env.source_name),
        (0, 0),
        "sessions left on the source"
    );
    assert_eq!(
        sessions(&env.target_name),
        (0, 0),
        "sessions left on the target"
    );
    common::no_scratch_databases(&id);
    drop(held);
}

/// Closing a database does not wait forever for a connection that never comes back (as one
/// whose statement a cancel cut off mid-exchange may not): it returns, the pool closed, and
/// the connection is closed when it is given back.
#[tokio::test]
async fn closing_a_database_does_not_wait_for_a_connection_that_never_comes_back() {
    use migration_studio::db::{self, Access, Pool, CLOSE_WAIT};
    let db = db::connect(
        "postgres://postgres@127.0.0.1:5432/postgres",
        Access::ReadOnly,
        2,
    )
    .await
    .unwrap();
    let Pool::Postgres(pool) = &db.pool else {
        unreachable!()
    };
    let held = pool.acquire().await.unwrap();
    let closed = tokio::time::timeout(CLOSE_WAIT * 3, db.close()).await;
    assert!(
        closed.is_ok(),
        "close still waiting after {:?}",
        CLOSE_WAIT * 3
    );
    assert!(pool.is_closed(), "the pool is closed");
    assert!(
        pool.acquire().await.is_err(),
        "a closed pool hands out nothing"
    );
    // Given back to a closed pool, the connection is closed, not kept.
    drop(held);
    let given_back = std::time::Instant::now();
    while pool.size() > 0 && given_back.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(pool.size(), 0, "connections left open by the closed pool");
}
