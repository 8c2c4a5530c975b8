/// Every command the shell registers, by name. `build.rs` declares them in the app manifest
/// (one `allow-<name>` permission each) and a test checks that the window's capability grants
/// exactly these and that the registered handler matches.
pub const COMMANDS: &[&str] = &[
    "app_info",
    "recent_projects",
    "forget_recent_project",
    "open_project",
    "create_project",
    "import_project",
    "inventory",
    "graph",
    "blast_radius",
    "runbook",
    "edit_step",
    "export_runbook",
    "risks",
    "connections",
    "save_connection",
    "delete_connection",
    "start_rehearsal",
    "rehearse",
    "rehearsal_history",
    "cancel_task",
];
