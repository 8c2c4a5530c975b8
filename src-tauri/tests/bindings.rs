//! Regenerates `ui/src/bindings.ts` from the registered commands; CI runs this and then
//! `git diff --exit-code ui/src/bindings.ts`, so committed bindings never drift from Rust.

use std::path::Path;

#[test]
fn export_typescript_bindings() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings.ts");
    migration_studio_desktop::export_bindings(&path).expect("bindings export");
    let text = std::fs::read_to_string(&path).unwrap();
    for command in migration_studio_desktop::COMMANDS {
        assert!(
            text.contains(&format!("TAURI_INVOKE(\"{command}\"")),
            "{command} is in COMMANDS but not in the generated bindings"
        );
    }
}
