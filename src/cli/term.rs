//! Everything the CLI prints for people goes through here: [`out!`], [`outln!`] and [`errln!`]
//! replace `print!`, `println!` and `eprintln!`, and [`Terminal`] wraps a writer, so that
//! control characters in names from the inputs reach the terminal escaped
//! ([`terminal_text`]), never as commands. Machine formats written to standard output (CSV,
//! DOT, Markdown) are escaped only when it is a terminal; JSON escapes them itself.

use std::io::{IsTerminal, Write};

use migration_studio::export::terminal_text;

/// A writer that escapes control characters on their way to `W`.
pub(crate) struct Terminal<W: Write>(pub(crate) W);

impl<W: Write> Write for Terminal<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // `write!` hands over whole `str` pieces, so a character is never split across calls.
        let text = String::from_utf8_lossy(buf);
        self.0.write_all(terminal_text(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Standard output, escaped.
pub(crate) fn stdout() -> Terminal<std::io::StdoutLock<'static>> {
    Terminal(std::io::stdout().lock())
}

/// Writes `text` to standard output, escaped (a closed pipe is not an error worth a panic).
pub(crate) fn print(text: &str) {
    let _ = stdout().write_all(text.as_bytes());
}

/// Writes `text` to standard error, escaped.
pub(crate) fn eprint(text: &str) {
    let _ = Terminal(std::io::stderr().lock()).write_all(text.as_bytes());
}

/// Writes a machine format to standard output: as it is into a pipe or file, escaped on a
/// terminal.
pub(crate) fn print_document(bytes: &[u8]) -> std::io::Result<()> {
    if std::io::stdout().is_terminal() {
        stdout().write_all(bytes)
    } else {
        std::io::stdout().lock().write_all(bytes)
    }
}

/// `print!` with control characters escaped.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::term::print(&format!($($arg)*))
    };
}

/// `println!` with control characters escaped.
macro_rules! outln {
    () => {
        $crate::cli::term::print("\n")
    };
    ($($arg:tt)*) => {
        $crate::cli::term::print(&format!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprintln!` with control characters escaped.
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::cli::term::eprint(&format!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {errln, out, outln};
