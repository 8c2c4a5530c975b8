//! `migration-studio`: the command-line face of the engine. Every command is a thin call into
//! the library; output is text for people by default and JSON with `--json`.
//!
//! Exit codes by class ([`migration_studio::codes::ErrorClass`], documented in the README and
//! `docs/CODES.md`): 0 success, 1 a gate or verdict failed, 2 bad input (usage, manifest, DDL,
//! CSV, run id, a target the guards refuse), 3 a database or provider could not be reached or
//! refused, 4 an unexpected failure, 130 interrupted by a signal.

mod cli;

use cli::term::errln;
use std::process::ExitCode;

use clap::Parser;
use migration_studio::codes::{classify, ErrorClass};

// The data path allocates and frees millions of short-lived row buffers across the runtime's
// threads; glibc's malloc spent ~15% of a validation run consolidating and unlinking chunks.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            errln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(ErrorClass::Internal.exit_code());
        }
    };
    match runtime.block_on(cli::run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            errln!("error: {error}");
            let mut source = std::error::Error::source(&*error);
            while let Some(cause) = source {
                errln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::from(classify(&*error).exit_code())
        }
    }
}
