//! RFC 4180 quoting, checked before a CSV is read. The `csv` crate reads leniently, as
//! spreadsheets do: a quote inside an unquoted cell (`team"a`) is kept as a character, text after
//! a closing quote (`"team-b"x`) is glued to the cell, and a quote that is never closed takes
//! every following row into one cell. Each of those silently changes what was imported, so the
//! importers refuse them, naming the line and column.

/// A quoting mistake in a CSV text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuoteError {
    /// 1-based line of the mistake (of the opening quote, for one never closed).
    pub line: usize,
    /// 0-based column of the cell, counted in its record.
    pub column: usize,
    /// What is wrong and how to write it instead.
    pub message: &'static str,
}

impl QuoteError {
    /// The error's column by its header name in `text` (the CSV it was found in), or
    /// `column N` when the header does not name it.
    pub fn field(&self, text: &str) -> String {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes())
            .records()
            .next()
            .and_then(Result::ok)
            .filter(|_| self.line > 1)
            .and_then(|header| {
                header
                    .get(self.column)
                    .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
            })
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| format!("column {}", self.column + 1))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    CellStart,
    Unquoted,
    Quoted,
    /// Just read a `"` inside a quoted cell: either the first of `""` or the closing quote.
    QuoteInQuoted,
    /// After the closing quote, only blanks (trimmed anyway) may come before the delimiter.
    AfterQuoted,
}

/// Checks that every `"` in `text` (comma-delimited, records ended by `\n`, `\r\n` or `\r`)
/// opens a cell, closes it, or is doubled inside it.
///
/// # Errors
/// The first [`QuoteError`].
pub fn check_quotes(text: &str) -> Result<(), QuoteError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (mut line, mut column, mut opened_on) = (1usize, 0usize, 1usize);
    let mut state = State::CellStart;
    let mut previous = 0u8;
    let error = |line, column, message| {
        Err(QuoteError {
            line,
            column,
            message,
        })
    };
    for &b in text.as_bytes() {
        // `\r\n` is one line ending; a lone `\r` is one too.
        if b == b'\n' && previous != b'\r' || b == b'\r' {
            line += 1;
        }
        previous = b;
        let ends_record = b == b'\n' || b == b'\r';
        state = match (state, b) {
            (State::Quoted, b'"') => State::QuoteInQuoted,
            (State::Quoted, _) => State::Quoted,
            (State::QuoteInQuoted, b'"') => State::Quoted,
            (State::CellStart, b'"') => {
                opened_on = line;
                State::Quoted
            }
            (State::Unquoted, b'"') => {
                return error(
                    line,
                    column,
                    "a quote inside an unquoted cell; quote the whole cell and double the quote (\"team\"\"a\"), with nothing before the opening quote",
                )
            }
            (State::QuoteInQuoted | State::AfterQuoted, b' ' | b'\t') => State::AfterQuoted,
            (State::QuoteInQuoted | State::AfterQuoted, b',') => {
                column += 1;
                State::CellStart
            }
            (State::QuoteInQuoted | State::AfterQuoted, _) if ends_record => {
                column = 0;
                State::CellStart
            }
            (State::QuoteInQuoted | State::AfterQuoted, _) => {
                return error(
                    line,
                    column,
                    "text after the closing quote; put it inside the quotes (\"team-b x\"), doubling any quote in it",
                )
            }
            (State::CellStart | State::Unquoted, b',') => {
                column += 1;
                State::CellStart
            }
            (State::CellStart | State::Unquoted, _) if ends_record => {
                column = 0;
                State::CellStart
            }
            (State::CellStart | State::Unquoted, _) => State::Unquoted,
        };
    }
    if state == State::Quoted {
        return error(
            opened_on,
            column,
            "a quoted cell is never closed: every row after it would be read into this cell",
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_quoted_text_passes() {
        for text in [
            "",
            "id,owner\nweb,\"team, \"\"a\"\"\"\n",
            "\u{feff}\"id\",name\r\n\"x\"  ,\"multi\nline\"\r\nlast,row",
            "a,b\r\rc,d",
        ] {
            assert_eq!(check_quotes(text), Ok(()), "{text:?}");
        }
    }

    #[test]
    fn loose_quotes_name_line_and_column() {
        let at = |text| check_quotes(text).map_err(|e| (e.line, e.column));
        assert_eq!(at("id,owner\nweb,team\"a\n"), Err((2, 1)));
        assert_eq!(at("id,owner\r\nweb,\"team-b\"x\r\n"), Err((2, 1)));
        assert_eq!(at("id,owner\nweb, \"team\"\n"), Err((2, 1)));
        assert_eq!(
            at("id,owner\nweb,\"a\nb\",\nweb2,\"open\nrest,x\n"),
            Err((4, 1))
        );
        assert_eq!(at("id,owner\n\"a\r\nb\",x\"\n"), Err((3, 1)));
    }
}
