//! Resuming a validation: the tables already validated by an interrupted run, with their
//! reports, kept in `.migration-studio/runs/validate-<hash>.json` under the project folder. The
//! hash covers what makes two runs the same run (redacted URLs, strategy, table filter), so a
//! run against other databases starts afresh. The file is rewritten whole after each table
//! (write to a temporary file, then rename, so a kill never leaves half a file).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::ValidateError;
use super::report::TableReport;

/// Tables finished by earlier attempts of the same run.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct RunState {
    /// Reports of the finished tables, in the order they finished.
    pub finished: Vec<TableReport>,
    #[serde(skip)]
    path: PathBuf,
}

impl RunState {
    /// The state file for a run identified by `identity` under `project`.
    pub fn path_for(project: &Path, identity: &str) -> PathBuf {
        let hash = xxhash_rust::xxh3::xxh3_64(identity.as_bytes());
        project
            .join(".migration-studio")
            .join("runs")
            .join(format!("validate-{hash:016x}.json"))
    }

    /// Loads the state at `path` (empty when absent, or when `restart`).
    ///
    /// # Errors
    /// [`ValidateError::State`] when the file exists but cannot be read or parsed.
    pub fn load(path: PathBuf, restart: bool) -> Result<Self, ValidateError> {
        if restart || !path.exists() {
            return Ok(Self {
                finished: Vec::new(),
                path,
            });
        }
        let err = |source| ValidateError::State {
            path: path.clone(),
            source,
        };
        let text = std::fs::read_to_string(&path).map_err(err)?;
        let mut state: RunState = serde_json::from_str(&text)
            .map_err(|e| err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
        state.path = path;
        Ok(state)
    }

    /// The stored reports of source table `table` (one per table of a split), empty unless
    /// an earlier attempt finished it.
    pub fn finished(&self, table: &str) -> Vec<&TableReport> {
        self.finished
            .iter()
            .filter(|t| t.source_table == table)
            .collect()
    }

    /// Records the reports of finished source table `table` (all its target tables at once,
    /// so a resumed run never holds half a split) and saves.
    ///
    /// # Errors
    /// [`ValidateError::State`].
    pub fn record(&mut self, table: &str, reports: Vec<TableReport>) -> Result<(), ValidateError> {
        self.finished.retain(|t| t.source_table != table);
        self.finished.extend(reports);
        self.save()
    }

    fn save(&self) -> Result<(), ValidateError> {
        let err = |source| ValidateError::State {
            path: self.path.clone(),
            source,
        };
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        let tmp = self.path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(self).expect("a run state always serialises");
        std::fs::write(&tmp, text).map_err(err)?;
        std::fs::rename(&tmp, &self.path).map_err(err)
    }

    /// Removes the state file (the run completed).
    ///
    /// # Errors
    /// [`ValidateError::State`].
    pub fn clear(&self) -> Result<(), ValidateError> {
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(ValidateError::State {
                path: self.path.clone(),
                source: e,
            }),
            _ => Ok(()),
        }
    }
}
