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
use std::collections::HashMap;

use crate::data::read::read_fragment;
use crate::data::{keyset, Cell};
use crate::db::{quote, Database};

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
/// The draws are batched: with an integer leading key, the sampled source rows come from one
/// statement per 200 draws (a `UNION ALL` of `… WHERE lead >= point ORDER BY key LIMIT 1`, an
/// index lookup each); the target rows of the sampled keys from one `WHERE key IN (…)`
/// statement per 500 keys. A row per draw and side used to cost a round trip each, 200 per
/// table for the default sample, which on small tables was most of their validation.
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
    let draws: Vec<Vec<Cell>> = if pair.integer_leading_key() {
        let Some((lo, hi)) = bounds else {
            return Ok(report);
        };
        let span = (i128::from(hi) - i128::from(lo) + 1) as u64;
        let spec = &pair.source;
        let e = source.engine;
        let lead = quote::ident(e, &spec.columns[spec.key[0]].name);
        let order = keyset::order_by(e, &spec.key_columns());
        let table = quote::table(e, &spec.name);
        let parts: Vec<String> = (0..rows)
            .map(|i| {
                // Our own integers, written as literals: one statement, no placeholder numbering.
                let point = lo + rng.below(span) as i64;
                format!(
                    "SELECT * FROM (SELECT {} FROM {table} WHERE {lead} >= {point} {order} LIMIT 1) AS _ms_s{i}",
                    spec.select_list()
                )
            })
            .collect();
        let mut drawn = Vec::with_capacity(rows);
        for group in parts.chunks(200) {
            let fragment = keyset::Fragment {
                sql: group.join(" UNION ALL "),
                binds: Vec::new(),
            };
            drawn.extend(read_fragment(source, spec, &fragment).await?);
        }
        drawn
    } else {
        let keys = reservoir(source, pair, rows, &mut rng).await?;
        let mut drawn = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(500) {
            drawn.extend(
                read_fragment(source, &pair.source, &pair.source.select_keys(chunk)).await?,
            );
        }
        drawn
    };
    let key_parts = |r: &[Cell], spec: &crate::data::TableSpec| -> Vec<KeyPart> {
        spec.key
            .iter()
            .map(|&i| KeyPart::of(&r[i], &pair.canon[i]))
            .collect()
    };
    let keys: Vec<Vec<Cell>> = draws.iter().map(|r| pair.source.key_of(r)).collect();
    let mut targets: HashMap<Vec<KeyPart>, Vec<Cell>> = HashMap::new();
    for chunk in keys.chunks(500) {
        for row in read_fragment(target, &pair.target, &pair.target.select_keys(chunk)).await? {
            targets.entry(key_parts(&row, &pair.target)).or_insert(row);
        }
    }
    for row in draws {
        let wanted = key_parts(&row, &pair.source);
        report.rows += 1;
        let Some(other) = targets.get(&wanted) else {
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

/// Reservoir sample of `n` source keys over a key-only scan (Vitter's algorithm R).
async fn reservoir(
    source: &Database,
    pair: &TablePair,
    n: usize,
    rng: &mut SplitMix64,
) -> Result<Vec<Vec<Cell>>, ValidateError> {
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
    let mut kept: Vec<Vec<Cell>> = Vec::new();
    let mut seen: u64 = 0;
    while let Some(keys) = reader.next().await? {
        for key in keys {
            seen += 1;
            if kept.len() < n {
                kept.push(key);
            } else {
                let j = rng.below(seen) as usize;
                if j < n {
                    kept[j] = key;
                }
            }
        }
    }
    Ok(kept)
}
