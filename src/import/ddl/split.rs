//! Splits a SQL script into statements the way each engine's command-line client does, before
//! any statement is handed to `sqlparser`.
//!
//! A script is more than SQL: `mysql` honours `DELIMITER` and executes `/*!NNNNN … */` version
//! comments, `psql` runs `\` meta-commands and streams `COPY … FROM stdin` data up to `\.`, and
//! `sqlite3` keeps a `CREATE TRIGGER … BEGIN … END;` body together although it contains `;`
//! (the rule of `sqlite3_complete()`). This module only finds statement boundaries: it tracks
//! strings, quoted identifiers, comments and dollar quotes so that a `;` inside them never ends a
//! statement. Newlines are kept in statement text so a parser's line number maps back to the file.
//!
//! Anything opened and never closed (a block comment, string, quoted identifier or dollar quote)
//! is an error naming the line where it opens: read to the end of the file, it would swallow
//! every statement after it. Pieces come one at a time ([`pieces`]) and a statement longer than
//! [`MAX_STATEMENT_BYTES`] is refused once it passes the limit, so splitting holds at most one
//! statement besides the script.

use std::borrow::Cow;
use std::ops::Range;

use crate::import::dialect::Engine;

/// One piece of a script, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    /// A SQL statement without its delimiter. Comments are blanked (newlines kept).
    Statement {
        /// Statement text; line `n` of it is file line `line + n - 1`. Borrowed from the script
        /// unless a comment inside it was blanked.
        text: Cow<'a, str>,
        /// 1-based file line where the statement starts.
        line: usize,
    },
    /// The data block that follows `COPY … FROM stdin` (psql), up to the `\.` line.
    CopyData {
        /// 1-based line of the first data row.
        line: usize,
        /// Number of data rows.
        rows: u64,
        /// Bytes of row data, newlines included.
        bytes: u64,
        /// Byte range of the row data in the script (what a loader streams to `COPY`).
        data: std::ops::Range<usize>,
    },
    /// Something a client would act on that is not SQL; reported as a notice.
    Skipped {
        /// 1-based file line.
        line: usize,
        /// What was skipped.
        what: SkippedKind,
    },
}

/// Non-SQL content found in a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkippedKind {
    /// A MySQL `/*!NNNNN … */` comment, executed only by some server versions.
    VersionComment(String),
    /// A psql meta-command such as `\connect`.
    PsqlMetaCommand(String),
}

/// Why a script cannot be split: something opened and never closed (which would swallow every
/// statement after it), or a statement past [`MAX_STATEMENT_BYTES`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    /// A comment, string, quoted identifier or dollar quote runs to the end of the file.
    #[error("{what} opened on line {line} is never closed; everything after it would be lost")]
    Unterminated {
        /// 1-based line where it opens.
        line: usize,
        /// What is open, e.g. `block comment /*`.
        what: String,
    },
    /// A statement is longer than [`MAX_STATEMENT_BYTES`].
    #[error("statement starting on line {line} is longer than the {limit}-byte limit")]
    TooLarge {
        /// 1-based line where the statement starts.
        line: usize,
        /// The limit in bytes.
        limit: usize,
    },
}

impl SplitError {
    /// The 1-based line the error points at.
    pub fn line(&self) -> usize {
        match self {
            Self::Unterminated { line, .. } | Self::TooLarge { line, .. } => *line,
        }
    }
}

/// Largest statement the splitter hands out, in bytes (a mysqldump extended INSERT is usually
/// under 1 MiB). Longer ones are refused as soon as they pass it, so the splitter never holds
/// more than this besides the script.
pub const MAX_STATEMENT_BYTES: usize = 64 * 1024 * 1024;

/// Splits `script` written for `engine` into pieces.
///
/// # Errors
/// The first [`SplitError`]: an unterminated comment, string or quote, or an oversized
/// statement.
pub fn split(script: &str, engine: Engine) -> Result<Vec<Piece<'_>>, SplitError> {
    pieces(script, engine).collect()
}

/// The pieces of `script` one at a time, so that only one statement's text is held at once.
/// After an error the iterator ends.
pub fn pieces(script: &str, engine: Engine) -> Pieces<'_> {
    Pieces {
        splitter: Splitter::new(script, engine),
        at_end: false,
        failed: false,
    }
}

/// Iterator over the pieces of a script; see [`pieces`].
pub struct Pieces<'a> {
    splitter: Splitter<'a>,
    at_end: bool,
    failed: bool,
}

impl<'a> Iterator for Pieces<'a> {
    type Item = Result<Piece<'a>, SplitError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(piece) = self.splitter.ready.pop_front() {
                return Some(Ok(piece));
            }
            if self.failed || self.at_end {
                return None;
            }
            let step = if self.splitter.pos < self.splitter.bytes.len() {
                self.splitter.step()
            } else {
                self.at_end = true;
                self.splitter.finish_statement();
                Ok(())
            };
            if let Err(error) = step {
                self.failed = true;
                return Some(Err(error));
            }
        }
    }
}

struct Splitter<'a> {
    src: &'a str,
    bytes: &'a [u8],
    engine: Engine,
    pos: usize,
    line: usize,
    delimiter: String,
    current: Current,
    current_line: usize,
    ready: std::collections::VecDeque<Piece<'a>>,
}

/// The statement being read: a range of the script while it is a verbatim copy of it (so a
/// long INSERT is not copied), its own text once a comment inside it has been blanked.
enum Current {
    Borrowed(Range<usize>),
    Owned(String),
}

impl<'a> Splitter<'a> {
    fn new(src: &'a str, engine: Engine) -> Self {
        Self {
            src,
            bytes: src.as_bytes(),
            engine,
            pos: 0,
            line: 1,
            delimiter: ";".to_owned(),
            current: Current::Borrowed(0..0),
            current_line: 1,
            ready: std::collections::VecDeque::new(),
        }
    }

    /// Consumes one directive, delimiter, quoted run, comment or character.
    fn step(&mut self) -> Result<(), SplitError> {
        if self.at_statement_start() && self.client_directive() {
            return Ok(());
        }
        let rest = &self.src[self.pos..];
        if rest.starts_with(self.delimiter.as_str()) && !self.inside_trigger_body() {
            self.pos += self.delimiter.len();
            self.finish_statement();
            return Ok(());
        }
        let c = self.bytes[self.pos];
        match c {
            b'\'' => {
                let escapes = self.engine == Engine::Mysql || self.postgres_escape_string();
                self.quoted(b'\'', escapes)
            }
            b'"' => self.quoted(b'"', false),
            b'`' if self.engine == Engine::Mysql => self.quoted(b'`', false),
            b'[' if self.engine == Engine::Sqlite => self.bracketed(),
            b'-' if rest.starts_with("--") => self.line_comment(),
            b'#' if self.engine == Engine::Mysql => self.line_comment(),
            b'/' if rest.starts_with("/*!") && self.engine == Engine::Mysql => {
                self.version_comment()
            }
            b'/' if rest.starts_with("/*") => self.block_comment(),
            b'$' if self.engine == Engine::Postgres => self.maybe_dollar_quote(),
            _ => self.copy_char(),
        }
    }

    /// PostgreSQL's `E'…'` strings take backslash escapes (`E'it\'s'`).
    fn postgres_escape_string(&self) -> bool {
        self.engine == Engine::Postgres
            && self.pos > 0
            && matches!(self.bytes[self.pos - 1], b'E' | b'e')
            && (self.pos < 2 || {
                let before = self.bytes[self.pos - 2];
                !(before.is_ascii_alphanumeric() || before == b'_' || before >= 0x80)
            })
    }

    fn at_statement_start(&self) -> bool {
        self.current().trim().is_empty()
    }

    fn current(&self) -> &str {
        match &self.current {
            Current::Borrowed(range) => &self.src[range.clone()],
            Current::Owned(text) => text,
        }
    }

    /// Handles `DELIMITER x` (mysql) and `\meta` (psql) lines at a statement start.
    fn client_directive(&mut self) -> bool {
        let line_end = self.src[self.pos..]
            .find('\n')
            .map_or(self.src.len(), |i| self.pos + i);
        let line = &self.src[self.pos..line_end];
        let trimmed = line.trim_start();
        if self.engine == Engine::Mysql
            && trimmed.len() > 10
            // Bytes: the line may start with a multi-byte character.
            && trimmed.as_bytes()[..10].eq_ignore_ascii_case(b"DELIMITER ")
        {
            let new = trimmed[10..].trim();
            if !new.is_empty() {
                self.delimiter = new.to_owned();
            }
            self.pos = line_end;
            return true;
        }
        if self.engine == Engine::Postgres && trimmed.starts_with('\\') {
            let command = trimmed.split_whitespace().next().unwrap_or("\\").to_owned();
            self.ready.push_back(Piece::Skipped {
                line: self.line,
                what: SkippedKind::PsqlMetaCommand(command),
            });
            self.pos = line_end;
            return true;
        }
        false
    }

    /// SQLite ends `CREATE TRIGGER` only at `END;`, not at the `;` of each body statement.
    fn inside_trigger_body(&self) -> bool {
        if self.engine != Engine::Sqlite || self.delimiter != ";" {
            return false;
        }
        let mut words = self
            .current()
            .split_whitespace()
            .map(str::to_ascii_uppercase);
        let is_trigger = match (words.next(), words.next(), words.next()) {
            (Some(c), Some(t), _) if c == "CREATE" && t == "TRIGGER" => true,
            (Some(c), Some(tmp), Some(t))
                if c == "CREATE" && (tmp == "TEMP" || tmp == "TEMPORARY") && t == "TRIGGER" =>
            {
                true
            }
            _ => false,
        };
        if !is_trigger {
            return false;
        }
        let last = self
            .current()
            .split_whitespace()
            .next_back()
            .unwrap_or_default();
        !last.eq_ignore_ascii_case("END")
    }

    /// Appends the script's text in `range` to the statement.
    fn push(&mut self, range: Range<usize>) -> Result<(), SplitError> {
        let text = &self.src[range.clone()];
        if self.at_statement_start() && !text.trim().is_empty() {
            self.current_line = self.line;
            self.current = Current::Borrowed(range.start..range.start);
        }
        if self.current().len() + text.len() > MAX_STATEMENT_BYTES {
            return Err(SplitError::TooLarge {
                line: self.current_line,
                limit: MAX_STATEMENT_BYTES,
            });
        }
        self.line += text.matches('\n').count();
        match &mut self.current {
            Current::Borrowed(r) if r.end == range.start => r.end = range.end,
            Current::Borrowed(r) => {
                let mut owned = self.src[r.clone()].to_owned();
                owned.push_str(text);
                self.current = Current::Owned(owned);
            }
            Current::Owned(owned) => owned.push_str(text),
        }
        Ok(())
    }

    /// Replaces skipped text by its newlines only, so line numbers stay right.
    fn blank(&mut self, text: &str) -> Result<(), SplitError> {
        let newlines = text.matches('\n').count();
        if self.at_statement_start() {
            self.current = Current::Borrowed(self.pos..self.pos);
        } else {
            if self.current().len() + 1 + newlines > MAX_STATEMENT_BYTES {
                return Err(SplitError::TooLarge {
                    line: self.current_line,
                    limit: MAX_STATEMENT_BYTES,
                });
            }
            let mut owned = match std::mem::replace(&mut self.current, Current::Borrowed(0..0)) {
                Current::Borrowed(r) => self.src[r].to_owned(),
                Current::Owned(owned) => owned,
            };
            owned.push(' ');
            owned.extend(std::iter::repeat_n('\n', newlines));
            self.current = Current::Owned(owned);
        }
        self.line += newlines;
        Ok(())
    }

    fn unterminated(&self, what: impl Into<String>) -> SplitError {
        SplitError::Unterminated {
            line: self.line,
            what: what.into(),
        }
    }

    fn copy_char(&mut self) -> Result<(), SplitError> {
        let start = self.pos;
        let ch = self.src[start..].chars().next().unwrap_or(' ');
        self.pos += ch.len_utf8();
        self.push(start..self.pos)
    }

    fn quoted(&mut self, quote: u8, backslash_escapes: bool) -> Result<(), SplitError> {
        let start = self.pos;
        let mut i = self.pos + 1;
        let mut closed = false;
        while i < self.bytes.len() {
            let b = self.bytes[i];
            if backslash_escapes && b == b'\\' {
                i += 2;
                continue;
            }
            if b == quote {
                if self.bytes.get(i + 1) == Some(&quote) {
                    i += 2;
                    continue;
                }
                i += 1;
                closed = true;
                break;
            }
            i += 1;
        }
        if !closed {
            return Err(self.unterminated(match quote {
                b'\'' => "string '",
                b'"' => "quoted identifier \"",
                _ => "quoted identifier `",
            }));
        }
        self.pos = i;
        self.push(start..i)
    }

    fn bracketed(&mut self) -> Result<(), SplitError> {
        let start = self.pos;
        let Some(close) = self.src[start..].find(']') else {
            return Err(self.unterminated("quoted identifier ["));
        };
        let end = start + close + 1;
        self.pos = end;
        self.push(start..end)
    }

    fn line_comment(&mut self) -> Result<(), SplitError> {
        let start = self.pos;
        let end = self.src[start..]
            .find('\n')
            .map_or(self.src.len(), |i| start + i);
        self.pos = end;
        self.blank(&self.src[start..end])
    }

    fn block_comment(&mut self) -> Result<(), SplitError> {
        let start = self.pos;
        // PostgreSQL block comments nest (PostgreSQL docs §4.1.5); the others do not.
        let nests = self.engine == Engine::Postgres;
        let mut depth = 0usize;
        let mut i = start;
        // Bytes, not `str` slices: `i` steps through multi-byte characters of the comment.
        while i < self.bytes.len() {
            if self.bytes[i..].starts_with(b"/*") && (depth == 0 || nests) {
                depth += 1;
                i += 2;
            } else if self.bytes[i..].starts_with(b"*/") {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    break;
                }
            } else {
                i += 1;
            }
        }
        if depth > 0 {
            return Err(self.unterminated("block comment /*"));
        }
        self.pos = i;
        self.blank(&self.src[start..i])
    }

    fn version_comment(&mut self) -> Result<(), SplitError> {
        let start = self.pos;
        let Some(close) = self.src[start..].find("*/") else {
            return Err(self.unterminated("MySQL version comment /*!"));
        };
        let end = start + close + 2;
        let body = self.src[start + 3..end.saturating_sub(2).max(start + 3)].trim();
        let line = self.line;
        self.ready.push_back(Piece::Skipped {
            line,
            what: SkippedKind::VersionComment(body.chars().take(80).collect()),
        });
        self.pos = end;
        self.blank(&self.src[start..end])
    }

    fn maybe_dollar_quote(&mut self) -> Result<(), SplitError> {
        let start = self.pos;
        let prev_is_ident = start > 0 && {
            let p = self.bytes[start - 1];
            p.is_ascii_alphanumeric() || p == b'_'
        };
        let tag_end = self.src[start + 1..]
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map(|i| start + 1 + i);
        let Some(tag_end) = tag_end else {
            return self.copy_char();
        };
        let tag_ok = !prev_is_ident
            && self.bytes[tag_end] == b'$'
            && !self.bytes[start + 1..tag_end]
                .first()
                .is_some_and(|b| b.is_ascii_digit());
        if !tag_ok {
            return self.copy_char();
        }
        let tag = &self.src[start..=tag_end];
        let body_start = tag_end + 1;
        let Some(close) = self.src[body_start..].find(tag) else {
            return Err(self.unterminated(format!("dollar quote {tag}")));
        };
        let end = body_start + close + tag.len();
        self.pos = end;
        self.push(start..end)
    }

    fn finish_statement(&mut self) {
        let text = match std::mem::replace(&mut self.current, Current::Borrowed(self.pos..self.pos))
        {
            Current::Borrowed(range) => Cow::Borrowed(&self.src[range]),
            Current::Owned(text) => Cow::Owned(text),
        };
        if text.trim().is_empty() {
            return;
        }
        let is_copy_from_stdin = self.engine == Engine::Postgres && is_copy_from_stdin(&text);
        self.ready.push_back(Piece::Statement {
            text,
            line: self.current_line,
        });
        if is_copy_from_stdin {
            self.copy_data();
        }
    }

    /// Consumes psql's COPY data: the rest of the COPY line, then rows up to a `\.` line.
    fn copy_data(&mut self) {
        if let Some(i) = self.src[self.pos..].find('\n') {
            self.pos += i + 1;
            self.line += 1;
        } else {
            self.pos = self.src.len();
            return;
        }
        let first_line = self.line;
        let data_start = self.pos;
        let mut data_end = self.pos;
        let (mut rows, mut bytes) = (0u64, 0u64);
        while self.pos < self.src.len() {
            let end = self.src[self.pos..]
                .find('\n')
                .map_or(self.src.len(), |i| self.pos + i + 1);
            let row = &self.src[self.pos..end];
            self.pos = end;
            self.line += 1;
            if row.trim_end_matches(['\n', '\r']) == "\\." {
                break;
            }
            data_end = self.pos;
            rows += 1;
            bytes += row.len() as u64;
        }
        self.ready.push_back(Piece::CopyData {
            line: first_line,
            rows,
            bytes,
            data: data_start..data_end,
        });
    }
}

fn is_copy_from_stdin(text: &str) -> bool {
    let upper = text.trim_start().to_ascii_uppercase();
    upper.starts_with("COPY")
        && upper
            .split_whitespace()
            .collect::<Vec<_>>()
            .windows(2)
            .any(|w| w[0] == "FROM" && w[1] == "STDIN")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statements(pieces: &[Piece]) -> Vec<(String, usize)> {
        pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Statement { text, line } => Some((text.trim().to_owned(), *line)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn semicolons_inside_strings_comments_and_dollar_quotes_do_not_split() {
        let sql = "CREATE TABLE a (x text DEFAULT ';');\n-- c;\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n/* ; */ SELECT 2";
        let got = statements(&split(sql, Engine::Postgres).unwrap());
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].1, 1);
        assert_eq!(got[1].1, 3);
        assert!(got[1].0.contains("SELECT 1;"));
        assert_eq!(got[2].1, 4);
    }

    #[test]
    fn mysql_delimiter_and_version_comments() {
        let sql = "CREATE TABLE t (\n a int,\n /*!50705 b int,*/\n c int);\nDELIMITER ;;\nCREATE TRIGGER x AFTER INSERT ON t FOR EACH ROW BEGIN\n INSERT INTO u VALUES (1);\nEND;;\nDELIMITER ;\nSELECT 1;";
        let pieces = split(sql, Engine::Mysql).unwrap();
        let got = statements(&pieces);
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(!got[0].0.contains("50705"));
        assert_eq!(got[1].1, 6);
        assert!(got[1].0.ends_with("END"));
        assert!(pieces.iter().any(|p| matches!(
            p,
            Piece::Skipped {
                line: 3,
                what: SkippedKind::VersionComment(_)
            }
        )));
    }

    #[test]
    fn psql_copy_data_is_counted_not_parsed() {
        let sql = "\\connect db\nCOPY public.t (a, b) FROM stdin;\n1\tx\n2\ty;z\n\\.\nSELECT 1;";
        let pieces = split(sql, Engine::Postgres).unwrap();
        assert!(matches!(pieces[0], Piece::Skipped { line: 1, .. }));
        assert!(matches!(
            pieces[2],
            Piece::CopyData {
                line: 3,
                rows: 2,
                bytes: 10,
                data: _
            }
        ));
        assert_eq!(statements(&pieces)[1], ("SELECT 1".to_owned(), 6));
    }

    #[test]
    fn copy_data_range_is_the_rows_only() {
        let sql = "COPY t (a) FROM stdin;\n1\n2\n\\.\n";
        let pieces = split(sql, Engine::Postgres).unwrap();
        let Piece::CopyData { data, .. } = &pieces[1] else {
            panic!("{pieces:?}")
        };
        assert_eq!(&sql[data.clone()], "1\n2\n");
    }

    #[test]
    fn sqlite_trigger_body_stays_whole() {
        let sql = "CREATE TRIGGER t AFTER INSERT ON a\nBEGIN\n UPDATE a SET x = 1;\n UPDATE a SET y = 2;\nEND\n;\nCREATE TABLE [b;c] (x);";
        let got = statements(&split(sql, Engine::Sqlite).unwrap());
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[1].1, 7);
    }

    /// Found by fuzzing (`fuzz/run.sh ddl_split`): the block comment scan sliced the script at
    /// every byte and panicked inside a multi-byte character.
    #[test]
    fn block_comments_may_hold_any_character() {
        for engine in [Engine::Mysql, Engine::Postgres, Engine::Sqlite] {
            let sql = "/* Tables du café — 表 */\nCREATE TABLE a (id int /* é ü */);\n";
            let got = statements(&split(sql, engine).unwrap());
            assert_eq!(got.len(), 1, "{engine:?}: {got:?}");
            assert_eq!(got[0].1, 2);
            let open = split("SELECT 1;\n/* é", engine).unwrap_err();
            assert_eq!(open.line(), 2, "{engine:?}");
        }
    }

    /// Found by fuzzing (`fuzz/run.sh ddl_split`): the `DELIMITER` check sliced a line's
    /// first ten bytes and panicked when they ended inside a character.
    #[test]
    fn a_statement_may_start_with_any_character() {
        // `ã` takes bytes 9 and 10.
        let sql = "(2807, 'Não Vou');\nDELIMITER //\nSELECT 1//\n";
        let got = statements(&split(sql, Engine::Mysql).unwrap());
        assert_eq!(
            got,
            [("(2807, 'Não Vou')".into(), 1), ("SELECT 1".into(), 3)]
        );
    }
}
