//! Where a run stands, saved at each resumable point so `rehearse --resume` can go on after the
//! process died (kill -9, a closed laptop): `<project>/.migration-studio/runs/<id>/rehearsal.json`.
//!
//! It holds no password: on resume the local provider is given its server URLs again and the
//! docker provider reads them back from the run's containers.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::report::{Interruption, LagSample, StepTiming};

/// The file name inside the run's folder.
pub const STATE_FILE: &str = "rehearsal.json";

/// How far a run got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// Environment made; loading the source, installing capture, preparing the target.
    /// Not resumable: a resume starts the run over in the same environment.
    Provisioned,
    /// Capture on, target prepared, backfill running (resumes from its checkpoints).
    Backfill,
    /// Backfill done, applying captured changes (resumes from `applied`).
    CatchUp,
    /// Writes frozen or later: the rest is short and not resumable.
    Frozen,
}

impl Stage {
    /// The stage's name as the CLI and reports say it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Provisioned => "loading the source",
            Self::Backfill => "backfill",
            Self::CatchUp => "catch-up",
            Self::Frozen => "after the freeze",
        }
    }
}

/// A run's saved progress.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunState {
    /// Run id.
    pub id: String,
    /// Project name (checked on resume).
    pub project: String,
    /// Provider that made the environment (`local`, `docker`).
    pub provider: String,
    /// Servers of a local environment, redacted (checked against the ones given on resume).
    pub servers: (String, String),
    /// Containers of a docker environment.
    pub containers: Vec<String>,
    /// How far it got.
    pub stage: Stage,
    /// Rehearsal clock, seconds, when the current stage started.
    pub stage_started_seconds: f64,
    /// Last changelog sequence applied to the target (at-least-once: apply is idempotent).
    pub applied: i64,
    /// Rows in the source after loading.
    pub source_rows: u64,
    /// Rehearsal clock at the last save, seconds.
    pub elapsed_seconds: f64,
    /// Start, Unix seconds.
    pub started_at_unix: u64,
    /// Steps measured so far.
    pub steps: Vec<StepTiming>,
    /// Lag samples so far.
    pub lag: Vec<LagSample>,
    /// Earlier interruptions.
    pub interruptions: Vec<Interruption>,
    /// The source schema came from a live copy (the target's tables are then made from it).
    #[serde(default)]
    pub schema_from_copy: bool,
    /// Rows the `plant-rejects` drill planted.
    #[serde(default)]
    pub planted: Option<super::drills::Planted>,
    /// Ids of the runbook steps done, in order.
    #[serde(default)]
    pub done: Vec<String>,
}

/// The run folder of run `id`.
pub fn run_dir(project: &Path, id: &str) -> PathBuf {
    project.join(".migration-studio").join("runs").join(id)
}

impl RunState {
    /// Writes the state atomically (a temporary file renamed over the old one), so a kill
    /// during the write leaves the previous state.
    ///
    /// # Errors
    /// The I/O error, with the path.
    pub fn save(&self, project: &Path) -> Result<(), (PathBuf, std::io::Error)> {
        let dir = run_dir(project, &self.id);
        std::fs::create_dir_all(&dir).map_err(|e| (dir.clone(), e))?;
        let path = dir.join(STATE_FILE);
        let tmp = dir.join(format!("{STATE_FILE}.tmp"));
        let text = serde_json::to_string_pretty(self).expect("states serialise");
        std::fs::write(&tmp, text).map_err(|e| (tmp.clone(), e))?;
        std::fs::rename(&tmp, &path).map_err(|e| (path, e))
    }

    /// Reads run `id`'s state, if it has one.
    pub fn load(project: &Path, id: &str) -> Option<Self> {
        crate::backfill::run_files::check_run_id(id).ok()?;
        let text = std::fs::read_to_string(run_dir(project, id).join(STATE_FILE)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Forgets run `id`'s state (the run ended, or was cleaned up).
    pub fn remove(project: &Path, id: &str) {
        if crate::backfill::run_files::check_run_id(id).is_err() {
            return;
        }
        let _ = std::fs::remove_file(run_dir(project, id).join(STATE_FILE));
    }

    /// The unfinished run `id`, or the newest unfinished run when `id` is `None`.
    pub fn resumable(project: &Path, id: Option<&str>) -> Option<Self> {
        let mut unfinished = Self::unfinished(project);
        match id {
            Some(id) => unfinished.into_iter().find(|s| s.id == id),
            None => unfinished.pop(),
        }
    }

    /// Runs of the project that stopped without ending (newest last).
    pub fn unfinished(project: &Path) -> Vec<Self> {
        let Ok(entries) = std::fs::read_dir(project.join(".migration-studio").join("runs")) else {
            return Vec::new();
        };
        let mut states: Vec<Self> = entries
            .filter_map(Result::ok)
            .filter_map(|e| Self::load(project, &e.file_name().to_string_lossy()))
            .collect();
        states.sort_by(|a, b| a.id.cmp(&b.id));
        states
    }
}
