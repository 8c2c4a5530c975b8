//! The inventory model: every artifact in scope of a migration, whatever it was imported from.
//!
//! DDL files and live databases both produce an [`Inventory`]; the planner reads nothing else.
//! Names are stored as the database itself would report them (PostgreSQL folds unquoted
//! identifiers to lower case, MySQL and SQLite keep them as written), so a DDL import and a live
//! import of the same schema compare equal.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A schema-qualified object name. `schema` is `None` where the dialect has no schema
/// (SQLite's `main`) or the input did not say.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct QualifiedName {
    /// Schema (PostgreSQL schema, MySQL database); `None` when unknown or not applicable.
    pub schema: Option<String>,
    /// Object name within the schema.
    pub name: String,
}

impl QualifiedName {
    /// A name with an optional schema.
    pub fn new(schema: Option<&str>, name: &str) -> Self {
        Self {
            schema: schema.map(str::to_owned),
            name: name.to_owned(),
        }
    }
}

impl fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.schema {
            Some(schema) => write!(f, "{schema}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// Referential action of a foreign key (`ON DELETE` / `ON UPDATE`), as in SQL:2016 §11.8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ReferentialAction {
    /// `NO ACTION` (the SQL default when the clause is absent).
    #[default]
    NoAction,
    /// `RESTRICT`.
    Restrict,
    /// `CASCADE`.
    Cascade,
    /// `SET NULL`.
    SetNull,
    /// `SET DEFAULT`.
    SetDefault,
}

impl fmt::Display for ReferentialAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NoAction => "NO ACTION",
            Self::Restrict => "RESTRICT",
            Self::Cascade => "CASCADE",
            Self::SetNull => "SET NULL",
            Self::SetDefault => "SET DEFAULT",
        })
    }
}

/// One column of a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    /// Column name.
    pub name: String,
    /// Declared type as written in the DDL or reported by the catalog (e.g. `SMALLINT UNSIGNED`).
    pub data_type: String,
    /// Whether NULL is allowed.
    pub nullable: bool,
    /// What the database writes when an insert omits the column; `None` when it writes NULL
    /// (or refuses the insert, for a NOT NULL column).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<ColumnDefault>,
    /// MySQL's `ON UPDATE` expression (`CURRENT_TIMESTAMP`): the value the database writes in
    /// the column whenever an update leaves it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_update: Option<String>,
    /// The column's collation when the input states it: DDL `COLLATE`, MySQL's
    /// `information_schema.COLUMNS.COLLATION_NAME`, a PostgreSQL collation other than its
    /// type's default. `None`: the table's, database's or engine's default (see
    /// [`Column::case_insensitive`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
}

impl Column {
    /// A column with no default.
    pub fn new(name: impl Into<String>, data_type: impl Into<String>, nullable: bool) -> Self {
        Self {
            name: name.into(),
            data_type: data_type.into(),
            nullable,
            default: None,
            on_update: None,
            collation: None,
        }
    }

    /// Whether `engine` compares the column's text without regard to case (so a UNIQUE key
    /// over it refuses `a` beside `A`). MySQL and MariaDB: unless the collation is binary
    /// (`…_bin`, `binary`) or case-sensitive (`…_cs`); with none stated, the defaults of both
    /// (`utf8mb4_general_ci`, `utf8mb4_0900_ai_ci`, `latin1_swedish_ci`) are case-insensitive
    /// (MySQL 8.0 reference, 10.8.5 "The binary Collation Compared to _bin Collations";
    /// MariaDB "Supported Character Sets and Collations"). SQLite: only `NOCASE` (SQLite
    /// "Datatypes", 7.1 "Collating Sequences"). PostgreSQL: no (its collations are
    /// deterministic unless made otherwise with `CREATE COLLATION … deterministic = false`,
    /// which this does not read).
    pub fn case_insensitive(&self, engine: crate::import::Engine) -> bool {
        use crate::import::Engine;
        let collation = self.collation.as_deref().map(str::to_ascii_lowercase);
        match engine {
            Engine::Mysql => collation
                .is_none_or(|c| !(c == "binary" || c.ends_with("_bin") || c.contains("_cs"))),
            Engine::Sqlite => collation.is_some_and(|c| c == "nocase"),
            Engine::Postgres => false,
        }
    }

    /// Whether the database generates the column's values ([`ColumnDefault::Identity`]).
    pub fn is_identity(&self) -> bool {
        self.default == Some(ColumnDefault::Identity)
    }
}

/// What a database writes in a column an insert omits.
///
/// The application's inserts after the cutover rely on it: a key the old database generated
/// must still be generated by the new one, past every value the backfill copied, and a
/// `DEFAULT CURRENT_TIMESTAMP` column must still fill itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnDefault {
    /// A key the database generates from a counter: MySQL `AUTO_INCREMENT`, PostgreSQL
    /// `GENERATED … AS IDENTITY`, `serial` or a `nextval(…)` default, SQLite's `INTEGER
    /// PRIMARY KEY` (an alias of the rowid).
    Identity,
    /// A default expression, as the source's SQL writes it (`CURRENT_TIMESTAMP`, `'G'`, `0`,
    /// `'{}'::text[]`).
    Expression(String),
}

/// A foreign key from the owning table to `references`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignKey {
    /// Constraint name; generated names are left `None`.
    pub name: Option<String>,
    /// Referencing columns, in declaration order.
    pub columns: Vec<String>,
    /// Referenced table.
    pub references: QualifiedName,
    /// Referenced columns; empty when the DDL relied on the referenced primary key.
    pub referenced_columns: Vec<String>,
    /// `ON DELETE` action.
    pub on_delete: ReferentialAction,
    /// `ON UPDATE` action.
    pub on_update: ReferentialAction,
    /// True when every referencing column is nullable, so the FK can be loaded as NULL and set later.
    pub nullable: bool,
}

/// A secondary index (primary and unique keys are kept separately).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    /// Index name.
    pub name: String,
    /// Indexed columns or expressions, as text.
    pub columns: Vec<String>,
    /// Whether the index enforces uniqueness.
    pub unique: bool,
}

/// How a partitioned table is split (PostgreSQL declarative partitioning, MySQL `PARTITION BY`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partitioning {
    /// Partition strategy and key as written, e.g. `RANGE (payment_date)`.
    pub strategy: String,
    /// Child partitions attached to this table.
    pub partitions: Vec<QualifiedName>,
}

/// A base table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// Qualified table name.
    pub name: QualifiedName,
    /// Columns in declaration order.
    pub columns: Vec<Column>,
    /// Primary key columns; empty when the table has none.
    pub primary_key: Vec<String>,
    /// Unique keys (each a list of columns), primary key excluded.
    pub unique_keys: Vec<Vec<String>>,
    /// Foreign keys declared on this table.
    pub foreign_keys: Vec<ForeignKey>,
    /// Secondary indexes.
    pub indexes: Vec<Index>,
    /// Set when this table is partitioned.
    pub partitioning: Option<Partitioning>,
    /// Set when this table is a partition of another table.
    pub partition_of: Option<QualifiedName>,
    /// Estimated row count, when data was present (`None` = unknown, not zero).
    pub rows: Option<u64>,
    /// Estimated size in bytes, when data was present.
    pub bytes: Option<u64>,
    /// Owning team or person, when known.
    pub owner: Option<String>,
    /// A MySQL table's storage engine (`InnoDB`, `MyISAM`…), as its DDL or catalog says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_engine: Option<String>,
}

impl Table {
    /// An empty table definition.
    pub fn new(name: QualifiedName) -> Self {
        Self {
            name,
            columns: Vec::new(),
            primary_key: Vec::new(),
            unique_keys: Vec::new(),
            foreign_keys: Vec::new(),
            indexes: Vec::new(),
            partitioning: None,
            partition_of: None,
            rows: None,
            bytes: None,
            owner: None,
            storage_engine: None,
        }
    }

    /// Whether a write to the table is part of its transaction: false for a MySQL storage
    /// engine without transactions (MyISAM, Aria, MEMORY, CSV, ARCHIVE, MERGE…), whose rows
    /// stay when the statement that wrote them is rolled back. Change capture by triggers
    /// cannot be atomic with such a table's writes: a statement aborted after its write (a
    /// deadlock on the changelog, a killed client) keeps the row and loses its change. A
    /// table whose engine is not known is taken as transactional.
    pub fn transactional(&self) -> bool {
        self.storage_engine.as_deref().is_none_or(|e| {
            matches!(
                e.to_ascii_lowercase().as_str(),
                "innodb" | "xtradb" | "rocksdb" | "tokudb" | "ndb" | "ndbcluster"
            )
        })
    }

    /// The column called `name`, compared case-insensitively.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }
}

/// A view and the tables or views it reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct View {
    /// Qualified view name.
    pub name: QualifiedName,
    /// Relations named in the view's query (tables or other views), sorted, deduplicated.
    pub reads: Vec<QualifiedName>,
}

/// A trigger on a table, with the tables its body writes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    /// Trigger name (qualified by the table's schema).
    pub name: QualifiedName,
    /// Table the trigger fires on.
    pub table: QualifiedName,
    /// Tables written by the trigger body (INSERT/UPDATE/DELETE targets), sorted, deduplicated.
    pub writes: Vec<QualifiedName>,
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Something was skipped or assumed; the import is still complete for planning.
    Notice,
    /// Something the planner should look at (e.g. an FK to a table that does not exist).
    Warning,
}

/// Something the import noticed: a skipped statement, a dangling reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable code a UI or CI can branch on, e.g. `skipped-statement`, `dangling-fk`.
    pub code: String,
    /// Severity.
    pub severity: Severity,
    /// Source file (relative to the project) or connection name.
    pub source: String,
    /// 1-based line in `source`, when it came from a file.
    pub line: Option<usize>,
    /// Human-readable explanation.
    pub message: String,
}

/// The imported inventory: tables, views, triggers and what the import noticed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Inventory {
    /// Schemas seen (sorted, deduplicated).
    pub schemas: Vec<String>,
    /// Tables, sorted by name.
    pub tables: Vec<Table>,
    /// Views, sorted by name.
    pub views: Vec<View>,
    /// Triggers, sorted by name.
    pub triggers: Vec<Trigger>,
    /// Service-level artifacts (services, data stores, APIs…), sorted by artifact id.
    #[serde(default)]
    pub services: Vec<crate::inventory::service::Service>,
    /// Links between service-level artifacts and down to tables, sorted by (from, to, kind).
    #[serde(default)]
    pub links: Vec<crate::inventory::service::Link>,
    /// Findings in the order they were made.
    pub findings: Vec<Finding>,
}

impl Inventory {
    /// The table with this name: exact match first, then case-insensitive (SQLite and MySQL on
    /// case-insensitive file systems resolve names that way).
    pub fn table(&self, name: &QualifiedName) -> Option<&Table> {
        self.tables.iter().find(|t| &t.name == name).or_else(|| {
            self.tables.iter().find(|t| {
                t.name.name.eq_ignore_ascii_case(&name.name)
                    && match (&t.name.schema, &name.schema) {
                        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                        _ => true,
                    }
            })
        })
    }

    /// Total number of foreign keys over all tables.
    pub fn foreign_key_count(&self) -> usize {
        self.tables.iter().map(|t| t.foreign_keys.len()).sum()
    }

    /// Sorts every list so that two imports of the same schema serialise identically.
    pub fn normalize(&mut self) {
        self.schemas.sort();
        self.schemas.dedup();
        self.tables.sort_by(|a, b| a.name.cmp(&b.name));
        self.views.sort_by(|a, b| a.name.cmp(&b.name));
        self.triggers
            .sort_by(|a, b| a.name.cmp(&b.name).then(a.table.cmp(&b.table)));
        for table in &mut self.tables {
            table.unique_keys.sort();
            table.unique_keys.dedup();
            table.indexes.sort_by(|a, b| a.name.cmp(&b.name));
            table.foreign_keys.sort_by(|a, b| {
                (&a.columns, &a.references, &a.name).cmp(&(&b.columns, &b.references, &b.name))
            });
            if let Some(p) = &mut table.partitioning {
                p.partitions.sort();
            }
        }
        for view in &mut self.views {
            view.reads.sort();
            view.reads.dedup();
        }
        for trigger in &mut self.triggers {
            trigger.writes.sort();
            trigger.writes.dedup();
        }
        self.normalize_services();
    }

    /// Merges service-level artifacts declared more than once (later declarations fill in or
    /// override, see [`crate::inventory::Service::absorb`]) and links declared more than once
    /// (same from, to and kind: the derivations are joined), then sorts both.
    fn normalize_services(&mut self) {
        let mut merged: Vec<crate::inventory::Service> = Vec::with_capacity(self.services.len());
        let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for service in std::mem::take(&mut self.services) {
            match index.get(&service.artifact_id()) {
                Some(&i) => merged[i].absorb(service),
                None => {
                    index.insert(service.artifact_id(), merged.len());
                    merged.push(service);
                }
            }
        }
        merged.sort_by_key(|s| s.artifact_id());
        self.services = merged;
        let mut links: Vec<crate::inventory::Link> = Vec::with_capacity(self.links.len());
        let mut seen: std::collections::HashMap<
            (String, String, crate::inventory::LinkKind),
            usize,
        > = std::collections::HashMap::new();
        for link in std::mem::take(&mut self.links) {
            let key = (link.from.clone(), link.to.clone(), link.kind);
            match seen.get(&key) {
                Some(&i) => {
                    if !links[i].derivation.contains(&link.derivation) {
                        links[i].derivation =
                            format!("{}; {}", links[i].derivation, link.derivation);
                    }
                }
                None => {
                    seen.insert(key, links.len());
                    links.push(link);
                }
            }
        }
        links.sort_by(|a, b| (&a.from, &a.to, a.kind).cmp(&(&b.from, &b.to, b.kind)));
        self.links = links;
    }

    /// The service-level artifact with this artifact id (`kind:id`).
    pub fn service(&self, artifact_id: &str) -> Option<&crate::inventory::Service> {
        self.services
            .iter()
            .find(|s| s.artifact_id() == artifact_id)
    }
}
