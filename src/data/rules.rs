//! Stated conversions: the few ways the default mapping changes a source value on its way to
//! the target. Every value either arrives equal, or is converted by one of these rules (counted
//! per table and column, with example keys, in the backfill, rehearsal and validation
//! reports), or is rejected with the target's reason and its original value. Nothing else.
//!
//! Each rule has a stable code (`C001`…) used in reports, JSON and the README's type matrix.
//! The project's `[data]` policy decides, for the rules that lose information, whether the
//! value is converted (and counted) or left as it is for the target to refuse (and kept in the
//! reject table with the reason).

use serde::{Deserialize, Serialize};

/// A conversion the default mapping applies to some source values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// `C001`: a MySQL zero or partial date or date-time (`0000-00-00`, a zero month or day),
    /// which no other engine can store, becomes NULL (pgloader's `zero-dates-to-null`).
    ZeroDateToNull,
    /// `C002`: a MySQL `TINYINT(1)` (`BOOL`) holding a value other than 0 and 1 becomes `true`
    /// in a boolean column.
    NonBinaryToTrue,
    /// `C003`: a NULL becomes the value the mapping spec gives as the column's `null_default`.
    NullDefault,
    /// `C004`: a decimal with more digits after the point than the target column keeps (a
    /// spec cast to a smaller scale, or to an integer; review finding M002) is rounded to the
    /// target's scale, half away from zero, as PostgreSQL's and MySQL's own `DECIMAL`
    /// assignment rounds (PostgreSQL docs, "Arbitrary Precision Numbers"; MySQL manual,
    /// "Precision Math", rounding behavior). The copy rounds before writing, so the value the
    /// target holds is the one counted here, whatever the target would have done.
    RoundedToScale,
    /// `C005`: a date-time with more digits of the fraction of a second than the target column
    /// keeps (a spec cast such as `timestamp(3)` or `datetime`; review finding M019) is rounded
    /// to the target's digits, half up (a 5 rounds to the later time, as MySQL rounds; MySQL
    /// manual, "Fractional Seconds in Time Values"). The copy rounds before writing, so the
    /// target holds exactly the value counted here (PostgreSQL alone would round a tie before
    /// 2000-01-01 to the earlier time). A time of day (`time(0)`, MySQL `TIME`) is rounded
    /// the same way on its magnitude (a negative MySQL duration away from zero), carrying into
    /// the hours: `23:59:59.5` becomes `24:00:00`, which both engines' types hold.
    RoundedToFraction,
}

impl Rule {
    /// Every rule, in code order.
    pub const ALL: [Rule; 5] = [
        Rule::ZeroDateToNull,
        Rule::NonBinaryToTrue,
        Rule::NullDefault,
        Rule::RoundedToScale,
        Rule::RoundedToFraction,
    ];

    /// Stable code, e.g. `C001`.
    pub fn code(self) -> &'static str {
        match self {
            Rule::ZeroDateToNull => "C001",
            Rule::NonBinaryToTrue => "C002",
            Rule::NullDefault => "C003",
            Rule::RoundedToScale => "C004",
            Rule::RoundedToFraction => "C005",
        }
    }

    /// Name as reports print it, e.g. `zero-date-to-null`.
    pub fn name(self) -> &'static str {
        match self {
            Rule::ZeroDateToNull => "zero-date-to-null",
            Rule::NonBinaryToTrue => "non-binary-to-true",
            Rule::NullDefault => "null-default",
            Rule::RoundedToScale => "rounded-to-scale",
            Rule::RoundedToFraction => "rounded-to-fraction",
        }
    }

    /// One line on what the rule does.
    pub fn description(self) -> &'static str {
        match self {
            Rule::ZeroDateToNull => "MySQL zero or partial date/date-time → NULL",
            Rule::NonBinaryToTrue => "TINYINT(1) value other than 0/1 → true",
            Rule::NullDefault => "NULL → the mapping spec's `null_default` of the column",
            Rule::RoundedToScale => {
                "decimal with more decimals than the target keeps → rounded to its scale, half away from zero"
            }
            Rule::RoundedToFraction => {
                "date-time or time with more fractional-second digits than the target keeps → rounded to them, half up"
            }
        }
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code(), self.name())
    }
}

/// The SQL condition, on an `engine` database, that the date-time column `c` (quoted) holds a
/// value with a digit other than zero past the first `digits` of its fraction of a second:
/// the values [`Rule::RoundedToFraction`] rounds into a column keeping `digits`.
pub fn fraction_beyond_sql(engine: crate::import::Engine, c: &str, digits: u8) -> String {
    use crate::import::Engine;
    let digits = u32::from(digits.min(6));
    let dropped = 10u32.pow(6 - digits);
    match engine {
        Engine::Postgres => format!("((extract(microseconds from {c})::bigint % {dropped}) <> 0)"),
        Engine::Mysql => format!("((MICROSECOND({c}) % {dropped}) <> 0)"),
        // SQLite keeps date-times as text: the fraction's digits past the kept ones.
        Engine::Sqlite => format!(
            "(instr({c}, '.') > 0 AND rtrim(substr({c}, instr({c}, '.') + 1 + {digits}, {}), '0') <> '')",
            6 - digits
        ),
    }
}

/// What to do with MySQL zero and partial dates (`[data] zero_dates`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ZeroDates {
    /// Load them as NULL, counted under [`Rule::ZeroDateToNull`].
    #[default]
    Null,
    /// Leave them as they are: a target that cannot store them refuses the row, which is kept
    /// in the reject table with the original value and the target's reason.
    Reject,
}

/// What to do with TINYINT(1) values other than 0 and 1 (`[data] non_binary_booleans`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NonBinaryBooleans {
    /// Load them as `true`, counted under [`Rule::NonBinaryToTrue`].
    #[default]
    True,
    /// Leave them as they are: a boolean target refuses the row, which is kept in the reject
    /// table with the original value.
    Reject,
}

/// The project's conversion policy: the manifest's `[data]` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConversionPolicy {
    /// MySQL zero and partial dates.
    #[serde(default)]
    pub zero_dates: ZeroDates,
    /// TINYINT(1) values other than 0 and 1.
    #[serde(default)]
    pub non_binary_booleans: NonBinaryBooleans,
}

/// Values one rule converted in one column: how many, and the keys of the first few rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Converted {
    /// Column (source name).
    pub column: String,
    /// Rule.
    pub rule: Rule,
    /// Values converted.
    pub count: u64,
    /// Keys (JSON) of the first rows converted, at most [`EXAMPLES`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub example_keys: Vec<String>,
}

/// Example keys kept per column and rule.
pub const EXAMPLES: usize = 3;

/// Counts one value `rule` changed in `column` into `tally`, keeping `key` (the row's key as
/// JSON) among the first [`EXAMPLES`] example keys.
pub fn count_one(tally: &mut Vec<Converted>, column: &str, rule: Rule, key: &str) {
    match tally
        .iter_mut()
        .find(|c| c.rule == rule && c.column == column)
    {
        Some(c) => {
            c.count += 1;
            if c.example_keys.len() < EXAMPLES {
                c.example_keys.push(key.to_owned());
            }
        }
        None => tally.push(Converted {
            column: column.to_owned(),
            rule,
            count: 1,
            example_keys: vec![key.to_owned()],
        }),
    }
}

/// Adds `more` into `into`, summing counts per column and rule and keeping the first example
/// keys; the result is sorted by column, then rule.
pub fn merge(into: &mut Vec<Converted>, more: &[Converted]) {
    for m in more {
        match into
            .iter_mut()
            .find(|c| c.column == m.column && c.rule == m.rule)
        {
            Some(c) => {
                c.count += m.count;
                for key in &m.example_keys {
                    if c.example_keys.len() < EXAMPLES && !c.example_keys.contains(key) {
                        c.example_keys.push(key.clone());
                    }
                }
            }
            None => into.push(m.clone()),
        }
    }
    into.sort_by(|a, b| (&a.column, a.rule).cmp(&(&b.column, b.rule)));
}
