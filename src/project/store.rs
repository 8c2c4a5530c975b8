//! The project store: an SQLite database in the project folder holding imported state.
//! Opened with sqlx, WAL journal, schema versioned by the migrations in `migrations/`.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{Row, SqlitePool};

use super::error::ProjectError;
use crate::inventory::Inventory;

/// File name of the store inside a project folder.
pub const STORE_FILE: &str = "migration-studio.db";

/// An open project store.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
    path: PathBuf,
}

/// The stored inventory and the digest of the inputs it was imported from.
#[derive(Debug, Clone)]
pub struct StoredInventory {
    /// The inventory.
    pub inventory: Inventory,
    /// Digest of the manifest and input files at import time.
    pub inputs_digest: String,
    /// When it was imported (RFC 3339, UTC).
    pub imported_at: String,
}

impl Store {
    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    ///
    /// # Errors
    /// [`ProjectError::Store`] or [`ProjectError::StoreMigration`].
    pub async fn open(path: &Path) -> Result<Self, ProjectError> {
        let store_err = |source| ProjectError::Store {
            path: path.to_owned(),
            source,
        };
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(store_err)?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(options)
            .await
            .map_err(store_err)?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|source| ProjectError::StoreMigration {
                path: path.to_owned(),
                source,
            })?;
        Ok(Self {
            pool,
            path: path.to_owned(),
        })
    }

    /// The connection pool, for modules that keep their own tables in the store (the risk
    /// register).
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// A [`ProjectError::Store`] naming this store's file.
    pub(crate) fn error(&self, source: sqlx::Error) -> ProjectError {
        self.err(source)
    }

    fn err(&self, source: sqlx::Error) -> ProjectError {
        ProjectError::Store {
            path: self.path.clone(),
            source,
        }
    }

    /// Replaces the stored inventory in one transaction: readers see the old one or the new one,
    /// never a mix, and a failure leaves the old one.
    ///
    /// # Errors
    /// [`ProjectError::Store`].
    pub async fn replace_inventory(
        &self,
        inventory: &Inventory,
        inputs_digest: &str,
        summary_json: &str,
    ) -> Result<(), ProjectError> {
        let json = serde_json::to_string(inventory).expect("inventory serialises");
        let mut tx = self.pool.begin().await.map_err(|e| self.err(e))?;
        for table in ["inventory_snapshot", "artifact", "finding"] {
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(&mut *tx)
                .await
                .map_err(|e| self.err(e))?;
        }
        let import_id: i64 = sqlx::query(
            "INSERT INTO import_run (imported_at, inputs_digest, summary_json) \
             VALUES (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?, ?) RETURNING id",
        )
        .bind(inputs_digest)
        .bind(summary_json)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| self.err(e))?
        .get(0);
        sqlx::query("INSERT INTO inventory_snapshot (id, import_id, json) VALUES (1, ?, ?)")
            .bind(import_id)
            .bind(&json)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.err(e))?;
        let rows = inventory
            .tables
            .iter()
            .map(|t| ("table", &t.name, t.owner.as_deref(), t.rows, t.bytes))
            .chain(
                inventory
                    .views
                    .iter()
                    .map(|v| ("view", &v.name, None, None, None)),
            );
        for (kind, name, owner, row_count, byte_count) in rows {
            sqlx::query(
                "INSERT OR REPLACE INTO artifact (id, kind, schema_name, name, owner, row_count, byte_count) \
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(format!("{kind}:{name}"))
            .bind(kind)
            .bind(name.schema.as_deref())
            .bind(&name.name)
            .bind(owner)
            .bind(row_count.map(|r| r as i64))
            .bind(byte_count.map(|b| b as i64))
            .execute(&mut *tx)
            .await
            .map_err(|e| self.err(e))?;
        }
        for service in &inventory.services {
            sqlx::query(
                "INSERT OR REPLACE INTO artifact (id, kind, schema_name, name, owner, row_count, byte_count) \
                 VALUES (?, ?, NULL, ?, ?, NULL, ?)",
            )
            .bind(service.artifact_id())
            .bind(service.kind.label())
            .bind(&service.name)
            .bind(service.owner.as_deref())
            .bind(service.size.map(|b| b as i64))
            .execute(&mut *tx)
            .await
            .map_err(|e| self.err(e))?;
        }
        for finding in &inventory.findings {
            sqlx::query(
                "INSERT INTO finding (code, severity, source, line, message) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(&finding.code)
            .bind(serde_json::to_value(finding.severity).expect("severity serialises").as_str().unwrap_or_default().to_owned())
            .bind(&finding.source)
            .bind(finding.line.map(|l| l as i64))
            .bind(&finding.message)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.err(e))?;
        }
        tx.commit().await.map_err(|e| self.err(e))
    }

    /// The stored inventory, or `None` before the first import.
    ///
    /// # Errors
    /// [`ProjectError::Store`], [`ProjectError::Corrupt`].
    pub async fn inventory(&self) -> Result<Option<StoredInventory>, ProjectError> {
        let row = sqlx::query(
            "SELECT s.json, r.inputs_digest, r.imported_at FROM inventory_snapshot s \
             JOIN import_run r ON r.id = s.import_id WHERE s.id = 1",
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| self.err(e))?;
        let Some(row) = row else { return Ok(None) };
        let json: String = row.get(0);
        let inventory = serde_json::from_str(&json).map_err(|source| ProjectError::Corrupt {
            path: self.path.clone(),
            source,
        })?;
        Ok(Some(StoredInventory {
            inventory,
            inputs_digest: row.get(1),
            imported_at: row.get(2),
        }))
    }

    /// Number of imports recorded.
    ///
    /// # Errors
    /// [`ProjectError::Store`].
    pub async fn import_count(&self) -> Result<i64, ProjectError> {
        sqlx::query("SELECT count(*) FROM import_run")
            .fetch_one(&self.pool)
            .await
            .map(|r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// Closes the pool, checkpointing the WAL.
    pub async fn close(self) {
        self.pool.close().await;
    }
}
