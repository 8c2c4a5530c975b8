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

    /// `(k1 > v1) OR (k1 = v1 AND k2 > v2) …`, with `>=` on the last column when inclusive.
    fn compare(&mut self, values: &[Cell], greater: bool, inclusive: bool) -> String {
        let n = values.len().min(self.keys.len());
        let mut disjuncts = Vec::with_capacity(n);
        for i in 0..n {
            let mut conjuncts = Vec::with_capacity(i + 1);
            for (j, value) in values.iter().enumerate().take(i) {
                let col = quote::ident(self.engine, &self.keys[j].name);
                let p = self.placeholder(j, value);
                conjuncts.push(format!("{col} = {p}"));
            }
            let col = quote::ident(self.engine, &self.keys[i].name);
            let op = match (greater, inclusive && i == n - 1) {
                (true, false) => ">",
                (true, true) => ">=",
                (false, false) => "<",
                (false, true) => "<=",
            };
            let p = self.placeholder(i, &values[i]);
            conjuncts.push(format!("{col} {op} {p}"));
            disjuncts.push(format!("({})", conjuncts.join(" AND ")));
        }
        format!("({})", disjuncts.join(" OR "))
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
        parts.push(b.compare(after, true, false));
    }
    if let Some(upto) = upto {
        parts.push(b.compare(upto, false, true));
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

/// `ORDER BY` over the key columns.
pub fn order_by(engine: Engine, keys: &[KeyColumn]) -> String {
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
        let f = range(
            Engine::Postgres,
            &keys,
            Some(&[Cell::Int(1), Cell::Text("2020-01-01".into())]),
            None,
            1,
        );
        assert_eq!(
            f.sql,
            "WHERE ((\"a\" > CAST($1 AS integer)) OR (\"a\" = CAST($2 AS integer) AND \"b\" > CAST($3 AS date)))"
        );
        assert_eq!(f.binds.len(), 3);
        let f = range(
            Engine::Mysql,
            &keys[..1],
            Some(&[Cell::Int(1)]),
            Some(&[Cell::Int(9)]),
            1,
        );
        assert_eq!(f.sql, "WHERE ((`a` > ?)) AND ((`a` <= ?))");
    }
}
