//! Where connection passwords live: the OS keychain through `keyring` (Secret Service on Linux,
//! Keychain on macOS, Credential Manager on Windows; the `keychain` feature, which the desktop
//! app turns on), or, when there is no keychain (a build without the feature, a headless box
//! without a Secret Service, CI), a store in this process's memory that is forgotten when the
//! process ends. `MIGRATION_STUDIO_SECRETS=memory` forces the memory store.
//!
//! Secrets never leave the engine but as a URL handed to a database driver: nothing here logs
//! or writes a secret, and [`SecretStore`]'s `Debug` shows none.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// The keychain service name entries are stored under.
#[cfg(feature = "keychain")]
const SERVICE: &str = "dev.migration-studio.desktop";

/// Which store is in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretBackend {
    /// The OS keychain.
    Keychain,
    /// This process's memory (no keychain): secrets are asked again after a restart.
    Memory,
}

/// The keychain refused to store, read or delete a secret.
#[derive(Debug, Clone, thiserror::Error)]
#[error("keychain: {0}")]
pub struct SecretError(pub String);

/// The secret store.
pub struct SecretStore {
    backend: SecretBackend,
    /// Why the memory store is in use, in words for a person.
    why_memory: Option<String>,
    memory: Mutex<HashMap<String, String>>,
}

impl fmt::Debug for SecretStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretStore")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl SecretStore {
    /// The keychain when one answers (and the engine is built with `keychain`), else memory.
    pub fn detect() -> Self {
        if std::env::var("MIGRATION_STUDIO_SECRETS").as_deref() == Ok("memory") {
            return Self::memory("MIGRATION_STUDIO_SECRETS=memory was set when the app started");
        }
        Self::probe()
    }

    #[cfg(feature = "keychain")]
    fn probe() -> Self {
        let probe = keyring::Entry::new(SERVICE, "probe").and_then(|e| e.get_password());
        match probe {
            Ok(_) | Err(keyring::Error::NoEntry) => Self {
                backend: SecretBackend::Keychain,
                why_memory: None,
                memory: Mutex::new(HashMap::new()),
            },
            Err(e) => {
                tracing::info!("no OS keychain ({e}); connection passwords are kept in memory");
                Self::memory(&format!("the OS keychain did not answer ({e})"))
            }
        }
    }

    #[cfg(not(feature = "keychain"))]
    fn probe() -> Self {
        Self::memory("this build has no keychain support")
    }

    /// A memory store, in use because of `why`.
    pub fn memory(why: &str) -> Self {
        Self {
            backend: SecretBackend::Memory,
            why_memory: Some(why.to_owned()),
            memory: Mutex::new(HashMap::new()),
        }
    }

    /// Which store is in use.
    pub fn backend(&self) -> SecretBackend {
        self.backend
    }

    /// Why passwords are kept in memory only, when they are.
    pub fn why_memory(&self) -> Option<&str> {
        self.why_memory.as_deref()
    }

    /// Stores `secret` under `key`.
    ///
    /// # Errors
    /// [`SecretError`] when the keychain refuses.
    pub fn set(&self, key: &str, secret: &str) -> Result<(), SecretError> {
        match self.backend {
            #[cfg(feature = "keychain")]
            SecretBackend::Keychain => keyring::Entry::new(SERVICE, key)
                .and_then(|e| e.set_password(secret))
                .map_err(|e| SecretError(e.to_string())),
            _ => {
                self.lock().insert(key.to_owned(), secret.to_owned());
                Ok(())
            }
        }
    }

    /// The secret under `key`, if any.
    ///
    /// # Errors
    /// [`SecretError`] when the keychain refuses.
    pub fn get(&self, key: &str) -> Result<Option<String>, SecretError> {
        match self.backend {
            #[cfg(feature = "keychain")]
            SecretBackend::Keychain => {
                match keyring::Entry::new(SERVICE, key).and_then(|e| e.get_password()) {
                    Ok(s) => Ok(Some(s)),
                    Err(keyring::Error::NoEntry) => Ok(None),
                    Err(e) => Err(SecretError(e.to_string())),
                }
            }
            _ => Ok(self.lock().get(key).cloned()),
        }
    }

    /// Removes the secret under `key` (nothing to remove is not an error).
    ///
    /// # Errors
    /// [`SecretError`] when the keychain refuses.
    pub fn delete(&self, key: &str) -> Result<(), SecretError> {
        match self.backend {
            #[cfg(feature = "keychain")]
            SecretBackend::Keychain => {
                match keyring::Entry::new(SERVICE, key).and_then(|e| e.delete_credential()) {
                    Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                    Err(e) => Err(SecretError(e.to_string())),
                }
            }
            _ => {
                self.lock().remove(key);
                Ok(())
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.memory.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_round_trip_and_debug_hides_secrets() {
        let store = SecretStore::memory("test");
        store.set("connection:a", "hunter2").unwrap();
        assert_eq!(
            store.get("connection:a").unwrap().as_deref(),
            Some("hunter2")
        );
        assert!(!format!("{store:?}").contains("hunter2"));
        store.delete("connection:a").unwrap();
        assert_eq!(store.get("connection:a").unwrap(), None);
    }
}
