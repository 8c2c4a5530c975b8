//! The `docker` provider: one throwaway container per side through the Docker Engine API
//! (`bollard`), data on tmpfs, published on a random loopback port, a generated password, a
//! readiness wait; the containers carry the run id as a label so a crashed or interrupted run
//! can be cleaned up by label, and are removed (with their volumes) at the end.
//!
//! Images are chosen by the manifest's engine and version (`postgres:<v>`, `mariadb:<v>`,
//! `mysql:<v>`), or the images `migration-studio images build` makes from Debian packages for
//! that major version (`localhost/migration-studio-postgres:17`,
//! `localhost/migration-studio-mariadb:10.11`) when no registry is reachable, or what the user
//! passes (`--source-image`, `--target-image`). A version with no image is refused, naming the
//! manifest field and the versions present: another version would rehearse another upgrade.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bollard::models::{ContainerCreateBody, HostConfig, PortBinding};
use bollard::query_parameters::{
    CreateContainerOptions, CreateImageOptions, ListContainersOptions, LogsOptions,
    RemoveContainerOptions,
};
use bollard::Docker;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use super::{local, Environment, Provider, ProviderError, Side};
use crate::db::{self, Access};
use crate::import::Engine;

/// Label holding the run id on every container a rehearsal starts.
pub const RUN_LABEL: &str = "io.migration-studio.run";

/// Repository prefix of the images `migration-studio images build` makes.
pub const LOCAL_IMAGE_PREFIX: &str = "localhost/migration-studio";

/// Seconds a container may take to accept connections (5–7 s were seen on a loaded 2-core
/// machine; MariaDB initialises its data directory at first start).
const READY_TIMEOUT: Duration = Duration::from_secs(120);

/// Images chosen by the user instead of the defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageOverrides {
    /// Image for the source container, e.g. `localhost/migration-studio-mariadb:10.11`.
    pub source: Option<String>,
    /// Image for the target container.
    pub target: Option<String>,
}

/// Throwaway containers on the daemon `DOCKER_HOST` names (or the default socket).
#[derive(Debug, Clone)]
pub struct DockerProvider {
    docker: Docker,
    host: String,
    images: ImageOverrides,
    files: std::path::PathBuf,
}

fn api_error(context: impl Into<String>) -> impl FnOnce(bollard::errors::Error) -> ProviderError {
    let context = context.into();
    move |source| ProviderError::Docker { context, source }
}

async fn client() -> Result<(Docker, String), ProviderError> {
    let host =
        std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".to_owned());
    let no_daemon = |source| ProviderError::NoDaemon {
        host: host.clone(),
        source,
    };
    let docker = Docker::connect_with_defaults().map_err(no_daemon)?;
    // Debian's dockerd 20.10 speaks API 1.41, older than this client's default.
    let docker = tokio::time::timeout(Duration::from_secs(5), docker.negotiate_version())
        .await
        .map_err(|_| no_daemon(bollard::errors::Error::RequestTimeoutError))?
        .map_err(no_daemon)?;
    docker.ping().await.map_err(no_daemon)?;
    Ok((docker, host))
}

impl DockerProvider {
    /// Connects to the daemon and checks that it answers.
    ///
    /// # Errors
    /// [`ProviderError::NoDaemon`].
    pub async fn connect(images: ImageOverrides) -> Result<Self, ProviderError> {
        let (docker, host) = client().await?;
        Ok(Self {
            docker,
            host,
            images,
            files: std::env::temp_dir().join("migration-studio-runs"),
        })
    }

    /// Keeps SQLite sides (which need no container) as files in `files`.
    pub fn with_files(mut self, files: std::path::PathBuf) -> Self {
        self.files = files;
        self
    }

    /// The daemon's address.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The image the `role` side (`source`, `target`) would use among those already present
    /// (no pull).
    ///
    /// # Errors
    /// [`ProviderError::NoImage`] listing the images tried and the versions present.
    pub async fn present_image(&self, role: &str, side: &Side) -> Result<String, ProviderError> {
        let candidates = default_images(side);
        for image in &candidates {
            if self.docker.inspect_image(image).await.is_ok() {
                return Ok(image.clone());
            }
        }
        Err(self.no_image(role, side, None, &candidates).await)
    }

    /// Versions of `engine`'s images present on the daemon, official or locally built
    /// (`15, 17`), or `none`.
    async fn available_versions(&self, engine: Engine) -> String {
        let names: &[&str] = match engine {
            Engine::Postgres => &["postgres"],
            Engine::Mysql => &["mariadb", "mysql"],
            Engine::Sqlite => &[],
        };
        let listed = self
            .docker
            .list_images(None::<bollard::query_parameters::ListImagesOptions>)
            .await
            .unwrap_or_default();
        let mut versions: Vec<String> = listed
            .iter()
            .flat_map(|image| image.repo_tags.iter())
            .filter_map(|tag| {
                let (repo, version) = tag.rsplit_once(':')?;
                names
                    .iter()
                    .any(|n| repo == *n || repo == format!("{LOCAL_IMAGE_PREFIX}-{n}"))
                    .then(|| format!("{repo}:{version}"))
            })
            .collect();
        versions.sort();
        versions.dedup();
        if versions.is_empty() {
            "none".into()
        } else {
            versions.join(", ")
        }
    }

    async fn no_image(
        &self,
        role: &str,
        side: &Side,
        chosen: Option<&String>,
        tried: &[String],
    ) -> ProviderError {
        let asked_by = match (chosen, &side.version) {
            (Some(_), _) => format!("--{role}-image"),
            (None, Some(_)) => format!("the manifest's `[{role}] version`"),
            (None, None) => format!("the default for a manifest without `[{role}] version`"),
        };
        ProviderError::NoImage {
            engine: side.engine.to_string(),
            version: side.version.clone().unwrap_or_else(|| "(any)".into()),
            asked_by,
            tried: tried.join(", "),
            available: self.available_versions(side.engine).await,
        }
    }

    /// A present image for the `role` side, else the first candidate pulled.
    async fn image_for(
        &self,
        role: &str,
        side: &Side,
        chosen: Option<&String>,
    ) -> Result<String, ProviderError> {
        let candidates = match chosen {
            Some(image) => vec![image.clone()],
            None => default_images(side),
        };
        for image in &candidates {
            if self.docker.inspect_image(image).await.is_ok() {
                return Ok(image.clone());
            }
        }
        let Some(first) = candidates.first() else {
            return Err(self.no_image(role, side, chosen, &candidates).await);
        };
        let mut pull = self.docker.create_image(
            Some(CreateImageOptions {
                from_image: Some(first.clone()),
                ..Default::default()
            }),
            None,
            None,
        );
        while let Some(progress) = pull.next().await {
            if let Err(e) = progress {
                tracing::info!(image = %first, error = %e, "cannot pull an image");
                return Err(self.no_image(role, side, chosen, &candidates).await);
            }
        }
        Ok(first.clone())
    }

    async fn start(
        &self,
        run: &str,
        role: &str,
        side: &Side,
        image: &str,
        password: &str,
    ) -> Result<Started, ProviderError> {
        let name = format!("ms-rh-{}-{role}", run.replace('_', "-"));
        let (port, data_dir, env) = match side.engine {
            Engine::Postgres => (
                "5432/tcp",
                "/var/lib/postgresql/data",
                vec![format!("POSTGRES_PASSWORD={password}")],
            ),
            Engine::Mysql => (
                "3306/tcp",
                "/var/lib/mysql",
                vec![
                    format!("MARIADB_ROOT_PASSWORD={password}"),
                    format!("MYSQL_ROOT_PASSWORD={password}"),
                ],
            ),
            Engine::Sqlite => unreachable!("sqlite sides have no image"),
        };
        let body = ContainerCreateBody {
            image: Some(image.to_owned()),
            env: Some(env),
            labels: Some(HashMap::from([
                (RUN_LABEL.to_owned(), run.to_owned()),
                ("io.migration-studio.role".to_owned(), role.to_owned()),
            ])),
            exposed_ports: Some(vec![port.to_owned()]),
            host_config: Some(HostConfig {
                // Loopback only, on a port the daemon picks: nothing outside this machine can
                // reach a rehearsal database.
                port_bindings: Some(HashMap::from([(
                    port.to_owned(),
                    Some(vec![PortBinding {
                        host_ip: Some("127.0.0.1".into()),
                        host_port: Some(String::new()),
                    }]),
                )])),
                tmpfs: Some(HashMap::from([(data_dir.to_owned(), "rw".to_owned())])),
                ..Default::default()
            }),
            ..Default::default()
        };
        let created = self
            .docker
            .create_container(
                Some(CreateContainerOptions {
                    name: Some(name.clone()),
                    ..Default::default()
                }),
                body,
            )
            .await
            .map_err(api_error(format!("creating container {name} from {image}")))?;
        let started = Started {
            id: created.id,
            name,
            image: image.to_owned(),
        };
        self.docker
            .start_container(&started.id, None)
            .await
            .map_err(api_error(format!("starting container {}", started.name)))?;
        Ok(started)
    }

    /// The server URL of a started container, once it accepts connections.
    async fn wait_ready(
        &self,
        started: &Started,
        engine: Engine,
        password: &str,
    ) -> Result<String, ProviderError> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let (port, server) = loop {
            let inspected = self
                .docker
                .inspect_container(&started.id, None)
                .await
                .map_err(api_error(format!("inspecting container {}", started.name)))?;
            let running = inspected
                .state
                .as_ref()
                .and_then(|s| s.running)
                .unwrap_or(false);
            let host_port = inspected
                .network_settings
                .and_then(|n| n.ports)
                .and_then(|ports| ports.into_values().flatten().flatten().next())
                .and_then(|binding| binding.host_port);
            match host_port {
                Some(port) if running => break (port.clone(), server_url(engine, password, &port)),
                _ if !running || Instant::now() > deadline => {
                    return Err(self.not_ready(started).await);
                }
                _ => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        };
        tracing::debug!(container = %started.name, port, "waiting for the database");
        loop {
            match db::connect(&local::admin_url(&server, engine), Access::ReadOnly, 1).await {
                Ok(db) => {
                    db.close().await;
                    return Ok(server);
                }
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(_) => return Err(self.not_ready(started).await),
            }
        }
    }

    async fn not_ready(&self, started: &Started) -> ProviderError {
        let mut log = String::new();
        let mut lines = self.docker.logs(
            &started.id,
            Some(LogsOptions {
                stdout: true,
                stderr: true,
                tail: "20".into(),
                ..Default::default()
            }),
        );
        while let Some(Ok(line)) = lines.next().await {
            log.push_str(&String::from_utf8_lossy(&line.into_bytes()));
        }
        ProviderError::NotReady {
            container: started.name.clone(),
            image: started.image.clone(),
            seconds: READY_TIMEOUT.as_secs(),
            log,
        }
    }
}

struct Started {
    id: String,
    name: String,
    image: String,
}

/// Images for `side`, preferred first: the official image of the manifest's version, then the
/// locally built one of its major version. Never another version's: a rehearsal on it would
/// not rehearse the upgrade the manifest describes. Without a version, the oldest local build.
fn default_images(side: &Side) -> Vec<String> {
    let local = |name: &str, v: &str| format!("{LOCAL_IMAGE_PREFIX}-{name}:{v}");
    let (official, name, default) = match side.engine {
        Engine::Postgres => ("postgres", "postgres", "15"),
        Engine::Mysql => {
            // MariaDB versions are 5.5, 10.x and 11.x; MySQL's are 5.x, 8.x and 9.x.
            let v = side.version.as_deref().unwrap_or("10.11");
            if v.starts_with("10.") || v.starts_with("11.") || v.starts_with("12.") {
                ("mariadb", "mariadb", "10.11")
            } else {
                return vec![format!("mysql:{v}")];
            }
        }
        Engine::Sqlite => return Vec::new(),
    };
    let v = side.version.as_deref().unwrap_or(default);
    let mut images = vec![
        format!("{official}:{v}"),
        local(name, &db::major_version(side.engine, v)),
    ];
    images.dedup();
    images
}

fn server_url(engine: Engine, password: &str, port: &str) -> String {
    match engine {
        Engine::Postgres => format!("postgres://postgres:{password}@127.0.0.1:{port}"),
        _ => format!("mysql://root:{password}@127.0.0.1:{port}"),
    }
}

/// 32 hex digits from the OS's random source: the containers' database password, known only to
/// this process and the container's environment.
fn generate_password() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random source works");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Provider for DockerProvider {
    fn name(&self) -> &'static str {
        "docker"
    }

    async fn provision(
        &self,
        run: &str,
        source: &Side,
        target: &Side,
    ) -> Result<Environment, ProviderError> {
        let mut ids = Vec::new();
        let result = async {
            let sides = [
                ("src", "source", source, self.images.source.as_ref()),
                ("tgt", "target", target, self.images.target.as_ref()),
            ];
            // Both images first: a side without one is refused before the other starts.
            let mut images = Vec::new();
            for (_, which, side, chosen) in sides {
                images.push(match side.engine {
                    Engine::Sqlite => String::new(),
                    _ => self.image_for(which, side, chosen).await?,
                });
            }
            let mut servers = Vec::new();
            for ((role, _, side, _), image) in sides.into_iter().zip(images) {
                if side.engine == Engine::Sqlite {
                    servers.push("sqlite:".to_owned());
                    continue;
                }
                let password = generate_password();
                let started = self.start(run, role, side, &image, &password).await?;
                ids.push(started.id.clone());
                servers.push(self.wait_ready(&started, side.engine, &password).await?);
            }
            let mut env = local::scratch(run, &servers[0], &servers[1], &self.files).await?;
            env.provider = "docker";
            Ok(env)
        }
        .await;
        match result {
            Ok(mut env) => {
                env.resources.containers = ids;
                Ok(env)
            }
            Err(e) => {
                remove_containers(&ids).await;
                Err(e)
            }
        }
    }

    async fn reattach(
        &self,
        run: &str,
        containers: &[String],
    ) -> Result<Environment, ProviderError> {
        // A side without a container is a SQLite file.
        let mut servers = ["sqlite:".to_owned(), "sqlite:".to_owned()];
        for id in containers {
            let inspected = self
                .docker
                .inspect_container(id, None)
                .await
                .map_err(api_error(format!("finding container {id} of run {run}")))?;
            let config = inspected.config.unwrap_or_default();
            let env_vars = config.env.unwrap_or_default();
            let var = |name: &str| {
                env_vars
                    .iter()
                    .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('=').map(str::to_owned))
            };
            let (engine, password) = match var("POSTGRES_PASSWORD") {
                Some(pw) => (Engine::Postgres, pw),
                None => (
                    Engine::Mysql,
                    var("MARIADB_ROOT_PASSWORD").unwrap_or_default(),
                ),
            };
            let side = match config
                .labels
                .unwrap_or_default()
                .get("io.migration-studio.role")
                .map(String::as_str)
            {
                Some("src") => 0,
                Some("tgt") => 1,
                _ => {
                    return Err(ProviderError::Gone {
                        run: run.to_owned(),
                        what: format!("container {id} has no role label"),
                    })
                }
            };
            let started = Started {
                id: id.clone(),
                name: inspected.name.unwrap_or_else(|| id.clone()),
                image: inspected.image.unwrap_or_default(),
            };
            servers[side] = self.wait_ready(&started, engine, &password).await?;
        }
        let mut env = local::planned(run, &servers[0], &servers[1], &self.files);
        env.provider = "docker";
        env.resources.containers = containers.to_vec();
        Ok(env)
    }

    async fn clean_up(&self, run: &str) {
        let listed = self
            .docker
            .list_containers(Some(ListContainersOptions {
                all: true,
                filters: Some(HashMap::from([(
                    "label".to_owned(),
                    vec![format!("{RUN_LABEL}={run}")],
                )])),
                ..Default::default()
            }))
            .await;
        match listed {
            Ok(containers) => {
                let ids: Vec<String> = containers.into_iter().filter_map(|c| c.id).collect();
                remove_containers(&ids).await;
            }
            Err(e) => tracing::warn!(run, error = %e, "cannot list a run's containers"),
        }
    }
}

/// Removes containers with their anonymous volumes, stopping them first. Failures are logged.
pub(super) async fn remove_containers(ids: &[String]) {
    if ids.is_empty() {
        return;
    }
    let docker = match client().await {
        Ok((docker, _)) => docker,
        Err(e) => {
            tracing::warn!(error = %e, "cannot remove a rehearsal's containers");
            return;
        }
    };
    for id in ids {
        let removed = docker
            .remove_container(
                id,
                Some(RemoveContainerOptions {
                    force: true,
                    v: true,
                    ..Default::default()
                }),
            )
            .await;
        if let Err(e) = removed {
            tracing::warn!(container = %id, error = %e, "cannot remove a container");
        }
    }
}

/// Containers a rehearsal started that still exist, any run (for tests and `doctor` checks).
///
/// # Errors
/// [`ProviderError`] when the daemon cannot be asked.
pub async fn leftover_containers() -> Result<Vec<String>, ProviderError> {
    let (docker, _) = client().await?;
    let listed = docker
        .list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(HashMap::from([(
                "label".to_owned(),
                vec![RUN_LABEL.to_owned()],
            )])),
            ..Default::default()
        }))
        .await
        .map_err(api_error("listing containers"))?;
    Ok(listed
        .into_iter()
        .flat_map(|c| c.names.unwrap_or_default())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mariadb_and_mysql_versions_pick_their_images() {
        let side = |v: &str| Side {
            engine: Engine::Mysql,
            version: Some(v.into()),
        };
        assert_eq!(default_images(&side("10.11"))[0], "mariadb:10.11");
        assert_eq!(
            default_images(&side("11.8.3")),
            ["mariadb:11.8.3", "localhost/migration-studio-mariadb:11.8"]
        );
        // MySQL is never rehearsed on a MariaDB image in its place.
        assert_eq!(default_images(&side("8.0")), ["mysql:8.0"]);
    }

    #[test]
    fn a_postgres_version_picks_its_major_versions_image_and_no_other() {
        let side = |v: Option<&str>| Side {
            engine: Engine::Postgres,
            version: v.map(str::to_owned),
        };
        assert_eq!(
            default_images(&side(Some("17.2"))),
            ["postgres:17.2", "localhost/migration-studio-postgres:17"]
        );
        assert_eq!(
            default_images(&side(Some("16"))),
            ["postgres:16", "localhost/migration-studio-postgres:16"]
        );
        assert_eq!(
            default_images(&side(None))[1],
            "localhost/migration-studio-postgres:15"
        );
    }
}
