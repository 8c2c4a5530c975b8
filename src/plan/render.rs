//! The plan as text for people (the `plan` command's default output).

use std::fmt::Write;

use super::{Calibrated, Plan};
use crate::export::{escape_controls, terminal_text};
use crate::graph::{ArtifactKind, DependencyGraph, DependencyKind};

fn name_of<'a>(graph: &'a DependencyGraph, id: &'a str) -> String {
    let name = graph
        .find(id)
        .map_or_else(|| id.to_owned(), |n| graph.artifact(n).name.to_string());
    escape_controls(&name).into_owned()
}

pub(super) fn text(plan: &Plan, title: &str, graph: &DependencyGraph) -> String {
    let s = &plan.settings;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Plan for {title}: shape {}, RTO {} min, maintenance window {} min",
        s.shape, s.rto_minutes, s.maintenance_window_minutes
    );
    let _ = writeln!(
        out,
        "Graph: {} artifacts, {} dependencies, {} waves, {} cycles",
        graph.artifact_count(),
        graph.dependency_count(),
        plan.order.waves.len(),
        plan.order.cycles.len()
    );
    out.push_str(
        if graph
            .artifacts()
            .any(|(_, a)| matches!(a.kind, ArtifactKind::Service(_)))
        {
            "\nWaves (tables, [services and stores], in migration order):\n"
        } else {
            "\nWaves (tables, in migration order):\n"
        },
    );
    for wave in &plan.order.waves {
        let tables: Vec<String> = wave
            .artifacts
            .iter()
            .filter(|a| a.starts_with("table:"))
            .map(|a| name_of(graph, a))
            .collect();
        let services: Vec<String> = wave
            .artifacts
            .iter()
            .filter(|a| {
                graph
                    .find(a)
                    .is_some_and(|n| matches!(graph.artifact(n).kind, ArtifactKind::Service(_)))
            })
            .cloned()
            .collect();
        let others = wave.artifacts.len() - tables.len() - services.len();
        let _ = write!(out, "  wave {}: {}", wave.number, tables.join(", "));
        if !services.is_empty() {
            let _ = write!(
                out,
                "{}[{}]",
                if tables.is_empty() { "" } else { " " },
                services.join(", ")
            );
        }
        if others > 0 {
            let _ = write!(
                out,
                "{}(+{others} views/triggers)",
                if tables.is_empty() && services.is_empty() {
                    ""
                } else {
                    " "
                }
            );
        }
        out.push('\n');
    }
    if !plan.order.cycles.is_empty() {
        out.push_str("\nCycles and proposed breaks:\n");
        for cycle in &plan.order.cycles {
            let members: Vec<String> = cycle.members.iter().map(|m| name_of(graph, m)).collect();
            let what = if cycle.self_reference {
                "self-reference"
            } else {
                "cycle"
            };
            let _ = writeln!(out, "  {what}: {}", members.join(" <-> "));
            for d in cycle
                .deferred
                .iter()
                .filter(|d| d.kind != DependencyKind::ForeignKey)
            {
                let _ = writeln!(
                    out,
                    "    cut {} {} -> {}: {}",
                    d.kind.label(),
                    name_of(graph, &d.from),
                    name_of(graph, &d.to),
                    d.strategy.describe()
                );
            }
            for d in cycle
                .deferred
                .iter()
                .filter(|d| d.kind == DependencyKind::ForeignKey)
            {
                let _ = writeln!(
                    out,
                    "    defer FK {} ({} -> {}): {}",
                    d.label.as_deref().unwrap_or("?"),
                    name_of(graph, &d.from),
                    name_of(graph, &d.to),
                    if d.nullable {
                        "nullable: load it NULL, set it and create the FK after the backfill"
                    } else {
                        "NOT NULL: load with constraint checks deferred, create the FK after the backfill"
                    }
                );
            }
            if !cycle.broken {
                let structural_only = cycle.members.iter().all(|m| {
                    m.starts_with("table:") || m.starts_with("view:") || m.starts_with("trigger:")
                });
                out.push_str(if structural_only {
                    "    not breakable by deferring FKs: its members migrate together\n"
                } else {
                    "    not breakable (no FK or service link to cut): its members migrate together\n"
                });
            }
        }
    }
    match &plan.calibration {
        None => {
            let _ = writeln!(
                out,
                "\nRunbook: {} steps (durations are estimates at {} rows/s unless calibrated)",
                plan.steps.len(),
                s.throughput.backfill_rows_per_second
            );
        }
        Some(c) => calibrated(&mut out, plan, c),
    }
    match &plan.point_of_no_return {
        Some(p) => {
            let step = plan.step(&p.step_id).expect("PONR step exists");
            let _ = writeln!(
                out,
                "Point of no return: {} {} ({}; rollback before it: {} min, RTO {} min)",
                step.id, step.title, p.reason, p.rollback_minutes_before, s.rto_minutes
            );
        }
        None => out.push_str("Point of no return: none, every step can be undone within the RTO\n"),
    }
    let _ = writeln!(
        out,
        "Critical path: {} min over {} steps",
        plan.schedule.total_minutes,
        plan.schedule.critical_path.len()
    );
    let downtime = plan.downtime_minutes();
    let _ = writeln!(
        out,
        "Estimated write downtime: {:.2} min ({} the {} min window)",
        downtime,
        if downtime <= s.maintenance_window_minutes {
            "fits"
        } else {
            "EXCEEDS"
        },
        s.maintenance_window_minutes
    );
    if let Some(u) = &plan.upgrade {
        upgrade(&mut out, plan, u);
    }
    // Names come from the inputs: their control characters must not reach a terminal.
    terminal_text(&out).into_owned()
}

/// The upgrade's findings, where they come from, and the runbook steps they added.
fn upgrade(out: &mut String, plan: &Plan, u: &crate::upgrade::UpgradeChecks) {
    let from = match &u.rehearsal {
        Some(run) => format!("the release notes applied to the inventory, and rehearsal {run}'s catalogs"),
        None => "the release notes applied to the inventory; no rehearsal of this version pair yet (it reads both servers' catalogs)".into(),
    };
    let _ = writeln!(
        out,
        "\nUpgrade {}: {} finding(s) from {from}",
        u.pair_label(),
        u.findings.len()
    );
    for f in &u.findings {
        let shown: Vec<&str> = f
            .finding
            .objects
            .iter()
            .take(3)
            .map(String::as_str)
            .collect();
        let more = f.finding.objects.len().saturating_sub(shown.len());
        let _ = writeln!(
            out,
            "  {} {}{}: {}",
            f.finding.code,
            f.finding.severity_word(),
            f.rehearsal
                .as_deref()
                .map_or_else(String::new, |r| format!(" (rehearsal {r})")),
            f.finding.message
        );
        if !shown.is_empty() {
            let _ = writeln!(
                out,
                "    {}{}",
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            );
        }
    }
    for step in plan.steps.iter().filter(|s| s.finding.is_some()) {
        let _ = writeln!(
            out,
            "  runbook {} ({}, {} min): {}",
            step.id, step.phase, step.expected_minutes, step.title
        );
    }
}

/// The runbook line of a calibrated plan: which run, which steps, what was left as estimated.
fn calibrated(out: &mut String, plan: &Plan, c: &Calibrated) {
    let _ = writeln!(
        out,
        "\nRunbook: {} steps; durations of {} and rollback times of {} calibrated from rehearsal {} \
         ({} rows rehearsed, scaled to the plan's {} rows); the others are estimates at {} rows/s",
        plan.steps.len(),
        count(c.duration_steps.len()),
        count(c.rollback_steps.len()),
        c.run_id,
        c.rehearsal_rows,
        c.plan_rows,
        plan.settings.throughput.backfill_rows_per_second
    );
    let _ = writeln!(
        out,
        "  calibrated durations: {}",
        by_phase(plan, &c.duration_steps)
    );
    if !c.rollback_steps.is_empty() {
        let _ = writeln!(
            out,
            "  calibrated rollback times: {}",
            by_phase(plan, &c.rollback_steps)
        );
    }
    for unused in &c.unused {
        let _ = writeln!(out, "  not used: {unused}");
    }
}

/// `backfill 16 steps, cutover S027, …`: the steps of `ids` by phase, ids when few.
fn by_phase(plan: &Plan, ids: &[String]) -> String {
    let ids: std::collections::HashSet<&str> = ids.iter().map(String::as_str).collect();
    let mut groups: Vec<(super::Phase, Vec<&str>)> = Vec::new();
    for step in plan.steps.iter().filter(|s| ids.contains(s.id.as_str())) {
        match groups.iter_mut().find(|(p, _)| *p == step.phase) {
            Some((_, members)) => members.push(&step.id),
            None => groups.push((step.phase, vec![&step.id])),
        }
    }
    groups.sort_by_key(|(p, _)| *p);
    if groups.is_empty() {
        return "none".into();
    }
    groups
        .iter()
        .map(|(phase, members)| {
            if members.len() > 3 {
                format!("{phase} {} steps", members.len())
            } else {
                format!("{phase} {}", members.join(" "))
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn count(steps: usize) -> String {
    if steps == 1 {
        "1 step".into()
    } else {
        format!("{steps} steps")
    }
}
