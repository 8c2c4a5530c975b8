//! Segment checksums with bisection, as data-diff does (Datafold, "data-diff" README, "How
//! does it work?"; continued as reladiff): split the key space into segments, have each
//! database compute per segment `count(*)` and the XOR (data-diff sums; see [`Fold`]) of a
//! 60-bit suffix of each row's SHA-256, and compare; a segment that differs is split again
//! (`bisection_factor` ways) until it holds at most `leaf_rows` rows, and only those rows are
//! fetched and compared in Rust to name the missing, extra and changed keys. Only counts and
//! checksums cross the wire above the last level.
//!
//! When the leading key column is an integer, one query per side and key range computes a whole
//! level (`GROUP BY (k - lo) / width`), an index range scan per differing segment below it. The
//! first level is cut into segments of about half a leaf by the source's row estimate (at least
//! `factor²` of them; its cost is one scan either way, only its result grows), so that a
//! scattered change is fetched at once instead of re-hashed level by level; each side's first
//! level runs as two key-range queries at once (a query uses one core). The source's first level
//! also counts the values a conversion rule changes ([`super::conversions`]), so no scan of its
//! own is needed. Other keys are cut into `leaf_rows`-row segments by a key-only scan of the
//! source, one checksum query per segment and side, no further bisection.
//!
//! The row hash is SHA-256's last 60 bits when the two sides are different engines (the
//! cheapest hash both compute alike), and the engine's cheapest hash when both are the same
//! engine ([`canon_sql::RowHash`]: PostgreSQL's `hashtextextended`).
//!
//! SQLite has no SHA-256, and no two engines print binary floats alike: such a side is hashed
//! by the client, which reads the segment's rows and computes the same 60 bits
//! ([`super::row_hash::sha256_60`]) over the same row text — exactly what the database would
//! have folded, so the two kinds of side compare with each other. SQLite being a local file, reading
//! it costs what hashing it in place would.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use futures_util::future::try_join_all;
use sqlx::Row;

use super::canon_sql::{self, RowHash};
use super::conversions::Slot;
use super::diff::Comparer;
use super::error::ValidateError;
use super::pair::TablePair;
use super::report::{Differences, HashedIn, RangeCount};
use super::row_hash::{key_text, KeyPart};
use super::stream::{prepare, HashKind, KeyOrderReader};
use super::Progress;
use crate::data::read::bind_all;
use crate::data::types::Logical;
use crate::data::{keyset, Cell, TableSpec};
use crate::db::{quote, Database, Pool};
use crate::import::Engine;

/// Tuning of the bisection.
#[derive(Debug, Clone, Copy)]
pub struct Bisection {
    /// How many sub-segments a differing segment is split into (data-diff's default is 32).
    pub factor: u32,
    /// A differing segment with at most this many rows on either side is fetched and compared.
    pub leaf_rows: u64,
    /// Rows per read when a side is hashed by the client.
    pub chunk_rows: usize,
    /// Keys kept per kind of difference.
    pub show: usize,
    /// Hash both sides in the client even where the database could (for tests and debugging).
    pub force_client: bool,
}

/// What the checksum comparison found.
#[derive(Debug, Default)]
pub struct ChecksumOutcome {
    /// Rows in the source.
    pub source_rows: u64,
    /// Rows in the target.
    pub target_rows: u64,
    /// Segment checksums compared.
    pub segments: u64,
    /// Coarsest-level ranges that differ.
    pub ranges: Vec<RangeCount>,
    /// Differences found at the leaves.
    pub differences: Differences,
    /// Where each side's hashes were computed.
    pub hashed_in: Option<(HashedIn, HashedIn)>,
    /// Per source column, the values its conversion rule changes, when the first level counted
    /// them on its scan (an integer leading key); `None` when they still need counting.
    pub converted: Option<Vec<u64>>,
}

/// `count(*)` and the fold of the row hashes of one segment.
type Sum = (u64, u128);

/// How a segment's row hashes are folded into its checksum.
///
/// `Xor` is integer work in both databases (`BIT_XOR`, PostgreSQL's `bit_xor` since 14) where
/// a sum of 60-bit values is exact-numeric arithmetic (MySQL `DECIMAL`, PostgreSQL `numeric`),
/// the larger part of a segment query's cost after the hash. It is sound because the
/// source's rows are distinct (its primary key is among the compared columns): with the counts
/// equal, a target whose odd-multiplicity rows XOR to the source's is the source's rows, up to
/// a 2⁻⁶⁰ collision. A sum is kept where a side cannot XOR in SQL (PostgreSQL before 14).
///
/// `Ordered` hashes each segment once: SHA-256 of its row texts joined by U+001D in key order
/// (`string_agg` / `GROUP_CONCAT … ORDER BY` the key), first 128 bits. PostgreSQL's
/// cryptographic hashes cost about 1.6 µs a call whatever the input (each sets up a hash
/// context), so one call per segment instead of per row halves its side's time, and MariaDB is
/// spared a `CONV` per row (see BENCHMARKS.md, "Validation"). It needs both sides to order the
/// key alike, so it is taken only for keys of integers, dates and date-times, and both sides
/// hashing in SQL; and rows of bounded width, so a segment's text stays within MySQL's
/// `group_concat_max_len` (set per connection, [`crate::db::connect`]). A segment that breaks
/// either (a longer text is cut, an order differs) only differs falsely, is bisected, and its
/// rows are compared one by one: slower, never wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fold {
    Sum,
    Xor,
    Ordered,
}

impl Fold {
    fn add(self, acc: &mut u128, hash: u64) {
        match self {
            Fold::Sum => *acc += u128::from(hash),
            // `Ordered` is chosen only where both sides hash in SQL; a client-hashed side folds
            // by XOR, which then differs from the other side's and is bisected, never missed.
            Fold::Xor | Fold::Ordered => *acc ^= u128::from(hash),
        }
    }
}

/// Bytes of a row text above which a table is not checksummed by [`Fold::Ordered`]: with
/// segments of about a thousand rows, their texts stay well within `group_concat_max_len`.
const ORDERED_MAX_ROW_BYTES: u64 = 4096;

/// Whether `pair` may be checksummed by [`Fold::Ordered`]: its key orders alike on every engine
/// and its rows' texts are bounded.
fn orders_alike_and_bounded(pair: &TablePair) -> bool {
    let key_alike = pair.source.key.iter().all(|&i| {
        matches!(
            pair.canon.get(i),
            Some(Logical::Int { .. } | Logical::Date | Logical::Timestamp { .. })
        )
    });
    let widths: Option<u64> = pair
        .canon
        .iter()
        .map(|l| match l {
            Logical::Bool => Some(1),
            Logical::Int { .. } | Logical::Year => Some(20),
            Logical::Decimal { precision, .. } => Some(u64::from(precision.unwrap_or(65)) + 2),
            Logical::Date => Some(10),
            Logical::Timestamp { .. } | Logical::Time { .. } => Some(26),
            Logical::Uuid => Some(36),
            Logical::Text { max_len: Some(n) } => Some(4 * u64::from(*n)),
            _ => None,
        })
        .sum();
    key_alike && widths.is_some_and(|w| w + pair.canon.len() as u64 <= ORDERED_MAX_ROW_BYTES)
}

/// Whether `db` can fold hashes with a bitwise XOR aggregate in SQL.
async fn has_bit_xor(db: &Database) -> bool {
    match &db.pool {
        Pool::Postgres(p) => {
            sqlx::query_scalar::<_, i32>("SELECT current_setting('server_version_num')::int4")
                .fetch_one(p)
                .await
                .is_ok_and(|v| v >= 140_000)
        }
        Pool::Mysql(_) => true,
        // Hashed by the client, which folds any way.
        Pool::Sqlite(_) => true,
    }
}

/// A segment query's row: segment number, count, sum as text, further columns as text.
type SegmentRow = (i64, i64, Option<String>, Vec<Option<String>>);

/// One side of the comparison.
struct Side<'a> {
    db: &'a Database,
    spec: &'a TableSpec,
    canon: &'a [Logical],
    hash_sql: Option<String>,
    /// The row text in SQL and the key's `ORDER BY` list, for [`Fold::Ordered`].
    ordered: Option<(String, String)>,
    fold: Fold,
    unique: bool,
    name: &'static str,
    chunk: usize,
    /// Per column, the conversion rule whose changed values the first level counts on the way
    /// (the source's; empty on the target).
    rules: &'a [Slot],
}

/// Per-segment sums of one level, and per column the values a conversion rule changes in the
/// rows it covered (when asked for).
type Level = (BTreeMap<i64, Sum>, Vec<u64>);

impl Side<'_> {
    fn hashed_in(&self) -> HashedIn {
        if self.hash_sql.is_some() {
            HashedIn::Database
        } else {
            HashedIn::Client
        }
    }

    fn placeholder(&self, n: usize) -> String {
        match self.db.engine {
            Engine::Postgres => format!("${n}::int8"),
            _ => "?".to_owned(),
        }
    }

    fn sum_text(&self, hash: &str) -> String {
        if let (Fold::Ordered, Some((text, keys))) = (self.fold, &self.ordered) {
            return match self.db.engine {
                Engine::Postgres => format!(
                    "encode(sha256(convert_to(string_agg({text}, chr(29) ORDER BY {keys}), 'UTF8')), 'hex')"
                ),
                _ => format!("SHA2(GROUP_CONCAT({text} ORDER BY {keys} SEPARATOR X'1D'), 256)"),
            };
        }
        match (self.db.engine, self.fold) {
            (Engine::Postgres, Fold::Sum) => format!("sum({hash})::text"),
            (Engine::Postgres, Fold::Xor | Fold::Ordered) => format!("bit_xor({hash})::text"),
            (_, Fold::Sum) => format!("CAST(sum({hash}) AS CHAR)"),
            (_, Fold::Xor | Fold::Ordered) => format!("CAST(BIT_XOR({hash}) AS CHAR)"),
        }
    }

    fn parse_sum(&self, table: &str, text: Option<String>) -> Result<u128, ValidateError> {
        match text {
            None => Ok(0),
            Some(t) if self.fold == Fold::Ordered => t
                .get(..32)
                .and_then(|h| u128::from_str_radix(h, 16).ok())
                .ok_or_else(|| ValidateError::BadChecksum {
                    table: table.to_owned(),
                    side: self.name,
                    value: t.clone(),
                }),
            Some(t) => {
                t.trim()
                    .trim_end_matches(".0")
                    .parse()
                    .map_err(|_| ValidateError::BadChecksum {
                        table: table.to_owned(),
                        side: self.name,
                        value: t,
                    })
            }
        }
    }

    /// Minimum and maximum of the leading key column (as integers), `None` when empty.
    async fn bounds(&self) -> Result<Option<(i64, i64)>, ValidateError> {
        let k = quote::ident(self.db.engine, &self.spec.columns[self.spec.key[0]].name);
        let (lo, hi) = match self.db.engine {
            Engine::Postgres => (format!("min({k})::int8"), format!("max({k})::int8")),
            Engine::Mysql => (
                format!("CAST(min({k}) AS SIGNED)"),
                format!("CAST(max({k}) AS SIGNED)"),
            ),
            Engine::Sqlite => (format!("min({k})"), format!("max({k})")),
        };
        let sql = format!(
            "SELECT {lo}, {hi} FROM {}",
            quote::table(self.db.engine, &self.spec.name)
        );
        let err = |e| {
            self.db
                .query_error(format!("reading key bounds of {}", self.spec.name), e)
        };
        let (lo, hi): (Option<i64>, Option<i64>) = match &self.db.pool {
            Pool::Postgres(p) => {
                let r = sqlx::query(&sql).fetch_one(p).await.map_err(err)?;
                (r.try_get(0).map_err(err)?, r.try_get(1).map_err(err)?)
            }
            Pool::Mysql(p) => {
                let r = sqlx::query(&sql).fetch_one(p).await.map_err(err)?;
                (r.try_get(0).map_err(err)?, r.try_get(1).map_err(err)?)
            }
            Pool::Sqlite(p) => {
                let r = sqlx::query(&sql).fetch_one(p).await.map_err(err)?;
                (r.try_get(0).map_err(err)?, r.try_get(1).map_err(err)?)
            }
        };
        Ok(lo.zip(hi))
    }

    /// Per-segment sums over leading-key values `from..=to`, segment `i` covering
    /// `origin + i·width ..` (so that ranges read concurrently number their segments alike).
    /// With `count_rules`, also the values each of [`Self::rules`]' slots says a rule changes.
    async fn level(
        &self,
        table: &str,
        origin: i64,
        (from, to): (i64, i64),
        width: i64,
        count_rules: bool,
    ) -> Result<Level, ValidateError> {
        let after = [Cell::Int(from.saturating_sub(1))];
        let upto = [Cell::Int(to)];
        let ruled: &[Slot] = if count_rules { self.rules } else { &[] };
        let mut converted = vec![0u64; self.rules.len()];
        let Some(hash) = &self.hash_sql else {
            let mut reader = KeyOrderReader::new(
                self.db.clone(),
                self.spec.clone(),
                Some(after.to_vec()),
                Some(upto.to_vec()),
                self.unique,
                self.chunk,
            );
            let mut sums = BTreeMap::new();
            while let Some(rows) = reader.next().await? {
                for row in &rows {
                    for (slot, &(i, rule)) in ruled.iter().enumerate() {
                        if super::conversions::count_value(rule, &row[i], &self.canon[i]) {
                            converted[slot] += 1;
                        }
                    }
                }
                for row in prepare(self.spec, self.canon, rows, HashKind::Sha256) {
                    let Some(k) = row.first_int() else {
                        continue;
                    };
                    let seg = ((k - i128::from(origin)) / i128::from(width)) as i64;
                    let e: &mut Sum = sums.entry(seg).or_default();
                    e.0 += 1;
                    self.fold.add(&mut e.1, row.hash);
                }
            }
            return Ok((sums, converted));
        };
        let engine = self.db.engine;
        let keys = self.spec.key_columns();
        let k = quote::ident(engine, &keys[0].name);
        let seg = match engine {
            Engine::Postgres => format!(
                "({k}::int8 - {}) / {}",
                self.placeholder(1),
                self.placeholder(2)
            ),
            _ => format!("CAST((CAST({k} AS SIGNED) - ?) DIV ? AS SIGNED)"),
        };
        // The rules' counts ride on this scan instead of one of their own.
        let counts: String = ruled
            .iter()
            .map(|&(i, rule)| {
                let c = self.spec.columns[i].reference(engine);
                let n = format!(
                    "SUM(CASE WHEN {} THEN 1 ELSE 0 END)",
                    super::conversions::condition(engine, rule, &c, &self.canon[i])
                );
                match engine {
                    Engine::Mysql => format!(", CAST({n} AS CHAR)"),
                    _ => format!(", CAST({n} AS TEXT)"),
                }
            })
            .collect();
        let range = keyset::range(engine, &keys, Some(&after), Some(&upto), 3);
        let sql = format!(
            "SELECT {seg} AS seg, count(*) AS n, {} AS s{counts} FROM {} {} GROUP BY 1",
            self.sum_text(hash),
            quote::table(engine, &self.spec.name),
            range.sql
        );
        let mut binds = vec![Cell::Int(origin), Cell::Int(width)];
        binds.extend(range.binds);
        let rows = self.fetch(&sql, &binds).await?;
        let mut sums = BTreeMap::new();
        for (seg, n, s, extra) in rows {
            sums.insert(seg, (n as u64, self.parse_sum(table, s)?));
            for (n, v) in converted.iter_mut().zip(extra) {
                *n += v.and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
            }
        }
        Ok((sums, converted))
    }

    /// The sum of one segment `(after, upto]`.
    async fn segment(
        &self,
        table: &str,
        after: Option<&[Cell]>,
        upto: Option<&[Cell]>,
    ) -> Result<Sum, ValidateError> {
        let Some(hash) = &self.hash_sql else {
            let mut reader = KeyOrderReader::new(
                self.db.clone(),
                self.spec.clone(),
                after.map(<[Cell]>::to_vec),
                upto.map(<[Cell]>::to_vec),
                self.unique,
                self.chunk,
            );
            let mut sum: Sum = (0, 0);
            while let Some(rows) = reader.next().await? {
                for row in prepare(self.spec, self.canon, rows, HashKind::Sha256) {
                    sum.0 += 1;
                    self.fold.add(&mut sum.1, row.hash);
                }
            }
            return Ok(sum);
        };
        let engine = self.db.engine;
        let range = keyset::range(engine, &self.spec.key_columns(), after, upto, 1);
        let sql = format!(
            "SELECT {} AS seg, count(*) AS n, {} AS s FROM {} {}",
            match engine {
                Engine::Mysql => "CAST(0 AS SIGNED)",
                _ => "CAST(0 AS BIGINT)",
            },
            self.sum_text(hash),
            quote::table(engine, &self.spec.name),
            range.sql
        );
        let rows = self.fetch(&sql, &range.binds).await?;
        match rows.into_iter().next() {
            Some((_, n, s, _)) => Ok((n as u64, self.parse_sum(table, s)?)),
            None => Ok((0, 0)),
        }
    }

    /// Rows of `(segment, count, sum, further text columns)`.
    async fn fetch(&self, sql: &str, binds: &[Cell]) -> Result<Vec<SegmentRow>, ValidateError> {
        let err = |e| {
            self.db
                .query_error(format!("checksumming {}", self.spec.name), e)
        };
        macro_rules! run {
            ($pool:expr) => {{
                let rows = bind_all!(sqlx::query(sql), binds)
                    .fetch_all($pool)
                    .await
                    .map_err(err)?;
                rows.iter()
                    .map(|r| {
                        Ok((
                            r.try_get::<i64, _>(0)?,
                            r.try_get::<i64, _>(1)?,
                            r.try_get::<Option<String>, _>(2)?,
                            (3..r.len())
                                .map(|i| r.try_get::<Option<String>, _>(i))
                                .collect::<Result<Vec<_>, _>>()?,
                        ))
                    })
                    .collect::<Result<Vec<_>, sqlx::Error>>()
                    .map_err(err)?
            }};
        }
        Ok(match &self.db.pool {
            Pool::Postgres(p) => run!(p),
            Pool::Mysql(p) => run!(p),
            Pool::Sqlite(p) => run!(p),
        })
    }

    /// Every row of `(after, upto]`, prepared for the row-by-row comparison.
    async fn rows(
        &self,
        after: Option<&[Cell]>,
        upto: Option<&[Cell]>,
    ) -> Result<Vec<super::stream::Prepared>, ValidateError> {
        let mut reader = KeyOrderReader::new(
            self.db.clone(),
            self.spec.clone(),
            after.map(<[Cell]>::to_vec),
            upto.map(<[Cell]>::to_vec),
            self.unique,
            self.chunk,
        );
        let mut out = Vec::new();
        while let Some(rows) = reader.next().await? {
            out.extend(prepare(self.spec, self.canon, rows, HashKind::Fast));
        }
        Ok(out)
    }
}

/// Minimum and maximum of `spec`'s leading key column in `db`, as integers; `None` when the
/// table is empty.
///
/// # Errors
/// [`ValidateError::Db`].
pub async fn leading_bounds(
    db: &Database,
    spec: &TableSpec,
) -> Result<Option<(i64, i64)>, ValidateError> {
    Side {
        db,
        spec,
        canon: &[],
        hash_sql: None,
        ordered: None,
        fold: Fold::Sum,
        unique: true,
        name: "source",
        chunk: 1,
        rules: &[],
    }
    .bounds()
    .await
}

/// A segment of leading-key values still to look at.
struct Pending {
    lo: i64,
    hi: i64,
    rows: u64,
}

/// Compares `pair` by segment checksums.
///
/// # Errors
/// [`ValidateError`] when a query fails or a checksum is unreadable.
pub async fn compare(
    source: &Database,
    target: &Database,
    pair: &TablePair,
    tuning: Bisection,
    rules: &[Slot],
    progress: &dyn Progress,
) -> Result<ChecksumOutcome, ValidateError> {
    let hash_sql = |db: &Database, spec: &TableSpec, hash: RowHash| {
        if tuning.force_client {
            None
        } else {
            canon_sql::row_hash_expr_with(db.engine, &spec.columns, &pair.canon, hash)
        }
    };
    // Two databases of one engine that both hash in SQL may use its cheapest hash; anything
    // else compares SHA-256s, the cheapest hash both engines and the client compute alike.
    let (mut source_hash, mut target_hash) = (None, None);
    if source.engine == target.engine {
        source_hash = hash_sql(source, &pair.source, RowHash::Native);
        target_hash = hash_sql(target, &pair.target, RowHash::Native);
    }
    if source_hash.is_none() || target_hash.is_none() {
        source_hash = hash_sql(source, &pair.source, RowHash::Sha256);
        target_hash = hash_sql(target, &pair.target, RowHash::Sha256);
    }
    // Between two PostgreSQL databases the row hash (`hashtextextended`) is cheap per call, so
    // one hash per row is kept there.
    let ordered_sql = |db: &Database, spec: &TableSpec| {
        let text = canon_sql::row_text_expr(db.engine, &spec.columns, &pair.canon)?;
        let keys = spec.key_columns();
        Some((
            text,
            quote::columns(db.engine, keys.iter().map(|k| k.name.as_str())),
        ))
    };
    let both_in_sql = source_hash.is_some() && target_hash.is_some();
    let ordered = (both_in_sql
        && !(source.engine == Engine::Postgres && target.engine == Engine::Postgres)
        && orders_alike_and_bounded(pair))
    .then(|| ordered_sql(source, &pair.source).zip(ordered_sql(target, &pair.target)))
    .flatten();
    let fold = match (&source_hash, &target_hash) {
        _ if ordered.is_some() => Fold::Ordered,
        (Some(_), _) if !has_bit_xor(source).await => Fold::Sum,
        (_, Some(_)) if !has_bit_xor(target).await => Fold::Sum,
        _ => Fold::Xor,
    };
    let (source_ordered, target_ordered) = ordered.unzip();
    let s = Side {
        db: source,
        spec: &pair.source,
        canon: &pair.canon,
        hash_sql: source_hash,
        ordered: source_ordered,
        fold,
        unique: true,
        name: "source",
        chunk: tuning.chunk_rows,
        rules,
    };
    let t = Side {
        db: target,
        spec: &pair.target,
        canon: &pair.canon,
        hash_sql: target_hash,
        ordered: target_ordered,
        fold,
        unique: pair.target_key_unique,
        name: "target",
        chunk: tuning.chunk_rows,
        rules: &[],
    };
    let mut outcome = ChecksumOutcome {
        hashed_in: Some((s.hashed_in(), t.hashed_in())),
        ..ChecksumOutcome::default()
    };
    if pair.integer_leading_key() {
        bisect(&s, &t, pair, tuning, progress, &mut outcome).await?;
    } else {
        by_key_scan(&s, &t, pair, tuning, progress, &mut outcome).await?;
    }
    Ok(outcome)
}

/// Concurrent key-range queries per side for the first level.
const FIRST_LEVEL_PARTS: usize = 2;

/// Segments of the first level: about `leaf_rows / 2` rows each by the source's row estimate
/// (the catalog's statistics), at least `factor²`, at most `16·factor²` (the result of the
/// first level's query, a count and a sum per segment, stays small).
fn first_level_segments(pair: &TablePair, tuning: Bisection) -> u32 {
    let least = tuning.factor.saturating_mul(tuning.factor).max(1);
    let most = least.saturating_mul(16);
    match pair.source_table.rows {
        // Half a leaf each, so that uneven segments still come in under a leaf.
        Some(rows) if rows > 0 => {
            (rows / (tuning.leaf_rows / 2).max(1)).clamp(u64::from(least), u64::from(most)) as u32
        }
        _ => least,
    }
}

/// `lo..=hi` cut into at most `parts` ranges on boundaries of `width`-wide segments counted
/// from `lo`.
fn split_range(lo: i64, hi: i64, width: i64, parts: usize) -> Vec<(i64, i64)> {
    let span = i128::from(hi) - i128::from(lo) + 1;
    let segments = (span + i128::from(width) - 1) / i128::from(width);
    let per = ((segments + parts as i128 - 1) / parts as i128).max(1);
    let mut out = Vec::new();
    let mut from = i128::from(lo);
    while from <= i128::from(hi) {
        let to = (from + per * i128::from(width) - 1).min(i128::from(hi));
        out.push((from as i64, to as i64));
        from = to + 1;
    }
    out
}

fn width(lo: i64, hi: i64, factor: u32) -> i64 {
    let span = i128::from(hi) - i128::from(lo) + 1;
    let w = (span + i128::from(factor) - 1) / i128::from(factor.max(1));
    w.clamp(1, i128::from(i64::MAX)) as i64
}

async fn bisect(
    s: &Side<'_>,
    t: &Side<'_>,
    pair: &TablePair,
    tuning: Bisection,
    progress: &dyn Progress,
    outcome: &mut ChecksumOutcome,
) -> Result<(), ValidateError> {
    let table = pair.name();
    let (sb, tb) = tokio::try_join!(s.bounds(), t.bounds())?;
    let (lo, hi) = match (sb, tb) {
        (None, None) => return Ok(()),
        (Some(b), None) | (None, Some(b)) => b,
        (Some(a), Some(b)) => (a.0.min(b.0), a.1.max(b.1)),
    };
    let mut comparer = Comparer::new(pair, tuning.show);
    // Depth-first, sub-segments pushed in reverse, so leaves are compared in key order.
    let mut stack = vec![Pending {
        lo,
        hi,
        rows: u64::MAX,
    }];
    let mut top = true;
    while let Some(p) = stack.pop() {
        if !top && (p.rows <= tuning.leaf_rows || p.lo == p.hi) {
            let after = [Cell::Int(p.lo.saturating_sub(1))];
            let upto = [Cell::Int(p.hi)];
            let (rs, rt) = tokio::try_join!(
                s.rows(Some(&after), Some(&upto)),
                t.rows(Some(&after), Some(&upto))
            )?;
            comparer.all(rs, rt)?;
            continue;
        }
        // The first level costs one scan per side whatever its number of segments, so it is cut
        // finely: into segments of about `leaf_rows` rows by the source's row estimate (at
        // least `factor²` of them), so a segment that differs is fetched at once instead of
        // re-hashed level by level. Each side's scan is split into `FIRST_LEVEL_PARTS` key
        // ranges read concurrently: one query runs on one core, and the side with the costlier
        // hash (PostgreSQL's SHA-256) would otherwise leave the other core idle once the faster side
        // is done.
        let (ls, lt, w) = if top {
            let w = width(p.lo, p.hi, first_level_segments(pair, tuning));
            let parts = split_range(p.lo, p.hi, w, FIRST_LEVEL_PARTS);
            let (ls, lt) = tokio::try_join!(
                try_join_all(
                    parts
                        .iter()
                        .map(|&range| s.level(&table, p.lo, range, w, true))
                ),
                try_join_all(
                    parts
                        .iter()
                        .map(|&range| t.level(&table, p.lo, range, w, false))
                )
            )?;
            let mut converted = vec![0u64; s.rules.len()];
            let mut merge = |levels: Vec<Level>, count: bool| {
                let mut all = BTreeMap::new();
                for (sums, c) in levels {
                    all.extend(sums);
                    if count {
                        for (a, b) in converted.iter_mut().zip(c) {
                            *a += b;
                        }
                    }
                }
                all
            };
            let (ls, lt) = (merge(ls, true), merge(lt, false));
            outcome.converted = Some(converted);
            (ls, lt, w)
        } else {
            let w = width(p.lo, p.hi, tuning.factor);
            let ((ls, _), (lt, _)) = tokio::try_join!(
                s.level(&table, p.lo, (p.lo, p.hi), w, false),
                t.level(&table, p.lo, (p.lo, p.hi), w, false)
            )?;
            (ls, lt, w)
        };
        let segments: BTreeSet<i64> = ls.keys().chain(lt.keys()).copied().collect();
        outcome.segments += segments.len() as u64;
        let mut children = Vec::new();
        for seg in segments {
            let a = ls.get(&seg).copied().unwrap_or_default();
            let b = lt.get(&seg).copied().unwrap_or_default();
            if top {
                outcome.source_rows += a.0;
                outcome.target_rows += b.0;
            }
            if a == b {
                continue;
            }
            let slo = p.lo + seg * w;
            let shi = (slo + (w - 1)).min(p.hi);
            if top && outcome.ranges.len() < tuning.show {
                outcome.ranges.push(RangeCount {
                    from: slo.to_string(),
                    to: shi.to_string(),
                    source_rows: a.0,
                    target_rows: b.0,
                });
            }
            children.push(Pending {
                lo: slo,
                hi: shi,
                rows: a.0.max(b.0),
            });
        }
        if top {
            progress.rows(outcome.source_rows);
        }
        top = false;
        stack.extend(children.into_iter().rev());
    }
    outcome.differences = comparer.differences;
    Ok(())
}

async fn by_key_scan(
    s: &Side<'_>,
    t: &Side<'_>,
    pair: &TablePair,
    tuning: Bisection,
    progress: &dyn Progress,
    outcome: &mut ChecksumOutcome,
) -> Result<(), ValidateError> {
    let table = pair.name();
    // Boundaries: every `leaf_rows`-th source key, from a key-only read of the source.
    let mut keys_only = pair.source.clone();
    keys_only.columns = pair
        .source
        .key
        .iter()
        .map(|&i| pair.source.columns[i].clone())
        .collect();
    keys_only.key = (0..keys_only.columns.len()).collect();
    let mut reader = KeyOrderReader::new(
        s.db.clone(),
        keys_only.clone(),
        None,
        None,
        true,
        tuning.leaf_rows.max(2) as usize,
    );
    let mut bounds: Vec<Vec<Cell>> = Vec::new();
    while let Some(rows) = reader.next().await? {
        if let Some(last) = rows.last() {
            bounds.push(last.clone());
        }
    }
    let key_canon: Arc<Vec<Logical>> = Arc::new(
        pair.source
            .key
            .iter()
            .map(|&i| pair.canon[i].clone())
            .collect(),
    );
    let text = |key: &[Cell]| {
        key_text(
            &key.iter()
                .zip(key_canon.iter())
                .map(|(c, l)| KeyPart::of(c, l))
                .collect::<Vec<_>>(),
        )
    };
    let mut comparer = Comparer::new(pair, tuning.show);
    let mut after: Option<Vec<Cell>> = None;
    let segments = bounds.len() + 1;
    for i in 0..segments {
        let upto = bounds.get(i).cloned();
        let (a, b) = tokio::try_join!(
            s.segment(&table, after.as_deref(), upto.as_deref()),
            t.segment(&table, after.as_deref(), upto.as_deref())
        )?;
        outcome.segments += 1;
        outcome.source_rows += a.0;
        outcome.target_rows += b.0;
        if a != b {
            if outcome.ranges.len() < tuning.show {
                outcome.ranges.push(RangeCount {
                    from: after
                        .as_deref()
                        .map_or_else(|| "start".to_owned(), |k| format!("after {}", text(k))),
                    to: upto.as_deref().map_or_else(|| "end".to_owned(), text),
                    source_rows: a.0,
                    target_rows: b.0,
                });
            }
            let (rs, rt) = tokio::try_join!(
                s.rows(after.as_deref(), upto.as_deref()),
                t.rows(after.as_deref(), upto.as_deref())
            )?;
            comparer.all(rs, rt)?;
        }
        progress.rows(outcome.source_rows);
        after = upto;
    }
    outcome.differences = comparer.differences;
    Ok(())
}
