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
