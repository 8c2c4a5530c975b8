//! User invariants: an SQL query per side (usually an aggregate, e.g. total payment amount by
//! month) whose result sets must be equal. Each value is compared in canonical form (numbers
//! without trailing fractional zeros, so `10.50` and `10.5` agree), and rows are compared as
//! sorted sets, so the queries need no `ORDER BY`.
//!
//! The queries run over the simple-query protocol (`sqlx::raw_sql`), where PostgreSQL and MySQL
//! send every value as text, so any result type (numeric, date, interval) is read without a
//! decoder for it.

use sqlx::{Row, TypeInfo, ValueRef};

use super::report::InvariantReport;
use crate::db::{Database, DbError, Pool};

pub use crate::project::settings::Invariant;

/// One value, canonical: numbers as decimals without trailing fractional zeros.
fn canonical(text: Option<String>) -> Option<String> {
    let text = text?;
    let t = text.trim();
    let numeric = !t.is_empty()
        && t.trim_start_matches(['-', '+'])
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.')
        && t.chars().filter(|c| *c == '.').count() <= 1
        && t.chars().any(|c| c.is_ascii_digit());
    if !numeric {
        return Some(text);
    }
    let negative = t.starts_with('-');
    let digits = t.trim_start_matches(['-', '+']);
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
    Some(if negative && digits != "0" {
        format!("-{digits}")
    } else {
        digits
    })
}

type Rows = Vec<Vec<Option<String>>>;

async fn run(db: &Database, sql: &str) -> Result<Rows, DbError> {
    let err = |e| db.query_error("running an invariant", e);
    let rows: Rows = match &db.pool {
        Pool::Postgres(p) => sqlx::raw_sql(sql)
            .fetch_all(p)
            .await
            .map_err(err)?
            .iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| r.try_get_unchecked::<Option<String>, _>(i))
                    .collect()
            })
            .collect::<Result<_, _>>()
            .map_err(err)?,
        Pool::Mysql(p) => sqlx::raw_sql(sql)
            .fetch_all(p)
            .await
            .map_err(err)?
            .iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| {
                        r.try_get_unchecked::<Option<Vec<u8>>, _>(i)
                            .map(|v| v.map(|b| String::from_utf8_lossy(&b).into_owned()))
                    })
                    .collect()
            })
            .collect::<Result<_, _>>()
            .map_err(err)?,
        Pool::Sqlite(p) => sqlx::raw_sql(sql)
            .fetch_all(p)
            .await
            .map_err(err)?
            .iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| {
                        let raw = r.try_get_raw(i)?;
                        if raw.is_null() {
                            return Ok(None);
                        }
                        let class = raw.type_info().name().to_owned();
                        Ok(Some(match class.as_str() {
                            "INTEGER" => r.try_get_unchecked::<i64, _>(i)?.to_string(),
                            "REAL" => r.try_get_unchecked::<f64, _>(i)?.to_string(),
                            _ => r.try_get_unchecked::<String, _>(i)?,
                        }))
                    })
                    .collect()
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(err)?,
    };
    let mut rows: Rows = rows
        .into_iter()
        .map(|r| r.into_iter().map(canonical).collect())
        .collect();
    rows.sort();
    Ok(rows)
}

fn show(row: Option<&Vec<Option<String>>>) -> String {
    row.map_or_else(
        || "(no row)".to_owned(),
        |r| {
            r.iter()
                .map(|v| v.as_deref().unwrap_or("NULL"))
                .collect::<Vec<_>>()
                .join(", ")
        },
    )
}

/// Runs `invariant` on both sides and compares the results.
pub async fn check(
    source: &Database,
    target: &Database,
    invariant: &Invariant,
    show_n: usize,
) -> InvariantReport {
    let (s, t) = tokio::join!(
        run(source, &invariant.source_sql),
        run(target, &invariant.target_sql)
    );
    let mut report = InvariantReport {
        name: invariant.name.clone(),
        equal: false,
        source_rows: 0,
        target_rows: 0,
        first: Vec::new(),
        error: None,
    };
    let (s, t) = match (s, t) {
        (Ok(s), Ok(t)) => (s, t),
        (Err(e), _) | (_, Err(e)) => {
            report.error = Some(e.to_string());
            return report;
        }
    };
    report.source_rows = s.len();
    report.target_rows = t.len();
    report.equal = s == t;
    for i in 0..s.len().max(t.len()) {
        if report.first.len() >= show_n {
            break;
        }
        if s.get(i) != t.get(i) {
            report
                .first
                .push(format!("{} | {}", show(s.get(i)), show(t.get(i))));
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_by_value() {
        assert_eq!(canonical(Some("10.50".into())), Some("10.5".into()));
        assert_eq!(canonical(Some("010".into())), Some("10".into()));
        assert_eq!(canonical(Some("-0.00".into())), Some("0".into()));
        assert_eq!(canonical(Some("2022-01".into())), Some("2022-01".into()));
        assert_eq!(canonical(None), None);
    }
}
