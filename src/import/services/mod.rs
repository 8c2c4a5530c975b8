//! Service inventory import: CSV ([`table`]), docker-compose ([`compose`]), Kubernetes
//! manifests ([`kubernetes`]) and Backstage catalogs ([`backstage`]) into the same
//! [`Inventory`] as the schema (its `services`, `links` and `findings`).
//!
//! An input is a file or a folder (read recursively, files in name order; `.csv`, `.yaml` and
//! `.yml` files only). The format is given or detected per file: `.csv` is CSV; YAML with a
//! `backstage.io/…` `apiVersion` is Backstage; a top-level `services` mapping is compose; any
//! other `apiVersion` + `kind` is Kubernetes. In a folder, a YAML file of no recognised format is
//! skipped with a `skipped-file` notice; given alone, it is an error.
//!
//! YAML is read within [`YamlLimits`] (size, depth, alias expansion). Everything is read in
//! memory; the caller stores the result only when every file succeeded.

pub mod backstage;
pub mod compose;
pub mod error;
pub mod kubernetes;
pub mod table;
pub mod yaml;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use error::ServiceImportError;
pub use table::SERVICE_CSV_COLUMNS;
pub use yaml::YamlLimits;

use crate::import::files::{self, Links};
use crate::inventory::{Finding, Inventory, ServiceKind, Severity};

/// Format of a service inventory file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceFormat {
    /// The documented CSV ([`SERVICE_CSV_COLUMNS`]).
    Csv,
    /// docker-compose YAML.
    Compose,
    /// Kubernetes manifests.
    Kubernetes,
    /// Backstage catalog entities.
    Backstage,
}

impl fmt::Display for ServiceFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Csv => "csv",
            Self::Compose => "compose",
            Self::Kubernetes => "kubernetes",
            Self::Backstage => "backstage",
        })
    }
}

impl FromStr for ServiceFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "csv" => Ok(Self::Csv),
            "compose" | "docker-compose" => Ok(Self::Compose),
            "kubernetes" | "k8s" => Ok(Self::Kubernetes),
            "backstage" => Ok(Self::Backstage),
            _ => Err(format!(
                "unknown service format `{s}` (expected csv, compose, kubernetes or backstage)"
            )),
        }
    }
}

/// Images (by their last path segment, before the tag) of databases and brokers, so that
/// compose services and workloads running them become data stores and queues.
const STORE_IMAGES: [&str; 13] = [
    "mongo",
    "mongodb",
    "mysql",
    "mariadb",
    "postgres",
    "postgresql",
    "redis",
    "memcached",
    "cassandra",
    "elasticsearch",
    "couchdb",
    "cockroach",
    "etcd",
];
const QUEUE_IMAGES: [&str; 6] = [
    "rabbitmq",
    "kafka",
    "nats",
    "activemq",
    "pulsar",
    "zookeeper",
];

/// The kind of a containerised artifact from its image (and name, for `…-db` images built
/// in-house, such as Sock Shop's `weaveworksdemos/catalogue-db`).
pub fn infer_kind(image: &str, name: &str) -> ServiceKind {
    let last = image.rsplit('/').next().unwrap_or(image);
    let repository = last
        .split([':', '@'])
        .next()
        .unwrap_or(last)
        .to_ascii_lowercase();
    if STORE_IMAGES.contains(&repository.as_str())
        || repository.ends_with("-db")
        || (image.is_empty() && name.ends_with("-db"))
    {
        ServiceKind::DataStore
    } else if QUEUE_IMAGES.contains(&repository.as_str()) {
        ServiceKind::Queue
    } else {
        ServiceKind::Service
    }
}

/// The host an environment variable names, when its name says it holds an address
/// (`…_ADDR`, `…_ADDRESS`, `…_HOST`, `…_URL`, `…_URI`, `…_ENDPOINT`, `…_SERVER`) and its value
/// parses as `[scheme://][user@]host[:port][/path]`. Only the first DNS label is kept
/// (`orders.sock-shop.svc.cluster.local` → `orders`), as Kubernetes and compose resolve it.
pub fn env_host(variable: &str, value: &str) -> Option<String> {
    let upper = variable.to_ascii_uppercase();
    let addressy = [
        "ADDR", "ADDRESS", "HOST", "URL", "URI", "ENDPOINT", "SERVER",
    ]
    .iter()
    .any(|suffix| upper == *suffix || upper.ends_with(&format!("_{suffix}")));
    if !addressy {
        return None;
    }
    let rest = value.trim();
    let rest = rest.split_once("://").map_or(rest, |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    let host = rest
        .split(['/', ':', '?', ','])
        .next()
        .unwrap_or_default()
        .split('.')
        .next()
        .unwrap_or_default();
    let plausible = !host.is_empty()
        && host != "localhost"
        && !host.chars().all(|c| c.is_ascii_digit())
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    plausible.then(|| host.to_owned())
}

/// Reads service inventory files into one [`Inventory`].
#[derive(Default)]
pub struct ServiceImporter {
    limits: YamlLimits,
    inventory: Inventory,
    kube: kubernetes::KubeObjects,
    catalog: backstage::Catalog,
}

impl ServiceImporter {
    /// An importer with the default [`YamlLimits`].
    pub fn new() -> Self {
        Self::default()
    }

    /// An importer with other YAML limits.
    pub fn with_limits(limits: YamlLimits) -> Self {
        Self {
            limits,
            ..Self::default()
        }
    }

    /// Adds the file or folder `relative` under `root`; files are named relative to `root` in
    /// artifacts, links, findings and errors. In a folder, anything but a regular file or a
    /// folder (a symbolic link, FIFO, device or socket) is skipped unopened with a
    /// `not-a-regular-file` warning.
    ///
    /// # Errors
    /// The first file that cannot be read or parsed, naming it and the line; `relative` itself
    /// when it is neither a regular file nor a folder.
    pub fn add_path(
        &mut self,
        root: &Path,
        relative: &Path,
        format: Option<ServiceFormat>,
    ) -> Result<(), ServiceImportError> {
        let listing = input_files(root, relative)?;
        if !listing.folder {
            let name = relative.to_string_lossy().replace('\\', "/");
            return self.add_file(&root.join(relative), &name, format, false);
        }
        for (path, what) in listing.skipped {
            self.inventory.findings.push(Finding {
                code: "not-a-regular-file".into(),
                severity: Severity::Warning,
                source: relative_name(root, &path),
                line: None,
                message: format!(
                    "{what}; skipped unopened: only regular files inside the project are read"
                ),
            });
        }
        for file in listing.files {
            let name = relative_name(root, &file);
            self.add_file(&file, &name, format, true)?;
        }
        Ok(())
    }

    /// Adds one file, named `name` in what it produces. `in_folder` turns an unrecognised
    /// format into a notice instead of an error, and refuses a symbolic link (a path named in
    /// the manifest was resolved inside the project already; one found in a folder was not).
    ///
    /// # Errors
    /// Read, size, YAML, CSV and format errors naming `name`.
    pub fn add_file(
        &mut self,
        path: &Path,
        name: &str,
        format: Option<ServiceFormat>,
        in_folder: bool,
    ) -> Result<(), ServiceImportError> {
        let links = if in_folder {
            Links::Refuse
        } else {
            Links::Follow
        };
        let text = yaml::read_bounded(path, name, self.limits.max_bytes, links)?;
        self.add_text(&text, name, format, in_folder)
    }

    /// Adds the content of one file named `name`.
    ///
    /// # Errors
    /// As [`ServiceImporter::add_file`].
    pub fn add_text(
        &mut self,
        text: &str,
        name: &str,
        format: Option<ServiceFormat>,
        in_folder: bool,
    ) -> Result<(), ServiceImportError> {
        let is_csv = format == Some(ServiceFormat::Csv)
            || (format.is_none() && name.to_ascii_lowercase().ends_with(".csv"));
        if is_csv {
            return table::import(text, name, &mut self.inventory);
        }
        let documents = yaml::parse_documents(text, name, &self.limits)?;
        let detected = format.or_else(|| {
            if documents.iter().any(backstage::looks_like_backstage) {
                Some(ServiceFormat::Backstage)
            } else if documents.iter().any(compose::looks_like_compose) {
                Some(ServiceFormat::Compose)
            } else if documents.iter().any(kubernetes::looks_like_kubernetes) {
                Some(ServiceFormat::Kubernetes)
            } else {
                None
            }
        });
        match detected {
            Some(ServiceFormat::Compose) => {
                for doc in documents.iter().filter(|d| compose::looks_like_compose(d)) {
                    compose::import(doc, name, &mut self.inventory);
                }
            }
            Some(ServiceFormat::Kubernetes) => {
                for doc in &documents {
                    self.kube.add(doc, name);
                }
            }
            Some(ServiceFormat::Backstage) => {
                for doc in documents
                    .iter()
                    .filter(|d| backstage::looks_like_backstage(d))
                {
                    self.catalog.add(doc, name);
                }
            }
            Some(ServiceFormat::Csv) => unreachable!("CSV is handled above"),
            None if in_folder => self.inventory.findings.push(Finding {
                code: "skipped-file".into(),
                severity: Severity::Notice,
                source: name.to_owned(),
                line: None,
                message: "not a compose file, Kubernetes manifest or Backstage entity; skipped"
                    .into(),
            }),
            None => {
                return Err(ServiceImportError::UnknownFormat {
                    file: name.to_owned(),
                    reason: if documents.is_empty() {
                        "no YAML document".into()
                    } else {
                        "no `services` mapping and no `apiVersion`/`kind`".into()
                    },
                })
            }
        }
        Ok(())
    }

    /// The artifacts, links and findings of everything added, with Kubernetes selectors and
    /// Backstage references resolved; links to artifacts of other inputs (tables, services
    /// named in a CSV) are left as written for [`crate::inventory::resolve::resolve_links`].
    pub fn into_inventory(mut self) -> Inventory {
        self.kube.resolve(&mut self.inventory);
        self.catalog.resolve(&mut self.inventory);
        self.inventory.normalize();
        self.inventory
    }

    /// [`ServiceImporter::into_inventory`], then every link resolved against this inventory
    /// alone (for a services-only project or a test).
    pub fn finish(self) -> Inventory {
        let mut inventory = self.into_inventory();
        crate::inventory::resolve::resolve_links(&mut inventory);
        inventory
    }
}

/// The files a services input reads: the file itself, or a folder's `.csv`, `.yaml` and `.yml`
/// regular files (recursively, in name order) and what was skipped in it.
#[derive(Debug, Default)]
pub struct InputFiles {
    /// Whether the input is a folder.
    pub folder: bool,
    /// Files to read, full paths.
    pub files: Vec<PathBuf>,
    /// Entries that are neither regular files nor folders, with what they are; never opened.
    pub skipped: Vec<(PathBuf, &'static str)>,
}

/// Lists what the input `relative` under `root` reads, opening nothing but folders. Entries
/// are judged by their own type (`symlink_metadata`), so a link is never followed.
///
/// # Errors
/// [`ServiceImportError::Read`] when a folder cannot be listed; [`ServiceImportError::NotAFile`]
/// when `relative` itself is neither a regular file nor a folder.
pub fn input_files(root: &Path, relative: &Path) -> Result<InputFiles, ServiceImportError> {
    let full = root.join(relative);
    let name = relative.to_string_lossy().replace('\\', "/");
    let read_err = |source| ServiceImportError::Read {
        file: name.clone(),
        source,
    };
    // The manifest's own path may be a link: the manifest check resolved it inside the project.
    let kind = std::fs::metadata(&full).map_err(read_err)?.file_type();
    if kind.is_file() {
        return Ok(InputFiles {
            folder: false,
            files: vec![full],
            skipped: Vec::new(),
        });
    }
    if let Some(what) = files::special_kind(&kind) {
        return Err(ServiceImportError::NotAFile { file: name, what });
    }
    let mut listing = InputFiles {
        folder: true,
        ..InputFiles::default()
    };
    collect(&full, &mut listing).map_err(read_err)?;
    listing.files.sort();
    listing.skipped.sort();
    Ok(listing)
}

fn collect(folder: &Path, out: &mut InputFiles) -> std::io::Result<()> {
    for entry in std::fs::read_dir(folder)? {
        let entry = entry?;
        let path = entry.path();
        // The entry's own type (`lstat`): a link to a folder or to /dev/zero is a link.
        let kind = entry.file_type()?;
        if kind.is_dir() {
            collect(&path, out)?;
        } else if let Some(what) = files::special_kind(&kind) {
            out.skipped.push((path, what));
        } else if path.extension().is_some_and(|e| {
            let e = e.to_string_lossy().to_ascii_lowercase();
            e == "csv" || e == "yaml" || e == "yml"
        }) {
            out.files.push(path);
        }
    }
    Ok(())
}

fn relative_name(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_hosts() {
        assert_eq!(
            env_host("CART_SERVICE_ADDR", "cartservice:7070").as_deref(),
            Some("cartservice")
        );
        assert_eq!(
            env_host("ORDERS_URL", "http://u:p@orders.ns.svc:80/x").as_deref(),
            Some("orders")
        );
        assert_eq!(env_host("PORT", "8080"), None);
        assert_eq!(env_host("DB_HOST", "localhost"), None);
        assert_eq!(env_host("DB_HOST", "10.0.0.1"), None);
    }

    #[test]
    fn kinds_from_images() {
        assert_eq!(infer_kind("mongo:4.4.6", "x"), ServiceKind::DataStore);
        assert_eq!(infer_kind("redis:alpine", "x"), ServiceKind::DataStore);
        assert_eq!(infer_kind("rabbitmq:3.6.8", "x"), ServiceKind::Queue);
        assert_eq!(
            infer_kind("weaveworksdemos/catalogue-db:0.3.0", "x"),
            ServiceKind::DataStore
        );
        assert_eq!(
            infer_kind("weaveworksdemos/carts:0.4.8", "carts"),
            ServiceKind::Service
        );
    }
}
