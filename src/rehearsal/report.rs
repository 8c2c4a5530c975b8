//! The rehearsal report: JSON (the record), Markdown (for a ticket) and a self-contained HTML
//! page with a Gantt chart of measured vs expected step durations and the capture lag chart.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::gates::{in_words, GateResult};
use super::workload::WorkloadStats;
use crate::plan::calibrate::{Calibration, Measurement, FREEZE_STEP};

/// Pass or fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every gate passed.
    Pass,
    /// A gate failed.
    Fail,
}

/// What became of one runbook step in a rehearsal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepOutcome {
    /// Executed to its end.
    Done,
    /// No machine action on a laptop (an announcement, the source's retirement): recorded.
    Recorded,
    /// A go/no-go checkpoint whose gates passed.
    Go,
    /// A go/no-go checkpoint whose gates failed: the run stopped there and rolled back.
    NoGo,
    /// The step failed (the run stopped).
    Failed,
    /// Not reached: the run stopped before it.
    NotReached,
    /// At or after the point of no return: a rehearsal stops before it and drills the
    /// rollback instead.
    PastPointOfNoReturn,
    /// Undone by its rollback action during the rollback drill.
    Undone,
    /// Its rollback is the target's removal, which the run's teardown does.
    UndoneByTeardown,
}

/// One runbook step of the rehearsed plan, by its id: expected against measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRow {
    /// Runbook step id (`S017`).
    pub step_id: String,
    /// Its title in the runbook.
    pub title: String,
    /// Its phase.
    pub phase: crate::plan::Phase,
    /// What it does.
    pub action: crate::plan::StepAction,
    /// What became of it.
    pub outcome: StepOutcome,
    /// The plan's expected seconds for it (its budget before `[gates] step_budget_factor`),
    /// scaled to the rehearsal's rows for steps that handle rows.
    pub expected_seconds: f64,
    /// Seconds it took, when it ran.
    pub measured_seconds: Option<f64>,
    /// Of `measured_seconds`, the seconds the rehearsal waited for its own simulated
    /// application rather than doing the migration's work (the catch-up, once caught up, waits
    /// until the workload has made `min_source_writes`); calibration leaves them out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waited_seconds: Option<f64>,
    /// Rows it handled, when it handles rows.
    pub rows: Option<u64>,
    /// Writes the workload made on the source while it ran.
    pub source_writes: u64,
    /// Writes the workload made on the target while it ran.
    pub target_writes: u64,
    /// What it did, in a sentence.
    pub detail: String,
}

/// One step as measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepTiming {
    /// Runbook step id (`S017`) when the step is one of the plan's; set-up steps
    /// (provisioning, loading the source) and rollback actions (`S014 undo`) have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_id: Option<String>,
    /// Step name.
    pub name: String,
    /// Start, seconds from the rehearsal start.
    pub start_seconds: f64,
    /// End, seconds from the rehearsal start.
    pub end_seconds: f64,
    /// The runbook's estimate for this step, seconds, when it has one.
    pub expected_seconds: Option<f64>,
    /// Rows the step handled, when it handles rows.
    pub rows: Option<u64>,
}

/// Capture lag at one instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LagSample {
    /// Seconds from the rehearsal start.
    pub at_seconds: f64,
    /// Phase (`catch-up`, `final catch-up`, `rollback`).
    pub phase: String,
    /// Changes captured and not applied.
    pub pending: u64,
    /// Age of the oldest of them, seconds.
    pub age_seconds: f64,
}

/// A run that stopped (kill -9, a crash) and was resumed with `rehearse --resume`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interruption {
    /// Stage it stopped in (`backfill`, `catch-up`).
    pub stage: String,
    /// Rehearsal clock at the last saved progress, seconds (the time it was dead is not counted).
    pub at_seconds: f64,
    /// Seconds from the resume to work going on again (reconnect, workload restarted).
    pub resume_seconds: f64,
}

/// Where the write downtime went, seconds: from the freeze (writes stopped on the source) to
/// writes resuming on the target. The parts add up to at most
/// [`RehearsalReport::write_downtime_seconds`]; all 0 in reports written before it was
/// measured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DowntimeSplit {
    /// Stopping the workload's writes on the source.
    pub freeze_seconds: f64,
    /// Applying the changes captured before the freeze that were still pending.
    pub final_catch_up_seconds: f64,
    /// The post-freeze validation (incremental: the rows changed since the pinned full
    /// validation, exact counts and the sampled re-check; see `validate::changed`).
    pub final_validation_seconds: f64,
    /// Switching writes to the target.
    pub cutover_seconds: f64,
}

impl DowntimeSplit {
    /// Whether anything was measured.
    pub fn is_measured(&self) -> bool {
        self.freeze_seconds
            + self.final_catch_up_seconds
            + self.final_validation_seconds
            + self.cutover_seconds
            > 0.0
    }

    /// `freeze 0.01 s · final catch-up 0.02 s · final validation 0.30 s · cutover 0.05 s`.
    pub fn text(&self) -> String {
        format!(
            "freeze {:.2} s · final catch-up {:.2} s · final validation {:.2} s · cutover {:.2} s",
            self.freeze_seconds,
            self.final_catch_up_seconds,
            self.final_validation_seconds,
            self.cutover_seconds
        )
    }
}

/// Everything a rehearsal measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RehearsalReport {
    /// Run id (sortable by start time).
    pub id: String,
    /// Project name.
    pub project: String,
    /// Provider (`local`, `docker`).
    pub provider: String,
    /// Start, Unix seconds.
    pub started_at_unix: u64,
    /// Verdict.
    pub verdict: Verdict,
    /// The first failed gate's reason, starting with its code (`G004 rollback time vs RTO: …`),
    /// when the verdict is fail.
    pub failed_because: Option<String>,
    /// Steps in order.
    pub steps: Vec<StepTiming>,
    /// The migration shape rehearsed (`cdc`, `offline`, `dual-write`, `blue-green`).
    #[serde(default)]
    pub shape: String,
    /// One row per runbook step, in the plan's order: what the rehearsal did with it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runbook: Vec<StepRow>,
    /// The rollback drill: one row per step undone, in the order undone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rollback: Vec<StepRow>,
    /// Lag over time.
    pub lag: Vec<LagSample>,
    /// Gates evaluated.
    pub gates: Vec<GateResult>,
    /// Rows in the source after loading.
    pub source_rows: u64,
    /// Rows the target refused (kept in the reject table).
    pub rejected_rows: u64,
    /// Values the backfill converted under a stated rule, by source table.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub converted: std::collections::BTreeMap<String, Vec<crate::data::Converted>>,
    /// Captured changes the other side refused during catch-up or the rollback drill (kept in
    /// its reject table with the reason).
    #[serde(default)]
    pub capture_rejected: u64,
    /// The source and target servers' versions as they reported them.
    #[serde(default)]
    pub server_versions: (String, String),
    /// Where a server's version is not the manifest's (`[source]`/`[target]` `version`): the
    /// rehearsal did not rehearse the upgrade the manifest describes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub version_mismatches: Vec<String>,
    /// What moving between the two servers' versions changes beyond the copy (PostgreSQL to
    /// PostgreSQL; codes `U001`…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub upgrade_findings: Vec<crate::upgrade::UpgradeFinding>,
    /// The runbook steps the upgrade findings call for (a `REINDEX`…), with estimates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub upgrade_steps: Vec<crate::upgrade::UpgradeStep>,
    /// Rows differing after the final catch-up.
    pub mismatched_rows: u64,
    /// Validation verdict after the final catch-up.
    pub validation_verdict: String,
    /// The planned point of no return.
    pub point_of_no_return: Option<String>,
    /// Seconds without writes between the freeze and writes resuming on the target.
    pub write_downtime_seconds: f64,
    /// Where the write downtime went (filled by the rehearsal's steps).
    #[serde(default)]
    pub downtime_split: DowntimeSplit,
    /// Seconds the rollback drill took.
    pub rollback_seconds: f64,
    /// Rows of the target missing or different in the source after the rollback drill.
    pub rollback_mismatched_rows: u64,
    /// The project's RTO, seconds.
    pub rto_seconds: f64,
    /// The project's maintenance window, seconds.
    pub maintenance_window_seconds: f64,
    /// Writes made on the source during the backfill and catch-up.
    pub workload_source: WorkloadStats,
    /// Writes made on the target after the cutover.
    pub workload_target: WorkloadStats,
    /// Seconds from start to end.
    pub total_seconds: f64,
    /// Interruptions the run was resumed from, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interruptions: Vec<Interruption>,
    /// Source rows missing from the target after the catch-up and not kept as rejects.
    #[serde(default)]
    pub rows_lost: u64,
    /// Target rows with no source row after the catch-up (a copied-twice row counts here).
    #[serde(default)]
    pub duplicate_rows: u64,
    /// Fault drills run, with what they measured.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drills: Vec<super::drills::DrillResult>,
}

impl RehearsalReport {
    pub(super) fn new(
        id: &str,
        project: &str,
        provider: &str,
        rto_seconds: f64,
        window_seconds: f64,
    ) -> Self {
        Self {
            id: id.to_owned(),
            project: project.to_owned(),
            provider: provider.to_owned(),
            started_at_unix: 0,
            verdict: Verdict::Fail,
            failed_because: None,
            steps: Vec::new(),
            shape: String::new(),
            runbook: Vec::new(),
            rollback: Vec::new(),
            lag: Vec::new(),
            gates: Vec::new(),
            source_rows: 0,
            rejected_rows: 0,
            converted: Default::default(),
            capture_rejected: 0,
            server_versions: Default::default(),
            version_mismatches: Vec::new(),
            upgrade_findings: Vec::new(),
            upgrade_steps: Vec::new(),
            mismatched_rows: 0,
            validation_verdict: String::new(),
            point_of_no_return: None,
            write_downtime_seconds: 0.0,
            downtime_split: DowntimeSplit::default(),
            rollback_seconds: 0.0,
            rollback_mismatched_rows: 0,
            rto_seconds,
            maintenance_window_seconds: window_seconds,
            workload_source: WorkloadStats::default(),
            workload_target: WorkloadStats::default(),
            total_seconds: 0.0,
            interruptions: Vec::new(),
            rows_lost: 0,
            duplicate_rows: 0,
            drills: Vec::new(),
        }
    }

    /// Sets the verdict from the gates.
    pub fn decide(&mut self) {
        self.failed_because = self
            .gates
            .iter()
            .find(|g| !g.passed)
            .map(|g| g.reason.clone());
        self.verdict = if self.failed_because.is_some() {
            Verdict::Fail
        } else {
            Verdict::Pass
        };
    }
}

impl RehearsalReport {
    /// The measured step durations planning calibrates from. The rehearsal does not record the
    /// freeze as a step; when the report has no [`FREEZE_STEP`] step but has a cutover, the
    /// freeze is derived: the write downtime starts at the freeze and ends with the cutover, and
    /// the final catch-up starts right after the freeze, so freeze seconds = start of
    /// `final catch-up` − (end of `cutover` − [`RehearsalReport::write_downtime_seconds`]).
    pub fn measured_steps(&self) -> Calibration {
        if self.runbook.is_empty() {
            return self.measured_steps_by_name();
        }
        // Runbook rows by action, under the measurement names planning maps
        // ([`crate::plan::calibrate::STEP_MAPPINGS`]); the backfill steps of a run are one
        // measurement: their rows in all over the run's seconds.
        use crate::plan::StepAction as A;
        let mut measurements: Vec<Measurement> = Vec::new();
        let ran = |row: &&StepRow| {
            matches!(row.outcome, StepOutcome::Done | StepOutcome::Go)
                && row.measured_seconds.is_some()
        };
        let backfill: Vec<&StepRow> = self
            .runbook
            .iter()
            .filter(ran)
            .filter(|r| r.action == A::Backfill)
            .collect();
        if !backfill.is_empty() {
            let wall = self
                .steps
                .iter()
                .filter(|t| {
                    backfill
                        .iter()
                        .any(|r| t.step_id.as_deref() == Some(&r.step_id))
                })
                .fold((f64::INFINITY, 0.0f64), |(start, end), t| {
                    (start.min(t.start_seconds), end.max(t.end_seconds))
                });
            measurements.push(Measurement {
                step: "backfill".into(),
                seconds: (wall.1 - wall.0).max(0.0),
                rows: Some(backfill.iter().filter_map(|r| r.rows).sum()),
                derived: Some(format!("{} backfill steps", backfill.len())),
            });
        }
        for row in self.runbook.iter().filter(ran) {
            let name = match row.action {
                A::PrepareTarget => "prepare target",
                A::StartCapture | A::StartReplication => "start change capture",
                A::CatchUp => "catch-up",
                A::FinalCatchUp => "final catch-up",
                A::CreateConstraints => "create deferred constraints and indexes",
                A::Validate => "validation",
                A::FinalValidation => "final validation",
                A::Verify => "verify",
                A::FreezeWrites => FREEZE_STEP,
                A::SwitchWrites => "cutover",
                _ => continue,
            };
            if measurements.iter().any(|m| m.step == name) {
                continue;
            }
            measurements.push(Measurement {
                step: name.to_owned(),
                seconds: (row.measured_seconds.unwrap_or(0.0) - row.waited_seconds.unwrap_or(0.0))
                    .max(0.0),
                // Validation and constraints handle every row; the catch-up's backlog grows
                // with the backfill, so with every row too.
                rows: match row.action {
                    A::Validate | A::FinalValidation | A::CreateConstraints | A::CatchUp => None,
                    _ => row.rows,
                },
                derived: Some(format!("runbook step {}", row.step_id)),
            });
        }
        if self.rollback_seconds > 0.0 {
            measurements.push(Measurement {
                step: "rollback drill".into(),
                seconds: self.rollback_seconds,
                rows: None,
                derived: Some("until writes were back on the source".into()),
            });
        }
        Calibration {
            run_id: self.id.clone(),
            rehearsal_rows: self.source_rows,
            measurements,
            fits: Vec::new(),
        }
    }

    /// Measurements of a report written before rehearsals executed the plan's steps (its
    /// steps are named, not numbered).
    fn measured_steps_by_name(&self) -> Calibration {
        let mut measurements: Vec<Measurement> = self
            .steps
            .iter()
            .map(|s| Measurement {
                step: s.name.clone(),
                seconds: (s.end_seconds - s.start_seconds).max(0.0),
                rows: s.rows,
                derived: None,
            })
            .collect();
        let named = |name: &str| self.steps.iter().find(|s| s.name == name);
        if named(FREEZE_STEP).is_none() {
            if let (Some(cutover), Some(final_catch_up)) =
                (named("cutover"), named("final catch-up"))
            {
                let freeze_at = cutover.end_seconds - self.write_downtime_seconds;
                let seconds = final_catch_up.start_seconds - freeze_at;
                if seconds >= 0.0 {
                    measurements.push(Measurement {
                        step: FREEZE_STEP.to_owned(),
                        seconds,
                        rows: None,
                        derived: Some("write downtime minus the steps after the freeze".into()),
                    });
                }
            }
        }
        Calibration {
            run_id: self.id.clone(),
            rehearsal_rows: self.source_rows,
            measurements,
            fits: Vec::new(),
        }
    }
}

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `text` with a no-break space between each figure and the word after it (`792 s`) and
/// between a `<` and the figure it bounds (`< 0.001 s`), so a narrow cell wraps between
/// figures, never inside one; the app's gates table does the same (`keepUnitsWithFigures` in
/// `ui/src/lib/format.ts`). Takes the text before HTML escaping (it looks for `<` itself).
fn keep_units_with_figures(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        let (before, after) = (
            i.checked_sub(1).map(|b| chars[b]),
            chars.get(i + 1).copied(),
        );
        let unit_after_figure = before.is_some_and(|b| b.is_ascii_digit())
            && after
                .is_some_and(|n| !n.is_ascii_digit() && !n.is_whitespace() && !",;:()".contains(n));
        let bound_before_figure = before == Some('<') && after.is_some_and(|n| n.is_ascii_digit());
        out.push(if c == ' ' && (unit_after_figure || bound_before_figure) {
            '\u{a0}'
        } else {
            c
        });
    }
    out
}

/// The report as Markdown.
fn outcome_label(outcome: StepOutcome) -> &'static str {
    match outcome {
        StepOutcome::Done => "done",
        StepOutcome::Recorded => "recorded",
        StepOutcome::Go => "go",
        StepOutcome::NoGo => "**no-go**",
        StepOutcome::Failed => "**failed**",
        StepOutcome::NotReached => "not reached",
        StepOutcome::PastPointOfNoReturn => "past the point of no return",
        StepOutcome::Undone => "undone",
        StepOutcome::UndoneByTeardown => "undone by teardown",
    }
}

/// The report as Markdown: the verdict, one row per runbook step by id, the rollback drill,
/// the set-up timings and the gates.
pub fn markdown(r: &RehearsalReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Rehearsal {} of {}: **{:?}**\n",
        r.id, r.project, r.verdict
    );
    if let Some(why) = &r.failed_because {
        let _ = writeln!(out, "Failed gate: {why}\n");
    }
    let _ = writeln!(
        out,
        "Provider {}; {} source rows; write downtime {:.2} s (window {:.0} s); rollback {:.2} s (RTO {:.0} s); point of no return: {}.\n",
        r.provider, r.source_rows, r.write_downtime_seconds, r.maintenance_window_seconds, r.rollback_seconds, r.rto_seconds,
        r.point_of_no_return.as_deref().unwrap_or("none")
    );
    if r.downtime_split.is_measured() {
        let _ = writeln!(out, "Write downtime: {}.\n", r.downtime_split.text());
    }
    if !r.runbook.is_empty() {
        let _ = writeln!(out, "Shape: {}.\n", r.shape);
        out.push_str("| Step | Title | Outcome | Expected s | Measured s | Rows | Source writes | Target writes |\n|---|---|---|---:|---:|---:|---:|---:|\n");
        for row in &r.runbook {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.1} | {} | {} | {} | {} |",
                row.step_id,
                row.title.replace('|', "\\|"),
                outcome_label(row.outcome),
                row.expected_seconds,
                match (row.measured_seconds, row.waited_seconds) {
                    (None, _) => String::new(),
                    (Some(m), None) => format!("{m:.2}"),
                    (Some(m), Some(w)) =>
                        format!("{m:.2} (of which {w:.2} waiting for the workload)"),
                },
                row.rows.map_or_else(String::new, |n| n.to_string()),
                row.source_writes,
                row.target_writes,
            );
        }
        let undone: Vec<&StepRow> = r
            .rollback
            .iter()
            .filter(|u| u.outcome == StepOutcome::Undone)
            .collect();
        if !undone.is_empty() {
            let _ = writeln!(
                out,
                "\nRollback drill ({:.2} s until writes were back on the source; steps whose rollback is the target's removal are left to the teardown):\n",
                r.rollback_seconds
            );
            out.push_str("| Step | Rollback | Measured s | What it did |\n|---|---|---:|---|\n");
            for u in undone {
                let _ = writeln!(
                    out,
                    "| {} | {} | {:.2} | {} |",
                    u.step_id,
                    u.title.replace('|', "\\|"),
                    u.measured_seconds.unwrap_or(0.0),
                    u.detail.replace('|', "\\|")
                );
            }
        }
        out.push('\n');
    }
    out.push_str("| Timing | Start s | Measured s | Expected s | Rows | Rows/s |\n|---|---:|---:|---:|---:|---:|\n");
    for s in r
        .steps
        .iter()
        .filter(|s| s.step_id.is_none() && !s.name.ends_with(" undo"))
    {
        let measured = s.end_seconds - s.start_seconds;
        let _ = writeln!(
            out,
            "| {} | {:.2} | {:.2} | {} | {} | {} |",
            s.name,
            s.start_seconds,
            measured,
            s.expected_seconds
                .map_or_else(String::new, |e| format!("{e:.1}")),
            s.rows.map_or_else(String::new, |n| n.to_string()),
            s.rows
                .filter(|_| measured > 0.0)
                .map_or_else(String::new, |n| format!("{:.0}", n as f64 / measured))
        );
    }
    out.push_str("\n| Code | Gate | Result |\n|---|---|---|\n");
    for g in &r.gates {
        let _ = writeln!(
            out,
            "| {} | {} | {} {} |",
            g.code,
            g.gate,
            if g.passed { "pass" } else { "**FAIL**" },
            g.reason
        );
    }
    let _ = writeln!(
        out,
        "\nWorkload on the source: {} inserts, {} updates, {} deletes, {} key changes; on the target after cutover: {} writes. Operations that failed transiently (deadlocks, lock waits; retried, not errors): {} on the source, {} on the target.",
        r.workload_source.inserts, r.workload_source.updates, r.workload_source.deletes, r.workload_source.key_changes, r.workload_target.writes(),
        r.workload_source.transient, r.workload_target.transient
    );
    let _ = writeln!(
        out,
        "\nServers: source {}, target {}.",
        r.server_versions.0, r.server_versions.1
    );
    for mismatch in &r.version_mismatches {
        let _ = writeln!(out, "\n**Version mismatch:** {mismatch}");
    }
    upgrade_markdown(r, &mut out);
    let _ = writeln!(
        out,
        "\nRows lost: {}; duplicate rows: {}; rejected rows kept: {}; captured changes refused and kept: {}.",
        r.rows_lost, r.duplicate_rows, r.rejected_rows, r.capture_rejected
    );
    if !r.converted.is_empty() {
        out.push_str("\n| Table | Column | Rule | Values converted | Example keys |\n|---|---|---|---:|---|\n");
        for (table, converted) in &r.converted {
            for c in converted {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    crate::export::markdown::cell(table),
                    crate::export::markdown::cell(&c.column),
                    c.rule,
                    c.count,
                    crate::export::markdown::cell(&c.example_keys.join(" "))
                );
            }
        }
    }
    for i in &r.interruptions {
        let _ = writeln!(
            out,
            "\nInterrupted during {} at {:.2} s and resumed; back at work {:.2} s after the resume.",
            i.stage, i.at_seconds, i.resume_seconds
        );
    }
    if !r.drills.is_empty() {
        out.push_str("\n| Drill | What happened | Resume s | Retries |\n|---|---|---:|---:|\n");
        for d in &r.drills {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                d.name,
                d.detail,
                d.resume_seconds
                    .map_or_else(String::new, |s| format!("{s:.3}")),
                d.retries
            );
        }
    }
    out
}

/// The app's own chart code (visx), built from `ui/report/` by `npm run build:report` into one
/// script (see `assets/README.md`): the report page draws the same Gantt and lag chart as the
/// desktop's Rehearsal screen.
const CHARTS_SCRIPT: &str = include_str!("assets/report_charts.js");

/// The licenses of what [`CHARTS_SCRIPT`] bundles, stated beside it in every page.
const CHARTS_NOTICE: &str = "/*! Migration Studio report charts, built from ui/report. Bundles React, react-dom and scheduler (MIT, Meta Platforms), visx (MIT, Airbnb) and d3 modules (ISC, Mike Bostock). */";

/// `r` as JSON that can sit inside a `<script>` element: every `<` is written `\u003c`, so no
/// text of the report (a step title, a reason) can close the element.
fn script_json(r: &RehearsalReport) -> String {
    serde_json::to_string(r)
        .expect("reports serialise")
        .replace('<', "\\u003c")
}

/// The report as one HTML page: its figures, gates and drills as text, and its charts (steps
/// measured and planned on two time axes with the write freeze and the point of no return
/// marked; changes pending over time) drawn by the app's chart code, which the page carries
/// inline with the report's data. One file, no network access; without scripts the steps
/// still read as a table.
pub fn html(r: &RehearsalReport) -> String {
    let steps: String = r
        .steps
        .iter()
        .map(|s| {
            format!(
                "<tr><td>{}</td><td class=\"num\">{:.2}</td><td class=\"num\">{:.2}</td><td class=\"num\">{}</td></tr>",
                esc(&s.name),
                s.start_seconds,
                s.end_seconds - s.start_seconds,
                s.expected_seconds
                    .map_or_else(String::new, |e| format!("{e:.1}"))
            )
        })
        .collect();
    let lag = if r.lag.len() > 1 {
        "<h2>Change-capture lag</h2><div id=\"lag\"></div>"
    } else {
        ""
    };
    let gates: String = r
        .gates
        .iter()
        .map(|g| {
            format!(
                "<tr><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td></tr>",
                esc(&g.code),
                esc(&in_words(&g.gate)),
                if g.passed { "pass" } else { "fail" },
                if g.passed { "pass" } else { "FAIL" },
                // The row shows the code and label already: the rest of the reason.
                esc(&keep_units_with_figures(&in_words(
                    g.reason
                        .strip_prefix(&format!("{} {}: ", g.code, g.gate))
                        .unwrap_or(&g.reason)
                )))
            )
        })
        .collect();
    let drills: String = r
        .drills
        .iter()
        .map(|d| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&d.name),
                esc(&d.detail),
                d.resume_seconds
                    .map_or_else(String::new, |s| format!("resumed in {s:.3} s")),
                d.retries
            )
        })
        .collect();
    // No drill asked for: no heading over an empty table.
    let drills = if drills.is_empty() {
        String::new()
    } else {
        format!("<h2>Fault drills</h2><table>{drills}</table>")
    };
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Rehearsal {id}</title>\
<style>body{{font-family:system-ui,sans-serif;margin:24px;color:#111}}.pass{{color:#15803d}}.fail{{color:#b91c1c;font-weight:bold}}td{{padding:2px 8px}}td.num{{text-align:right}}\
.chart-box{{position:relative;background:white}}.chart-tip{{font-size:12px;line-height:1.4;max-width:320px}}\
.chart-legend{{font-size:12px;color:#475569;margin:4px 0 12px}}\
.swatch{{display:inline-block;width:12px;height:12px;border-radius:3px;margin:0 6px 0 12px;vertical-align:middle}}</style></head><body>\
<h1>Rehearsal of {project}: <span class=\"{vclass}\">{verdict:?}</span></h1><p>{why}</p>\
<p>{rows} source rows · write downtime {down:.2} s (window {win:.0} s) · rollback {rb:.2} s (RTO {rto:.0} s) · point of no return: {ponr}</p>{split}\
<h2>Steps: as measured and as planned</h2><div id=\"gantt\"></div>\
<details><summary>Steps as numbers</summary><table><tr><th>step</th><th>start (s)</th><th>measured (s)</th><th>expected (s)</th></tr>{steps}</table></details>\
{lag}<h2>Gates</h2><table>{gates}</table>\
<p>Rows lost: {lost} · duplicate rows: {dups} · rejected rows kept: {rejected}</p>\
{drills}{upgrade}\
<script type=\"application/json\" id=\"report-data\">{data}</script><script>{notice}\n{charts}</script></body></html>",
        id = esc(&r.id),
        project = esc(&r.project),
        upgrade = upgrade_html(r),
        vclass = if r.verdict == Verdict::Pass { "pass" } else { "fail" },
        verdict = r.verdict,
        why = r.failed_because.as_deref().map(esc).unwrap_or_default(),
        rows = r.source_rows,
        lost = r.rows_lost,
        dups = r.duplicate_rows,
        rejected = r.rejected_rows,
        down = r.write_downtime_seconds,
        split = if r.downtime_split.is_measured() {
            format!("<p>Write downtime: {}</p>", esc(&r.downtime_split.text()))
        } else {
            String::new()
        },
        win = r.maintenance_window_seconds,
        rb = r.rollback_seconds,
        rto = r.rto_seconds,
        ponr = esc(r.point_of_no_return.as_deref().unwrap_or("none")),
        data = script_json(r),
        notice = CHARTS_NOTICE,
        charts = CHARTS_SCRIPT,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_carries_its_data_and_chart_script_and_no_text_closes_the_script() {
        let mut r = RehearsalReport::new("r1", "p", "local", 60.0, 600.0);
        r.steps.push(StepTiming {
            step_id: Some("S010".into()),
            name: "S010 Copy </script><b>wave 1".into(),
            start_seconds: 0.5,
            end_seconds: 6.0,
            expected_seconds: Some(540.0),
            rows: Some(1000),
        });
        r.lag.push(LagSample {
            at_seconds: 1.0,
            phase: "catch-up".into(),
            pending: 12,
            age_seconds: 0.2,
        });
        r.point_of_no_return = Some("S033 Switch the applications".into());
        let page = html(&r);
        // The report's own `</script>` and the two the page closes its scripts with.
        assert_eq!(page.matches("</script>").count(), 2, "{page}");
        assert!(page.contains("S010 Copy \\u003c/script>\\u003cb>wave 1"));
        assert!(page.contains("<div id=\"gantt\"></div>"));
        assert!(page.contains(CHARTS_SCRIPT));
        // The fields the chart script reads (`ui/src/lib/reportCharts.ts`).
        let data: serde_json::Value = serde_json::from_str(&script_json(&r)).unwrap();
        for field in ["name", "start_seconds", "end_seconds", "expected_seconds"] {
            assert!(data["steps"][0].get(field).is_some(), "steps[].{field}");
        }
        for field in ["at_seconds", "pending"] {
            assert!(data["lag"][0].get(field).is_some(), "lag[].{field}");
        }
        assert_eq!(data["point_of_no_return"], "S033 Switch the applications");
        // Without scripts the steps still read, as numbers.
        assert!(page.contains("<td class=\"num\">5.50</td><td class=\"num\">540.0</td>"));
        // A gate's row says its code and label once.
        r.gates.push(super::super::gates::GateResult::at_most(
            "mismatched rows",
            0.0,
            0.0,
            "",
        ));
        let page = html(&r);
        assert!(
            page.contains("<td>G001</td><td>mismatched rows</td><td class=\"pass\">pass</td><td>measured 0, limit 0</td>"),
            "{page}"
        );
        // A step's gate names the step in words, not between Markdown's backticks.
        r.gates.push(super::super::gates::GateResult::at_most(
            "time of step `S004 Backfill sakila.actor (wave 1)`",
            0.019,
            30.0,
            " s",
        ));
        let page = html(&r);
        assert!(
            page.contains("<td>G007</td><td>time of step \u{201c}S004 Backfill sakila.actor (wave 1)\u{201d}</td><td class=\"pass\">pass</td><td>measured 0.019\u{a0}s, limit 30\u{a0}s</td>"),
            "{page}"
        );
        assert!(markdown(&r).contains("time of step `S004 Backfill sakila.actor (wave 1)`"));
        // The charts' legends show their colour swatches (the app's stylesheet is not here):
        // without a size, an empty swatch left "measured longer than planned planned".
        assert!(page.contains(".swatch{display:inline-block;width:12px;height:12px"));
    }

    #[test]
    fn gate_figures_keep_their_units() {
        assert_eq!(
            keep_units_with_figures("measured 0.12 s, limit 792 s"),
            "measured 0.12\u{a0}s, limit 792\u{a0}s"
        );
        assert_eq!(
            keep_units_with_figures("measured 0, limit 0"),
            "measured 0, limit 0"
        );
        assert_eq!(
            keep_units_with_figures("3 of 4 (75 %)"),
            "3\u{a0}of 4 (75\u{a0}%)"
        );
        assert_eq!(
            keep_units_with_figures("measured < 0.001 s, limit 3000 s"),
            "measured <\u{a0}0.001\u{a0}s, limit 3000\u{a0}s"
        );
    }

    #[test]
    fn no_fault_drills_heading_without_drills() {
        let r = RehearsalReport::new("r1", "p", "local", 60.0, 600.0);
        assert!(!html(&r).contains("Fault drills"));
    }

    #[test]
    fn the_downtime_split_is_rendered_when_measured_and_read_from_older_reports() {
        let mut r = RehearsalReport::new("r1", "p", "local", 60.0, 600.0);
        assert!(!markdown(&r).contains("final validation"));
        r.downtime_split = DowntimeSplit {
            freeze_seconds: 0.01,
            final_catch_up_seconds: 0.02,
            final_validation_seconds: 0.3,
            cutover_seconds: 0.05,
        };
        let text =
            "freeze 0.01 s · final catch-up 0.02 s · final validation 0.30 s · cutover 0.05 s";
        assert!(markdown(&r).contains(text), "{}", markdown(&r));
        assert!(html(&r).contains(text));
        // A report written before the split existed still reads, with nothing measured.
        let mut old = serde_json::to_value(&r).unwrap();
        old.as_object_mut().unwrap().remove("downtime_split");
        let read: RehearsalReport = serde_json::from_value(old).unwrap();
        assert!(!read.downtime_split.is_measured());
    }
}

#[cfg(test)]
mod calibration_tests {
    use super::*;
    use crate::plan::{Phase, StepAction};

    /// The catch-up of a small rehearsal mostly waits for the workload's minimum writes: that
    /// wait is shown with the step but is not the migration's work, so calibration leaves it out.
    #[test]
    fn the_catch_up_measurement_leaves_out_the_wait_for_the_workload() {
        let mut r = RehearsalReport::new("r1", "p", "local", 60.0, 600.0);
        r.runbook.push(StepRow {
            step_id: "S005".into(),
            title: "Catch up".into(),
            phase: Phase::CatchUp,
            action: StepAction::CatchUp,
            outcome: StepOutcome::Done,
            expected_seconds: 1.0,
            measured_seconds: Some(3.5),
            waited_seconds: Some(3.0),
            rows: Some(200),
            source_writes: 200,
            target_writes: 0,
            detail: String::new(),
        });
        let catch_up = r
            .measured_steps()
            .measurements
            .into_iter()
            .find(|m| m.step == "catch-up")
            .unwrap();
        assert!((catch_up.seconds - 0.5).abs() < 1e-9, "{catch_up:?}");
        assert!(markdown(&r).contains("3.50 (of which 3.00 waiting for the workload)"));
    }
}

/// The upgrade findings and the steps they call for, as Markdown (nothing without findings).
fn upgrade_markdown(r: &RehearsalReport, out: &mut String) {
    use crate::export::markdown::cell;
    if r.upgrade_findings.is_empty() {
        return;
    }
    out.push_str("\n### Upgrade findings\n\n| Code | Severity | Finding | Objects | Suggested step |\n|---|---|---|---|---|\n");
    for f in &r.upgrade_findings {
        let severity = match f.severity {
            crate::inventory::Severity::Warning => "warning",
            crate::inventory::Severity::Notice => "notice",
        };
        let _ = writeln!(
            out,
            "| {} | {severity} | {} | {} | {} |",
            f.code,
            cell(&f.message),
            cell(&f.objects.join(", ")),
            cell(&f.suggestion)
        );
    }
    if r.upgrade_steps.is_empty() {
        return;
    }
    out.push_str("\nRunbook steps the upgrade findings call for (on the target, after the move):\n\n| Finding | Step | Statements | Expected | Basis |\n|---|---|---|---:|---|\n");
    for s in &r.upgrade_steps {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.2} s | {} |",
            s.code,
            cell(&s.title),
            cell(&s.sql.join("; ")),
            s.expected_seconds,
            cell(&s.estimate_basis)
        );
    }
}

/// The servers that ran, any version mismatch, the upgrade findings and their steps, as HTML.
fn upgrade_html(r: &RehearsalReport) -> String {
    let mut out = format!(
        "<h2>Servers</h2><p>source {}, target {}</p>",
        esc(&r.server_versions.0),
        esc(&r.server_versions.1)
    );
    for mismatch in &r.version_mismatches {
        let _ = write!(
            out,
            "<p class=\"fail\">Version mismatch: {}</p>",
            esc(mismatch)
        );
    }
    if !r.upgrade_findings.is_empty() {
        out.push_str("<h2>Upgrade findings</h2><table>");
        for f in &r.upgrade_findings {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&f.code),
                esc(&f.message),
                esc(&f.objects.join(", ")),
                esc(&f.suggestion)
            );
        }
        out.push_str("</table>");
    }
    if !r.upgrade_steps.is_empty() {
        out.push_str("<h2>Steps the upgrade findings call for</h2><table>");
        for s in &r.upgrade_steps {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{:.2} s ({})</td></tr>",
                esc(&s.code),
                esc(&s.title),
                esc(&s.sql.join("; ")),
                s.expected_seconds,
                esc(&s.estimate_basis)
            );
        }
        out.push_str("</table>");
    }
    out
}
