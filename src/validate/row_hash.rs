//! Row hashing in Rust: the same row text the databases hash in SQL ([`super::canon_sql`]),
//! hashed with SHA-256 (60 bits, for segment checksums computed on the client: SQLite has none)
//! or with XXH3 (64 bits, for the merge-compare, where only the two sides' hashes of the same
//! key are compared and speed matters), plus keys in a form Rust can order.

use sha2::{Digest, Sha256};

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

/// The last 60 bits of the SHA-256 of `text`, as [`super::canon_sql::row_hash_expr`] computes
/// them in PostgreSQL (`encode(substr(sha256(…), 25), 'hex')` as `bit(64)`, masked) and MySQL
/// (`CONV(RIGHT(SHA2(…, 256), 15), 16, 10)`).
pub fn sha256_60(text: &[u8]) -> u64 {
    let digest = Sha256::digest(text);
    let mut low = [0u8; 8];
    low.copy_from_slice(&digest[24..32]);
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
        match canonical_int(&text, canon) {
            Some(i) => KeyPart::Int(i),
            None => KeyPart::Text(text.into_owned()),
        }
    }
}

/// The integer a key part's canonical text stands for, when its column compares as one.
fn canonical_int(text: &str, canon: &Logical) -> Option<i128> {
    matches!(canon, Logical::Int { .. } | Logical::Year | Logical::Bool)
        .then(|| text.parse().ok())
        .flatten()
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

// Tags of the encoded key parts, in `KeyPart`'s order (NULL < integers < texts).
const TAG_NULL: u8 = 1;
const TAG_INT: u8 = 2;
const TAG_TEXT: u8 = 3;

/// Appends `part` in an order-preserving byte encoding: comparing two encoded keys as bytes
/// orders them as comparing their [`KeyPart`]s does (the "memcomparable" key format of
/// MyRocks and CockroachDB). NULL is one tag byte; an integer is a tag and its 16 big-endian
/// bytes with the sign bit flipped; a text is a tag, its bytes with each 0x00 written as
/// 0x00 0xFF, and the terminator 0x00 0x01, so a prefix sorts before the longer text. A row
/// can then carry its key and its row text in one allocation (see `stream::Prepared`).
pub fn encode_key_part(part: &KeyPart, out: &mut Vec<u8>) {
    match part {
        KeyPart::Null => out.push(TAG_NULL),
        KeyPart::Int(i) => encode_int_key(*i, out),
        KeyPart::Text(t) => encode_text_key(t.as_bytes(), out),
    }
}

/// [`encode_key_part`] of `KeyPart::Int(i)`.
pub fn encode_int_key(i: i128, out: &mut Vec<u8>) {
    out.push(TAG_INT);
    out.extend_from_slice(&((i as u128) ^ (1 << 127)).to_be_bytes());
}

/// [`encode_key_part`] of `KeyPart::Text` of these bytes.
pub fn encode_text_key(text: &[u8], out: &mut Vec<u8>) {
    out.push(TAG_TEXT);
    for &b in text {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&[0, 1]);
}

/// [`encode_key_part`] of [`KeyPart::from_canonical`]`(text, canon)`, without building it.
pub fn encode_canonical_key(text: Option<&[u8]>, canon: &Logical, out: &mut Vec<u8>) {
    let Some(text) = text else {
        out.push(TAG_NULL);
        return;
    };
    let text = String::from_utf8_lossy(text);
    match canonical_int(&text, canon) {
        Some(i) => encode_int_key(i, out),
        None => encode_text_key(text.as_bytes(), out),
    }
}

/// The first part of an encoded key ([`encode_key_part`]) when it is an integer, read without
/// decoding the rest.
pub fn first_int_key(bytes: &[u8]) -> Option<i128> {
    match bytes {
        [TAG_INT, rest @ ..] => {
            let raw = u128::from_be_bytes(rest.get(..16)?.try_into().ok()?);
            Some((raw ^ (1 << 127)) as i128)
        }
        _ => None,
    }
}

/// The parts of an encoded key ([`encode_key_part`]); `None` for bytes no encoding produced.
pub fn decode_key(mut bytes: &[u8]) -> Option<Vec<KeyPart>> {
    let mut parts = Vec::new();
    while let Some((&tag, rest)) = bytes.split_first() {
        bytes = rest;
        parts.push(match tag {
            TAG_NULL => KeyPart::Null,
            TAG_INT => {
                let (digits, rest) = bytes.split_at_checked(16)?;
                bytes = rest;
                let raw = u128::from_be_bytes(digits.try_into().ok()?);
                KeyPart::Int((raw ^ (1 << 127)) as i128)
            }
            TAG_TEXT => {
                let mut text = Vec::new();
                loop {
                    match bytes {
                        [0, 1, rest @ ..] => {
                            bytes = rest;
                            break;
                        }
                        [0, 0xFF, rest @ ..] => {
                            text.push(0);
                            bytes = rest;
                        }
                        [b, rest @ ..] if *b != 0 => {
                            text.push(*b);
                            bytes = rest;
                        }
                        _ => return None,
                    }
                }
                KeyPart::Text(String::from_utf8(text).ok()?)
            }
            _ => return None,
        });
    }
    Some(parts)
}

/// A key encoded by [`encode_key_part`] as text for reports ([`key_text`]).
pub fn encoded_key_text(bytes: &[u8]) -> String {
    decode_key(bytes).map_or_else(
        || format!("<key bytes {bytes:02x?}>"),
        |parts| key_text(&parts),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_suffix_matches_the_sql_definition() {
        // sha256('') = e3b0…a495991b7852b855; its last 15 hex digits: 495991b7852b855.
        assert_eq!(sha256_60(b""), 0x495_991b_7852_b855);
    }

    #[test]
    fn encoded_keys_order_and_read_back_as_their_parts() {
        let parts = [
            KeyPart::Null,
            KeyPart::Int(i128::MIN),
            KeyPart::Int(-1),
            KeyPart::Int(0),
            KeyPart::Int(7),
            KeyPart::Int(i128::MAX),
            KeyPart::Text(String::new()),
            KeyPart::Text("\0".into()),
            KeyPart::Text("\0\0x".into()),
            KeyPart::Text("\u{1}".into()),
            KeyPart::Text("a".into()),
            KeyPart::Text("a\0".into()),
            KeyPart::Text("ab".into()),
            KeyPart::Text("b".into()),
            KeyPart::Text("é".into()),
        ];
        let keys: Vec<Vec<KeyPart>> = parts
            .iter()
            .flat_map(|a| parts.iter().map(move |b| vec![a.clone(), b.clone()]))
            .collect();
        let encode = |key: &[KeyPart]| {
            let mut out = Vec::new();
            for part in key {
                encode_key_part(part, &mut out);
            }
            out
        };
        for a in &keys {
            let ea = encode(a);
            assert_eq!(decode_key(&ea).as_deref(), Some(a.as_slice()));
            for b in &keys {
                assert_eq!(ea.cmp(&encode(b)), a.cmp(b), "{a:?} vs {b:?}");
            }
        }
        let mut out = Vec::new();
        encode_canonical_key(
            Some(b"10001"),
            &Logical::Int {
                bits: 32,
                unsigned: false,
            },
            &mut out,
        );
        encode_canonical_key(Some(b"1985-01-01"), &Logical::Date, &mut out);
        encode_canonical_key(None, &Logical::Date, &mut out);
        assert_eq!(encoded_key_text(&out), "10001, 1985-01-01, NULL");
        assert_eq!(first_int_key(&out), Some(10001));
        assert_eq!(first_int_key(&out[17..]), None);
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
