//! Reading one side of a table in key order, chunk by chunk, into rows ready to compare.
//!
//! Chunks are keyset pages ([`crate::data::keyset`]), so memory is bounded by the chunk size.
//! A target that does not enforce the key may repeat it; a plain `key > last` page would then
//! skip the copies that fall after a page boundary, so such a side ends each page before its
//! last key and reads all copies of a key in one page.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::row_hash::{self, KeyPart};
use crate::data::types::Logical;
use crate::data::{read_rows, Cell, TableSpec};
use crate::db::{Database, DbError};
use crate::import::Engine;

/// A row with its key in comparable form, its row text and the text's hash.
///
/// Key and text share one allocation: a merge prepares millions of rows on the readers'
/// threads and frees them on the comparison's, and three allocations a row (the key's parts,
/// a text key part, the text) were a sixth of the merge's CPU.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The key in its order-preserving encoding ([`row_hash::encode_key_part`]), then the row
    /// text.
    bytes: Vec<u8>,
    /// Where the key ends in `bytes`.
    key_len: usize,
    /// Hash of the row text.
    pub hash: u64,
}

impl Prepared {
    /// A prepared row from its key and row text.
    pub fn new(key: &[KeyPart], text: &[u8], kind: HashKind) -> Self {
        let mut encoded = Vec::with_capacity(key.len() * 17);
        for part in key {
            row_hash::encode_key_part(part, &mut encoded);
        }
        Self::from_encoded_key(&encoded, text, kind)
    }

    /// A prepared row from its key, already encoded ([`row_hash::encode_key_part`]), and its
    /// row text.
    pub fn from_encoded_key(key: &[u8], text: &[u8], kind: HashKind) -> Self {
        let hash = match kind {
            HashKind::Fast => row_hash::fast(text),
            HashKind::Sha256 => row_hash::sha256_60(text),
        };
        let mut bytes = Vec::with_capacity(key.len() + text.len());
        bytes.extend_from_slice(key);
        bytes.extend_from_slice(text);
        Self {
            bytes,
            key_len: key.len(),
            hash,
        }
    }

    /// The encoded key: comparing two as bytes orders the rows as their keys.
    pub fn key(&self) -> &[u8] {
        &self.bytes[..self.key_len]
    }

    /// The key as text for reports: `10001, 1986-06-26`.
    pub fn key_text(&self) -> String {
        row_hash::encoded_key_text(self.key())
    }

    /// The first key part when it is an integer.
    pub fn first_int(&self) -> Option<i128> {
        row_hash::first_int_key(self.key())
    }

    /// The row text ([`row_hash::row_text`]): canonical column texts, separated; kept so a
    /// changed row can name its differing columns without reading it again.
    pub fn text(&self) -> &[u8] {
        &self.bytes[self.key_len..]
    }
}

/// How rows are hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashKind {
    /// XXH3, for the merge-compare.
    Fast,
    /// The 60-bit SHA-256 suffix the databases compute (client-side segment checksums).
    Sha256,
}

/// Prepares rows read with `spec` for comparison.
pub fn prepare(
    spec: &TableSpec,
    canon: &[Logical],
    rows: Vec<Vec<Cell>>,
    kind: HashKind,
) -> Vec<Prepared> {
    let mut text = Vec::with_capacity(128);
    rows.into_iter()
        .map(|row| {
            row_hash::row_text(&row, canon, &mut text);
            let key: Vec<KeyPart> = spec
                .key
                .iter()
                .map(|&i| KeyPart::of(&row[i], &canon[i]))
                .collect();
            Prepared::new(&key, &text, kind)
        })
        .collect()
}

/// A key-ordered reader over `(after, upto]`.
pub struct KeyOrderReader {
    db: Database,
    spec: TableSpec,
    after: Option<Vec<Cell>>,
    upto: Option<Vec<Cell>>,
    unique: bool,
    chunk: usize,
    done: bool,
}

impl KeyOrderReader {
    /// A reader of `spec`'s rows with keys in `(after, upto]` (bounds may be key prefixes),
    /// `chunk` rows at a time; `unique` when the side enforces the key.
    pub fn new(
        db: Database,
        spec: TableSpec,
        after: Option<Vec<Cell>>,
        upto: Option<Vec<Cell>>,
        unique: bool,
        chunk: usize,
    ) -> Self {
        Self {
            db,
            spec,
            after,
            upto,
            unique,
            chunk: chunk.max(2),
            done: false,
        }
    }

    /// The next chunk in key order, `None` when the range is exhausted.
    ///
    /// # Errors
    /// [`DbError::Query`].
    pub async fn next(&mut self) -> Result<Option<Vec<Vec<Cell>>>, DbError> {
        if self.done {
            return Ok(None);
        }
        let rows = read_rows(
            &self.db,
            &self.spec,
            self.after.as_deref(),
            self.upto.as_deref(),
            Some(self.chunk),
        )
        .await?;
        if rows.len() < self.chunk {
            self.done = true;
            return Ok((!rows.is_empty()).then_some(rows));
        }
        let last = self.spec.key_of(rows.last().expect("a full chunk"));
        if self.unique {
            self.after = Some(last);
            return Ok(Some(rows));
        }
        let first_of_last = rows
            .iter()
            .position(|r| self.spec.key_of(r) == last)
            .expect("the last row has the last key");
        if first_of_last > 0 {
            let mut rows = rows;
            rows.truncate(first_of_last);
            self.after = Some(self.spec.key_of(rows.last().expect("non-empty")));
            return Ok(Some(rows));
        }
        // The whole page is one key: read all its copies at once.
        let rows = read_rows(
            &self.db,
            &self.spec,
            self.after.as_deref(),
            Some(&last),
            None,
        )
        .await?;
        self.after = Some(last);
        Ok(Some(rows))
    }
}

/// Prepared rows of one side, a batch at a time, as a reader task sends them.
pub type Batches = mpsc::Receiver<Result<Vec<Prepared>, DbError>>;

/// Reads `spec`'s whole table in key order in a task of its own, `chunk` rows at a time,
/// preparing each chunk there (so the two sides' reading and hashing run in parallel), and
/// sends the chunks through a channel two deep. A side that enforces its key and is not SQLite
/// is read with one streamed statement straight into row texts
/// ([`super::fast_read::stream_all`]). The task's result is, per slot of `rules`, the values
/// its rule changes ([`super::fast_read::stream_all_counting`]), complete once
/// the channel is drained.
pub fn spawn_reader(
    db: Database,
    spec: TableSpec,
    canon: Arc<Vec<Logical>>,
    unique: bool,
    chunk: usize,
    kind: HashKind,
    rules: Vec<super::conversions::Slot>,
) -> (Batches, tokio::task::JoinHandle<Vec<u64>>) {
    let (tx, rx) = mpsc::channel(2);
    let task = tokio::spawn(async move {
        let mut counts = vec![0u64; rules.len()];
        if unique && db.engine != Engine::Sqlite {
            match super::fast_read::stream_all_counting(
                &db, &spec, &canon, chunk, kind, &tx, &rules,
            )
            .await
            {
                Ok(c) => counts = c,
                // If the receiver is gone the comparison has already failed.
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                }
            }
            return counts;
        }
        let mut reader = KeyOrderReader::new(db, spec, None, None, unique, chunk);
        loop {
            match reader.next().await {
                Ok(Some(rows)) => {
                    for row in &rows {
                        for (&(i, rule), n) in rules.iter().zip(&mut counts) {
                            if super::conversions::count_value(rule, &row[i], &canon[i]) {
                                *n += 1;
                            }
                        }
                    }
                    let prepared = prepare(&reader.spec, &canon, rows, kind);
                    if tx.send(Ok(prepared)).await.is_err() {
                        return counts;
                    }
                }
                Ok(None) => return counts,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return counts;
                }
            }
        }
    });
    (rx, task)
}
