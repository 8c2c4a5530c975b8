//! The row list of a large `INSERT … VALUES (…), (…) …`, cut into slices of whole rows so that
//! each slice is parsed on its own: `sqlparser` holds a statement's tokens and syntax tree at
//! once, some thirty times the text, which made a 60 MB INSERT take 1.86 GB.
//!
//! The scan only finds row boundaries; it reads quotes as the splitter does ([`super::split`]:
//! comments are already blanked there) and leaves every judgement on the SQL to the parser,
//! which sees `head slice suffix` for each slice.

use std::ops::Range;

use crate::import::dialect::Engine;

/// Where the parts of an `INSERT … VALUES` statement lie in its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ValuesLayout {
    /// Everything up to and including the `VALUES` keyword.
    pub head: Range<usize>,
    /// The rows, from the first `(` (or `ROW`) to the last `)`.
    pub rows: Range<usize>,
    /// What follows the rows (`ON DUPLICATE KEY UPDATE …`, `RETURNING …`), possibly empty.
    pub suffix: Range<usize>,
}

/// The layout of `text` when it is `… VALUES` followed by one or more parenthesised rows;
/// `None` for anything else (`INSERT … SELECT`, unbalanced text), which is parsed whole.
pub(crate) fn layout(text: &str, engine: Engine) -> Option<ValuesLayout> {
    let bytes = text.as_bytes();
    let values_end = find_values_keyword(bytes, engine)?;
    let mut end = None;
    let mut rows = RowEnds::new(bytes, engine, values_end);
    for row in &mut rows {
        end = Some(row?);
    }
    let end = end?;
    let first = skip_space(bytes, values_end);
    Some(ValuesLayout {
        head: 0..values_end,
        rows: first..end,
        suffix: end..text.len(),
    })
}

/// Cuts `layout.rows` of `text` into ranges of whole rows, each at least `target` bytes long
/// (but the last), separated by the commas between rows.
pub(crate) fn slices<'a>(
    text: &'a str,
    layout: &'a ValuesLayout,
    engine: Engine,
    target: usize,
) -> impl Iterator<Item = Range<usize>> + 'a {
    let bytes = text.as_bytes();
    let mut rows = RowEnds::new(bytes, engine, layout.rows.start).map_while(|end| end);
    let mut start = layout.rows.start;
    std::iter::from_fn(move || {
        if start >= layout.rows.end {
            return None;
        }
        let slice_start = skip_space(bytes, start);
        for end in rows.by_ref() {
            if end - slice_start >= target || end >= layout.rows.end {
                // Past the comma that separates this row from the next.
                start = skip_space(bytes, end) + 1;
                return Some(slice_start..end);
            }
        }
        start = layout.rows.end;
        None
    })
}

/// Ends (one past the `)`) of successive rows, from `from` (just after `VALUES`); `Some(None)`
/// when the text there is not a row, after which it stops.
struct RowEnds<'a> {
    bytes: &'a [u8],
    engine: Engine,
    pos: usize,
    done: bool,
}

impl<'a> RowEnds<'a> {
    fn new(bytes: &'a [u8], engine: Engine, from: usize) -> Self {
        Self {
            bytes,
            engine,
            pos: from,
            done: false,
        }
    }
}

impl Iterator for RowEnds<'_> {
    type Item = Option<usize>;

    fn next(&mut self) -> Option<Option<usize>> {
        if self.done {
            return None;
        }
        let mut i = skip_space(self.bytes, self.pos);
        // MySQL 8's `VALUES ROW(1, 2), ROW(3, 4)`.
        if self.bytes.len() >= i + 3 && self.bytes[i..i + 3].eq_ignore_ascii_case(b"ROW") {
            i = skip_space(self.bytes, i + 3);
        }
        if self.bytes.get(i) != Some(&b'(') {
            self.done = true;
            return Some(None);
        }
        let Some(end) = matching_paren(self.bytes, i, self.engine) else {
            self.done = true;
            return Some(None);
        };
        let after = skip_space(self.bytes, end);
        if self.bytes.get(after) == Some(&b',') {
            self.pos = after + 1;
        } else {
            self.done = true;
        }
        Some(Some(end))
    }
}

fn skip_space(bytes: &[u8], mut i: usize) -> usize {
    while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// One past the end of the `VALUES` (or MySQL's `VALUE`) keyword outside parentheses and quotes.
fn find_values_keyword(bytes: &[u8], engine: Engine) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if let Some(end) = quoted_end(bytes, i, engine) {
            i = end?;
            continue;
        }
        match b {
            b'(' => depth += 1,
            b')' => depth = depth.checked_sub(1)?,
            _ if is_word_byte(b) => {
                let start = i;
                while bytes.get(i).copied().is_some_and(is_word_byte) {
                    i += 1;
                }
                let word = &bytes[start..i];
                if depth == 0
                    && (word.eq_ignore_ascii_case(b"VALUES") || word.eq_ignore_ascii_case(b"VALUE"))
                {
                    return Some(i);
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// One past the `)` matching the `(` at `open`.
fn matching_paren(bytes: &[u8], open: usize, engine: Engine) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() {
        if let Some(end) = quoted_end(bytes, i, engine) {
            i = end?;
            continue;
        }
        match bytes[i] {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// When a quoted run starts at `i`: `Some(Some(end))` one past its end, `Some(None)` when it
/// is never closed. The same quotes as the splitter's, with the same escapes.
fn quoted_end(bytes: &[u8], i: usize, engine: Engine) -> Option<Option<usize>> {
    let b = bytes[i];
    let (close, escapes) = match b {
        b'\'' => {
            let e_string = engine == Engine::Postgres
                && i > 0
                && matches!(bytes[i - 1], b'E' | b'e')
                && (i < 2 || !is_word_byte(bytes[i - 2]));
            (b'\'', engine == Engine::Mysql || e_string)
        }
        b'"' => (b'"', false),
        b'`' if engine == Engine::Mysql => (b'`', false),
        b'[' if engine == Engine::Sqlite => {
            return Some(
                bytes[i..]
                    .iter()
                    .position(|&c| c == b']')
                    .map(|p| i + p + 1),
            );
        }
        b'$' if engine == Engine::Postgres => return dollar_quoted_end(bytes, i),
        _ => return None,
    };
    let mut j = i + 1;
    while j < bytes.len() {
        let c = bytes[j];
        if escapes && c == b'\\' {
            j += 2;
            continue;
        }
        if c == close {
            if bytes.get(j + 1) == Some(&close) {
                j += 2;
                continue;
            }
            return Some(Some(j + 1));
        }
        j += 1;
    }
    Some(None)
}

/// PostgreSQL `$tag$ … $tag$`, with the splitter's rule for what starts one.
fn dollar_quoted_end(bytes: &[u8], i: usize) -> Option<Option<usize>> {
    if i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_') {
        return None;
    }
    let tag_len = bytes[i + 1..]
        .iter()
        .position(|&c| !(c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80))?;
    let tag_end = i + 1 + tag_len;
    if bytes[tag_end] != b'$' || bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let tag = &bytes[i..=tag_end];
    let body = tag_end + 1;
    Some(
        bytes[body..]
            .windows(tag.len())
            .position(|w| w == tag)
            .map(|p| body + p + tag.len()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_found_past_quotes_and_nested_parentheses() {
        let sql = "INSERT INTO `t` (a, b) VALUES (1, 'x),(y'), (2, f(3)),\n(4, 'it\\'s')\nON DUPLICATE KEY UPDATE b = VALUES(b)";
        let l = layout(sql, Engine::Mysql).unwrap();
        assert_eq!(&sql[l.head.clone()], "INSERT INTO `t` (a, b) VALUES");
        assert_eq!(
            &sql[l.rows.clone()],
            "(1, 'x),(y'), (2, f(3)),\n(4, 'it\\'s')"
        );
        assert_eq!(
            &sql[l.suffix.clone()],
            "\nON DUPLICATE KEY UPDATE b = VALUES(b)"
        );
        let cut: Vec<&str> = slices(sql, &l, Engine::Mysql, 1).map(|r| &sql[r]).collect();
        assert_eq!(cut, ["(1, 'x),(y')", "(2, f(3))", "(4, 'it\\'s')"]);
        let two: Vec<&str> = slices(sql, &l, Engine::Mysql, 20)
            .map(|r| &sql[r])
            .collect();
        assert_eq!(two, ["(1, 'x),(y'), (2, f(3))", "(4, 'it\\'s')"]);
    }

    #[test]
    fn no_values_no_layout() {
        assert_eq!(
            layout("INSERT INTO t SELECT * FROM u", Engine::Postgres),
            None
        );
        assert_eq!(
            layout("INSERT INTO t VALUES (1, 'x)", Engine::Postgres),
            None
        );
        assert_eq!(layout("INSERT INTO t VALUES", Engine::Postgres), None);
        let sql = "INSERT INTO t VALUES ($$a)$$), (E'\\')')";
        let l = layout(sql, Engine::Postgres).unwrap();
        assert_eq!(slices(sql, &l, Engine::Postgres, 1).count(), 2);
    }
}
