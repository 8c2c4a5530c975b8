//! `migration-studio images build`: the docker provider's database images from Debian packages.

use crate::cli::term::{errln, outln};
use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};

use migration_studio::rehearsal::provider::images::{self, BuildOptions, ImageKind};

use super::BoxError;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Which {
    Postgres,
    Mariadb,
}

/// `images` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum ImagesCommand {
    /// Build PostgreSQL 15 and MariaDB 10.11 images from Debian packages (no registry needed;
    /// runs debootstrap, so as root).
    Build {
        /// Folder for the Debian root file system and build contexts.
        #[arg(long, default_value = "/var/tmp/migration-studio-images")]
        work_dir: PathBuf,
        /// Debian mirror (default: the machine's apt sources).
        #[arg(long)]
        mirror: Option<String>,
        /// Only these images.
        #[arg(long, value_enum)]
        only: Vec<Which>,
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
    let images = if only.is_empty() {
        vec![ImageKind::Postgres, ImageKind::Mariadb]
    } else {
        only.into_iter()
            .map(|w| match w {
                Which::Postgres => ImageKind::Postgres,
                Which::Mariadb => ImageKind::Mariadb,
            })
            .collect()
    };
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
