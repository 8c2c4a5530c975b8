//! The stated conversions ([`crate::data::rules`]) seen from the source: how many values of
//! each column a rule changes on the way to the target. Comparison treats such values as equal
//! to what the rule makes of them; these counts are what makes that visible rather than silent.

use crate::data::rules::{ConversionPolicy, NonBinaryBooleans, ZeroDates};
use crate::data::{Cell, Converted, Logical, Rule};
use crate::db::{quote, Database, DbError};
use crate::import::Engine;

use super::pair::TablePair;

/// The source SQL condition under which `rule` changes a value of column `c` (quoted),
/// compared as `canon` (which holds the scale [`Rule::RoundedToScale`] rounds to).
pub(crate) fn condition(rule: Rule, c: &str, canon: &Logical) -> String {
    match rule {
        Rule::ZeroDateToNull => {
            format!("(YEAR({c}) = 0 OR MONTH({c}) = 0 OR DAYOFMONTH({c}) = 0)")
        }
        Rule::NonBinaryToTrue => format!("({c} NOT IN (0, 1))"),
        Rule::NullDefault => format!("({c} IS NULL)"),
        Rule::RoundedToScale => format!("({c} <> ROUND({c}, {}))", scale_of(canon)),
    }
}

/// The scale a column compared as `canon` is rounded to (0 unless `canon` is a decimal that
/// keeps one).
fn scale_of(canon: &Logical) -> u32 {
    canon.kept_scale().unwrap_or(0)
}

/// Which rule, if any, applies to source column `i` of `pair` copied into `target`, under
/// `policy` (the same decisions as [`crate::data::Cell::convert`]).
fn rule_for(pair: &TablePair, i: usize, target: Engine, policy: &ConversionPolicy) -> Option<Rule> {
    let source = &pair.source.columns[i];
    let to = &pair.target.columns[i];
    match (&source.logical, &to.logical) {
        (Logical::Date | Logical::Timestamp { .. }, _)
            if pair.source.engine == Engine::Mysql
                && target == Engine::Postgres
                && policy.zero_dates == ZeroDates::Null =>
        {
            Some(Rule::ZeroDateToNull)
        }
        (Logical::Decimal { .. }, _)
            if Logical::rounds_to(&source.logical, &to.logical).is_some() =>
        {
            Some(Rule::RoundedToScale)
        }
        (Logical::Bool | Logical::Int { .. }, Logical::Bool)
            if pair.source.engine != Engine::Postgres
                && policy.non_binary_booleans == NonBinaryBooleans::True =>
        {
            Some(Rule::NonBinaryToTrue)
        }
        _ => None,
    }
}

/// The rule applying to each column of `pair`'s source, under `policy`, for a `target` engine
/// (`None` where none does): what [`count_value`] is given per column while a reader sees the
/// values anyway, so that no separate scan is needed.
pub fn rules(pair: &TablePair, target: Engine, policy: &ConversionPolicy) -> Vec<Option<Rule>> {
    (0..pair.source.columns.len())
        .map(|i| rule_for(pair, i, target, policy))
        .collect()
}

/// Whether `rule` changes `cell` (the condition [`count`] evaluates in SQL, on a value read):
/// a zero or partial date (`0000-00-00`, a zero month or day), an integer other than 0 and 1.
pub fn count_value(rule: Rule, cell: &Cell, canon: &Logical) -> bool {
    match (rule, cell) {
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

/// The report entries of per-column counts (by source column, as [`rules`] lists them); columns
/// with no value converted are left out, as [`count`] leaves them.
pub fn tally(pair: &TablePair, rules: &[Option<Rule>], counts: &[u64]) -> Vec<Converted> {
    rules
        .iter()
        .zip(counts)
        .enumerate()
        .filter_map(|(i, (rule, &count))| {
            let rule = (*rule)?;
            (count > 0).then(|| Converted {
                column: pair.source.columns[i].name.clone(),
                rule,
                count,
                example_keys: Vec::new(),
            })
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
    let ruled: Vec<(usize, Rule)> = (0..pair.source.columns.len())
        .filter_map(|i| rule_for(pair, i, target, policy).map(|r| (i, r)))
        .collect();
    if ruled.is_empty() {
        return Ok(Vec::new());
    }
    let sums: Vec<String> = ruled
        .iter()
        .map(|&(i, rule)| {
            let c = pair.source.columns[i].reference(source.engine);
            format!(
                "CAST(COALESCE(SUM(CASE WHEN {} THEN 1 ELSE 0 END), 0) AS CHAR)",
                condition(rule, &c, &pair.canon[i])
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
