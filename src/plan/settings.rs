//! Planning inputs: migration shape, recovery target and the throughputs estimates are based on.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The overall shape of the migration; it picks the runbook template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum MigrationShape {
    /// Write freeze, copy, validate, switch.
    Offline,
    /// The application writes both stores; history is backfilled; drift is watched.
    DualWrite,
    /// Change data capture on the source, backfill, catch-up, cutover at lag ≈ 0.
    #[default]
    Cdc,
    /// Replicate to a read-only target, then swap.
    BlueGreen,
}

impl fmt::Display for MigrationShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Offline => "offline",
            Self::DualWrite => "dual-write",
            Self::Cdc => "cdc",
            Self::BlueGreen => "blue-green",
        })
    }
}

/// Error for a shape name that is not `offline`, `dual-write`, `cdc` or `blue-green`.
#[derive(Debug, thiserror::Error)]
#[error("unknown migration shape `{0}` (expected offline, dual-write, cdc or blue-green)")]
pub struct UnknownShape(pub String);

impl FromStr for MigrationShape {
    type Err = UnknownShape;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "offline" => Ok(Self::Offline),
            "dual-write" | "dual_write" => Ok(Self::DualWrite),
            "cdc" => Ok(Self::Cdc),
            "blue-green" | "blue_green" => Ok(Self::BlueGreen),
            _ => Err(UnknownShape(s.to_owned())),
        }
    }
}

/// Throughputs that turn size estimates into durations. Defaults are conservative figures for a
/// single-threaded copy between two servers on one network; a rehearsal replaces them with
/// measured rates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Throughput {
    /// Backfill rows per second.
    pub backfill_rows_per_second: f64,
    /// Backfill bytes per second.
    pub backfill_bytes_per_second: f64,
    /// Validation rows per second (checksummed on both sides).
    pub validation_rows_per_second: f64,
    /// Index and FK build rows per second.
    pub index_rows_per_second: f64,
}

impl Default for Throughput {
    fn default() -> Self {
        Self {
            backfill_rows_per_second: 50_000.0,
            backfill_bytes_per_second: 50_000_000.0,
            validation_rows_per_second: 200_000.0,
            index_rows_per_second: 200_000.0,
        }
    }
}

/// Everything the planner needs besides the graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanSettings {
    /// Migration shape.
    pub shape: MigrationShape,
    /// Recovery time objective in minutes: the longest acceptable return to the source.
    pub rto_minutes: f64,
    /// Maintenance window in minutes: the longest acceptable write downtime.
    pub maintenance_window_minutes: f64,
    /// Throughputs for estimates.
    pub throughput: Throughput,
}

impl Default for PlanSettings {
    fn default() -> Self {
        Self {
            shape: MigrationShape::Cdc,
            rto_minutes: 30.0,
            maintenance_window_minutes: 60.0,
            throughput: Throughput::default(),
        }
    }
}
