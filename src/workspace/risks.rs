//! The risk register as a front end edits it: add, edit and delete risks, accept or dismiss the
//! plan's suggestions, CSV in and out. Each change is stored first (one transaction) and then
//! the graph and the plan are built again, because a risk's ordering constraints shape the
//! waves; the heat map follows from the register. The same engine functions as the CLI's
//! `risks` commands ([`crate::risk`]).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Workspace, WorkspaceError};
use crate::risk::register::{self, Decision};
use crate::risk::suggest::{suggest, Suggestion};
use crate::risk::table::{read_risks_csv, risks_markdown, write_risks_csv};
use crate::risk::Risk;

/// Risk register export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskFormat {
    /// CSV with the columns of [`crate::risk::table::RISK_CSV_COLUMNS`].
    Csv,
    /// Markdown with the heat map.
    Markdown,
}

/// What a CSV import stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskImport {
    /// Risks added or replaced, as stored (ids assigned).
    pub stored: Vec<Risk>,
}

/// Trims text, turns blank text into `None`, sorts and deduplicates the linked artifacts.
fn cleaned(mut risk: Risk) -> Risk {
    let clean = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    risk.id = risk.id.trim().to_owned();
    risk.title = risk.title.trim().to_owned();
    risk.mitigation = clean(risk.mitigation);
    risk.owner = clean(risk.owner);
    risk.retired_by = clean(risk.retired_by);
    risk.artifacts = risk
        .artifacts
        .into_iter()
        .map(|a| a.trim().to_owned())
        .filter(|a| !a.is_empty())
        .collect();
    risk.artifacts.sort();
    risk.artifacts.dedup();
    risk.ordering.sort();
    risk.ordering.dedup();
    risk
}

impl Workspace {
    /// The plan's suggestions that are not decided yet, in key order.
    ///
    /// # Errors
    /// Store errors.
    pub async fn pending_suggestions(&self) -> Result<Vec<Suggestion>, WorkspaceError> {
        let store = self.project.store().await?;
        let decided = register::decisions(&store).await;
        store.close().await;
        let decided = decided?;
        Ok(suggest(&self.inventory, &self.graph, &self.generated)
            .into_iter()
            .filter(|s| !decided.iter().any(|(k, _)| *k == s.key))
            .collect())
    }

    /// Adds `risk` (an empty id takes the next free `R-nnn`) or replaces the risk with its id,
    /// keeping the suggestion it came from. Returns it as stored.
    ///
    /// # Errors
    /// [`WorkspaceError::InvalidEdit`] naming the field (empty title, severity or likelihood
    /// outside 1–5); [`WorkspaceError::UnknownRisk`] for an id not in the register; store errors.
    pub async fn save_risk(&mut self, risk: Risk) -> Result<Risk, WorkspaceError> {
        let mut risk = cleaned(risk);
        risk.validate()
            .map_err(|(field, message)| WorkspaceError::InvalidEdit { field, message })?;
        if !risk.id.is_empty() {
            let existing = self
                .risks
                .iter()
                .find(|r| r.id == risk.id)
                .ok_or_else(|| WorkspaceError::UnknownRisk(risk.id.clone()))?;
            if risk.origin.is_none() {
                risk.origin.clone_from(&existing.origin);
            }
        }
        let stored = self.store_risks(vec![risk]).await?;
        Ok(stored.into_iter().next().expect("one risk stored"))
    }

    /// Deletes the risk `id`; a suggestion it was accepted from is pending again.
    ///
    /// # Errors
    /// [`WorkspaceError::UnknownRisk`]; store errors.
    pub async fn delete_risk(&mut self, id: &str) -> Result<(), WorkspaceError> {
        if !self.risks.iter().any(|r| r.id == id) {
            return Err(WorkspaceError::UnknownRisk(id.to_owned()));
        }
        let store = self.project.store().await?;
        let deleted = register::delete(&store, id).await;
        store.close().await;
        deleted?;
        self.risks.retain(|r| r.id != id);
        self.replan();
        Ok(())
    }

    /// Accepts (it becomes a risk) or dismisses the pending suggestion `key`. Returns the risk
    /// it became, when accepted.
    ///
    /// # Errors
    /// [`WorkspaceError::UnknownSuggestion`]; store errors.
    pub async fn decide_suggestion(
        &mut self,
        key: &str,
        decision: Decision,
    ) -> Result<Option<Risk>, WorkspaceError> {
        let suggestion = self
            .pending_suggestions()
            .await?
            .into_iter()
            .find(|s| s.key == key)
            .ok_or_else(|| WorkspaceError::UnknownSuggestion(key.to_owned()))?;
        let risk = (decision == Decision::Accepted).then(|| {
            let mut risk = suggestion.risk.clone();
            risk.origin = Some(suggestion.key.clone());
            risk
        });
        let store = self.project.store().await?;
        let stored = register::decide(&store, key, decision, risk).await;
        store.close().await;
        let stored = stored?;
        if let Some(risk) = &stored {
            self.remember(std::slice::from_ref(risk));
        }
        Ok(stored)
    }

    /// Reads risks from the CSV file `path` and stores them all or none (rows with an id
    /// replace that risk, rows without get the next free ids).
    ///
    /// # Errors
    /// [`WorkspaceError::Read`]; [`WorkspaceError::RiskCsv`] naming the file, line and column
    /// of the first bad cell; store errors. The register is unchanged on any error.
    pub async fn import_risks_csv(&mut self, path: &Path) -> Result<RiskImport, WorkspaceError> {
        let text = std::fs::read_to_string(path).map_err(|source| WorkspaceError::Read {
            path: path.to_owned(),
            source,
        })?;
        let file = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let risks = read_risks_csv(&text, &file)?;
        let stored = self
            .store_risks(risks.into_iter().map(cleaned).collect())
            .await?;
        Ok(RiskImport { stored })
    }

    /// The register in `format`, blast radius from this workspace's graph.
    ///
    /// # Errors
    /// [`WorkspaceError::Export`].
    pub fn risks_export(&self, format: RiskFormat) -> Result<Vec<u8>, WorkspaceError> {
        Ok(match format {
            RiskFormat::Csv => {
                let mut bytes = Vec::new();
                write_risks_csv(&self.risks, Some(&self.graph), &mut bytes)?;
                bytes
            }
            RiskFormat::Markdown => risks_markdown(
                &self.risks,
                Some(&self.graph),
                &self.project.manifest().name,
            )
            .into_bytes(),
        })
    }

    /// Writes the register in `format` to `path`; returns the number of bytes written.
    ///
    /// # Errors
    /// [`WorkspaceError::Export`], [`WorkspaceError::Write`].
    pub fn write_risks(&self, format: RiskFormat, path: &Path) -> Result<u64, WorkspaceError> {
        super::export::write(path, &self.risks_export(format)?)
    }

    async fn store_risks(&mut self, risks: Vec<Risk>) -> Result<Vec<Risk>, WorkspaceError> {
        let store = self.project.store().await?;
        let stored = register::upsert(&store, risks).await;
        store.close().await;
        let stored = stored?;
        self.remember(&stored);
        Ok(stored)
    }

    /// Puts stored risks in the kept register (by id) and plans again.
    fn remember(&mut self, stored: &[Risk]) {
        for risk in stored {
            self.risks.retain(|r| r.id != risk.id);
            self.risks.push(risk.clone());
        }
        self.risks.sort_by(|a, b| a.id.cmp(&b.id));
        self.replan();
    }
}
