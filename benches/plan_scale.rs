//! Planning at scale: plans generated inventories of 10k artifacts / 100k dependencies,
//! 30k / 300k and 100k / 1M, and prints the time of each phase and the peak memory.
//!
//! Run with `cargo bench --bench plan_scale` (release profile). Optional arguments pick sizes
//! (`cargo bench --bench plan_scale -- 10k 100k`); `PLAN_SCALE_RUNS` sets the number of runs
//! per size (default 3; the run with the median total time is reported).
//!
//! Every run of every size is a separate child process (this binary re-executed with
//! `PLAN_SCALE_CHILD=<artifacts>:<dependencies>`), run one after the other, so that the peak
//! resident set (`VmHWM` in `/proc/self/status`, which only grows) is that size's own. The
//! parent collects the children's results and prints the tables.
//!
//! Phases, each timed on its own with [`Instant`]:
//! - **build**: `DependencyGraph::with_capacity`, `add_artifact` for every table (names, ids),
//!   `add_dependency` for every FK (labels). The inventory itself is generated before, untimed.
//! - **order**: `DependencyGraph::order()` (SCCs, cycle breaks, waves).
//! - **plan**: `Plan::with_order` with the default settings (runbook, point of no return,
//!   schedule and critical path).
//! - **csv**: `write_runbook_csv` to `std::io::sink()`. The CSV size is measured afterwards by
//!   a second, untimed export to a counting writer.
//!
//! The generated inventory (seeded SplitMix64, so every run plans the same graph): N tables in
//! N/100 schemas with row and byte estimates, in "application databases" of 2,000 tables; a
//! FK references one of the previous 1,000 tables of its database or, one time in ten, one of
//! 200 shared core tables, so the graph is a DAG with about 140 waves at every size; 30% of
//! the tables reference nothing. On top: N/1000 planted cycles of 2 to 5 tables (a chain down
//! and one back edge, nullable for half of them; tables in between may join the strongly
//! connected component, see "largest cycle") and N/1000 nullable self-references. The edges
//! are added table by table, as `DependencyGraph::from_inventory` does.
//!
//! Correctness is checked after the peak memory is read, outside the timed regions: every
//! artifact is in exactly one wave, every dependency that is not deferred goes from a later wave
//! to an earlier one, every cycle is broken, every runbook step depends only on earlier steps.

use std::collections::{HashMap, HashSet};
use std::io::{self, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

use migration_studio::export::write_runbook_csv;
use migration_studio::graph::{
    Artifact, ArtifactKind, ArtifactRef, Dependency, DependencyGraph, DependencyKind,
};
use migration_studio::inventory::QualifiedName;
use migration_studio::plan::{Phase, Plan, PlanSettings};

/// `(label, artifacts, dependencies)`.
const SIZES: [(&str, usize, usize); 3] = [
    ("10k", 10_000, 100_000),
    ("30k", 30_000, 300_000),
    ("100k", 100_000, 1_000_000),
];
const CHILD_ENV: &str = "PLAN_SCALE_CHILD";
const RUNS_ENV: &str = "PLAN_SCALE_RUNS";
const SEED: u64 = 0x5eed_2024_0001;
/// Targets from the issue, at 100k / 1M.
const TARGET_MS: f64 = 1000.0;
const TARGET_MB: f64 = 500.0;

// ---------------------------------------------------------------------------------------------
// Generator
// ---------------------------------------------------------------------------------------------

/// Tables per schema (so ~N/100 schemas).
const TABLES_PER_SCHEMA: usize = 100;
/// An "application database": FKs stay inside it, apart from references to the shared core.
/// Bounds the depth (waves) independently of N, like real estates of many applications.
const BLOCK: usize = 2_000;
/// A FK references one of the previous `WINDOW` tables of its block (locality).
const WINDOW: usize = 1_000;
/// The first `CORE` tables are shared lookup tables (users, countries…) any table may reference.
const CORE: usize = 200;
/// Share of FKs that point into the shared core.
const CORE_SHARE: f64 = 0.1;
/// Percentage of tables that reference nothing (out-degree 0; they land in wave 1).
const ROOT_SHARE: u64 = 30;
/// Share of ordinary (acyclic) FKs whose columns are nullable.
const NULLABLE_SHARE: f64 = 0.3;
/// Planted cycles: one per this many tables (0.1%), each of 2 to 5 tables.
const TABLES_PER_CYCLE: usize = 1_000;
/// Self-references (`parent_id`): one per this many tables.
const TABLES_PER_SELF_REF: usize = 1_000;
/// Largest step between consecutive tables of a planted cycle.
const CYCLE_SPAN: usize = 8;

/// SplitMix64 (Steele, Lea & Flood 2014): small, fast, good enough for test data.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }

    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A table references nothing itself (fixed per index, so the generator can skip it).
fn is_root(i: usize) -> bool {
    i == 0 || mix(i as u64 ^ SEED) % 100 < ROOT_SHARE
}

struct GenTable {
    rows: u64,
    bytes: u64,
}

struct GenEdge {
    from: u32,
    to: u32,
    nullable: bool,
}

struct GenInventory {
    tables: Vec<GenTable>,
    edges: Vec<GenEdge>,
}

/// A referenced table for a FK of table `i` (`i > 0`): an earlier table of the same block
/// within `WINDOW`, or a core table.
fn target(rng: &mut SplitMix64, i: usize) -> usize {
    let block_start = i / BLOCK * BLOCK;
    if i < CORE {
        rng.below(i)
    } else if i == block_start || rng.chance(CORE_SHARE) {
        rng.below(CORE)
    } else {
        let lo = block_start.max(i.saturating_sub(WINDOW));
        lo + rng.below(i - lo)
    }
}

fn generate(artifacts: usize, dependencies: usize, seed: u64) -> GenInventory {
    assert!(
        artifacts > CORE + BLOCK,
        "inventory too small for the generator"
    );
    let mut rng = SplitMix64(seed);
    let tables = (0..artifacts)
        .map(|_| {
            let rows = (1 + rng.below(9) as u64) * 10u64.pow(rng.below(8) as u32);
            let bytes = rows * (40 + rng.below(400) as u64);
            GenTable { rows, bytes }
        })
        .collect();
    let mut edges = Vec::with_capacity(dependencies);
    // Planted short cycles: a → b1 → … → b(k-1) going down, then a back edge b(k-1) → a.
    let cycles = (artifacts / TABLES_PER_CYCLE).max(1);
    let mut planted = 0;
    while planted < cycles {
        let len = 2 + planted % 4;
        let a = CORE + rng.below(artifacts - CORE);
        let floor = (a / BLOCK * BLOCK).max(CORE);
        let mut chain = vec![a];
        while chain.len() < len {
            let last = *chain.last().expect("non-empty");
            let step = 1 + rng.below(CYCLE_SPAN);
            if last < floor + step {
                break;
            }
            chain.push(last - step);
        }
        if chain.len() < len {
            continue;
        }
        for pair in chain.windows(2) {
            edges.push(GenEdge {
                from: pair[0] as u32,
                to: pair[1] as u32,
                nullable: rng.chance(NULLABLE_SHARE),
            });
        }
        edges.push(GenEdge {
            from: *chain.last().expect("non-empty") as u32,
            to: a as u32,
            nullable: planted % 2 == 0,
        });
        planted += 1;
    }
    for _ in 0..(artifacts / TABLES_PER_SELF_REF).max(1) {
        let t = rng.below(artifacts) as u32;
        edges.push(GenEdge {
            from: t,
            to: t,
            nullable: true,
        });
    }
    while edges.len() < dependencies {
        let from = 1 + rng.below(artifacts - 1);
        if is_root(from) {
            continue;
        }
        edges.push(GenEdge {
            from: from as u32,
            to: target(&mut rng, from) as u32,
            nullable: rng.chance(NULLABLE_SHARE),
        });
    }
    edges.truncate(dependencies);
    // An import adds the FKs table by table (`DependencyGraph::from_inventory`).
    edges.sort_by_key(|e| e.from);
    GenInventory { tables, edges }
}

/// The graph of a generated inventory (the timed "build" phase).
fn build(inventory: &GenInventory) -> DependencyGraph {
    let mut graph = DependencyGraph::with_capacity(inventory.tables.len(), inventory.edges.len());
    let refs: Vec<ArtifactRef> = inventory
        .tables
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let schema = format!("s{:04}", i / TABLES_PER_SCHEMA);
            let mut artifact = Artifact::new(
                ArtifactKind::Table,
                QualifiedName::new(Some(&schema), &format!("t{i:06}")),
            );
            artifact.rows = Some(t.rows);
            artifact.bytes = Some(t.bytes);
            graph.add_artifact(artifact)
        })
        .collect();
    for (n, e) in inventory.edges.iter().enumerate() {
        let mut fk = Dependency::new(DependencyKind::ForeignKey);
        fk.label = Some(format!("fk_t{:06}_{n}", e.from));
        fk.nullable = e.nullable;
        graph.add_dependency(refs[e.from as usize], refs[e.to as usize], fk);
    }
    graph
}

// ---------------------------------------------------------------------------------------------
// Child: one size, one run
// ---------------------------------------------------------------------------------------------

/// A `kB` field of `/proc/self/status` (`VmHWM`, `VmRSS`), in kB.
fn status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}

/// Counts bytes written.
struct Counting(u64);

impl Write for Counting {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1e3
}

/// `(on-CPU ns, run-queue wait ns)` of this (single-threaded) process from
/// `/proc/self/schedstat`: shows how much of a wall time was spent waiting for a core that
/// another process held.
fn schedstat() -> (u64, u64) {
    let s = std::fs::read_to_string("/proc/self/schedstat").unwrap_or_default();
    let mut fields = s.split_whitespace().map(|f| f.parse().unwrap_or(0));
    (fields.next().unwrap_or(0), fields.next().unwrap_or(0))
}

fn run_child(spec: &str) {
    let (artifacts, dependencies) = spec
        .split_once(':')
        .and_then(|(a, d)| Some((a.parse().ok()?, d.parse().ok()?)))
        .unwrap_or_else(|| panic!("{CHILD_ENV} must be <artifacts>:<dependencies>, got {spec}"));
    let mut out: Vec<(&str, String)> = Vec::new();

    let inventory = generate(artifacts, dependencies, SEED);
    out.push(("rss_generated_kb", status_kb("VmRSS").to_string()));

    let sched_start = schedstat();
    let t = Instant::now();
    let graph = build(&inventory);
    out.push(("build_ms", format!("{:.3}", ms(t))));
    drop(inventory);
    out.push(("rss_built_kb", status_kb("VmRSS").to_string()));

    let t = Instant::now();
    let order = graph.order();
    out.push(("order_ms", format!("{:.3}", ms(t))));
    out.push(("rss_ordered_kb", status_kb("VmRSS").to_string()));

    let t = Instant::now();
    let plan = Plan::with_order(&graph, order, &PlanSettings::default());
    out.push(("plan_ms", format!("{:.3}", ms(t))));
    out.push(("rss_planned_kb", status_kb("VmRSS").to_string()));

    let t = Instant::now();
    write_runbook_csv(&plan, io::sink()).expect("export to sink");
    out.push(("csv_ms", format!("{:.3}", ms(t))));
    let sched_end = schedstat();
    out.push(("peak_kb", status_kb("VmHWM").to_string()));
    // Over the four timed phases (with the few /proc reads between them).
    out.push((
        "cpu_ms",
        format!("{:.3}", (sched_end.0 - sched_start.0) as f64 / 1e6),
    ));
    out.push((
        "wait_ms",
        format!("{:.3}", (sched_end.1 - sched_start.1) as f64 / 1e6),
    ));

    // Untimed from here on.
    let mut counting = Counting(0);
    write_runbook_csv(&plan, &mut counting).expect("export to counter");
    out.push(("csv_bytes", counting.0.to_string()));
    for (key, value) in verify(&graph, &plan) {
        out.push((key, value.to_string()));
    }
    let line: Vec<String> = out.iter().map(|(k, v)| format!("{k}={v}")).collect();
    println!("RESULT {}", line.join(" "));
}

/// Checks the plan and returns what it did (waves, cycles, …). Panics on a wrong plan.
fn verify(graph: &DependencyGraph, plan: &Plan) -> Vec<(&'static str, usize)> {
    let order = &plan.order;
    let wave_of = order.wave_of();
    assert_eq!(
        order.waves.iter().map(|w| w.artifacts.len()).sum::<usize>(),
        graph.artifact_count(),
        "every artifact is in exactly one wave"
    );
    assert_eq!(wave_of.len(), graph.artifact_count());
    assert!(
        order.cycles.iter().all(|c| c.broken),
        "every cycle is broken"
    );
    let deferred: HashSet<(&str, &str)> = order
        .deferred()
        .map(|d| (d.from.as_str(), d.to.as_str()))
        .collect();
    let mut self_refs = HashSet::new();
    for (from, to, _) in graph.dependencies() {
        let (from, to) = (&graph.artifact(from).id, &graph.artifact(to).id);
        if from == to {
            self_refs.insert(from.as_str());
            continue;
        }
        if deferred.contains(&(from.as_str(), to.as_str())) {
            continue;
        }
        assert!(
            wave_of[from.as_str()] > wave_of[to.as_str()],
            "{from} (wave {}) depends on {to} (wave {}) without a deferred FK",
            wave_of[from.as_str()],
            wave_of[to.as_str()]
        );
    }
    let self_ref_cycles = order.cycles.iter().filter(|c| c.self_reference).count();
    assert_eq!(
        self_ref_cycles,
        self_refs.len(),
        "every self-reference is a cycle"
    );

    let index: HashMap<&str, usize> = plan
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    assert_eq!(index.len(), plan.steps.len(), "step ids are unique");
    let mut backfills = 0;
    let mut last_wave = 0;
    for (i, step) in plan.steps.iter().enumerate() {
        for dep in &step.depends_on {
            assert!(
                index[dep.as_str()] < i,
                "{} depends on later {dep}",
                step.id
            );
        }
        if step.phase == Phase::Backfill {
            backfills += 1;
            let wave = step.wave.expect("backfill step has a wave");
            let artifact = step
                .artifact
                .as_deref()
                .expect("backfill step has an artifact");
            assert_eq!(wave, wave_of[artifact]);
            assert!(wave >= last_wave, "backfills go wave by wave");
            last_wave = wave;
        }
    }
    assert_eq!(
        backfills,
        graph.artifact_count(),
        "one backfill step per table"
    );
    let ponr = plan
        .point_of_no_return
        .as_ref()
        .and_then(|p| index.get(p.step_id.as_str()).copied())
        .expect("the plan has a PONR");
    assert!(!plan.schedule.critical_path.is_empty());

    let deferred_nullable = order.deferred().filter(|d| d.nullable).count();
    vec![
        ("waves", order.waves.len()),
        (
            "widest_wave",
            order
                .waves
                .iter()
                .map(|w| w.artifacts.len())
                .max()
                .unwrap_or(0),
        ),
        ("cycles", order.cycles.len()),
        ("self_ref_cycles", self_ref_cycles),
        (
            "largest_cycle",
            order
                .cycles
                .iter()
                .map(|c| c.members.len())
                .max()
                .unwrap_or(0),
        ),
        ("deferred", order.deferred().count()),
        ("deferred_nullable", deferred_nullable),
        ("steps", plan.steps.len()),
        ("ponr_step", ponr + 1),
        ("critical_path", plan.schedule.critical_path.len()),
    ]
}

// ---------------------------------------------------------------------------------------------
// Parent: run the children, print the tables
// ---------------------------------------------------------------------------------------------

struct RunResult(HashMap<String, String>);

impl RunResult {
    fn f(&self, key: &str) -> f64 {
        self.0
            .get(key)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("child result has no numeric {key}"))
    }

    fn total_ms(&self) -> f64 {
        ["build_ms", "order_ms", "plan_ms", "csv_ms"]
            .iter()
            .map(|k| self.f(k))
            .sum()
    }

    /// kB (KiB, as /proc reports it) to MB (10^6 bytes), the unit of the target.
    fn mb(&self, key: &str) -> f64 {
        self.f(key) * 1024.0 / 1e6
    }
}

fn run_size(artifacts: usize, dependencies: usize) -> RunResult {
    let exe = std::env::current_exe().expect("current exe");
    let output = Command::new(exe)
        .env(CHILD_ENV, format!("{artifacts}:{dependencies}"))
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .expect("run child");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "child for {artifacts}/{dependencies} failed: {}\n{stdout}",
        output.status
    );
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .expect("child printed a RESULT line");
    RunResult(
        line.split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    )
}

fn human(n: usize) -> String {
    if n >= 1_000_000 && n.is_multiple_of(1_000_000) {
        format!("{}M", n / 1_000_000)
    } else if n >= 1_000 && n.is_multiple_of(1_000) {
        format!("{}k", n / 1_000)
    } else {
        n.to_string()
    }
}

fn main() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        run_child(&spec);
        return;
    }
    // `cargo bench` passes `--bench`; other arguments select sizes.
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let runs: usize = std::env::var(RUNS_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1);
    let mut results: Vec<(String, usize, usize, RunResult)> = Vec::new();
    for (label, artifacts, dependencies) in SIZES {
        if !wanted.is_empty() && !wanted.iter().any(|w| w == label) {
            continue;
        }
        let mut size_runs: Vec<RunResult> = (0..runs)
            .map(|r| {
                let result = run_size(artifacts, dependencies);
                eprintln!(
                    "plan_scale: {} / {} run {}/{runs}: total {:.1} ms, peak {:.1} MB",
                    human(artifacts),
                    human(dependencies),
                    r + 1,
                    result.total_ms(),
                    result.mb("peak_kb")
                );
                result
            })
            .collect();
        size_runs.sort_by(|a, b| a.total_ms().total_cmp(&b.total_ms()));
        let median = size_runs.swap_remove(size_runs.len() / 2);
        results.push((
            format!("{} / {}", human(artifacts), human(dependencies)),
            artifacts,
            dependencies,
            median,
        ));
    }
    print_report(&results, runs);
}

fn print_report(results: &[(String, usize, usize, RunResult)], runs: usize) {
    println!();
    println!(
        "Planning at scale: one child process per run, sizes run one after the other; \
         {runs} run(s) per size, the run with the median total is shown."
    );
    println!(
        "Times in ms (wall clock per phase; on CPU and run-queue wait from /proc/self/schedstat \
         over the four phases); memory in MB (10^6 bytes) of resident set (VmRSS / VmHWM)."
    );
    println!();
    println!(
        "| artifacts / deps | build | order | plan | csv | total | on CPU | run-queue wait | peak RSS |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (label, _, _, r) in results {
        println!(
            "| {label} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} |",
            r.f("build_ms"),
            r.f("order_ms"),
            r.f("plan_ms"),
            r.f("csv_ms"),
            r.total_ms(),
            r.f("cpu_ms"),
            r.f("wait_ms"),
            r.mb("peak_kb"),
        );
    }
    println!();
    println!(
        "| artifacts / deps | waves | widest wave | cycles (self-refs) | largest cycle | \
         deferred FKs (nullable) | steps | PONR step | critical path | CSV bytes |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (label, _, _, r) in results {
        println!(
            "| {label} | {} | {} | {} ({}) | {} | {} ({}) | {} | {} | {} | {} |",
            r.0["waves"],
            r.0["widest_wave"],
            r.0["cycles"],
            r.0["self_ref_cycles"],
            r.0["largest_cycle"],
            r.0["deferred"],
            r.0["deferred_nullable"],
            r.0["steps"],
            r.0["ponr_step"],
            r.0["critical_path"],
            r.0["csv_bytes"],
        );
    }
    println!();
    println!(
        "| artifacts / deps | RSS generated | after build | after order | after plan | peak |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for (label, _, _, r) in results {
        println!(
            "| {label} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} |",
            r.mb("rss_generated_kb"),
            r.mb("rss_built_kb"),
            r.mb("rss_ordered_kb"),
            r.mb("rss_planned_kb"),
            r.mb("peak_kb"),
        );
    }
    if let (Some(first), Some(last)) = (results.first(), results.last()) {
        if results.len() > 1 {
            let (_, a0, _, r0) = first;
            let (_, a1, _, r1) = last;
            let size = *a1 as f64 / *a0 as f64;
            println!();
            println!(
                "Scaling {} → {} (×{size:.0} in size): total time ×{:.1}, peak RSS ×{:.1}; \
                 per artifact: {:.2} → {:.2} µs, {:.2} → {:.2} kB.",
                first.0,
                last.0,
                r1.total_ms() / r0.total_ms(),
                r1.f("peak_kb") / r0.f("peak_kb"),
                r0.total_ms() * 1e3 / *a0 as f64,
                r1.total_ms() * 1e3 / *a1 as f64,
                r0.mb("peak_kb") * 1e3 / *a0 as f64,
                r1.mb("peak_kb") * 1e3 / *a1 as f64,
            );
        }
    }
    if let Some((label, _, _, r)) = results.iter().find(|(_, a, _, _)| *a == 100_000) {
        let (t, m) = (r.total_ms(), r.mb("peak_kb"));
        println!(
            "Target at {label}: total {t:.1} ms (< {TARGET_MS:.0} ms: {}), peak {m:.1} MB \
             (< {TARGET_MB:.0} MB: {}).",
            if t < TARGET_MS { "met" } else { "NOT MET" },
            if m < TARGET_MB { "met" } else { "NOT MET" },
        );
    }
}
