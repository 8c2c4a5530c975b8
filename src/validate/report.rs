//! What a validation found, per table and overall: serialisable for `--json` and the desktop
//! app, and rendered as a summary table for people.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

/// How rows were compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Segment checksums computed inside each database, bisected down to the differing keys.
    Checksum,
    /// Both sides read in key order and compared row by row in Rust.
    Merge,
}

impl std::fmt::Display for Strategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Checksum => "checksum",
            Self::Merge => "merge",
        })
    }
}

/// Where one side's row hashes were computed (checksum strategy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HashedIn {
    /// By the database server (SHA-256 or the engine's own hash in SQL); only per-segment
    /// counts and checksums crossed the wire.
    Database,
    /// By Migration Studio after reading the rows (SQLite, which has no SHA-256, and tables with
    /// binary float columns, which no two engines print alike).
    Client,
}

/// A table's or the run's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Same rows on both sides, and the target's constraints hold.
    Equal,
    /// Rows differ (counts, missing, extra or changed keys, sampled fields, invariants).
    Different,
    /// Rows are equal but the target violates a constraint (orphans, NULLs, duplicates, CHECK).
    Violations,
    /// The table could not be compared (no key, missing on one side, or an error).
    NotCompared,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Equal => "equal",
            Self::Different => "DIFFERENT",
            Self::Violations => "VIOLATIONS",
            Self::NotCompared => "NOT COMPARED",
        })
    }
}

/// A counted list of keys, of which the first few are kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyList {
    /// How many there are in all.
    pub count: u64,
    /// The first ones found, in key order, as `value, value` text.
    pub first: Vec<String>,
}

impl KeyList {
    pub(crate) fn push(&mut self, key: String, show: usize) {
        self.count += 1;
        if self.first.len() < show {
            self.first.push(key);
        }
    }
}

/// A key present on both sides whose row differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangedRow {
    /// The key, as `value, value` text.
    pub key: String,
    /// Columns whose canonical values differ.
    pub columns: Vec<String>,
}

/// Keys present on both sides whose rows differ, counted, the first few kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangedList {
    /// How many in all.
    pub count: u64,
    /// The first ones found.
    pub first: Vec<ChangedRow>,
}

/// Row differences between source and target.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Differences {
    /// Keys in the source and not in the target.
    pub missing: KeyList,
    /// Keys in the target and not in the source (a duplicated target row counts here).
    pub extra: KeyList,
    /// Keys on both sides whose rows differ.
    pub changed: ChangedList,
}

/// Characters of a value printed before it is shortened.
pub const SHOWN_CHARS: usize = 80;

/// `value` if it has at most [`SHOWN_CHARS`] characters, else its first 60 characters, its
/// length and a hash of the whole (so two long values can still be told apart).
pub fn shorten(value: &str) -> String {
    if value.chars().count() <= SHOWN_CHARS {
        return value.to_owned();
    }
    let start: String = value.chars().take(60).collect();
    format!(
        "{start}… ({} bytes, xxh3 {:016x})",
        value.len(),
        xxhash_rust::xxh3::xxh3_64(value.as_bytes())
    )
}

impl Differences {
    /// Total differing keys.
    pub fn total(&self) -> u64 {
        self.missing.count + self.extra.count + self.changed.count
    }
}

/// Row counts of one key range whose contents differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeCount {
    /// Lower bound of the leading key column (inclusive), or the key after which it starts.
    pub from: String,
    /// Upper bound (inclusive).
    pub to: String,
    /// Rows in the source.
    pub source_rows: u64,
    /// Rows in the target.
    pub target_rows: u64,
}

/// One sampled field that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDiff {
    /// Row key.
    pub key: String,
    /// Column name (source spelling).
    pub column: String,
    /// Canonical source value (`None` = NULL).
    pub source: Option<String>,
    /// Canonical target value (`None` = NULL, or the row is missing).
    pub target: Option<String>,
}

/// The random sample of full rows compared field by field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleReport {
    /// Seed the sample was drawn with (the same seed draws the same rows).
    pub seed: u64,
    /// Rows compared.
    pub rows: u64,
    /// Sampled rows missing from the target.
    pub missing: u64,
    /// Fields that differ (first few kept; `differing_fields` counts all).
    pub first: Vec<FieldDiff>,
    /// Differing fields in all.
    pub differing_fields: u64,
}

/// Kind of a target constraint check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConstraintKind {
    /// A column that must not be NULL.
    NotNull,
    /// A primary or unique key whose values must not repeat.
    Unique,
    /// A `CHECK` expression.
    Check,
    /// A foreign key whose referenced row must exist.
    ForeignKey,
    /// A generated key whose sequence must stand past every key in the table; violations are
    /// the rows whose keys the application's next inserts would draw again.
    GeneratedKey,
}

/// Where a checked constraint is declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeclaredIn {
    /// In the target's catalog (it may be unenforced: FK checks off, `NOT VALID`).
    Target,
    /// Only in the source: the target should hold it too but does not declare it.
    Source,
    /// In both.
    Both,
}

/// One constraint checked in the target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConstraintCheck {
    /// Kind.
    pub kind: ConstraintKind,
    /// What it covers, e.g. `customer_id`, `(film_id, category_id)`, `fk → customer`.
    pub name: String,
    /// Where it is declared.
    pub declared_in: DeclaredIn,
    /// Violating rows (orphans, NULLs, CHECK failures) or repeated key values (unique).
    pub violations: u64,
}

/// Columns matched by name between the two tables, and those that were not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnMatch {
    /// Columns compared.
    pub compared: usize,
    /// Source columns with no target column of the same name (not compared).
    pub source_only: Vec<String>,
    /// Target columns with no source column of the same name (not compared).
    pub target_only: Vec<String>,
}

/// The result for one table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableReport {
    /// Source table name.
    pub source_table: String,
    /// Target table name.
    pub target_table: String,
    /// How rows were compared.
    pub strategy: Strategy,
    /// Where each side's hashes were computed (checksum strategy only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hashed_in: Option<(HashedIn, HashedIn)>,
    /// Rows in the source.
    pub source_rows: u64,
    /// Rows in the target.
    pub target_rows: u64,
    /// Segment checksums compared (checksum) or chunks compared (merge).
    pub segments_checked: u64,
    /// Key ranges whose counts or checksums differ, coarsest level (first few).
    pub ranges: Vec<RangeCount>,
    /// Differing keys.
    pub differences: Differences,
    /// Sampled full-row comparison.
    pub sample: SampleReport,
    /// Constraint checks in the target.
    pub constraints: Vec<ConstraintCheck>,
    /// Column matching.
    pub columns: ColumnMatch,
    /// Anything worth saying that is not a difference (skipped checks, fallbacks).
    pub notes: Vec<String>,
    /// Source values a stated rule changes on the way (counted; compared as the rule makes
    /// them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub converted: Vec<crate::data::Converted>,
    /// Why the table was not compared, when it was not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Why an incremental validation or its gate ([`super::changed`]) did not find the table
    /// equal, one line per reason, each starting with its stable code (`V001` …, registered in
    /// [`crate::codes::VALIDATION_FAILURES`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<String>,
    /// Verdict.
    pub verdict: Verdict,
    /// Wall time, seconds.
    pub seconds: f64,
}

impl TableReport {
    /// Whether `other` compares the same source table with the same target table (a split
    /// source table has a report per target table).
    pub fn same_pair(&self, other: &TableReport) -> bool {
        self.source_table.eq_ignore_ascii_case(&other.source_table)
            && self.target_table.eq_ignore_ascii_case(&other.target_table)
    }

    /// A report for source table `source` whose target table `wanted` is not in the target.
    pub fn no_target(source: &str, wanted: &str, strategy: Strategy) -> Self {
        Self::not_compared(
            source,
            "",
            strategy,
            format!("no table `{wanted}` in the target"),
        )
    }

    /// A report for a table that could not be compared.
    pub fn not_compared(source: &str, target: &str, strategy: Strategy, why: String) -> Self {
        Self {
            source_table: source.to_owned(),
            target_table: target.to_owned(),
            strategy,
            hashed_in: None,
            source_rows: 0,
            target_rows: 0,
            segments_checked: 0,
            ranges: Vec::new(),
            differences: Differences::default(),
            sample: SampleReport::default(),
            constraints: Vec::new(),
            columns: ColumnMatch::default(),
            notes: Vec::new(),
            converted: Vec::new(),
            error: Some(why),
            failures: Vec::new(),
            verdict: Verdict::NotCompared,
            seconds: 0.0,
        }
    }

    /// Sets the verdict from what was found.
    pub(crate) fn decide(&mut self) {
        self.verdict = if self.error.is_some() {
            Verdict::NotCompared
        } else if self.source_rows != self.target_rows
            || self.differences.total() > 0
            || self.sample.missing > 0
            || self.sample.differing_fields > 0
        {
            Verdict::Different
        } else if self.constraints.iter().any(|c| c.violations > 0) {
            Verdict::Violations
        } else {
            Verdict::Equal
        };
    }
}

/// A user invariant's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvariantReport {
    /// Invariant name.
    pub name: String,
    /// Whether both result sets are equal once canonicalised.
    pub equal: bool,
    /// Rows in the source result.
    pub source_rows: usize,
    /// Rows in the target result.
    pub target_rows: usize,
    /// First differing rows, as `source | target` text.
    pub first: Vec<String>,
    /// Why it could not be evaluated, when it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The result of a validation run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Source, password redacted.
    pub source: String,
    /// Target, password redacted.
    pub target: String,
    /// Strategy used for row comparison.
    pub strategy: Strategy,
    /// Per table, in the order validated.
    pub tables: Vec<TableReport>,
    /// User invariants.
    pub invariants: Vec<InvariantReport>,
    /// Overall verdict: `equal` only when every table and invariant is.
    pub verdict: Verdict,
    /// Wall time, seconds.
    pub seconds: f64,
}

impl Report {
    /// Sets the overall verdict: the worst of the tables' and invariants'.
    pub fn decide(&mut self) {
        let rank = |v: Verdict| match v {
            Verdict::Equal => 0,
            Verdict::Violations => 1,
            Verdict::Different => 2,
            Verdict::NotCompared => 3,
        };
        let mut verdict = self
            .tables
            .iter()
            .map(|t| t.verdict)
            .max_by_key(|v| rank(*v))
            .unwrap_or(Verdict::Equal);
        if self
            .invariants
            .iter()
            .any(|i| !i.equal || i.error.is_some())
            && rank(verdict) < rank(Verdict::Different)
        {
            verdict = Verdict::Different;
        }
        self.verdict = verdict;
    }

    /// A summary table for people, then the details of whatever is not equal.
    pub fn render_text(&self) -> String {
        self.render_text_with(false)
    }

    /// [`Self::render_text`], with sampled values printed whole when `full_values`, else each
    /// value over [`SHOWN_CHARS`] characters shortened to its start, its length and a hash
    /// (a table of large blobs would otherwise fill the terminal).
    pub fn render_text_with(&self, full_values: bool) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Validation {} → {} ({})",
            self.source, self.target, self.strategy
        );
        let _ = writeln!(
            out,
            "{:<32} {:>10} {:>10} {:>8} {:>8} {:>8} {:>8} {:>6} {:>12}",
            "table",
            "source",
            "target",
            "segments",
            "missing",
            "extra",
            "changed",
            "viol",
            "verdict"
        );
        for t in &self.tables {
            let violations: u64 = t.constraints.iter().map(|c| c.violations).sum();
            let _ = writeln!(
                out,
                "{:<32} {:>10} {:>10} {:>8} {:>8} {:>8} {:>8} {:>6} {:>12}",
                t.source_table,
                t.source_rows,
                t.target_rows,
                t.segments_checked,
                t.differences.missing.count,
                t.differences.extra.count,
                t.differences.changed.count,
                violations,
                t.verdict.to_string()
            );
        }
        for t in self.tables.iter().filter(|t| t.verdict != Verdict::Equal) {
            let _ = writeln!(out, "\n{} → {}:", t.source_table, t.target_table);
            if let Some(e) = &t.error {
                let _ = writeln!(out, "  not compared: {e}");
            }
            for f in &t.failures {
                let _ = writeln!(out, "  {f}");
            }
            let d = &t.differences;
            for (what, list) in [
                ("missing in target", &d.missing),
                ("extra in target", &d.extra),
            ] {
                if list.count > 0 {
                    let _ = writeln!(
                        out,
                        "  {} {what}: {}{}",
                        list.count,
                        list.first.join("; "),
                        if list.count as usize > list.first.len() {
                            "; …"
                        } else {
                            ""
                        }
                    );
                }
            }
            if d.changed.count > 0 {
                let shown: Vec<String> = d
                    .changed
                    .first
                    .iter()
                    .map(|c| format!("{} ({})", c.key, c.columns.join(", ")))
                    .collect();
                let _ = writeln!(out, "  {} changed: {}", d.changed.count, shown.join("; "));
            }
            for r in &t.ranges {
                let _ = writeln!(
                    out,
                    "  range {} .. {}: {} source rows, {} target rows",
                    r.from, r.to, r.source_rows, r.target_rows
                );
            }
            let mut seen = std::collections::HashSet::new();
            for f in t
                .sample
                .first
                .iter()
                .filter(|f| seen.insert((&f.key, &f.column)))
            {
                let shown = |v: &Option<String>| match v {
                    Some(v) if !full_values => format!("{:?}", shorten(v)),
                    other => format!("{other:?}"),
                };
                let _ = writeln!(
                    out,
                    "  sample {} column {}: {} vs {}",
                    f.key,
                    f.column,
                    shown(&f.source),
                    shown(&f.target)
                );
            }
            for c in t.constraints.iter().filter(|c| c.violations > 0) {
                let _ = writeln!(
                    out,
                    "  {:?} {} ({:?}): {} violations",
                    c.kind, c.name, c.declared_in, c.violations
                );
            }
        }
        for t in &self.tables {
            for c in &t.converted {
                let _ = writeln!(
                    out,
                    "converted: {}.{}: {} value(s) by {} ({}), compared as converted",
                    t.source_table,
                    c.column,
                    c.count,
                    c.rule,
                    c.rule.description()
                );
            }
            for note in &t.notes {
                let _ = writeln!(out, "note: {}: {note}", t.source_table);
            }
        }
        for i in &self.invariants {
            let status = match (&i.error, i.equal) {
                (Some(e), _) => format!("error: {e}"),
                (None, true) => "equal".to_owned(),
                (None, false) => format!("DIFFERENT: {}", i.first.join("; ")),
            };
            let _ = writeln!(out, "invariant {}: {status}", i.name);
        }
        let _ = writeln!(
            out,
            "\nVerdict: {} ({} tables, {:.2} s)",
            self.verdict,
            self.tables.len(),
            self.seconds
        );
        crate::export::terminal_text(&out).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report_with_sample(first: Vec<FieldDiff>) -> Report {
        let mut table = TableReport::not_compared("s.t", "t", Strategy::Merge, String::new());
        table.error = None;
        table.verdict = Verdict::Different;
        table.sample.first = first;
        Report {
            source: "s".into(),
            target: "t".into(),
            strategy: Strategy::Merge,
            tables: vec![table],
            invariants: Vec::new(),
            verdict: Verdict::Different,
            seconds: 0.0,
        }
    }

    #[test]
    fn each_sampled_difference_is_printed_once_and_long_values_shortened() {
        let blob = "ab".repeat(500_000);
        let diff = FieldDiff {
            key: "7".into(),
            column: "payload".into(),
            source: Some(blob.clone()),
            target: Some(format!("{blob}00")),
        };
        let report = report_with_sample(vec![diff.clone(); 10]);
        let text = report.render_text();
        assert_eq!(text.matches("sample 7 column payload").count(), 1, "{text}");
        assert!(
            text.len() < 2_000,
            "a 1 MB value is not printed whole: {} bytes",
            text.len()
        );
        assert!(text.contains("(1000000 bytes, xxh3 "), "{text}");
        assert!(
            text.contains("(1000002 bytes, xxh3 "),
            "the two values stay told apart"
        );
        let full = report.render_text_with(true);
        assert!(full.len() > 2_000_000, "--full-values prints them whole");
    }
}
