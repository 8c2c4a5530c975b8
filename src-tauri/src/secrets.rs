//! Where connection passwords live, as the window is told: the engine's secret store
//! ([`migration_studio::workspace::secrets`]: the OS keychain, or this process's memory)
//! under the app's own transport type.

use serde::Serialize;
use specta::Type;

use migration_studio::workspace::secrets::SecretBackend as Backend;
pub use migration_studio::workspace::secrets::SecretStore;

/// Which store is in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum SecretBackend {
    /// The OS keychain.
    Keychain,
    /// This process's memory (no keychain service on this machine): secrets are asked again
    /// after a restart.
    Memory,
}

impl From<Backend> for SecretBackend {
    fn from(b: Backend) -> Self {
        match b {
            Backend::Keychain => Self::Keychain,
            Backend::Memory => Self::Memory,
        }
    }
}
