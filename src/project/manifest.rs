//! The project manifest, `migration-studio.toml`: small, readable, safe to keep in git.
//!
//! ```toml
//! name = "sakila-mysql-to-postgres"
//! shape = "cdc"                     # offline | dual-write | cdc | blue-green
//! rto_minutes = 30
//! maintenance_window_minutes = 60
//!
//! [source]
//! engine = "mysql"                  # postgres | mysql (also MariaDB) | sqlite
//!
//! [target]
//! engine = "postgres"
//!
//! [[inputs]]                        # SQL scripts: DDL and/or data, in load order
//! path = "data/sakila-schema.sql"   # relative to the project folder, never outside it
//!
//! [[inputs]]                        # a live database; the URL comes from the environment
//! live = "source"
//! url_env = "SAKILA_SOURCE_URL"
//!
//! [[inputs]]                        # a service inventory: file or folder
//! services = "services/kubernetes"  # CSV, docker-compose, Kubernetes or Backstage YAML
//! format = "kubernetes"             # optional: csv | compose | kubernetes | backstage
//!
//! [throughput]                      # optional; defaults in `plan::Throughput`
//! backfill_rows_per_second = 50000
//!
//! [[invariants]]                    # optional; checked by `validate` on both sides
//! name = "payments by month"
//! source_sql = "SELECT DATE_FORMAT(payment_date, '%Y-%m'), SUM(amount) FROM payment GROUP BY 1"
//! target_sql = "SELECT to_char(payment_date, 'YYYY-MM'), SUM(amount) FROM payment GROUP BY 1"
//! ```
//!
//! Credentials never live here: a live input names an environment variable (or, in the desktop
//! app, a keychain entry) that holds the URL.

use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::ProjectError;
use crate::import::services::ServiceFormat;
use crate::import::Engine;
use crate::plan::{MigrationShape, PlanSettings, Throughput};

/// File name of the manifest inside a project folder.
pub const MANIFEST_FILE: &str = "migration-studio.toml";

/// One side of the migration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// Engine family.
    pub engine: Engine,
    /// Engine version, informative (e.g. `"10.11"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// Something to import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum Input {
    /// A SQL script (DDL, data, or both).
    Script {
        /// Path relative to the project folder.
        path: PathBuf,
        /// Dialect; defaults to the source engine.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        engine: Option<Engine>,
    },
    /// A live database read through its catalog.
    Live {
        /// Label for findings and errors, e.g. `source`.
        live: String,
        /// Engine; defaults to the source engine.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        engine: Option<Engine>,
        /// Environment variable holding the connection URL.
        url_env: String,
        /// Schemas (PostgreSQL) or databases (MySQL) to read; empty = all user schemas.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        schemas: Vec<String>,
    },
    /// A service inventory: a CSV, docker-compose, Kubernetes or Backstage file, or a folder of
    /// them (see [`crate::import::services`]).
    Services {
        /// File or folder relative to the project folder.
        services: PathBuf,
        /// Format; detected per file from its name and content when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        format: Option<ServiceFormat>,
    },
}

/// The parsed manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Project name.
    pub name: String,
    /// Migration shape; CDC when absent.
    #[serde(default)]
    pub shape: MigrationShape,
    /// Recovery time objective, minutes.
    pub rto_minutes: f64,
    /// Maintenance window, minutes.
    pub maintenance_window_minutes: f64,
    /// Source side.
    pub source: Endpoint,
    /// Target side.
    pub target: Endpoint,
    /// Inputs, in import order.
    #[serde(default)]
    pub inputs: Vec<Input>,
    /// Throughputs for estimates.
    #[serde(default)]
    pub throughput: Throughput,
    /// Validation invariants: `[[invariants]]` with `name`, `source_sql` and `target_sql`, queries
    /// whose results must be equal on both sides (e.g. total payment amount by month).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invariants: Vec<crate::validate::Invariant>,
    /// Go/no-go criteria a rehearsal checks (`[gates]`); defaults when absent.
    #[serde(default)]
    pub gates: crate::rehearsal::gates::Gates,
}

impl Manifest {
    /// A new manifest with no inputs.
    pub fn new(name: &str, source: Engine, target: Engine, shape: MigrationShape) -> Self {
        let defaults = PlanSettings::default();
        Self {
            name: name.to_owned(),
            shape,
            rto_minutes: defaults.rto_minutes,
            maintenance_window_minutes: defaults.maintenance_window_minutes,
            source: Endpoint {
                engine: source,
                version: None,
            },
            target: Endpoint {
                engine: target,
                version: None,
            },
            inputs: Vec::new(),
            throughput: Throughput::default(),
            gates: crate::rehearsal::gates::Gates::default(),
            invariants: Vec::new(),
        }
    }

    /// Reads and validates the manifest in `root`.
    ///
    /// # Errors
    /// [`ProjectError::Manifest`] naming the file, line and field; [`ProjectError::PathEscapes`]
    /// when an input path leaves the project folder.
    pub fn load(root: &Path) -> Result<Self, ProjectError> {
        let path = root.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&path).map_err(|source| ProjectError::Io {
            path: path.clone(),
            source,
        })?;
        let manifest: Manifest = toml::from_str(&text).map_err(|e| ProjectError::Manifest {
            file: path.clone(),
            line: e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1),
            message: e.message().to_owned(),
        })?;
        manifest.validate(root, &path, &text)?;
        Ok(manifest)
    }

    fn validate(&self, root: &Path, file: &Path, text: &str) -> Result<(), ProjectError> {
        let line_of = |needle: &str| {
            text.find(needle)
                .map(|i| text[..i].matches('\n').count() + 1)
        };
        for (field, value) in [
            ("rto_minutes", self.rto_minutes),
            (
                "maintenance_window_minutes",
                self.maintenance_window_minutes,
            ),
        ] {
            if !(value.is_finite() && value > 0.0) {
                return Err(ProjectError::Manifest {
                    file: file.to_owned(),
                    line: line_of(field),
                    message: format!("{field} must be a positive number of minutes, got {value}"),
                });
            }
        }
        for input in &self.inputs {
            if let Input::Script { path, .. } | Input::Services { services: path, .. } = input {
                resolve_inside(root, path).map_err(|reason| ProjectError::PathEscapes {
                    file: file.to_owned(),
                    line: line_of(&path.to_string_lossy()),
                    path: path.clone(),
                    reason,
                })?;
            }
        }
        Ok(())
    }

    /// Planning settings from the manifest.
    pub fn plan_settings(&self) -> PlanSettings {
        PlanSettings {
            shape: self.shape,
            rto_minutes: self.rto_minutes,
            maintenance_window_minutes: self.maintenance_window_minutes,
            throughput: self.throughput,
        }
    }

    /// Writes the manifest to `root`, refusing to overwrite one that exists.
    ///
    /// # Errors
    /// [`ProjectError::AlreadyExists`], or [`ProjectError::Io`].
    pub fn create(&self, root: &Path) -> Result<(), ProjectError> {
        let path = root.join(MANIFEST_FILE);
        if path.exists() {
            return Err(ProjectError::AlreadyExists(path));
        }
        std::fs::create_dir_all(root).map_err(|source| ProjectError::Io {
            path: root.to_owned(),
            source,
        })?;
        let text = toml::to_string_pretty(self).expect("a manifest always serialises");
        std::fs::write(&path, text).map_err(|source| ProjectError::Io { path, source })
    }
}

/// Resolves `relative` inside `root`: no absolute paths, no `..` that climbs out, no symlink
/// that leads out. Returns the resolved path, or why it was refused.
pub fn resolve_inside(root: &Path, relative: &Path) -> Result<PathBuf, String> {
    if relative.is_absolute() || relative.has_root() {
        return Err("absolute paths are not allowed; use a path relative to the project".into());
    }
    let mut depth = 0i32;
    for component in relative.components() {
        match component {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::Prefix(_) | Component::RootDir => {
                return Err("absolute paths are not allowed".into())
            }
        }
        if depth < 0 {
            return Err("the path climbs out of the project folder".into());
        }
    }
    let joined = root.join(relative);
    if let (Ok(real), Ok(real_root)) = (joined.canonicalize(), root.canonicalize()) {
        if !real.starts_with(&real_root) {
            return Err("the path leads out of the project folder through a symbolic link".into());
        }
    }
    Ok(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_cannot_escape() {
        let root = Path::new("/tmp/p");
        assert!(resolve_inside(root, Path::new("data/a.sql")).is_ok());
        assert!(resolve_inside(root, Path::new("data/../a.sql")).is_ok());
        assert!(resolve_inside(root, Path::new("../a.sql")).is_err());
        assert!(resolve_inside(root, Path::new("data/../../a.sql")).is_err());
        assert!(resolve_inside(root, Path::new("/etc/passwd")).is_err());
    }
}
