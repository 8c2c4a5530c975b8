//! The row-by-row comparison of two key-ordered streams: a merge join on the key. Used whole by
//! the merge-compare strategy, and on the last bisection level of the checksum strategy.

use std::cmp::Ordering;
use std::collections::VecDeque;

use super::canon_sql::SEPARATOR;
use super::error::ValidateError;
use super::pair::TablePair;
use super::report::{ChangedRow, Differences};
use super::stream::Prepared;

/// Which side the comparison needs more rows from before it can go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// The source queue is empty and the source is not exhausted.
    Source,
    /// The target queue is empty and the target is not exhausted.
    Target,
    /// Both sides are exhausted and compared.
    Nothing,
}

/// A merge join in progress.
pub struct Comparer<'a> {
    pair: &'a TablePair,
    show: usize,
    /// Differences found so far.
    pub differences: Differences,
    /// Source rows consumed.
    pub source_rows: u64,
    /// Target rows consumed.
    pub target_rows: u64,
    /// The last row consumed on each side, kept (not its key cloned) for the order check.
    last: [Option<Prepared>; 2],
}

impl<'a> Comparer<'a> {
    /// A comparison keeping the first `show` keys of each kind.
    pub fn new(pair: &'a TablePair, show: usize) -> Self {
        Self {
            pair,
            show,
            differences: Differences::default(),
            source_rows: 0,
            target_rows: 0,
            last: [None, None],
        }
    }

    fn in_order(&self, side: usize, row: &Prepared) -> Result<(), ValidateError> {
        if let Some(previous) = &self.last[side] {
            if row.key() < previous.key() {
                return Err(ValidateError::KeyOrder {
                    table: self.pair.name(),
                    side: if side == 0 { "source" } else { "target" },
                    key: row.key_text(),
                    previous: previous.key_text(),
                });
            }
        }
        Ok(())
    }

    /// Columns whose canonical texts differ. (A text holding U+001F itself would shift the
    /// split; the row is still reported as changed, only the named columns may be off.)
    fn changed_columns(&self, s: &Prepared, t: &Prepared) -> Vec<String> {
        fn split(p: &Prepared) -> Vec<&[u8]> {
            p.text().split(|b| *b == SEPARATOR).collect()
        }
        let (a, b) = (split(s), split(t));
        (0..self.pair.canon.len())
            .filter(|&i| a.get(i) != b.get(i))
            .map(|i| self.pair.source.columns[i].name.clone())
            .collect()
    }

    /// Compares queued rows as far as possible. `*_done` says a side has no more rows.
    ///
    /// # Errors
    /// [`ValidateError::KeyOrder`] when a side's keys go backwards.
    pub fn advance(
        &mut self,
        source: &mut VecDeque<Prepared>,
        target: &mut VecDeque<Prepared>,
        source_done: bool,
        target_done: bool,
    ) -> Result<Need, ValidateError> {
        loop {
            let ordering = match (source.front(), target.front()) {
                (None, _) if !source_done => return Ok(Need::Source),
                (_, None) if !target_done => return Ok(Need::Target),
                (None, None) => return Ok(Need::Nothing),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some(s), Some(t)) => s.key().cmp(t.key()),
            };
            match ordering {
                Ordering::Less => {
                    let s = source.pop_front().expect("front exists");
                    self.in_order(0, &s)?;
                    self.source_rows += 1;
                    self.differences.missing.push(s.key_text(), self.show);
                    self.last[0] = Some(s);
                }
                Ordering::Greater => {
                    let t = target.pop_front().expect("front exists");
                    self.in_order(1, &t)?;
                    self.target_rows += 1;
                    self.differences.extra.push(t.key_text(), self.show);
                    self.last[1] = Some(t);
                }
                Ordering::Equal => {
                    let s = source.pop_front().expect("front exists");
                    let t = target.pop_front().expect("front exists");
                    self.in_order(0, &s)?;
                    self.in_order(1, &t)?;
                    self.source_rows += 1;
                    self.target_rows += 1;
                    if s.hash != t.hash {
                        let columns = self.changed_columns(&s, &t);
                        // Equal canonical texts with different hashes cannot happen; a
                        // difference the column check cannot name is still reported.
                        let d = &mut self.differences.changed;
                        d.count += 1;
                        if d.first.len() < self.show {
                            d.first.push(ChangedRow {
                                key: s.key_text(),
                                columns,
                            });
                        }
                    }
                    self.last = [Some(s), Some(t)];
                }
            }
        }
    }

    /// Compares two complete key-ordered row sets.
    ///
    /// # Errors
    /// [`ValidateError::KeyOrder`].
    pub fn all(
        &mut self,
        source: Vec<Prepared>,
        target: Vec<Prepared>,
    ) -> Result<(), ValidateError> {
        let mut s: VecDeque<Prepared> = source.into();
        let mut t: VecDeque<Prepared> = target.into();
        self.advance(&mut s, &mut t, true, true).map(|_| ())
    }
}
