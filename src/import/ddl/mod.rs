//! Schema import from DDL scripts (MySQL/MariaDB, PostgreSQL, SQLite dialects).
//!
//! A script is first split into statements as its engine's client would ([`split`]), then each
//! statement is parsed with `sqlparser`, MySQL through [`MySqlDumpDialect`] and `CREATE TABLE`
//! of MySQL and SQLite after a token pre-pass ([`rewrite`]) for the valid syntax sqlparser does
//! not read. Statements that shape the schema (`CREATE TABLE`, `ALTER TABLE … ADD` a key) must
//! parse: if one does not, the import fails naming the file, line and the text near the failure,
//! because skipping it would silently lose tables or keys, unless the importer was told to skip
//! such statements ([`DdlImporter::set_skip_unparsed`]), which then become `unparsed-statement`
//! warnings. Anything else the parser cannot read (procedures, `/*!NNNNN */` comments, psql
//! meta-commands) is skipped with a finding that says so. Trigger and routine bodies and `ATTACH PARTITION` are read from `sqlparser`'s token
//! stream ([`tokens`]), since the parser covers them only for some dialects.
//!
//! Data in the scripts (`INSERT … VALUES`, `COPY … FROM stdin`) is not loaded, only counted, to
//! give row and byte estimates.

mod mysql_dialect;
mod rewrite;
pub mod split;
mod tokens;
mod values;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::ControlFlow;

use sqlparser::ast::{
    self, AlterTableOperation, ColumnOption, CopySource, CopyTarget, ObjectName, ObjectNamePart,
    SchemaName, SetExpr, Statement, TableConstraint, TableObject,
};
use sqlparser::parser::{Parser, ParserError};

use crate::import::dialect::Engine;
use crate::import::error::ImportError;
use crate::inventory::model::{
    Column, ColumnDefault, Finding, ForeignKey, Index, Inventory, Partitioning, QualifiedName,
    ReferentialAction, Severity, Table, Trigger, View,
};
use split::{Piece, SkippedKind};
use tokens::RawName;

pub use mysql_dialect::MySqlDumpDialect;

pub use split::MAX_STATEMENT_BYTES;

/// Largest script read, in bytes. A script is held in memory whole while it is imported (its
/// statements are borrowed from it), so this bounds the import's memory with the limits below.
pub const MAX_SCRIPT_BYTES: u64 = 1024 * 1024 * 1024;

/// Largest statement parsed whole, in bytes. The parser holds a statement's tokens and syntax
/// tree at once (some thirty times its text), so only `INSERT … VALUES` may be longer, up to
/// [`MAX_STATEMENT_BYTES`]: its rows are parsed [`INSERT_SLICE_BYTES`] at a time.
pub const MAX_PARSED_STATEMENT_BYTES: usize = 8 * 1024 * 1024;

/// An `INSERT … VALUES` longer than this is parsed in slices of whole rows of about this size.
pub const INSERT_SLICE_BYTES: usize = 256 * 1024;

/// How many findings of one kind of skipped client directive are listed per file.
const REPEATS_SHOWN: usize = 3;

/// Finding code of a schema-shaping statement skipped because it did not parse
/// ([`DdlImporter::set_skip_unparsed`]).
pub const UNPARSED_STATEMENT: &str = "unparsed-statement";

/// Deepest expression nesting accepted; deeper input is an error, not a stack overflow.
pub const MAX_NESTING: usize = 64;

/// What importing scripts did, for the user to see.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ScriptSummary {
    /// Statements parsed.
    pub parsed: usize,
    /// Statements read from their tokens (triggers, routines, ATTACH PARTITION).
    pub tokenized: usize,
    /// Statements and client directives skipped (each also a finding).
    pub skipped: usize,
    /// Data rows counted (INSERT rows, COPY rows).
    pub data_rows: u64,
    /// Schema-shaping statements that did not parse and were skipped on request (each also an
    /// `unparsed-statement` warning); always 0 unless skipping was asked for.
    #[serde(default)]
    pub unparsed: usize,
}

/// Builds one [`Inventory`] from any number of scripts of one engine.
#[derive(Debug)]
pub struct DdlImporter {
    engine: Engine,
    current_schema: Option<String>,
    schemas: BTreeSet<String>,
    tables: BTreeMap<QualifiedName, Table>,
    views: Vec<View>,
    triggers: Vec<(Trigger, Option<QualifiedName>)>,
    routine_writes: HashMap<QualifiedName, Vec<QualifiedName>>,
    data: HashMap<QualifiedName, (u64, u64)>,
    pending_copy: Option<QualifiedName>,
    findings: Vec<Finding>,
    summary: ScriptSummary,
    skip_unparsed: bool,
}

impl DdlImporter {
    /// An importer for scripts written for `engine`.
    pub fn new(engine: Engine) -> Self {
        Self {
            engine,
            current_schema: engine.default_schema().map(str::to_owned),
            schemas: BTreeSet::new(),
            tables: BTreeMap::new(),
            views: Vec::new(),
            triggers: Vec::new(),
            routine_writes: HashMap::new(),
            data: HashMap::new(),
            pending_copy: None,
            findings: Vec::new(),
            summary: ScriptSummary::default(),
            skip_unparsed: false,
        }
    }

    /// With `skip` set, a schema-shaping statement that does not parse is skipped and reported
    /// as an `unparsed-statement` warning (file, line, the text near the failure) instead of
    /// failing the import; the tables or keys it declares are then missing from the inventory,
    /// which the warning says.
    pub fn set_skip_unparsed(&mut self, skip: bool) {
        self.skip_unparsed = skip;
    }

    /// Counts so far.
    pub fn summary(&self) -> &ScriptSummary {
        &self.summary
    }

    /// Adds one script. `file` is how errors and findings name it (a project-relative path).
    ///
    /// # Errors
    /// [`ImportError::Parse`] when a schema-shaping statement does not parse (unless
    /// [`Self::set_skip_unparsed`]),
    /// [`ImportError::StatementTooLarge`] past [`MAX_STATEMENT_BYTES`]. The importer must then be
    /// dropped: a failed import is all-or-nothing at the project level.
    pub fn add_script(&mut self, file: &str, script: &str) -> Result<(), ImportError> {
        // Each script starts in the engine's default schema, as a fresh client session would.
        self.current_schema = self.engine.default_schema().map(str::to_owned);
        // Dumps repeat the same client directive hundreds of times; list a few, count the rest.
        let mut repeated: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        let mut statements = 0usize;
        for piece in split::pieces(script, self.engine) {
            let piece = piece.map_err(|e| match e {
                split::SplitError::Unterminated { line, what } => ImportError::Unterminated {
                    file: file.to_owned(),
                    line,
                    what,
                },
                split::SplitError::TooLarge { line, limit } => ImportError::StatementTooLarge {
                    file: file.to_owned(),
                    line,
                    what: "statement".into(),
                    limit,
                    hint: "",
                },
            })?;
            match piece {
                Piece::Statement { text, line } => {
                    statements += 1;
                    self.statement(file, &text, line)?;
                }
                Piece::CopyData {
                    line, rows, bytes, ..
                } => {
                    self.summary.data_rows += rows;
                    match self.pending_copy.take() {
                        Some(table) => {
                            let entry = self.data.entry(table).or_default();
                            entry.0 += rows;
                            entry.1 += bytes;
                        }
                        None => self.finding(
                            "copy-data-without-table",
                            Severity::Notice,
                            file,
                            line,
                            "COPY data block whose COPY statement was not understood".into(),
                        ),
                    }
                }
                Piece::Skipped { line, what } => {
                    self.summary.skipped += 1;
                    let (kind, message) = match what {
                        SkippedKind::VersionComment(body) => (
                            "MySQL version comment",
                            format!("MySQL version comment skipped (MariaDB does not run it either): /*!{body}*/"),
                        ),
                        SkippedKind::PsqlMetaCommand(cmd) => {
                            ("psql meta-command", format!("psql meta-command {cmd} skipped"))
                        }
                    };
                    let seen = repeated.entry(kind).or_insert((0, line));
                    seen.0 += 1;
                    if seen.0 <= REPEATS_SHOWN {
                        self.finding("skipped-statement", Severity::Notice, file, line, message);
                    }
                }
            }
        }
        if statements == 0 {
            self.finding(
                "empty-script",
                Severity::Notice,
                file,
                1,
                "no SQL statement in this file (it is empty or holds only comments and client directives)".into(),
            );
        }
        for (kind, (count, first_line)) in repeated {
            if count > REPEATS_SHOWN {
                self.finding(
                    "skipped-statement",
                    Severity::Notice,
                    file,
                    first_line,
                    format!(
                        "{} more {kind}s skipped in this file ({count} in all, the first {REPEATS_SHOWN} listed)",
                        count - REPEATS_SHOWN
                    ),
                );
            }
        }
        Ok(())
    }

    /// Resolves references and returns the inventory, with findings for dangling references.
    pub fn finish(mut self) -> Inventory {
        let saw_data = !self.data.is_empty();
        for (name, table) in &mut self.tables {
            if let Some((rows, bytes)) = self.data.get(name) {
                table.rows = Some(*rows);
                table.bytes = Some(*bytes);
            } else if saw_data {
                table.rows = Some(0);
                table.bytes = Some(0);
            }
            let nullable: Vec<bool> = table
                .foreign_keys
                .iter()
                .map(|fk| foreign_key_nullable(table, &fk.columns))
                .collect();
            for (fk, nullable) in table.foreign_keys.iter_mut().zip(nullable) {
                fk.nullable = nullable;
            }
        }
        let triggers = std::mem::take(&mut self.triggers)
            .into_iter()
            .map(|(mut trigger, executes)| {
                if let Some(writes) = executes.and_then(|f| self.routine_writes.get(&f)) {
                    trigger.writes.extend(writes.iter().cloned());
                }
                trigger
            })
            .collect();
        for table in self.tables.values() {
            if let Some(schema) = &table.name.schema {
                self.schemas.insert(schema.clone());
            }
        }
        let mut inventory = Inventory {
            schemas: self.schemas.into_iter().collect(),
            tables: self.tables.into_values().collect(),
            views: self.views,
            triggers,
            findings: self.findings,
            ..Inventory::default()
        };
        inventory.normalize();
        crate::inventory::resolve::report_dangling(&mut inventory);
        inventory
    }

    fn finding(
        &mut self,
        code: &str,
        severity: Severity,
        file: &str,
        line: usize,
        message: String,
    ) {
        self.findings.push(Finding {
            code: code.to_owned(),
            severity,
            source: file.to_owned(),
            line: Some(line),
            message,
        });
    }

    fn statement(&mut self, file: &str, text: &str, line: usize) -> Result<(), ImportError> {
        let head = head_words(text, 4);
        let head_str = head.join(" ");
        let is_insert = head
            .first()
            .is_some_and(|w| w == "INSERT" || w == "REPLACE");
        if is_insert && text.len() > INSERT_SLICE_BYTES {
            if let Some(layout) = values::layout(text, self.engine) {
                self.insert_in_slices(file, text, line, &layout);
                return Ok(());
            }
        }
        if text.len() > MAX_PARSED_STATEMENT_BYTES {
            return Err(ImportError::StatementTooLarge {
                file: file.to_owned(),
                line,
                what: statement_label(text),
                limit: MAX_PARSED_STATEMENT_BYTES,
                hint: "; only INSERT … VALUES may be longer (its rows are read in slices)",
            });
        }
        let is_create = head.first().is_some_and(|w| w == "CREATE");
        if is_create && head.iter().any(|w| w == "TRIGGER") {
            self.trigger(file, text, line, &head_str);
            return Ok(());
        }
        if is_create && head.iter().any(|w| w == "FUNCTION" || w == "PROCEDURE") {
            if let Some((name, writes)) = tokens::significant(text, self.engine)
                .and_then(|t| tokens::routine(&t, self.engine))
            {
                self.summary.tokenized += 1;
                let name = self.raw_name(&name);
                let writes = writes.iter().map(|w| self.raw_name(w)).collect();
                self.routine_writes.insert(name, writes);
                return Ok(());
            }
        }
        if head.starts_with(&["CREATE".into(), "SCHEMA".into()]) {
            if let Some((schema, elements)) = tokens::schema_elements(text, self.engine) {
                return self.schema_with_elements(file, line, &schema, elements);
            }
        }
        if head.first().is_some_and(|w| w == "COPY") {
            if let Some(table) =
                tokens::significant(text, self.engine).and_then(|t| tokens::copy_from_stdin(&t))
            {
                self.summary.tokenized += 1;
                self.pending_copy = Some(self.raw_name(&table));
                return Ok(());
            }
        }
        if head.starts_with(&["ALTER".into(), "TABLE".into()]) {
            if let Some((parent, child)) =
                tokens::significant(text, self.engine).and_then(|t| tokens::attach_partition(&t))
            {
                self.summary.tokenized += 1;
                let (parent, child) = (self.raw_name(&parent), self.raw_name(&child));
                self.attach_partition(file, line, parent, child);
                return Ok(());
            }
        }
        let prepared = if head.starts_with(&["CREATE".into(), "TABLE".into()]) {
            rewrite::create_table(text, self.engine)
        } else {
            rewrite::Prepared::default()
        };
        let dialect = self.engine.sql_dialect();
        let parsed = Parser::new(dialect.as_ref())
            .with_recursion_limit(MAX_NESTING)
            .try_with_sql(prepared.text.as_deref().unwrap_or(text))
            .and_then(|mut p| p.parse_statements());
        match parsed {
            Ok(statements) => {
                self.summary.parsed += 1;
                for statement in statements {
                    let created = match &statement {
                        Statement::CreateTable(create) => Some(self.name(&create.name)),
                        _ => None,
                    };
                    self.apply(file, line, statement);
                    if let (Some(name), Some(strategy)) = (created, &prepared.partition_by) {
                        if let Some(table) = self.tables.get_mut(&name) {
                            table.partitioning.get_or_insert_with(|| Partitioning {
                                strategy: strategy.clone(),
                                partitions: Vec::new(),
                            });
                        }
                    }
                }
                Ok(())
            }
            Err(error) if shapes_schema(&head, text) => {
                let error_line = error_line(&error).unwrap_or(1);
                let near = near(text, error_line, error_column(&error));
                let file_line = line + error_line - 1;
                if !self.skip_unparsed {
                    return Err(ImportError::Parse {
                        file: file.to_owned(),
                        line: file_line,
                        statement: statement_label(text),
                        expected: error_message(&error),
                        near,
                    });
                }
                self.summary.skipped += 1;
                self.summary.unparsed += 1;
                self.finding(
                    UNPARSED_STATEMENT,
                    Severity::Warning,
                    file,
                    file_line,
                    format!(
                        "{} not imported (--skip-unparsed): the SQL parser cannot read it ({}) near `{near}`; whatever it declares is missing from the inventory",
                        statement_label(text),
                        error_message(&error),
                    ),
                );
                Ok(())
            }
            Err(error) => {
                self.summary.skipped += 1;
                self.finding(
                    "skipped-statement",
                    Severity::Notice,
                    file,
                    line,
                    format!(
                        "{} skipped: the SQL parser cannot read it ({})",
                        statement_label(text),
                        error_message(&error)
                    ),
                );
                Ok(())
            }
        }
    }

    /// Counts a long `INSERT … VALUES` by parsing `head rows suffix` for slices of its rows, so
    /// memory follows the slice, not the statement. Rows and bytes come out as parsing it whole
    /// would give them; a slice that does not parse skips the statement, as a whole would.
    fn insert_in_slices(
        &mut self,
        file: &str,
        text: &str,
        line: usize,
        layout: &values::ValuesLayout,
    ) {
        let head = &text[layout.head.clone()];
        let suffix = &text[layout.suffix.clone()];
        let head_lines = head.matches('\n').count();
        let dialect = self.engine.sql_dialect();
        let (mut table, mut rows, mut rendered) = (None, 0u64, 0u64);
        let (mut lines_before, mut counted_to) = (0usize, 0usize);
        for (k, slice) in values::slices(text, layout, self.engine, INSERT_SLICE_BYTES).enumerate()
        {
            lines_before += text[counted_to..slice.start].matches('\n').count();
            counted_to = slice.start;
            let sql = format!("{head} {} {suffix}", &text[slice]);
            let parsed = Parser::new(dialect.as_ref())
                .with_recursion_limit(MAX_NESTING)
                .try_with_sql(&sql)
                .and_then(|mut p| p.parse_statements());
            let insert = match parsed.as_deref() {
                Ok([Statement::Insert(insert)]) => insert,
                other => {
                    let (at, why) = match other {
                        Err(error) => (
                            error_line(error).map_or(line, |l| {
                                if l <= head_lines + 1 {
                                    line + l - 1
                                } else {
                                    line + lines_before + l - 1 - head_lines
                                }
                            }),
                            error_message(error),
                        ),
                        Ok(_) => (line, "not one INSERT".into()),
                    };
                    self.summary.skipped += 1;
                    self.finding(
                        "skipped-statement",
                        Severity::Notice,
                        file,
                        at,
                        format!(
                            "{} skipped: the SQL parser cannot read it ({why})",
                            statement_label(text)
                        ),
                    );
                    return;
                }
            };
            let TableObject::TableName(name) = &insert.table else {
                return;
            };
            let Some(SetExpr::Values(values)) = insert.source.as_ref().map(|q| q.body.as_ref())
            else {
                return;
            };
            let whole = insert.to_string().len() as u64;
            let values_text = values.to_string().len() as u64;
            // Rendered whole, the statement is this head and suffix once and every slice's
            // `VALUES` list joined: one `VALUES` keyword, a `,` where two lists meet.
            rendered += if k == 0 {
                whole
            } else {
                values_text - "VALUES".len() as u64 + ",".len() as u64
            };
            rows += values.rows.len() as u64;
            table.get_or_insert_with(|| self.name(name));
        }
        let Some(table) = table else { return };
        self.summary.parsed += 1;
        self.summary.data_rows += rows;
        let entry = self.data.entry(table).or_default();
        entry.0 += rows;
        entry.1 += rendered;
    }

    /// PostgreSQL creates each element of `CREATE SCHEMA s CREATE TABLE …` inside `s`.
    fn schema_with_elements(
        &mut self,
        file: &str,
        line: usize,
        schema: &RawName,
        elements: Vec<(usize, String)>,
    ) -> Result<(), ImportError> {
        let schema = self.raw_name(schema).name;
        self.schemas.insert(schema.clone());
        let outer = self.current_schema.replace(schema);
        let result = elements
            .into_iter()
            .try_for_each(|(offset, text)| self.statement(file, &text, line + offset - 1));
        self.current_schema = outer;
        result
    }

    fn trigger(&mut self, file: &str, text: &str, line: usize, head: &str) {
        let facts =
            tokens::significant(text, self.engine).and_then(|t| tokens::trigger(&t, self.engine));
        let Some(facts) = facts else {
            self.summary.skipped += 1;
            self.finding(
                "skipped-statement",
                Severity::Notice,
                file,
                line,
                format!("{head} skipped: trigger name or table not found"),
            );
            return;
        };
        self.summary.tokenized += 1;
        let table = self.raw_name(&facts.table);
        // A trigger lives in its table's schema in PostgreSQL and MySQL.
        let mut name = self.raw_name(&facts.name);
        if facts.name.len() == 1 {
            name.schema.clone_from(&table.schema);
        }
        let writes = facts.writes.iter().map(|w| self.raw_name(w)).collect();
        let executes = facts.executes.as_ref().map(|f| self.raw_name(f));
        self.triggers.push((
            Trigger {
                name,
                table,
                writes,
            },
            executes,
        ));
    }

    fn attach_partition(
        &mut self,
        file: &str,
        line: usize,
        parent: QualifiedName,
        child: QualifiedName,
    ) {
        if let Some(child_table) = self.tables.get_mut(&child) {
            child_table.partition_of = Some(parent.clone());
        }
        match self.tables.get_mut(&parent) {
            Some(parent_table) => parent_table
                .partitioning
                .get_or_insert_with(|| Partitioning {
                    strategy: String::new(),
                    partitions: Vec::new(),
                })
                .partitions
                .push(child),
            None => self.finding(
                "dangling-partition",
                Severity::Warning,
                file,
                line,
                format!("partition {child} attached to unknown table {parent}"),
            ),
        }
    }

    fn apply(&mut self, file: &str, line: usize, statement: Statement) {
        match statement {
            Statement::CreateTable(create) => self.create_table(create),
            Statement::AlterTable {
                name, operations, ..
            } => {
                let table = self.name(&name);
                for operation in operations {
                    match operation {
                        AlterTableOperation::AddConstraint { constraint, .. } => {
                            self.with_table(file, line, &table, |t, engine, schema| {
                                add_constraint(t, constraint, engine, schema)
                            });
                        }
                        // pg_dump sets a serial's default, or adds an identity, after the
                        // table: `ALTER TABLE ONLY t ALTER COLUMN id SET DEFAULT nextval(…)`.
                        AlterTableOperation::AlterColumn { column_name, op } => {
                            let column = ident(&column_name, self.engine);
                            let default = match op {
                                ast::AlterColumnOperation::SetDefault { value } => {
                                    Some(postgres_default(value.to_string()))
                                }
                                ast::AlterColumnOperation::AddGenerated { .. } => {
                                    Some(ColumnDefault::Identity)
                                }
                                _ => None,
                            };
                            if let Some(default) = default {
                                self.with_table(file, line, &table, |t, _, _| {
                                    if let Some(c) = t.columns.iter_mut().find(|c| c.name == column)
                                    {
                                        c.default = Some(default);
                                    }
                                });
                            }
                        }
                        _ => {}
                    }
                }
            }
            Statement::CreateIndex(index) => {
                let table = self.name(&index.table_name);
                let engine = self.engine;
                let columns: Vec<String> = index
                    .columns
                    .iter()
                    .map(|c| expr_text(&c.column.expr, engine))
                    .collect();
                let name = index
                    .name
                    .as_ref()
                    .map(|n| self.name(n).name)
                    .unwrap_or_default();
                let unique = index.unique;
                self.with_table(file, line, &table, |t, _, _| {
                    if unique && !columns.is_empty() && t.primary_key != columns {
                        t.unique_keys.push(columns.clone());
                    }
                    t.indexes.push(Index {
                        name,
                        columns,
                        unique,
                    });
                });
            }
            Statement::CreateView { name, query, .. } => {
                let name = self.name(&name);
                let ctes: BTreeSet<String> = query
                    .with
                    .iter()
                    .flat_map(|w| w.cte_tables.iter().map(|c| c.alias.name.value.clone()))
                    .collect();
                let mut reads = Vec::new();
                let _ = ast::visit_relations(&query, |relation| {
                    let is_cte = relation.0.len() == 1
                        && relation.0[0]
                            .as_ident()
                            .is_some_and(|i| ctes.contains(&i.value));
                    if !is_cte {
                        reads.push(self.name(relation));
                    }
                    ControlFlow::<()>::Continue(())
                });
                self.views.push(View { name, reads });
            }
            Statement::Insert(insert) => {
                let TableObject::TableName(table) = &insert.table else {
                    return;
                };
                let rows = insert.source.as_ref().map_or(0, |q| match q.body.as_ref() {
                    SetExpr::Values(values) => values.rows.len() as u64,
                    _ => 0,
                });
                let bytes = insert.to_string().len() as u64;
                self.summary.data_rows += rows;
                let entry = self.data.entry(self.name(table)).or_default();
                entry.0 += rows;
                entry.1 += bytes;
            }
            Statement::Copy {
                source: CopySource::Table { table_name, .. },
                to: false,
                target: CopyTarget::Stdin,
                ..
            } => self.pending_copy = Some(self.name(&table_name)),
            Statement::Use(
                ast::Use::Object(db) | ast::Use::Database(db) | ast::Use::Schema(db),
            ) => {
                let schema = self.name(&db).name;
                self.schemas.insert(schema.clone());
                self.current_schema = Some(schema);
            }
            Statement::CreateSchema {
                schema_name: SchemaName::Simple(name) | SchemaName::NamedAuthorization(name, _),
                ..
            } => {
                let schema = self.name(&name).name;
                self.schemas.insert(schema);
            }
            Statement::CreateDatabase { db_name, .. } if self.engine == Engine::Mysql => {
                let schema = self.name(&db_name).name;
                self.schemas.insert(schema);
            }
            _ => {}
        }
    }

    fn create_table(&mut self, create: ast::CreateTable) {
        let name = self.name(&create.name);
        let engine = self.engine;
        let schema = self.current_schema.clone();
        let mut table = Table::new(name.clone());
        for column in &create.columns {
            let column_name = ident(&column.name, engine);
            let mut nullable = true;
            let mut data_type = match engine {
                Engine::Sqlite => rewrite::declared_sqlite_type(&column.data_type)
                    .unwrap_or_else(|| column.data_type.to_string()),
                _ => column.data_type.to_string(),
            };
            for option in &column.options {
                match &option.option {
                    ColumnOption::NotNull => nullable = false,

                    ColumnOption::Unique { is_primary, .. } => {
                        if *is_primary {
                            table.primary_key = vec![column_name.clone()];
                        } else {
                            table.unique_keys.push(vec![column_name.clone()]);
                        }
                    }
                    ColumnOption::ForeignKey {
                        foreign_table,
                        referred_columns,
                        on_delete,
                        on_update,
                        ..
                    } => table.foreign_keys.push(ForeignKey {
                        name: option.name.as_ref().map(|n| ident(n, engine)),
                        columns: vec![column_name.clone()],
                        references: qualify(foreign_table, engine, schema.as_deref()),
                        referenced_columns: referred_columns
                            .iter()
                            .map(|c| ident(c, engine))
                            .collect(),
                        on_delete: action(on_delete),
                        on_update: action(on_update),
                        nullable: true,
                    }),
                    other => {
                        if let Some(words) = mysql_dialect::type_words(other) {
                            data_type.push(' ');
                            data_type.push_str(&words);
                        }
                    }
                }
            }
            if engine == Engine::Mysql {
                data_type = mysql_dialect::normalize_type(&data_type);
            }
            table.columns.push(Column {
                name: column_name,
                default: column_default(engine, &data_type, &column.options),
                on_update: column.options.iter().find_map(|o| match &o.option {
                    ColumnOption::OnUpdate(expr) => Some(expr.to_string()),
                    _ => None,
                }),
                collation: column.options.iter().find_map(|o| match &o.option {
                    ColumnOption::Collation(name) => {
                        Some(name.to_string().trim_matches(['"', '`']).to_owned())
                    }
                    _ => None,
                }),
                data_type,
                nullable,
            });
        }
        if engine == Engine::Mysql {
            table.storage_engine = mysql_dialect::table_engine(&create.table_options.to_string());
        }
        // A MySQL table's `COLLATE=` (or `DEFAULT COLLATE`) is the collation of its text
        // columns that state none (MySQL 8.0 reference, 10.3.4 "Table Character Set and
        // Collation").
        if let Some(collation) = (engine == Engine::Mysql)
            .then(|| mysql_dialect::table_collation(&create.table_options.to_string()))
            .flatten()
        {
            for column in table.columns.iter_mut().filter(|c| c.collation.is_none()) {
                let logical = crate::data::Logical::of(engine, &column.data_type);
                if matches!(
                    logical,
                    crate::data::Logical::Text { .. }
                        | crate::data::Logical::Enum(_)
                        | crate::data::Logical::Set(_)
                ) {
                    column.collation = Some(collation.clone());
                }
            }
        }
        for constraint in create.constraints {
            add_constraint(&mut table, constraint, engine, schema.as_deref());
        }
        primary_key_not_null(&mut table, engine, create.without_rowid);
        if let Some(partition_by) = &create.partition_by {
            table.partitioning = Some(Partitioning {
                strategy: partition_by.to_string(),
                partitions: Vec::new(),
            });
        }
        // A PostgreSQL `CREATE TABLE … PARTITION OF` is read by the parser only in some versions;
        // when it is not, ATTACH PARTITION supplies the link.
        if let Some(existing) = self.tables.get(&name) {
            table.partitioning = table.partitioning.or_else(|| existing.partitioning.clone());
        }
        self.tables.insert(name, table);
    }

    fn with_table(
        &mut self,
        file: &str,
        line: usize,
        name: &QualifiedName,
        f: impl FnOnce(&mut Table, Engine, Option<&str>),
    ) {
        let engine = self.engine;
        let schema = self.current_schema.clone();
        let key = self
            .tables
            .keys()
            .find(|k| *k == name)
            .or_else(|| {
                self.tables
                    .keys()
                    .find(|k| k.name.eq_ignore_ascii_case(&name.name) && k.schema == name.schema)
            })
            .cloned();
        match key.and_then(|k| self.tables.get_mut(&k)) {
            Some(table) => f(table, engine, schema.as_deref()),
            None => self.finding(
                "unknown-table",
                Severity::Warning,
                file,
                line,
                format!("statement refers to table {name}, which no script creates"),
            ),
        }
    }

    fn name(&self, name: &ObjectName) -> QualifiedName {
        qualify(name, self.engine, self.current_schema.as_deref())
    }

    fn raw_name(&self, name: &RawName) -> QualifiedName {
        let folded: Vec<String> = name
            .iter()
            .map(|(v, quoted)| self.engine.fold_identifier(v, *quoted))
            .collect();
        match folded.as_slice() {
            [] => QualifiedName::new(None, ""),
            [only] => QualifiedName::new(self.current_schema.as_deref(), only),
            [.., schema, last] => QualifiedName::new(Some(schema), last),
        }
    }
}

fn add_constraint(
    table: &mut Table,
    constraint: TableConstraint,
    engine: Engine,
    schema: Option<&str>,
) {
    let columns_of = |cols: &[ast::IndexColumn]| -> Vec<String> {
        cols.iter()
            .map(|c| expr_text(&c.column.expr, engine))
            .collect()
    };
    match constraint {
        TableConstraint::PrimaryKey { columns, .. } => {
            table.primary_key = columns_of(&columns);
            primary_key_not_null(table, engine, false);
        }
        TableConstraint::Unique {
            name,
            index_name,
            columns,
            ..
        } => {
            let columns = columns_of(&columns);
            if let Some(name) = name.or(index_name) {
                table.indexes.push(Index {
                    name: ident(&name, engine),
                    columns: columns.clone(),
                    unique: true,
                });
            }
            table.unique_keys.push(columns);
        }
        TableConstraint::ForeignKey {
            name,
            columns,
            foreign_table,
            referred_columns,
            on_delete,
            on_update,
            ..
        } => table.foreign_keys.push(ForeignKey {
            name: name.as_ref().map(|n| ident(n, engine)),
            columns: columns.iter().map(|c| ident(c, engine)).collect(),
            references: qualify(&foreign_table, engine, schema),
            referenced_columns: referred_columns.iter().map(|c| ident(c, engine)).collect(),
            on_delete: action(&on_delete),
            on_update: action(&on_update),
            nullable: true,
        }),
        TableConstraint::FulltextOrSpatial {
            opt_index_name,
            columns,
            ..
        } => table.indexes.push(Index {
            name: opt_index_name
                .map(|n| ident(&n, engine))
                .unwrap_or_default(),
            columns: columns_of(&columns),
            unique: false,
        }),
        TableConstraint::Index { name, columns, .. } => table.indexes.push(Index {
            name: name.map(|n| ident(&n, engine)).unwrap_or_default(),
            columns: columns_of(&columns),
            unique: false,
        }),
        _ => {}
    }
}

/// Marks the primary key's columns NOT NULL where the engine makes them so, as its catalog
/// (and so the live import) reports them. PostgreSQL and MySQL: every key column, declared on the
/// column (`id int PRIMARY KEY`) or in a constraint. SQLite keeps its historical exception
/// (SQLite docs, "CREATE TABLE", §3.5): a key column of an ordinary table may hold NULL, except
/// the rowid alias (a lone `INTEGER` key, which can never be NULL) and every key column of a
/// `WITHOUT ROWID` table. A table's key is known once all its columns are, so this runs after
/// them.
/// What the database writes in the column when an insert omits it, from the column's options
/// (and, for PostgreSQL's `serial` types, its declared type).
fn column_default(
    engine: Engine,
    data_type: &str,
    options: &[ast::ColumnOptionDef],
) -> Option<ColumnDefault> {
    let serial = engine == Engine::Postgres
        && matches!(
            data_type.to_ascii_lowercase().as_str(),
            "serial" | "bigserial" | "smallserial" | "serial4" | "serial8" | "serial2"
        );
    if serial {
        return Some(ColumnDefault::Identity);
    }
    let mut default = None;
    for option in options {
        match &option.option {
            ColumnOption::Default(expr) => {
                default = Some(postgres_default(expr.to_string()));
            }
            ColumnOption::Generated {
                generation_expr: None,
                ..
            } => return Some(ColumnDefault::Identity),
            ColumnOption::DialectSpecific(tokens)
                if tokens.iter().any(|t| {
                    let word = t.to_string();
                    word.eq_ignore_ascii_case("AUTO_INCREMENT")
                        || word.eq_ignore_ascii_case("AUTOINCREMENT")
                }) =>
            {
                return Some(ColumnDefault::Identity)
            }
            _ => {}
        }
    }
    default
}

/// A default as the DDL or the catalog writes it: one drawing from a sequence
/// (`nextval('t_id_seq'::regclass)`, how `serial` columns appear in `pg_dump` output and in
/// PostgreSQL's catalog) is a generated key, anything else an expression.
pub(crate) fn postgres_default(text: String) -> ColumnDefault {
    if text
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("nextval(")
    {
        ColumnDefault::Identity
    } else {
        ColumnDefault::Expression(text)
    }
}

pub(crate) fn primary_key_not_null(table: &mut Table, engine: Engine, without_rowid: bool) {
    let rowid_alias = engine == Engine::Sqlite
        && !without_rowid
        && match table.primary_key.as_slice() {
            [only] => table
                .columns
                .iter()
                .any(|c| &c.name == only && c.data_type.eq_ignore_ascii_case("INTEGER")),
            _ => false,
        };
    if engine == Engine::Sqlite && !without_rowid && !rowid_alias {
        return;
    }
    for pk in &table.primary_key {
        if let Some(col) = table.columns.iter_mut().find(|c| &c.name == pk) {
            col.nullable = false;
            // SQLite fills a rowid alias the insert omits, AUTOINCREMENT or not.
            if rowid_alias {
                col.default = Some(ColumnDefault::Identity);
            }
        }
    }
}

/// Whether rows can be loaded with the foreign key's columns NULL and the key set later: every
/// column is nullable and none is in the primary key (a key column is NOT NULL on every target,
/// whatever a SQLite source allows).
pub(crate) fn foreign_key_nullable(table: &Table, columns: &[String]) -> bool {
    columns.iter().all(|c| {
        !table.primary_key.iter().any(|k| k.eq_ignore_ascii_case(c))
            && table
                .columns
                .iter()
                .find(|col| col.name.eq_ignore_ascii_case(c))
                .is_none_or(|col| col.nullable)
    })
}

fn action(action: &Option<ast::ReferentialAction>) -> ReferentialAction {
    match action {
        None | Some(ast::ReferentialAction::NoAction) => ReferentialAction::NoAction,
        Some(ast::ReferentialAction::Restrict) => ReferentialAction::Restrict,
        Some(ast::ReferentialAction::Cascade) => ReferentialAction::Cascade,
        Some(ast::ReferentialAction::SetNull) => ReferentialAction::SetNull,
        Some(ast::ReferentialAction::SetDefault) => ReferentialAction::SetDefault,
    }
}

fn ident(ident: &ast::Ident, engine: Engine) -> String {
    engine.fold_identifier(&ident.value, ident.quote_style.is_some())
}

fn expr_text(expr: &ast::Expr, engine: Engine) -> String {
    match expr {
        ast::Expr::Identifier(i) => ident(i, engine),
        other => other.to_string(),
    }
}

fn qualify(name: &ObjectName, engine: Engine, current_schema: Option<&str>) -> QualifiedName {
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|part| match part {
            ObjectNamePart::Identifier(i) => ident(i, engine),
            other => other.to_string(),
        })
        .collect();
    match parts.as_slice() {
        [] => QualifiedName::new(None, ""),
        [only] => QualifiedName::new(current_schema, only),
        [.., schema, last] => QualifiedName::new(Some(schema), last),
    }
}

/// First `n` words, upper-cased, skipping MySQL's `DEFINER=…` and `OR REPLACE`.
fn head_words(text: &str, n: usize) -> Vec<String> {
    text.split_whitespace()
        .map(str::to_ascii_uppercase)
        .filter(|w| !w.starts_with("DEFINER") && !w.contains('@'))
        .filter(|w| {
            w != "OR" && w != "REPLACE" && w != "TEMPORARY" && w != "TEMP" && w != "UNLOGGED"
        })
        .take(n)
        .collect()
}

/// Statements whose loss would drop tables or keys from the inventory.
fn shapes_schema(head: &[String], text: &str) -> bool {
    let is = |a: &str, b: &str| {
        head.first().is_some_and(|w| w == a) && head.get(1).is_some_and(|w| w == b)
    };
    if is("CREATE", "TABLE") {
        return true;
    }
    if is("ALTER", "TABLE") {
        let upper = text.to_ascii_uppercase();
        return ["PRIMARY KEY", "FOREIGN KEY", "UNIQUE"]
            .iter()
            .any(|k| upper.contains(k));
    }
    false
}

/// `CREATE TABLE actor`-style label from a statement's first words.
fn statement_label(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().take(3).collect();
    let label = words.join(" ");
    if label.chars().count() > 60 {
        label.chars().take(60).collect::<String>() + "…"
    } else {
        label
    }
}

fn error_message(error: &ParserError) -> String {
    let text = match error {
        ParserError::ParserError(m) | ParserError::TokenizerError(m) => m.clone(),
        ParserError::RecursionLimitExceeded => {
            format!("nesting deeper than {MAX_NESTING} levels")
        }
    };
    match text.find(" at Line: ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

/// The parser reports positions only inside its message (`… at Line: 3, Column: 7`).
fn error_position(error: &ParserError, label: &str) -> Option<usize> {
    let (ParserError::ParserError(m) | ParserError::TokenizerError(m)) = error else {
        return None;
    };
    let rest = &m[m.find(label)? + label.len()..];
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

fn error_line(error: &ParserError) -> Option<usize> {
    error_position(error, "Line: ")
}

fn error_column(error: &ParserError) -> Option<usize> {
    error_position(error, "Column: ")
}

/// Widest stretch of a line shown as the text near a parse failure, in characters.
const NEAR_CHARS: usize = 60;

/// The text of `text`'s line `line` (1-based) around `column`, whitespace collapsed, at most
/// [`NEAR_CHARS`] characters, for a message that lets the reader find the place.
fn near(text: &str, line: usize, column: Option<usize>) -> String {
    let Some(source) = text.lines().nth(line.saturating_sub(1)) else {
        return String::new();
    };
    let chars: Vec<char> = source.chars().collect();
    let column = column.unwrap_or(1).saturating_sub(1).min(chars.len());
    let start = column.saturating_sub(NEAR_CHARS / 2);
    let end = (start + NEAR_CHARS).min(chars.len());
    let start = end.saturating_sub(NEAR_CHARS).min(start);
    let piece: String = chars[start..end].iter().collect();
    let mut shown = piece.split_whitespace().collect::<Vec<_>>().join(" ");
    if start > 0 && !chars[..start].iter().all(|c| c.is_whitespace()) {
        shown.insert(0, '…');
    }
    if end < chars.len() && !chars[end..].iter().all(|c| c.is_whitespace()) {
        shown.push('…');
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A long INSERT read in slices counts the rows and bytes that parsing it whole gives.
    #[test]
    fn a_sliced_insert_counts_as_a_whole_one() {
        for (engine, row) in [
            (Engine::Mysql, "(7, 'it\\'s (a), row', NULL, 1.5e3)"),
            (Engine::Postgres, "(7, 'it''s (a), row', $$x)$$, E'\\')')"),
            (Engine::Sqlite, "(7, 'it''s (a), row', [x], -2)"),
        ] {
            let rows = 3 * INSERT_SLICE_BYTES / row.len();
            let sql = format!(
                "INSERT INTO t (a, b, c, d) VALUES\n{}",
                vec![row; rows].join(",\n")
            );
            let dialect = engine.sql_dialect();
            let whole = Parser::new(dialect.as_ref())
                .try_with_sql(&sql)
                .and_then(|mut p| p.parse_statements())
                .unwrap();
            let Statement::Insert(insert) = &whole[0] else {
                panic!("{whole:?}")
            };
            let mut importer = DdlImporter::new(engine);
            importer.add_script("big.sql", &sql).unwrap();
            assert_eq!(importer.summary().parsed, 1, "{engine:?}");
            assert_eq!(importer.summary().data_rows, rows as u64, "{engine:?}");
            let (_, (counted_rows, bytes)) = importer.data.iter().next().unwrap();
            assert_eq!(*counted_rows, rows as u64);
            assert_eq!(*bytes, insert.to_string().len() as u64, "{engine:?}");
        }
    }

    #[test]
    fn a_bad_row_in_a_long_insert_skips_it_naming_the_line() {
        let row = "(1, 'abc')";
        let rows = 2 * INSERT_SLICE_BYTES / row.len();
        let mut lines = vec![row; rows];
        lines[rows - 10] = "(1, 'abc' 'x' +)";
        let sql = format!("INSERT INTO t VALUES\n{}", lines.join(",\n"));
        let mut importer = DdlImporter::new(Engine::Postgres);
        importer.add_script("big.sql", &sql).unwrap();
        assert_eq!(importer.summary().skipped, 1);
        let finding = &importer.findings[0];
        assert_eq!(finding.line, Some(rows - 10 + 2), "{finding:?}");
    }
}
