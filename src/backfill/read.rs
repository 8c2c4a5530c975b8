//! The reader side of a table copy: the next keyset chunk of the source, converted to the
//! target's types and, for PostgreSQL targets, encoded for `COPY`.
//!
//! Into PostgreSQL with a binary layout for every column, rows are converted and encoded one by
//! one as the driver streams them, and only the encoding is kept: no `Vec` of cells per row,
//! and no second walk over 50k rows gone cold in cache (our CPU per 3.6M-row copy, BENCHMARKS.md
//! "Backfill"). The rows themselves are read again only in the rare case that needs them: a
//! value that has no binary form (the chunk then goes as text), or a load the target refuses
//! (the writer's [`super::write::WriteError::RowsNeeded`]).

use std::sync::Arc;

use super::checkpoint::key_json;
use super::retry;
use super::write::CopyStream;
use crate::data::pg_binary::{self, Field};
use crate::data::read::stream_rows;
use crate::data::rules::{self, ConversionPolicy, Converted};
use crate::data::{read_rows, Cell, TableSpec};
use crate::db::{Database, DbError};
use crate::import::Engine;
use crate::mapping::ColumnMapping;

/// A chunk as the reader hands it to the writer.
pub(super) struct ReadChunk {
    /// Rows converted to the target's types; empty when only `encoded` carries them.
    pub rows: Vec<Vec<Cell>>,
    /// Number of rows read.
    pub row_count: usize,
    /// Source key after which the chunk starts (exclusive); `None` for the first chunk.
    pub source_after: Option<Vec<Cell>>,
    /// Source key of the chunk's last row.
    pub source_last: Vec<Cell>,
    /// The rows' `COPY` encoding, for PostgreSQL targets.
    pub encoded: Option<CopyStream>,
    /// Bytes read, for throughput figures.
    pub bytes: u64,
    /// Values the chunk's conversion changed under a stated rule, and their originals.
    pub conversions: Conversions,
}

/// What the stated rules changed in one chunk.
#[derive(Debug, Default)]
pub(super) struct Conversions {
    /// Counts per column and rule, with example keys.
    pub converted: Vec<Converted>,
    /// (row index in the chunk, column index, value as read) of each changed value: a row the
    /// target refuses is kept with what the source held, not what a rule made of it.
    pub originals: Vec<(usize, usize, Cell)>,
}

/// Reads chunks of one table.
pub(super) struct ChunkReader {
    source: Database,
    spec: TableSpec,
    columns: Vec<ColumnMapping>,
    /// Columns whose values [`Cell::convert`] can change.
    converted: Vec<usize>,
    /// Whether a key column is among `converted` (its source value must then be kept aside
    /// before the row is converted, for the checkpoint).
    key_converted: bool,
    /// The binary `COPY` layout of every target column, when the target is PostgreSQL and
    /// every column has one.
    binary: Option<Arc<[Field]>>,
    /// Whether the target is PostgreSQL (chunks are encoded for `COPY`).
    encode_for_copy: bool,
    /// The target's engine, which decides what some values become.
    target_engine: Engine,
    /// What the stated rules do.
    policy: ConversionPolicy,
}

impl ChunkReader {
    pub(super) fn new(
        source: Database,
        spec: TableSpec,
        columns: Vec<ColumnMapping>,
        binary: Option<Arc<[Field]>>,
        target_engine: Engine,
        policy: ConversionPolicy,
    ) -> Self {
        let converted: Vec<usize> = (0..columns.len())
            .filter(|&i| {
                Cell::converts(&columns[i].source, &columns[i].target)
                    || columns[i].null_cell.is_some()
            })
            .collect();
        let key_converted = spec.key.iter().any(|k| converted.contains(k));
        Self {
            source,
            spec,
            columns,
            converted,
            key_converted,
            binary,
            encode_for_copy: target_engine == Engine::Postgres,
            target_engine,
            policy,
        }
    }

    /// Converts row `index` of a chunk for the target in place, adding to `conversions` what a
    /// stated rule changed.
    fn convert(&self, row: &mut [Cell], index: usize, conversions: &mut Conversions) {
        let mut key: Option<String> = None;
        for &i in &self.converted {
            let c = &self.columns[i];
            let value = std::mem::replace(&mut row[i], Cell::Null);
            // The spec's NULL default first (rule C003); the value it gives is then converted
            // as a source value would be (an integer 0 into a boolean column is `false`).
            let (value, defaulted) = match (&value, &c.null_cell) {
                (Cell::Null, Some(default)) => (default.clone(), true),
                _ => (value, false),
            };
            let (cell, ruled) =
                value.convert(&c.source, &c.target, self.target_engine, &self.policy);
            let ruled = if defaulted {
                Some((rules::Rule::NullDefault, Cell::Null))
            } else {
                ruled
            };
            if let Some((rule, original)) = ruled {
                let key = key.get_or_insert_with(|| key_json(&self.spec.key_of(row)));
                rules::count_one(&mut conversions.converted, &c.name, rule, key);
                conversions.originals.push((index, i, original));
            }
            row[i] = cell;
        }
    }

    /// The chunk of at most `limit` rows after `after`; `None` when the table has no more.
    /// Transient errors are retried (each attempt starts the chunk afresh).
    ///
    /// # Errors
    /// [`DbError`] once retries are spent.
    pub(super) async fn next(
        &self,
        after: Option<&[Cell]>,
        limit: usize,
    ) -> Result<Option<ReadChunk>, DbError> {
        if let Some(fields) = &self.binary {
            let encoded = retry::transient("reading a chunk", || {
                self.read_encoded(after, limit, fields)
            })
            .await?;
            match encoded {
                Encoded::Empty => return Ok(None),
                Encoded::Chunk(chunk) => return Ok(Some(*chunk)),
                // Read again as rows below, and encoded as text (a binary form that does not
                // fit a value would hide the server's own words about it).
                Encoded::DoesNotFit => {}
            }
        }
        let rows = retry::transient("reading a chunk", || {
            read_rows(&self.source, &self.spec, after, None, Some(limit))
        })
        .await?;
        Ok(self.chunk_of_rows(after, rows))
    }

    /// The whole table as one chunk of rows (a table without a key); `None` when it is empty.
    ///
    /// # Errors
    /// [`DbError`] once retries are spent.
    pub(super) async fn whole(&self) -> Result<Option<ReadChunk>, DbError> {
        let rows = retry::transient("reading a table without a key", || {
            read_rows(&self.source, &self.spec, None, None, None)
        })
        .await?;
        Ok(self.chunk_of_rows(None, rows))
    }

    /// The chunk after `after` up to and including `last`, as rows: for the writer, when a
    /// chunk that came encoded only has a refused load. The source may have changed since the
    /// first read; the chunk is then written as it is now, which is as correct (the catch-up
    /// applies later changes either way).
    ///
    /// # Errors
    /// [`DbError`] once retries are spent.
    pub(super) async fn rows_between(
        &self,
        after: Option<&[Cell]>,
        last: &[Cell],
    ) -> Result<(Vec<Vec<Cell>>, Conversions), DbError> {
        let mut rows = retry::transient("reading a chunk again", || {
            read_rows(&self.source, &self.spec, after, Some(last), None)
        })
        .await?;
        let mut conversions = Conversions::default();
        for (index, row) in rows.iter_mut().enumerate() {
            self.convert(row, index, &mut conversions);
        }
        Ok((rows, conversions))
    }

    fn chunk_of_rows(&self, after: Option<&[Cell]>, mut rows: Vec<Vec<Cell>>) -> Option<ReadChunk> {
        let source_last = self.spec.key_of(rows.last()?);
        let bytes = rows.iter().flatten().map(|c| c.byte_len() as u64).sum();
        let mut conversions = Conversions::default();
        for (index, row) in rows.iter_mut().enumerate() {
            self.convert(row, index, &mut conversions);
        }
        let encoded = self
            .encode_for_copy
            .then(|| CopyStream::encode(&rows, self.binary.as_deref()));
        Some(ReadChunk {
            row_count: rows.len(),
            rows,
            source_after: after.map(<[Cell]>::to_vec),
            source_last,
            encoded,
            bytes,
            conversions,
        })
    }

    async fn read_encoded(
        &self,
        after: Option<&[Cell]>,
        limit: usize,
        fields: &[Field],
    ) -> Result<Encoded, DbError> {
        let mut stream = Vec::with_capacity(limit.min(1 << 16) * 48);
        let mut ends = Vec::with_capacity(limit.min(1 << 16));
        let mut fits = true;
        let mut bytes = 0u64;
        let mut source_last: Vec<Cell> = Vec::new();
        let mut row = Vec::with_capacity(self.spec.columns.len());
        let mut conversions = Conversions::default();
        let mut index = 0;
        let fragment = self.spec.select(after, None, Some(limit));
        let count = stream_rows(&self.source, &self.spec, &fragment, &mut row, |row| {
            if !fits {
                return;
            }
            bytes += row.iter().map(|c| c.byte_len() as u64).sum::<u64>();
            if self.key_converted {
                source_last.clear();
                source_last.extend(self.spec.key.iter().map(|&k| row[k].clone()));
            }
            self.convert(row, index, &mut conversions);
            index += 1;
            fits = pg_binary::encode_row(row, fields, &mut stream).is_some();
            ends.push(stream.len());
        })
        .await?;
        if count == 0 {
            return Ok(Encoded::Empty);
        }
        if !fits {
            return Ok(Encoded::DoesNotFit);
        }
        if !self.key_converted {
            source_last = self.spec.key_of(&row);
        }
        Ok(Encoded::Chunk(Box::new(ReadChunk {
            rows: Vec::new(),
            row_count: count,
            source_after: after.map(<[Cell]>::to_vec),
            source_last,
            encoded: Some(CopyStream::binary(stream, ends)),
            bytes,
            conversions,
        })))
    }
}

enum Encoded {
    Empty,
    Chunk(Box<ReadChunk>),
    DoesNotFit,
}
