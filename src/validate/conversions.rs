//! The stated conversions ([`crate::data::rules`]) seen from the source: how many values of
//! each column a rule changes on the way to the target. Comparison treats such values as equal
//! to what the rule makes of them; these counts are what makes that visible rather than silent.

use crate::data::rules::{ConversionPolicy, NonBinaryBooleans, ZeroDates};
use crate::data::{Cell, Converted, Logical, Rule};
use crate::db::{quote, Database, DbError};
use crate::import::Engine;

use super::pair::TablePair;

/// The SQL condition, on a source of `engine`, under which `rule` changes a value of column
/// `c` (quoted), compared as `canon` (which holds the scale or the digits a rounding rule
/// rounds to).
pub(crate) fn condition(engine: Engine, rule: Rule, c: &str, canon: &Logical) -> String {
    match rule {
        Rule::ZeroDateToNull => {
            format!("(YEAR({c}) = 0 OR MONTH({c}) = 0 OR DAYOFMONTH({c}) = 0)")
        }
        Rule::NonBinaryToTrue => format!("({c} NOT IN (0, 1))"),
        Rule::NullDefault => format!("({c} IS NULL)"),
        Rule::RoundedToScale => format!("({c} <> ROUND({c}, {}))", scale_of(canon)),
        Rule::RoundedToFraction => match canon {
            Logical::Timestamp { fraction, .. } | Logical::Time { fraction } => {
                crate::data::rules::fraction_beyond_sql(engine, c, *fraction)
            }
            _ => "FALSE".to_owned(),
        },
    }
}

/// The scale a column compared as `canon` is rounded to: the scale a decimal `canon` names
/// ([`super::pair::common`]), else 0 (an integer target).
fn scale_of(canon: &Logical) -> u32 {
    match canon {
        Logical::Decimal { scale, .. } => scale.unwrap_or(0),
        _ => 0,
    }
}

/// A conversion rule counted on one source column: (column index, rule). A column has at most
/// one slot per rule (a MySQL date-time into a PostgreSQL one keeping fewer digits has two:
/// zero dates and rounded fractions); counts are kept per slot, in [`rules`]' order.
pub type Slot = (usize, Rule);

/// The rules that apply to source column `i` of `pair` copied into `target`, under `policy`
/// (the same decisions as [`crate::data::Cell::convert`]).
fn rules_for(pair: &TablePair, i: usize, target: Engine, policy: &ConversionPolicy) -> Vec<Rule> {
    let source = &pair.source.columns[i];
    let to = &pair.target.columns[i];
    let mut rules = Vec::new();
    if matches!(source.logical, Logical::Date | Logical::Timestamp { .. })
        && pair.source.engine == Engine::Mysql
        && target == Engine::Postgres
        && policy.zero_dates == ZeroDates::Null
    {
        rules.push(Rule::ZeroDateToNull);
    }
    if Logical::rounds_fraction(&source.logical, &to.logical).is_some() {
        rules.push(Rule::RoundedToFraction);
    }
    if Logical::rounds_to(&source.logical, &to.logical).is_some() {
        rules.push(Rule::RoundedToScale);
    }
    if matches!(source.logical, Logical::Bool | Logical::Int { .. })
        && matches!(to.logical, Logical::Bool)
        && pair.source.engine != Engine::Postgres
        && policy.non_binary_booleans == NonBinaryBooleans::True
    {
        rules.push(Rule::NonBinaryToTrue);
    }
    rules
}

/// The rules applying to `pair`'s source columns under `policy`, for a `target` engine, as
/// slots: what [`count_value`] is given while a reader sees the values anyway, so that no
/// separate scan is needed.
pub fn rules(pair: &TablePair, target: Engine, policy: &ConversionPolicy) -> Vec<Slot> {
    (0..pair.source.columns.len())
        .flat_map(|i| {
            rules_for(pair, i, target, policy)
                .into_iter()
                .map(move |rule| (i, rule))
        })
        .collect()
}

/// Whether `rule` changes `cell` (the condition [`count`] evaluates in SQL, on a value read):
/// a zero or partial date (`0000-00-00`, a zero month or day), an integer other than 0 and 1.
pub fn count_value(rule: Rule, cell: &Cell, canon: &Logical) -> bool {
    match (rule, cell) {
        (Rule::RoundedToFraction, Cell::Text(t)) => match canon {
            Logical::Timestamp { fraction, .. } => {
                crate::data::cell::round_timestamp(t, *fraction).is_some()
            }
            Logical::Time { fraction } => crate::data::cell::round_time(t, *fraction).is_some(),
            _ => false,
        },
        (Rule::RoundedToScale, Cell::Text(t)) => {
            crate::data::cell::round_decimal(t, scale_of(canon)).is_some()
        }
        (Rule::RoundedToScale, Cell::Float(f)) if f.is_finite() => {
            crate::data::cell::round_decimal(ryu::Buffer::new().format_finite(*f), scale_of(canon))
                .is_some()
        }
        (Rule::ZeroDateToNull, Cell::Text(t)) => crate::data::cell::is_zero_date(t),
        (Rule::NonBinaryToTrue, Cell::Int(v)) => *v != 0 && *v != 1,
        (Rule::NonBinaryToTrue, Cell::UInt(u)) => *u > 1,
        _ => false,
    }
}

/// The report entries of per-slot counts (`counts[n]` for `rules[n]`); slots with no value
/// converted are left out, as [`count`] leaves them.
pub fn tally(pair: &TablePair, rules: &[Slot], counts: &[u64]) -> Vec<Converted> {
    rules
        .iter()
        .zip(counts)
        .filter(|(_, &count)| count > 0)
        .map(|(&(i, rule), &count)| Converted {
            column: pair.source.columns[i].name.clone(),
            rule,
            count,
            example_keys: Vec::new(),
        })
        .collect()
}

/// Counts, in one scan of the source table, the values each applicable rule changes.
///
/// # Errors
/// [`DbError::Query`].
pub async fn count(
    source: &Database,
    pair: &TablePair,
    target: Engine,
    policy: &ConversionPolicy,
) -> Result<Vec<Converted>, DbError> {
    let ruled = rules(pair, target, policy);
    if ruled.is_empty() {
        return Ok(Vec::new());
    }
    let sums: Vec<String> = ruled
        .iter()
        .map(|&(i, rule)| {
            let c = pair.source.columns[i].reference(source.engine);
            format!(
                "CAST(COALESCE(SUM(CASE WHEN {} THEN 1 ELSE 0 END), 0) AS CHAR)",
                condition(source.engine, rule, &c, &pair.canon[i])
            )
        })
        .collect();
    let sql = format!(
        "SELECT {} FROM {}",
        sums.join(", "),
        quote::table(source.engine, &pair.source.name)
    );
    let rows = source
        .fetch_texts(
            &sql,
            &[],
            &format!("counting converted values of {}", pair.source.name),
        )
        .await?;
    let counts = rows.into_iter().next().unwrap_or_default();
    Ok(ruled
        .iter()
        .zip(counts)
        .filter_map(|(&(i, rule), n)| {
            let count: u64 = n?.parse().ok()?;
            (count > 0).then(|| Converted {
                column: pair.source.columns[i].name.clone(),
                rule,
                count,
                example_keys: Vec::new(),
            })
        })
        .collect())
}
