//! Keyset pagination predicates (Winand, "Use The Index, Luke", ch. "Paging Through Results"):
//! a chunk is `WHERE key > :last ORDER BY key LIMIT n`, never `OFFSET`, so each chunk costs one
//! index range scan however deep into the table it is. Composite keys are expanded to
//! `(a > :a) OR (a = :a AND b > :b) …`, which every engine's optimiser turns into a range.

use crate::db::quote;
use crate::import::Engine;

use super::cell::Cell;

/// SQL text with its bound values, in placeholder order.
#[derive(Debug, Clone, Default)]
pub struct Fragment {
    /// SQL text with placeholders (`$n` for PostgreSQL, `?` otherwise).
    pub sql: String,
    /// Values for the placeholders, in order.
    pub binds: Vec<Cell>,
}

/// A key column: its name and, for PostgreSQL, the type its bound value is cast to.
#[derive(Debug, Clone)]
pub struct KeyColumn {
    /// Column name.
    pub name: String,
    /// Declared type as the catalog reports it (PostgreSQL casts placeholders to it, because
    /// key values travel as text or int8 and `date > text` has no operator).
    pub declared: String,
}

struct Builder<'a> {
    engine: Engine,
    binds: Vec<Cell>,
    keys: &'a [KeyColumn],
    first_placeholder: usize,
}

impl Builder<'_> {
    fn placeholder(&mut self, column: usize, value: &Cell) -> String {
        self.binds.push(value.clone());
        match self.engine {
            Engine::Postgres => format!(
                "CAST(${} AS {})",
                self.first_placeholder + self.binds.len() - 1,
                self.keys[column].declared
            ),
            Engine::Mysql | Engine::Sqlite => "?".to_owned(),
        }
    }

    /// Keys strictly after (`greater`) or up to and including (`!greater`) `values`.
    ///
    /// PostgreSQL and SQLite compare row values, `(k1, k2) > ($1, $2)`, which their planners
    /// turn into one index range. MySQL/MariaDB do not range-optimise row comparisons, so the
    /// predicate is nested as `k1 >= v1 AND (k1 > v1 OR (k2 > v2))`, whose leading `k1 >= v1`
    /// is the index range and the rest a filter on its first rows.
    fn compare(&mut self, values: &[Cell], greater: bool) -> String {
        let n = values.len().min(self.keys.len());
        if n == 1 || self.engine != Engine::Mysql {
            let op = if greater { ">" } else { "<=" };
            let cols: Vec<String> = (0..n)
                .map(|i| quote::ident(self.engine, &self.keys[i].name))
                .collect();
            let params: Vec<String> = (0..n).map(|i| self.placeholder(i, &values[i])).collect();
            return if n == 1 {
                format!("{} {op} {}", cols[0], params[0])
            } else {
                format!("({}) {op} ({})", cols.join(", "), params.join(", "))
            };
        }
        self.nested(values, greater, 0)
    }

    fn nested(&mut self, values: &[Cell], greater: bool, i: usize) -> String {
        let col = quote::ident(self.engine, &self.keys[i].name);
        if i + 1 == values.len().min(self.keys.len()) {
            let p = self.placeholder(i, &values[i]);
            return format!("{col} {} {p}", if greater { ">" } else { "<=" });
        }
        let (wide, strict) = if greater { (">=", ">") } else { ("<=", "<") };
        let p1 = self.placeholder(i, &values[i]);
        let p2 = self.placeholder(i, &values[i]);
        let rest = self.nested(values, greater, i + 1);
        format!("{col} {wide} {p1} AND ({col} {strict} {p2} OR ({rest}))")
    }
}

/// `WHERE` clause for keys in `(after, upto]` (either bound optional), numbering PostgreSQL
/// placeholders from `first_placeholder` (1 for a standalone query). Empty SQL when unbounded.
pub fn range(
    engine: Engine,
    keys: &[KeyColumn],
    after: Option<&[Cell]>,
    upto: Option<&[Cell]>,
    first_placeholder: usize,
) -> Fragment {
    let mut b = Builder {
        engine,
        binds: Vec::new(),
        keys,
        first_placeholder,
    };
    let mut parts = Vec::new();
    if let Some(after) = after {
        parts.push(b.compare(after, true));
    }
    if let Some(upto) = upto {
        parts.push(b.compare(upto, false));
    }
    Fragment {
        sql: if parts.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", parts.join(" AND "))
        },
        binds: b.binds,
    }
}

/// `WHERE k1 = v1 AND k2 = v2 …` for one key, numbering PostgreSQL placeholders from
/// `first_placeholder`.
pub fn equals(
    engine: Engine,
    keys: &[KeyColumn],
    values: &[Cell],
    first_placeholder: usize,
) -> Fragment {
    let mut b = Builder {
        engine,
        binds: Vec::new(),
        keys,
        first_placeholder,
    };
    let parts: Vec<String> = values
        .iter()
        .enumerate()
        .take(keys.len())
        .map(|(i, v)| {
            let p = b.placeholder(i, v);
            format!("{} = {p}", quote::ident(engine, &keys[i].name))
        })
        .collect();
    Fragment {
        sql: format!("WHERE {}", parts.join(" AND ")),
        binds: b.binds,
    }
}

/// `WHERE` the key is one of `values` (each a whole key, in key column order), numbering
/// PostgreSQL placeholders from `first_placeholder`: `k IN (…)` for a one-column key,
/// `(k1 = v1 AND k2 = v2) OR …` for a composite one, which every engine's optimiser turns into
/// one index point lookup per key (MariaDB does not range-optimise a row-value `IN`). With no
/// values, a predicate that is never true.
pub fn any_of(
    engine: Engine,
    keys: &[KeyColumn],
    values: &[Vec<Cell>],
    first_placeholder: usize,
) -> Fragment {
    if values.is_empty() {
        return Fragment {
            sql: "WHERE 1 = 0".to_owned(),
            binds: Vec::new(),
        };
    }
    let mut b = Builder {
        engine,
        binds: Vec::new(),
        keys,
        first_placeholder,
    };
    let sql = if keys.len() == 1 {
        let params: Vec<String> = values.iter().map(|v| b.placeholder(0, &v[0])).collect();
        format!(
            "WHERE {} IN ({})",
            quote::ident(engine, &keys[0].name),
            params.join(", ")
        )
    } else {
        let each: Vec<String> = values
            .iter()
            .map(|v| {
                let parts: Vec<String> = v
                    .iter()
                    .enumerate()
                    .take(keys.len())
                    .map(|(i, c)| {
                        let p = b.placeholder(i, c);
                        format!("{} = {p}", quote::ident(engine, &keys[i].name))
                    })
                    .collect();
                format!("({})", parts.join(" AND "))
            })
            .collect();
        format!("WHERE {}", each.join(" OR "))
    };
    Fragment {
        sql,
        binds: b.binds,
    }
}

/// [`any_of`] for PostgreSQL as one bound value: `WHERE (k1, k2) IN (SELECT CAST(k->>0 AS
/// t1), CAST(k->>1 AS t2) FROM jsonb_array_elements(CAST($n AS jsonb)) AS k)`, the keys a JSON
/// array of arrays. A thousand-key `OR` list costs PostgreSQL more to plan than to run (and
/// two thousand bound values to parse); this is one value and a join. Values travel as JSON
/// numbers, strings (dates as `YYYY-MM-DD`, bytes as `\x` hex, as `bytea`'s input reads
/// them), booleans and null (which matches nothing, as `=` would).
pub fn any_of_json(keys: &[KeyColumn], values: &[Vec<Cell>], first_placeholder: usize) -> Fragment {
    let json = serde_json::Value::Array(
        values
            .iter()
            .map(|key| {
                serde_json::Value::Array(
                    key.iter()
                        .take(keys.len())
                        .map(|c| match c {
                            Cell::Null => serde_json::Value::Null,
                            Cell::Int(i) => (*i).into(),
                            Cell::UInt(u) => (*u).into(),
                            Cell::Float(f) => (*f).into(),
                            Cell::Bool(b) => (*b).into(),
                            Cell::Date(d) => crate::data::cell::date_string(*d).into(),
                            Cell::Text(t) => t.clone().into(),
                            Cell::Bytes(b) => {
                                let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
                                format!("\\x{hex}").into()
                            }
                        })
                        .collect(),
                )
            })
            .collect(),
    );
    let columns = quote::columns(Engine::Postgres, keys.iter().map(|k| k.name.as_str()));
    let picks: Vec<String> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| format!("CAST(_ms_k->>{i} AS {})", k.declared))
        .collect();
    Fragment {
        sql: format!(
            "WHERE ({columns}) IN (SELECT {} FROM jsonb_array_elements(CAST(${first_placeholder} AS jsonb)) AS _ms_k)",
            picks.join(", ")
        ),
        binds: vec![Cell::Text(json.to_string())],
    }
}

/// `ORDER BY` over the key columns; empty for no key (a table read whole).
pub fn order_by(engine: Engine, keys: &[KeyColumn]) -> String {
    if keys.is_empty() {
        return String::new();
    }
    format!(
        "ORDER BY {}",
        quote::columns(engine, keys.iter().map(|k| k.name.as_str()))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composite_keyset_expands() {
        let keys = [
            KeyColumn {
                name: "a".into(),
                declared: "integer".into(),
            },
            KeyColumn {
                name: "b".into(),
                declared: "date".into(),
            },
        ];
        let after = [Cell::Int(1), Cell::Text("2020-01-01".into())];
        let f = range(Engine::Postgres, &keys, Some(&after), None, 1);
        assert_eq!(
            f.sql,
            "WHERE (\"a\", \"b\") > (CAST($1 AS integer), CAST($2 AS date))"
        );
        assert_eq!(f.binds.len(), 2);
        let f = range(Engine::Mysql, &keys, Some(&after), Some(&after), 1);
        assert_eq!(
            f.sql,
            "WHERE `a` >= ? AND (`a` > ? OR (`b` > ?)) AND `a` <= ? AND (`a` < ? OR (`b` <= ?))"
        );
        assert_eq!(f.binds.len(), 6);
        let f = range(
            Engine::Mysql,
            &keys[..1],
            Some(&[Cell::Int(1)]),
            Some(&[Cell::Int(9)]),
            1,
        );
        assert_eq!(f.sql, "WHERE `a` > ? AND `a` <= ?");
    }

    #[test]
    fn key_lists_are_in_lists_or_ors_of_equalities() {
        let keys = [
            KeyColumn {
                name: "a".into(),
                declared: "integer".into(),
            },
            KeyColumn {
                name: "b".into(),
                declared: "date".into(),
            },
        ];
        let two = [
            vec![Cell::Int(1), Cell::Text("2020-01-01".into())],
            vec![Cell::Int(2), Cell::Text("2020-01-02".into())],
        ];
        let f = any_of(Engine::Postgres, &keys, &two, 3);
        assert_eq!(
            f.sql,
            "WHERE (\"a\" = CAST($3 AS integer) AND \"b\" = CAST($4 AS date)) OR (\"a\" = CAST($5 AS integer) AND \"b\" = CAST($6 AS date))"
        );
        assert_eq!(f.binds.len(), 4);
        let f = any_of(
            Engine::Mysql,
            &keys[..1],
            &[vec![Cell::Int(1)], vec![Cell::Int(2)]],
            1,
        );
        assert_eq!(f.sql, "WHERE `a` IN (?, ?)");
        assert_eq!(any_of(Engine::Mysql, &keys, &[], 1).sql, "WHERE 1 = 0");
    }
}
