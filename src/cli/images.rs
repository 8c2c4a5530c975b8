//! `migration-studio images build`: the docker provider's database images from Debian packages.

use crate::cli::term::{errln, outln};
use std::path::PathBuf;

use clap::Subcommand;

use migration_studio::rehearsal::provider::images::{self, BuildOptions};

use super::BoxError;

/// `images` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum ImagesCommand {
    /// Build PostgreSQL 15 and 17 and MariaDB 10.11 and 11.8 images from Debian bookworm's and
    /// trixie's packages (no registry needed; runs debootstrap, so as root).
    Build {
        /// Folder for the Debian root file system and build contexts.
        #[arg(long, default_value = "/var/tmp/migration-studio-images")]
        work_dir: PathBuf,
        /// Debian mirror (default: the machine's apt sources).
        #[arg(long)]
        mirror: Option<String>,
        /// Only these images: an engine (`postgres`, `mariadb`) or an engine and version
        /// (`postgres:17`, `mariadb:10.11`).
        #[arg(long)]
        only: Vec<String>,
        /// Rebuild images that exist.
        #[arg(long)]
        rebuild: bool,
    },
}

/// Runs an `images` subcommand.
pub(crate) fn run(command: ImagesCommand) -> Result<(), BoxError> {
    let ImagesCommand::Build {
        work_dir,
        mirror,
        only,
        rebuild,
    } = command;
    let images = images::select(&only)?;
    let tags = images::build(
        &BuildOptions {
            work_dir,
            mirror,
            images,
            rebuild,
        },
        |line| errln!("{line}"),
    )?;
    for tag in tags {
        outln!("{tag}");
    }
    Ok(())
}
