//! One value read from a row, independent of the engine it came from, with the two renderings
//! the data path needs: PostgreSQL `COPY` text format for the backfill, and a canonical text
//! for validation that makes equal values compare equal across engines.

use std::fmt::Write as _;

use super::rules::{ConversionPolicy, NonBinaryBooleans, Rule, ZeroDates};
use super::types::Logical;
use crate::import::Engine;

/// A value as read from a source or target row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// SQL NULL (distinct from the empty string).
    Null,
    /// A signed integer.
    Int(i64),
    /// An unsigned integer beyond `i64` (MySQL `BIGINT UNSIGNED`).
    UInt(u64),
    /// A binary float.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// Text (also decimals, dates and times in their engine's text form).
    Text(String),
    /// Bytes.
    Bytes(Vec<u8>),
    /// A calendar date as days since 1970-01-01 (proleptic Gregorian), for dates a driver hands
    /// over as fields (MySQL's binary protocol) in years 1–9999. Zero dates and other dates
    /// without a calendar day stay [`Cell::Text`]. Carrying the day number instead of its text
    /// spares the backfill a `String` per value and the binary `COPY` encoder a parse.
    Date(i32),
}

/// The day number of a calendar date ([`Cell::Date`]) when it is one: year 1–9999, month
/// 1–12, day within the month; `None` for MySQL's zero dates and other invalid dates.
pub fn date_days(year: u16, month: u8, day: u8) -> Option<i32> {
    let (y, m, d) = (i64::from(year), i64::from(month), i64::from(day));
    if !(1..=9999).contains(&y) || !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    i32::try_from(days_from_civil(y, m, d)).ok()
}

/// The [`Cell::Date`] of a day number (days since 1970-01-01) when it falls in years 1–9999
/// (0001-01-01 is day -719,162, 9999-12-31 day 2,932,896).
pub fn date_of_days(days: i64) -> Option<Cell> {
    (-719_162..=2_932_896)
        .contains(&days)
        .then_some(Cell::Date(days as i32))
}

/// Days in month `m` (1–12) of year `y`, proleptic Gregorian.
fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `YYYY-MM-DD` of a [`Cell::Date`] day number.
pub fn date_text(days: i32) -> [u8; 10] {
    let (y, m, d) = civil_from_days(i64::from(days));
    // `Cell::Date` holds years 1–9999 only, so the narrowing keeps every digit.
    super::read::ymd(y as u16, m as u8, d as u8)
}

/// `YYYY-MM-DD` of a [`Cell::Date`] day number, owned.
pub fn date_string(days: i32) -> String {
    String::from_utf8_lossy(&date_text(days)).into_owned()
}

/// `0000-00-00`-style MySQL dates (and dates with a zero month or day) have no PostgreSQL
/// equivalent; like pgloader's `zero-dates-to-null`, they become NULL.
pub fn is_zero_date(text: &str) -> bool {
    // The common `YYYY-MM-DD…` shape, checked on bytes: this runs once per date value copied.
    let b = text.as_bytes();
    if b.len() >= 10 && b[4] == b'-' && b[7] == b'-' {
        return &b[0..4] == b"0000" || &b[5..7] == b"00" || &b[8..10] == b"00";
    }
    let date = text.split([' ', 'T']).next().unwrap_or_default();
    let mut parts = date.split('-');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some(y), Some(m), Some(d)) if y.chars().all(|c| c == '0') || m == "00" || d == "00"
    )
}

impl Cell {
    /// Size in bytes, for throughput figures.
    pub fn byte_len(&self) -> usize {
        match self {
            Cell::Null => 0,
            Cell::Int(_) | Cell::UInt(_) | Cell::Float(_) => 8,
            Cell::Bool(_) => 1,
            Cell::Date(_) => 4,
            Cell::Text(t) => t.len(),
            Cell::Bytes(b) => b.len(),
        }
    }

    /// Whether [`Cell::convert`] can change a value of a `from` column bound for a `to` column;
    /// when false the copy skips the call for the whole column.
    pub fn converts(from: &Logical, to: &Logical) -> bool {
        matches!(to, Logical::Bool)
            || Logical::rounds_to(from, to).is_some()
            || Logical::rounds_fraction(from, to).is_some()
            || matches!(
                from,
                Logical::Date | Logical::Timestamp { .. } | Logical::Year | Logical::Bits { .. }
            )
    }

    /// Converts a value read from a column of type `from` for a column of type `to` in a
    /// `target` engine database (the default mapping between engines), and says which stated
    /// [`Rule`] changed it, if one did: MySQL `TINYINT(1)` to boolean (values other than 0/1
    /// under [`Rule::NonBinaryToTrue`]), zero dates to NULL for targets that cannot store them
    /// ([`Rule::ZeroDateToNull`]), `YEAR` to integer. Under a `Reject` policy the value is left
    /// as it is, for the target to refuse. Other values pass unchanged; the target rejects what
    /// it cannot store. When a rule changed the value, the original comes back with it (for
    /// reject records).
    pub fn convert(
        self,
        from: &Logical,
        to: &Logical,
        target: Engine,
        policy: &ConversionPolicy,
    ) -> (Cell, Option<(Rule, Cell)>) {
        match (self, from, to) {
            (Cell::Int(i @ (0 | 1)), _, Logical::Bool) => (Cell::Bool(i == 1), None),
            (Cell::Int(i), _, Logical::Bool) => match policy.non_binary_booleans {
                NonBinaryBooleans::True => (
                    Cell::Bool(true),
                    Some((Rule::NonBinaryToTrue, Cell::Int(i))),
                ),
                NonBinaryBooleans::Reject => (Cell::Int(i), None),
            },
            (Cell::Text(t), _, Logical::Bool) if t == "0" || t == "1" => {
                (Cell::Bool(t == "1"), None)
            }
            (Cell::Text(t), Logical::Date | Logical::Timestamp { .. }, _)
                if target == Engine::Postgres && is_zero_date(&t) =>
            {
                match policy.zero_dates {
                    ZeroDates::Null => (Cell::Null, Some((Rule::ZeroDateToNull, Cell::Text(t)))),
                    ZeroDates::Reject => (Cell::Text(t), None),
                }
            }
            // A date-time into a column keeping fewer digits of a second is rounded (rule
            // C005). An instant written with a zone offset (PostgreSQL's timestamptz text) is
            // folded to UTC without one: MySQL rejects offsets, and every session here runs in
            // UTC.
            (Cell::Text(t), Logical::Timestamp { .. }, Logical::Timestamp { fraction, .. }) => {
                let rounded =
                    Logical::rounds_fraction(from, to).and_then(|_| round_timestamp(&t, *fraction));
                match rounded {
                    Some(rounded) => (
                        Cell::Text(rounded),
                        Some((Rule::RoundedToFraction, Cell::Text(t))),
                    ),
                    None if t.len() > 19 && t[19..].contains(['+', '-', 'Z']) => {
                        (Cell::Text(timestamp_canonical(&t)), None)
                    }
                    None => (Cell::Text(t), None),
                }
            }
            (Cell::Text(t), Logical::Time { .. }, Logical::Time { fraction }) => {
                match Logical::rounds_fraction(from, to).and_then(|_| round_time(&t, *fraction)) {
                    Some(rounded) => (
                        Cell::Text(rounded),
                        Some((Rule::RoundedToFraction, Cell::Text(t))),
                    ),
                    None => (Cell::Text(t), None),
                }
            }
            (cell @ (Cell::Text(_) | Cell::Float(_)), Logical::Decimal { .. }, _) => {
                match Logical::rounds_to(from, to) {
                    Some(scale) => round_to_scale(cell, scale, to),
                    None => (cell, None),
                }
            }
            (Cell::Text(t), Logical::Year, Logical::Int { .. }) => {
                (t.parse().map_or(Cell::Text(t), Cell::Int), None)
            }
            // Bits travel as a number from MySQL and as binary digits from PostgreSQL; each
            // engine is given the form its `bit(n)` input reads.
            (Cell::Int(i), Logical::Bits { len }, _) if target == Engine::Postgres && i >= 0 => {
                (Cell::Text(bit_digits(i as u64, *len)), None)
            }
            (Cell::UInt(u), Logical::Bits { len }, _) if target == Engine::Postgres => {
                (Cell::Text(bit_digits(u, *len)), None)
            }
            (Cell::Text(t), Logical::Bits { .. }, _) if target != Engine::Postgres => {
                match u64::from_str_radix(&t, 2) {
                    Ok(u) => (i64::try_from(u).map_or(Cell::UInt(u), Cell::Int), None),
                    Err(_) => (Cell::Text(t), None),
                }
            }
            (cell, _, _) => (cell, None),
        }
    }

    /// Appends this value in PostgreSQL `COPY … FROM STDIN` text format (PostgreSQL docs,
    /// COPY, "Text Format"): `\N` for NULL, backslash escapes for backslash, tab, newline and
    /// carriage return, bytea as `\\x` followed by hex digits.
    pub fn write_copy_text(&self, out: &mut Vec<u8>) {
        match self {
            Cell::Null => out.extend_from_slice(b"\\N"),
            Cell::Int(i) => out.extend_from_slice(itoa::Buffer::new().format(*i).as_bytes()),
            Cell::UInt(u) => out.extend_from_slice(itoa::Buffer::new().format(*u).as_bytes()),
            Cell::Float(f) => {
                if f.is_nan() {
                    out.extend_from_slice(b"NaN");
                } else if f.is_infinite() {
                    out.extend_from_slice(if *f > 0.0 { b"Infinity" } else { b"-Infinity" });
                } else {
                    out.extend_from_slice(ryu::Buffer::new().format_finite(*f).as_bytes());
                }
            }
            Cell::Bool(b) => out.push(if *b { b't' } else { b'f' }),
            Cell::Date(days) => out.extend_from_slice(&date_text(*days)),
            Cell::Text(t) => {
                for &b in t.as_bytes() {
                    match b {
                        b'\\' => out.extend_from_slice(b"\\\\"),
                        b'\t' => out.extend_from_slice(b"\\t"),
                        b'\n' => out.extend_from_slice(b"\\n"),
                        b'\r' => out.extend_from_slice(b"\\r"),
                        _ => out.push(b),
                    }
                }
            }
            Cell::Bytes(bytes) => {
                out.extend_from_slice(b"\\\\x");
                for b in bytes {
                    let _ = write!(HexSink(out), "{b:02x}");
                }
            }
        }
    }

    /// Canonical text of this value seen as `logical`, for comparing across engines; `None` is
    /// NULL, which is distinct from the empty string. Integers and booleans as decimal digits
    /// (`1`/`0` for booleans); decimals without trailing fractional zeros; floats to 6 (32-bit)
    /// or 15 (64-bit) significant digits, which absorbs the last-bit differences between
    /// engines; date-times as `YYYY-MM-DD HH:MM:SS.ffffff` (zone offsets folded to UTC); bytes
    /// as lower-case hex; text exactly as stored (trailing spaces count).
    pub fn canonical(&self, logical: &Logical) -> Option<String> {
        if let Logical::Bits { len } = logical {
            match self {
                Cell::Int(i) if *i >= 0 => return Some(bit_digits(*i as u64, *len)),
                Cell::UInt(u) => return Some(bit_digits(*u, *len)),
                _ => {}
            }
        }
        let date;
        let text = match self {
            Cell::Null => return None,
            Cell::Int(i) => {
                return Some(
                    if *logical == Logical::Bool {
                        (*i != 0) as u8 as i64
                    } else {
                        *i
                    }
                    .to_string(),
                )
            }
            Cell::UInt(u) => return Some(u.to_string()),
            Cell::Bool(b) => return Some((*b as u8).to_string()),
            // SQLite keeps NUMERIC values that fit a double as REAL: print the shortest text
            // that reads back as the same double, then normalise it as the decimal it stands for.
            Cell::Float(f) if matches!(logical, Logical::Decimal { .. }) && f.is_finite() => {
                return Some(decimal_rounded_canonical(
                    ryu::Buffer::new().format_finite(*f),
                    logical,
                ))
            }
            Cell::Float(f) => return Some(float_canonical(*f, logical)),
            Cell::Bytes(b) => return Some(b.iter().map(|x| format!("{x:02x}")).collect()),
            Cell::Date(days) => {
                date = date_string(*days);
                &date
            }
            Cell::Text(t) => t,
        };
        Some(match logical {
            Logical::Bool => match text.as_str() {
                "t" | "true" | "1" => "1".to_owned(),
                "f" | "false" | "0" => "0".to_owned(),
                other => other.to_owned(),
            },
            Logical::Decimal { .. } => decimal_rounded_canonical(text, logical),
            Logical::Float { .. } => text
                .parse::<f64>()
                .map_or_else(|_| text.clone(), |f| float_canonical(f, logical)),
            Logical::Date | Logical::Timestamp { .. } if is_zero_date(text) => return None,
            Logical::Timestamp { fraction, .. } if *fraction < 6 => {
                match round_timestamp(text, *fraction) {
                    Some(rounded) => timestamp_canonical(&rounded),
                    None => timestamp_canonical(text),
                }
            }
            Logical::Timestamp { .. } => timestamp_canonical(text),
            Logical::Time { fraction } if *fraction < 6 => match round_time(text, *fraction) {
                Some(rounded) => time_canonical(&rounded),
                None => time_canonical(text),
            },
            Logical::Time { .. } => time_canonical(text),
            Logical::Bytes => text
                .strip_prefix("\\x")
                .map_or_else(|| text.clone(), str::to_ascii_lowercase),
            _ => text.clone(),
        })
    }
}

/// The `len` low bits of `value` as binary digits, most significant first (PostgreSQL's
/// `bit(n)` text form).
pub fn bit_digits(value: u64, len: u32) -> String {
    let len = len.clamp(1, 64) as usize;
    format!("{value:0len$b}")
}

struct HexSink<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for HexSink<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

fn float_canonical(f: f64, logical: &Logical) -> String {
    if !f.is_finite() {
        return f.to_string();
    }
    let digits = if matches!(logical, Logical::Float { bits: 32 }) {
        6
    } else {
        15
    };
    let s = format!("{:.*e}", digits - 1, f);
    // Normalise `-0` and the exponent form so equal values print equally.
    let parsed: f64 = s.parse().unwrap_or(f);
    if parsed == 0.0 {
        "0".to_owned()
    } else {
        format!("{:.*e}", digits - 1, parsed)
    }
}

/// A decimal `cell` (text, or a SQLite REAL) for a `to` column keeping `scale` digits after
/// the point: rounded when it has more (rule C004, the original kept for the reject record),
/// and written as an integer for an integer column (PostgreSQL refuses `7.000` there).
fn round_to_scale(cell: Cell, scale: u32, to: &Logical) -> (Cell, Option<(Rule, Cell)>) {
    let text = match &cell {
        Cell::Text(t) => t.clone(),
        Cell::Float(f) if f.is_finite() => ryu::Buffer::new().format_finite(*f).to_owned(),
        _ => return (cell, None),
    };
    let rounded = round_decimal(&text, scale);
    let whole = |t: &str| {
        let (int, frac) = t.split_once('.').unwrap_or((t, ""));
        frac.bytes()
            .all(|b| b == b'0')
            .then(|| int.parse().ok())
            .flatten()
    };
    let value = match (to, &rounded) {
        (Logical::Int { .. }, Some(r)) => whole(r).map_or(Cell::Text(r.clone()), Cell::Int),
        (Logical::Int { .. }, None) => whole(&text).map_or(cell.clone(), Cell::Int),
        (_, Some(r)) => Cell::Text(r.clone()),
        (_, None) => cell.clone(),
    };
    (value, rounded.map(|_| (Rule::RoundedToScale, cell)))
}

/// `text`, a decimal number (`-12.345`, no exponent), rounded to `scale` digits after the
/// point, half away from zero (as PostgreSQL's `round(numeric, int)` and MySQL's exact-value
/// `ROUND`); `None` when it has no more than `scale` digits after the point, no digit but zero
/// beyond them, or is not such a number (an exponent form, `NaN`), which is then left as it is.
pub fn round_decimal(text: &str, scale: u32) -> Option<String> {
    let t = text.trim();
    let (negative, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (int, frac) = body.split_once('.')?;
    let scale = scale as usize;
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int)
        || !all_digits(frac)
        || frac.len() <= scale
        || frac[scale..].bytes().all(|b| b == b'0')
    {
        return None;
    }
    // The kept digits as one number, plus one when the first dropped digit is 5 or more.
    let mut digits: Vec<u8> = int.bytes().chain(frac[..scale].bytes()).collect();
    if digits.is_empty() {
        digits.push(b'0');
    }
    if frac.as_bytes()[scale] >= b'5' {
        let mut i = digits.len();
        loop {
            if i == 0 {
                digits.insert(0, b'1');
                break;
            }
            i -= 1;
            if digits[i] == b'9' {
                digits[i] = b'0';
            } else {
                digits[i] += 1;
                break;
            }
        }
    }
    let split = digits.len() - scale;
    let int_part = std::str::from_utf8(&digits[..split])
        .unwrap_or("0")
        .trim_start_matches('0');
    let int_part = if int_part.is_empty() { "0" } else { int_part };
    let frac_part = std::str::from_utf8(&digits[split..]).unwrap_or("");
    let zero = int_part == "0" && frac_part.bytes().all(|b| b == b'0');
    let sign = if negative && !zero { "-" } else { "" };
    Some(if scale == 0 {
        format!("{sign}{int_part}")
    } else {
        format!("{sign}{int_part}.{frac_part}")
    })
}

/// The canonical decimal, rounded first when `canon` keeps a scale: validation compares a
/// value rounded by rule C004 at the scale the target keeps ([`crate::validate::pair::common`]).
fn decimal_rounded_canonical(text: &str, canon: &Logical) -> String {
    match canon {
        Logical::Decimal { scale: Some(s), .. } => match round_decimal(text, *s) {
            Some(rounded) => decimal_canonical(&rounded),
            None => decimal_canonical(text),
        },
        _ => decimal_canonical(text),
    }
}

fn decimal_canonical(text: &str) -> String {
    let t = text.trim();
    let (sign, digits) = match t.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", t.strip_prefix('+').unwrap_or(t)),
    };
    let digits = if digits.contains('.') {
        digits.trim_end_matches('0').trim_end_matches('.')
    } else {
        digits
    };
    let digits = digits.trim_start_matches('0');
    let digits = if digits.is_empty() || digits.starts_with('.') {
        format!("0{digits}")
    } else {
        digits.to_owned()
    };
    if digits == "0" {
        digits
    } else {
        format!("{sign}{digits}")
    }
}

fn time_canonical(text: &str) -> String {
    let (hms, frac) = text.split_once('.').unwrap_or((text, ""));
    let frac: String = frac.chars().take_while(char::is_ascii_digit).collect();
    format!("{hms}.{frac:0<6}")
}

/// `YYYY-MM-DD[ T]HH:MM:SS[.f…][±HH[:MM]|Z]` to `YYYY-MM-DD HH:MM:SS.ffffff`, in UTC when an
/// offset is given. Unparseable text is returned as is, so it still compares exactly.
/// `text`, a date-time (`YYYY-MM-DD HH:MM:SS[.f…]`, a zone offset folded to UTC first),
/// rounded to `digits` digits of the fraction of a second, half up (a 5 goes to the later
/// time; seconds, minutes, hours and days carry), as `YYYY-MM-DD HH:MM:SS[.f…]` with exactly
/// `digits` digits; `None` when nothing beyond `digits` is other than zero, or for a zero or
/// partial date (`0000-00-00 …`), or text that is not such a date-time.
pub fn round_timestamp(text: &str, digits: u8) -> Option<String> {
    let canonical = timestamp_canonical(text);
    let b = canonical.as_bytes();
    let digits = usize::from(digits.min(6));
    if b.len() != 26 || is_zero_date(&canonical) || b[20 + digits..].iter().all(|&d| d == b'0') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| canonical.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let kept = if digits == 0 {
        0
    } else {
        num(20..20 + digits)?
    };
    let unit = 10i64.pow(digits as u32);
    // Units of 10^-digits seconds since the day began, plus one when the first dropped
    // digit is 5 or more.
    let mut units = ((h * 60 + mi) * 60 + s) * unit + kept;
    if b[20 + digits] >= b'5' {
        units += 1;
    }
    let day_units = 86_400 * unit;
    let days = days_from_civil(y, mo, d) + units.div_euclid(day_units);
    let units = units.rem_euclid(day_units);
    let (y, mo, d) = civil_from_days(days);
    let (seconds, fraction) = (units / unit, units % unit);
    let mut out = format!(
        "{y:04}-{mo:02}-{d:02} {:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    );
    if digits > 0 {
        let _ = write!(out, ".{fraction:0digits$}");
    }
    Some(out)
}

/// `text`, a time of day or a MySQL duration (`[-]H…:MM:SS[.f…]`), rounded to `digits`
/// digits of the fraction of a second, half away from zero (a 5 goes to the larger
/// magnitude; seconds, minutes and hours carry, so `23:59:59.5` becomes `24:00:00`, which
/// PostgreSQL's `time` holds), as `[-]HH:MM:SS[.f…]` with exactly `digits` digits; `None` when
/// nothing beyond `digits` is other than zero, or for text that is not such a time.
pub fn round_time(text: &str, digits: u8) -> Option<String> {
    let t = text.trim();
    let (sign, body) = t.strip_prefix('-').map_or(("", t), |b| ("-", b));
    let (hms, fraction) = body.split_once('.').unwrap_or((body, ""));
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut parts = hms.split(':').map(|p| p.parse::<i64>().ok());
    let (Some(Some(h)), Some(Some(m)), Some(Some(s)), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let digits = usize::from(digits.min(6));
    let padded = format!("{fraction:0<7}");
    let (kept, dropped) = padded.split_at(digits);
    if dropped.bytes().all(|b| b == b'0') {
        return None;
    }
    let unit = 10i64.pow(digits as u32);
    let mut units = ((h * 60 + m) * 60 + s) * unit + kept.parse::<i64>().unwrap_or(0);
    if dropped.as_bytes()[0] >= b'5' {
        units += 1;
    }
    let (seconds, rest) = (units / unit, units % unit);
    let mut out = format!(
        "{sign}{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    );
    if digits > 0 {
        let _ = write!(out, ".{rest:0digits$}");
    }
    Some(out)
}

fn timestamp_canonical(text: &str) -> String {
    let t = text.trim();
    if t.len() < 10 {
        return t.to_owned();
    }
    let (date, rest) = t.split_at(10);
    let rest = rest.trim_start_matches([' ', 'T']);
    let offset_at = rest
        .rfind(['+', '-'])
        .filter(|i| *i >= 8)
        .or_else(|| rest.find('Z'));
    let (clock, offset) = match offset_at {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let (hms, frac) = clock.split_once('.').unwrap_or((clock, ""));
    let hms = if hms.is_empty() { "00:00:00" } else { hms };
    let frac: String = frac
        .chars()
        .take_while(char::is_ascii_digit)
        .take(6)
        .collect();
    let local = format!("{date} {hms}.{frac:0<6}");
    let offset_minutes = parse_offset(offset);
    match offset_minutes {
        Some(minutes) if minutes != 0 => shift(&local, -minutes).unwrap_or(local),
        _ => local,
    }
}

fn parse_offset(offset: &str) -> Option<i64> {
    if offset.is_empty() || offset == "Z" {
        return Some(0);
    }
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let body = &offset[1..];
    let (h, m) = match body.split_once(':') {
        Some((h, m)) => (h, m),
        None if body.len() == 4 => body.split_at(2),
        None => (body, "0"),
    };
    Some(sign * (h.parse::<i64>().ok()? * 60 + m.parse::<i64>().ok()?))
}

/// Shifts `YYYY-MM-DD HH:MM:SS.ffffff` by `minutes` (proleptic Gregorian calendar).
fn shift(local: &str, minutes: i64) -> Option<String> {
    let y: i64 = local.get(0..4)?.parse().ok()?;
    let mo: i64 = local.get(5..7)?.parse().ok()?;
    let d: i64 = local.get(8..10)?.parse().ok()?;
    let h: i64 = local.get(11..13)?.parse().ok()?;
    let mi: i64 = local.get(14..16)?.parse().ok()?;
    let rest = local.get(16..)?;
    let days = days_from_civil(y, mo, d);
    let total = (days * 24 * 60 + h * 60 + mi) + minutes;
    let (days, minute_of_day) = (total.div_euclid(1440), total.rem_euclid(1440));
    let (y, mo, d) = civil_from_days(days);
    Some(format!(
        "{y:04}-{mo:02}-{d:02} {:02}:{:02}{rest}",
        minute_of_day / 60,
        minute_of_day % 60
    ))
}

// Howard Hinnant's `days_from_civil` / `civil_from_days` (chrono-compatible date algorithms).
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy(cell: Cell) -> String {
        let mut out = Vec::new();
        cell.write_copy_text(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn copy_text_escapes() {
        assert_eq!(copy(Cell::Null), "\\N");
        assert_eq!(copy(Cell::Text("a\tb\\c\nd".into())), "a\\tb\\\\c\\nd");
        assert_eq!(copy(Cell::Bytes(vec![0, 255])), "\\\\x00ff");
        assert_eq!(copy(Cell::Float(0.1)), "0.1");
        assert_eq!(copy(Cell::Bool(true)), "t");
    }

    #[test]
    fn date_cells_are_calendar_days() {
        assert_eq!(date_days(1970, 1, 1), Some(0));
        assert_eq!(date_days(2024, 2, 29).map(date_text), Some(*b"2024-02-29"));
        assert_eq!(date_days(1, 1, 1).map(date_text), Some(*b"0001-01-01"));
        assert_eq!(date_days(9999, 12, 31).map(date_text), Some(*b"9999-12-31"));
        let (first, last) = (
            i64::from(date_days(1, 1, 1).unwrap()),
            i64::from(date_days(9999, 12, 31).unwrap()),
        );
        assert_eq!(date_of_days(first), Some(Cell::Date(first as i32)));
        assert_eq!(date_of_days(last), Some(Cell::Date(last as i32)));
        assert_eq!(date_of_days(first - 1), None);
        assert_eq!(date_of_days(last + 1), None);
        for invalid in [
            (0, 0, 0),
            (2023, 2, 29),
            (1985, 0, 1),
            (1985, 1, 0),
            (10000, 1, 1),
        ] {
            assert_eq!(
                date_days(invalid.0, invalid.1, invalid.2),
                None,
                "{invalid:?}"
            );
        }
        let day = Cell::Date(date_days(2006, 2, 15).unwrap());
        assert_eq!(copy(day.clone()), "2006-02-15");
        assert_eq!(
            day.canonical(&Logical::Date),
            Cell::Text("2006-02-15".into()).canonical(&Logical::Date)
        );
        let ts = Logical::Timestamp {
            tz: false,
            fraction: 6,
        };
        assert_eq!(
            day.canonical(&ts),
            Cell::Text("2006-02-15".into()).canonical(&ts)
        );
    }

    #[test]
    fn decimals_round_half_away_from_zero() {
        let r = |t: &str, s: u32| round_decimal(t, s);
        assert_eq!(r("1.005", 2).as_deref(), Some("1.01"));
        assert_eq!(r("-1.005", 2).as_deref(), Some("-1.01"));
        assert_eq!(r("1.004999", 2).as_deref(), Some("1.00"));
        assert_eq!(r("9.995", 2).as_deref(), Some("10.00"));
        assert_eq!(r("-0.4", 0).as_deref(), Some("0"));
        assert_eq!(r("-0.5", 0).as_deref(), Some("-1"));
        assert_eq!(r(".75", 1).as_deref(), Some("0.8"));
        assert_eq!(r("99.5", 0).as_deref(), Some("100"));
        // Nothing to round: no more digits, zeros beyond the scale, not a plain decimal.
        assert_eq!(r("1.25", 2), None);
        assert_eq!(r("7.000", 0), None);
        assert_eq!(r("12", 0), None);
        assert_eq!(r("1e-7", 2), None);
        assert_eq!(r("NaN", 2), None);
    }

    #[test]
    fn times_round_half_away_from_zero_and_carry_into_hours() {
        let r = |t: &str, d: u8| round_time(t, d);
        assert_eq!(r("10:00:00.5", 0).as_deref(), Some("10:00:01"));
        assert_eq!(r("23:59:59.999999", 0).as_deref(), Some("24:00:00"));
        assert_eq!(r("12:00:00.499999", 0).as_deref(), Some("12:00:00"));
        assert_eq!(r("12:00:00.123456", 3).as_deref(), Some("12:00:00.123"));
        assert_eq!(r("12:00:00.1235", 3).as_deref(), Some("12:00:00.124"));
        // A MySQL duration: past 24 hours, and negative (rounded on its magnitude).
        assert_eq!(r("838:59:58.5", 0).as_deref(), Some("838:59:59"));
        assert_eq!(r("-00:00:00.5", 0).as_deref(), Some("-00:00:01"));
        // Nothing past the kept digits, or not a time: unchanged.
        assert_eq!(r("12:00:00.500000", 1), None);
        assert_eq!(r("12:00:00", 0), None);
        assert_eq!(r("noon", 0), None);
        assert_eq!(r("12:00", 0), None);
    }

    #[test]
    fn date_times_round_half_up_and_carry() {
        let r = |t: &str, d: u8| round_timestamp(t, d);
        assert_eq!(
            r("2020-01-01 10:00:00.5", 0).as_deref(),
            Some("2020-01-01 10:00:01")
        );
        assert_eq!(
            r("2020-12-31 23:59:59.999999", 3).as_deref(),
            Some("2021-01-01 00:00:00.000")
        );
        assert_eq!(
            r("2024-02-28 23:59:59.7", 0).as_deref(),
            Some("2024-02-29 00:00:00")
        );
        assert_eq!(
            r("1999-12-31 23:59:59.500000", 0).as_deref(),
            Some("2000-01-01 00:00:00")
        );
        assert_eq!(
            r("2020-06-01 12:00:00.499999", 3).as_deref(),
            Some("2020-06-01 12:00:00.500")
        );
        assert_eq!(
            r("2020-06-01 12:00:00.123456", 5).as_deref(),
            Some("2020-06-01 12:00:00.12346")
        );
        // A zone offset is folded to UTC first (as the copy writes instants).
        assert_eq!(
            r("2020-06-01 12:00:00.6+02", 0).as_deref(),
            Some("2020-06-01 10:00:01")
        );
        // Nothing to round, a zero date, not a date-time.
        assert_eq!(r("2020-06-01 12:00:00.500", 3), None);
        assert_eq!(r("2020-06-01 12:00:00", 0), None);
        assert_eq!(r("0000-00-00 00:00:00.5", 0), None);
        assert_eq!(r("yesterday", 0), None);
    }

    #[test]
    fn a_decimal_cast_to_fewer_decimals_is_rounded_and_counted() {
        let from = Logical::Decimal {
            precision: Some(12),
            scale: Some(4),
        };
        let to = Logical::Decimal {
            precision: Some(12),
            scale: Some(2),
        };
        let int = Logical::Int {
            bits: 32,
            unsigned: false,
        };
        let policy = ConversionPolicy::default();
        assert!(Cell::converts(&from, &to));
        assert!(!Cell::converts(&to, &from));
        let (cell, rule) =
            Cell::Text("2.4990".into()).convert(&from, &to, Engine::Postgres, &policy);
        assert_eq!(cell, Cell::Text("2.50".into()));
        assert_eq!(
            rule,
            Some((Rule::RoundedToScale, Cell::Text("2.4990".into())))
        );
        let (cell, rule) =
            Cell::Text("7.0000".into()).convert(&from, &int, Engine::Postgres, &policy);
        assert_eq!((cell, rule), (Cell::Int(7), None));
        let (cell, rule) =
            Cell::Text("-2.5000".into()).convert(&from, &int, Engine::Mysql, &policy);
        assert_eq!(cell, Cell::Int(-3));
        assert_eq!(rule.map(|r| r.0), Some(Rule::RoundedToScale));
        // `numeric(10)` keeps no decimals; an unconstrained `numeric` keeps them all.
        let whole = Logical::Decimal {
            precision: Some(10),
            scale: None,
        };
        let any = Logical::Decimal {
            precision: None,
            scale: None,
        };
        assert_eq!(Logical::rounds_to(&from, &whole), Some(0));
        assert_eq!(Logical::rounds_to(&from, &any), None);
        assert_eq!(Logical::rounds_to(&any, &to), Some(2));
    }

    #[test]
    fn canonical_forms_agree_across_engines() {
        let dec = Logical::Decimal {
            precision: Some(5),
            scale: Some(2),
        };
        assert_eq!(
            Cell::Text("1.50".into()).canonical(&dec),
            Cell::Text("1.5".into()).canonical(&dec)
        );
        assert_eq!(Cell::Text("0.00".into()).canonical(&dec).unwrap(), "0");
        assert_eq!(
            Cell::Int(1).canonical(&Logical::Bool),
            Cell::Bool(true).canonical(&Logical::Bool)
        );
        let ts = Logical::Timestamp {
            tz: true,
            fraction: 6,
        };
        assert_eq!(
            Cell::Text("2006-02-15 04:34:33".into()).canonical(&ts),
            Cell::Text("2006-02-15 05:34:33+01".into()).canonical(&ts)
        );
        assert_eq!(
            Cell::Text("2006-12-31 23:30:00-01:00".into())
                .canonical(&ts)
                .unwrap(),
            "2007-01-01 00:30:00.000000"
        );
        assert_eq!(
            Cell::Text("0000-00-00 00:00:00".into()).canonical(&ts),
            None
        );
        assert_ne!(
            Cell::Text(String::new()).canonical(&Logical::Text { max_len: None }),
            None
        );
        assert_eq!(
            Cell::Float(0.99).canonical(&dec),
            Cell::Text("0.99".into()).canonical(&dec)
        );
        assert_eq!(Cell::Float(2.0).canonical(&dec).unwrap(), "2");
        let f32l = Logical::Float { bits: 32 };
        assert_eq!(
            Cell::Float(0.1f32 as f64).canonical(&f32l),
            Cell::Text("0.1".into()).canonical(&f32l)
        );
    }
}
