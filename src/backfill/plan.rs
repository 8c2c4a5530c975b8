//! The backfill plan: which tables, in which waves, mapped how, and the DDL around the copy.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::data::{Logical, TableSpec};
use crate::db::quote;
use crate::graph::DependencyGraph;
use crate::import::Engine;
use crate::inventory::{Inventory, Table};
use crate::mapping::TableMapping;

use super::post_copy::PostCopyObject;

/// Largest catalog row estimate of a keyed table copied whole because the engines may order its
/// key differently: a whole copy holds the table in memory, so bigger ones keep keyset chunks
/// (validation then finds any row a differing order cost).
pub const WHOLE_COPY_MAX_ROWS: u64 = 200_000;

/// A table the plan copies.
#[derive(Debug, Clone)]
pub struct PlannedTable {
    /// Source → target mapping.
    pub mapping: TableMapping,
    /// How the source is read.
    pub source: TableSpec,
    /// The target table (for the delete-range and the load).
    pub target: TableSpec,
    /// Wave (1-based).
    pub wave: usize,
    /// Catalog row estimate.
    pub estimated_rows: Option<u64>,
    /// Label checkpoints are stored under (the source table's qualified name).
    pub label: String,
    /// Copied whole, as one chunk in one transaction, rather than in keyset chunks: the table
    /// has no key, or its key is text-like and copied across engines, whose orders of text
    /// differ (a MySQL `ENUM` orders by its index, collations differ), so a chunk's key range
    /// on the target would not hold the same rows as on the source (up to
    /// [`WHOLE_COPY_MAX_ROWS`] rows).
    pub whole: bool,
}

/// A table the plan leaves out, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkippedTable {
    /// Table.
    pub table: String,
    /// Why.
    pub reason: String,
}

/// Everything a backfill will do, before it does it.
#[derive(Debug, Clone)]
pub struct BackfillPlan {
    /// Source engine.
    pub source_engine: Engine,
    /// Target engine.
    pub target_engine: Engine,
    /// Tables to copy, in wave order.
    pub tables: Vec<PlannedTable>,
    /// Tables left out.
    pub skipped: Vec<SkippedTable>,
    /// Secondary indexes and foreign keys to create after the copy.
    pub post_copy: Vec<PostCopyObject>,
}

/// Whether another engine may order `spec`'s key differently: a text-like key part (a MySQL
/// `ENUM` orders by its index, text by collations that differ between engines).
fn key_order_may_differ(spec: &TableSpec) -> bool {
    spec.key.iter().any(|&k| {
        matches!(
            spec.columns[k].logical,
            Logical::Text { .. }
                | Logical::Enum(_)
                | Logical::Set(_)
                | Logical::Json
                | Logical::Other(_)
        )
    })
}

fn is_internal(table: &Table) -> bool {
    table.name.name.starts_with("_migration_studio")
}

impl BackfillPlan {
    /// The copied tables' names on the source, in plan order.
    pub fn source_tables(&self) -> Vec<crate::inventory::QualifiedName> {
        self.tables
            .iter()
            .map(|t| t.mapping.source.clone())
            .collect()
    }

    /// Bare target names of the tables copied from the source tables named `sources` (bare
    /// names): under a mapping spec a table may be renamed or split on the target.
    pub fn target_names_of(&self, sources: &[String]) -> Vec<String> {
        self.tables
            .iter()
            .filter(|t| sources.contains(&t.mapping.source.name))
            .map(|t| t.mapping.target.name.clone())
            .collect()
    }

    /// Each table split, by bare target names: its main table, and the other tables of the
    /// split (which hold the rest of the main table's rows under the same key).
    pub fn split_groups(&self) -> Vec<(String, Vec<String>)> {
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for t in &self.tables {
            let Some(main) = &t.mapping.split_from else {
                continue;
            };
            let part = t.mapping.target.name.clone();
            match groups.iter_mut().find(|(m, _)| *m == main.name) {
                Some((_, parts)) => parts.push(part),
                None => groups.push((main.name.clone(), vec![part])),
            }
        }
        groups
    }

    /// Each copied table that has tables merged into it
    /// ([`crate::mapping::spec::table_merge`]), by bare source names: the table, and the
    /// merged tables (which hold the rest of its rows under the same key values).
    pub fn merge_groups(&self) -> Vec<(String, Vec<String>)> {
        self.tables
            .iter()
            .filter(|t| !t.mapping.merged.is_empty())
            .map(|t| {
                (
                    t.mapping.source.name.clone(),
                    t.mapping
                        .merged
                        .iter()
                        .map(|m| m.name.name.clone())
                        .collect(),
                )
            })
            .collect()
    }

    /// The copied tables' names on the target, in plan order.
    pub fn target_tables(&self) -> Vec<crate::inventory::QualifiedName> {
        self.tables
            .iter()
            .map(|t| t.mapping.target.clone())
            .collect()
    }

    /// The schema a copy into `target` lands in when none is asked for: the target URL's own
    /// database for a MySQL target (a MySQL schema is a database, so keeping the source's
    /// would write into the source on a shared server) and for a copy across engines; `None`
    /// (keep the source's schemas) for PostgreSQL into PostgreSQL, where they live inside the
    /// target database.
    pub fn default_target_schema(
        source_engine: Engine,
        target: &crate::db::Database,
    ) -> Option<&str> {
        (source_engine != target.engine || target.engine == Engine::Mysql)
            .then_some(target.default_schema.as_deref())
            .flatten()
    }

    /// Plans the copy of `source` (a live import of the source database) into a `target`
    /// engine database, tables in `target_schema` (default: the source schema for a same-engine
    /// copy, else the target's default). `only` restricts to tables named (bare or qualified).
    /// Every table under the default mapping; see [`Self::mapped`].
    pub fn new(
        source: &Inventory,
        source_engine: Engine,
        target_engine: Engine,
        target_schema: Option<&str>,
        only: &[String],
    ) -> Self {
        Self::mapped(
            source,
            source_engine,
            target_engine,
            target_schema,
            only,
            None,
        )
    }

    /// [`Self::new`] through a mapping spec: its renames, casts and drops shape the target
    /// tables, their keys, indexes and foreign keys; a table the spec drops is skipped (and a
    /// foreign key into it is not created).
    pub fn mapped(
        source: &Inventory,
        source_engine: Engine,
        target_engine: Engine,
        target_schema: Option<&str>,
        only: &[String],
        spec: Option<&crate::mapping::MappingSpec>,
    ) -> Self {
        let graph = DependencyGraph::from_inventory(source);
        let order = graph.order();
        let wave_of = order.wave_of();
        let schema = if source_engine == target_engine {
            None
        } else {
            target_schema
        };
        let schema = target_schema.or(schema);
        let mut tables = Vec::new();
        let mut skipped = Vec::new();
        for table in &source.tables {
            let qualified = table.name.to_string();
            if is_internal(table)
                || (!only.is_empty()
                    && !only
                        .iter()
                        .any(|o| *o == qualified || *o == table.name.name))
            {
                continue;
            }
            if table
                .partitioning
                .as_ref()
                .is_some_and(|p| !p.partitions.is_empty())
            {
                skipped.push(SkippedTable {
                    table: qualified,
                    reason: "partitioned table: its rows are copied through its partitions".into(),
                });
                continue;
            }
            let rule = spec.and_then(|s| s.table(table));
            if let Some(rule) = rule.filter(|r| r.drop) {
                skipped.push(SkippedTable {
                    table: qualified,
                    reason: format!("dropped by the mapping spec: {}", rule.reason),
                });
                continue;
            }
            if let Some(into) = rule.and_then(|r| r.merged_into.as_ref()) {
                skipped.push(SkippedTable {
                    table: qualified,
                    reason: format!(
                        "merged into {into} by the mapping spec: its rows are copied with {into}'s"
                    ),
                });
                continue;
            }
            // A split makes several target tables of one source table, each copied (and
            // checkpointed) on its own; the main one keeps the table's name as its label.
            for (mapping, read) in
                TableMapping::mapped_parts(source_engine, target_engine, table, schema, rule)
            {
                let label = match &mapping.split_from {
                    None => qualified.clone(),
                    Some(_) => format!("{qualified} → {}", mapping.target),
                };
                match Self::planned(source_engine, target_engine, table, mapping, &read) {
                    Ok((source_spec, target_spec, mapping)) => tables.push(PlannedTable {
                        whole: source_spec.is_keyless()
                            || (source_engine != target_engine
                                && table.rows.is_some_and(|rows| rows <= WHOLE_COPY_MAX_ROWS)
                                && key_order_may_differ(&source_spec)),
                        wave: wave_of
                            .get(format!("table:{}", table.name).as_str())
                            .copied()
                            .unwrap_or(1),
                        estimated_rows: table.rows,
                        label,
                        mapping,
                        source: source_spec,
                        target: target_spec,
                    }),
                    Err(e) => skipped.push(SkippedTable {
                        table: label,
                        reason: e.to_string(),
                    }),
                }
            }
        }
        tables.sort_by(|a, b| (a.wave, &a.label).cmp(&(b.wave, &b.label)));
        let post_copy = super::post_copy::plan(source, &tables, source_engine, target_engine);
        Self {
            source_engine,
            target_engine,
            tables,
            skipped,
            post_copy,
        }
    }

    /// The read plans of both sides of `mapping` (`read`: the source as the mapping reads
    /// it); a table without a key is copied whole, in one transaction.
    fn planned(
        source_engine: Engine,
        target_engine: Engine,
        table: &Table,
        mapping: TableMapping,
        read: &Table,
    ) -> Result<(TableSpec, TableSpec, TableMapping), crate::data::SpecError> {
        let source_spec = mapping.source_spec(source_engine, read)?;
        let target_spec = if table.primary_key.is_empty() {
            TableSpec::keyless(target_engine, &mapping.target_table())
        } else {
            mapping.target_spec(target_engine)?
        };
        Ok((source_spec, target_spec, mapping))
    }

    /// Takes the target's real column types from its catalog, for tables that already exist
    /// there (created by a DBA, or by [`Self::create_tables_sql`]): the load must match the
    /// columns as they are, not as the default mapping would have made them.
    pub fn adopt_target_catalog(&mut self, target: &Inventory) {
        for planned in &mut self.tables {
            let Some(table) = target.table(&planned.mapping.target) else {
                continue;
            };
            for column in &mut planned.mapping.columns {
                if let Some(actual) = table.column(&column.target_name) {
                    column.target_type = actual.data_type.clone();
                    column.target = Logical::of(self.target_engine, &actual.data_type);
                    column.not_null = !actual.nullable;
                }
            }
            if let Ok(spec) = planned.mapping.target_spec(self.target_engine) {
                planned.target = spec;
            }
        }
    }

    /// Tables grouped by wave, in order.
    pub fn waves(&self) -> Vec<Vec<&PlannedTable>> {
        let mut waves: Vec<Vec<&PlannedTable>> = Vec::new();
        for table in &self.tables {
            match waves.last_mut() {
                Some(wave) if wave[0].wave == table.wave => wave.push(table),
                _ => waves.push(vec![table]),
            }
        }
        waves
    }

    /// The source schemas the planned tables are read from, sorted, each once.
    pub fn source_schemas(&self) -> Vec<String> {
        self.schemas(|m| &m.source)
    }

    /// The target schemas the planned tables go to, sorted, each once.
    pub fn target_schemas(&self) -> Vec<String> {
        self.schemas(|m| &m.target)
    }

    fn schemas(
        &self,
        side: impl Fn(&TableMapping) -> &crate::inventory::QualifiedName,
    ) -> Vec<String> {
        self.tables
            .iter()
            .filter_map(|t| side(&t.mapping).schema.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect()
    }

    /// `CREATE SCHEMA`/`CREATE TABLE IF NOT EXISTS` statements for the target.
    pub fn create_tables_sql(&self) -> Vec<String> {
        let e = self.target_engine;
        let mut schemas: Vec<&str> = self
            .tables
            .iter()
            .filter_map(|t| t.mapping.target.schema.as_deref())
            .collect();
        schemas.sort_unstable();
        schemas.dedup();
        let mut out: Vec<String> = if e == Engine::Postgres {
            schemas
                .iter()
                .map(|s| format!("CREATE SCHEMA IF NOT EXISTS {}", quote::ident(e, s)))
                .collect()
        } else {
            Vec::new()
        };
        out.extend(self.tables.iter().map(|t| t.mapping.create_table_sql(e)));
        out
    }

    /// The plan as text for `--dry-run`: the statements and steps execution would run.
    pub fn describe(&self, create_tables: bool, post_copy: bool) -> String {
        let mut out = String::new();
        if create_tables {
            out.push_str("-- prepare target\n");
            for sql in self.create_tables_sql() {
                let _ = writeln!(out, "{sql};");
            }
        }
        for wave in self.waves() {
            let _ = writeln!(out, "-- wave {}", wave[0].wave);
            for t in wave {
                let (select, write) = if t.whole {
                    (
                        t.source.select(None, None, None),
                        "copied whole (no key, or a text-like key the two engines order differently): delete all, load, checkpoint; one transaction",
                    )
                } else {
                    (
                        t.source.select(None, None, Some(10_000)),
                        "delete key range, load, checkpoint; one transaction per chunk",
                    )
                };
                let _ = writeln!(
                    out,
                    "--   {} -> {} ({} rows estimated)\n--     read:  {}\n--     write: {write}",
                    t.label,
                    t.mapping.target,
                    t.estimated_rows
                        .map_or_else(|| "?".into(), |r| r.to_string()),
                    select.sql.trim()
                );
            }
        }
        for s in &self.skipped {
            let _ = writeln!(out, "-- skipped {}: {}", s.table, s.reason);
        }
        if post_copy {
            out.push_str("-- after the copy\n");
            for object in &self.post_copy {
                let _ = writeln!(out, "{};", object.sql);
            }
        }
        crate::export::terminal_text(&out).into_owned()
    }
}
