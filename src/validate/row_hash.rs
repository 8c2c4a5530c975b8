//! Row hashing in Rust: the same row text the databases hash in SQL ([`super::canon_sql`]),
//! hashed with MD5 (60 bits, for segment checksums computed on the client: SQLite has no `md5`)
//! or with XXH3 (64 bits, for the merge-compare, where only the two sides' hashes of the same
//! key are compared and speed matters), plus keys in a form Rust can order.

use std::cmp::Ordering;

use md5::{Digest, Md5};

use super::canon_sql::{NULL_MARK, SEPARATOR};
use crate::data::cell::is_zero_date;
use crate::data::types::Logical;
use crate::data::Cell;

/// Appends the canonical text of `cell` compared as `canon` to `out`; false for NULL.
/// The common cases write straight into the buffer; the rest go through
/// [`Cell::canonical`], which defines the result.
pub fn write_canonical(cell: &Cell, canon: &Logical, out: &mut Vec<u8>) -> bool {
    match (cell, canon) {
        (Cell::Null, _) => false,
        (Cell::Int(i), Logical::Int { .. } | Logical::Decimal { .. } | Logical::Year) => {
            out.extend_from_slice(itoa::Buffer::new().format(*i).as_bytes());
            true
        }
        (
            Cell::Text(t),
            Logical::Text { .. }
            | Logical::Enum(_)
            | Logical::Set(_)
            | Logical::Uuid
            | Logical::Json
            | Logical::Other(_),
        ) => {
            out.extend_from_slice(t.as_bytes());
            true
        }
        (Cell::Date(d), Logical::Date) => {
            out.extend_from_slice(&crate::data::cell::date_text(*d));
            true
        }
        (Cell::Text(t), Logical::Date) if !is_zero_date(t) => {
            out.extend_from_slice(t.as_bytes());
            true
        }
        _ => match cell.canonical(canon) {
            Some(text) => {
                out.extend_from_slice(text.as_bytes());
                true
            }
            None => false,
        },
    }
}

/// The row text: canonical column texts joined by U+001F, NULL written as U+001E.
pub fn row_text(row: &[Cell], canon: &[Logical], out: &mut Vec<u8>) {
    out.clear();
    for (i, (cell, logical)) in row.iter().zip(canon).enumerate() {
        if i > 0 {
            out.push(SEPARATOR);
        }
        if !write_canonical(cell, logical, out) {
            out.push(NULL_MARK);
        }
    }
}

/// The last 60 bits of the MD5 of `text`, as `('x' || substr(md5(t), 18))::bit(60)::int8`
/// computes them in PostgreSQL and `CONV(SUBSTRING(MD5(t), 18), 16, 10)` in MySQL.
pub fn md5_60(text: &[u8]) -> u64 {
    let digest = Md5::digest(text);
    let mut low = [0u8; 8];
    low.copy_from_slice(&digest[8..16]);
    u64::from_be_bytes(low) & ((1u64 << 60) - 1)
}

/// A fast 64-bit hash of the row text, for the merge-compare.
pub fn fast(text: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(text)
}

/// One key column's value in a form that orders as the databases order it: integers by value,
/// everything else by its canonical text's bytes (dates and date-times order that way).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyPart {
    /// NULL (only in a target without a key constraint).
    Null,
    /// Integer.
    Int(i128),
    /// Canonical text.
    Text(String),
}

impl KeyPart {
    /// The key part of `cell` compared as `canon`: from its canonical text, so that the same
    /// value read as different cells (MySQL `tinyint(1)` and PostgreSQL `boolean`) agrees.
    pub fn of(cell: &Cell, canon: &Logical) -> Self {
        match (cell, canon) {
            (Cell::Null, _) => KeyPart::Null,
            (Cell::Int(i), Logical::Int { .. } | Logical::Year) => KeyPart::Int(i128::from(*i)),
            (Cell::UInt(u), Logical::Int { .. } | Logical::Year) => KeyPart::Int(i128::from(*u)),
            _ => Self::from_canonical(cell.canonical(canon).as_deref().map(str::as_bytes), canon),
        }
    }

    /// The key part of a canonical text (`None` for NULL): integers by value, the rest as text.
    pub fn from_canonical(text: Option<&[u8]>, canon: &Logical) -> Self {
        let Some(text) = text else {
            return KeyPart::Null;
        };
        let text = String::from_utf8_lossy(text);
        if matches!(canon, Logical::Int { .. } | Logical::Year | Logical::Bool) {
            if let Ok(i) = text.parse() {
                return KeyPart::Int(i);
            }
        }
        KeyPart::Text(text.into_owned())
    }
}

impl std::fmt::Display for KeyPart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyPart::Null => f.write_str("NULL"),
            KeyPart::Int(i) => write!(f, "{i}"),
            KeyPart::Text(t) => f.write_str(t),
        }
    }
}

/// A key as text for reports: `1`, `10001, 1986-06-26`.
pub fn key_text(key: &[KeyPart]) -> String {
    key.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Compares two keys part by part.
pub fn compare_keys(a: &[KeyPart], b: &[KeyPart]) -> Ordering {
    a.cmp(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_prefix_matches_the_sql_definition() {
        // md5('') = d41d8cd98f00b204e9800998ecf8427e; from the 18th hex digit: 9800998ecf8427e.
        assert_eq!(md5_60(b""), 0x980_0998_ecf8_427e);
    }

    #[test]
    fn null_and_empty_differ() {
        let canon = [
            Logical::Text { max_len: None },
            Logical::Text { max_len: None },
        ];
        let mut a = Vec::new();
        let mut b = Vec::new();
        row_text(&[Cell::Null, Cell::Text("x".into())], &canon, &mut a);
        row_text(
            &[Cell::Text(String::new()), Cell::Text("x".into())],
            &canon,
            &mut b,
        );
        assert_ne!(a, b);
        assert_eq!(a, b"\x1e\x1fx");
    }

    #[test]
    fn fast_paths_agree_with_canonical() {
        let cases = [
            (
                Cell::Int(-5),
                Logical::Decimal {
                    precision: None,
                    scale: None,
                },
            ),
            (Cell::Text("2020-01-02".into()), Logical::Date),
            (Cell::Text("0000-00-00".into()), Logical::Date),
            (Cell::Text("a ".into()), Logical::Text { max_len: None }),
        ];
        for (cell, canon) in cases {
            let mut out = Vec::new();
            let some = write_canonical(&cell, &canon, &mut out);
            assert_eq!(
                cell.canonical(&canon),
                some.then(|| String::from_utf8(out).unwrap())
            );
        }
    }
}
