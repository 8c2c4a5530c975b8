//! The lifecycle's control loop at scale: 20,000 simulated jobs (criteria values generated, no
//! database) through ticks of the loop, each tick timed whole: the decision
//! ([`migration_studio::lifecycle::tick`]) and its write to a real project store (SQLite, one
//! transaction: the changed jobs and the transitions). Prints every tick's time, the slowest,
//! and the peak resident set (`VmHWM`).
//!
//! Run with `cargo bench --bench lifecycle_tick` (release profile). `LIFECYCLE_JOBS` sets the
//! number of jobs (default 20,000), `LIFECYCLE_TICKS` the ticks (default 12).
//!
//! Generated windows (seeded SplitMix64, so every run decides the same): per job and tick, 94 %
//! hold every criterion, 2 % a checksum mismatch, 2 % a latency regression, 2 % a resource
//! regression; with `windows = 3` and `auto_cleanup`, jobs walk the whole lifecycle, some are
//! demoted on the way, and tick 1 (every job starts its shadow: 20,000 transitions and
//! upserts) is the heaviest write.

use std::collections::HashMap;
use std::time::Instant;

use migration_studio::lifecycle::{
    tick, Job, LifecycleSettings, LifecycleStore, Phase, Resources, Window,
};
use migration_studio::project::Store;

/// Targets from the issue.
const TARGET_MS: f64 = 1000.0;
const TARGET_MB: f64 = 300.0;

struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

fn window(rng: &mut SplitMix) -> Window {
    let rows = rng.next() % 1_000_000;
    let old = Resources {
        rows_read: Some(rows),
        bytes_written: Some(rows * 80),
        cpu_ms: Some((rows / 1000) as f64),
        ..Resources::default()
    };
    let mut w = Window {
        old_rows: Some(rows),
        new_rows: Some(rows),
        checksum_match: Some(true),
        old_latency_seconds: Some(5.0),
        new_latency_seconds: Some(4.5),
        old_resources: Some(old),
        new_resources: Some(old),
        failed_assertions: None,
    };
    match rng.next() % 100 {
        0 | 1 => w.checksum_match = Some(false),
        2 | 3 => w.new_latency_seconds = Some(9.0),
        4 | 5 => {
            w.new_resources = Some(Resources {
                rows_read: Some(rows * 2 + 1),
                ..old
            })
        }
        _ => {}
    }
    w
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    let jobs_n: usize = std::env::var("LIFECYCLE_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let ticks_n: usize = std::env::var("LIFECYCLE_TICKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let dir = tempfile::tempdir().expect("a temp dir");
    let settings = LifecycleSettings {
        windows: 3,
        auto_cleanup: true,
        ..LifecycleSettings::default()
    };
    runtime.block_on(async {
        let store = LifecycleStore::new(
            Store::open(&dir.path().join("migration-studio.db"))
                .await
                .expect("a store"),
        );
        let mut jobs: Vec<Job> = (0..jobs_n)
            .map(|i| Job::planned(format!("schema_{}.table_{i:06}", i / 100), 0.0))
            .collect();
        store.add_jobs(&jobs).await.expect("jobs added");
        let mut rng = SplitMix(0x5eed_2026_0020);
        let mut times = Vec::new();
        println!("lifecycle_tick: {jobs_n} jobs, {ticks_n} ticks, windows = 3, auto_cleanup");
        println!(
            "| tick | transitions | jobs written | ms | planned/shadow/rev/cleanup/done/held |"
        );
        println!("|---:|---:|---:|---:|---|");
        for t in 1..=ticks_n {
            // The measurements arrive before the tick; generating them is not the loop's work.
            let windows: HashMap<String, Window> = jobs
                .iter()
                .filter(|j| j.phase.is_measured())
                .map(|j| (j.id.clone(), window(&mut rng)))
                .collect();
            let at = t as f64 * 60.0;
            let start = Instant::now();
            let outcome = tick(&jobs, &windows, &settings, at);
            store
                .record_tick(
                    t as i64,
                    at,
                    jobs.len(),
                    outcome.changed.iter().map(|&i| &outcome.jobs[i]),
                    &outcome.transitions,
                    &Default::default(),
                )
                .await
                .expect("tick recorded");
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            times.push(ms);
            let counts: Vec<String> = Phase::ALL
                .iter()
                .map(|&p| {
                    outcome
                        .jobs
                        .iter()
                        .filter(|j| j.phase == p)
                        .count()
                        .to_string()
                })
                .collect();
            println!(
                "| {t} | {} | {} | {ms:.1} | {} |",
                outcome.transitions.len(),
                outcome.changed.len(),
                counts.join("/")
            );
            jobs = outcome.jobs;
        }
        // Correctness, outside the timed region: the store holds what the loop decided.
        let stored = store.jobs().await.expect("jobs read");
        let mut by_id: Vec<&Job> = jobs.iter().collect();
        by_id.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(stored.len(), jobs.len());
        assert!(stored.iter().zip(by_id).all(|(s, j)| s == j));
        let worst = times.iter().copied().fold(0.0, f64::max);
        let mut sorted = times.clone();
        sorted.sort_by(f64::total_cmp);
        let median = sorted[sorted.len() / 2];
        let rss = peak_rss_mb();
        println!(
            "slowest tick {worst:.1} ms (target < {TARGET_MS} ms), median {median:.1} ms, \
             peak RSS {rss:.1} MB (target < {TARGET_MB} MB): {}",
            if worst < TARGET_MS && rss < TARGET_MB {
                "met"
            } else {
                "NOT met"
            }
        );
    });
}
