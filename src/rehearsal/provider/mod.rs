//! Environments a rehearsal runs in: one [`Provider`] trait, the same rehearsal above it.
//!
//! - [`local::LocalProvider`]: scratch databases on servers that already run;
//! - [`docker::DockerProvider`]: a throwaway container per side through the Docker Engine API,
//!   then scratch databases inside them; the containers are removed at the end.
//!
//! Either way the target is marked as a rehearsal target ([`crate::db::guard`]) before anything
//! writes to it, and the source is a scratch copy loaded by the rehearsal itself.

pub mod docker;
pub mod images;
pub mod local;

use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::db::DbError;
use crate::import::live::redact_url;
use crate::import::Engine;

/// The engine and version one side needs (from the project's `[source]` / `[target]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Side {
    /// Engine family.
    pub engine: Engine,
    /// Version, e.g. `"15"` or `"10.11"`; `None` takes the provider's default.
    pub version: Option<String>,
}

/// Source and target of one run, ready to load and write.
#[derive(Clone)]
pub struct Environment {
    /// The provider that made it (`local`, `docker`), as reports name it.
    pub provider: &'static str,
    /// Source database URL (a scratch database). May hold a generated password: never log it
    /// unredacted.
    pub source_url: String,
    /// Target database URL (a scratch database, marked as a rehearsal target).
    pub target_url: String,
    /// Source scratch database name.
    pub source_name: String,
    /// Target scratch database name.
    pub target_name: String,
    resources: Resources,
}

impl std::fmt::Debug for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Environment")
            .field("provider", &self.provider)
            .field("source_url", &redact_url(&self.source_url))
            .field("target_url", &redact_url(&self.target_url))
            .field("resources", &self.resources)
            .finish()
    }
}

/// What has to go when the run ends.
#[derive(Debug, Clone)]
struct Resources {
    /// Admin URLs of the `(source, target)` servers (`sqlite:` for a side kept in a file).
    servers: (String, String),
    /// Containers (ids) holding the servers, removed with everything in them.
    containers: Vec<String>,
}

impl Environment {
    /// Removes what the run created: scratch databases or whole containers, and SQLite files.
    /// Failures are logged, not returned: teardown also runs on error paths.
    pub async fn teardown(&self) {
        if self.resources.containers.is_empty() {
            self.teardown_databases().await;
        } else {
            docker::remove_containers(&self.resources.containers).await;
            self.remove_files();
        }
    }

    /// Containers holding this environment (empty for scratch databases on existing servers).
    pub fn containers(&self) -> &[String] {
        &self.resources.containers
    }
}

/// Why an environment could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// A scratch database could not be created or marked.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The Docker daemon could not be reached.
    #[error("no Docker daemon answers at {host}: {source} (start one, or set DOCKER_HOST; `--provider local` uses the machine's own servers)")]
    NoDaemon {
        /// `DOCKER_HOST`, or the default socket.
        host: String,
        /// Client error.
        #[source]
        source: bollard::errors::Error,
    },
    /// A Docker API call failed.
    #[error("Docker: {context}: {source}")]
    Docker {
        /// What was being done, e.g. `starting container ms-rh-…-src`.
        context: String,
        /// Client error.
        #[source]
        source: bollard::errors::Error,
    },
    /// No image for an engine and version is present and none could be pulled.
    #[error("no Docker image for {engine} {version} ({asked_by}): tried {tried} (none is present and none could be pulled); {engine} images present: {available}. Build them from Debian packages with `migration-studio images build` (PostgreSQL 15 and 17, MariaDB 10.11 and 11.8), change {asked_by}, or pass --source-image/--target-image")]
    NoImage {
        /// Engine name.
        engine: String,
        /// Version asked for.
        version: String,
        /// Where the version comes from: the manifest field (`` the manifest's `[target] version` ``)
        /// or the image option.
        asked_by: String,
        /// Images tried, comma-separated.
        tried: String,
        /// Versions of the engine's images present on the daemon (`15, 17`), or `none`.
        available: String,
    },
    /// The manifest describes an upgrade and the local servers run one major version.
    #[error("the manifest describes an upgrade of {engine} {wanted}, but the local servers run {source_version} (source) and {target_version} (target), one major version: this would rehearse no upgrade. Rehearse it in containers (`--provider docker`, images from `migration-studio images build`), point --target-server at a server of the target version, or pass --same-version if a copy between equal versions is intended")]
    SameVersion {
        /// Engine name.
        engine: String,
        /// The manifest's versions, `15 → 17`.
        wanted: String,
        /// The source server's version as it reports it.
        source_version: String,
        /// The target server's version.
        target_version: String,
    },
    /// What a run made is no longer there (on resume).
    #[error("run {run} cannot be resumed: {what}")]
    Gone {
        /// Run id.
        run: String,
        /// What is missing.
        what: String,
    },
    /// A container did not accept connections in time.
    #[error("container {container} ({image}) did not accept connections within {seconds} s; its last log lines:\n{log}")]
    NotReady {
        /// Container name.
        container: String,
        /// Image.
        image: String,
        /// Seconds waited.
        seconds: u64,
        /// The container's last log lines.
        log: String,
    },
}

/// Makes and removes the databases of a rehearsal.
///
/// Implementations must create everything they write to (or use URLs the user marked as
/// rehearsal targets), name it after the run so [`Provider::clean_up`] can find it after a
/// crash, and never touch anything else.
pub trait Provider {
    /// Name shown in reports and in the CLI (`local`, `docker`).
    fn name(&self) -> &'static str;

    /// Creates the source and target of run `run` (a run id with `-` replaced by `_`).
    ///
    /// # Errors
    /// [`ProviderError`]; whatever was created is removed again.
    fn provision(
        &self,
        run: &str,
        source: &Side,
        target: &Side,
    ) -> impl Future<Output = Result<Environment, ProviderError>> + Send;

    /// Removes whatever run `run` created, found by name or label (after Ctrl-C or a crash).
    fn clean_up(&self, run: &str) -> impl Future<Output = ()> + Send;

    /// The environment run `run` made earlier (in a process that died), to resume it;
    /// `containers` are the ids it recorded.
    ///
    /// # Errors
    /// [`ProviderError`] when it is gone.
    fn reattach(
        &self,
        run: &str,
        containers: &[String],
    ) -> impl Future<Output = Result<Environment, ProviderError>> + Send;
}

/// Which provider to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderChoice {
    /// Docker where a daemon answers and images are present, else the local servers.
    #[default]
    Auto,
    /// Scratch databases on the given servers.
    Local,
    /// Throwaway containers.
    Docker,
}

/// The provider a rehearsal runs on, chosen.
#[derive(Debug, Clone)]
pub enum AnyProvider {
    /// See [`local::LocalProvider`].
    Local(local::LocalProvider),
    /// See [`docker::DockerProvider`].
    Docker(docker::DockerProvider),
}

impl Provider for AnyProvider {
    fn name(&self) -> &'static str {
        match self {
            Self::Local(p) => p.name(),
            Self::Docker(p) => p.name(),
        }
    }

    async fn provision(
        &self,
        run: &str,
        source: &Side,
        target: &Side,
    ) -> Result<Environment, ProviderError> {
        match self {
            Self::Local(p) => p.provision(run, source, target).await,
            Self::Docker(p) => p.provision(run, source, target).await,
        }
    }

    async fn clean_up(&self, run: &str) {
        match self {
            Self::Local(p) => p.clean_up(run).await,
            Self::Docker(p) => p.clean_up(run).await,
        }
    }

    async fn reattach(
        &self,
        run: &str,
        containers: &[String],
    ) -> Result<Environment, ProviderError> {
        match self {
            Self::Local(p) => p.reattach(run, containers).await,
            Self::Docker(p) => p.reattach(run, containers).await,
        }
    }
}

/// Resolves `choice`: `Auto` takes Docker when a daemon answers and an image is present for
/// both sides, else `local`. Returns the provider and, for `Auto`, the reason for the choice
/// (said plainly to the user).
///
/// # Errors
/// [`ProviderError`] when `Docker` was asked for explicitly and cannot be used.
pub async fn choose(
    choice: ProviderChoice,
    local: local::LocalProvider,
    images: docker::ImageOverrides,
    sides: (&Side, &Side),
) -> Result<(AnyProvider, Option<String>), ProviderError> {
    let files = local.files.clone();
    let connect = |images| async {
        docker::DockerProvider::connect(images)
            .await
            .map(|d| d.with_files(files))
    };
    match choice {
        ProviderChoice::Local => Ok((AnyProvider::Local(local), None)),
        ProviderChoice::Docker => Ok((AnyProvider::Docker(connect(images).await?), None)),
        ProviderChoice::Auto => {
            if sides.0.engine == Engine::Sqlite && sides.1.engine == Engine::Sqlite {
                return Ok((
                    AnyProvider::Local(local),
                    Some("both sides are SQLite files".into()),
                ));
            }
            let docker = match connect(images).await {
                Ok(d) => d,
                Err(e) => return Ok((AnyProvider::Local(local), Some(e.to_string()))),
            };
            for (role, side) in [("source", sides.0), ("target", sides.1)]
                .into_iter()
                .filter(|(_, s)| s.engine != Engine::Sqlite)
            {
                if let Err(e) = docker.present_image(role, side).await {
                    return Ok((AnyProvider::Local(local), Some(e.to_string())));
                }
            }
            let reason = format!("a Docker daemon answers at {}", docker.host());
            Ok((AnyProvider::Docker(docker), Some(reason)))
        }
    }
}
