//! Logical column types: what a declared type means, whatever engine declared it. The backfill
//! picks how to read, convert and write a column from it; validation picks how to normalise it.

use crate::import::Engine;

/// The meaning of a column type, across engines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Logical {
    /// Integer of `bits` width (8, 16, 24, 32, 64), signed or not.
    Int {
        /// Width in bits.
        bits: u8,
        /// MySQL `UNSIGNED`.
        unsigned: bool,
    },
    /// Boolean (PostgreSQL `boolean`, MySQL `TINYINT(1)` / `BOOL`).
    Bool,
    /// Exact numeric with optional precision and scale.
    Decimal {
        /// Total digits.
        precision: Option<u32>,
        /// Digits after the point.
        scale: Option<u32>,
    },
    /// Binary floating point of 32 or 64 bits.
    Float {
        /// 32 or 64.
        bits: u8,
    },
    /// Character string, with a maximum length in characters when declared.
    Text {
        /// Maximum length.
        max_len: Option<u32>,
    },
    /// Byte string.
    Bytes,
    /// A fixed-width bit string (MySQL `BIT(n)`, PostgreSQL `bit(n)`), `len` bits.
    Bits {
        /// Width in bits.
        len: u32,
    },
    /// Calendar date.
    Date,
    /// Time of day (a MySQL `TIME` is a duration of -838:59:59..838:59:59).
    Time {
        /// Digits of the fraction of a second the column keeps, 0–6, as for
        /// [`Logical::Timestamp`].
        fraction: u8,
    },
    /// Date and time; `tz` when it is an instant (PostgreSQL `timestamptz`, MySQL `TIMESTAMP`).
    Timestamp {
        /// Whether the value is an instant in UTC rather than a local date-time.
        tz: bool,
        /// Digits of the fraction of a second the column keeps, 0–6: the declared `(n)`, else
        /// the engine's default for the type (MySQL 0, PostgreSQL and SQLite 6).
        fraction: u8,
    },
    /// MySQL `YEAR`.
    Year,
    /// MySQL `ENUM(...)` or a PostgreSQL enum type: one of a fixed set of labels.
    Enum(Vec<String>),
    /// MySQL `SET(...)`: a comma-separated subset of labels.
    Set(Vec<String>),
    /// JSON document.
    Json,
    /// UUID.
    Uuid,
    /// A MySQL spatial value (`GEOMETRY`, `POINT`, `POLYGON`…), read and written as MySQL
    /// stores it: a 4-byte little-endian SRID, then the WKB (OGC Simple Features §8.2). Into
    /// other engines it goes as these bytes unchanged (PostgreSQL `bytea`), so nothing of it,
    /// SRID included, is lost; `substring(v from 5)` is the WKB.
    Spatial,
    /// Anything else, kept as the engine's text form (arrays, tsvector, geometry, domains…).
    Other(String),
}

fn args(lower: &str) -> Vec<u32> {
    lower
        .find('(')
        .and_then(|s| lower[s + 1..].find(')').map(|e| &lower[s + 1..s + 1 + e]))
        .map(|inner| {
            inner
                .split(',')
                .filter_map(|p| p.trim().parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

fn labels(declared: &str) -> Vec<String> {
    let Some(start) = declared.find('(') else {
        return Vec::new();
    };
    let inner = &declared[start + 1..declared.rfind(')').unwrap_or(declared.len())];
    let mut out = Vec::new();
    let mut current = String::new();
    let mut in_quote = false;
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, in_quote) {
            ('\'', false) => in_quote = true,
            ('\'', true) if chars.peek() == Some(&'\'') => {
                current.push('\'');
                chars.next();
            }
            ('\'', true) => {
                in_quote = false;
                out.push(std::mem::take(&mut current));
            }
            (c, true) => current.push(c),
            _ => {}
        }
    }
    out
}

impl Logical {
    /// The digits after the point a column of this type keeps: a decimal's scale (`numeric(10)`
    /// keeps 0, as both PostgreSQL and MySQL read it), 0 for an integer; `None` for any other
    /// type and for an unconstrained `numeric`, which keeps every digit it is given.
    pub fn kept_scale(&self) -> Option<u32> {
        match self {
            Logical::Decimal { scale: Some(s), .. } => Some(*s),
            Logical::Decimal {
                precision: Some(_),
                scale: None,
            } => Some(0),
            Logical::Int { .. } => Some(0),
            _ => None,
        }
    }

    /// The scale a decimal value of a `from` column is rounded to when written into a `to`
    /// column that keeps fewer digits after the point (rule C004): `Some(t)` when `from` is a
    /// decimal that may hold more than `t` decimals and `to` keeps `t` (a decimal or an
    /// integer); `None` when nothing is rounded.
    pub fn rounds_to(from: &Logical, to: &Logical) -> Option<u32> {
        let Logical::Decimal { .. } = from else {
            return None;
        };
        let kept = to.kept_scale()?;
        match from.kept_scale() {
            Some(s) if s <= kept => None,
            _ => Some(kept),
        }
    }

    /// The fractional-second digits a date-time or a time of a `from` column is rounded to
    /// when written into a `to` column of its kind that keeps fewer (rule C005): `Some(t)`
    /// when `to` keeps `t` digits, fewer than `from`; `None` when nothing is rounded.
    pub fn rounds_fraction(from: &Logical, to: &Logical) -> Option<u8> {
        match (from, to) {
            (Logical::Timestamp { fraction: f, .. }, Logical::Timestamp { fraction: t, .. })
            | (Logical::Time { fraction: f }, Logical::Time { fraction: t }) => {
                (f > t).then_some(*t)
            }
            _ => None,
        }
    }

    /// Classifies a declared type (as the catalog reports it, e.g. `smallint(5) unsigned`,
    /// `character varying(45)`, `NVARCHAR(120)`). SQLite types follow its affinity rules
    /// (SQLite docs §3.1 "Determination Of Column Affinity") refined by the declared name.
    pub fn of(engine: Engine, declared: &str) -> Self {
        let lower = declared.trim().to_ascii_lowercase();
        let base: String = lower
            .split(['(', ' '])
            .next()
            .unwrap_or_default()
            .to_owned();
        let unsigned = lower.contains("unsigned");
        let a = args(&lower);
        let int = |bits| Logical::Int { bits, unsigned };
        match base.as_str() {
            "tinyint" if engine == Engine::Mysql && a.first() == Some(&1) => Logical::Bool,
            "bool" | "boolean" => Logical::Bool,
            "tinyint" => int(8),
            "smallint" | "int2" | "smallserial" => int(16),
            "mediumint" => int(24),
            "int" | "integer" | "int4" | "serial" => {
                if engine == Engine::Sqlite {
                    int(64)
                } else {
                    int(32)
                }
            }
            "bigint" | "int8" | "bigserial" => int(64),
            "decimal" | "numeric" | "dec" | "fixed" => Logical::Decimal {
                precision: a.first().copied(),
                scale: a.get(1).copied(),
            },
            "money" => Logical::Decimal {
                precision: None,
                scale: Some(2),
            },
            "real" | "float4" => Logical::Float {
                bits: if engine == Engine::Postgres { 32 } else { 64 },
            },
            "float" => Logical::Float {
                bits: if engine == Engine::Mysql && a.first().is_none_or(|p| *p <= 24) {
                    32
                } else {
                    64
                },
            },
            "double" | "float8" => Logical::Float { bits: 64 },
            "char" | "character" | "nchar" | "varchar" | "nvarchar" | "bpchar" | "text"
            | "tinytext" | "mediumtext" | "longtext" | "clob" | "citext" | "name" | "native"
            | "varying" => Logical::Text {
                max_len: a.first().copied(),
            },
            "bytea" | "blob" | "tinyblob" | "mediumblob" | "longblob" | "binary" | "varbinary" => {
                Logical::Bytes
            }
            // A varying bit string keeps its own length: it travels as its digits.
            "bit" if lower.contains("varying") => Logical::Text {
                max_len: a.first().copied(),
            },
            "varbit" => Logical::Text {
                max_len: a.first().copied(),
            },
            "bit" => Logical::Bits {
                len: a.first().copied().unwrap_or(1),
            },
            "date" => Logical::Date,
            "time" => Logical::Time {
                fraction: fraction(engine, &a),
            },
            "datetime" => Logical::Timestamp {
                tz: false,
                fraction: fraction(engine, &a),
            },
            "timestamp" => Logical::Timestamp {
                tz: engine == Engine::Mysql || lower.contains("with time zone"),
                fraction: fraction(engine, &a),
            },
            "timestamptz" => Logical::Timestamp {
                tz: true,
                fraction: fraction(engine, &a),
            },
            "year" => Logical::Year,
            "enum" => Logical::Enum(labels(declared)),
            "set" => Logical::Set(labels(declared)),
            "json" | "jsonb" => Logical::Json,
            "uuid" => Logical::Uuid,
            "geometry" | "point" | "linestring" | "polygon" | "multipoint" | "multilinestring"
            | "multipolygon" | "geometrycollection" | "geomcollection"
                if engine == Engine::Mysql =>
            {
                Logical::Spatial
            }
            _ if lower.starts_with("character varying") => Logical::Text {
                max_len: a.first().copied(),
            },
            _ if lower.starts_with("double precision") => Logical::Float { bits: 64 },
            _ if engine == Engine::Sqlite => sqlite_affinity(&lower),
            _ => Logical::Other(lower),
        }
    }
}

/// The fractional-second digits a date-time column declared with arguments `a` keeps: its
/// `(n)` (at most 6, microseconds), else MySQL's default of 0 (MySQL manual, "Fractional
/// Seconds in Time Values") or PostgreSQL's of 6 (PostgreSQL docs, "Date/Time Types"; SQLite
/// keeps text, taken as microseconds).
fn fraction(engine: Engine, a: &[u32]) -> u8 {
    match a.first() {
        Some(&n) => n.min(6) as u8,
        None if engine == Engine::Mysql => 0,
        None => 6,
    }
}

fn sqlite_affinity(lower: &str) -> Logical {
    if lower.contains("int") {
        Logical::Int {
            bits: 64,
            unsigned: false,
        }
    } else if lower.contains("char") || lower.contains("clob") || lower.contains("text") {
        Logical::Text { max_len: None }
    } else if lower.contains("blob") || lower.is_empty() {
        Logical::Bytes
    } else if lower.contains("real") || lower.contains("floa") || lower.contains("doub") {
        Logical::Float { bits: 64 }
    } else {
        Logical::Decimal {
            precision: None,
            scale: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_types_classify() {
        assert_eq!(Logical::of(Engine::Mysql, "tinyint(1)"), Logical::Bool);
        assert_eq!(
            Logical::of(Engine::Mysql, "smallint(5) unsigned"),
            Logical::Int {
                bits: 16,
                unsigned: true
            }
        );
        assert_eq!(
            Logical::of(Engine::Mysql, "enum('G','PG','NC-17')"),
            Logical::Enum(vec!["G".into(), "PG".into(), "NC-17".into()])
        );
        assert_eq!(
            Logical::of(Engine::Postgres, "character varying(45)"),
            Logical::Text { max_len: Some(45) }
        );
        assert_eq!(
            Logical::of(Engine::Postgres, "timestamp without time zone"),
            Logical::Timestamp {
                tz: false,
                fraction: 6
            }
        );
        assert_eq!(
            Logical::of(Engine::Sqlite, "NUMERIC(10,2)"),
            Logical::Decimal {
                precision: Some(10),
                scale: Some(2)
            }
        );
        assert_eq!(
            Logical::of(Engine::Sqlite, "NVARCHAR(160)"),
            Logical::Text { max_len: Some(160) }
        );
    }
}
