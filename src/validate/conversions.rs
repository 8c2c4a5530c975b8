//! The stated conversions ([`crate::data::rules`]) seen from the source: how many values of
//! each column a rule changes on the way to the target. Comparison treats such values as equal
//! to what the rule makes of them; these counts are what makes that visible rather than silent.

use crate::data::rules::{ConversionPolicy, NonBinaryBooleans, ZeroDates};
use crate::data::{Converted, Logical, Rule};
use crate::db::{quote, Database, DbError};
use crate::import::Engine;

use super::pair::TablePair;

/// The source SQL condition under which `rule` changes a value of column `c` (quoted).
fn condition(rule: Rule, c: &str) -> String {
    match rule {
        Rule::ZeroDateToNull => {
            format!("(YEAR({c}) = 0 OR MONTH({c}) = 0 OR DAYOFMONTH({c}) = 0)")
        }
        Rule::NonBinaryToTrue => format!("({c} NOT IN (0, 1))"),
        Rule::NullDefault => format!("({c} IS NULL)"),
    }
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
        (Logical::Bool | Logical::Int { .. }, Logical::Bool)
            if pair.source.engine != Engine::Postgres
                && policy.non_binary_booleans == NonBinaryBooleans::True =>
        {
            Some(Rule::NonBinaryToTrue)
        }
        _ => None,
    }
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
            let c = quote::ident(source.engine, &pair.source.columns[i].name);
            format!(
                "CAST(COALESCE(SUM(CASE WHEN {} THEN 1 ELSE 0 END), 0) AS CHAR)",
                condition(rule, &c)
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
