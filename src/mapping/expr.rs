//! The mapping spec's expression language: how a `derive` rule computes a target column from
//! the columns of its source row, and what `merge` and `split` rules compile to.
//!
//! An expression is evaluated **on the source database**, as part of the `SELECT` that reads
//! the row: by the backfill, by the catch-up when it reads a changed row again, and by
//! validation on its source side. The same compiled text in all three places is what lets a
//! correct derivation validate clean and a wrong one be found at its key and column.
//!
//! Grammar (precedence from loosest): `a || b` (text concatenation, NULL if either is NULL),
//! `a + b`, `a - b`, `a * b`, unary `-a`, then primaries: a source column (`first_name`, or
//! `"Odd Name"` quoted), a string `'it''s'`, an integer `42`, a decimal `4.99`, `NULL`, `TRUE`,
//! `FALSE`, `( … )`, or one of these functions:
//!
//! | function | result | meaning |
//! | --- | --- | --- |
//! | `lower(t)`, `upper(t)`, `trim(t)` | text | case mapping; spaces trimmed from both ends |
//! | `length(t)` | integer | length in characters |
//! | `substr(t, start[, count])` | text | characters from `start` (1-based literal ≥ 1) |
//! | `replace(t, from, to)` | text | every occurrence, case-sensitive |
//! | `split_part(t, sep, n)` | text | the `n`th part (literal ≥ 1) of `t` cut at `sep`; `''` past the last |
//! | `split_rest(t, sep, n)` | text | the `n`th part and all after it, separators kept; `''` past the last |
//! | `concat(a, …)` | text | NULLs taken as `''` |
//! | `concat_ws(sep, a, …)` | text | joined with `sep`, NULLs skipped |
//! | `coalesce(a, …)`, `nullif(a, b)` | as `a` | SQL's |
//!
//! Functions are PostgreSQL's and MySQL's own where both have them with one meaning (their
//! manuals, "String Functions and Operators"); `split_part` and `split_rest` are written out for
//! MySQL with `SUBSTRING_INDEX` so they mean what PostgreSQL's `split_part` means. SQLite
//! sources have the functions SQLite has (no `concat_ws`, `split_part`, `split_rest`).
//!
//! No spec can inject SQL: a column reference must name a column of the source table and is
//! quoted as an identifier; a string literal reaches the SQL only as the hexadecimal digits of
//! its UTF-8 bytes; numbers are re-printed from their parsed value; function names come from
//! the table above.

use crate::data::Logical;
use crate::db::quote;
use crate::import::Engine;
use crate::inventory::Table;

/// What a (sub)expression yields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text.
    Text,
    /// An integer.
    Int,
    /// An exact decimal.
    Decimal,
    /// A floating-point number.
    Float,
    /// A boolean.
    Bool,
    /// `NULL`, of no kind yet.
    Null,
    /// Another type (a date, bytes, JSON…): only passed through, or turned into text.
    Other,
}

impl Kind {
    /// The kind of a stored column's values.
    pub fn of(logical: &Logical) -> Self {
        match logical {
            Logical::Text { .. } | Logical::Enum(_) | Logical::Set(_) | Logical::Uuid => Self::Text,
            Logical::Int { .. } | Logical::Year => Self::Int,
            Logical::Decimal { .. } => Self::Decimal,
            Logical::Float { .. } => Self::Float,
            Logical::Bool => Self::Bool,
            _ => Self::Other,
        }
    }

    fn numeric(self) -> bool {
        matches!(self, Self::Int | Self::Decimal | Self::Float | Self::Null)
    }

    /// The declared type a value of this kind is read as on `engine` (and the default target
    /// type of a derived column on a target of that engine).
    pub fn declared(self, engine: Engine) -> &'static str {
        match (self, engine) {
            (Self::Int, Engine::Sqlite) => "INTEGER",
            (Self::Int, _) => "bigint",
            (Self::Decimal, Engine::Postgres) => "numeric",
            (Self::Decimal, Engine::Mysql) => "decimal(65,30)",
            (Self::Decimal, Engine::Sqlite) => "NUMERIC",
            (Self::Float, Engine::Postgres) => "double precision",
            (Self::Float, Engine::Mysql) => "double",
            (Self::Float, Engine::Sqlite) => "REAL",
            (Self::Bool, Engine::Postgres) => "boolean",
            (Self::Bool, Engine::Mysql) => "tinyint(1)",
            (Self::Bool, Engine::Sqlite) => "INTEGER",
            (_, Engine::Postgres) => "text",
            (_, Engine::Mysql) => "longtext",
            (_, Engine::Sqlite) => "TEXT",
        }
    }
}

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Column { name: String, kind: Kind },
    Text(String),
    Int(i64),
    Decimal(String),
    Null,
    Bool(bool),
    Neg(Box<Node>),
    Binary(char, Box<Node>, Box<Node>, Kind),
    Concat(Box<Node>, Box<Node>),
    Call(&'static str, Vec<Node>, Kind),
}

/// A checked expression over the columns of one source table.
#[derive(Debug, Clone, PartialEq)]
pub struct Expression {
    node: Node,
    /// What it yields.
    pub kind: Kind,
    /// The source columns it reads, in first-use order.
    pub columns: Vec<String>,
    /// The text it was parsed from.
    pub text: String,
}

/// Why an expression was refused: `at` is the 0-based character offset it was refused at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at character {}: {message}", at + 1)]
pub struct ExprError {
    /// Character offset into the expression.
    pub at: usize,
    /// What was wrong and what was expected.
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Quoted(String),
    Text(String),
    Number(String),
    Sym(&'static str),
}

fn tokens(text: &str) -> Result<Vec<(usize, Token)>, ExprError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |at, message: &str| ExprError {
        at,
        message: message.to_owned(),
    };
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push((start, Token::Ident(chars[start..i].iter().collect())));
        } else if c.is_ascii_digit() {
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let number: String = chars[start..i].iter().collect();
            if number.matches('.').count() > 1 || number.ends_with('.') {
                return Err(err(start, "expected a number such as 42 or 4.99"));
            }
            out.push((start, Token::Number(number)));
        } else if c == '\'' || c == '"' {
            let mut value = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(err(start, "unterminated quote")),
                    Some(&q) if q == c && chars.get(i + 1) == Some(&c) => {
                        value.push(c);
                        i += 2;
                    }
                    Some(&q) if q == c => {
                        i += 1;
                        break;
                    }
                    Some(&other) => {
                        value.push(other);
                        i += 1;
                    }
                }
            }
            out.push((
                start,
                if c == '\'' {
                    Token::Text(value)
                } else {
                    Token::Quoted(value)
                },
            ));
        } else {
            let sym = match (c, chars.get(i + 1)) {
                ('|', Some('|')) => "||",
                ('(', _) => "(",
                (')', _) => ")",
                (',', _) => ",",
                ('+', _) => "+",
                ('-', _) => "-",
                ('*', _) => "*",
                _ => {
                    return Err(err(
                        start,
                        &format!("unexpected `{c}`; expected a column, a literal, a function call or one of || + - * ( ) ,"),
                    ))
                }
            };
            i += sym.len();
            out.push((start, Token::Sym(sym)));
        }
    }
    Ok(out)
}

/// The functions the language has: name, fewest and most arguments.
const FUNCTIONS: [(&str, usize, usize); 12] = [
    ("lower", 1, 1),
    ("upper", 1, 1),
    ("trim", 1, 1),
    ("length", 1, 1),
    ("substr", 2, 3),
    ("replace", 3, 3),
    ("split_part", 3, 3),
    ("split_rest", 3, 3),
    ("concat", 1, 64),
    ("concat_ws", 2, 64),
    ("coalesce", 1, 64),
    ("nullif", 2, 2),
];

struct Parser<'a> {
    tokens: Vec<(usize, Token)>,
    at: usize,
    end: usize,
    table: &'a Table,
    engine: Engine,
    columns: Vec<String>,
}

impl Parser<'_> {
    fn offset(&self) -> usize {
        self.tokens.get(self.at).map_or(self.end, |t| t.0)
    }

    fn err<T>(&self, at: usize, message: impl Into<String>) -> Result<T, ExprError> {
        Err(ExprError {
            at,
            message: message.into(),
        })
    }

    fn eat(&mut self, sym: &str) -> bool {
        if matches!(self.tokens.get(self.at), Some((_, Token::Sym(s))) if *s == sym) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expr(&mut self) -> Result<(Node, Kind), ExprError> {
        let (mut node, mut kind) = self.additive()?;
        while self.eat("||") {
            let (right, _) = self.additive()?;
            node = Node::Concat(Box::new(node), Box::new(right));
            kind = Kind::Text;
        }
        Ok((node, kind))
    }

    fn additive(&mut self) -> Result<(Node, Kind), ExprError> {
        let (mut node, mut kind) = self.term()?;
        loop {
            let op = if self.eat("+") {
                '+'
            } else if self.eat("-") {
                '-'
            } else {
                return Ok((node, kind));
            };
            let at = self.offset();
            let (right, right_kind) = self.term()?;
            kind = self.arithmetic(at, kind, right_kind)?;
            node = Node::Binary(op, Box::new(node), Box::new(right), kind);
        }
    }

    fn term(&mut self) -> Result<(Node, Kind), ExprError> {
        let (mut node, mut kind) = self.unary()?;
        while self.eat("*") {
            let at = self.offset();
            let (right, right_kind) = self.unary()?;
            kind = self.arithmetic(at, kind, right_kind)?;
            node = Node::Binary('*', Box::new(node), Box::new(right), kind);
        }
        Ok((node, kind))
    }

    fn arithmetic(&self, at: usize, a: Kind, b: Kind) -> Result<Kind, ExprError> {
        if !a.numeric() || !b.numeric() {
            return self.err(
                at,
                format!(
                    "arithmetic needs numbers; got {a:?} and {b:?} (use || or concat for text)"
                ),
            );
        }
        Ok(if a == Kind::Float || b == Kind::Float {
            Kind::Float
        } else if a == Kind::Decimal || b == Kind::Decimal {
            Kind::Decimal
        } else {
            Kind::Int
        })
    }

    fn unary(&mut self) -> Result<(Node, Kind), ExprError> {
        let at = self.offset();
        if self.eat("-") {
            let (node, kind) = self.unary()?;
            self.arithmetic(at, kind, Kind::Int)?;
            return Ok((Node::Neg(Box::new(node)), kind));
        }
        self.primary()
    }

    fn column(&mut self, at: usize, name: &str) -> Result<(Node, Kind), ExprError> {
        let Some(column) = self.table.column(name) else {
            return self.err(
                at,
                format!(
                    "no column `{name}` in source table {}; expected one of: {}",
                    self.table.name,
                    self.table
                        .columns
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        };
        if !self.columns.contains(&column.name) {
            self.columns.push(column.name.clone());
        }
        let kind = Kind::of(&Logical::of(self.engine, &column.data_type));
        Ok((
            Node::Column {
                name: column.name.clone(),
                kind,
            },
            kind,
        ))
    }

    fn primary(&mut self) -> Result<(Node, Kind), ExprError> {
        let at = self.offset();
        let Some((_, token)) = self.tokens.get(self.at).cloned() else {
            return self.err(at, "expected a column, a literal or a function call");
        };
        self.at += 1;
        match token {
            Token::Sym("(") => {
                let inner = self.expr()?;
                if !self.eat(")") {
                    return self.err(self.offset(), "expected `)`");
                }
                Ok(inner)
            }
            Token::Sym(s) => self.err(at, format!("unexpected `{s}`")),
            Token::Text(t) => Ok((Node::Text(t), Kind::Text)),
            Token::Number(n) if n.contains('.') => Ok((Node::Decimal(n), Kind::Decimal)),
            Token::Number(n) => match n.parse::<i64>() {
                Ok(v) => Ok((Node::Int(v), Kind::Int)),
                Err(_) => self.err(at, "integer out of the 64-bit range"),
            },
            Token::Quoted(name) => self.column(at, &name),
            Token::Ident(word) => {
                let lower = word.to_ascii_lowercase();
                if self.eat("(") {
                    return self.call(at, &lower);
                }
                match lower.as_str() {
                    "null" => Ok((Node::Null, Kind::Null)),
                    "true" => Ok((Node::Bool(true), Kind::Bool)),
                    "false" => Ok((Node::Bool(false), Kind::Bool)),
                    _ => self.column(at, &word),
                }
            }
        }
    }

    fn call(&mut self, at: usize, name: &str) -> Result<(Node, Kind), ExprError> {
        let Some(&(name, fewest, most)) = FUNCTIONS.iter().find(|f| f.0 == name) else {
            return self.err(
                at,
                format!(
                    "unknown function `{name}`; expected one of: {}",
                    FUNCTIONS.map(|f| f.0).join(", ")
                ),
            );
        };
        let mut args = Vec::new();
        if !self.eat(")") {
            loop {
                let arg_at = self.offset();
                let (node, kind) = self.expr()?;
                args.push((arg_at, node, kind));
                if self.eat(")") {
                    break;
                }
                if !self.eat(",") {
                    return self.err(self.offset(), "expected `,` or `)`");
                }
            }
        }
        if args.len() < fewest || args.len() > most {
            return self.err(
                at,
                format!(
                    "{name} takes {} argument(s), got {}",
                    if fewest == most {
                        fewest.to_string()
                    } else {
                        format!("{fewest} to {most}")
                    },
                    args.len()
                ),
            );
        }
        if self.engine == Engine::Sqlite
            && matches!(name, "concat_ws" | "split_part" | "split_rest")
        {
            return self.err(at, format!("{name} is not available on an SQLite source"));
        }
        let text_arg = |i: usize| -> Result<(), ExprError> {
            let (arg_at, _, kind) = &args[i];
            if matches!(kind, Kind::Text | Kind::Null) {
                Ok(())
            } else {
                self.err(*arg_at, format!("{name} needs text here, got {kind:?}"))
            }
        };
        let positive_literal = |i: usize| -> Result<(), ExprError> {
            match &args[i] {
                (_, Node::Int(n), _) if *n >= 1 => Ok(()),
                (arg_at, _, _) => self.err(
                    *arg_at,
                    format!("{name} needs an integer literal of at least 1 here"),
                ),
            }
        };
        let kind = match name {
            "lower" | "upper" | "trim" => {
                text_arg(0)?;
                Kind::Text
            }
            "length" => {
                text_arg(0)?;
                Kind::Int
            }
            "substr" => {
                text_arg(0)?;
                positive_literal(1)?;
                if args.len() == 3 {
                    positive_literal(2)?;
                }
                Kind::Text
            }
            "replace" => {
                (0..3).try_for_each(text_arg)?;
                Kind::Text
            }
            "split_part" | "split_rest" => {
                text_arg(0)?;
                match &args[1] {
                    (_, Node::Text(sep), _) if !sep.is_empty() => {}
                    (arg_at, _, _) => {
                        return self.err(
                            *arg_at,
                            format!("{name} needs a non-empty text literal as its separator"),
                        )
                    }
                }
                positive_literal(2)?;
                Kind::Text
            }
            "concat" | "concat_ws" => {
                if name == "concat_ws" {
                    text_arg(0)?;
                }
                Kind::Text
            }
            _ => {
                // coalesce, nullif: the first argument that has a kind gives it; the others
                // must agree, as both engines require.
                let kind = args
                    .iter()
                    .map(|a| a.2)
                    .find(|k| *k != Kind::Null)
                    .unwrap_or(Kind::Null);
                for (arg_at, _, k) in &args {
                    let agree = *k == kind
                        || *k == Kind::Null
                        || (k.numeric() && kind.numeric() && *k != Kind::Null);
                    if !agree {
                        return self.err(
                            *arg_at,
                            format!("{name}'s arguments must be of one kind: {kind:?} and {k:?}"),
                        );
                    }
                }
                kind
            }
        };
        Ok((
            Node::Call(name, args.into_iter().map(|a| a.1).collect(), kind),
            kind,
        ))
    }
}

impl Expression {
    /// Parses and checks `text` against the columns of `table`, a table of an `engine`
    /// database.
    ///
    /// # Errors
    /// [`ExprError`] at the first character that does not parse, a column `table` lacks, an
    /// unknown function, a wrong argument count or kind.
    pub fn parse(text: &str, table: &Table, engine: Engine) -> Result<Self, ExprError> {
        let tokens = tokens(text)?;
        let mut parser = Parser {
            end: text.chars().count(),
            tokens,
            at: 0,
            table,
            engine,
            columns: Vec::new(),
        };
        let (node, kind) = parser.expr()?;
        if parser.at < parser.tokens.len() {
            return parser.err(
                parser.offset(),
                "expected an operator (|| + - *) or the end of the expression",
            );
        }
        Ok(Self {
            node,
            kind,
            columns: parser.columns,
            text: text.to_owned(),
        })
    }

    /// `concat_ws(separator, columns…)` of the columns of a `merge` rule.
    ///
    /// # Errors
    /// As [`Self::parse`].
    pub fn merge(
        columns: &[String],
        separator: &str,
        table: &Table,
        engine: Engine,
    ) -> Result<Self, ExprError> {
        let args: Vec<String> = std::iter::once(literal(separator))
            .chain(columns.iter().map(|c| quoted(c)))
            .collect();
        Self::parse(&format!("concat_ws({})", args.join(", ")), table, engine)
    }

    /// Part `n` (1-based) of `parts` of a `split` rule of `column` at `separator`: parts before
    /// the last are `split_part`, the last is `split_rest`, so no character is lost.
    ///
    /// # Errors
    /// As [`Self::parse`].
    pub fn split(
        column: &str,
        separator: &str,
        n: usize,
        parts: usize,
        table: &Table,
        engine: Engine,
    ) -> Result<Self, ExprError> {
        let function = if n == parts {
            "split_rest"
        } else {
            "split_part"
        };
        Self::parse(
            &format!(
                "{function}({}, {}, {n})",
                quoted(column),
                literal(separator)
            ),
            table,
            engine,
        )
    }

    /// The SQL of this expression on `engine` (the source's).
    pub fn sql(&self, engine: Engine) -> String {
        sql(&self.node, engine)
    }
}

/// `cell` as an SQL literal of `engine` (text as hex digits, as the language's literals are);
/// `None` for a value with no literal here (bytes, dates).
pub fn cell_sql(cell: &crate::data::Cell, engine: Engine) -> Option<String> {
    use crate::data::Cell;
    match cell {
        Cell::Int(i) => Some(i.to_string()),
        Cell::Float(f) if f.is_finite() => Some(format!("{f:?}")),
        Cell::Bool(b) => Some(sql(&Node::Bool(*b), engine)),
        Cell::Text(t) => Some(text_sql(t, engine)),
        _ => None,
    }
}

fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A text literal as only hexadecimal digits of its UTF-8 bytes.
fn text_sql(text: &str, engine: Engine) -> String {
    let hex: String = text.bytes().map(|b| format!("{b:02x}")).collect();
    match engine {
        Engine::Postgres => format!("convert_from(decode('{hex}', 'hex'), 'UTF8')"),
        // An introducer keeps it a literal (coercible): it takes the column's collation.
        Engine::Mysql => format!("_utf8mb4 X'{hex}'"),
        Engine::Sqlite => format!("CAST(X'{hex}' AS TEXT)"),
    }
}

fn kind_of(node: &Node) -> Kind {
    match node {
        Node::Column { kind, .. } => *kind,
        Node::Text(_) | Node::Concat(..) => Kind::Text,
        Node::Int(_) => Kind::Int,
        Node::Decimal(_) => Kind::Decimal,
        Node::Null => Kind::Null,
        Node::Bool(_) => Kind::Bool,
        Node::Neg(inner) => kind_of(inner),
        Node::Binary(.., kind) | Node::Call(.., kind) => *kind,
    }
}

/// `node` as text, for concatenation.
fn as_text(node: &Node, engine: Engine) -> String {
    let s = sql(node, engine);
    match (kind_of(node), engine) {
        (Kind::Text | Kind::Null, _) => s,
        (_, Engine::Postgres) => format!("({s})::text"),
        (_, Engine::Mysql) => format!("CAST({s} AS CHAR)"),
        (_, Engine::Sqlite) => format!("CAST({s} AS TEXT)"),
    }
}

fn sql(node: &Node, e: Engine) -> String {
    let list = |args: &[Node]| {
        args.iter()
            .map(|a| sql(a, e))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match node {
        Node::Column { name, .. } => quote::ident(e, name),
        Node::Text(t) => text_sql(t, e),
        Node::Int(n) => n.to_string(),
        Node::Decimal(d) => d.clone(),
        Node::Null => "NULL".into(),
        Node::Bool(b) => match e {
            Engine::Postgres => if *b { "TRUE" } else { "FALSE" }.into(),
            _ => if *b { "1" } else { "0" }.into(),
        },
        Node::Neg(inner) => format!("(-{})", sql(inner, e)),
        Node::Binary(op, a, b, _) => format!("({} {op} {})", sql(a, e), sql(b, e)),
        Node::Concat(a, b) => match e {
            Engine::Mysql => format!("CONCAT({}, {})", as_text(a, e), as_text(b, e)),
            _ => format!("({} || {})", as_text(a, e), as_text(b, e)),
        },
        Node::Call(name, args, _) => call_sql(name, args, e, &list(args)),
    }
}

fn call_sql(name: &str, args: &[Node], e: Engine, list: &str) -> String {
    let arg = |i: usize| sql(&args[i], e);
    let text_args = |from: usize| {
        args[from..]
            .iter()
            .map(|a| as_text(a, e))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (name, e) {
        ("trim", Engine::Postgres) => format!("btrim({})", arg(0)),
        ("length", Engine::Sqlite) => format!("length({})", arg(0)),
        ("length", _) => format!("char_length({})", arg(0)),
        ("substr", Engine::Mysql) => format!("SUBSTRING({list})"),
        ("concat", Engine::Mysql | Engine::Sqlite) => {
            let parts: Vec<String> = args
                .iter()
                .map(|a| format!("COALESCE({}, '')", as_text(a, e)))
                .collect();
            match e {
                Engine::Mysql => format!("CONCAT({})", parts.join(", ")),
                _ => format!("({})", parts.join(" || ")),
            }
        }
        ("concat" | "concat_ws", _) => format!("{name}({})", text_args(0)),
        ("split_part", Engine::Mysql) => {
            let (t, sep, n) = (arg(0), arg(1), arg(2));
            // SUBSTRING_INDEX alone gives the last part past the end; PostgreSQL gives ''.
            // A NULL text is NULL, not '' (IF would take its NULL condition for false).
            format!(
                "CASE WHEN {t} IS NULL THEN NULL WHEN {n} <= (CHAR_LENGTH({t}) - CHAR_LENGTH(REPLACE({t}, {sep}, ''))) DIV CHAR_LENGTH({sep}) + 1 THEN SUBSTRING_INDEX(SUBSTRING_INDEX({t}, {sep}, {n}), {sep}, -1) ELSE '' END"
            )
        }
        ("split_rest", Engine::Mysql) => {
            let (t, sep) = (arg(0), arg(1));
            match &args[2] {
                Node::Int(1) => t,
                Node::Int(n) => format!(
                    "SUBSTRING({t}, CHAR_LENGTH(SUBSTRING_INDEX({t}, {sep}, {})) + CHAR_LENGTH({sep}) + 1)",
                    n - 1
                ),
                _ => unreachable!("checked: a literal"),
            }
        }
        ("split_rest", _) => {
            let (t, sep) = (arg(0), arg(1));
            match &args[2] {
                Node::Int(1) => t,
                Node::Int(n) => format!(
                    "substr({t}, char_length(array_to_string((string_to_array({t}, {sep}))[1:{}], {sep})) + char_length({sep}) + 1)",
                    n - 1
                ),
                _ => unreachable!("checked: a literal"),
            }
        }
        _ => format!("{name}({list})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let mut importer = crate::import::ddl::DdlImporter::new(Engine::Mysql);
        importer
            .add_script(
                "t.sql",
                "CREATE TABLE customer (customer_id SMALLINT UNSIGNED PRIMARY KEY, first_name VARCHAR(45), last_name VARCHAR(45), amount DECIMAL(5,2), `Odd Name` VARCHAR(10));",
            )
            .unwrap();
        importer.finish().tables.remove(0)
    }

    fn parse(text: &str) -> Result<Expression, ExprError> {
        Expression::parse(text, &table(), Engine::Mysql)
    }

    #[test]
    fn kinds_and_columns() {
        let e = parse("concat_ws(' ', first_name, last_name)").unwrap();
        assert_eq!(e.kind, Kind::Text);
        assert_eq!(e.columns, ["first_name", "last_name"]);
        assert_eq!(parse("amount * 2 + 1").unwrap().kind, Kind::Decimal);
        assert_eq!(parse("length(\"Odd Name\")").unwrap().kind, Kind::Int);
        assert_eq!(parse("coalesce(first_name, 'x')").unwrap().kind, Kind::Text);
    }

    #[test]
    fn refusals_say_where_and_what() {
        let e = parse("lower(first_nme)").unwrap_err();
        assert_eq!(e.at, 6);
        assert!(e.message.contains("no column `first_nme`"), "{e}");
        assert!(parse("first_name + 1")
            .unwrap_err()
            .message
            .contains("numbers"));
        assert!(parse("upper(amount)")
            .unwrap_err()
            .message
            .contains("needs text"));
        assert!(parse("drop_table(x)")
            .unwrap_err()
            .message
            .contains("unknown function"));
        assert!(parse("split_part(first_name, ' ', 0)").is_err());
        assert!(parse("lower(first_name").is_err());
        assert!(parse("first_name; DROP TABLE x").is_err());
        assert!(parse("'a").is_err());
    }

    #[test]
    fn literals_reach_sql_as_hex_only() {
        let e = parse("first_name || ''')--'").unwrap();
        let sql = e.sql(Engine::Mysql);
        assert_eq!(sql, "CONCAT(`first_name`, _utf8mb4 X'27292d2d')");
        assert!(
            Expression::parse("first_name || 'é'", &table(), Engine::Postgres)
                .unwrap()
                .sql(Engine::Postgres)
                .contains("decode('c3a9', 'hex')")
        );
    }

    #[test]
    fn split_and_merge_compile() {
        let t = table();
        let m = Expression::merge(
            &["first_name".into(), "last_name".into()],
            " ",
            &t,
            Engine::Postgres,
        )
        .unwrap();
        assert_eq!(
            m.sql(Engine::Postgres),
            "concat_ws(convert_from(decode('20', 'hex'), 'UTF8'), \"first_name\", \"last_name\")"
        );
        let last = Expression::split("first_name", "-", 2, 2, &t, Engine::Mysql).unwrap();
        assert!(last
            .sql(Engine::Mysql)
            .starts_with("SUBSTRING(`first_name`, CHAR_LENGTH(SUBSTRING_INDEX("));
        let first = Expression::split("first_name", "-", 1, 2, &t, Engine::Mysql).unwrap();
        assert!(first.sql(Engine::Mysql).contains("WHEN 1 <= "));
    }
}
