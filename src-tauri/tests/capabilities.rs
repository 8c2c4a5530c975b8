//! Every registered command, and nothing else, is callable from the window: the commands in the
//! generated bindings are exactly [`COMMANDS`], the app manifest declares exactly them, and the
//! window's capability grants exactly their `allow-` permissions and no plugin's (not even the
//! dialog plugin's open: projects and SQLite files are chosen in dialogs Rust opens). (The
//! end-to-end test also checks at run time that an ungranted command is refused.)

use std::collections::BTreeSet;
use std::path::Path;

use migration_studio_desktop::COMMANDS;

fn crate_file(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn expected_permissions() -> BTreeSet<String> {
    COMMANDS
        .iter()
        .map(|c| format!("allow-{}", c.replace('_', "-")))
        .collect()
}

#[test]
fn capability_grants_exactly_the_registered_commands() {
    let capability: serde_json::Value =
        serde_json::from_str(&crate_file("capabilities/main.json")).unwrap();
    assert_eq!(capability["windows"], serde_json::json!(["main"]));
    let granted: BTreeSet<String> = capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().expect("plain permission ids only").to_owned())
        .collect();
    assert_eq!(granted, expected_permissions());
    assert!(
        granted.iter().all(|p| !p.contains(':')),
        "no plugin permission: {granted:?}"
    );
    // Only this capability file exists, and the config enables only it.
    let files: Vec<_> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("capabilities"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
    assert_eq!(files, ["main.json"]);
    let config: serde_json::Value = serde_json::from_str(&crate_file("tauri.conf.json")).unwrap();
    assert_eq!(
        config["app"]["security"]["capabilities"],
        serde_json::json!(["main-window"])
    );
    assert!(config["app"]["security"]["csp"]["default-src"] == "'self'");
}

#[test]
fn bindings_and_app_manifest_list_exactly_the_registered_commands() {
    let registered: BTreeSet<&str> = COMMANDS.iter().copied().collect();
    assert_eq!(registered.len(), COMMANDS.len(), "duplicate command");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings.ts");
    let bindings = std::fs::read_to_string(path).unwrap();
    let invoked: BTreeSet<&str> = bindings
        .split("TAURI_INVOKE(\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .collect();
    assert_eq!(invoked, registered);
    // The app manifest tauri-build generated from build.rs.
    let acl = crate_file("gen/schemas/acl-manifests.json");
    let acl: serde_json::Value = serde_json::from_str(&acl).unwrap();
    let app = &acl["__app-acl__"]["permissions"];
    let declared: BTreeSet<String> = app
        .as_object()
        .expect("app manifest permissions")
        .keys()
        .filter(|k| k.starts_with("allow-"))
        .cloned()
        .collect();
    let expected: BTreeSet<String> = COMMANDS
        .iter()
        .map(|c| format!("allow-{}", c.replace('_', "-")))
        .collect();
    assert_eq!(declared, expected);
}
