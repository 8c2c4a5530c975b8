//! The register in the project store (tables `risk` and `risk_suggestion_decision`, migration
//! `20261122100000_risk_register.sql`). Every write is one transaction: an import of 200 risks
//! stores all of them or none.

use sqlx::Row;

use super::{Category, Risk, Status};
use crate::project::{ProjectError, Store};

/// What an architect decided about a suggestion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// It became a risk.
    Accepted,
    /// It is not a risk here.
    Dismissed,
}

impl Decision {
    fn label(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Dismissed => "dismissed",
        }
    }
}

fn corrupt(store: &Store, message: String) -> ProjectError {
    store.error(sqlx::Error::Decode(message.into()))
}

/// Every stored risk, by id.
///
/// # Errors
/// [`ProjectError::Store`].
pub async fn load(store: &Store) -> Result<Vec<Risk>, ProjectError> {
    let rows = sqlx::query(
        "SELECT id, title, category, severity, likelihood, mitigation, owner, status, artifacts, \
         retired_by, ordering, origin FROM risk ORDER BY id",
    )
    .fetch_all(store.pool())
    .await
    .map_err(|e| store.error(e))?;
    let mut risks = Vec::with_capacity(rows.len());
    for row in rows {
        let category: String = row.get(2);
        let status: String = row.get(7);
        let artifacts: String = row.get(8);
        let ordering: String = row.get(10);
        let severity: i64 = row.get(3);
        let likelihood: i64 = row.get(4);
        risks.push(Risk {
            id: row.get(0),
            title: row.get(1),
            category: category
                .parse::<Category>()
                .map_err(|m| corrupt(store, m))?,
            severity: severity as u8,
            likelihood: likelihood as u8,
            mitigation: row.get(5),
            owner: row.get(6),
            status: status.parse::<Status>().map_err(|m| corrupt(store, m))?,
            artifacts: serde_json::from_str(&artifacts)
                .map_err(|e| corrupt(store, e.to_string()))?,
            retired_by: row.get(9),
            ordering: serde_json::from_str(&ordering).map_err(|e| corrupt(store, e.to_string()))?,
            origin: row.get(11),
        });
    }
    Ok(risks)
}

/// The next free id after the stored ones and `taken`: `R-001`, `R-002`…
fn next_id(existing: &[String]) -> String {
    let max = existing
        .iter()
        .filter_map(|id| id.strip_prefix("R-").and_then(|n| n.parse::<u32>().ok()))
        .max()
        .unwrap_or(0);
    format!("R-{:03}", max + 1)
}

/// Inserts or replaces `risks` (by id) in one transaction; risks with an empty id get the next
/// free `R-nnn`. Returns the risks as stored (ids assigned).
///
/// # Errors
/// [`ProjectError::Store`]; nothing is stored then.
pub async fn upsert(store: &Store, risks: Vec<Risk>) -> Result<Vec<Risk>, ProjectError> {
    let mut ids: Vec<String> = load(store).await?.into_iter().map(|r| r.id).collect();
    let mut tx = store.pool().begin().await.map_err(|e| store.error(e))?;
    let mut stored = Vec::with_capacity(risks.len());
    for mut risk in risks {
        if risk.id.trim().is_empty() {
            risk.id = next_id(&ids);
        }
        ids.push(risk.id.clone());
        sqlx::query(
            "INSERT OR REPLACE INTO risk (id, title, category, severity, likelihood, mitigation, \
             owner, status, artifacts, retired_by, ordering, origin, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
        )
        .bind(&risk.id)
        .bind(&risk.title)
        .bind(risk.category.to_string())
        .bind(i64::from(risk.severity))
        .bind(i64::from(risk.likelihood))
        .bind(&risk.mitigation)
        .bind(&risk.owner)
        .bind(risk.status.to_string())
        .bind(serde_json::to_string(&risk.artifacts).expect("strings serialise"))
        .bind(&risk.retired_by)
        .bind(serde_json::to_string(&risk.ordering).expect("constraints serialise"))
        .bind(&risk.origin)
        .execute(&mut *tx)
        .await
        .map_err(|e| store.error(e))?;
        stored.push(risk);
    }
    tx.commit().await.map_err(|e| store.error(e))?;
    Ok(stored)
}

/// Deletes the risk `id` and any decision that pointed at it (the suggestion it was accepted
/// from is then pending again), in one transaction. Returns whether the risk existed.
///
/// # Errors
/// [`ProjectError::Store`]; nothing is deleted then.
pub async fn delete(store: &Store, id: &str) -> Result<bool, ProjectError> {
    let mut tx = store.pool().begin().await.map_err(|e| store.error(e))?;
    let deleted = sqlx::query("DELETE FROM risk WHERE id = ?")
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(|e| store.error(e))?
        .rows_affected();
    sqlx::query("DELETE FROM risk_suggestion_decision WHERE risk_id = ?")
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(|e| store.error(e))?;
    tx.commit().await.map_err(|e| store.error(e))?;
    Ok(deleted > 0)
}

/// Keys of the suggestions already decided, with the decision.
///
/// # Errors
/// [`ProjectError::Store`].
pub async fn decisions(store: &Store) -> Result<Vec<(String, Decision)>, ProjectError> {
    let rows = sqlx::query("SELECT key, decision FROM risk_suggestion_decision ORDER BY key")
        .fetch_all(store.pool())
        .await
        .map_err(|e| store.error(e))?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let decision: String = row.get(1);
            (
                row.get(0),
                if decision == "accepted" {
                    Decision::Accepted
                } else {
                    Decision::Dismissed
                },
            )
        })
        .collect())
}

/// Records a decision on the suggestion `key`; an accepted suggestion's risk is stored first
/// (so a failure in between leaves the risk stored and the suggestion still pending, never a
/// decision without its risk). Returns the stored risk, if any.
///
/// # Errors
/// [`ProjectError::Store`].
pub async fn decide(
    store: &Store,
    key: &str,
    decision: Decision,
    risk: Option<Risk>,
) -> Result<Option<Risk>, ProjectError> {
    let stored = match risk {
        Some(risk) => upsert(store, vec![risk]).await?.into_iter().next(),
        None => None,
    };
    sqlx::query(
        "INSERT OR REPLACE INTO risk_suggestion_decision (key, decision, risk_id, decided_at) \
         VALUES (?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
    )
    .bind(key)
    .bind(decision.label())
    .bind(stored.as_ref().map(|r| r.id.clone()))
    .execute(store.pool())
    .await
    .map_err(|e| store.error(e))?;
    Ok(stored)
}

#[cfg(test)]
mod tests {
    use super::next_id;

    #[test]
    fn ids_continue_after_the_highest() {
        assert_eq!(next_id(&[]), "R-001");
        assert_eq!(
            next_id(&["R-009".into(), "R-002".into(), "X".into()]),
            "R-010"
        );
    }
}
