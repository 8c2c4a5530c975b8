//! The severity × likelihood heat map of a register: how many risks that are not retired fall in
//! each cell, severity 5 at the top, likelihood 1 on the left (the usual 5×5 risk matrix).

use std::fmt::Write;

use serde::{Deserialize, Serialize};

use super::{Risk, Status};

/// Counts of risks per (severity, likelihood).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HeatMap {
    /// `cells[severity - 1][likelihood - 1]`: number of risks, retired ones excluded.
    pub cells: [[usize; 5]; 5],
}

impl HeatMap {
    /// The heat map of `risks` (retired risks and out-of-range values are left out).
    pub fn of(risks: &[Risk]) -> Self {
        let mut map = Self::default();
        for risk in risks.iter().filter(|r| r.status != Status::Retired) {
            if (1..=5).contains(&risk.severity) && (1..=5).contains(&risk.likelihood) {
                map.cells[usize::from(risk.severity) - 1][usize::from(risk.likelihood) - 1] += 1;
            }
        }
        map
    }

    /// Plain text: one row per severity (5 first), one column per likelihood; `.` for zero.
    pub fn to_text(&self) -> String {
        let mut out = String::from("severity \\ likelihood   1   2   3   4   5\n");
        for severity in (1..=5).rev() {
            let _ = write!(out, "{severity:>21}");
            for count in self.cells[severity - 1] {
                if count == 0 {
                    out.push_str("   .");
                } else {
                    let _ = write!(out, "{count:>4}");
                }
            }
            out.push('\n');
        }
        out
    }

    /// A Markdown table, severity rows 5 to 1, likelihood columns 1 to 5.
    pub fn to_markdown(&self) -> String {
        let mut out = String::from(
            "| severity \\ likelihood | 1 | 2 | 3 | 4 | 5 |\n|---|---:|---:|---:|---:|---:|\n",
        );
        for severity in (1..=5).rev() {
            let _ = write!(out, "| **{severity}** |");
            for count in self.cells[severity - 1] {
                let _ = write!(out, " {count} |");
            }
            out.push('\n');
        }
        out
    }
}
