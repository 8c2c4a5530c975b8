//! Artifact detail: everything the project knows of one artifact (columns, keys, foreign keys
//! both ways, indexes, size estimates, what the import noticed about it) and why the plan puts
//! it in its wave. The desktop's inventory drill-down shows it; it is read from the workspace's
//! inventory, graph and plan, nothing is recomputed.

use serde::Serialize;

use super::{Workspace, WorkspaceError};
use crate::graph::{ArtifactKind, DependencyKind};
use crate::import::Engine;
use crate::inventory::{ColumnDefault, Finding, Index, QualifiedName, Table};

/// One artifact as the drill-down shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArtifactDetail {
    /// Stable id (`table:sakila.rental`).
    pub id: String,
    /// Kind label (`table`, `view`, `trigger`, `service`…).
    pub kind: String,
    /// Qualified name as text.
    pub name: String,
    /// Estimated rows (`None` = unknown, not zero).
    pub rows: Option<u64>,
    /// Estimated size in bytes (`None` = unknown).
    pub bytes: Option<u64>,
    /// Owner, when known.
    pub owner: Option<String>,
    /// System, when known.
    pub system: Option<String>,
    /// The table's definition, for a table.
    pub table: Option<TableDetail>,
    /// Foreign keys this table declares (it references others).
    pub foreign_keys_out: Vec<ForeignKeyDetail>,
    /// Foreign keys of other tables referencing this one.
    pub foreign_keys_in: Vec<ForeignKeyDetail>,
    /// Every other dependency of the graph from or to it (views reading it, triggers, service
    /// links), FKs excepted.
    pub other_links: Vec<LinkDetail>,
    /// Findings of the import that name it (by source or in their message), in import order.
    pub findings: Vec<Finding>,
    /// Its wave and why.
    pub wave: WaveReason,
}

/// Columns, keys and indexes of a table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableDetail {
    /// Columns in declaration order: name, declared type, nullable.
    pub columns: Vec<ColumnDetail>,
    /// Primary key columns; empty when the table has none.
    pub primary_key: Vec<String>,
    /// Unique keys (each a list of columns), primary key excluded.
    pub unique_keys: Vec<Vec<String>>,
    /// Secondary indexes.
    pub indexes: Vec<Index>,
    /// Partitioning, as written (`RANGE (payment_date)`), when partitioned.
    pub partitioning: Option<String>,
    /// The parent table, when this table is a partition.
    pub partition_of: Option<String>,
}

/// One column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnDetail {
    /// Name.
    pub name: String,
    /// Declared type, as written or reported by the catalog.
    pub data_type: String,
    /// Whether NULL is allowed.
    pub nullable: bool,
    /// Part of the primary key.
    pub primary_key: bool,
    /// How the database generates the column's values, in the source engine's words
    /// (`AUTO_INCREMENT`, `identity`, `rowid`); `None` when it does not.
    pub generated: Option<String>,
    /// The default expression an insert that omits the column gets, as the source writes it.
    pub default: Option<String>,
    /// MySQL's `ON UPDATE` expression, when the column has one.
    pub on_update: Option<String>,
}

/// A foreign key, seen from either end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ForeignKeyDetail {
    /// Constraint name; `None` for a generated one.
    pub name: Option<String>,
    /// The referencing table (qualified name).
    pub from_table: String,
    /// Referencing columns.
    pub columns: Vec<String>,
    /// The referenced table (qualified name).
    pub to_table: String,
    /// Referenced columns; empty when the DDL relied on the primary key.
    pub referenced_columns: Vec<String>,
    /// `ON DELETE` action (`NO ACTION`, `CASCADE`…).
    pub on_delete: String,
    /// Every referencing column is nullable.
    pub nullable: bool,
    /// Cut by the plan to break a cycle: created after the backfill.
    pub deferred: bool,
}

/// A dependency other than a foreign key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkDetail {
    /// `out`: this artifact depends on `other`; `in`: `other` depends on this one.
    pub direction: &'static str,
    /// The other artifact's id.
    pub other: String,
    /// Kind label (`reads`, `on`, `writes`, `calls`…).
    pub kind: String,
    /// Constraint name or label.
    pub label: Option<String>,
}

/// Why an artifact is in its wave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaveReason {
    /// 1-based wave.
    pub number: usize,
    /// The dependencies that hold it back: those in the latest earlier wave (or, in an unbroken
    /// cycle, in its own), as `(id, wave)`.
    pub after: Vec<(String, usize)>,
    /// Dependencies it has, deferred ones excepted.
    pub dependencies: usize,
    /// Dependencies the plan cuts to break a cycle (they do not hold it back), by id.
    pub deferred: Vec<String>,
    /// The explanation in a sentence.
    pub because: String,
}

impl Workspace {
    /// Everything known of the artifact `id` and why it is in its wave.
    ///
    /// # Errors
    /// [`WorkspaceError::UnknownArtifact`] for an id not in the graph.
    pub fn artifact_detail(&self, id: &str) -> Result<ArtifactDetail, WorkspaceError> {
        let graph = self.graph();
        let node = graph
            .find(id)
            .ok_or_else(|| WorkspaceError::UnknownArtifact(id.to_owned()))?;
        let artifact = graph.artifact(node);
        let order = &self.plan().order;
        let waves = order.wave_of();
        let deferred: Vec<_> = order.deferred().collect();
        let is_deferred = |from: &str, to: &str, label: Option<&str>| {
            deferred
                .iter()
                .any(|d| d.from == from && d.to == to && d.label.as_deref() == label)
        };
        let table = (artifact.kind == ArtifactKind::Table)
            .then(|| self.inventory().table(&artifact.name))
            .flatten();

        let foreign_keys_out = table
            .map(|t| {
                t.foreign_keys
                    .iter()
                    .map(|fk| {
                        let to = self.inventory().table(&fk.references);
                        let to_id = to.map(|to| format!("table:{}", to.name));
                        ForeignKeyDetail {
                            deferred: to_id.is_some_and(|to_id| {
                                is_deferred(id, &to_id, Some(&fk_label(t, fk)))
                            }),
                            ..fk_detail(t, fk)
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut foreign_keys_in = Vec::new();
        if table.is_some() {
            for other in &self.inventory().tables {
                for fk in &other.foreign_keys {
                    let target = self.inventory().table(&fk.references);
                    if target.is_some_and(|t| t.name == artifact.name) {
                        let from_id = format!("table:{}", other.name);
                        foreign_keys_in.push(ForeignKeyDetail {
                            deferred: is_deferred(&from_id, id, Some(&fk_label(other, fk))),
                            ..fk_detail(other, fk)
                        });
                    }
                }
            }
        }

        let mut other_links = Vec::new();
        let mut after = Vec::new();
        let mut dependencies = 0;
        let mut cut = Vec::new();
        let wave = waves.get(id).copied().unwrap_or(1);
        let mut latest = 0;
        for (from, to, dep) in graph.dependencies() {
            let (from, to) = (graph.artifact(from), graph.artifact(to));
            if from.id != id && to.id != id {
                continue;
            }
            if dep.kind != DependencyKind::ForeignKey {
                let (direction, other) = if from.id == id {
                    ("out", &to.id)
                } else {
                    ("in", &from.id)
                };
                other_links.push(LinkDetail {
                    direction,
                    other: other.clone(),
                    kind: dep.kind.label().to_owned(),
                    label: dep.label.clone(),
                });
            }
            if from.id != id || to.id == id {
                continue;
            }
            if is_deferred(&from.id, &to.id, dep.label.as_deref()) {
                cut.push(to.id.clone());
                continue;
            }
            dependencies += 1;
            let w = waves.get(to.id.as_str()).copied().unwrap_or(1);
            if w > latest {
                latest = w;
                after.clear();
            }
            if w == latest && !after.iter().any(|(a, _)| a == &to.id) {
                after.push((to.id.clone(), w));
            }
        }
        after.sort();
        cut.sort();
        cut.dedup();
        let because = wave_sentence(wave, latest, &after, dependencies, &cut);

        Ok(ArtifactDetail {
            id: artifact.id.clone(),
            kind: artifact.kind.label().to_owned(),
            name: artifact.name.to_string(),
            rows: artifact.rows,
            bytes: artifact.bytes,
            owner: artifact.owner.clone(),
            system: artifact.system.clone(),
            table: table.map(|t| table_detail(t, self.project().manifest().source.engine)),
            foreign_keys_out,
            foreign_keys_in,
            other_links,
            findings: self
                .inventory()
                .findings
                .iter()
                .filter(|f| names(f, &artifact.name))
                .cloned()
                .collect(),
            wave: WaveReason {
                number: wave,
                after,
                dependencies,
                deferred: cut,
                because,
            },
        })
    }
}

/// The label the graph gives an FK edge (`DependencyGraph::from_inventory`): the constraint's
/// name, or the table and its referencing columns when it has none.
fn fk_label(table: &Table, fk: &crate::inventory::ForeignKey) -> String {
    fk.name
        .clone()
        .unwrap_or_else(|| format!("{}({})", table.name, fk.columns.join(",")))
}

fn fk_detail(table: &Table, fk: &crate::inventory::ForeignKey) -> ForeignKeyDetail {
    ForeignKeyDetail {
        name: fk.name.clone(),
        from_table: table.name.to_string(),
        columns: fk.columns.clone(),
        to_table: fk.references.to_string(),
        referenced_columns: fk.referenced_columns.clone(),
        on_delete: fk.on_delete.to_string(),
        nullable: fk.nullable,
        deferred: false,
    }
}

/// A generated key as the source engine's DDL names it.
fn generated_word(engine: Engine) -> &'static str {
    match engine {
        Engine::Mysql => "AUTO_INCREMENT",
        Engine::Postgres => "identity",
        Engine::Sqlite => "rowid",
    }
}

fn table_detail(t: &Table, engine: Engine) -> TableDetail {
    TableDetail {
        columns: t
            .columns
            .iter()
            .map(|c| ColumnDetail {
                name: c.name.clone(),
                data_type: c.data_type.clone(),
                nullable: c.nullable,
                primary_key: t
                    .primary_key
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(&c.name)),
                generated: c.is_identity().then(|| generated_word(engine).to_owned()),
                default: match &c.default {
                    Some(ColumnDefault::Expression(e)) => Some(e.clone()),
                    _ => None,
                },
                on_update: c.on_update.clone(),
            })
            .collect(),
        primary_key: t.primary_key.clone(),
        unique_keys: t.unique_keys.clone(),
        indexes: t.indexes.clone(),
        partitioning: t.partitioning.as_ref().map(|p| p.strategy.clone()),
        partition_of: t.partition_of.as_ref().map(ToString::to_string),
    }
}

/// Whether the finding is about the artifact `name`: its source is the artifact, or its message
/// names it (qualified, or by its bare name as a whole word: `film` is not in `film_actor`).
fn names(finding: &Finding, name: &QualifiedName) -> bool {
    let qualified = name.to_string();
    finding.source == qualified
        || finding.message.contains(&qualified)
        || whole_word(&finding.message, &name.name)
}

fn whole_word(text: &str, word: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        // A qualified name of another schema (`other.film`) is not this one.
        !before.is_some_and(|c| ident(c) || c == '.') && !after.is_some_and(ident)
    })
}

fn wave_sentence(
    wave: usize,
    latest: usize,
    after: &[(String, usize)],
    dependencies: usize,
    cut: &[String],
) -> String {
    let shown = |ids: &[(String, usize)]| {
        let names: Vec<&str> = ids
            .iter()
            .take(5)
            .map(|(id, _)| id.split_once(':').map_or(id.as_str(), |(_, n)| n))
            .collect();
        let more = ids.len().saturating_sub(5);
        if more > 0 {
            format!("{} and {more} more", names.join(", "))
        } else {
            names.join(", ")
        }
    };
    let mut because = if dependencies == 0 {
        format!("Wave {wave}: it depends on nothing migrated before it, so it goes first.")
    } else if latest >= wave {
        format!(
            "Wave {wave}: it is in a cycle the plan cannot break with {}, so they move together.",
            shown(after)
        )
    } else {
        let of = if dependencies == 1 {
            "its one dependency".to_owned()
        } else {
            format!("the latest of its {dependencies} dependencies")
        };
        format!("Wave {wave}: after {} (wave {latest}), {of}.", shown(after))
    };
    if !cut.is_empty() {
        let ids: Vec<(String, usize)> = cut.iter().map(|c| (c.clone(), 0)).collect();
        because.push_str(&format!(
            " Its dependency on {} is deferred to break a cycle (created after the backfill), so it does not hold it back.",
            shown(&ids)
        ));
    }
    because
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_name_matches_as_a_whole_word_only() {
        assert!(whole_word("foreign key rental(x) references film", "film"));
        assert!(!whole_word("table film_actor has no key", "film"));
        assert!(!whole_word("see other.film", "film"));
        assert!(whole_word("`film` skipped", "film"));
    }

    #[test]
    fn the_wave_is_explained_by_its_latest_dependencies() {
        let after = vec![("table:s.customer".to_owned(), 4)];
        assert_eq!(
            wave_sentence(5, 4, &after, 3, &[]),
            "Wave 5: after s.customer (wave 4), the latest of its 3 dependencies."
        );
        assert_eq!(
            wave_sentence(1, 0, &[], 0, &[]),
            "Wave 1: it depends on nothing migrated before it, so it goes first."
        );
        assert!(
            wave_sentence(2, 1, &after, 1, &["table:s.store".to_owned()])
                .contains("Its dependency on s.store is deferred")
        );
    }
}
