//! Identifier quoting per dialect. Every table and column name that reaches SQL text goes
//! through here; values never do (they are bound).

use crate::import::Engine;
use crate::inventory::QualifiedName;

/// `name` as a quoted identifier: `"…"` with `"` doubled (PostgreSQL, SQLite; SQL:2016 §5.2),
/// `` `…` `` with `` ` `` doubled (MySQL). NUL, which no engine accepts in a name, is dropped.
pub fn ident(engine: Engine, name: &str) -> String {
    let name: String = name.chars().filter(|c| *c != '\0').collect();
    match engine {
        Engine::Mysql => format!("`{}`", name.replace('`', "``")),
        Engine::Postgres | Engine::Sqlite => format!("\"{}\"", name.replace('"', "\"\"")),
    }
}

/// A schema-qualified table name, quoted. SQLite has no schemas here: the name alone is used.
pub fn table(engine: Engine, name: &QualifiedName) -> String {
    match (&name.schema, engine) {
        (Some(schema), Engine::Postgres | Engine::Mysql) => {
            format!("{}.{}", ident(engine, schema), ident(engine, &name.name))
        }
        _ => ident(engine, &name.name),
    }
}

/// A comma-separated list of quoted column names.
pub fn columns<'a>(engine: Engine, names: impl IntoIterator<Item = &'a str>) -> String {
    names
        .into_iter()
        .map(|n| ident(engine, n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The table options every table Migration Studio creates on `engine` ends with: on MySQL and
/// MariaDB the `utf8mb4` character set, so any text (4-byte UTF-8 included) fits whatever the
/// database's default is (`latin1` in MariaDB before 11.6, and on many older servers; MariaDB
/// KB "Setting Character Sets and Collations"); nothing on the other engines, whose text is
/// the database's encoding.
pub fn created_table_options(engine: Engine) -> &'static str {
    match engine {
        Engine::Mysql => " DEFAULT CHARSET=utf8mb4",
        Engine::Postgres | Engine::Sqlite => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_stay_identifiers() {
        assert_eq!(
            ident(Engine::Postgres, "a\"; DROP TABLE x; --"),
            "\"a\"\"; DROP TABLE x; --\""
        );
        assert_eq!(
            ident(Engine::Mysql, "a`; DROP TABLE x; --"),
            "`a``; DROP TABLE x; --`"
        );
        assert_eq!(ident(Engine::Sqlite, "bıgınt"), "\"bıgınt\"");
        assert_eq!(ident(Engine::Postgres, "a\0b"), "\"ab\"");
    }
}
