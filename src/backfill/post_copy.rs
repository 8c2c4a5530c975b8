//! What a copy creates after its rows are in: secondary indexes, then foreign keys. Each is an
//! object with a name, so it can be created only when missing (a resumed or repeated
//! `--post-copy` finds what a killed run already made), compared with what exists under its
//! name, and dropped before a `--restart` deletes rows the foreign keys would protect.

use serde::{Deserialize, Serialize};

use super::plan::PlannedTable;
use crate::data::{Cell, Logical};
use crate::db::{quote, Database, DbError};
use crate::import::Engine;
use crate::inventory::{Inventory, QualifiedName};

/// The kind of a post-copy object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostCopyKind {
    /// A secondary index (`unique` or not).
    Index {
        /// A unique index.
        unique: bool,
    },
    /// A foreign-key constraint.
    ForeignKey,
    /// A PostgreSQL `BEFORE UPDATE` trigger (and its function) doing what MySQL's `ON UPDATE`
    /// column option did; its columns are the columns it sets.
    Trigger,
}

/// One index or foreign key to create on a target table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostCopyObject {
    /// Index or foreign key.
    pub kind: PostCopyKind,
    /// The target table it is on.
    pub table: QualifiedName,
    /// Its name (unique in a PostgreSQL schema, per table in MySQL).
    pub name: String,
    /// Its columns on `table`, in order.
    pub columns: Vec<String>,
    /// The statement that creates it.
    pub sql: String,
}

/// What [`apply`] did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PostCopyOutcome {
    /// Objects created now.
    pub created: usize,
    /// Objects found already in place, as wanted (from an earlier, interrupted run).
    pub present: usize,
}

/// Why an object could not be put in place.
#[derive(Debug, thiserror::Error)]
pub enum PostCopyError {
    /// A database statement failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Something else already has the object's name.
    #[error("{table}: {name} exists on columns ({found}) but the copy wants it on ({wanted}); drop or rename it, then run --post-copy again")]
    Conflict {
        /// Target table.
        table: String,
        /// Object name.
        name: String,
        /// Columns it has.
        found: String,
        /// Columns the copy wants.
        wanted: String,
    },
}

impl PostCopyObject {
    /// Whether this is a foreign key.
    pub fn is_foreign_key(&self) -> bool {
        self.kind == PostCopyKind::ForeignKey
    }

    /// The `BEFORE UPDATE` trigger of `table` (a PostgreSQL target) setting each of `columns`
    /// to its expression when an update changes the row without setting the column itself,
    /// as MySQL's `ON UPDATE` does; `None` when no column has one.
    fn on_update_trigger(table: &QualifiedName, columns: &[(String, String)]) -> Option<Self> {
        if columns.is_empty() {
            return None;
        }
        let pg = Engine::Postgres;
        let mut name = format!("ms_on_update_{}", table.name);
        name.truncate(60);
        let function = quote::table(pg, &QualifiedName::new(table.schema.as_deref(), &name));
        let sets: String = columns
            .iter()
            .map(|(c, e)| {
                let c = quote::ident(pg, c);
                format!(
                    " IF NEW.{c} IS NOT DISTINCT FROM OLD.{c} AND to_jsonb(NEW) IS DISTINCT FROM to_jsonb(OLD) THEN NEW.{c} := {e}; END IF;"
                )
            })
            .collect();
        Some(Self {
            kind: PostCopyKind::Trigger,
            table: table.clone(),
            sql: format!(
                "CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $ms$ BEGIN{sets} RETURN NEW; END $ms$;\nCREATE TRIGGER {} BEFORE UPDATE ON {} FOR EACH ROW EXECUTE FUNCTION {function}()",
                quote::ident(pg, &name),
                quote::table(pg, table),
            ),
            name,
            columns: columns.iter().map(|(c, _)| c.clone()).collect(),
        })
    }

    /// The columns the object has on `db` under its name, comma-separated; `None` when
    /// nothing has its name.
    async fn existing_columns(&self, db: &Database) -> Result<Option<String>, DbError> {
        let schema = self.table.schema.clone().map_or(Cell::Null, Cell::Text);
        let table = Cell::Text(self.table.name.clone());
        let name = Cell::Text(self.name.clone());
        let (sql, binds) = match (db.engine, self.kind) {
            (Engine::Postgres, PostCopyKind::Index { .. }) => (
                "SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM pg_catalog.pg_index i \
                 JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid \
                 JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                 CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
                 JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum \
                 WHERE n.nspname = coalesce($1, current_schema()) AND c.relname = $3 \
                 AND i.indrelid = (SELECT t.oid FROM pg_catalog.pg_class t JOIN pg_catalog.pg_namespace tn \
                 ON tn.oid = t.relnamespace WHERE tn.nspname = coalesce($1, current_schema()) AND t.relname = $2)",
                vec![schema, table, name],
            ),
            (Engine::Postgres, PostCopyKind::ForeignKey) => (
                "SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM pg_catalog.pg_constraint con \
                 JOIN pg_catalog.pg_class t ON t.oid = con.conrelid \
                 JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace \
                 CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord) \
                 JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum \
                 WHERE con.contype = 'f' AND n.nspname = coalesce($1, current_schema()) \
                 AND t.relname = $2 AND con.conname = $3",
                vec![schema, table, name],
            ),
            (Engine::Mysql, PostCopyKind::Index { .. }) => (
                "SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX SEPARATOR ',') \
                 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) \
                 AND TABLE_NAME = ? AND INDEX_NAME = ?",
                vec![schema, table, name],
            ),
            (Engine::Mysql, PostCopyKind::ForeignKey) => (
                "SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION SEPARATOR ',') \
                 FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) \
                 AND TABLE_NAME = ? AND CONSTRAINT_NAME = ? AND REFERENCED_TABLE_NAME IS NOT NULL",
                vec![schema, table, name],
            ),
            (Engine::Postgres, PostCopyKind::Trigger) => (
                "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_trigger g \
                 JOIN pg_catalog.pg_class t ON t.oid = g.tgrelid \
                 JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace \
                 WHERE n.nspname = coalesce($1, current_schema()) AND t.relname = $2 \
                 AND g.tgname = $3) THEN $4 END",
                vec![schema, table, name, Cell::Text(self.columns.join(","))],
            ),
            (_, PostCopyKind::Trigger) => return Ok(None),
            (Engine::Sqlite, _) => (
                "SELECT group_concat(name, ',') FROM (SELECT ii.name FROM sqlite_master m, \
                 pragma_index_info(m.name) ii WHERE m.type = 'index' AND m.name = ?2 AND m.tbl_name = ?1 \
                 ORDER BY ii.seqno)",
                vec![table, name],
            ),
        };
        let rows = db
            .fetch_texts(
                sql,
                &binds,
                &format!("looking for {} on {}", self.name, self.table),
            )
            .await?;
        Ok(rows
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next().flatten()))
    }

    fn drop_sql(&self, engine: Engine) -> String {
        let table = quote::table(engine, &self.table);
        let name = quote::ident(engine, &self.name);
        match (engine, self.kind) {
            (Engine::Postgres, PostCopyKind::Index { .. }) => {
                let qualified = QualifiedName::new(self.table.schema.as_deref(), &self.name);
                format!("DROP INDEX IF EXISTS {}", quote::table(engine, &qualified))
            }
            (Engine::Postgres, PostCopyKind::ForeignKey) => {
                format!("ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")
            }
            (_, PostCopyKind::Trigger) => format!("DROP TRIGGER IF EXISTS {name} ON {table}"),
            (Engine::Mysql, PostCopyKind::Index { .. }) => format!("DROP INDEX {name} ON {table}"),
            (Engine::Mysql, PostCopyKind::ForeignKey) => {
                format!("ALTER TABLE {table} DROP FOREIGN KEY {name}")
            }
            (Engine::Sqlite, _) => format!("DROP INDEX IF EXISTS {name}"),
        }
    }
}

/// Creates each object of `objects` that `target` does not have yet; one it has under the
/// same name on the same columns counts as present.
///
/// # Errors
/// [`PostCopyError::Conflict`] when the name is taken on other columns (nothing is replaced);
/// [`PostCopyError::Db`] when a statement fails. What was created before stays, so a re-run
/// goes on from there.
pub async fn apply(
    target: &Database,
    objects: &[PostCopyObject],
) -> Result<PostCopyOutcome, PostCopyError> {
    let mut outcome = PostCopyOutcome::default();
    for object in objects {
        let wanted = object.columns.join(",");
        match object.existing_columns(target).await? {
            Some(found) if found == wanted => outcome.present += 1,
            Some(found) => {
                return Err(PostCopyError::Conflict {
                    table: object.table.to_string(),
                    name: object.name.clone(),
                    found,
                    wanted,
                })
            }
            None => {
                let first_line = object.sql.lines().next().unwrap_or(&object.sql);
                target
                    .execute_script(&object.sql, &format!("running `{first_line}`"))
                    .await?;
                outcome.created += 1;
            }
        }
    }
    Ok(outcome)
}

/// Drops the objects of `objects` that `target` has as planned (same name, same columns),
/// foreign keys first: a restarted copy deletes and reloads rows they would protect. Objects
/// under the same name on other columns are not the copy's and stay. Returns how many were
/// dropped.
///
/// # Errors
/// [`DbError`] when the catalog cannot be read or a drop fails.
pub async fn drop_planned(target: &Database, objects: &[PostCopyObject]) -> Result<usize, DbError> {
    let mut dropped = 0;
    let foreign_keys_first = objects
        .iter()
        .filter(|o| o.is_foreign_key())
        .chain(objects.iter().filter(|o| !o.is_foreign_key()));
    for object in foreign_keys_first {
        if object.existing_columns(target).await?.as_deref()
            == Some(object.columns.join(",").as_str())
        {
            target
                .execute_script(
                    &object.drop_sql(target.engine),
                    &format!("dropping {} before the restart", object.name),
                )
                .await?;
            dropped += 1;
        }
    }
    Ok(dropped)
}

/// The foreign key `fk` of source table `table` (copied as `planned`, its columns there
/// `columns`), when its parent is copied: the parent's table (of a split, the one holding the
/// referenced columns; of a merged parent, the table it is merged into, when the key is
/// referenced).
fn foreign_key(
    tables: &[PlannedTable],
    planned: &PlannedTable,
    table: &crate::inventory::Table,
    fk: &crate::inventory::ForeignKey,
    columns: Vec<String>,
    to: Engine,
) -> Option<PostCopyObject> {
    let parent = tables
        .iter()
        .filter(|t| t.mapping.source == fk.references)
        .find(|t| {
            fk.referenced_columns.is_empty()
                || t.mapping.target_columns(&fk.referenced_columns).is_some()
        });
    let referenced = match parent {
        Some(parent) => {
            let referenced = if fk.referenced_columns.is_empty() {
                &parent.mapping.key
            } else {
                &fk.referenced_columns
            };
            (parent, parent.mapping.target_columns(referenced)?)
        }
        None => {
            let (parent, merged) = tables.iter().find_map(|t| {
                let m = t.mapping.merged.iter().find(|m| m.name == fk.references)?;
                Some((t, m))
            })?;
            if !fk.referenced_columns.is_empty() && fk.referenced_columns != merged.primary_key {
                return None;
            }
            (parent, parent.mapping.target_key())
        }
    };
    let (parent, referenced) = referenced;
    let name = fk
        .name
        .clone()
        .unwrap_or_else(|| format!("{}_{}_fkey", table.name.name, fk.columns.join("_")));
    Some(PostCopyObject {
        kind: PostCopyKind::ForeignKey,
        table: planned.mapping.target.clone(),
        sql: format!(
            "ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {} ON UPDATE {}",
            quote::table(to, &planned.mapping.target),
            quote::ident(to, &name),
            quote::columns(to, columns.iter().map(String::as_str)),
            quote::table(to, &parent.mapping.target),
            quote::columns(to, referenced.iter().map(String::as_str)),
            action(fk.on_delete),
            action(fk.on_update)
        ),
        name,
        columns,
    })
}

fn action(a: crate::inventory::ReferentialAction) -> String {
    a.to_string()
}

/// Secondary indexes then foreign keys (none into SQLite, which cannot add one to a table),
/// named so they are unique in a PostgreSQL schema (MySQL index names are per table; Sakila
/// reuses `idx_fk_film_id` on two tables).
pub(super) fn plan(
    source: &Inventory,
    tables: &[PlannedTable],
    from: Engine,
    to: Engine,
) -> Vec<PostCopyObject> {
    let mut out = Vec::new();
    let mut fks = Vec::new();
    for planned in tables {
        let Some(table) = source
            .tables
            .iter()
            .find(|t| t.name == planned.mapping.source)
        else {
            continue;
        };
        let target = quote::table(to, &planned.mapping.target);
        // A column the spec dropped is not there: an index or FK over it is not made.
        let indexable = |col: &str| {
            planned
                .mapping
                .columns
                .iter()
                .find(|c| c.name == col)
                .is_some_and(|c| {
                    from == to
                        || !matches!(c.target, Logical::Text { max_len: None } | Logical::Bytes)
                })
        };
        // Every table of a split holds the key: what is made of key columns alone is made
        // once, on the main table (its name would repeat otherwise).
        let only_key = |columns: &[String]| {
            planned.mapping.split_from.is_some()
                && columns.iter().all(|c| planned.mapping.key.contains(c))
        };
        for index in &table.indexes {
            let Some(columns) = planned.mapping.target_columns(&index.columns) else {
                continue;
            };
            if only_key(&index.columns) {
                continue;
            }
            if index.columns.iter().all(|c| indexable(c)) && !index.columns.is_empty() {
                let mut name = format!("{}_{}", table.name.name, index.name);
                name.truncate(60);
                out.push(PostCopyObject {
                    kind: PostCopyKind::Index {
                        unique: index.unique,
                    },
                    table: planned.mapping.target.clone(),
                    sql: format!(
                        "CREATE {}INDEX {} ON {target} ({})",
                        if index.unique { "UNIQUE " } else { "" },
                        quote::ident(to, &name),
                        quote::columns(to, columns.iter().map(String::as_str))
                    ),
                    name,
                    columns,
                });
            }
        }
        let on_update: Vec<(String, String)> = planned
            .mapping
            .columns
            .iter()
            .filter_map(|c| match &c.on_update {
                crate::mapping::OnUpdate::Trigger(e) => Some((c.target_name.clone(), e.clone())),
                _ => None,
            })
            .collect();
        out.extend(PostCopyObject::on_update_trigger(
            &planned.mapping.target,
            &on_update,
        ));
        for fk in &table.foreign_keys {
            if only_key(&fk.columns) {
                continue;
            }
            if let Some(columns) = planned.mapping.target_columns(&fk.columns) {
                fks.extend(foreign_key(tables, planned, table, fk, columns, to));
            }
        }
        // A merged table's foreign keys come along onto the table it is merged into, but
        // the one that makes it the partner.
        for (i, merged) in planned.mapping.merged.iter().enumerate() {
            for fk in &merged.foreign_keys {
                if fk.references == table.name && fk.columns == merged.primary_key {
                    continue;
                }
                let columns: Option<Vec<String>> = fk
                    .columns
                    .iter()
                    .map(|c| match merged.primary_key.iter().position(|k| k == c) {
                        Some(k) => planned.mapping.target_key().get(k).cloned(),
                        None => planned
                            .mapping
                            .columns
                            .iter()
                            .find(|m| {
                                m.origin == *c
                                    && m.merged_from.is_some_and(|f| f.table == i && !f.computed)
                            })
                            .map(|m| m.target_name.clone()),
                    })
                    .collect();
                if let Some(columns) = columns {
                    fks.extend(foreign_key(tables, planned, merged, fk, columns, to));
                }
            }
        }
    }
    if to != Engine::Sqlite {
        out.extend(fks);
    }
    out
}
