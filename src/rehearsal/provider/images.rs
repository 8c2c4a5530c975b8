//! `migration-studio images build`: database images for the `docker` provider made from
//! Debian's packages, for machines that reach no image registry (air-gapped laptops, CI).
//!
//! Two major versions of each engine, one per Debian release, so an upgrade can be rehearsed
//! between real servers ([`IMAGES`]): bookworm's PostgreSQL 15 and MariaDB 10.11, trixie's
//! PostgreSQL 17 and MariaDB 11.8.
//!
//! 1. `debootstrap --variant=minbase <suite>` into the work folder (~30 s, ~200 MB per suite),
//!    imported as `localhost/migration-studio-debian:<suite>`;
//! 2. an image per engine and version `FROM` its suite's base that installs `postgresql-<major>`
//!    / `mariadb-server` from the apt mirror, with an entrypoint honouring the official images'
//!    variables (`POSTGRES_PASSWORD`, `MARIADB_ROOT_PASSWORD`, …), tagged by engine version
//!    (`localhost/migration-studio-postgres:17`).
//!
//! The steps shell out to `debootstrap`, `tar` and the `docker` client (legacy builder:
//! Debian's client has no buildx); existing images are kept unless a rebuild is asked for.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::docker::LOCAL_IMAGE_PREFIX;

/// The base image of a Debian suite, e.g. `localhost/migration-studio-debian:bookworm`.
pub fn base_image(suite: &str) -> String {
    format!("{LOCAL_IMAGE_PREFIX}-debian:{suite}")
}

/// The engine of an image `build` can make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageEngine {
    /// PostgreSQL (`postgresql-<major>`).
    Postgres,
    /// MariaDB (the suite's `mariadb-server`).
    Mariadb,
}

impl ImageEngine {
    /// The image name's engine part (`postgres`, `mariadb`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Postgres => "postgres",
            Self::Mariadb => "mariadb",
        }
    }
}

/// An image `build` can make: an engine at the major version one Debian suite packages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageKind {
    /// Engine.
    pub engine: ImageEngine,
    /// Major version, the image's tag (`15`, `10.11`).
    pub version: &'static str,
    /// Debian suite whose packages it installs (`bookworm`, `trixie`).
    pub suite: &'static str,
}

/// Every image `build` makes, oldest version of each engine first.
pub const IMAGES: &[ImageKind] = &[
    ImageKind {
        engine: ImageEngine::Postgres,
        version: "15",
        suite: "bookworm",
    },
    ImageKind {
        engine: ImageEngine::Postgres,
        version: "17",
        suite: "trixie",
    },
    ImageKind {
        engine: ImageEngine::Mariadb,
        version: "10.11",
        suite: "bookworm",
    },
    ImageKind {
        engine: ImageEngine::Mariadb,
        version: "11.8",
        suite: "trixie",
    },
];

impl ImageKind {
    /// The image's tag, e.g. `localhost/migration-studio-postgres:15`.
    pub fn tag(self) -> String {
        format!(
            "{LOCAL_IMAGE_PREFIX}-{}:{}",
            self.engine.name(),
            self.version
        )
    }

    fn files(self) -> [(&'static str, &'static str); 2] {
        match self.engine {
            ImageEngine::Postgres => [
                ("Dockerfile", include_str!("images/postgres.Dockerfile")),
                (
                    "postgres-entrypoint.sh",
                    include_str!("images/postgres-entrypoint.sh"),
                ),
            ],
            ImageEngine::Mariadb => [
                ("Dockerfile", include_str!("images/mariadb.Dockerfile")),
                (
                    "mariadb-entrypoint.sh",
                    include_str!("images/mariadb-entrypoint.sh"),
                ),
            ],
        }
    }

    /// `--build-arg`s of its Dockerfile: the suite's base, and PostgreSQL's major version.
    fn build_args(self) -> Vec<String> {
        let mut args = vec![format!("SUITE={}", self.suite)];
        if self.engine == ImageEngine::Postgres {
            args.push(format!("PG_MAJOR={}", self.version));
        }
        args
    }
}

/// The images `only` names (`postgres`, `postgres:17`, `mariadb:10.11`), all when empty, in
/// [`IMAGES`]' order.
///
/// # Errors
/// [`ImageBuildError::Unknown`] naming the word that matches no image and those that exist.
pub fn select(only: &[String]) -> Result<Vec<ImageKind>, ImageBuildError> {
    for word in only {
        let known = IMAGES.iter().any(|k| {
            word == k.engine.name() || *word == format!("{}:{}", k.engine.name(), k.version)
        });
        if !known {
            return Err(ImageBuildError::Unknown {
                asked: word.clone(),
                known: IMAGES
                    .iter()
                    .map(|k| format!("{}:{}", k.engine.name(), k.version))
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    }
    Ok(IMAGES
        .iter()
        .filter(|k| {
            only.is_empty()
                || only.iter().any(|w| {
                    w == k.engine.name() || *w == format!("{}:{}", k.engine.name(), k.version)
                })
        })
        .copied()
        .collect())
}

/// What to build and where.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Folder for the Debian root file system and build contexts (kept for the next build).
    pub work_dir: PathBuf,
    /// Debian mirror; `None` reads the machine's apt sources, else `http://deb.debian.org/debian`.
    pub mirror: Option<String>,
    /// Images to build.
    pub images: Vec<ImageKind>,
    /// Rebuild images that already exist.
    pub rebuild: bool,
}

/// Why an image could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ImageBuildError {
    /// A tool is not installed.
    #[error("`{tool}` is not installed: {hint}")]
    ToolMissing {
        /// The program.
        tool: &'static str,
        /// How to get it.
        hint: &'static str,
    },
    /// `--only` names no image `build` makes.
    #[error("no image {asked} to build; the images are {known}")]
    Unknown {
        /// The word given.
        asked: String,
        /// The images that exist, comma-separated (`postgres:15, …`).
        known: String,
    },
    /// A step failed.
    #[error("`{command}` failed ({status}):\n{output}")]
    Failed {
        /// The command line.
        command: String,
        /// Exit status.
        status: String,
        /// Its last output lines.
        output: String,
    },
    /// A file of the build context could not be written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

fn tail(bytes: &[u8], lines: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn run(command: &mut Command) -> Result<(), ImageBuildError> {
    let line = format!("{command:?}").replace('"', "");
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|_| missing(command))?;
    if output.status.success() {
        return Ok(());
    }
    let mut out = output.stdout;
    out.extend_from_slice(&output.stderr);
    Err(ImageBuildError::Failed {
        command: line,
        status: output.status.to_string(),
        output: tail(&out, 15),
    })
}

fn missing(command: &Command) -> ImageBuildError {
    match command.get_program().to_str() {
        Some("debootstrap") => ImageBuildError::ToolMissing {
            tool: "debootstrap",
            hint: "apt-get install debootstrap (it runs as root)",
        },
        Some("tar") => ImageBuildError::ToolMissing {
            tool: "tar",
            hint: "apt-get install tar",
        },
        _ => ImageBuildError::ToolMissing {
            tool: "docker",
            hint: "install a Docker client and start a daemon (Debian: apt-get install docker.io)",
        },
    }
}

fn image_exists(tag: &str) -> bool {
    Command::new("docker")
        .args(["image", "inspect", tag])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The first Debian mirror in the machine's apt sources (deb822 `URIs:` or one-line `deb`).
pub fn apt_mirror() -> Option<String> {
    let mut files = vec![PathBuf::from("/etc/apt/sources.list")];
    if let Ok(dir) = std::fs::read_dir("/etc/apt/sources.list.d") {
        let mut more: Vec<PathBuf> = dir.filter_map(Result::ok).map(|e| e.path()).collect();
        more.sort();
        files.extend(
            more.into_iter()
                .filter(|p| p.extension().is_some_and(|e| e == "sources" || e == "list")),
        );
    }
    files.iter().find_map(|file| {
        let text = std::fs::read_to_string(file).ok()?;
        text.lines().find_map(|line| {
            let line = line.trim();
            let uri = line
                .strip_prefix("URIs:")
                .and_then(|rest| rest.split_whitespace().next())
                .or_else(|| {
                    let mut words = line.strip_prefix("deb ")?.split_whitespace();
                    words.find(|w| w.contains("://"))
                })?;
            (uri.ends_with("/debian") || uri.ends_with("/debian/")).then(|| uri.to_owned())
        })
    })
}

/// Builds the images, calling `progress` with a line per step. Returns the tags built or kept.
///
/// # Errors
/// [`ImageBuildError`]: a missing tool, or the failing command with its last output lines.
pub fn build(
    options: &BuildOptions,
    mut progress: impl FnMut(&str),
) -> Result<Vec<String>, ImageBuildError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| ImageBuildError::Io { path, source }
    };
    run(Command::new("docker").arg("version"))?;
    let mut suites: Vec<&str> = Vec::new();
    for kind in &options.images {
        if !suites.contains(&kind.suite) {
            suites.push(kind.suite);
        }
    }
    for suite in suites {
        let base = base_image(suite);
        let wanted = options.images.iter().filter(|k| k.suite == suite);
        let stale = options.rebuild || wanted.clone().any(|k| !image_exists(&k.tag()));
        if stale && (options.rebuild || !image_exists(&base)) {
            base_from_debootstrap(options, suite, &base, &mut progress)?;
        }
    }
    let mut tags = Vec::new();
    for kind in &options.images {
        let tag = kind.tag();
        if !options.rebuild && image_exists(&tag) {
            progress(&format!("{tag} exists (kept; --rebuild to make it again)"));
            tags.push(tag);
            continue;
        }
        let context =
            options
                .work_dir
                .join(format!("context-{}-{}", kind.engine.name(), kind.version));
        std::fs::create_dir_all(&context).map_err(io(&context))?;
        for (name, text) in kind.files() {
            let path = context.join(name);
            std::fs::write(&path, text).map_err(io(&path))?;
        }
        progress(&format!(
            "building {tag} from Debian {}'s packages (about a minute)",
            kind.suite
        ));
        let started = std::time::Instant::now();
        let mut build = Command::new("docker");
        build
            .env("DOCKER_BUILDKIT", "0")
            .args(["build", "-q", "-t", &tag]);
        for arg in kind.build_args() {
            build.args(["--build-arg", &arg]);
        }
        run(build.arg(&context))?;
        progress(&format!(
            "{tag} built in {:.0} s",
            started.elapsed().as_secs_f64()
        ));
        tags.push(tag);
    }
    Ok(tags)
}

/// Makes `base` from a `debootstrap` of `suite` (kept in the work folder for the next build).
fn base_from_debootstrap(
    options: &BuildOptions,
    suite: &str,
    base: &str,
    progress: &mut impl FnMut(&str),
) -> Result<(), ImageBuildError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| ImageBuildError::Io { path, source }
    };
    let rootfs = options.work_dir.join(format!("rootfs-{suite}"));
    let mirror = options
        .mirror
        .clone()
        .or_else(apt_mirror)
        .unwrap_or_else(|| "http://deb.debian.org/debian".into());
    if !rootfs.join("usr/bin/apt-get").exists() {
        progress(&format!(
            "debootstrap {suite} from {mirror} (about a minute)"
        ));
        let started = std::time::Instant::now();
        std::fs::create_dir_all(&options.work_dir).map_err(io(&options.work_dir))?;
        run(Command::new("debootstrap")
            .args(["--variant=minbase", suite])
            .arg(&rootfs)
            .arg(&mirror))?;
        progress(&format!(
            "debootstrap {suite} done in {:.0} s",
            started.elapsed().as_secs_f64()
        ));
    }
    progress(&format!("importing the {suite} root file system as {base}"));
    let mut tar = Command::new("tar")
        .arg("-C")
        .arg(&rootfs)
        .args(["-c", "."])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|_| missing(&Command::new("tar")))?;
    let stdout = tar.stdout.take().expect("piped");
    let mut import = Command::new("docker");
    import
        .args(["import", "-", base])
        .stdin(stdout)
        .stdout(Stdio::null());
    let imported = import.status().map_err(|_| missing(&import))?;
    let tarred = tar.wait().map_err(io(&rootfs))?;
    if !imported.success() || !tarred.success() {
        return Err(ImageBuildError::Failed {
            command: format!("tar -C {} -c . | docker import - {base}", rootfs.display()),
            status: format!("tar {tarred}, docker import {imported}"),
            output: String::new(),
        });
    }
    Ok(())
}
