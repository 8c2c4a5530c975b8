//! The SQL splitter: any text, any engine (the first byte picks it: `0` MySQL, `1` PostgreSQL,
//! `2` SQLite, by its value mod 3). No panic; every piece and error points at a line of the
//! script; COPY data ranges lie inside it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use migration_studio::import::ddl::split::{pieces, Piece};
use migration_studio::import::Engine;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let Ok(script) = std::str::from_utf8(rest) else {
        return;
    };
    let engine = [Engine::Mysql, Engine::Postgres, Engine::Sqlite][usize::from(first % 3)];
    let lines = script.matches('\n').count() + 1;
    for piece in pieces(script, engine) {
        match piece {
            Ok(Piece::Statement { line, text }) => {
                assert!(line >= 1 && line <= lines, "statement line {line} of {lines}");
                assert!(!text.trim().is_empty());
            }
            Ok(Piece::CopyData { line, data, .. }) => {
                assert!(line >= 1 && line <= lines + 1, "copy line {line} of {lines}");
                assert!(data.start <= data.end && data.end <= script.len());
            }
            Ok(Piece::Skipped { line, .. }) => assert!(line >= 1 && line <= lines),
            Err(error) => assert!(error.line() >= 1 && error.line() <= lines, "{error}"),
        }
    }
});
