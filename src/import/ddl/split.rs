//! Splits a SQL script into statements the way each engine's command-line client does, before
//! any statement is handed to `sqlparser`.
//!
//! A script is more than SQL: `mysql` honours `DELIMITER` and executes `/*!NNNNN … */` version
//! comments, `psql` runs `\` meta-commands and streams `COPY … FROM stdin` data up to `\.`, and
//! `sqlite3` keeps a `CREATE TRIGGER … BEGIN … END;` body together although it contains `;`
//! (the rule of `sqlite3_complete()`). This module only finds statement boundaries: it tracks
//! strings, quoted identifiers, comments and dollar quotes so that a `;` inside them never ends a
//! statement. Newlines are kept in statement text so a parser's line number maps back to the file.

use crate::import::dialect::Engine;

/// One piece of a script, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// A SQL statement without its delimiter. Comments are blanked (newlines kept).
    Statement {
        /// Statement text; line `n` of it is file line `line + n - 1`.
        text: String,
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

/// Splits `script` written for `engine` into pieces.
///
/// Never fails: an unterminated string or comment runs to the end of the file and becomes part
/// of the last statement, which the parser then rejects with its own line number.
pub fn split(script: &str, engine: Engine) -> Vec<Piece> {
    Splitter::new(script, engine).run()
}

struct Splitter<'a> {
    src: &'a str,
    bytes: &'a [u8],
    engine: Engine,
    pos: usize,
    line: usize,
    delimiter: String,
    current: String,
    current_line: usize,
    pieces: Vec<Piece>,
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
            current: String::new(),
            current_line: 1,
            pieces: Vec::new(),
        }
    }

    fn run(mut self) -> Vec<Piece> {
        while self.pos < self.bytes.len() {
            if self.at_statement_start() && self.client_directive() {
                continue;
            }
            let rest = &self.src[self.pos..];
            if rest.starts_with(self.delimiter.as_str()) && !self.inside_trigger_body() {
                self.pos += self.delimiter.len();
                self.finish_statement();
                continue;
            }
            let c = self.bytes[self.pos];
            match c {
                b'\'' => self.quoted(b'\'', self.engine == Engine::Mysql),
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
        self.finish_statement();
        self.pieces
    }

    fn at_statement_start(&self) -> bool {
        self.current.trim().is_empty()
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
            && trimmed[..10].eq_ignore_ascii_case("DELIMITER ")
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
            self.pieces.push(Piece::Skipped {
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
        let mut words = self.current.split_whitespace().map(str::to_ascii_uppercase);
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
            .current
            .split_whitespace()
            .next_back()
            .unwrap_or_default();
        !last.eq_ignore_ascii_case("END")
    }

    fn push(&mut self, text: &str) {
        if self.at_statement_start() && !text.trim().is_empty() {
            self.current_line = self.line;
            self.current.clear();
        }
        self.line += text.matches('\n').count();
        self.current.push_str(text);
    }

    /// Replaces skipped text by its newlines only, so line numbers stay right.
    fn blank(&mut self, text: &str) {
        let newlines = text.matches('\n').count();
        self.line += newlines;
        if self.at_statement_start() {
            self.current.clear();
        } else {
            self.current.push(' ');
            self.current.extend(std::iter::repeat_n('\n', newlines));
        }
    }

    fn copy_char(&mut self) {
        let ch = self.src[self.pos..].chars().next().unwrap_or(' ');
        self.pos += ch.len_utf8();
        let mut buf = [0u8; 4];
        self.push(ch.encode_utf8(&mut buf));
    }

    fn quoted(&mut self, quote: u8, backslash_escapes: bool) {
        let start = self.pos;
        let mut i = self.pos + 1;
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
                break;
            }
            i += 1;
        }
        let end = i.min(self.bytes.len());
        self.pos = end;
        self.push(&self.src[start..end]);
    }

    fn bracketed(&mut self) {
        let start = self.pos;
        let end = self.src[start..]
            .find(']')
            .map_or(self.src.len(), |i| start + i + 1);
        self.pos = end;
        self.push(&self.src[start..end]);
    }

    fn line_comment(&mut self) {
        let start = self.pos;
        let end = self.src[start..]
            .find('\n')
            .map_or(self.src.len(), |i| start + i);
        self.pos = end;
        self.blank(&self.src[start..end]);
    }

    fn block_comment(&mut self) {
        let start = self.pos;
        // PostgreSQL block comments nest (PostgreSQL docs §4.1.5); the others do not.
        let nests = self.engine == Engine::Postgres;
        let mut depth = 0usize;
        let mut i = start;
        while i < self.bytes.len() {
            if self.src[i..].starts_with("/*") && (depth == 0 || nests) {
                depth += 1;
                i += 2;
            } else if self.src[i..].starts_with("*/") {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    break;
                }
            } else {
                i += 1;
            }
        }
        let end = i.min(self.bytes.len());
        self.pos = end;
        self.blank(&self.src[start..end]);
    }

    fn version_comment(&mut self) {
        let start = self.pos;
        let end = self.src[start..]
            .find("*/")
            .map_or(self.src.len(), |i| start + i + 2);
        let body = self.src[start + 3..end.saturating_sub(2).max(start + 3)].trim();
        let line = self.line;
        self.pieces.push(Piece::Skipped {
            line,
            what: SkippedKind::VersionComment(body.chars().take(80).collect()),
        });
        self.pos = end;
        self.blank(&self.src[start..end]);
    }

    fn maybe_dollar_quote(&mut self) {
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
        let end = self.src[body_start..]
            .find(tag)
            .map_or(self.src.len(), |i| body_start + i + tag.len());
        self.pos = end;
        self.push(&self.src[start..end]);
    }

    fn finish_statement(&mut self) {
        let text = std::mem::take(&mut self.current);
        if text.trim().is_empty() {
            return;
        }
        let is_copy_from_stdin = self.engine == Engine::Postgres && is_copy_from_stdin(&text);
        self.pieces.push(Piece::Statement {
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
        self.pieces.push(Piece::CopyData {
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
        let got = statements(&split(sql, Engine::Postgres));
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].1, 1);
        assert_eq!(got[1].1, 3);
        assert!(got[1].0.contains("SELECT 1;"));
        assert_eq!(got[2].1, 4);
    }

    #[test]
    fn mysql_delimiter_and_version_comments() {
        let sql = "CREATE TABLE t (\n a int,\n /*!50705 b int,*/\n c int);\nDELIMITER ;;\nCREATE TRIGGER x AFTER INSERT ON t FOR EACH ROW BEGIN\n INSERT INTO u VALUES (1);\nEND;;\nDELIMITER ;\nSELECT 1;";
        let pieces = split(sql, Engine::Mysql);
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
        let pieces = split(sql, Engine::Postgres);
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
        let pieces = split(sql, Engine::Postgres);
        let Piece::CopyData { data, .. } = &pieces[1] else {
            panic!("{pieces:?}")
        };
        assert_eq!(&sql[data.clone()], "1\n2\n");
    }

    #[test]
    fn sqlite_trigger_body_stays_whole() {
        let sql = "CREATE TRIGGER t AFTER INSERT ON a\nBEGIN\n UPDATE a SET x = 1;\n UPDATE a SET y = 2;\nEND\n;\nCREATE TABLE [b;c] (x);";
        let got = statements(&split(sql, Engine::Sqlite));
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[1].1, 7);
    }
}
