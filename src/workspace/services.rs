//! Services: the service-level views of a project (artifacts grouped by owner, system, kind and
//! wave; blast radius) and the service inventory as CSV (the columns the CSV import reads).

use super::{Workspace, WorkspaceError};
use crate::export::write_services_csv;
use crate::graph::{BlastRadius, DependencyGraph};

/// Everything in `graph` that transitively depends on the artifacts `ids`.
///
/// # Errors
/// [`WorkspaceError::UnknownArtifact`] for an id not in the graph.
pub fn blast_radius(
    graph: &DependencyGraph,
    ids: &[String],
) -> Result<BlastRadius, WorkspaceError> {
    let roots = ids
        .iter()
        .map(|id| {
            graph
                .find(id)
                .ok_or_else(|| WorkspaceError::UnknownArtifact(id.clone()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(graph.blast_radius(&roots))
}

impl Workspace {
    /// The service inventory as CSV.
    ///
    /// # Errors
    /// [`WorkspaceError::Export`].
    pub fn services_csv(&self) -> Result<Vec<u8>, WorkspaceError> {
        let mut bytes = Vec::new();
        write_services_csv(&self.inventory, &mut bytes)?;
        Ok(bytes)
    }
}
