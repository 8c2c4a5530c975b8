//! The risk register as CSV (RFC 4180, CRLF, header first, cells neutralised against formula
//! injection like the runbook's) and as Markdown with the heat map.
//!
//! | column | meaning | on import |
//! |---|---|---|
//! | `id` | `R-001`…; empty on import = assigned by the register | optional |
//! | `title` | what could happen | required |
//! | `category` | data loss, downtime, compatibility, performance, security, other | required |
//! | `severity` | 1–5 | required |
//! | `likelihood` | 1–5 | required |
//! | `score` | severity × likelihood | ignored (computed) |
//! | `mitigation` | how it is mitigated | optional |
//! | `owner` | who owns it | optional |
//! | `status` | open, mitigating, accepted, retired (default open) | optional |
//! | `artifacts` | linked artifact ids, separated by spaces | optional |
//! | `retired_by` | runbook step id or validation check that retires it | optional |
//! | `ordering` | constraints `X before Y`, separated by `;` | optional |
//! | `origin` | key of the suggestion it came from | optional |
//! | `blast_radius` | number of artifacts depending on the linked ones | ignored (computed) |
//! | `flags` | `no-mitigation`, `no-owner` | ignored (computed) |
//!
//! Import is all-or-nothing: the first bad cell stops it with the file, line and column.

use std::fmt::Write as _;
use std::io::Write;

use super::heatmap::HeatMap;
use super::{blast_radius, Risk};
use crate::export::{check_quotes, neutralize, restore_neutralized, CsvLines, ExportError};
use crate::graph::DependencyGraph;

/// The risk CSV columns, in order.
pub const RISK_CSV_COLUMNS: [&str; 15] = [
    "id",
    "title",
    "category",
    "severity",
    "likelihood",
    "score",
    "mitigation",
    "owner",
    "status",
    "artifacts",
    "retired_by",
    "ordering",
    "origin",
    "blast_radius",
    "flags",
];

/// Why a risk CSV could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RiskCsvError {
    /// The CSV is not well-formed.
    #[error("{file}:{line}: malformed CSV: {message}")]
    Csv {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// The reader's message.
        message: String,
    },
    /// A cell is missing or wrong.
    #[error("{file}:{line}: field `{field}`: {message}")]
    Invalid {
        /// The file.
        file: String,
        /// 1-based line (the header is line 1).
        line: usize,
        /// The column.
        field: String,
        /// What is wrong and what was expected.
        message: String,
    },
}

/// Writes `risks` as CSV; `graph`, when given, fills the `blast_radius` column.
///
/// # Errors
/// [`ExportError`] when `out` fails.
pub fn write_risks_csv(
    risks: &[Risk],
    graph: Option<&DependencyGraph>,
    out: impl Write,
) -> Result<(), ExportError> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    writer.write_record(RISK_CSV_COLUMNS)?;
    for risk in risks {
        let record = [
            risk.id.clone(),
            risk.title.clone(),
            risk.category.to_string(),
            risk.severity.to_string(),
            risk.likelihood.to_string(),
            risk.score().to_string(),
            risk.mitigation.clone().unwrap_or_default(),
            risk.owner.clone().unwrap_or_default(),
            risk.status.to_string(),
            risk.artifacts.join(" "),
            risk.retired_by.clone().unwrap_or_default(),
            risk.ordering
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
            risk.origin.clone().unwrap_or_default(),
            graph
                .map(|g| blast_radius(risk, g).affected.len().to_string())
                .unwrap_or_default(),
            risk.flags().join(" "),
        ];
        writer.write_record(record.iter().map(|c| neutralize(c).into_owned()))?;
    }
    writer.flush()?;
    Ok(())
}

/// Reads risks from the CSV `text` named `file`. Ids may be empty (the register assigns them).
///
/// # Errors
/// [`RiskCsvError`] naming the file, line and column of the first problem.
pub fn read_risks_csv(text: &str, file: &str) -> Result<Vec<Risk>, RiskCsvError> {
    check_quotes(text).map_err(|e| RiskCsvError::Csv {
        file: file.to_owned(),
        line: e.line,
        message: format!("field `{}`: {}", e.field(text), e.message),
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let lines = CsvLines::new(text);
    let csv_err = |e: csv::Error| RiskCsvError::Csv {
        file: file.to_owned(),
        line: e.position().map_or(1, |p| lines.line(p)),
        message: e.to_string(),
    };
    let headers: Vec<String> = reader
        .headers()
        .map_err(csv_err)?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    let invalid = |line: usize, field: &str, message: String| RiskCsvError::Invalid {
        file: file.to_owned(),
        line,
        field: field.to_owned(),
        message,
    };
    for header in &headers {
        if !RISK_CSV_COLUMNS.contains(&header.as_str()) {
            return Err(invalid(
                1,
                header,
                format!(
                    "unknown column (expected some of {})",
                    RISK_CSV_COLUMNS.join(", ")
                ),
            ));
        }
    }
    for required in ["title", "category", "severity", "likelihood"] {
        if !headers.iter().any(|h| h == required) {
            return Err(invalid(1, required, "the header has no such column".into()));
        }
    }
    let mut risks = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_err)?;
        let line = record.position().map_or(0, |p| lines.line(p));
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cell = |name: &str| -> String {
            headers
                .iter()
                .position(|h| h == name)
                .and_then(|i| record.get(i))
                .map(|c| restore_neutralized(c.trim()).into_owned())
                .unwrap_or_default()
        };
        let optional = |name: &str| Some(cell(name)).filter(|c| !c.is_empty());
        let level = |name: &str| -> Result<u8, RiskCsvError> {
            let text = cell(name);
            text.parse::<u8>()
                .ok()
                .filter(|v| (1..=5).contains(v))
                .ok_or_else(|| {
                    invalid(
                        line,
                        name,
                        format!("`{text}` is not a whole number from 1 to 5"),
                    )
                })
        };
        let title = cell("title");
        if title.is_empty() {
            return Err(invalid(line, "title", "a title is required".into()));
        }
        let mut risk = Risk::new(
            &cell("id"),
            &title,
            cell("category")
                .parse()
                .map_err(|m| invalid(line, "category", m))?,
            level("severity")?,
            level("likelihood")?,
        );
        risk.mitigation = optional("mitigation");
        risk.owner = optional("owner");
        risk.status = cell("status")
            .parse()
            .map_err(|m| invalid(line, "status", m))?;
        risk.artifacts = cell("artifacts")
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        risk.artifacts.sort();
        risk.artifacts.dedup();
        risk.retired_by = optional("retired_by");
        risk.ordering = cell("ordering")
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().map_err(|m| invalid(line, "ordering", m)))
            .collect::<Result<_, _>>()?;
        risk.origin = optional("origin");
        risks.push(risk);
    }
    Ok(risks)
}

/// The register as Markdown: the heat map, then one row per risk with its score, blast radius
/// and flags.
pub fn risks_markdown(risks: &[Risk], graph: Option<&DependencyGraph>, title: &str) -> String {
    let mut out = format!("# Risk register: {title}\n\n## Heat map (risks not retired)\n\n");
    out.push_str(&HeatMap::of(risks).to_markdown());
    out.push_str("\n## Risks\n\n| Id | Title | Category | Sev | Lik | Score | Owner | Status | Mitigation | Retired by | Blast radius | Flags |\n|---|---|---|---:|---:|---:|---|---|---|---|---:|---|\n");
    let cell = |s: &str| s.replace('|', "\\|").replace(['\n', '\r'], " ");
    for risk in risks {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(&risk.id),
            cell(&risk.title),
            risk.category,
            risk.severity,
            risk.likelihood,
            risk.score(),
            cell(risk.owner.as_deref().unwrap_or("")),
            risk.status,
            cell(risk.mitigation.as_deref().unwrap_or("")),
            cell(risk.retired_by.as_deref().unwrap_or("")),
            graph.map_or_else(String::new, |g| blast_radius(risk, g)
                .affected
                .len()
                .to_string()),
            risk.flags().join(" ")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_right_with_crlf_and_lf() {
        for eol in ["\n", "\r\n"] {
            let text = [
                "title,category,severity,likelihood",
                "ok,downtime,2,2",
                "",
                "bad,downtime,9,2",
                "",
            ]
            .join(eol);
            let e = read_risks_csv(&text, "r.csv").unwrap_err().to_string();
            assert!(e.starts_with("r.csv:4: field `severity`"), "{eol:?}: {e}");
        }
    }
}
