//! Declares the app's commands in the Tauri app manifest, so each gets an `allow-<command>`
//! permission and nothing undeclared can be granted.

include!("src/command_list.rs");

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build script");
}
