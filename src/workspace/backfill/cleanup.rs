//! What a cancelled backfill removes when asked to leave nothing ([`super::OnCancel::Remove`]):
//! exactly what this run made in the target, as found missing before it wrote anything — the
//! tables it created, the indexes and foreign keys of its post-copy step, its checkpoint and
//! reject tables, the PostgreSQL schemas it created and the rehearsal-target marker it set.
//! Whatever was there before the run stays. The run's writer lock is not in this list: the
//! backfill gives it back when it returns, cancelled or not.

use crate::backfill::checkpoint::{self, CHECKPOINT_TABLE, REJECT_TABLE};
use crate::backfill::{post_copy, BackfillPlan};
use crate::data::Cell;
use crate::db::guard::MARKER_TABLE;
use crate::db::{quote, Database, DbError};
use crate::import::Engine;
use crate::inventory::QualifiedName;

/// What the target held before the run wrote anything.
#[derive(Debug, Clone, Default)]
pub(super) struct Before {
    marker: bool,
    checkpoint: bool,
    reject: bool,
    /// Planned target tables missing before the run, in wave order.
    missing_tables: Vec<QualifiedName>,
    /// PostgreSQL schemas of the planned tables missing before the run.
    missing_schemas: Vec<String>,
}

/// Whether `db` has the table `name` in `schema` (the connection's own schema when `None`).
async fn table_exists(db: &Database, schema: Option<&str>, name: &str) -> Result<bool, DbError> {
    let context = "looking for a table before the run";
    let mut binds = vec![Cell::Text(name.to_owned())];
    let sql = match (db.engine, schema) {
        (Engine::Postgres, None) => "SELECT count(*)::bigint FROM pg_catalog.pg_tables WHERE tablename = $1 AND schemaname = current_schema()",
        (Engine::Postgres, Some(_)) => "SELECT count(*)::bigint FROM pg_catalog.pg_tables WHERE tablename = $1 AND schemaname = $2",
        (Engine::Mysql, None) => "SELECT CAST(count(*) AS SIGNED) FROM information_schema.TABLES WHERE TABLE_NAME = ? AND TABLE_SCHEMA = DATABASE()",
        (Engine::Mysql, Some(_)) => "SELECT CAST(count(*) AS SIGNED) FROM information_schema.TABLES WHERE TABLE_NAME = ? AND TABLE_SCHEMA = ?",
        (Engine::Sqlite, _) => "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
    };
    if let (Some(schema), Engine::Postgres | Engine::Mysql) = (schema, db.engine) {
        binds.push(Cell::Text(schema.to_owned()));
    }
    Ok(db.fetch_i64(sql, &binds, context).await?.unwrap_or(0) > 0)
}

async fn schema_exists(db: &Database, schema: &str) -> Result<bool, DbError> {
    let count = db
        .fetch_i64(
            "SELECT count(*)::bigint FROM pg_catalog.pg_namespace WHERE nspname = $1",
            &[Cell::Text(schema.to_owned())],
            "looking for a schema before the run",
        )
        .await?;
    Ok(count.unwrap_or(0) > 0)
}

impl Before {
    /// Looks at `target` for everything the run of `plan` may create.
    ///
    /// # Errors
    /// [`DbError::Query`] when the catalog cannot be read.
    pub(super) async fn look(target: &Database, plan: &BackfillPlan) -> Result<Self, DbError> {
        let mut before = Self {
            marker: table_exists(target, None, MARKER_TABLE).await?,
            checkpoint: table_exists(target, None, CHECKPOINT_TABLE).await?,
            reject: table_exists(target, None, REJECT_TABLE).await?,
            ..Self::default()
        };
        for table in &plan.tables {
            let name = &table.mapping.target;
            let schema = match target.engine {
                Engine::Sqlite => None,
                _ => name.schema.as_deref(),
            };
            if !table_exists(target, schema, &name.name).await? {
                before.missing_tables.push(name.clone());
            }
            if let (Engine::Postgres, Some(schema)) = (target.engine, schema) {
                if !before.missing_schemas.iter().any(|s| s == schema)
                    && !schema_exists(target, schema).await?
                {
                    before.missing_schemas.push(schema.to_owned());
                }
            }
        }
        Ok(before)
    }

    /// Removes from `target` what the run made; returns what was removed and what could not
    /// be (each with the reason), in words. Never fails: a clean-up that cannot finish says
    /// what it left.
    pub(super) async fn remove(
        &self,
        target: &Database,
        plan: &BackfillPlan,
        run_id: &str,
    ) -> (Vec<String>, Vec<String>) {
        let mut removed = Vec::new();
        let mut left = Vec::new();
        let mut note = |what: String, result: Result<(), DbError>| match result {
            Ok(()) => removed.push(what),
            Err(e) => left.push(format!("{what}: {e}")),
        };
        // Foreign keys first: they would refuse dropping the tables they link.
        let result = post_copy::drop_planned(target, &plan.post_copy)
            .await
            .map(|_| ());
        note("the copy's indexes and foreign keys".into(), result);
        let cascade = if target.engine == Engine::Postgres {
            " CASCADE"
        } else {
            ""
        };
        // Later waves reference earlier ones: drop them first.
        for table in self.missing_tables.iter().rev() {
            let sql = format!(
                "DROP TABLE IF EXISTS {}{cascade}",
                quote::table(target.engine, table)
            );
            let result = target
                .execute_script(&sql, "dropping a table the run created")
                .await;
            note(format!("table {table}"), result);
        }
        for schema in &self.missing_schemas {
            // RESTRICT: a schema someone else filled meanwhile stays.
            let sql = format!(
                "DROP SCHEMA IF EXISTS {}",
                quote::ident(target.engine, schema)
            );
            let result = target
                .execute_script(&sql, "dropping a schema the run created")
                .await;
            note(format!("schema {schema}"), result);
        }
        if self.checkpoint && self.reject {
            // Tables kept from before the run keep other runs' rows, not this one's.
            let result = checkpoint::clear(target, run_id).await;
            note(format!("checkpoints of run {run_id}"), result);
        }
        for (name, existed) in [
            (CHECKPOINT_TABLE, self.checkpoint),
            (REJECT_TABLE, self.reject),
            (MARKER_TABLE, self.marker),
        ] {
            if !existed {
                let sql = format!("DROP TABLE IF EXISTS {}", quote::ident(target.engine, name));
                let result = target
                    .execute_script(&sql, "dropping a table the run created")
                    .await;
                note(format!("table {name}"), result);
            }
        }
        (removed, left)
    }
}
