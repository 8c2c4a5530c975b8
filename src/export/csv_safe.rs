//! Spreadsheet-safe cells (OWASP "CSV Injection"): a cell that starts with `=`, `+`, `-`, `@`,
//! tab or carriage return is read as a formula by Excel, LibreOffice and Google Sheets, so it is
//! prefixed with a single quote, which those programs show as text. Quoting and escaping of
//! double quotes are left to the RFC 4180 writer.

use std::borrow::Cow;

/// The cell as written to a CSV file: unchanged, or prefixed with `'` if it would be a formula.
pub fn neutralize(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// The inverse of [`neutralize`] for CSV imports: a cell that starts with `'` followed by one of
/// the formula characters loses the quote; any other cell is unchanged. So an exported file
/// read back gives the values that were exported.
pub fn restore_neutralized(cell: &str) -> Cow<'_, str> {
    match cell.strip_prefix('\'') {
        Some(rest)
            if matches!(
                rest.chars().next(),
                Some('=' | '+' | '-' | '@' | '\t' | '\r')
            ) =>
        {
            Cow::Borrowed(rest)
        }
        _ => Cow::Borrowed(cell),
    }
}

/// Line numbers of CSV records for error messages. The csv reader's own count
/// ([`csv::Position::line`]) is taken before the line ending of the previous record is finished:
/// after a `\r\n` terminator, which spreadsheets and our exports write, it names the line before
/// (and before a blank line, the blank line).
pub struct CsvLines<'a> {
    text: &'a [u8],
    /// Byte offsets of every `\n`, in order.
    newlines: Vec<usize>,
}

impl<'a> CsvLines<'a> {
    /// The lines of `text`, the whole input the reader reads.
    pub fn new(text: &'a str) -> Self {
        let text = text.as_bytes();
        let newlines = text
            .iter()
            .enumerate()
            .filter_map(|(i, &b)| (b == b'\n').then_some(i))
            .collect();
        Self { text, newlines }
    }

    /// The 1-based line where the record (or error) at `position` starts: line endings and blank
    /// lines at that offset are skipped, as the reader skips them.
    pub fn line(&self, position: &csv::Position) -> usize {
        let byte =
            usize::try_from(position.byte()).map_or(self.text.len(), |b| b.min(self.text.len()));
        let start = byte
            + self.text[byte..]
                .iter()
                .take_while(|&&b| b == b'\r' || b == b'\n')
                .count();
        self.newlines.partition_point(|&i| i < start) + 1
    }
}

#[cfg(test)]
mod tests {
    use super::{neutralize, restore_neutralized};

    #[test]
    fn restoring_undoes_neutralizing() {
        for cell in ["=1+1", "-2", "@x", "plain", "'quoted", ""] {
            assert_eq!(restore_neutralized(&neutralize(cell)), cell);
        }
    }

    #[test]
    fn formula_starts_are_prefixed_and_plain_text_is_kept() {
        for bad in ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"] {
            assert_eq!(neutralize(bad), format!("'{bad}"));
        }
        for good in ["Backfill actor", "", "1.5", "a=b"] {
            assert_eq!(neutralize(good), good);
        }
    }
}
