//! Decoding PostgreSQL's `COPY … TO STDOUT (FORMAT binary)` stream into tuples (PostgreSQL docs,
//! COPY, "Binary Format": an 11-byte signature, a flags int32 and a header-extension length
//! int32 with that many bytes; then per tuple an int16 field count and, per field, an int32
//! length (-1 for NULL) and that many bytes; a field count of -1 ends the stream; all integers
//! big-endian).
//!
//! The server sends the stream as CopyData messages, one per tuple in practice, but the format
//! does not promise where message boundaries fall (the header arrives with the first tuple), so
//! [`BinaryTuples`] takes the pieces as they come and keeps an incomplete tail until the next.

use thiserror::Error;

use super::pg_binary::HEADER;

/// How a field of a binary COPY arrives (each type's `*send` function in the PostgreSQL
/// sources), for the reads of [`super::TableSpec::copy_select_pg`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyField {
    /// `int2`, `int4` or `int8`: a signed big-endian integer of 2, 4 or 8 bytes.
    Int,
    /// `float4` or `float8`: IEEE 754 big-endian, 4 or 8 bytes.
    Float,
    /// `date`: int4 days since 2000-01-01; `i32::MAX` and `i32::MIN` are `infinity` and
    /// `-infinity`.
    Date,
    /// `text` or `varchar` (or any value cast `::text`): UTF-8 bytes.
    Text,
    /// `bool`: one byte, 0 or 1.
    Bool,
    /// `bytea`: the bytes.
    Bytes,
}

/// A big-endian signed integer field of 2, 4 or 8 bytes.
pub fn int(bytes: &[u8]) -> Option<i64> {
    Some(match bytes.len() {
        2 => i64::from(i16::from_be_bytes(bytes.try_into().ok()?)),
        4 => i64::from(i32::from_be_bytes(bytes.try_into().ok()?)),
        8 => i64::from_be_bytes(bytes.try_into().ok()?),
        _ => return None,
    })
}

/// A big-endian IEEE 754 field of 4 or 8 bytes, as a double (a `float4` widens exactly, as
/// PostgreSQL's `::float8` does).
pub fn float(bytes: &[u8]) -> Option<f64> {
    Some(match bytes.len() {
        4 => f64::from(f32::from_be_bytes(bytes.try_into().ok()?)),
        8 => f64::from_be_bytes(bytes.try_into().ok()?),
        _ => return None,
    })
}

/// A `date` field: `Ok((year, month, day))` in the proleptic Gregorian calendar for years
/// 1–9999, else `Err` with the text PostgreSQL's `date_out` writes under `DateStyle` ISO
/// (`infinity`, `-infinity`, `0044-03-15 BC`, `10000-01-01`); `None` unless 4 bytes. Days to
/// civil date: H. Hinnant, "chrono-Compatible Low-Level Date Algorithms", `civil_from_days`.
pub fn date(bytes: &[u8]) -> Option<Result<(u16, u8, u8), String>> {
    let days = i32::from_be_bytes(bytes.try_into().ok()?);
    match days {
        i32::MAX => return Some(Err("infinity".to_owned())),
        i32::MIN => return Some(Err("-infinity".to_owned())),
        _ => {}
    }
    // PostgreSQL's epoch, 2000-01-01, is day 10,957 after 1970-01-01.
    let z = i64::from(days) + 10_957 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (m, d) = (month as u8, day as u8);
    Some(match u16::try_from(year) {
        Ok(y) if (1..=9999).contains(&y) => Ok((y, m, d)),
        _ if year <= 0 => Err(format!("{:04}-{m:02}-{d:02} BC", 1 - year)),
        _ => Err(format!("{year:04}-{m:02}-{d:02}")),
    })
}

/// A malformed binary COPY stream.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum CopyOutError {
    /// The stream does not open with the binary COPY signature.
    #[error("binary COPY stream without its PGCOPY signature")]
    Signature,
    /// A tuple has a different number of fields than the statement selects.
    #[error("binary COPY tuple of {got} fields, {expected} expected")]
    FieldCount {
        /// Fields the statement selects.
        expected: usize,
        /// Fields the tuple has.
        got: i64,
    },
    /// A field length below -1.
    #[error("binary COPY field of length {0}")]
    FieldLength(i32),
    /// Bytes after the end-of-data marker.
    #[error("binary COPY data after its end marker")]
    AfterEnd,
    /// The stream ended inside the header or a tuple, or without its end marker.
    #[error("binary COPY stream cut short")]
    Truncated,
}

/// One tuple's fields: byte ranges into the piece being decoded.
pub struct Tuple<'a> {
    bytes: &'a [u8],
    fields: &'a [Option<(usize, usize)>],
}

impl<'a> Tuple<'a> {
    /// Field `i`'s bytes in the type's binary send format, `None` for NULL.
    ///
    /// # Panics
    /// When `i` is not below the statement's field count.
    pub fn field(&self, i: usize) -> Option<&'a [u8]> {
        self.fields[i].map(|(start, end)| &self.bytes[start..end])
    }
}

/// A binary COPY stream being decoded, for a statement of a known number of fields.
#[derive(Debug)]
pub struct BinaryTuples {
    width: usize,
    pending: Vec<u8>,
    header_read: bool,
    ended: bool,
    fields: Vec<Option<(usize, usize)>>,
}

fn be_i16(b: &[u8]) -> i16 {
    i16::from_be_bytes([b[0], b[1]])
}

fn be_i32(b: &[u8]) -> i32 {
    i32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

impl BinaryTuples {
    /// A decoder for tuples of `width` fields.
    pub fn new(width: usize) -> Self {
        Self {
            width,
            pending: Vec::new(),
            header_read: false,
            ended: false,
            fields: Vec::with_capacity(width),
        }
    }

    /// Decodes `piece`, the next bytes of the stream, calling `each` on every tuple it
    /// completes, in order; an incomplete tail waits for the next piece. Stops at the first
    /// error `each` returns.
    ///
    /// # Errors
    /// [`FeedError::Format`] for a malformed stream, [`FeedError::Row`] with `each`'s error.
    pub fn feed<E>(
        &mut self,
        piece: &[u8],
        mut each: impl FnMut(Tuple<'_>) -> Result<(), E>,
    ) -> Result<(), FeedError<E>> {
        if self.pending.is_empty() {
            let used = self.decode(piece, &mut each)?;
            self.pending.extend_from_slice(&piece[used..]);
        } else {
            let mut buffer = std::mem::take(&mut self.pending);
            buffer.extend_from_slice(piece);
            let used = self.decode(&buffer, &mut each)?;
            buffer.drain(..used);
            self.pending = buffer;
        }
        Ok(())
    }

    /// Checks that the stream ended with its end marker and nothing pending.
    ///
    /// # Errors
    /// [`CopyOutError::Truncated`].
    pub fn finish(&self) -> Result<(), CopyOutError> {
        if self.ended && self.pending.is_empty() {
            Ok(())
        } else {
            Err(CopyOutError::Truncated)
        }
    }

    /// Decodes the complete items at the start of `bytes`; returns how many bytes they took.
    fn decode<E>(
        &mut self,
        bytes: &[u8],
        each: &mut impl FnMut(Tuple<'_>) -> Result<(), E>,
    ) -> Result<usize, FeedError<E>> {
        let mut at = 0;
        if !self.header_read {
            let fixed = HEADER.len();
            if bytes.len() < fixed {
                return Ok(0);
            }
            if bytes[..11] != HEADER[..11] {
                return Err(FeedError::Format(CopyOutError::Signature));
            }
            let extension = usize::try_from(be_i32(&bytes[15..19]))
                .map_err(|_| FeedError::Format(CopyOutError::Truncated))?;
            if bytes.len() < fixed + extension {
                return Ok(0);
            }
            at = fixed + extension;
            self.header_read = true;
        }
        while at < bytes.len() {
            if self.ended {
                return Err(FeedError::Format(CopyOutError::AfterEnd));
            }
            let Some(count) = bytes.get(at..at + 2).map(be_i16) else {
                return Ok(at);
            };
            if count == -1 {
                self.ended = true;
                at += 2;
                continue;
            }
            if usize::try_from(count).ok() != Some(self.width) {
                return Err(FeedError::Format(CopyOutError::FieldCount {
                    expected: self.width,
                    got: i64::from(count),
                }));
            }
            let mut next = at + 2;
            self.fields.clear();
            for _ in 0..self.width {
                let Some(len) = bytes.get(next..next + 4).map(be_i32) else {
                    return Ok(at);
                };
                next += 4;
                if len == -1 {
                    self.fields.push(None);
                    continue;
                }
                let len = usize::try_from(len)
                    .map_err(|_| FeedError::Format(CopyOutError::FieldLength(len)))?;
                if bytes.len() < next + len {
                    return Ok(at);
                }
                self.fields.push(Some((next, next + len)));
                next += len;
            }
            each(Tuple {
                bytes,
                fields: &self.fields,
            })
            .map_err(FeedError::Row)?;
            at = next;
        }
        Ok(at)
    }
}

/// Why [`BinaryTuples::feed`] stopped.
#[derive(Debug, Error)]
pub enum FeedError<E> {
    /// The stream is malformed.
    #[error(transparent)]
    Format(CopyOutError),
    /// The caller's tuple handler failed.
    #[error("{0}")]
    Row(E),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream of two 2-field tuples, `(1, 'ab')` and `(NULL, '')`, and the end marker.
    fn stream() -> Vec<u8> {
        let mut s = HEADER.to_vec();
        for (a, b) in [
            (Some(&1i64.to_be_bytes()[..]), &b"ab"[..]),
            (None, &b""[..]),
        ] {
            s.extend_from_slice(&2i16.to_be_bytes());
            match a {
                Some(a) => {
                    s.extend_from_slice(&8i32.to_be_bytes());
                    s.extend_from_slice(a);
                }
                None => s.extend_from_slice(&(-1i32).to_be_bytes()),
            }
            s.extend_from_slice(&i32::try_from(b.len()).unwrap().to_be_bytes());
            s.extend_from_slice(b);
        }
        s.extend_from_slice(&(-1i16).to_be_bytes());
        s
    }

    /// A decoded tuple of two fields, NULL as `None`.
    type Pair = (Option<Vec<u8>>, Option<Vec<u8>>);

    fn decode_in_pieces(bytes: &[u8], size: usize) -> Vec<Pair> {
        let mut tuples = BinaryTuples::new(2);
        let mut out = Vec::new();
        for piece in bytes.chunks(size) {
            tuples
                .feed(piece, |t| {
                    out.push((
                        t.field(0).map(<[u8]>::to_vec),
                        t.field(1).map(<[u8]>::to_vec),
                    ));
                    Ok::<_, ()>(())
                })
                .unwrap();
        }
        tuples.finish().unwrap();
        out
    }

    #[test]
    fn any_split_into_pieces_decodes_the_same() {
        let bytes = stream();
        let whole = decode_in_pieces(&bytes, bytes.len());
        assert_eq!(
            whole,
            vec![
                (Some(1i64.to_be_bytes().to_vec()), Some(b"ab".to_vec())),
                (None, Some(Vec::new())),
            ]
        );
        for size in 1..bytes.len() {
            assert_eq!(
                decode_in_pieces(&bytes, size),
                whole,
                "pieces of {size} bytes"
            );
        }
    }

    #[test]
    fn dates_read_as_postgresql_writes_them() {
        let day = |d: i32| date(&d.to_be_bytes()).unwrap();
        assert_eq!(day(0), Ok((2000, 1, 1)));
        assert_eq!(day(-1), Ok((1999, 12, 31)));
        assert_eq!(day(59), Ok((2000, 2, 29)));
        assert_eq!(day(-10_957), Ok((1970, 1, 1)));
        assert_eq!(day(-730_119), Ok((1, 1, 1)));
        assert_eq!(day(-730_120), Err("0001-12-31 BC".to_owned()));
        assert_eq!(day(2_921_940), Err("10000-01-01".to_owned()));
        assert_eq!(day(i32::MAX), Err("infinity".to_owned()));
        assert_eq!(day(i32::MIN), Err("-infinity".to_owned()));
        assert_eq!(date(&[0, 0]), None);
        assert_eq!(int(&(-2i16).to_be_bytes()), Some(-2));
        assert_eq!(int(&i32::MIN.to_be_bytes()), Some(i64::from(i32::MIN)));
        assert_eq!(int(&[1, 2, 3]), None);
        assert_eq!(float(&0.1f32.to_be_bytes()), Some(f64::from(0.1f32)));
    }

    #[test]
    fn malformed_streams_are_named() {
        let mut tuples = BinaryTuples::new(3);
        let err = tuples.feed(&stream(), |_| Ok::<_, ()>(())).unwrap_err();
        assert!(matches!(
            err,
            FeedError::Format(CopyOutError::FieldCount {
                expected: 3,
                got: 2
            })
        ));
        let mut tuples = BinaryTuples::new(2);
        let err = tuples.feed(b"NOTCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0", |_| Ok::<_, ()>(()));
        assert!(matches!(
            err,
            Err(FeedError::Format(CopyOutError::Signature))
        ));
        let bytes = stream();
        let mut tuples = BinaryTuples::new(2);
        tuples
            .feed(&bytes[..bytes.len() - 3], |_| Ok::<_, ()>(()))
            .unwrap();
        assert_eq!(tuples.finish(), Err(CopyOutError::Truncated));
    }
}
