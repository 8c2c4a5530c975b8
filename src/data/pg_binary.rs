//! PostgreSQL `COPY … FROM STDIN (FORMAT binary)` encoding (PostgreSQL docs, COPY, "Binary
//! Format"; field layouts from each type's `*_send` function in the PostgreSQL sources).
//!
//! The server parses binary fields with no text conversion, which makes loading markedly
//! cheaper for integers, dates and timestamps. Only types whose layout is simple and stable are
//! encoded; a table with any other column type (arrays, enums, domains, ranges…) is loaded in
//! text format. A value that does not fit its field (an out-of-range integer, an unparseable
//! date) makes [`encode_row`] fail, and the caller loads that chunk as text, so the server's own
//! error message reaches the reject file.

use super::cell::{date_days, Cell};
use super::types::Logical;

/// Signature, flags and header-extension length that open a binary COPY stream.
pub const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// File trailer: a field count of -1.
pub const TRAILER: &[u8] = &[0xff, 0xff];

/// Binary layout of one target column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// `int2`.
    Int2,
    /// `int4`.
    Int4,
    /// `int8`.
    Int8,
    /// `float4`.
    Float4,
    /// `float8`.
    Float8,
    /// `bool`.
    Bool,
    /// `text`, `varchar`, `bpchar`, `json`: the UTF-8 bytes.
    Text,
    /// `bytea`: the bytes.
    Bytea,
    /// `date`: days since 2000-01-01 as int4.
    Date,
    /// `time`: microseconds since midnight as int8.
    Time,
    /// `timestamp`/`timestamptz`: microseconds since 2000-01-01 00:00 (UTC) as int8.
    Timestamp,
    /// `numeric`: base-10000 digits.
    Numeric,
}

impl Field {
    /// The layout for a target column of this meaning and declared type, when supported.
    pub fn for_column(logical: &Logical, declared: &str) -> Option<Self> {
        let declared = declared.to_ascii_lowercase();
        Some(match logical {
            Logical::Int { .. } => match declared.as_str() {
                "smallint" | "int2" => Field::Int2,
                "integer" | "int" | "int4" => Field::Int4,
                "bigint" | "int8" => Field::Int8,
                _ => return None,
            },
            Logical::Float { bits: 32 } => Field::Float4,
            Logical::Float { .. } => Field::Float8,
            Logical::Bool => Field::Bool,
            Logical::Text { .. } | Logical::Enum(_) | Logical::Set(_)
                if !declared.contains("[]") =>
            {
                Field::Text
            }
            Logical::Json if declared == "json" => Field::Text,
            Logical::Bytes => Field::Bytea,
            Logical::Date => Field::Date,
            Logical::Time { .. } if !declared.contains("with time zone") => Field::Time,
            Logical::Timestamp { .. } => Field::Timestamp,
            Logical::Decimal { .. }
                if declared.starts_with("numeric") || declared.starts_with("decimal") =>
            {
                Field::Numeric
            }
            _ => return None,
        })
    }
}

/// Days from 1970-01-01 to 2000-01-01 (PostgreSQL's epoch).
pub(crate) const PG_EPOCH_DAYS: i64 = 10_957;

fn put_len(out: &mut Vec<u8>, len: usize) {
    out.extend_from_slice(&(len as i32).to_be_bytes());
}

fn int_of(cell: &Cell) -> Option<i64> {
    match cell {
        Cell::Int(i) => Some(*i),
        Cell::UInt(u) => i64::try_from(*u).ok(),
        Cell::Bool(b) => Some(*b as i64),
        Cell::Text(t) => t.trim().parse().ok(),
        _ => None,
    }
}

fn float_of(cell: &Cell) -> Option<f64> {
    match cell {
        Cell::Float(f) => Some(*f),
        Cell::Int(i) => Some(*i as f64),
        Cell::Text(t) => t.trim().parse().ok(),
        _ => None,
    }
}

fn digits(s: &str) -> Option<i64> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
}

/// Days since 1970-01-01 of `YYYY-MM-DD` (years 1–9999).
fn parse_date(text: &str) -> Option<i64> {
    let (y, rest) = text.split_once('-')?;
    let (m, d) = rest.split_once('-')?;
    let (y, m, d) = (digits(y)?, digits(m)?, digits(d.get(..2)?)?);
    let days = date_days(
        u16::try_from(y).ok()?,
        u8::try_from(m).ok()?,
        u8::try_from(d).ok()?,
    )?;
    Some(i64::from(days))
}

/// Microseconds since midnight of `HH:MM:SS[.ffffff]`.
fn parse_time(text: &str) -> Option<i64> {
    let (hms, frac) = text.split_once('.').unwrap_or((text, ""));
    let mut parts = hms.split(':');
    let (h, m, s) = (
        digits(parts.next()?)?,
        digits(parts.next()?)?,
        digits(parts.next()?)?,
    );
    if h > 24 || m > 59 || s > 60 || parts.next().is_some() || frac.len() > 6 {
        return None;
    }
    let micros = if frac.is_empty() {
        0
    } else {
        digits(frac)? * 10i64.pow(6 - frac.len() as u32)
    };
    Some(((h * 60 + m) * 60 + s) * 1_000_000 + micros)
}

/// Microseconds since 2000-01-01 00:00 UTC of `YYYY-MM-DD[ T]HH:MM:SS[.f][±HH[:MM]|Z]`; text
/// without an offset is taken as UTC (Migration Studio's sessions run in UTC).
fn parse_timestamp(text: &str) -> Option<i64> {
    let text = text.trim();
    let days = parse_date(text.get(..10)?)?;
    let rest = text.get(10..)?.trim_start_matches([' ', 'T']);
    let offset_at = rest
        .rfind(['+', '-'])
        .filter(|i| *i >= 8)
        .or_else(|| rest.find('Z'));
    let (clock, offset) = match offset_at {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let micros = if clock.is_empty() {
        0
    } else {
        parse_time(clock)?
    };
    let offset_minutes = match offset {
        "" | "Z" => 0,
        o => {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let body = &o[1..];
            let (h, m) = body
                .split_once(':')
                .unwrap_or((body.get(..2)?, body.get(2..).unwrap_or("0")));
            sign * (digits(h)? * 60 + if m.is_empty() { 0 } else { digits(m)? })
        }
    };
    Some((days - PG_EPOCH_DAYS) * 86_400_000_000 + micros - offset_minutes * 60_000_000)
}

/// `numeric` binary: ndigits, weight, sign, dscale, then base-10000 digits (numeric_send).
fn encode_numeric(text: &str, out: &mut Vec<u8>) -> Option<()> {
    let t = text.trim();
    let (negative, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let dscale = frac.len();
    let int = int.trim_start_matches('0');
    let int_pad = (4 - int.len() % 4) % 4;
    let frac_pad = (4 - frac.len() % 4) % 4;
    let all: String = "0".repeat(int_pad) + int + frac + &"0".repeat(frac_pad);
    let mut groups: Vec<i16> = all
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).ok().and_then(|s| s.parse().ok()))
        .collect::<Option<_>>()?;
    let mut weight = ((int.len() + int_pad) / 4) as i32 - 1;
    while groups.first() == Some(&0) {
        groups.remove(0);
        weight -= 1;
    }
    while groups.last() == Some(&0) {
        groups.pop();
    }
    if groups.is_empty() {
        weight = 0;
    }
    let body = 8 + 2 * groups.len();
    put_len(out, body);
    out.extend_from_slice(&(groups.len() as i16).to_be_bytes());
    out.extend_from_slice(&(weight as i16).to_be_bytes());
    let sign: u16 = if negative && !groups.is_empty() {
        0x4000
    } else {
        0
    };
    out.extend_from_slice(&sign.to_be_bytes());
    out.extend_from_slice(&(dscale as i16).to_be_bytes());
    for g in groups {
        out.extend_from_slice(&g.to_be_bytes());
    }
    Some(())
}

/// A [`Cell::Date`] in a date, timestamp (midnight UTC) or text field.
fn encode_date(days: i32, field: Field, out: &mut Vec<u8>) -> Option<()> {
    let since_2000 = i64::from(days) - PG_EPOCH_DAYS;
    match field {
        Field::Date => {
            put_len(out, 4);
            out.extend_from_slice(&i32::try_from(since_2000).ok()?.to_be_bytes());
        }
        Field::Timestamp => {
            put_len(out, 8);
            out.extend_from_slice(&(since_2000 * 86_400_000_000).to_be_bytes());
        }
        Field::Text => {
            put_len(out, 10);
            out.extend_from_slice(&super::cell::date_text(days));
        }
        _ => return None,
    }
    Some(())
}

fn encode_field(cell: &Cell, field: Field, out: &mut Vec<u8>) -> Option<()> {
    match cell {
        Cell::Null => {
            out.extend_from_slice(&(-1i32).to_be_bytes());
            return Some(());
        }
        Cell::Date(days) => return encode_date(*days, field, out),
        _ => {}
    }
    match field {
        Field::Int2 => {
            let v = i16::try_from(int_of(cell)?).ok()?;
            put_len(out, 2);
            out.extend_from_slice(&v.to_be_bytes());
        }
        Field::Int4 => {
            let v = i32::try_from(int_of(cell)?).ok()?;
            put_len(out, 4);
            out.extend_from_slice(&v.to_be_bytes());
        }
        Field::Int8 => {
            put_len(out, 8);
            out.extend_from_slice(&int_of(cell)?.to_be_bytes());
        }
        Field::Float4 => {
            put_len(out, 4);
            out.extend_from_slice(&(float_of(cell)? as f32).to_be_bytes());
        }
        Field::Float8 => {
            put_len(out, 8);
            out.extend_from_slice(&float_of(cell)?.to_be_bytes());
        }
        Field::Bool => {
            // Only 0 and 1 are booleans; any other integer was left unconverted on purpose
            // (a reject policy), for PostgreSQL to refuse in the text form.
            let v = match cell {
                Cell::Bool(b) => *b,
                other => match int_of(other)? {
                    0 => false,
                    1 => true,
                    _ => return None,
                },
            };
            put_len(out, 1);
            out.push(v as u8);
        }
        Field::Text => {
            let Cell::Text(t) = cell else { return None };
            if t.contains('\0') {
                return None;
            }
            put_len(out, t.len());
            out.extend_from_slice(t.as_bytes());
        }
        Field::Bytea => {
            let Cell::Bytes(b) = cell else { return None };
            put_len(out, b.len());
            out.extend_from_slice(b);
        }
        Field::Date => {
            let Cell::Text(t) = cell else { return None };
            let days = i32::try_from(parse_date(t)? - PG_EPOCH_DAYS).ok()?;
            put_len(out, 4);
            out.extend_from_slice(&days.to_be_bytes());
        }
        Field::Time => {
            let Cell::Text(t) = cell else { return None };
            put_len(out, 8);
            out.extend_from_slice(&parse_time(t)?.to_be_bytes());
        }
        Field::Timestamp => {
            let Cell::Text(t) = cell else { return None };
            put_len(out, 8);
            out.extend_from_slice(&parse_timestamp(t)?.to_be_bytes());
        }
        Field::Numeric => match cell {
            Cell::Text(t) => encode_numeric(t, out)?,
            Cell::Int(i) => encode_numeric(&i.to_string(), out)?,
            Cell::Float(f) if f.is_finite() => {
                encode_numeric(ryu::Buffer::new().format_finite(*f), out)?
            }
            _ => return None,
        },
    }
    Some(())
}

/// Appends one tuple. On `None` the buffer may hold a partial tuple: the caller discards the
/// whole chunk's binary buffer and loads the chunk as text.
pub fn encode_row(row: &[Cell], fields: &[Field], out: &mut Vec<u8>) -> Option<()> {
    out.extend_from_slice(&(fields.len() as i16).to_be_bytes());
    for (cell, field) in row.iter().zip(fields) {
        encode_field(cell, *field, out)?;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(cell: Cell, f: Field) -> Vec<u8> {
        let mut out = Vec::new();
        encode_field(&cell, f, &mut out).unwrap();
        out
    }

    #[test]
    fn layouts_match_the_send_functions() {
        assert_eq!(
            field(Cell::Text("2000-01-02".into()), Field::Date),
            [0, 0, 0, 4, 0, 0, 0, 1]
        );
        assert_eq!(
            field(Cell::Text("1999-12-31 23:59:59.5".into()), Field::Timestamp)[4..],
            (-500_000i64).to_be_bytes()
        );
        assert_eq!(
            field(
                Cell::Text("2000-01-01 01:00:00+01".into()),
                Field::Timestamp
            )[4..],
            0i64.to_be_bytes()
        );
        // 12345.678: weight 1, digits [1, 2345, 6780], dscale 3.
        assert_eq!(
            field(Cell::Text("12345.678".into()), Field::Numeric),
            [0, 0, 0, 14, 0, 3, 0, 1, 0, 0, 0, 3, 0, 1, 0x09, 0x29, 0x1a, 0x7c]
        );
        assert_eq!(
            field(Cell::Text("0.00".into()), Field::Numeric),
            [0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 2]
        );
        assert_eq!(
            field(Cell::Text("-0.05".into()), Field::Numeric)[4..],
            [0, 1, 0xff, 0xff, 0x40, 0, 0, 2, 0x01, 0xf4]
        );
        assert_eq!(field(Cell::Null, Field::Int4), [0xff; 4]);
    }

    #[test]
    fn date_cells_encode_as_their_text_would() {
        use crate::data::cell::date_days;
        for (y, m, d) in [
            (1, 1, 1),
            (1985, 1, 31),
            (2000, 1, 1),
            (2024, 2, 29),
            (9999, 12, 31),
        ] {
            let days = date_days(y, m, d).unwrap();
            let text = format!("{y:04}-{m:02}-{d:02}");
            for f in [Field::Date, Field::Timestamp, Field::Text] {
                assert_eq!(
                    field(Cell::Date(days), f),
                    field(Cell::Text(text.clone()), f),
                    "{text} as {f:?}"
                );
            }
        }
        let mut out = Vec::new();
        assert!(encode_field(&Cell::Date(0), Field::Int4, &mut out).is_none());
    }

    #[test]
    fn values_that_do_not_fit_fall_back() {
        let mut out = Vec::new();
        assert!(encode_field(&Cell::Int(70_000), Field::Int2, &mut out).is_none());
        assert!(encode_field(&Cell::Text("2024-02-30".into()), Field::Date, &mut out).is_none());
        assert!(encode_field(&Cell::Text("0000-00-00".into()), Field::Date, &mut out).is_none());
    }
}
