//! Exports for people and spreadsheets: runbook CSV and Markdown, the service inventory CSV; and
//! for the orchestrators a production cutover runs on: the runbook as an Argo Workflows
//! `Workflow` ([`argo`]) and as an Apache Airflow DAG file ([`airflow`]). Graph exports (DOT,
//! JSON) live with the graph in [`crate::graph`].

pub mod airflow;
pub mod argo;
mod csv_quotes;
mod csv_safe;
pub mod markdown;
pub mod orchestrator;
mod runbook_csv;
mod services_csv;
mod terminal;
mod yaml;

pub use airflow::airflow_dag;
pub use argo::argo_workflow;
pub use csv_quotes::{check_quotes, QuoteError};
pub use csv_safe::{neutralize, restore_neutralized, CsvLines};
pub use markdown::runbook_markdown;
pub use orchestrator::OrchestratorContext;
pub use runbook_csv::{write_runbook_csv, ExportError, RUNBOOK_CSV_COLUMNS};
pub use services_csv::write_services_csv;
pub use terminal::{escape_controls, terminal_text};
