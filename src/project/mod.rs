//! A project on disk: a folder with a readable manifest ([`manifest`]), the input files, and an
//! SQLite store of imported state ([`store`]).
//!
//! Import is all-or-nothing: every input is read and parsed in memory first; only when all
//! succeed is the store replaced, in one transaction.

pub mod error;
pub mod manifest;
pub mod settings;
pub mod store;

use std::collections::BTreeSet;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::import::ddl::{DdlImporter, ScriptSummary, MAX_SCRIPT_BYTES, UNPARSED_STATEMENT};
use crate::import::files::{self, Links, ReadError};
use crate::import::services::{input_files, ServiceImporter, YamlLimits};
use crate::import::{Engine, ImportError};
use crate::inventory::{Finding, Inventory, Severity};
pub use error::ProjectError;
pub use manifest::{Input, Manifest, MANIFEST_FILE};
pub use store::{Store, STORE_FILE};

/// Connection URLs of live inputs given by the caller (the desktop app reads them from the OS
/// keychain), by the input's `live` label. A live input without one here takes its URL from its
/// `url_env` variable, as in the CLI. `Debug` shows the labels only: the URLs hold passwords.
#[derive(Clone, Default)]
pub struct LiveUrls(std::collections::BTreeMap<String, String>);

impl LiveUrls {
    /// Gives the URL of the live input labelled `label`.
    pub fn insert(&mut self, label: &str, url: String) {
        self.0.insert(label.to_owned(), url);
    }

    fn get(&self, label: &str) -> Option<&str> {
        self.0.get(label).map(String::as_str)
    }
}

impl std::fmt::Debug for LiveUrls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

/// An opened project.
#[derive(Debug, Clone)]
pub struct Project {
    root: PathBuf,
    manifest: Manifest,
    skip_unparsed: bool,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportReport {
    /// Schemas seen.
    pub schemas: usize,
    /// Tables imported.
    pub tables: usize,
    /// Views imported.
    pub views: usize,
    /// Triggers imported.
    pub triggers: usize,
    /// Foreign keys imported.
    pub foreign_keys: usize,
    /// Service-level artifacts imported (services, data stores, APIs…).
    #[serde(default)]
    pub services: usize,
    /// Links between them and down to tables.
    #[serde(default)]
    pub links: usize,
    /// Sum of row estimates.
    pub rows: u64,
    /// Statement counts from scripts.
    pub statements: ScriptSummary,
    /// Warnings (dangling references and the like).
    pub warnings: usize,
    /// Notices (skipped statements and the like).
    pub notices: usize,
    /// Whether the inputs had changed since the previous import.
    pub changed: bool,
    /// Statements skipped because they did not parse (`--skip-unparsed`), each as
    /// `file:line: message`; the same are `unparsed-statement` findings of the inventory.
    #[serde(default)]
    pub unparsed: Vec<String>,
}

impl Project {
    /// Creates a project folder with a manifest and an empty store.
    ///
    /// # Errors
    /// [`ProjectError::AlreadyExists`] if `root` already holds a manifest; I/O and store errors.
    pub async fn init(root: &Path, manifest: Manifest) -> Result<Self, ProjectError> {
        manifest.create(root)?;
        let project = Self::open(root)?;
        project.store().await?.close().await;
        Ok(project)
    }

    /// Opens the project in `root`, validating its manifest.
    ///
    /// # Errors
    /// [`ProjectError::NotAProject`], [`ProjectError::Manifest`], [`ProjectError::PathEscapes`].
    pub fn open(root: &Path) -> Result<Self, ProjectError> {
        if !root.join(MANIFEST_FILE).is_file() {
            return Err(ProjectError::NotAProject(root.to_owned()));
        }
        let manifest = Manifest::load(root)?;
        Ok(Self {
            root: root.to_owned(),
            manifest,
            skip_unparsed: false,
        })
    }

    /// With `skip` set, imports skip the schema-shaping statements of scripts that do not parse
    /// and list them as `unparsed-statement` warnings (file and line) instead of failing
    /// (`migration-studio import --skip-unparsed`); see [`DdlImporter::set_skip_unparsed`].
    pub fn with_skip_unparsed(mut self, skip: bool) -> Self {
        self.skip_unparsed = skip;
        self
    }

    /// The project folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Opens the project's store.
    ///
    /// # Errors
    /// Store errors.
    pub async fn store(&self) -> Result<Store, ProjectError> {
        Store::open(&self.root.join(STORE_FILE)).await
    }

    /// Reads every input into one inventory without touching the store.
    ///
    /// # Errors
    /// The first input that fails, naming its file and line.
    pub async fn read_inputs(&self) -> Result<(Inventory, ScriptSummary), ProjectError> {
        self.read_inputs_with(&LiveUrls::default()).await
    }

    /// [`Self::read_inputs`], live inputs taking their URL from `urls` when it has one.
    ///
    /// # Errors
    /// The first input that fails, naming its file and line (or its redacted URL).
    pub async fn read_inputs_with(
        &self,
        urls: &LiveUrls,
    ) -> Result<(Inventory, ScriptSummary), ProjectError> {
        let source = self.manifest.source.engine;
        let mut importers: Vec<(Engine, DdlImporter)> = Vec::new();
        let mut parts: Vec<Inventory> = Vec::new();
        // One importer for every services input: a NetworkPolicy in one folder selects pods
        // declared in another.
        let mut services_importer: Option<ServiceImporter> = None;
        for input in &self.manifest.inputs {
            match input {
                Input::Script { path, engine } => {
                    let engine = engine.unwrap_or(source);
                    let text = self.read_script(path)?;
                    let importer = match importers.iter_mut().position(|(e, _)| *e == engine) {
                        Some(i) => &mut importers[i].1,
                        None => {
                            let mut importer = DdlImporter::new(engine);
                            importer.set_skip_unparsed(self.skip_unparsed);
                            importers.push((engine, importer));
                            &mut importers.last_mut().expect("just pushed").1
                        }
                    };
                    importer.add_script(&path.to_string_lossy(), &text)?;
                }
                Input::Live {
                    live,
                    engine,
                    url_env,
                    schemas,
                } => {
                    let url = match urls.get(live) {
                        Some(url) => url.to_owned(),
                        None => std::env::var(url_env).map_err(|_| ProjectError::MissingUrl {
                            input: live.clone(),
                            variable: url_env.clone(),
                        })?,
                    };
                    let engine = engine.unwrap_or(source);
                    parts.push(crate::import::live::import_live(engine, &url, schemas).await?);
                }
                Input::Services { services, format } => {
                    manifest::resolve_inside(&self.root, services).map_err(|reason| {
                        ProjectError::PathEscapes {
                            file: self.root.join(MANIFEST_FILE),
                            line: None,
                            path: services.clone(),
                            reason,
                        }
                    })?;
                    services_importer
                        .get_or_insert_with(ServiceImporter::new)
                        .add_path(&self.root, services, *format)?;
                }
            }
        }
        let mut summary = ScriptSummary::default();
        for (_, importer) in importers {
            let s = importer.summary().clone();
            summary.parsed += s.parsed;
            summary.tokenized += s.tokenized;
            summary.skipped += s.skipped;
            summary.data_rows += s.data_rows;
            summary.unparsed += s.unparsed;
            parts.push(importer.finish());
        }
        // Services after the schema, so that the first schema definition of a table still wins
        // and links from services can be resolved against every table.
        parts.extend(services_importer.map(ServiceImporter::into_inventory));
        let mut inventory = merge(parts);
        crate::inventory::resolve::resolve_links(&mut inventory);
        Ok((inventory, summary))
    }

    fn read_script(&self, relative: &Path) -> Result<String, ProjectError> {
        let path = manifest::resolve_inside(&self.root, relative).map_err(|reason| {
            ProjectError::PathEscapes {
                file: self.root.join(MANIFEST_FILE),
                line: None,
                path: relative.to_owned(),
                reason,
            }
        })?;
        let bytes =
            files::read_limited(&path, Links::Follow, MAX_SCRIPT_BYTES).map_err(|e| match e {
                ReadError::Io(source) => ImportError::Read {
                    path: relative.to_owned(),
                    source,
                },
                ReadError::TooLarge { bytes, limit } => ImportError::ScriptTooLarge {
                    path: relative.to_owned(),
                    bytes,
                    limit,
                },
            })?;
        String::from_utf8(bytes).map_err(|e| {
            ImportError::NotUtf8 {
                path: relative.to_owned(),
                offset: e.utf8_error().valid_up_to(),
            }
            .into()
        })
    }

    /// Digest of the manifest and every script and service file input, to tell whether a stored
    /// import is stale. Not cryptographic; it only decides whether to re-read the inputs. Files
    /// are read as the import reads them (regular files only, within its size limits), in
    /// chunks.
    pub fn inputs_digest(&self) -> Result<String, ProjectError> {
        let manifest_path = self.root.join(MANIFEST_FILE);
        let manifest = std::fs::read(&manifest_path).map_err(|source| ProjectError::Io {
            path: manifest_path,
            source,
        })?;
        self.digest_with(&manifest)
    }

    /// [`Self::inputs_digest`] with `manifest` as the manifest file's bytes.
    fn digest_with(&self, manifest: &[u8]) -> Result<String, ProjectError> {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        manifest.hash(&mut hasher);
        for input in &self.manifest.inputs {
            if let Input::Services { services, .. } = input {
                service_files_digest(&self.root, services, &mut hasher)?;
            }
            if let Input::Script { path, .. } = input {
                let full = self.root.join(path);
                path.hash(&mut hasher);
                files::hash_limited(&full, Links::Follow, MAX_SCRIPT_BYTES, &mut hasher)
                    .map_err(|source| ProjectError::Io { path: full, source })?;
            }
        }
        Ok(format!("{:016x}", hasher.finish()))
    }

    /// Imports every input and replaces the stored inventory (all-or-nothing).
    ///
    /// # Errors
    /// Any input or store error; the store is then unchanged.
    pub async fn import(&self) -> Result<(Inventory, ImportReport), ProjectError> {
        self.import_with(&LiveUrls::default()).await
    }

    /// [`Self::import`], live inputs taking their URL from `urls` when it has one.
    ///
    /// # Errors
    /// Any input or store error; the store is then unchanged.
    pub async fn import_with(
        &self,
        urls: &LiveUrls,
    ) -> Result<(Inventory, ImportReport), ProjectError> {
        let digest = self.inputs_digest()?;
        self.import_digested(urls, digest).await
    }

    /// Imports the project as the manifest text `manifest_text` describes it (e.g. from
    /// [`Manifest::with_live_input`]) and only then writes that text as its manifest: a failed
    /// import changes neither the store nor the manifest. (Should the process stop between the
    /// store's commit and the manifest's write, the stored import's digest does not match the
    /// old manifest, so the next open imports the old inputs again.) Returns the project as
    /// changed.
    ///
    /// # Errors
    /// [`ProjectError::Manifest`] for a bad text; any input or store error.
    pub async fn import_with_manifest(
        &self,
        manifest_text: &str,
        urls: &LiveUrls,
    ) -> Result<(Project, Inventory, ImportReport), ProjectError> {
        let updated = Self {
            root: self.root.clone(),
            manifest: Manifest::from_text(&self.root, manifest_text)?,
            skip_unparsed: self.skip_unparsed,
        };
        let digest = updated.digest_with(manifest_text.as_bytes())?;
        let (inventory, report) = updated.import_digested(urls, digest).await?;
        Manifest::write_text(&self.root, manifest_text)?;
        Ok((updated, inventory, report))
    }

    async fn import_digested(
        &self,
        urls: &LiveUrls,
        digest: String,
    ) -> Result<(Inventory, ImportReport), ProjectError> {
        let (inventory, statements) = self.read_inputs_with(urls).await?;
        let store = self.store().await?;
        let previous = store.inventory().await?;
        let changed = previous.as_ref().is_none_or(|p| p.inventory != inventory);
        let report = ImportReport {
            schemas: inventory.schemas.len(),
            tables: inventory.tables.len(),
            views: inventory.views.len(),
            triggers: inventory.triggers.len(),
            foreign_keys: inventory.foreign_key_count(),
            services: inventory.services.len(),
            links: inventory.links.len(),
            rows: inventory.tables.iter().filter_map(|t| t.rows).sum(),
            statements,
            warnings: count(&inventory.findings, Severity::Warning),
            notices: count(&inventory.findings, Severity::Notice),
            changed,
            unparsed: inventory
                .findings
                .iter()
                .filter(|f| f.code == UNPARSED_STATEMENT)
                .map(|f| match f.line {
                    Some(line) => format!("{}:{line}: {}", f.source, f.message),
                    None => format!("{}: {}", f.source, f.message),
                })
                .collect(),
        };
        let summary = serde_json::to_string(&report).expect("report serialises");
        store
            .replace_inventory(&inventory, &digest, &summary)
            .await?;
        store.close().await;
        Ok((inventory, report))
    }

    /// The stored inventory, importing first when there is none or the inputs changed since.
    ///
    /// # Errors
    /// Import or store errors.
    pub async fn inventory(&self) -> Result<Inventory, ProjectError> {
        let store = self.store().await?;
        let stored = store.inventory().await?;
        store.close().await;
        let has_live = self
            .manifest
            .inputs
            .iter()
            .any(|i| matches!(i, Input::Live { .. }));
        match stored {
            Some(s) if has_live || s.inputs_digest == self.inputs_digest()? => Ok(s.inventory),
            _ => Ok(self.import().await?.0),
        }
    }
}

/// Hashes the names and contents of the files a services input reads, and the names of what it
/// skips, as [`ServiceImporter::add_path`] lists them.
fn service_files_digest(
    root: &Path,
    relative: &Path,
    hasher: &mut impl Hasher,
) -> Result<(), ProjectError> {
    let listing = input_files(root, relative)?;
    let links = if listing.folder {
        Links::Refuse
    } else {
        Links::Follow
    };
    let limit = YamlLimits::default().max_bytes;
    for file in &listing.files {
        file.strip_prefix(root).unwrap_or(file).hash(hasher);
        files::hash_limited(file, links, limit, hasher).map_err(|source| ProjectError::Io {
            path: file.clone(),
            source,
        })?;
    }
    for (path, what) in &listing.skipped {
        path.strip_prefix(root).unwrap_or(path).hash(hasher);
        what.hash(hasher);
    }
    Ok(())
}

fn count(findings: &[Finding], severity: Severity) -> usize {
    findings.iter().filter(|f| f.severity == severity).count()
}

/// Merges inventories from several inputs; the first definition of a table wins and later ones
/// become `duplicate-table` findings.
fn merge(parts: Vec<Inventory>) -> Inventory {
    let mut parts = parts.into_iter();
    let Some(mut merged) = parts.next() else {
        return Inventory::default();
    };
    for part in parts {
        let known: BTreeSet<_> = merged.tables.iter().map(|t| t.name.clone()).collect();
        for table in part.tables {
            if known.contains(&table.name) {
                merged.findings.push(Finding {
                    code: "duplicate-table".into(),
                    severity: Severity::Warning,
                    source: table.name.to_string(),
                    line: None,
                    message: format!(
                        "table {} is defined by more than one input; the first is kept",
                        table.name
                    ),
                });
            } else {
                merged.tables.push(table);
            }
        }
        merged.views.extend(part.views);
        merged.triggers.extend(part.triggers);
        merged.services.extend(part.services);
        merged.links.extend(part.links);
        merged.schemas.extend(part.schemas);
        merged.findings.extend(part.findings);
    }
    merged.normalize();
    merged
}
