//! The target DDL of a project, offline: from the stored inventory and the spec (or the default
//! mapping), the same statements the backfill's "prepare target" step runs, then the secondary
//! indexes and foreign keys of its "after the copy" step. Deterministic: tables in wave order
//! then by name, columns in source order, so the same spec gives byte-identical text.

use crate::backfill::BackfillPlan;
use crate::import::Engine;
use crate::inventory::Inventory;

use super::MappingSpec;

/// The target DDL of `inventory` moved from `source` to `target` under `spec` (`None`: the
/// default mapping), as one script: `CREATE SCHEMA`/`CREATE TABLE` statements, then
/// `-- after the copy` and the indexes and foreign keys, each statement ending in `;`. Tables
/// keep their source schema (a live backfill puts them in the target URL's own schema).
pub fn target_ddl(
    inventory: &Inventory,
    source: Engine,
    target: Engine,
    spec: Option<&MappingSpec>,
) -> String {
    let plan = BackfillPlan::mapped(inventory, source, target, None, &[], spec);
    let mut out = String::new();
    for sql in plan.create_tables_sql() {
        out.push_str(&sql);
        out.push_str(";\n");
    }
    for skipped in &plan.skipped {
        out.push_str(&format!(
            "-- not created: {}: {}\n",
            skipped.table, skipped.reason
        ));
    }
    out.push_str("-- after the copy\n");
    for object in &plan.post_copy {
        out.push_str(&object.sql);
        out.push_str(";\n");
    }
    crate::export::terminal_text(&out).into_owned()
}

/// A line diff of `before` → `after`: unchanged lines start with two spaces, removed ones with
/// `- `, added ones with `+ `; unchanged runs longer than six lines are cut to their first and
/// last three. Empty when the texts are equal.
pub fn line_diff(before: &str, after: &str) -> String {
    if before == after {
        return String::new();
    }
    let a: Vec<&str> = before.lines().collect();
    let b: Vec<&str> = after.lines().collect();
    // Longest common subsequence table: DDL scripts are hundreds of lines, so n×m is small.
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut lines: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            lines.push((' ', a[i]));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            lines.push(('-', a[i]));
            i += 1;
        } else {
            lines.push(('+', b[j]));
            j += 1;
        }
    }
    let mut out = String::new();
    let mut k = 0;
    while k < lines.len() {
        let run = lines[k..].iter().take_while(|(c, _)| *c == ' ').count();
        if run > 6 {
            for (_, line) in &lines[k..k + 3] {
                out.push_str(&format!("  {line}\n"));
            }
            out.push_str(&format!("  … {} unchanged lines\n", run - 6));
            for (_, line) in &lines[k + run - 3..k + run] {
                out.push_str(&format!("  {line}\n"));
            }
            k += run;
        } else if run > 0 {
            for (_, line) in &lines[k..k + run] {
                out.push_str(&format!("  {line}\n"));
            }
            k += run;
        } else {
            let (c, line) = lines[k];
            out.push_str(&format!("{c} {line}\n"));
            k += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::line_diff;

    #[test]
    fn a_changed_line_shows_as_removed_then_added() {
        let before = "a\nb\nc\n";
        let after = "a\nB\nc\n";
        assert_eq!(line_diff(before, after), "  a\n- b\n+ B\n  c\n");
        assert_eq!(line_diff(before, before), "");
    }
}
