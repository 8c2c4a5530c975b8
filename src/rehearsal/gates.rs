//! Go/no-go gates: abort criteria evaluated from measured figures, never from estimates. Each
//! gate has a stable code from [`crate::codes::GATES`] (`G001 mismatched rows`…).

use serde::{Deserialize, Serialize};

pub use crate::project::settings::Gates;

/// One gate's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateResult {
    /// Stable code of the gate ([`crate::codes::GATES`]), e.g. `G001`. Empty in reports
    /// written before gates had codes.
    #[serde(default)]
    pub code: String,
    /// Gate label, e.g. `mismatched rows` or `time of step `backfill``.
    pub gate: String,
    /// The limit, in the unit of `measured`.
    pub limit: f64,
    /// What was measured.
    pub measured: f64,
    /// Whether it passed.
    pub passed: bool,
    /// Why it failed (or what it checked), starting with the code and label.
    pub reason: String,
}

impl GateResult {
    /// `measured <= limit`, with a reason naming both. `gate` is a registered gate's name,
    /// or starts with it (`time of step `backfill``); its code comes from the registry.
    pub fn at_most(gate: &str, measured: f64, limit: f64, unit: &str) -> Self {
        let passed = measured <= limit;
        let code = crate::codes::gate_for_label(gate).map_or("", |g| g.code);
        debug_assert!(!code.is_empty(), "gate `{gate}` is not in codes::GATES");
        Self {
            code: code.to_owned(),
            gate: gate.to_owned(),
            limit,
            measured,
            passed,
            reason: format!(
                "{code} {gate}: measured {}{unit}, limit {}{unit}{}",
                figure(measured),
                figure(limit),
                if passed { "" } else { ": over the limit" }
            )
            .trim_start()
            .to_owned(),
        }
    }

    /// The same, with what the measure is made of said after a failed gate's reason
    /// (`…: over the limit (workload errors on the source 1)`), so a failure can be followed
    /// up from the report alone.
    pub fn because(mut self, parts: &str) -> Self {
        if !self.passed && !parts.is_empty() {
            self.reason = format!("{} ({parts})", self.reason);
        }
        self
    }
}

/// `text`, a gate's label or reason, for a person: each subject the label quotes between
/// backticks for Markdown (``time of step `S001 Announce…` ``) is put between typographic
/// quotes instead (`time of step “S001 Announce…”`), as the HTML report and the desktop app
/// show it; the Markdown report keeps the backticks, which it renders as code. A backtick
/// without its pair is kept as it is.
pub fn in_words(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    let mut rest = text;
    while let Some(open) = rest.find('`') {
        let Some(len) = rest[open + 1..].find('`') else {
            break;
        };
        out.push_str(&rest[..open]);
        out.push('\u{201c}');
        out.push_str(&rest[open + 1..open + 1 + len]);
        out.push('\u{201d}');
        rest = &rest[open + 2 + len..];
    }
    out.push_str(rest);
    out
}

/// A measured figure or a limit as a reason prints it: whole numbers without decimals (`0`,
/// `3000`), others to the millisecond with trailing zeros dropped (`0.231`, `1.5`), so a limit of
/// 50 minutes reads `3000 s`, not `3000.000 s`. A figure above zero that would round to `0`
/// prints `< 0.001`: a step that took microseconds was measured, not skipped.
fn figure(value: f64) -> String {
    if value > 0.0 && value < 0.0005 {
        return "< 0.001".to_owned();
    }
    let fixed = format!("{value:.3}");
    if fixed.contains('.') {
        fixed.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        fixed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_print_figures_without_padding_decimals() {
        let g = GateResult::at_most("time of step `backfill`", 0.2314, 3000.0, " s");
        assert_eq!(
            g.reason,
            "G007 time of step `backfill`: measured 0.231 s, limit 3000 s"
        );
        let g = GateResult::at_most("mismatched rows", 3.0, 0.0, "");
        assert_eq!(
            g.reason,
            "G001 mismatched rows: measured 3, limit 0: over the limit"
        );
        assert_eq!(figure(1.5), "1.5");
        assert_eq!(figure(0.0004), "< 0.001");
        assert_eq!(figure(0.0), "0");
        assert_eq!(figure(-2.25), "-2.25");
    }

    #[test]
    fn labels_in_words_quote_their_subject_typographically() {
        assert_eq!(
            in_words("G007 time of step `S001 Announce`: measured 0.2 s, limit 30 s"),
            "G007 time of step \u{201c}S001 Announce\u{201d}: measured 0.2 s, limit 30 s"
        );
        assert_eq!(in_words("mismatched rows"), "mismatched rows");
        assert_eq!(
            in_words("`a` and `b`"),
            "\u{201c}a\u{201d} and \u{201c}b\u{201d}"
        );
        assert_eq!(in_words("one ` alone"), "one ` alone");
        assert_eq!(in_words("``"), "\u{201c}\u{201d}");
    }
}
