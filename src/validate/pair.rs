//! Matching a source table with its target table: by name, columns by name (both compared
//! case-insensitively, since engines fold names differently), the source's primary key used on
//! both sides, and for each column pair the logical type both values are normalised as.

use crate::data::types::Logical;
use crate::data::TableSpec;
use crate::import::Engine;
use crate::inventory::{Inventory, Table};
use crate::mapping::{MappingSpec, TableMapping};

use super::report::ColumnMatch;

/// Two tables to compare, projected to their common columns in the same order.
#[derive(Debug, Clone)]
pub struct TablePair {
    /// Source read plan (common columns only, source order).
    pub source: TableSpec,
    /// Target read plan (the same columns, same order).
    pub target: TableSpec,
    /// Per column, the type both sides are normalised as (see [`common`]).
    pub canon: Vec<Logical>,
    /// Whether the target enforces uniqueness of the key (a primary or unique key on exactly
    /// those columns). When it does not, target reads must keep repeated keys together.
    pub target_key_unique: bool,
    /// Which columns were compared.
    pub columns: ColumnMatch,
    /// The source table as inventoried (for constraint checks).
    pub source_table: Table,
    /// The target table as inventoried.
    pub target_table: Table,
}

impl TablePair {
    /// Source table name for reports.
    pub fn name(&self) -> String {
        self.source.name.to_string()
    }

    /// The leading key column's comparison type is an integer: segments can be computed by
    /// arithmetic on it (bisection), and samples drawn as random points.
    pub fn integer_leading_key(&self) -> bool {
        matches!(
            self.canon[self.source.key[0]],
            Logical::Int { .. } | Logical::Year
        )
    }
}

/// The type a source column of type `a` and its target column of type `b` are compared as,
/// when their declared types differ (e.g. SQLite `NUMERIC` and MySQL `decimal(10,2)`, MySQL
/// `tinyint(1)` and PostgreSQL `boolean`; a decimal cast to a smaller scale is compared at the
/// target's scale, [`crate::data::Rule::RoundedToScale`]).
pub fn common(a: &Logical, b: &Logical) -> Logical {
    use Logical::*;
    if a == b {
        // Compared at every digit: a rounding is only ever a stated rule's (below), never a
        // side effect of a declared scale the source may not enforce (SQLite).
        return match a {
            Decimal { precision, .. } => Decimal {
                precision: *precision,
                scale: None,
            },
            Timestamp { tz, .. } => Timestamp {
                tz: *tz,
                fraction: 6,
            },
            Time { .. } => Time { fraction: 6 },
            _ => a.clone(),
        };
    }
    // A source decimal the copy rounds to the target's scale (rule C004) is compared rounded
    // to it (a decimal canon's `scale` is the rounding; `None`, every digit); a target that
    // keeps more decimals than the source compares every digit.
    if let Some(scale) = Logical::rounds_to(a, b) {
        return Decimal {
            precision: None,
            scale: Some(scale),
        };
    }
    match (a, b) {
        (Bool, Int { .. }) | (Int { .. }, Bool) => Bool,
        // MySQL `BIGINT UNSIGNED` lands in `numeric(20)`: integers on both sides, which must
        // order as numbers (as text, 18446744073709551615 sorts before 9…).
        (
            Int { .. },
            Decimal {
                precision: Some(_),
                scale: None | Some(0),
            },
        )
        | (
            Decimal {
                precision: Some(_),
                scale: None | Some(0),
            },
            Int { .. },
        ) => Int {
            bits: 64,
            unsigned: false,
        },
        (Float { bits: x }, Float { bits: y }) => Float { bits: (*x).min(*y) },
        (Float { bits }, Int { .. } | Decimal { .. })
        | (Int { .. } | Decimal { .. }, Float { bits }) => Float { bits: *bits },
        (Decimal { .. }, Int { .. } | Decimal { .. }) | (Int { .. }, Decimal { .. }) => Decimal {
            precision: None,
            scale: None,
        },
        (Int { .. } | Year, Int { .. } | Year) => Int {
            bits: 64,
            unsigned: false,
        },
        // Compared at the target's digits when the copy rounds to them (rule C005), else at
        // every digit: a fraction the source never had is a difference.
        (Timestamp { tz: x, fraction: f }, Timestamp { tz: y, fraction: t }) => Timestamp {
            tz: *x || *y,
            fraction: if f > t { *t } else { 6 },
        },
        (Timestamp { tz, .. }, Date) | (Date, Timestamp { tz, .. }) => Timestamp {
            tz: *tz,
            fraction: 6,
        },
        (Time { fraction: f }, Time { fraction: t }) => Time {
            fraction: if f > t { *t } else { 6 },
        },
        (Bytes, _) | (_, Bytes) => Bytes,
        (Date, _) | (_, Date) => Date,
        (Time { .. }, _) | (_, Time { .. }) => Time { fraction: 6 },
        (Timestamp { tz, .. }, _) | (_, Timestamp { tz, .. }) => Timestamp {
            tz: *tz,
            fraction: 6,
        },
        _ => Text { max_len: None },
    }
}

/// Finds the target table for `source` by name: same schema name first, then any schema.
pub fn find_target<'a>(target: &'a Inventory, source: &Table) -> Option<&'a Table> {
    find_target_named(target, source, None, &source.name.name)
}

/// [`find_target`] of a table the target calls `name`.
/// The target table `name`: in `schema` when the spec moved the table into one (and nowhere
/// else), else preferably in the source table's schema.
fn find_target_named<'a>(
    target: &'a Inventory,
    source: &Table,
    schema: Option<&str>,
    name: &str,
) -> Option<&'a Table> {
    let candidates: Vec<&Table> = target
        .tables
        .iter()
        .filter(|t| t.partition_of.is_none())
        .filter(|t| t.name.name.eq_ignore_ascii_case(name))
        .collect();
    let in_schema = |t: &&&Table, want: Option<&str>| match (&t.name.schema, want) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        _ => false,
    };
    if schema.is_some() {
        return candidates.iter().find(|t| in_schema(t, schema)).copied();
    }
    candidates
        .iter()
        .find(|t| in_schema(t, source.name.schema.as_deref()))
        .or_else(|| candidates.first())
        .copied()
}

/// Why two tables cannot be compared row by row.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PairError {
    /// The source table has no primary key.
    #[error("the source table has no primary key, so rows cannot be matched by key")]
    NoKey,
    /// A source key column has no target column of the same name.
    #[error("key column {0} is not in the target table")]
    KeyNotInTarget(String),
    /// No column is common to both tables.
    #[error("no column of the source table is in the target table")]
    NoCommonColumn,
}

/// One target table of a source table ([`resolve`]): the target name looked for, and the
/// table found with the pair, `None` when the target has no such table.
pub type Resolved<'a> = (String, Option<(&'a Table, Result<TablePair, PairError>)>);

/// The target tables of `source` and their pairs: through the mapping spec's rule of the
/// table when `mapping` is given (its table and column renames, computed columns, NULL
/// defaults; the columns it drops are not compared; its computed columns only with
/// `computed`), else by name. One entry per target table: a table the spec splits has one per
/// table of the split, main first ([`TableMapping::mapped_parts`]). Each entry is the target
/// name looked for, and `None` when the target has no such table.
pub fn resolve<'a>(
    source_engine: Engine,
    source: &Table,
    target_engine: Engine,
    target: &'a Inventory,
    mapping: Option<(&MappingSpec, bool)>,
) -> Vec<Resolved<'a>> {
    let Some((spec, computed)) = mapping else {
        let found = find_target(target, source)
            .map(|table| (table, pair(source_engine, source, target_engine, table)));
        return vec![(source.name.name.clone(), found)];
    };
    let rule = spec.table(source);
    TableMapping::mapped_parts(source_engine, target_engine, source, None, rule)
        .into_iter()
        .map(|(mut mapped, mut read)| {
            if !computed {
                // A merged table's stored columns are stored values too, read in by key.
                mapped.retain_columns(&mut read, |c| match c.merged_from {
                    Some(m) => !m.computed,
                    None => c.derived.is_none(),
                });
            }
            // The schema the spec moves the table (or this table of its split) into.
            let moved = rule.and_then(|r| {
                let part = r
                    .parts
                    .iter()
                    .find(|p| mapped.split_from.is_some() && p.target == mapped.target.name);
                part.and_then(|p| p.target_schema.as_deref())
                    .or(r.target_schema.as_deref())
            });
            let wanted = mapped.target.name.clone();
            let found = find_target_named(target, source, moved, &wanted).map(|table| {
                (
                    table,
                    pair_mapped(source_engine, &mapped, &read, source, target_engine, table),
                )
            });
            (wanted, found)
        })
        .collect()
}

/// Pairs the source side as `mapped` reads it (`read`) with `target`.
fn pair_mapped(
    source_engine: Engine,
    mapped: &TableMapping,
    read: &Table,
    source: &Table,
    target_engine: Engine,
    target: &Table,
) -> Result<TablePair, PairError> {
    let names: Vec<String> = mapped
        .columns
        .iter()
        .map(|c| c.target_name.clone())
        .collect();
    let exprs: Vec<Option<String>> = mapped
        .columns
        .iter()
        .map(|c| {
            let value = c.source_sql(source_engine);
            // The backfill writes the spec's value in place of a NULL (rule C003).
            match c
                .null_cell
                .as_ref()
                .and_then(|cell| crate::mapping::expr::cell_sql(cell, source_engine))
            {
                Some(default) => Some(format!("COALESCE({value}, {default})")),
                None => c.derived.clone(),
            }
        })
        .collect();
    pair_columns(
        source_engine,
        read,
        &names,
        &exprs,
        source,
        target_engine,
        target,
    )
}

/// Pairs `source` (in a `source_engine` database) with `target`, columns by name.
///
/// # Errors
/// [`PairError`] when rows cannot be matched by key.
pub fn pair(
    source_engine: Engine,
    source: &Table,
    target_engine: Engine,
    target: &Table,
) -> Result<TablePair, PairError> {
    let names: Vec<String> = source.columns.iter().map(|c| c.name.clone()).collect();
    let exprs = vec![None; names.len()];
    pair_columns(
        source_engine,
        source,
        &names,
        &exprs,
        source,
        target_engine,
        target,
    )
}

/// Pairs `read` (the source table as read: column `i` is target column `names[i]`, computed
/// by `exprs[i]` when given) with `target`; `source` is the table as inventoried.
fn pair_columns(
    source_engine: Engine,
    read: &Table,
    names: &[String],
    exprs: &[Option<String>],
    source: &Table,
    target_engine: Engine,
    target: &Table,
) -> Result<TablePair, PairError> {
    let keyless = read.primary_key.is_empty();
    let mut matched: Vec<(usize, usize)> = Vec::new();
    let mut columns = ColumnMatch::default();
    for (i, c) in read.columns.iter().enumerate() {
        match target
            .columns
            .iter()
            .position(|t| t.name.eq_ignore_ascii_case(&names[i]))
        {
            Some(j) => matched.push((i, j)),
            None => columns.source_only.push(c.name.clone()),
        }
    }
    columns.target_only = target
        .columns
        .iter()
        .filter(|t| !names.iter().any(|n| n.eq_ignore_ascii_case(&t.name)))
        .map(|t| t.name.clone())
        .collect();
    columns.compared = matched.len();
    if matched.is_empty() {
        return Err(PairError::NoCommonColumn);
    }
    let target_key: Vec<String> = read
        .primary_key
        .iter()
        .map(|k| {
            read.columns
                .iter()
                .position(|c| &c.name == k)
                .and_then(|i| target.column(&names[i]))
                .map(|c| c.name.clone())
                .ok_or_else(|| PairError::KeyNotInTarget(k.clone()))
        })
        .collect::<Result<_, _>>()?;
    let same_set = |cols: &[String]| {
        cols.len() == target_key.len()
            && cols
                .iter()
                .all(|c| target_key.iter().any(|k| k.eq_ignore_ascii_case(c)))
    };
    let target_key_unique =
        same_set(&target.primary_key) || target.unique_keys.iter().any(|u| same_set(u));

    // Project both tables to the common columns, in source order, keyed by the source's key.
    let project = |table: &Table, picks: Vec<usize>, key: &[String]| {
        let mut t = table.clone();
        t.columns = picks.iter().map(|&i| table.columns[i].clone()).collect();
        t.primary_key = key.to_vec();
        t
    };
    let src = project(
        read,
        matched.iter().map(|m| m.0).collect(),
        &read.primary_key,
    );
    let tgt = project(target, matched.iter().map(|m| m.1).collect(), &target_key);
    // Without a key, rows are compared as a multiset (`super::multiset`).
    let (mut source_spec, target_spec) = if keyless {
        (
            TableSpec::keyless(source_engine, &src),
            TableSpec::keyless(target_engine, &tgt),
        )
    } else {
        (
            TableSpec::new(source_engine, &src).map_err(|_| PairError::NoKey)?,
            TableSpec::new(target_engine, &tgt)
                .map_err(|_| PairError::KeyNotInTarget(target_key.join(", ")))?,
        )
    };
    for (column, &(i, _)) in source_spec.columns.iter_mut().zip(&matched) {
        column.expr = exprs[i].clone();
    }
    let canon = source_spec
        .columns
        .iter()
        .zip(&target_spec.columns)
        .map(|(s, t)| common(&s.logical, &t.logical))
        .collect();
    Ok(TablePair {
        source: source_spec,
        target: target_spec,
        canon,
        target_key_unique,
        columns,
        source_table: source.clone(),
        target_table: target.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_types() {
        let dec = Logical::Decimal {
            precision: Some(10),
            scale: Some(2),
        };
        let int = Logical::Int {
            bits: 32,
            unsigned: false,
        };
        assert!(matches!(common(&dec, &int), Logical::Decimal { .. }));
        assert_eq!(common(&Logical::Bool, &int), Logical::Bool);
        assert_eq!(
            common(
                &Logical::Date,
                &Logical::Timestamp {
                    tz: false,
                    fraction: 0
                }
            ),
            Logical::Timestamp {
                tz: false,
                fraction: 6
            }
        );
        assert_eq!(
            common(
                &Logical::Text { max_len: Some(3) },
                &Logical::Enum(vec!["a".into()])
            ),
            Logical::Text { max_len: None }
        );
    }
}
