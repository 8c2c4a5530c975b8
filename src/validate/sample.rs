//! A random sample of full rows compared field by field, reporting the columns that differ.
//! The sample is drawn with a seeded generator (SplitMix64, Steele et al., "Fast splittable
//! pseudorandom number generators", OOPSLA 2014), so the same seed draws the same rows.
//!
//! With an integer leading key, each draw is a random point in the key's range and the sampled
//! row is the first source row at or after it (rows after gaps are a little more likely, which
//! does not matter for finding damage). Other keys are sampled by reservoir over a key-only scan
//! of the source (Vitter's algorithm R).

use super::error::ValidateError;
use super::pair::TablePair;
use super::report::{FieldDiff, SampleReport};
use super::row_hash::{key_text, KeyPart};
use crate::data::{read_rows, Cell};
use crate::db::Database;

/// SplitMix64.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
}

/// Draws `rows` source rows with `seed` and compares each with the target row of the same key.
///
/// # Errors
/// [`ValidateError::Db`] when a read fails.
pub async fn compare(
    source: &Database,
    target: &Database,
    pair: &TablePair,
    rows: usize,
    seed: u64,
    show: usize,
    bounds: Option<(i64, i64)>,
) -> Result<SampleReport, ValidateError> {
    let mut report = SampleReport {
        seed,
        ..SampleReport::default()
    };
    if rows == 0 {
        return Ok(report);
    }
    let mut rng = SplitMix64::new(seed);
    // (lower bound, sampled source row): the target is read over (lower, key].
    let mut draws: Vec<(Option<Vec<Cell>>, Vec<Cell>)> = Vec::new();
    if pair.integer_leading_key() {
        let Some((lo, hi)) = bounds else {
            return Ok(report);
        };
        let span = (i128::from(hi) - i128::from(lo) + 1) as u64;
        for _ in 0..rows {
            let point = lo + rng.below(span) as i64;
            let after = vec![Cell::Int(point - 1)];
            if let Some(row) = read_rows(source, &pair.source, Some(&after), None, Some(1))
                .await?
                .pop()
            {
                draws.push((Some(after), row));
            }
        }
    } else {
        draws = reservoir(source, pair, rows, &mut rng).await?;
    }
    for (after, row) in draws {
        let key = pair.source.key_of(&row);
        let candidates =
            read_rows(target, &pair.target, after.as_deref(), Some(&key), None).await?;
        let key_parts = |r: &[Cell], spec: &crate::data::TableSpec| -> Vec<KeyPart> {
            spec.key
                .iter()
                .map(|&i| KeyPart::of(&r[i], &pair.canon[i]))
                .collect()
        };
        let wanted = key_parts(&row, &pair.source);
        report.rows += 1;
        let Some(other) = candidates
            .iter()
            .find(|r| key_parts(r, &pair.target) == wanted)
        else {
            report.missing += 1;
            continue;
        };
        for (i, canon) in pair.canon.iter().enumerate() {
            let (a, b) = (row[i].canonical(canon), other[i].canonical(canon));
            if a != b {
                report.differing_fields += 1;
                if report.first.len() < show {
                    report.first.push(FieldDiff {
                        key: key_text(&wanted),
                        column: pair.source.columns[i].name.clone(),
                        source: a,
                        target: b,
                    });
                }
            }
        }
    }
    Ok(report)
}

/// Reservoir sample of `n` source rows over a key-only scan; each draw keeps the key before
/// it as the lower bound of its target read.
async fn reservoir(
    source: &Database,
    pair: &TablePair,
    n: usize,
    rng: &mut SplitMix64,
) -> Result<Vec<(Option<Vec<Cell>>, Vec<Cell>)>, ValidateError> {
    let mut keys_only = pair.source.clone();
    keys_only.columns = pair
        .source
        .key
        .iter()
        .map(|&i| pair.source.columns[i].clone())
        .collect();
    keys_only.key = (0..keys_only.columns.len()).collect();
    let mut reader =
        super::stream::KeyOrderReader::new(source.clone(), keys_only, None, None, true, 10_000);
    let mut kept: Vec<(Option<Vec<Cell>>, Vec<Cell>)> = Vec::new();
    let mut seen: u64 = 0;
    let mut previous: Option<Vec<Cell>> = None;
    while let Some(keys) = reader.next().await? {
        for key in keys {
            seen += 1;
            if kept.len() < n {
                kept.push((previous.clone(), key.clone()));
            } else {
                let j = rng.below(seen) as usize;
                if j < n {
                    kept[j] = (previous.clone(), key.clone());
                }
            }
            previous = Some(key);
        }
    }
    let mut out = Vec::new();
    for (before, key) in kept {
        let rows = read_rows(source, &pair.source, before.as_deref(), Some(&key), None).await?;
        if let Some(row) = rows.into_iter().last() {
            out.push((before, row));
        }
    }
    Ok(out)
}
