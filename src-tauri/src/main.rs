//! Migration Studio desktop app.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    migration_studio_desktop::run();
}
