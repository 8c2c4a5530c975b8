//! `mapping init`: a complete starting spec from the inventory and the engine pair's default
//! mapping. Every table and column gets a rule equal to its default, each with a comment giving
//! the default's reason and source ([`super::defaults`]), so the file reads as a review of the
//! defaults and an edit is a one-line change. The text is deterministic (inventory order) and,
//! loaded back, maps exactly as the default does.

use std::fmt::Write as _;

use super::default_type;
use super::defaults;
use super::spec::{toml_key, SPEC_VERSION};
use crate::data::Logical;
use crate::import::Engine;
use crate::inventory::Inventory;

/// The author of the rules `mapping init` writes.
pub const INIT_AUTHOR: &str = "mapping init";

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// The starting spec of a `source` → `target` migration of `inventory`, named `project` in its
/// header, as TOML text.
pub fn starting_spec(
    project: &str,
    inventory: &Inventory,
    source: Engine,
    target: Engine,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Mapping spec of {}: {source} → {target}.",
        crate::export::escape_controls(project)
    );
    out.push_str(
        "# Written by `migration-studio mapping init` from the inventory and the default mapping:\n\
         # every rule below is today's default, its reason and source in the comment above it.\n\
         # Edit a rule (`target` renames, `type` casts, `null_default`, `not_null`, `drop = true`)\n\
         # and put your own `reason` and `author` on it; `mapping review` checks the result.\n\
         #\n# Engine-pair notes:\n",
    );
    for note in defaults::pair_notes(source, target) {
        let _ = writeln!(out, "# - {note}");
    }
    let _ = writeln!(out, "\nversion = {SPEC_VERSION}");
    for table in &inventory.tables {
        if table.name.name.starts_with("_migration_studio") {
            continue;
        }
        let key = toml_key(&table.name.to_string());
        let _ = writeln!(
            out,
            "\n[tables.{key}]\nreason = \"default: same name, every column by its default type\"\nauthor = {}",
            toml_string(INIT_AUTHOR)
        );
        if table.columns.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n[tables.{key}.columns]");
        for column in &table.columns {
            let logical = Logical::of(source, &column.data_type);
            let to = default_type(source, target, &column.data_type, &logical);
            let why = defaults::why(source, target, &logical);
            let _ = writeln!(
                out,
                "# {} → {to}: {} ({})",
                crate::export::escape_controls(&column.data_type),
                why.reason,
                why.source
            );
            let _ = writeln!(
                out,
                "{} = {{ type = {}, reason = \"default mapping\", author = {} }}",
                toml_key(&column.name),
                toml_string(&to),
                toml_string(INIT_AUTHOR)
            );
        }
    }
    out
}
