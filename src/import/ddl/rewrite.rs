//! A pre-pass on the tokens of `CREATE TABLE` for valid MySQL and SQLite that `sqlparser` 0.59
//! refuses at places it offers no dialect hook for (column attributes it does not know are read
//! by [`super::MySqlDumpDialect`] instead).
//!
//! - **SQLite type names** are any sequence of names (and strings), optionally followed by one or
//!   two signed numbers in parentheses (SQLite docs, "CREATE TABLE" syntax `type-name`, and
//!   §3.1 of "Datatypes In SQLite": the name only decides the column's affinity). `short
//!   integer`, `integer auto_increment`, `text nocase`, `unsigned big int`, `int(-5)` are all
//!   types. Each column's type is replaced by one double-quoted name holding the declared text,
//!   which sqlparser reads as a custom type and [`declared_sqlite_type`] gives back, as SQLite's
//!   own `pragma_table_info` reports it. A column name written as a string (`'a' text`, which
//!   SQLite accepts) becomes a quoted name; `ON CONFLICT …` on a table constraint, `MATCH name`
//!   on a foreign key and a comma-separated `WITHOUT ROWID, STRICT` are dropped (none changes
//!   what the inventory records).
//! - **MySQL index options** after a key's column list (`KEY k (a) USING BTREE COMMENT 'x'`, as
//!   `SHOW CREATE TABLE` writes them) are dropped, and a `PARTITION BY …` clause after the table
//!   options is cut off and returned, so the table's partitioning strategy is still recorded.
//!
//! Edits are made on the original text, and a removed span keeps its newlines, so a parser's
//! line numbers still point into the file.

use std::ops::Range;

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

use crate::import::dialect::Engine;

/// A `CREATE TABLE` ready for the parser.
#[derive(Debug, Default)]
pub(crate) struct Prepared {
    /// The statement with the edits made, or `None` when nothing was changed.
    pub text: Option<String>,
    /// The strategy of MySQL's `PARTITION BY …` clause (`RANGE (a)`), when one was cut off.
    pub partition_by: Option<String>,
}

/// What SQLite accepts as the start of a column constraint, ending a type name (SQLite's
/// `parse.y`, rule `ccons`).
const SQLITE_CONSTRAINT_STARTS: [Keyword; 11] = [
    Keyword::CONSTRAINT,
    Keyword::PRIMARY,
    Keyword::NOT,
    Keyword::NULL,
    Keyword::UNIQUE,
    Keyword::CHECK,
    Keyword::DEFAULT,
    Keyword::COLLATE,
    Keyword::REFERENCES,
    Keyword::GENERATED,
    Keyword::AS,
];

/// The token that starts a table constraint rather than a column.
const TABLE_CONSTRAINT_STARTS: [Keyword; 9] = [
    Keyword::CONSTRAINT,
    Keyword::PRIMARY,
    Keyword::UNIQUE,
    Keyword::CHECK,
    Keyword::FOREIGN,
    Keyword::KEY,
    Keyword::INDEX,
    Keyword::FULLTEXT,
    Keyword::SPATIAL,
];

/// Prepares `text`, a `CREATE TABLE` statement for `engine`. Statements of other engines, or
/// that do not tokenize, are left to the parser as they are.
pub(crate) fn create_table(text: &str, engine: Engine) -> Prepared {
    if engine == Engine::Postgres {
        return Prepared::default();
    }
    let dialect = engine.sql_dialect();
    let Ok(all) = Tokenizer::new(dialect.as_ref(), text).tokenize_with_location() else {
        return Prepared::default();
    };
    let tokens = Tokens::new(text, &all);
    let mut edits = Edits::default();
    let mut prepared = Prepared::default();
    let Some((open, close)) = tokens.column_list() else {
        return prepared;
    };
    for item in tokens.items(open, close) {
        match engine {
            Engine::Sqlite => tokens.sqlite_item(item, &mut edits),
            Engine::Mysql => tokens.mysql_item(item, &mut edits),
            Engine::Postgres => {}
        }
    }
    let tail = close + 1..tokens.len();
    match engine {
        Engine::Sqlite => {
            // `WITHOUT ROWID, STRICT`: sqlparser reads either option alone, not the list.
            for i in tail {
                if matches!(tokens.token(i), Token::Comma) || tokens.is(i, Keyword::STRICT) {
                    edits.remove(tokens.range(i..i + 1));
                }
            }
        }
        Engine::Mysql => {
            if let Some(at) = tail
                .clone()
                .find(|&i| tokens.is(i, Keyword::PARTITION) && tokens.is(i + 1, Keyword::BY))
            {
                let clause = tokens.range(at..tokens.len());
                let by = tokens.range(at + 2..tokens.len());
                // The strategy only: `RANGE (a)`, not the partitions' definitions after it.
                let clause_text = collapse(&text[by]);
                let upper = clause_text.to_ascii_uppercase();
                let cut = ["(PARTITION", "PARTITIONS ", "SUBPARTITION"]
                    .iter()
                    .filter_map(|k| upper.find(k))
                    .min()
                    .unwrap_or(clause_text.len());
                prepared.partition_by = Some(clause_text[..cut].trim_end().to_owned());
                edits.remove(clause);
            }
        }
        Engine::Postgres => {}
    }
    prepared.text = edits.apply(text);
    prepared
}

/// The declared type of a SQLite column as [`create_table`] handed it to the parser.
pub(crate) fn declared_sqlite_type(data_type: &sqlparser::ast::DataType) -> Option<String> {
    match data_type {
        sqlparser::ast::DataType::Custom(name, modifiers) if modifiers.is_empty() => {
            match name.0.as_slice() {
                [part] => part
                    .as_ident()
                    .filter(|i| i.quote_style == Some('"'))
                    .map(|i| i.value.clone()),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Whitespace runs (newlines included) as one space.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Replacements on the original text, in increasing order.
#[derive(Default)]
struct Edits(Vec<(Range<usize>, String)>);

impl Edits {
    fn replace(&mut self, range: Range<usize>, with: String) {
        self.0.push((range, with));
    }

    fn remove(&mut self, range: Range<usize>) {
        self.0.push((range, " ".into()));
    }

    fn apply(mut self, text: &str) -> Option<String> {
        if self.0.is_empty() {
            return None;
        }
        self.0.sort_by_key(|(r, _)| (r.start, r.end));
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (range, with) in self.0 {
            if range.start < at {
                continue;
            }
            out.push_str(&text[at..range.start]);
            out.push_str(&with);
            // Keep the removed text's line breaks so later line numbers stay right, less those
            // the replacement carries itself (a quoted SQLite type name may hold one).
            let removed = text[range.clone()].matches('\n').count();
            let kept = removed.saturating_sub(with.matches('\n').count());
            out.extend(std::iter::repeat_n('\n', kept));
            at = range.end;
        }
        out.push_str(&text[at..]);
        Some(out)
    }
}

/// The significant tokens of a statement with their byte offsets in its text.
struct Tokens<'a> {
    text: &'a str,
    tokens: Vec<&'a Token>,
    /// Byte offset where each significant token starts, and one past the last token's end.
    starts: Vec<usize>,
    ends: Vec<usize>,
}

impl<'a> Tokens<'a> {
    fn new(text: &'a str, all: &'a [TokenWithSpan]) -> Self {
        // Locations are (line, column in characters); walk the text once to turn them into byte
        // offsets, since token starts only move forward.
        let mut offsets = Vec::with_capacity(all.len() + 1);
        let (mut line, mut column, mut byte) = (1u64, 1u64, 0usize);
        let mut chars = text.char_indices().peekable();
        for t in all {
            let target = (t.span.start.line, t.span.start.column);
            while (line, column) < target {
                let Some((_, c)) = chars.next() else { break };
                byte += c.len_utf8();
                if c == '\n' {
                    line += 1;
                    column = 1;
                } else {
                    column += 1;
                }
            }
            offsets.push(byte);
        }
        offsets.push(text.len());
        let mut tokens = Vec::new();
        let mut starts = Vec::new();
        let mut ends = Vec::new();
        for (k, t) in all.iter().enumerate() {
            if matches!(t.token, Token::Whitespace(_) | Token::EOF) {
                continue;
            }
            tokens.push(&t.token);
            starts.push(offsets[k]);
            ends.push(offsets[k + 1]);
        }
        Self {
            text,
            tokens,
            starts,
            ends,
        }
    }

    fn len(&self) -> usize {
        self.tokens.len()
    }

    fn token(&self, i: usize) -> &Token {
        self.tokens.get(i).copied().unwrap_or(&Token::EOF)
    }

    fn is(&self, i: usize, keyword: Keyword) -> bool {
        matches!(self.token(i), Token::Word(w) if w.keyword == keyword && w.quote_style.is_none())
    }

    /// Byte range covering significant tokens `tokens` (whitespace between them included).
    fn range(&self, tokens: Range<usize>) -> Range<usize> {
        if tokens.is_empty() {
            return 0..0;
        }
        self.starts[tokens.start]..self.ends[tokens.end - 1]
    }

    /// The parentheses around the column list: the first `(` before any `AS`, `SELECT` or
    /// `LIKE` (a table made from a query or another table has none), and its match.
    fn column_list(&self) -> Option<(usize, usize)> {
        let mut open = None;
        for i in 0..self.len() {
            if matches!(self.token(i), Token::LParen) {
                open = Some(i);
                break;
            }
            if self.is(i, Keyword::AS) || self.is(i, Keyword::SELECT) || self.is(i, Keyword::LIKE) {
                return None;
            }
        }
        let open = open?;
        Some((open, self.matching(open)?))
    }

    /// The `)` matching the `(` at `open`.
    fn matching(&self, open: usize) -> Option<usize> {
        let mut depth = 0usize;
        for i in open..self.len() {
            match self.token(i) {
                Token::LParen => depth += 1,
                Token::RParen => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// The comma-separated items between `open` and `close`, as token ranges.
    fn items(&self, open: usize, close: usize) -> Vec<Range<usize>> {
        let mut items = Vec::new();
        let mut depth = 0usize;
        let mut start = open + 1;
        for i in open + 1..close {
            match self.token(i) {
                Token::LParen => depth += 1,
                Token::RParen => depth = depth.saturating_sub(1),
                Token::Comma if depth == 0 => {
                    items.push(start..i);
                    start = i + 1;
                }
                _ => {}
            }
        }
        items.push(start..close);
        items.retain(|r| !r.is_empty());
        items
    }

    fn is_table_constraint(&self, item: &Range<usize>) -> bool {
        matches!(self.token(item.start), Token::Word(w)
            if w.quote_style.is_none() && TABLE_CONSTRAINT_STARTS.contains(&w.keyword))
    }

    fn sqlite_item(&self, item: Range<usize>, edits: &mut Edits) {
        // `ON CONFLICT …` decides what a violation does and `MATCH name` is parsed and ignored
        // by SQLite itself; neither is read by the inventory.
        for i in item.clone() {
            if self.is(i, Keyword::ON) && self.is(i + 1, Keyword::CONFLICT) && i + 2 < item.end {
                if self.is_table_constraint(&item) {
                    edits.remove(self.range(i..i + 3));
                }
            } else if self.is(i, Keyword::MATCH)
                && i + 1 < item.end
                && matches!(self.token(i + 1), Token::Word(_))
            {
                edits.remove(self.range(i..i + 2));
            }
        }
        if self.is_table_constraint(&item) {
            return;
        }
        if let Token::SingleQuotedString(name) = self.token(item.start) {
            edits.replace(self.range(item.start..item.start + 1), quoted(name));
        }
        let first = item.start + 1;
        let mut end = first;
        let mut words = Vec::new();
        while end < item.end {
            match self.token(end) {
                Token::Word(w)
                    if w.quote_style.is_some()
                        || !SQLITE_CONSTRAINT_STARTS.contains(&w.keyword) =>
                {
                    words.push(w.value.clone())
                }
                Token::SingleQuotedString(s) | Token::DoubleQuotedString(s) => {
                    words.push(s.clone())
                }
                _ => break,
            }
            end += 1;
        }
        if words.is_empty() {
            return;
        }
        let mut declared = words.join(" ");
        if matches!(self.token(end), Token::LParen) {
            if let Some(close) = self.matching(end).filter(|c| *c < item.end) {
                let args = &self.text[self.range(end..close + 1)];
                declared.push_str(&args.split_whitespace().collect::<String>());
                end = close + 1;
            }
        }
        edits.replace(self.range(first..end), quoted(&declared));
    }

    fn mysql_item(&self, item: Range<usize>, edits: &mut Edits) {
        // Only keys and indexes: a FOREIGN KEY's text after its columns is its reference.
        let mut i = item.start;
        if self.is(i, Keyword::CONSTRAINT) {
            i += if matches!(self.token(i + 1), Token::Word(w)
                if !matches!(w.keyword, Keyword::PRIMARY | Keyword::UNIQUE) || w.quote_style.is_some())
            {
                2
            } else {
                1
            };
        }
        let is_key = [
            Keyword::PRIMARY,
            Keyword::UNIQUE,
            Keyword::KEY,
            Keyword::INDEX,
            Keyword::FULLTEXT,
            Keyword::SPATIAL,
        ]
        .iter()
        .any(|k| self.is(i, *k));
        if !is_key {
            return;
        }
        let Some(open) = (i..item.end).find(|&k| matches!(self.token(k), Token::LParen)) else {
            return;
        };
        if let Some(close) = self.matching(open).filter(|c| c + 1 < item.end) {
            edits.remove(self.range(close + 1..item.end));
        }
    }
}

/// `text` as a double-quoted SQL name.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prepared(sql: &str, engine: Engine) -> String {
        create_table(sql, engine).text.unwrap_or_else(|| sql.into())
    }

    /// Found by fuzzing (`fuzz/run.sh ddl_import`): a type name holding a line break was
    /// replaced by a quoted name holding it and the removed text's line break was kept too, so
    /// every later line number was one too far (a parse error named line 3 of a 2-line file).
    #[test]
    fn a_type_name_across_lines_keeps_the_line_count() {
        let sql = "CREATE TABLE t (c [my\ntype], d int)";
        let text = prepared(sql, Engine::Sqlite);
        assert_eq!(text.matches('\n').count(), 1, "{text}");
    }

    #[test]
    fn sqlite_type_names_become_one_quoted_name() {
        assert_eq!(
            prepared(
                "CREATE TABLE t (a Short  Integer ( 5 ), b integer auto_increment primary key, c text nocase NOT NULL, d, 'e' unsigned big int)",
                Engine::Sqlite
            ),
            "CREATE TABLE t (a \"Short Integer(5)\", b \"integer auto_increment\" primary key, c \"text nocase\" NOT NULL, d, \"e\" \"unsigned big int\")"
        );
    }

    #[test]
    fn sqlite_conflict_clauses_and_option_lists_go_lines_stay() {
        let sql = "CREATE TABLE t (a int references u match simple,\n unique (a) on conflict replace\n) without rowid, strict";
        let out = prepared(sql, Engine::Sqlite);
        assert_eq!(out.lines().count(), sql.lines().count());
        assert!(!out.contains("conflict") && !out.contains("match") && !out.contains("strict"));
        assert!(out.contains("without rowid"), "{out}");
    }

    #[test]
    fn mysql_index_options_go_and_partitioning_is_returned() {
        let p = create_table(
            "CREATE TABLE t (a int COMMENT 'x', KEY `k` (`a`) USING BTREE COMMENT 'idx', CONSTRAINT f FOREIGN KEY (a) REFERENCES u (id) ON DELETE CASCADE) ENGINE=InnoDB PARTITION BY RANGE (a)\n(PARTITION p0 VALUES LESS THAN (10))",
            Engine::Mysql,
        );
        let text = p.text.unwrap();
        assert!(text.contains("KEY `k` (`a`)"), "{text}");
        assert!(!text.contains("USING") && !text.contains("'idx'"), "{text}");
        assert!(text.contains("ON DELETE CASCADE"), "{text}");
        assert!(text.contains("COMMENT 'x'"), "{text}");
        assert!(!text.contains("PARTITION"), "{text}");
        assert_eq!(p.partition_by.as_deref(), Some("RANGE (a)"));
    }

    #[test]
    fn a_table_from_a_query_is_left_alone() {
        let sql = "CREATE TABLE t AS SELECT CONVERT(a USING gbk) AS b FROM u";
        assert!(create_table(sql, Engine::Mysql).text.is_none());
        assert!(create_table(sql, Engine::Sqlite).text.is_none());
    }
}
