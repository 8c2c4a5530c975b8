//! Tables without a key: rows cannot be matched one to one, so both sides are compared as
//! multisets of rows. Each row's canonical text (the same per-column canonical forms the keyed
//! strategies compare) is hashed (XXH3-128); the counts per distinct hash are added from the
//! source and taken away for the target. What is left over is a row missing from the target
//! (positive) or extra in it (negative), a duplicated row included. A changed row shows as one
//! missing and one extra.

use std::collections::HashMap;

use crate::data::{read_rows, Cell};
use crate::db::Database;

use super::error::ValidateError;
use super::pair::TablePair;
use super::report::{shorten, Differences};

/// What a multiset comparison found.
#[derive(Debug, Default)]
pub struct MultisetComparison {
    /// Rows in the source.
    pub source_rows: u64,
    /// Rows in the target.
    pub target_rows: u64,
    /// Rows missing from the target and extra in it, with the first few rows as text.
    pub differences: Differences,
}

/// A row's canonical text: each column's canonical form (`None` for NULL, kept distinct from
/// the empty string), separated by a byte no canonical form contains.
fn row_text(row: &[Cell], pair: &TablePair) -> String {
    let mut text = String::new();
    for (cell, canon) in row.iter().zip(&pair.canon) {
        match cell.canonical(canon) {
            Some(v) => {
                text.push('\u{1}');
                text.push_str(&v);
            }
            None => text.push('\u{0}'),
        }
        text.push('\u{1f}');
    }
    text
}

fn shown(row: &[Cell], pair: &TablePair) -> String {
    let parts: Vec<String> = row
        .iter()
        .zip(&pair.canon)
        .map(|(c, canon)| {
            c.canonical(canon)
                .map_or("NULL".to_owned(), |v| shorten(&v))
        })
        .collect();
    format!("({})", parts.join(", "))
}

/// Compares the rows of both sides of `pair` (read whole) as multisets; shows up to `show`
/// rows of each kind.
///
/// # Errors
/// [`ValidateError`] when a side cannot be read.
pub async fn compare(
    source: &Database,
    target: &Database,
    pair: &TablePair,
    show: usize,
) -> Result<MultisetComparison, ValidateError> {
    let source_rows = read_rows(source, &pair.source, None, None, None).await?;
    let target_rows = read_rows(target, &pair.target, None, None, None).await?;
    let mut counts: HashMap<u128, (i64, usize, bool)> = HashMap::new();
    for (side, rows) in [(true, &source_rows), (false, &target_rows)] {
        for (i, row) in rows.iter().enumerate() {
            let hash = xxhash_rust::xxh3::xxh3_128(row_text(row, pair).as_bytes());
            let entry = counts.entry(hash).or_insert((0, i, side));
            entry.0 += if side { 1 } else { -1 };
        }
    }
    let mut result = MultisetComparison {
        source_rows: source_rows.len() as u64,
        target_rows: target_rows.len() as u64,
        differences: Differences::default(),
    };
    let mut left: Vec<&(i64, usize, bool)> = counts.values().filter(|c| c.0 != 0).collect();
    // The first rows of each kind in source (then target) order, for a stable report.
    left.sort_by_key(|(_, i, side)| (!*side, *i));
    for &&(n, i, side) in &left {
        let row = if side {
            &source_rows[i]
        } else {
            &target_rows[i]
        };
        let list = if n > 0 {
            &mut result.differences.missing
        } else {
            &mut result.differences.extra
        };
        for _ in 0..n.unsigned_abs() {
            list.push(shown(row, pair), show);
        }
    }
    Ok(result)
}
