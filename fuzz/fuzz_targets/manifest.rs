//! The manifest reader: any text as `migration-studio.toml` of an empty project folder. No
//! panic; an error names the manifest file.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use migration_studio::project::Manifest;

fn root() -> &'static PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let root = std::env::temp_dir().join(format!("ms-fuzz-manifest-{}", std::process::id()));
        std::fs::create_dir_all(&root).expect("a scratch project folder");
        root
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(error) = Manifest::from_text(root(), text) {
        let message = error.to_string();
        assert!(message.contains("migration-studio.toml"), "{message}");
    }
});
