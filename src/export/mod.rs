//! Exports for people and spreadsheets: runbook CSV and Markdown, the service inventory CSV. Graph exports (DOT,
//! JSON) live with the graph in [`crate::graph`].

mod csv_quotes;
mod csv_safe;
pub mod markdown;
mod runbook_csv;
mod services_csv;
mod terminal;

pub use csv_quotes::{check_quotes, QuoteError};
pub use csv_safe::{neutralize, restore_neutralized, CsvLines};
pub use markdown::runbook_markdown;
pub use runbook_csv::{write_runbook_csv, ExportError, RUNBOOK_CSV_COLUMNS};
pub use services_csv::write_services_csv;
pub use terminal::{escape_controls, terminal_text};
