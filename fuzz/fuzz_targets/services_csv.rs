//! The service inventory reader for the csv format, given the format (as a manifest's
//! `format = "csv"` does) or, when the first byte is odd, detecting it from the content as a
//! file in a folder. No panic, no unbounded allocation; an error names the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use migration_studio::import::services::{ServiceFormat, ServiceImporter};

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let format = (first % 2 == 0).then_some(ServiceFormat::Csv);
    let mut importer = ServiceImporter::new();
    match importer.add_text(text, "fuzz.csv", format, format.is_none()) {
        Ok(()) => {
            let _ = importer.finish();
        }
        Err(error) => assert!(error.to_string().starts_with("fuzz.csv"), "{error}"),
    }
});
