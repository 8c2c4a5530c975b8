//! Text for terminals. Names come from inputs (table names, service ids, file names, database
//! messages), and a name holding ESC or BEL is a terminal command when printed raw: `\e[2J`
//! clears the screen, OSC sequences set the window title, write hyperlinks or the clipboard.
//! Every text renderer passes its output through [`terminal_text`]; JSON output needs nothing
//! (serde writes control characters as `\u001b`).

use std::borrow::Cow;

/// `text` with every control character (C0, DEL, C1) written visibly (`\u{1b}`, `\r`), except the
/// line breaks and tabs that lay the text out (`\n`, `\t`, and `\r` in `\r\n`).
pub fn terminal_text(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

/// `text` with every control character written visibly, line breaks and tabs included: for a
/// single value (a name) placed inside a line.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

fn escape(text: &str, keep_layout: bool) -> Cow<'_, str> {
    let kept = |c: char, next: Option<char>| {
        keep_layout && (c == '\n' || c == '\t' || (c == '\r' && next == Some('\n')))
    };
    let mut chars = text.chars().peekable();
    let mut clean = true;
    while let Some(c) = chars.next() {
        if c.is_control() && !kept(c, chars.peek().copied()) {
            clean = false;
            break;
        }
    }
    if clean {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if !c.is_control() || kept(c, chars.peek().copied()) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_written_visibly() {
        let hostile = "a\u{1b}[2J\u{1b}]0;owned\u{7}b\u{9b}c\u{7f}\r\n\tx\ry";
        assert_eq!(
            terminal_text(hostile),
            "a\\u{1b}[2J\\u{1b}]0;owned\\u{7}b\\u{9b}c\\u{7f}\r\n\tx\\ry"
        );
        assert_eq!(
            escape_controls(hostile),
            "a\\u{1b}[2J\\u{1b}]0;owned\\u{7}b\\u{9b}c\\u{7f}\\r\\n\\tx\\ry"
        );
        assert!(matches!(terminal_text("plain\nfine ✓"), Cow::Borrowed(_)));
        // Escaping twice changes nothing more.
        assert_eq!(
            terminal_text(&terminal_text(hostile)),
            terminal_text(hostile)
        );
    }
}
