//! The DDL importer (splitter, `sqlparser`, token readers, INSERT slicing): any script, any
//! engine (first byte mod 3: MySQL, PostgreSQL, SQLite). No panic, no stack overflow; an
//! error names a line of the script.
#![no_main]

use libfuzzer_sys::fuzz_target;
use migration_studio::import::ddl::DdlImporter;
use migration_studio::import::{Engine, ImportError};

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let Ok(script) = std::str::from_utf8(rest) else {
        return;
    };
    let engine = [Engine::Mysql, Engine::Postgres, Engine::Sqlite][usize::from(first % 3)];
    let lines = script.matches('\n').count() + 1;
    let mut importer = DdlImporter::new(engine);
    match importer.add_script("fuzz.sql", script) {
        Ok(()) => {
            let _ = importer.finish();
        }
        Err(
            ImportError::Parse { line, .. }
            | ImportError::Unterminated { line, .. }
            | ImportError::StatementTooLarge { line, .. },
        ) => assert!(line >= 1 && line <= lines, "error line {line} of {lines}"),
        Err(other) => panic!("unexpected error kind: {other}"),
    }
});
