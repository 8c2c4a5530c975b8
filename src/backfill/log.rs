//! The run's structured log: one JSON object per line (step, table, key range, rows, duration,
//! outcome), flushed line by line so that a run killed at any instant leaves a log that says
//! exactly what was in flight.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;

use super::BackfillError;

/// A JSON-lines log, or nothing.
#[derive(Debug, Default)]
pub struct RunLog {
    file: Option<(PathBuf, Mutex<File>)>,
}

impl RunLog {
    /// A log appended to `path` (created with its folders).
    ///
    /// # Errors
    /// [`BackfillError::Log`].
    pub fn open(path: &Path) -> Result<Self, BackfillError> {
        let err = |source| BackfillError::Log {
            path: path.to_owned(),
            source,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(err)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(err)?;
        Ok(Self {
            file: Some((path.to_owned(), Mutex::new(file))),
        })
    }

    /// A log that records nothing.
    pub fn disabled() -> Self {
        Self::default()
    }

    /// Appends one record. Logging must never stop a copy, so an I/O failure is reported once
    /// through `tracing` and otherwise ignored.
    pub fn record(&self, record: &impl Serialize) {
        let Some((path, file)) = &self.file else {
            return;
        };
        let mut line = serde_json::to_vec(record).expect("log records serialise");
        line.push(b'\n');
        let mut file = file.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Err(e) = file.write_all(&line).and_then(|()| file.flush()) {
            tracing::warn!(path = %path.display(), error = %e, "cannot write the run log");
        }
    }
}
