//! The runbook as a Markdown document for a wiki or a change ticket.

use std::fmt::Write;

use crate::plan::Plan;

/// Escapes text for a Markdown table cell: pipes, backslashes, HTML-significant characters and
/// line breaks, so imported names render as text.
pub fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '\\' => out.push_str("\\\\"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' | '*' | '_' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// [`cell`] for text a person typed over several lines: each line escaped, joined by `<br>`
/// (GitHub, GitLab and most wikis render it inside a table cell).
fn multiline_cell(text: &str) -> String {
    text.lines().map(cell).collect::<Vec<_>>().join("<br>")
}

/// The runbook of `plan` titled `title`: a summary, then one table row per step, the PONR row
/// marked in bold with ⛔, the team's notes in the last column (escaped, line breaks as `<br>`).
pub fn runbook_markdown(plan: &Plan, title: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Cutover runbook: {}\n", cell(title));
    let s = &plan.settings;
    let _ = writeln!(
        out,
        "Shape **{}**, RTO {} min, maintenance window {} min. Critical path {} min; estimated write downtime {:.2} min. Durations are estimates unless marked measured.\n",
        s.shape, s.rto_minutes, s.maintenance_window_minutes, plan.schedule.total_minutes, plan.downtime_minutes()
    );
    if let Some(c) = &plan.calibration {
        let steps = |n: usize| {
            if n == 1 {
                "1 step".to_owned()
            } else {
                format!("{n} steps")
            }
        };
        let _ = writeln!(
            out,
            "Calibrated from rehearsal {}: durations of {} and rollback times of {} are measured (see the CSV's `estimate_basis`), scaled from {} rehearsed rows to {}.\n",
            cell(&c.run_id),
            steps(c.duration_steps.len()),
            steps(c.rollback_steps.len()),
            c.rehearsal_rows,
            c.plan_rows
        );
    }
    if let Some(p) = &plan.point_of_no_return {
        let _ = writeln!(
            out,
            "**Point of no return: {}** — {}.\n",
            p.step_id,
            cell(&p.reason)
        );
    }
    out.push_str("| Step | Phase | Kind | Title | Owner | Minutes | Depends on | Rollback | Rollback min | Notes |\n");
    out.push_str("|---|---|---|---|---|---:|---|---|---:|---|\n");
    let ponr = plan.point_of_no_return.as_ref().map(|p| p.step_id.as_str());
    for step in &plan.steps {
        let is_ponr = ponr == Some(step.id.as_str());
        let id = if is_ponr {
            format!("**{} ⛔ PONR**", step.id)
        } else {
            step.id.clone()
        };
        let (rollback, minutes) = match &step.rollback {
            Some(r) => (cell(&r.action), r.minutes.to_string()),
            None => ("irreversible".to_owned(), String::new()),
        };
        let _ = writeln!(
            out,
            "| {id} | {} | {} | {} | {} | {} | {} | {rollback} | {minutes} | {} |",
            step.phase,
            step.kind,
            cell(&step.title),
            cell(&step.owner),
            step.expected_minutes,
            step.depends_on.join(" "),
            multiline_cell(step.notes.as_deref().unwrap_or_default()),
        );
    }
    upgrade_section(plan, &mut out);
    out
}

/// For an upgrade: its findings (code, severity, where from, objects, what to do) and the
/// statements of the runbook steps they call for.
fn upgrade_section(plan: &Plan, out: &mut String) {
    let Some(u) = &plan.upgrade else {
        return;
    };
    let _ = writeln!(
        out,
        "\n## Upgrade checks: {}\n\n| Finding | Severity | From | What | Objects | Suggestion |\n|---|---|---|---|---|---|",
        cell(&u.pair_label())
    );
    for f in &u.findings {
        let from = f
            .rehearsal
            .as_deref()
            .map_or_else(|| "release notes".to_owned(), |r| format!("rehearsal {r}"));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            f.finding.code,
            f.finding.severity_word(),
            cell(&from),
            cell(&f.finding.message),
            cell(&f.finding.objects.join(", ")),
            cell(&f.finding.suggestion)
        );
    }
    for step in plan.steps.iter().filter(|s| !s.statements.is_empty()) {
        let _ = writeln!(
            out,
            "\nStep {} ({}) runs on the target:\n\n```sql\n{}\n```",
            step.id,
            step.finding.as_deref().unwrap_or_default(),
            step.statements.join(";\n") + ";"
        );
    }
}
