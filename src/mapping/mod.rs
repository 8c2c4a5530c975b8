//! Source → target mapping. Every engine pair has a default mapping: same table and column
//! names, each column's type mapped by meaning ([`Logical`]), as
//! pgloader's default MySQL → PostgreSQL casting rules do (`TINYINT(1)` → boolean, unsigned
//! integers widened, `YEAR` → smallint, zero dates → NULL, BLOB → bytea). ENUM and SET become
//! text (pgloader creates enum types; text keeps every label and needs no type management).
//! Same-engine migrations keep declared types verbatim.
//!
//! A project may override the default with a mapping spec ([`spec::MappingSpec`], the
//! manifest's `mapping` field): renames, casts, NULL defaults and drops per table and column,
//! each with its reason and author. [`TableMapping::mapped`] applies a table's rule; the
//! target DDL ([`ddl`]) and the backfill plan follow the result, so a rename lands. The
//! spec's static review is [`review`]; `mapping init` writes a starting spec ([`init`]) whose
//! every rule is the default with its reason and source ([`defaults`]).

pub mod charset;
pub mod column_default;
pub mod data_review;
pub mod ddl;
pub mod defaults;
pub mod error;
pub mod expr;
pub mod init;
pub mod review;
pub mod spec;

pub use error::MappingError;
pub use spec::{MappingSpec, SPEC_FILE};

use crate::data::{Logical, TableSpec};
use crate::db::quote;
use crate::import::Engine;
use crate::inventory::{ColumnDefault, QualifiedName, Table};

/// One mapped column.
#[derive(Debug, Clone)]
pub struct ColumnMapping {
    /// Source column name.
    pub name: String,
    /// Target column name (the source name unless the spec renames it).
    pub target_name: String,
    /// Source meaning.
    pub source: Logical,
    /// Target declared type.
    pub target_type: String,
    /// Target meaning.
    pub target: Logical,
    /// Whether the target column is NOT NULL.
    pub not_null: bool,
    /// The SQL literal a NULL becomes, from the spec.
    pub null_default: Option<String>,
    /// The value the copy writes in place of a NULL (rule C003), from the spec.
    pub null_cell: Option<crate::data::Cell>,
    /// What the target writes when an insert omits the column: the source's default carried
    /// to the target ([`column_default::carry`]), or why it could not be.
    pub default: Result<Option<ColumnDefault>, column_default::NotCarried>,
    /// What becomes of MySQL's `ON UPDATE` expression on the target.
    pub on_update: OnUpdate,
    /// The spec's expression the value is computed by, compiled for the source engine (a
    /// `derive`, `merge` or `split` part); `None` copies the stored column `name`.
    pub derived: Option<String>,
    /// Whether a rollback writes the target's value back into the source column `name` (for
    /// a column a table merge brings in, into the merged table's column [`Self::origin`]): a
    /// stored column, or one computed in place (it goes back as the target holds it). A new
    /// column, a merge or a split part has no source column of its own.
    pub writes_back: bool,
    /// The spec's key of the rule that makes this column: the source column (for a column
    /// split's part, the column split), or a computed column's name. A table split places
    /// columns by it. For a column a merge brings in, the key in the merged table's rules.
    pub origin: String,
    /// For a column a table merge brings in ([`spec::table_merge`]), where it is read from;
    /// `None` for the table's own columns.
    pub merged_from: Option<MergedFrom>,
}

/// Where a column a table merge brings in is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MergedFrom {
    /// The index in [`TableMapping::merged`] of the table it is read from by key.
    pub table: usize,
    /// Whether the merged table's rules compute it (a `derive`, `merge` or `split` there),
    /// rather than copy a stored column.
    pub computed: bool,
}

/// What becomes of a MySQL column's `ON UPDATE` expression (`ON UPDATE CURRENT_TIMESTAMP`) on
/// the target: rows the application updates after the cutover must still get it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnUpdate {
    /// The source has none.
    None,
    /// Kept as the column option on a MySQL target.
    ColumnOption(String),
    /// Done by a `BEFORE UPDATE` trigger on a PostgreSQL target, created after the copy
    /// ([`crate::backfill::post_copy`]): the value is the expression PostgreSQL evaluates.
    Trigger(String),
    /// Not carried (an SQLite target, or an expression other than the current time): the
    /// source's expression, for review finding M011.
    NotCarried(String),
}

impl OnUpdate {
    /// The `ON UPDATE` expression `expr` of a MySQL column carried to a `target` engine.
    /// MySQL allows only the current time there (`CURRENT_TIMESTAMP`, `NOW()`, `LOCALTIME`…,
    /// with an optional precision: MySQL manual, "Automatic Initialization and Updating for
    /// TIMESTAMP and DATETIME"); PostgreSQL's `CURRENT_TIMESTAMP(p)` is the same instant at the
    /// same precision.
    pub fn carry(expr: Option<&str>, target: Engine) -> Self {
        let Some(expr) = expr else {
            return Self::None;
        };
        if target == Engine::Mysql {
            return Self::ColumnOption(expr.to_owned());
        }
        let lower = expr.trim().to_ascii_lowercase();
        let name = lower.split('(').next().unwrap_or_default().trim();
        let precision: String = lower
            .split_once('(')
            .map(|(_, rest)| rest.chars().take_while(char::is_ascii_digit).collect())
            .unwrap_or_default();
        let now = matches!(
            name,
            "current_timestamp" | "now" | "localtime" | "localtimestamp"
        );
        // MySQL requires the expression's precision to be the column's, and stores whole
        // seconds without one: PostgreSQL's CURRENT_TIMESTAMP keeps microseconds unless told.
        let precision = if precision.is_empty() {
            "0"
        } else {
            &precision
        };
        match (target, now) {
            (Engine::Postgres, true) => Self::Trigger(format!("CURRENT_TIMESTAMP({precision})")),
            _ => Self::NotCarried(expr.to_owned()),
        }
    }
}

/// One column as a table is read: the column, the SQL computing it (`None`: the stored
/// column), whether it writes back, its origin, the rule it is read under and, for a column a
/// merge brings in, the index of the merged table.
struct ReadColumn<'r> {
    column: crate::inventory::Column,
    derived: Option<String>,
    writes_back: bool,
    origin: String,
    rule: Option<&'r spec::ColumnRule>,
    merged_from: Option<MergedFrom>,
    /// The target name unless the rule renames it.
    target: String,
}

/// One mapped table.
#[derive(Debug, Clone)]
pub struct TableMapping {
    /// Source table.
    pub source: QualifiedName,
    /// Target table.
    pub target: QualifiedName,
    /// Columns in source order.
    pub columns: Vec<ColumnMapping>,
    /// Primary key columns (source names).
    pub key: Vec<String>,
    /// The source tables merged into this one on the key ([`spec::table_merge`]), as
    /// inventoried, in the spec's order; their columns are among [`Self::columns`].
    pub merged: Vec<Table>,
    /// For a table a split makes besides the main one, the main target table; `None` for
    /// the main table and a table not split.
    pub split_from: Option<QualifiedName>,
}

/// The default target type for a source column.
pub fn default_type(source: Engine, target: Engine, declared: &str, logical: &Logical) -> String {
    if source == target {
        return declared.to_owned();
    }
    match target {
        Engine::Postgres => to_postgres(logical, declared),
        Engine::Mysql => to_mysql(logical),
        Engine::Sqlite => to_sqlite(logical),
    }
}

fn to_postgres(logical: &Logical, declared: &str) -> String {
    match logical {
        Logical::Int { bits: 8, .. }
        | Logical::Int {
            bits: 16,
            unsigned: false,
        } => "smallint".into(),
        Logical::Int {
            bits: 16,
            unsigned: true,
        }
        | Logical::Int { bits: 24, .. } => "integer".into(),
        Logical::Int {
            bits: 32,
            unsigned: false,
        } => "integer".into(),
        Logical::Int {
            bits: 32,
            unsigned: true,
        } => "bigint".into(),
        Logical::Int { unsigned: true, .. } => "numeric(20)".into(),
        Logical::Int { .. } => "bigint".into(),
        Logical::Bool => "boolean".into(),
        Logical::Decimal {
            precision: Some(p),
            scale,
        } => format!("numeric({p},{})", scale.unwrap_or(0)),
        Logical::Decimal { .. } => "numeric".into(),
        Logical::Float { bits: 32 } => "real".into(),
        Logical::Float { .. } => "double precision".into(),
        Logical::Text { max_len: Some(n) } if declared.to_ascii_lowercase().starts_with("char") => {
            format!("char({n})")
        }
        Logical::Text { max_len: Some(n) } => format!("varchar({n})"),
        Logical::Text { max_len: None } | Logical::Enum(_) | Logical::Set(_) => "text".into(),
        Logical::Bytes | Logical::Spatial => "bytea".into(),
        Logical::Bits { len } => format!("bit({len})"),
        Logical::Date => "date".into(),
        Logical::Time { .. } => "time".into(),
        Logical::Timestamp { tz: false, .. } => "timestamp".into(),
        Logical::Timestamp { tz: true, .. } => "timestamptz".into(),
        Logical::Year => "smallint".into(),
        Logical::Json => "json".into(),
        Logical::Uuid => "uuid".into(),
        Logical::Other(_) => "bytea".into(),
    }
}

fn to_mysql(logical: &Logical) -> String {
    match logical {
        Logical::Int { bits: 8, unsigned } => {
            format!("tinyint{}", if *unsigned { " unsigned" } else { "" })
        }
        Logical::Int { bits: 16, unsigned } => {
            format!("smallint{}", if *unsigned { " unsigned" } else { "" })
        }
        Logical::Int {
            bits: 24 | 32,
            unsigned,
        } => format!("int{}", if *unsigned { " unsigned" } else { "" }),
        Logical::Int { unsigned, .. } => {
            format!("bigint{}", if *unsigned { " unsigned" } else { "" })
        }
        Logical::Bool => "tinyint(1)".into(),
        Logical::Decimal {
            precision: Some(p),
            scale,
        } => format!("decimal({p},{})", scale.unwrap_or(0)),
        Logical::Decimal { .. } => "decimal(65,30)".into(),
        Logical::Float { bits: 32 } => "float".into(),
        Logical::Float { .. } => "double".into(),
        Logical::Text { max_len: Some(n) } if *n <= 16_383 => format!("varchar({n})"),
        Logical::Text { .. } | Logical::Enum(_) | Logical::Set(_) | Logical::Other(_) => {
            "longtext".into()
        }
        Logical::Bytes => "longblob".into(),
        Logical::Spatial => "geometry".into(),
        Logical::Bits { len } if *len <= 64 => format!("bit({len})"),
        Logical::Bits { .. } => "longtext".into(),
        Logical::Date => "date".into(),
        Logical::Time { .. } => "time(6)".into(),
        Logical::Timestamp { .. } => "datetime(6)".into(),
        Logical::Year => "year".into(),
        Logical::Json => "json".into(),
        Logical::Uuid => "char(36)".into(),
    }
}

fn to_sqlite(logical: &Logical) -> String {
    match logical {
        Logical::Int { .. } | Logical::Bool | Logical::Year => "INTEGER".into(),
        Logical::Float { .. } => "REAL".into(),
        Logical::Decimal { .. } => "NUMERIC".into(),
        Logical::Bytes => "BLOB".into(),
        _ => "TEXT".into(),
    }
}

impl ColumnMapping {
    /// The column's value in SQL of the source `engine`: its expression in parentheses when
    /// the spec computes it, else the stored column's quoted name.
    pub fn source_sql(&self, engine: Engine) -> String {
        self.derived.as_ref().map_or_else(
            || quote::ident(engine, &self.name),
            |sql| format!("({sql})"),
        )
    }
}

impl TableMapping {
    /// The default mapping of `table` (read from the source catalog) into `target_schema` of a
    /// `target` engine database.
    pub fn default_for(
        source: Engine,
        target: Engine,
        table: &Table,
        target_schema: Option<&str>,
    ) -> Self {
        Self::mapped(source, target, table, target_schema, None).0
    }

    /// The mapping of `table` under `rule` (the spec's rule of the table, if any; no rule is
    /// the default mapping), and the source table as it is read: without the columns the rule
    /// drops, so the read plan's columns line up with [`Self::columns`].
    pub fn mapped(
        source: Engine,
        target: Engine,
        table: &Table,
        target_schema: Option<&str>,
        rule: Option<&spec::TableRule>,
    ) -> (Self, Table) {
        let read = Self::read_columns(source, table, rule);
        let columns = read
            .iter()
            .map(|rc| {
                let c = &rc.column;
                let column_rule = rc.rule;
                let logical = Logical::of(source, &c.data_type);
                let target_type = column_rule
                    .and_then(|r| r.cast.clone())
                    .unwrap_or_else(|| default_type(source, target, &c.data_type, &logical));
                let target_logical = Logical::of(target, &target_type);
                ColumnMapping {
                    name: c.name.clone(),
                    target_name: column_rule
                        .and_then(|r| r.target.clone())
                        .unwrap_or_else(|| rc.target.clone()),
                    source: logical,
                    // A row without a partner has none of a merged table's values.
                    not_null: column_rule
                        .and_then(|r| r.not_null)
                        .unwrap_or(!c.nullable && rc.merged_from.is_none()),
                    null_default: column_rule.and_then(|r| r.null_default.clone()),
                    null_cell: column_rule.and_then(|r| r.null_cell.clone()),
                    default: c.default.as_ref().map_or(Ok(None), |d| {
                        column_default::carry(
                            source,
                            target,
                            d,
                            &target_logical,
                            table.primary_key == [c.name.clone()],
                        )
                    }),
                    on_update: OnUpdate::carry(c.on_update.as_deref(), target),
                    target: target_logical,
                    target_type,
                    derived: rc.derived.clone(),
                    writes_back: rc.writes_back,
                    origin: rc.origin.clone(),
                    merged_from: rc.merged_from,
                }
            })
            .collect();
        let mut read_table = table.clone();
        read_table.columns = read.into_iter().map(|rc| rc.column).collect();
        let read = read_table;
        let mapping = Self {
            source: table.name.clone(),
            target: QualifiedName {
                schema: match target {
                    Engine::Sqlite => None,
                    // The spec's own schema first (checked to be a PostgreSQL target's).
                    _ => rule
                        .and_then(|r| r.target_schema.clone())
                        .or_else(|| target_schema.map(str::to_owned))
                        .or_else(|| table.name.schema.clone()),
                },
                name: rule
                    .and_then(|r| r.target.clone())
                    .unwrap_or_else(|| table.name.name.clone()),
            },
            columns,
            key: table.primary_key.clone(),
            merged: rule
                .iter()
                .flat_map(|r| &r.merged)
                .map(|m| m.table.clone())
                .collect(),
            split_from: None,
        };
        (mapping, read)
    }

    /// [`Self::mapped`], then the tables the rule's split makes of it
    /// ([`spec::table_split`]): the main table first (the columns no part takes), then one
    /// per part in the spec's order, each with the key columns and its own columns, and the
    /// source read as each part reads it. A table not split is one mapping.
    pub fn mapped_parts(
        source: Engine,
        target: Engine,
        table: &Table,
        target_schema: Option<&str>,
        rule: Option<&spec::TableRule>,
    ) -> Vec<(Self, Table)> {
        let (whole, read) = Self::mapped(source, target, table, target_schema, rule);
        let Some(rule) = rule.filter(|r| !r.parts.is_empty()) else {
            return vec![(whole, read)];
        };
        let parts = &rule.parts;
        std::iter::once(None)
            .chain((0..parts.len()).map(Some))
            .map(|which| {
                let mut mapping = whole.clone();
                let mut part_read = read.clone();
                mapping.retain_columns(&mut part_read, |c| {
                    let part = match c.merged_from {
                        Some(_) => None,
                        None => rule.part_of(&c.origin),
                    };
                    whole.key.contains(&c.name) || part == which
                });
                if let Some(i) = which {
                    // Tables merged in land in the main table only.
                    mapping.merged.clear();
                    // The main table generates the key; the others take it from there.
                    for c in &mut mapping.columns {
                        if matches!(c.default, Ok(Some(ColumnDefault::Identity))) {
                            c.default = Ok(None);
                        }
                    }
                    mapping.split_from = Some(whole.target.clone());
                    mapping.target = QualifiedName {
                        schema: parts[i]
                            .target_schema
                            .clone()
                            .or_else(|| whole.target.schema.clone()),
                        name: parts[i].target.clone(),
                    };
                }
                (mapping, part_read)
            })
            .collect()
    }

    /// Keeps the columns `keep` holds for, here and in `read` (the source as this mapping
    /// reads it, column for column).
    pub fn retain_columns(&mut self, read: &mut Table, keep: impl Fn(&ColumnMapping) -> bool) {
        let kept: Vec<bool> = self.columns.iter().map(keep).collect();
        let mut flags = kept.iter();
        self.columns.retain(|_| *flags.next().expect("aligned"));
        let mut flags = kept.iter();
        read.columns.retain(|_| *flags.next().expect("aligned"));
    }

    /// The columns of `table` as `rule` reads them, each with the expression computing it: the
    /// stored columns the rule copies (in place of a split one, its parts), then the columns
    /// only the target has, in the spec's order, then the columns of each table merged into
    /// it ([`Self::merged_columns`]). A computed column's declared type is the kind its
    /// expression yields, unless that is the stored column's own.
    fn read_columns<'r>(
        source: Engine,
        table: &Table,
        rule: Option<&'r spec::TableRule>,
    ) -> Vec<ReadColumn<'r>> {
        let mut columns = Self::own_columns(source, table, rule.map(|r| &r.columns));
        for (i, merge) in rule.iter().flat_map(|r| &r.merged).enumerate() {
            columns.extend(Self::merged_columns(source, table, i, merge));
        }
        columns
    }

    /// The columns of `table` under column rules `rules` (see [`Self::read_columns`]).
    fn own_columns<'r>(
        source: Engine,
        table: &Table,
        rules: Option<&'r std::collections::BTreeMap<String, spec::ColumnRule>>,
    ) -> Vec<ReadColumn<'r>> {
        let rule_of = |name: &str| rules.and_then(|r| r.get(name));
        let computed = |name: &str, declared: &str, e: &expr::Expression, origin: &str| {
            let stored = Logical::of(source, declared);
            let declared =
                if matches!(stored, Logical::Other(_)) || expr::Kind::of(&stored) != e.kind {
                    e.kind.declared(source).to_owned()
                } else {
                    declared.to_owned()
                };
            ReadColumn {
                column: crate::inventory::Column::new(name, declared, true),
                derived: Some(e.sql(source)),
                writes_back: false,
                origin: origin.to_owned(),
                rule: rule_of(name),
                merged_from: None,
                target: name.to_owned(),
            }
        };
        let mut columns = Vec::new();
        for c in &table.columns {
            let stored = ReadColumn {
                column: c.clone(),
                derived: None,
                writes_back: true,
                origin: c.name.clone(),
                rule: rule_of(&c.name),
                merged_from: None,
                target: c.name.clone(),
            };
            match rule_of(&c.name) {
                None => columns.push(stored),
                Some(r) if r.drop => {}
                Some(r) if !r.split.is_empty() => {
                    for (part, e) in &r.split {
                        columns.push(computed(part, &c.data_type, e, &c.name));
                    }
                }
                Some(r) => match &r.derive {
                    Some(e) => {
                        let mut column = computed(&c.name, &c.data_type, e, &c.name);
                        column.column.nullable = c.nullable;
                        column.column.default = c.default.clone();
                        column.column.on_update = c.on_update.clone();
                        column.writes_back = true;
                        columns.push(column);
                    }
                    None => columns.push(stored),
                },
            }
        }
        for (name, r) in rules.into_iter().flatten().filter(|(_, r)| r.new) {
            if let Some(e) = &r.derive {
                columns.push(computed(name, e.kind.declared(source), e, name));
            }
        }
        columns
    }

    /// The name a column `column` of the merged table `merged` is read under in the table it
    /// is merged into (its [`ColumnMapping::name`] there): `merged_table.column`, which no
    /// column of that table's own can have.
    pub fn merged_read_name(merged: &Table, column: &str) -> String {
        format!("{}.{column}", merged.name.name)
    }

    /// The columns `merge` (the `index`th table merged into `table`) brings in: its own
    /// columns under its rules, except its key, each read by key from the merged table in a
    /// correlated subquery (`NULL` for a row without a partner). Their read names are
    /// `merged_table.column`, so they cannot meet the table's own; the outer row is named by
    /// the table's bare name, which a reader may alias a subquery with.
    fn merged_columns<'r>(
        source: Engine,
        table: &Table,
        index: usize,
        merge: &'r spec::TableMerge,
    ) -> Vec<ReadColumn<'r>> {
        let on: Vec<String> = merge
            .table
            .primary_key
            .iter()
            .zip(&table.primary_key)
            .map(|(inner, outer)| {
                format!(
                    "_ms_merged.{} = {}.{}",
                    quote::ident(source, inner),
                    quote::ident(source, &table.name.name),
                    quote::ident(source, outer)
                )
            })
            .collect();
        let from = quote::table(source, &merge.table.name);
        Self::own_columns(source, &merge.table, Some(&merge.columns))
            .into_iter()
            .filter(|c| c.derived.is_some() || !merge.table.primary_key.contains(&c.column.name))
            .map(|mut c| {
                let computed = c.derived.is_some();
                let value = c
                    .derived
                    .take()
                    .unwrap_or_else(|| quote::ident(source, &c.column.name));
                c.column.name = Self::merged_read_name(&merge.table, &c.column.name);
                c.column.nullable = true;
                ReadColumn {
                    derived: Some(format!(
                        "SELECT {value} FROM {from} _ms_merged WHERE {}",
                        on.join(" AND ")
                    )),
                    merged_from: Some(MergedFrom {
                        table: index,
                        computed,
                    }),
                    ..c
                }
            })
            .collect()
    }

    /// The read plan of the source side: `read` (from [`Self::mapped`]) with each computed
    /// column's expression.
    ///
    /// # Errors
    /// [`crate::data::SpecError`] as [`TableSpec::new`], or never for a keyless read.
    pub fn source_spec(
        &self,
        engine: Engine,
        read: &Table,
    ) -> Result<crate::data::TableSpec, crate::data::SpecError> {
        let mut spec = if read.primary_key.is_empty() {
            crate::data::TableSpec::keyless(engine, read)
        } else {
            crate::data::TableSpec::new(engine, read)?
        };
        for (column, mapped) in spec.columns.iter_mut().zip(&self.columns) {
            column.expr = mapped.derived.clone();
        }
        Ok(spec)
    }

    /// The target name of source column `source`; `None` when it is not mapped (dropped).
    pub fn target_column(&self, source: &str) -> Option<&str> {
        self.columns
            .iter()
            .find(|c| c.name == source)
            .map(|c| c.target_name.as_str())
    }

    /// The target names of source columns `source`; `None` when one is not mapped.
    pub fn target_columns(&self, source: &[String]) -> Option<Vec<String>> {
        source
            .iter()
            .map(|c| self.target_column(c).map(str::to_owned))
            .collect()
    }

    /// The primary key's target column names.
    pub fn target_key(&self) -> Vec<String> {
        self.target_columns(&self.key)
            .expect("key columns are never dropped (the spec refuses it)")
    }

    /// `CREATE TABLE IF NOT EXISTS` for the target, with the primary key and NOT NULL, without
    /// foreign keys or secondary indexes (they are created after the backfill).
    pub fn create_table_sql(&self, target: Engine) -> String {
        let mut lines: Vec<String> = self
            .columns
            .iter()
            .map(|c| {
                let default = match &c.default {
                    Ok(Some(ColumnDefault::Identity)) => match target {
                        Engine::Postgres => " GENERATED BY DEFAULT AS IDENTITY".to_owned(),
                        Engine::Mysql => " AUTO_INCREMENT".to_owned(),
                        // A rowid alias: the table's INTEGER PRIMARY KEY generates already.
                        Engine::Sqlite => String::new(),
                    },
                    Ok(Some(ColumnDefault::Expression(e))) => format!(" DEFAULT {e}"),
                    Ok(None) | Err(_) => String::new(),
                };
                let on_update = match &c.on_update {
                    OnUpdate::ColumnOption(e) => format!(" ON UPDATE {e}"),
                    _ => String::new(),
                };
                format!(
                    "  {} {}{}{default}{on_update}",
                    quote::ident(target, &c.target_name),
                    c.target_type,
                    if c.not_null { " NOT NULL" } else { "" }
                )
            })
            .collect();
        if !self.key.is_empty() {
            lines.push(format!(
                "  PRIMARY KEY ({})",
                quote::columns(target, self.target_key().iter().map(String::as_str))
            ));
        }
        format!(
            "CREATE TABLE IF NOT EXISTS {} (\n{}\n){}",
            quote::table(target, &self.target),
            lines.join(",\n"),
            quote::created_table_options(target)
        )
    }

    /// The target table as an inventory table, to build the target's [`TableSpec`].
    pub fn target_table(&self) -> Table {
        let mut table = Table::new(self.target.clone());
        table.columns = self
            .columns
            .iter()
            .map(|c| crate::inventory::Column {
                name: c.target_name.clone(),
                data_type: c.target_type.clone(),
                nullable: !c.not_null,
                default: c.default.clone().ok().flatten(),
                on_update: None,
                collation: None,
            })
            .collect();
        table.primary_key = self.target_key();
        table
    }

    /// Read plan of the target table.
    ///
    /// # Errors
    /// [`crate::data::SpecError`] when the table has no primary key.
    pub fn target_spec(&self, target: Engine) -> Result<TableSpec, crate::data::SpecError> {
        TableSpec::new(target, &self.target_table())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_split_makes_a_main_table_and_one_per_part_each_with_the_key() {
        let mut film = Table::new(QualifiedName::new(Some("sakila"), "film"));
        film.columns = vec![
            crate::inventory::Column::new("film_id", "SMALLINT UNSIGNED", false),
            crate::inventory::Column::new("title", "VARCHAR(255)", false),
            crate::inventory::Column::new("description", "TEXT", true),
            crate::inventory::Column::new("length", "SMALLINT UNSIGNED", true),
        ];
        film.primary_key = vec!["film_id".into()];
        let inventory = crate::inventory::Inventory {
            tables: vec![film.clone()],
            ..Default::default()
        };
        let spec = MappingSpec::parse(
            std::path::Path::new("mapping.toml"),
            "version = 1\n[tables.\"sakila.film\".columns]\ndescription = { target = \"blurb\", reason = \"r\", author = \"a\" }\n[tables.\"sakila.film\".split.film_detail]\ncolumns = [\"description\"]\nreason = \"r\"\nauthor = \"a\"\n",
            spec::Schema {
                inventory: &inventory,
                source: Engine::Mysql,
                target: Engine::Postgres,
            },
        )
        .unwrap();
        let parts = TableMapping::mapped_parts(
            Engine::Mysql,
            Engine::Postgres,
            &film,
            Some("public"),
            spec.table(&film),
        );
        let shape = |(m, read): &(TableMapping, Table)| {
            (
                m.target.to_string(),
                m.columns
                    .iter()
                    .map(|c| c.target_name.clone())
                    .collect::<Vec<_>>(),
                read.columns
                    .iter()
                    .map(|c| c.name.clone())
                    .collect::<Vec<_>>(),
                m.split_from.as_ref().map(ToString::to_string),
            )
        };
        assert_eq!(
            parts.iter().map(shape).collect::<Vec<_>>(),
            [
                (
                    "public.film".to_owned(),
                    vec!["film_id".to_owned(), "title".into(), "length".into()],
                    vec!["film_id".to_owned(), "title".into(), "length".into()],
                    None
                ),
                (
                    "public.film_detail".to_owned(),
                    vec!["film_id".to_owned(), "blurb".into()],
                    vec!["film_id".to_owned(), "description".into()],
                    Some("public.film".to_owned())
                ),
            ]
        );
    }

    #[test]
    fn mysql_to_postgres_defaults_follow_pgloader() {
        let m = |d: &str| {
            default_type(
                Engine::Mysql,
                Engine::Postgres,
                d,
                &Logical::of(Engine::Mysql, d),
            )
        };
        assert_eq!(m("tinyint(1)"), "boolean");
        assert_eq!(m("smallint(5) unsigned"), "integer");
        assert_eq!(m("int(10) unsigned"), "bigint");
        assert_eq!(m("bigint(20) unsigned"), "numeric(20)");
        assert_eq!(m("year(4)"), "smallint");
        assert_eq!(m("enum('G','PG')"), "text");
        assert_eq!(m("decimal(5,2)"), "numeric(5,2)");
        assert_eq!(m("blob"), "bytea");
        assert_eq!(m("timestamp"), "timestamptz");
        assert_eq!(m("char(3)"), "char(3)");
    }
}
