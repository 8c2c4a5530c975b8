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
//! mapping = "mapping.toml"          # optional: the mapping spec (`mapping init` writes it)
//!
//! [lifecycle]                       # optional; the job lifecycle's criteria (defaults shown)
//! windows = 3                       # consecutive windows every criterion must hold to promote
//! criteria = ["data_quality", "latency", "resources"]
//! latency_tolerance = 0.1           # the new side may land 10 % later than the old
//! resource_tolerance = 0.1          # and read, write, spend CPU 10 % more
//! flap_limit = 3                    # more shadow ⇄ reverse-shadow moves than this…
//! flap_window_seconds = 3600        # …within this window: held for a person
//! auto_cleanup = false              # cleanup (point of no return) waits for `lifecycle approve`
//! interval_seconds = 60             # between two ticks of `lifecycle run`
//! stuck_after_seconds = 3600        # `lifecycle status` lists a job this long without a move
//!
//! [lifecycle.jobs."payment"]        # per-job overrides: windows, criteria, tolerances, auto_cleanup
//! windows = 6
//!
//! [[lifecycle.jobs."payment".assertions]]  # a critical job's own criterion: one read-only
//! name = "paid per customer"        # query, the same rows on both sides (`new_sql` when the
//! sql = "SELECT customer_id, SUM(amount) FROM payment GROUP BY 1"  # new side's dialect differs)
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
use super::settings::{Gates, Invariant, LifecycleSettings};
use crate::import::services::ServiceFormat;
use crate::import::Engine;
use crate::plan::{MigrationShape, PlanSettings, Throughput};

/// The job of the `[lifecycle.jobs.<job>]` (or `[[lifecycle.jobs.<job>.assertions]]`) table
/// whose header is the last one before byte `offset` of `text`, if it is one.
fn job_section_above(text: &str, offset: usize) -> Option<String> {
    let before = text.as_bytes().get(..offset.min(text.len()))?;
    let header = String::from_utf8_lossy(before)
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))?
        .trim_matches(['[', ']'])
        .trim()
        .to_owned();
    let job = header.strip_prefix("lifecycle.jobs.")?;
    let job = job.strip_suffix(".assertions").unwrap_or(job);
    Some(job.trim_matches('"').to_owned())
}

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
///
/// Read through [`RawInput`] rather than as an untagged enum: serde buffers an untagged value
/// before trying each variant, which loses the position of a bad key, so an unknown key in the
/// third `[[inputs]]` was reported at the first one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged, try_from = "RawInput")]
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

/// One `[[inputs]]` entry as written: every key any input takes, unknown keys refused where
/// they stand. [`Input::try_from`] then checks the combination.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInput {
    path: Option<PathBuf>,
    live: Option<String>,
    services: Option<PathBuf>,
    engine: Option<Engine>,
    url_env: Option<String>,
    schemas: Option<Vec<String>>,
    format: Option<ServiceFormat>,
}

impl TryFrom<RawInput> for Input {
    type Error = String;

    fn try_from(raw: RawInput) -> Result<Self, String> {
        raw.check().map_err(|(_, message)| message)
    }
}

impl RawInput {
    /// The input this entry describes, or the key at fault (when one is) and what is wrong.
    fn check(self) -> Result<Input, (Option<&'static str>, String)> {
        let misplaced = |kind: &str, keys: &[(&'static str, bool)]| match keys
            .iter()
            .find(|(_, present)| *present)
        {
            Some((key, _)) => Err((
                Some(*key),
                format!("`{key}` does not apply to {kind} inputs"),
            )),
            None => Ok(()),
        };
        match (self.path, self.live, self.services) {
            (Some(path), None, None) => {
                misplaced(
                    "script (`path`)",
                    &[
                        ("url_env", self.url_env.is_some()),
                        ("schemas", self.schemas.is_some()),
                        ("format", self.format.is_some()),
                    ],
                )?;
                Ok(Input::Script {
                    path,
                    engine: self.engine,
                })
            }
            (None, Some(live), None) => {
                misplaced("live", &[("format", self.format.is_some())])?;
                let url_env = self.url_env.ok_or_else(|| {
                    (
                        None,
                        format!("live input `{live}` needs `url_env`, the environment variable that holds its URL"),
                    )
                })?;
                Ok(Input::Live {
                    live,
                    engine: self.engine,
                    url_env,
                    schemas: self.schemas.unwrap_or_default(),
                })
            }
            (None, None, Some(services)) => {
                misplaced(
                    "services",
                    &[
                        ("engine", self.engine.is_some()),
                        ("url_env", self.url_env.is_some()),
                        ("schemas", self.schemas.is_some()),
                    ],
                )?;
                Ok(Input::Services {
                    services,
                    format: self.format,
                })
            }
            (None, None, None) => Err((
                None,
                "an input needs one of `path` (a script), `live` (a database) or `services` (a service inventory)".into(),
            )),
            _ => Err((
                None,
                "an input takes only one of `path`, `live` and `services`".into(),
            )),
        }
    }
}

/// The manifest's inputs with their positions, every other key ignored.
#[derive(Deserialize)]
struct SpannedInputs {
    #[serde(default)]
    inputs: Vec<toml::Spanned<RawInput>>,
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
    pub invariants: Vec<Invariant>,
    /// Go/no-go criteria a rehearsal checks (`[gates]`); defaults when absent.
    #[serde(default)]
    pub gates: Gates,
    /// What the stated conversion rules do (`[data]`: `zero_dates = "null" | "reject"`,
    /// `non_binary_booleans = "true" | "reject"`); defaults when absent.
    #[serde(default, skip_serializing_if = "is_default_policy")]
    pub data: crate::data::ConversionPolicy,
    /// The mapping spec (`mapping = "mapping.toml"`, relative to the project folder, never
    /// outside it); absent: every table moves under the default mapping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapping: Option<PathBuf>,
    /// The migration job lifecycle's criteria and loop settings (`[lifecycle]`); defaults when
    /// absent.
    #[serde(default, skip_serializing_if = "is_default_lifecycle")]
    pub lifecycle: LifecycleSettings,
}

fn is_default_lifecycle(settings: &LifecycleSettings) -> bool {
    *settings == LifecycleSettings::default()
}

fn is_default_policy(policy: &crate::data::ConversionPolicy) -> bool {
    *policy == crate::data::ConversionPolicy::default()
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
            gates: Gates::default(),
            data: crate::data::ConversionPolicy::default(),
            invariants: Vec::new(),
            mapping: None,
            lifecycle: LifecycleSettings::default(),
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
        Self::parse(root, &path, &text)
    }

    fn parse(root: &Path, path: &Path, text: &str) -> Result<Self, ProjectError> {
        // Bytes: the TOML parser's error spans may start inside a multi-byte character.
        let line_at = |offset: usize| {
            let before = &text.as_bytes()[..offset.min(text.len())];
            before.iter().filter(|&&b| b == b'\n').count() + 1
        };
        let error = |e: toml::de::Error| {
            // A bad value's message names the value, not the key: name the key written on
            // the value's line (`criteria = ["speed"]` → "`criteria`: unknown variant …").
            let key = e.span().and_then(|s| {
                // Bytes: the span may start inside a multi-byte character.
                let bytes = text.as_bytes();
                let start = bytes[..s.start.min(bytes.len())]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |n| n + 1);
                // Just after a newline (or 0): a character boundary.
                let line = text[start..].lines().next().unwrap_or_default();
                let (key, _) = line.split_once('=')?;
                let key = key.trim();
                (!key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                .then(|| key.to_owned())
            });
            let message = e.message().to_owned();
            let message = match key {
                Some(key) if !message.contains(&format!("`{key}`")) => {
                    format!("`{key}`: {message}")
                }
                _ => message,
            };
            // Inside a job's section, name the job: the table header above the value.
            let message = match e.span().and_then(|s| job_section_above(text, s.start)) {
                Some(job) => format!("`[lifecycle.jobs.\"{job}\"]` {message}"),
                None => message,
            };
            ProjectError::Manifest {
                file: path.to_owned(),
                line: e.span().map(|s| line_at(s.start)),
                message,
            }
        };
        // The inputs first, each with its position: an input's keys are checked only once the
        // whole entry is read, and by then the full manifest's deserializer knows only where the
        // `inputs` array starts.
        let spanned: SpannedInputs = toml::from_str(text).map_err(error)?;
        for raw in spanned.inputs {
            let span = raw.span();
            raw.into_inner().check().map_err(|(key, message)| {
                // The key's own line when it is written as `key = …` in the entry.
                let entry = text.get(span.clone()).unwrap_or_default();
                let at = key
                    .and_then(|key| {
                        entry.match_indices(key).find_map(|(i, _)| {
                            let line_start = entry[..i].rfind('\n').map_or(0, |n| n + 1);
                            let after = entry[i + key.len()..].trim_start();
                            (entry[line_start..i].trim().is_empty() && after.starts_with('='))
                                .then_some(i)
                        })
                    })
                    .unwrap_or(0);
                ProjectError::Manifest {
                    file: path.to_owned(),
                    line: Some(line_at(span.start + at)),
                    message,
                }
            })?;
        }
        let manifest: Manifest = toml::from_str(text).map_err(error)?;
        manifest.validate(root, path, text)?;
        Ok(manifest)
    }

    /// The manifest text of `root` with a live input labelled `label` appended (its URL in the
    /// variable [`live_url_env`] of the label; the desktop app gives it from the keychain
    /// instead), or `None` when a live input with this label exists. The text is appended, so
    /// the file's comments and layout stay; the result is checked. Nothing is written: see
    /// [`super::Project::import_with_manifest`].
    ///
    /// # Errors
    /// [`ProjectError::Io`]; [`ProjectError::Manifest`] when the file cannot take the input
    /// (e.g. its inputs are an inline array).
    pub fn with_live_input(
        root: &Path,
        label: &str,
        engine: Engine,
        schemas: &[String],
    ) -> Result<Option<String>, ProjectError> {
        let path = root.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&path).map_err(|source| ProjectError::Io {
            path: path.clone(),
            source,
        })?;
        let manifest = Self::parse(root, &path, &text)?;
        if manifest
            .inputs
            .iter()
            .any(|i| matches!(i, Input::Live { live, .. } if live == label))
        {
            return Ok(None);
        }
        let new_text = append_live_input(&text, label, engine, schemas).map_err(|message| {
            ProjectError::Manifest {
                file: path.clone(),
                line: None,
                message,
            }
        })?;
        Self::parse(root, &path, &new_text)?;
        Ok(Some(new_text))
    }

    /// Parses and checks `text` as the manifest of `root`.
    ///
    /// # Errors
    /// As [`Self::load`].
    pub fn from_text(root: &Path, text: &str) -> Result<Self, ProjectError> {
        Self::parse(root, &root.join(MANIFEST_FILE), text)
    }

    /// Replaces the manifest of `root` with `text` (written beside it, then renamed over it).
    ///
    /// # Errors
    /// [`ProjectError::Io`].
    pub fn write_text(root: &Path, text: &str) -> Result<(), ProjectError> {
        let path = root.join(MANIFEST_FILE);
        let tmp = path.with_extension("toml.tmp");
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|source| ProjectError::Io { path, source })
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
        self.validate_lifecycle(file, text)?;
        if let Some(path) = &self.mapping {
            resolve_inside(root, path).map_err(|reason| ProjectError::PathEscapes {
                file: file.to_owned(),
                line: line_of("mapping"),
                path: path.clone(),
                reason,
            })?;
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

    /// Checks the `[lifecycle]` values serde cannot: counts at least 1, tolerances and times
    /// finite and not negative, criteria lists not empty.
    fn validate_lifecycle(&self, file: &Path, text: &str) -> Result<(), ProjectError> {
        let lc = &self.lifecycle;
        // The line of `key` inside the section whose header contains `section`.
        let line_in = |section: &str, key: &str| {
            let start = text.find(section)?;
            let rest = &text[start..];
            let at = rest
                .match_indices(key)
                .find(|(i, _)| rest[i + key.len()..].trim_start().starts_with('='))?
                .0;
            Some(text[..start + at].matches('\n').count() + 1)
        };
        let bad = |section: &str, key: &str, message: String| ProjectError::Manifest {
            file: file.to_owned(),
            line: line_in(section, key),
            message: format!("`{key}`: {message}"),
        };
        let check = |section: &str,
                     windows: Option<u32>,
                     criteria: Option<&Vec<super::settings::Criterion>>,
                     tolerances: [(&str, Option<f64>); 2]| {
            if windows == Some(0) {
                return Err(bad(section, "windows", "must be at least 1".into()));
            }
            if criteria.is_some_and(Vec::is_empty) {
                return Err(bad(
                    section,
                    "criteria",
                    "needs at least one of `data_quality`, `latency`, `resources`".into(),
                ));
            }
            for (key, value) in tolerances {
                if let Some(v) = value.filter(|v| !(v.is_finite() && *v >= 0.0)) {
                    return Err(bad(
                        section,
                        key,
                        format!("must be a fraction of 0 or more (0.1 = 10 %), got {v}"),
                    ));
                }
            }
            Ok(())
        };
        check(
            "[lifecycle]",
            Some(lc.windows),
            Some(&lc.criteria),
            [
                ("latency_tolerance", Some(lc.latency_tolerance)),
                ("resource_tolerance", Some(lc.resource_tolerance)),
            ],
        )?;
        if lc.flap_limit == 0 {
            return Err(bad(
                "[lifecycle]",
                "flap_limit",
                "must be at least 1".into(),
            ));
        }
        for (key, value) in [
            ("flap_window_seconds", lc.flap_window_seconds),
            ("interval_seconds", lc.interval_seconds),
            ("stuck_after_seconds", lc.stuck_after_seconds),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(bad(
                    "[lifecycle]",
                    key,
                    format!("must be a number of seconds, 0 or more, got {value}"),
                ));
            }
        }
        for (job, settings) in &lc.jobs {
            // The job's own table header, quoted or bare.
            let quoted = format!("jobs.\"{job}\"]");
            let section = if text.contains(&quoted) {
                quoted
            } else {
                format!("jobs.{job}]")
            };
            check(
                &section,
                settings.windows,
                settings.criteria.as_ref(),
                [
                    ("latency_tolerance", settings.latency_tolerance),
                    ("resource_tolerance", settings.resource_tolerance),
                ],
            )?;
            for assertion in &settings.assertions {
                if let Err((key, why)) = assertion.check(self.source.engine, self.target.engine) {
                    // The assertion's own key: after the job's header, past its name.
                    let line = text.find(&section).map(|start| {
                        let named = text[start..]
                            .find(&format!("\"{}\"", assertion.name))
                            .or_else(|| text[start..].find(&format!("'{}'", assertion.name)))
                            .map_or(start, |i| start + i);
                        let from = text[..named].rfind('\n').map_or(0, |i| i + 1);
                        let rest = &text[from..];
                        let at = rest
                            .match_indices(key)
                            .find(|(i, _)| {
                                let before = rest[..*i].chars().next_back();
                                !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                                    && rest[i + key.len()..].trim_start().starts_with('=')
                            })
                            .map_or(0, |(i, _)| i);
                        text[..from + at].matches('\n').count() + 1
                    });
                    return Err(ProjectError::Manifest {
                        file: file.to_owned(),
                        line,
                        message: format!(
                            "`[lifecycle.jobs.\"{job}\"]` assertion `{}`: `{key}` {why}",
                            assertion.name
                        ),
                    });
                }
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

    /// Writes the manifest to `root`, refusing to overwrite one that exists. It is checked as
    /// [`Self::load`] would check it before anything is written, so a refused manifest leaves
    /// no file (and no folder) behind.
    ///
    /// # Errors
    /// [`ProjectError::AlreadyExists`]; [`ProjectError::Manifest`] and
    /// [`ProjectError::PathEscapes`] as [`Self::load`]; [`ProjectError::Io`].
    pub fn create(&self, root: &Path) -> Result<(), ProjectError> {
        let path = root.join(MANIFEST_FILE);
        if path.exists() {
            return Err(ProjectError::AlreadyExists(path));
        }
        let text = toml::to_string_pretty(self).expect("a manifest always serialises");
        self.validate(root, &path, &text)?;
        std::fs::create_dir_all(root).map_err(|source| ProjectError::Io {
            path: root.to_owned(),
            source,
        })?;
        std::fs::write(&path, text).map_err(|source| ProjectError::Io { path, source })
    }
}

/// `text` with a live input appended to its `inputs` (an array of tables, or an inline array),
/// everything else kept as written. Errors are in words.
fn append_live_input(
    text: &str,
    label: &str,
    engine: Engine,
    schemas: &[String],
) -> Result<String, String> {
    use toml_edit::{value, Array, ArrayOfTables, Document, Item, Table, Value};
    let mut doc: Document = text
        .parse()
        .map_err(|e: toml_edit::TomlError| e.to_string())?;
    let engine = match serde_json::to_value(engine) {
        Ok(serde_json::Value::String(s)) => s,
        _ => return Err("engine has no name".into()),
    };
    let mut table = Table::new();
    table.insert("live", value(label));
    table.insert("engine", value(engine));
    table.insert("url_env", value(live_url_env(label)));
    if !schemas.is_empty() {
        table.insert("schemas", value(schemas.iter().collect::<Array>()));
    }
    table.decor_mut().set_prefix(
        "\n# A live database, added by the desktop app (which keeps its URL in the OS keychain);\n# the CLI reads the URL from the variable named here.\n",
    );
    let last = doc
        .as_table()
        .iter()
        .filter_map(|(_, item)| match item {
            Item::Table(t) => t.position(),
            Item::ArrayOfTables(a) => a.iter().filter_map(Table::position).max(),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    match doc.get_mut("inputs") {
        Some(Item::ArrayOfTables(inputs)) => inputs.push(table),
        Some(Item::Value(Value::Array(inputs))) if !inputs.is_empty() => {
            let mut inline = table.into_inline_table();
            inline.decor_mut().clear();
            inputs.push(inline);
        }
        Some(Item::Value(Value::Array(_))) | None => {
            table.set_position(last + 1);
            let mut inputs = ArrayOfTables::new();
            inputs.push(table);
            doc.insert("inputs", Item::ArrayOfTables(inputs));
        }
        Some(_) => return Err("`inputs` is not a list of inputs".into()),
    }
    Ok(doc.to_string())
}

/// The variable that holds the URL of the live input labelled `label` when the manifest was
/// written by the desktop app: `MIGRATION_STUDIO_LIVE_<LABEL>_URL`, the label in capitals with
/// anything but letters and digits as `_`.
pub fn live_url_env(label: &str) -> String {
    let name: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("MIGRATION_STUDIO_LIVE_{name}_URL")
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

    /// The manifest is read by every stage: it names the settings types of
    /// [`super::super::settings`], never a stage's internals, so no stage depends on another
    /// through it.
    #[test]
    fn the_manifest_imports_no_stage_internals() {
        let text = include_str!("manifest.rs");
        // Spelt in pieces so this test's own text does not match.
        for module in ["rehearsal", "validate", "workspace"] {
            let forbidden = format!("crate::{module}");
            assert!(!text.contains(&forbidden), "the manifest names {forbidden}");
        }
    }

    /// Found by fuzzing (`fuzz/run.sh manifest`): an invalid escape before a multi-byte
    /// character gave an error span inside it, and counting its line sliced the text there.
    #[test]
    fn an_error_inside_a_multibyte_character_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let error = Manifest::from_text(dir.path(), "name = \"x\"\n\"\\\u{4ce}").unwrap_err();
        assert!(
            matches!(error, ProjectError::Manifest { line: Some(2), .. }),
            "{error:?}"
        );
    }

    #[test]
    fn paths_cannot_escape() {
        let root = Path::new("/tmp/p");
        assert!(resolve_inside(root, Path::new("data/a.sql")).is_ok());
        assert!(resolve_inside(root, Path::new("data/../a.sql")).is_ok());
        assert!(resolve_inside(root, Path::new("../a.sql")).is_err());
        assert!(resolve_inside(root, Path::new("data/../../a.sql")).is_err());
        assert!(resolve_inside(root, Path::new("/etc/passwd")).is_err());
    }

    #[test]
    fn live_inputs_are_appended_once_and_keep_the_text() {
        let dir = tempfile::tempdir().unwrap();
        let text = "# my project\nname = \"p\"\nrto_minutes = 30\nmaintenance_window_minutes = 60\n\n[source]\nengine = \"postgres\"\n\n[target]\nengine = \"postgres\"\n";
        std::fs::write(dir.path().join(MANIFEST_FILE), text).unwrap();
        let new_text =
            Manifest::with_live_input(dir.path(), "prod \"db\"", Engine::Mysql, &["app".into()])
                .unwrap()
                .unwrap();
        assert!(new_text.starts_with(text), "{new_text}");
        // Nothing written yet.
        assert_eq!(
            std::fs::read_to_string(dir.path().join(MANIFEST_FILE)).unwrap(),
            text
        );
        Manifest::write_text(dir.path(), &new_text).unwrap();
        let manifest = Manifest::load(dir.path()).unwrap();
        assert_eq!(
            manifest.inputs,
            [Input::Live {
                live: "prod \"db\"".into(),
                engine: Some(Engine::Mysql),
                url_env: "MIGRATION_STUDIO_LIVE_PROD__DB__URL".into(),
                schemas: vec!["app".into()],
            }]
        );
        // Again: it is there already.
        assert_eq!(
            Manifest::with_live_input(dir.path(), "prod \"db\"", Engine::Mysql, &[]).unwrap(),
            None
        );
        // A manifest written by `Manifest::create` (`inputs = []`) or with inline inputs takes it.
        let created = dir.path().join("created");
        Manifest::new("c", Engine::Postgres, Engine::Postgres, MigrationShape::Cdc)
            .create(&created)
            .unwrap();
        let text = Manifest::with_live_input(&created, "src", Engine::Postgres, &[])
            .unwrap()
            .unwrap();
        assert!(
            Manifest::from_text(&created, &text).unwrap().inputs.len() == 1,
            "{text}"
        );
        let inline = "inputs = [{ path = \"a.sql\" }]\nname = \"p\"\nrto_minutes = 30\nmaintenance_window_minutes = 60\n[source]\nengine = \"mysql\"\n[target]\nengine = \"postgres\"\n";
        std::fs::write(created.join(MANIFEST_FILE), inline).unwrap();
        let text = Manifest::with_live_input(&created, "src", Engine::Mysql, &[])
            .unwrap()
            .unwrap();
        assert!(
            text.starts_with("inputs = [{ path = \"a.sql\" }, { live = \"src\""),
            "{text}"
        );
        // Not a list: refused, naming the manifest.
        std::fs::write(
            created.join(MANIFEST_FILE),
            inline.replace("inputs = [{ path = \"a.sql\" }]", "inputs = 3"),
        )
        .unwrap();
        assert!(matches!(
            Manifest::with_live_input(&created, "x", Engine::Mysql, &[]),
            Err(ProjectError::Manifest { .. })
        ));
    }
}
