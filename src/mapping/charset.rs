//! Character repertoires of text columns, for the review's charset-narrowing finding (M020):
//! which characters a column can hold, from its MySQL character set (the prefix of its
//! collation, or a cast's `CHARACTER SET`/`COLLATE`), and the SQL condition, on the source,
//! that a value holds one the target column cannot.
//!
//! PostgreSQL and SQLite text is taken as UTF-8 (the encoding of every database this tool
//! creates or reads here); a MySQL column whose character set is not known is taken as
//! `utf8mb4`, which can only over-report a narrowing (the data pass then counts 0 rows).
//! Character sets outside the four below (`cp1251`, `sjis`…) are not compared.

use crate::import::Engine;
use crate::inventory::Column;

/// The characters a column can hold, smallest first: each holds every character of the ones
/// before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Repertoire {
    /// MySQL `ascii`: U+0001–U+007F.
    Ascii,
    /// MySQL `latin1`, which is Windows-1252 (MySQL manual, "West European Character Sets"):
    /// ASCII, U+00A0–U+00FF, the 27 characters Windows-1252 puts at 0x80–0x9F (`€`, `‚`,
    /// `ƒ`…) and the five C1 controls it leaves undefined there (U+0081, U+008D, U+008F,
    /// U+0090, U+009D).
    Latin1,
    /// MySQL `utf8mb3` (`utf8` before 8.0.30 and in MariaDB): the Basic Multilingual Plane,
    /// U+0000–U+FFFF; no emoji or other character beyond it.
    Utf8mb3,
    /// MySQL `utf8mb4`, PostgreSQL and SQLite UTF-8: every Unicode character.
    Utf8mb4,
}

/// The 27 characters Windows-1252 maps at 0x80–0x9F.
const CP1252_EXTRAS: &str = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ";

impl Repertoire {
    /// The repertoire of a MySQL character set name (`latin1`, `utf8mb3`, `utf8`…); `None`
    /// for one not compared here.
    pub fn of_mysql_charset(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "ascii" => Some(Self::Ascii),
            "latin1" => Some(Self::Latin1),
            "utf8" | "utf8mb3" => Some(Self::Utf8mb3),
            "utf8mb4" => Some(Self::Utf8mb4),
            _ => None,
        }
    }

    /// The repertoire of a source column of `engine`: a MySQL column's from its collation's
    /// character set (`latin1_swedish_ci` → latin1), `utf8mb4` when it has none; every
    /// other engine's is UTF-8. `None` for a character set not compared here.
    pub fn of_source(engine: Engine, column: &Column) -> Option<Self> {
        match (engine, &column.collation) {
            (Engine::Mysql, Some(collation)) => {
                Self::of_mysql_charset(collation.split('_').next().unwrap_or(collation))
            }
            _ => Some(Self::Utf8mb4),
        }
    }

    /// The repertoire of a target column of `engine` declared `declared`: on MySQL, the
    /// character set its `CHARACTER SET`/`CHARSET` names, or its `COLLATE`'s prefix, else
    /// `utf8mb4` (every table the tool creates on MySQL says `DEFAULT CHARSET=utf8mb4`);
    /// UTF-8 on every other engine. `None` for a character set not compared here.
    pub fn of_target(engine: Engine, declared: &str) -> Option<Self> {
        if engine != Engine::Mysql {
            return Some(Self::Utf8mb4);
        }
        let lower = declared.to_ascii_lowercase();
        let words: Vec<&str> = lower.split_whitespace().collect();
        let after = |keys: &[&str]| {
            words
                .windows(keys.len() + 1)
                .find(|w| w[..keys.len()] == *keys)
                .map(|w| w[keys.len()])
        };
        if let Some(charset) = after(&["character", "set"]).or_else(|| after(&["charset"])) {
            return Self::of_mysql_charset(charset);
        }
        match after(&["collate"]) {
            Some(collation) => {
                Self::of_mysql_charset(collation.split('_').next().unwrap_or(collation))
            }
            None => Some(Self::Utf8mb4),
        }
    }

    /// The character set's name as MySQL spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ascii => "ascii",
            Self::Latin1 => "latin1",
            Self::Utf8mb3 => "utf8mb3",
            Self::Utf8mb4 => "utf8mb4",
        }
    }

    /// What a column of this repertoire cannot hold, in words.
    pub fn cannot_hold(self) -> &'static str {
        match self {
            Self::Ascii => "any character beyond ASCII (accents, €, CJK, emoji)",
            Self::Latin1 => "characters beyond Western European ones (Œ and € are in; Polish ł, Greek, CJK and emoji are not)",
            Self::Utf8mb3 => "characters beyond U+FFFF (emoji, some CJK, mathematical letters)",
            Self::Utf8mb4 => "nothing",
        }
    }

    /// The SQL condition, on a source of `engine`, that the text column `c` (quoted) holds a
    /// character this repertoire cannot; `None` on SQLite (no regular expressions built in).
    /// MySQL converts the value there and back and compares the bytes (a character the
    /// target set lacks becomes `?`); PostgreSQL matches a regular expression of the
    /// characters outside the set (PostgreSQL docs, "Regular Expression Escapes": `\x`,
    /// `\u`, `\U`).
    pub fn outside_sql(self, engine: Engine, c: &str) -> Option<String> {
        match engine {
            Engine::Mysql => Some(format!(
                "CAST(CONVERT({c} USING utf8mb4) AS BINARY) <> CAST(CONVERT(CONVERT({c} USING {}) USING utf8mb4) AS BINARY)",
                self.name()
            )),
            Engine::Postgres => Some(match self {
                Self::Ascii => format!("{c}::text ~ '[^\\x01-\\x7f]'"),
                Self::Latin1 => {
                    let extras: String = CP1252_EXTRAS
                        .chars()
                        .map(|ch| format!("\\u{:04x}", u32::from(ch)))
                        .collect();
                    format!(
                        "{c}::text ~ '[^\\x01-\\x7f\\xa0-\\xff\\x81\\x8d\\x8f\\x90\\x9d{extras}]'"
                    )
                }
                Self::Utf8mb3 => format!("{c}::text ~ '[\\U00010000-\\U0010ffff]'"),
                Self::Utf8mb4 => "FALSE".to_owned(),
            }),
            Engine::Sqlite => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repertoires_come_from_collations_and_casts() {
        let mut column = Column::new("name", "varchar(40)", true);
        assert_eq!(
            Repertoire::of_source(Engine::Mysql, &column),
            Some(Repertoire::Utf8mb4)
        );
        column.collation = Some("latin1_swedish_ci".into());
        assert_eq!(
            Repertoire::of_source(Engine::Mysql, &column),
            Some(Repertoire::Latin1)
        );
        assert_eq!(
            Repertoire::of_source(Engine::Postgres, &column),
            Some(Repertoire::Utf8mb4)
        );
        let t = |d: &str| Repertoire::of_target(Engine::Mysql, d);
        assert_eq!(t("varchar(40)"), Some(Repertoire::Utf8mb4));
        assert_eq!(
            t("varchar(40) CHARACTER SET utf8mb3"),
            Some(Repertoire::Utf8mb3)
        );
        assert_eq!(t("text charset latin1"), Some(Repertoire::Latin1));
        assert_eq!(t("varchar(40) COLLATE ascii_bin"), Some(Repertoire::Ascii));
        assert_eq!(t("varchar(40) CHARACTER SET cp1251"), None);
        assert_eq!(
            Repertoire::of_target(Engine::Postgres, "varchar(40)"),
            Some(Repertoire::Utf8mb4)
        );
        assert!(Repertoire::Latin1 < Repertoire::Utf8mb3);
    }

    #[test]
    fn the_latin1_class_names_every_windows_1252_extra() {
        let sql = Repertoire::Latin1
            .outside_sql(Engine::Postgres, "\"c\"")
            .unwrap();
        assert!(sql.contains("\\u20ac") && sql.contains("\\u0178"), "{sql}");
        assert_eq!(CP1252_EXTRAS.chars().count(), 27);
        assert!(sql.is_ascii());
    }
}
