//! Transport types: what the commands send to the webview, typed for the generated TypeScript
//! bindings. Each is a plain copy of engine values (the engine stays free of Tauri and specta);
//! no planning happens here. Sizes are `f64` because JavaScript numbers are.

use migration_studio::graph::{BlastRadius, GraphJson};
use migration_studio::inventory::{Finding, Severity};
use migration_studio::plan::Plan;
use migration_studio::project::{ImportReport, Input, Project};
use migration_studio::workspace::detail::ArtifactDetail;
use migration_studio::workspace::{step_key, StepEdit, Workspace};
use serde::{Deserialize, Serialize};
use specta::Type;

fn num(v: Option<u64>) -> Option<f64> {
    v.map(|v| v as f64)
}

fn label<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// An opened project.
#[derive(Debug, Clone, Serialize, Type)]
pub struct ProjectView {
    /// What every other command names the project by, for this session: the window never
    /// names a project by its folder.
    pub handle: String,
    /// Absolute folder (shown, never sent back).
    pub root: String,
    /// Name from the manifest.
    pub name: String,
    /// Migration shape (`offline`, `dual-write`, `cdc`, `blue-green`).
    pub shape: String,
    /// Source engine.
    pub source_engine: String,
    /// Target engine.
    pub target_engine: String,
    /// RTO, minutes.
    pub rto_minutes: f64,
    /// Maintenance window, minutes.
    pub maintenance_window_minutes: f64,
    /// Inputs, described (`script data/a.sql`, `live source ($URL_VAR)`, `services k8s/`).
    pub inputs: Vec<String>,
    /// Counts of the stored inventory.
    pub counts: Counts,
}

/// Counts of an inventory.
#[derive(Debug, Clone, Serialize, Type)]
pub struct Counts {
    /// Tables.
    pub tables: u32,
    /// Views.
    pub views: u32,
    /// Triggers.
    pub triggers: u32,
    /// Service-level artifacts.
    pub services: u32,
    /// Foreign keys.
    pub foreign_keys: u32,
    /// Sum of row estimates.
    pub rows: f64,
    /// Waves.
    pub waves: u32,
    /// Cycles.
    pub cycles: u32,
    /// Warnings among the findings.
    pub warnings: u32,
}

impl ProjectView {
    /// The view of an opened workspace, opened under `handle`.
    pub fn of(ws: &Workspace, handle: &str) -> Self {
        let project: &Project = ws.project();
        let m = project.manifest();
        let inv = ws.inventory();
        Self {
            handle: handle.to_owned(),
            root: project.root().display().to_string(),
            name: m.name.clone(),
            shape: m.shape.to_string(),
            source_engine: label(&m.source.engine),
            target_engine: label(&m.target.engine),
            rto_minutes: m.rto_minutes,
            maintenance_window_minutes: m.maintenance_window_minutes,
            inputs: m
                .inputs
                .iter()
                .map(|i| match i {
                    Input::Script { path, .. } => format!("script {}", path.display()),
                    Input::Live { live, url_env, .. } => format!("live {live} (${url_env})"),
                    Input::Services { services, .. } => {
                        format!("services {}", services.display())
                    }
                })
                .collect(),
            counts: Counts {
                tables: inv.tables.len() as u32,
                views: inv.views.len() as u32,
                triggers: inv.triggers.len() as u32,
                services: inv.services.len() as u32,
                foreign_keys: inv.foreign_key_count() as u32,
                rows: inv.tables.iter().filter_map(|t| t.rows).sum::<u64>() as f64,
                waves: ws.plan().order.waves.len() as u32,
                cycles: ws.plan().order.cycles.len() as u32,
                warnings: inv
                    .findings
                    .iter()
                    .filter(|f| f.severity == Severity::Warning)
                    .count() as u32,
            },
        }
    }
}

/// One artifact: a row of the inventory grid and a node of the graph.
#[derive(Debug, Clone, Serialize, Type)]
pub struct NodeView {
    /// Stable id (`table:sakila.rental`).
    pub id: String,
    /// Kind label (`table`, `view`, `trigger`, `service`, `datastore`…).
    pub kind: String,
    /// Qualified name, as text.
    pub name: String,
    /// Schema part of the id, when there is one.
    pub schema: Option<String>,
    /// 1-based wave.
    pub wave: u32,
    /// Estimated rows.
    pub rows: Option<f64>,
    /// Estimated bytes.
    pub bytes: Option<f64>,
    /// Owner.
    pub owner: Option<String>,
    /// System.
    pub system: Option<String>,
}

/// A finding of the import.
#[derive(Debug, Clone, Serialize, Type)]
pub struct FindingView {
    /// Stable code.
    pub code: String,
    /// `notice` or `warning`.
    pub severity: String,
    /// File or connection.
    pub source: String,
    /// 1-based line.
    pub line: Option<u32>,
    /// Explanation.
    pub message: String,
}

impl From<&Finding> for FindingView {
    fn from(f: &Finding) -> Self {
        Self {
            code: f.code.clone(),
            severity: label(&f.severity),
            source: f.source.clone(),
            line: f.line.map(|l| l as u32),
            message: f.message.clone(),
        }
    }
}

/// The inventory grid.
#[derive(Debug, Clone, Serialize, Type)]
pub struct InventoryView {
    /// Every artifact, sorted by id.
    pub artifacts: Vec<NodeView>,
    /// What the import noticed.
    pub findings: Vec<FindingView>,
}

fn nodes(json: &GraphJson, ws: &Workspace) -> Vec<NodeView> {
    json.nodes
        .iter()
        .map(|n| NodeView {
            id: n.id.clone(),
            kind: n.kind.clone(),
            name: n.name.clone(),
            schema: ws
                .graph()
                .find(&n.id)
                .and_then(|a| ws.graph().artifact(a).name.schema.clone()),
            wave: n.wave as u32,
            rows: num(n.rows),
            bytes: num(n.bytes),
            owner: n.owner.clone(),
            system: n.system.clone(),
        })
        .collect()
}

impl InventoryView {
    /// The grid of a workspace.
    pub fn of(ws: &Workspace) -> Self {
        Self {
            artifacts: nodes(&ws.graph_json(), ws),
            findings: ws.inventory().findings.iter().map(Into::into).collect(),
        }
    }
}

/// One artifact in the inventory's drill-down: its definition, its FKs both ways, what the
/// import noticed about it, its wave and why ([`Workspace::artifact_detail`]).
#[derive(Debug, Clone, Serialize, Type)]
pub struct ArtifactDetailView {
    /// Stable id.
    pub id: String,
    /// Kind label.
    pub kind: String,
    /// Qualified name.
    pub name: String,
    /// Estimated rows (`null` = unknown).
    pub rows: Option<f64>,
    /// Estimated bytes (`null` = unknown).
    pub bytes: Option<f64>,
    /// Owner.
    pub owner: Option<String>,
    /// System.
    pub system: Option<String>,
    /// Columns in declaration order (tables only; empty otherwise).
    pub columns: Vec<ColumnDetailView>,
    /// Primary key columns.
    pub primary_key: Vec<String>,
    /// Unique keys, each a list of columns.
    pub unique_keys: Vec<Vec<String>>,
    /// Secondary indexes.
    pub indexes: Vec<IndexView>,
    /// Partitioning as written, or the parent table of a partition.
    pub partitioning: Option<String>,
    /// Foreign keys it declares.
    pub foreign_keys_out: Vec<ForeignKeyView>,
    /// Foreign keys of other tables referencing it.
    pub foreign_keys_in: Vec<ForeignKeyView>,
    /// Other dependencies (views, triggers, service links), both ways.
    pub other_links: Vec<LinkView>,
    /// Import findings naming it.
    pub findings: Vec<FindingView>,
    /// 1-based wave.
    pub wave: u32,
    /// The dependencies that hold it back (latest earlier wave), by id.
    pub wave_after: Vec<String>,
    /// Why it is in its wave, in a sentence.
    pub wave_because: String,
}

/// A column of the drill-down.
#[derive(Debug, Clone, Serialize, Type)]
pub struct ColumnDetailView {
    /// Name.
    pub name: String,
    /// Declared type.
    pub data_type: String,
    /// NULL allowed.
    pub nullable: bool,
    /// Part of the primary key.
    pub primary_key: bool,
    /// How the database generates its values (`AUTO_INCREMENT`, `identity`, `rowid`).
    pub generated: Option<String>,
    /// Default expression.
    pub default: Option<String>,
    /// MySQL's `ON UPDATE` expression.
    pub on_update: Option<String>,
}

/// A secondary index.
#[derive(Debug, Clone, Serialize, Type)]
pub struct IndexView {
    /// Name.
    pub name: String,
    /// Columns or expressions.
    pub columns: Vec<String>,
    /// Enforces uniqueness.
    pub unique: bool,
}

/// A foreign key seen from either end.
#[derive(Debug, Clone, Serialize, Type)]
pub struct ForeignKeyView {
    /// Constraint name (`null` when generated).
    pub name: Option<String>,
    /// Referencing table.
    pub from_table: String,
    /// Referencing columns.
    pub columns: Vec<String>,
    /// Referenced table.
    pub to_table: String,
    /// Referenced columns (empty: the primary key).
    pub referenced_columns: Vec<String>,
    /// `ON DELETE` action.
    pub on_delete: String,
    /// Every referencing column nullable.
    pub nullable: bool,
    /// Cut by the plan to break a cycle (created after the backfill).
    pub deferred: bool,
}

/// A dependency other than an FK.
#[derive(Debug, Clone, Serialize, Type)]
pub struct LinkView {
    /// `out` (it depends on `other`) or `in`.
    pub direction: String,
    /// The other artifact's id.
    pub other: String,
    /// Kind label.
    pub kind: String,
    /// Label.
    pub label: Option<String>,
}

impl From<ArtifactDetail> for ArtifactDetailView {
    fn from(d: ArtifactDetail) -> Self {
        let fks = |v: Vec<migration_studio::workspace::detail::ForeignKeyDetail>| {
            v.into_iter()
                .map(|f| ForeignKeyView {
                    name: f.name,
                    from_table: f.from_table,
                    columns: f.columns,
                    to_table: f.to_table,
                    referenced_columns: f.referenced_columns,
                    on_delete: f.on_delete,
                    nullable: f.nullable,
                    deferred: f.deferred,
                })
                .collect()
        };
        let table = d.table;
        Self {
            id: d.id,
            kind: d.kind,
            name: d.name,
            rows: num(d.rows),
            bytes: num(d.bytes),
            owner: d.owner,
            system: d.system,
            columns: table
                .as_ref()
                .map(|t| {
                    t.columns
                        .iter()
                        .map(|c| ColumnDetailView {
                            name: c.name.clone(),
                            data_type: c.data_type.clone(),
                            nullable: c.nullable,
                            primary_key: c.primary_key,
                            generated: c.generated.clone(),
                            default: c.default.clone(),
                            on_update: c.on_update.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            primary_key: table
                .as_ref()
                .map(|t| t.primary_key.clone())
                .unwrap_or_default(),
            unique_keys: table
                .as_ref()
                .map(|t| t.unique_keys.clone())
                .unwrap_or_default(),
            indexes: table
                .as_ref()
                .map(|t| {
                    t.indexes
                        .iter()
                        .map(|i| IndexView {
                            name: i.name.clone(),
                            columns: i.columns.clone(),
                            unique: i.unique,
                        })
                        .collect()
                })
                .unwrap_or_default(),
            partitioning: table.as_ref().and_then(|t| {
                t.partitioning
                    .clone()
                    .or_else(|| t.partition_of.as_ref().map(|p| format!("partition of {p}")))
            }),
            foreign_keys_out: fks(d.foreign_keys_out),
            foreign_keys_in: fks(d.foreign_keys_in),
            other_links: d
                .other_links
                .into_iter()
                .map(|l| LinkView {
                    direction: l.direction.to_owned(),
                    other: l.other,
                    kind: l.kind,
                    label: l.label,
                })
                .collect(),
            findings: d.findings.iter().map(Into::into).collect(),
            wave: d.wave.number as u32,
            wave_after: d.wave.after.into_iter().map(|(id, _)| id).collect(),
            wave_because: d.wave.because,
        }
    }
}

/// An edge: `from` depends on `to`.
#[derive(Debug, Clone, Serialize, Type)]
pub struct EdgeView {
    /// Dependent id.
    pub from: String,
    /// Dependency id.
    pub to: String,
    /// Kind label (`fk`, `reads`, `calls`…).
    pub kind: String,
    /// Constraint name or label.
    pub label: Option<String>,
    /// Cut by the plan to break a cycle.
    pub deferred: bool,
}

/// A cut dependency and how it is bridged.
#[derive(Debug, Clone, Serialize, Type)]
pub struct DeferredView {
    /// Dependent id.
    pub from: String,
    /// Dependency id.
    pub to: String,
    /// Constraint name or label.
    pub label: Option<String>,
    /// Strategy (`defer-foreign-key`, `dual-write`…).
    pub strategy: String,
}

/// A cycle and its proposed break.
#[derive(Debug, Clone, Serialize, Type)]
pub struct CycleView {
    /// Member ids.
    pub members: Vec<String>,
    /// A single artifact referencing itself.
    pub self_reference: bool,
    /// Whether the cuts break it.
    pub broken: bool,
    /// The cuts.
    pub deferred: Vec<DeferredView>,
}

/// The point of no return.
#[derive(Debug, Clone, Serialize, Type)]
pub struct PonrView {
    /// Step id.
    pub step_id: String,
    /// Step title.
    pub title: String,
    /// Why it is the PONR.
    pub reason: String,
    /// Last wave whose backfill comes before it (0 when none).
    pub waves_before: u32,
}

impl PonrView {
    fn of(plan: &Plan) -> Option<Self> {
        let p = plan.point_of_no_return.as_ref()?;
        let index = plan.steps.iter().position(|s| s.id == p.step_id)?;
        Some(Self {
            step_id: p.step_id.clone(),
            title: plan.steps[index].title.clone(),
            reason: p.reason.clone(),
            waves_before: plan.steps[..index]
                .iter()
                .filter_map(|s| s.wave)
                .max()
                .unwrap_or(0) as u32,
        })
    }
}

/// The dependency graph.
#[derive(Debug, Clone, Serialize, Type)]
pub struct GraphView {
    /// Nodes, sorted by id.
    pub nodes: Vec<NodeView>,
    /// Edges.
    pub edges: Vec<EdgeView>,
    /// Number of waves.
    pub waves: u32,
    /// Cycles with their breaks.
    pub cycles: Vec<CycleView>,
    /// The plan's point of no return.
    pub ponr: Option<PonrView>,
}

impl GraphView {
    /// The graph of a workspace.
    pub fn of(ws: &Workspace) -> Self {
        let json = ws.graph_json();
        Self {
            nodes: nodes(&json, ws),
            edges: json
                .edges
                .iter()
                .map(|e| EdgeView {
                    from: e.from.clone(),
                    to: e.to.clone(),
                    kind: e.kind.label().to_owned(),
                    label: e.label.clone(),
                    deferred: e.deferred,
                })
                .collect(),
            waves: json.order.waves.len() as u32,
            cycles: json
                .order
                .cycles
                .iter()
                .map(|c| CycleView {
                    members: c.members.clone(),
                    self_reference: c.self_reference,
                    broken: c.broken,
                    deferred: c
                        .deferred
                        .iter()
                        .map(|d| DeferredView {
                            from: d.from.clone(),
                            to: d.to.clone(),
                            label: d.label.clone(),
                            strategy: label(&d.strategy),
                        })
                        .collect(),
                })
                .collect(),
            ponr: PonrView::of(ws.plan()),
        }
    }
}

/// Count per key.
#[derive(Debug, Clone, Serialize, Type)]
pub struct KeyCount {
    /// Key (kind or owner).
    pub key: String,
    /// Count.
    pub count: u32,
}

/// Everything that depends on the selected artifacts.
#[derive(Debug, Clone, Serialize, Type)]
pub struct BlastView {
    /// Selected ids.
    pub roots: Vec<String>,
    /// Affected ids, roots excluded.
    pub affected: Vec<String>,
    /// Affected per kind.
    pub by_kind: Vec<KeyCount>,
    /// Affected per owner.
    pub by_owner: Vec<KeyCount>,
}

impl From<BlastRadius> for BlastView {
    fn from(b: BlastRadius) -> Self {
        let counts = |m: std::collections::BTreeMap<String, usize>| {
            m.into_iter()
                .map(|(key, count)| KeyCount {
                    key,
                    count: count as u32,
                })
                .collect()
        };
        Self {
            roots: b.roots,
            affected: b.affected,
            by_kind: counts(b.by_kind),
            by_owner: counts(b.by_owner),
        }
    }
}

/// How a step is undone.
#[derive(Debug, Clone, Serialize, Type)]
pub struct RollbackView {
    /// What to do.
    pub action: String,
    /// Minutes.
    pub minutes: f64,
}

/// One runbook step.
#[derive(Debug, Clone, Serialize, Type)]
pub struct StepView {
    /// Key that survives re-planning (`phase:title`), used to edit it.
    pub key: String,
    /// `S001`…
    pub id: String,
    /// Phase.
    pub phase: String,
    /// `action`, `checkpoint` (go/no-go) or `communication`.
    pub kind: String,
    /// What to do.
    pub title: String,
    /// Owner.
    pub owner: String,
    /// Expected minutes.
    pub expected_minutes: f64,
    /// How the duration was obtained.
    pub estimate_basis: String,
    /// Step ids it waits for.
    pub depends_on: Vec<String>,
    /// How to undo it; none when irreversible.
    pub rollback: Option<RollbackView>,
    /// Artifact (backfill steps).
    pub artifact: Option<String>,
    /// Wave (backfill steps).
    pub wave: Option<u32>,
    /// Earliest start, minutes from the start.
    pub start_minutes: f64,
    /// On the critical path.
    pub critical: bool,
    /// The point of no return.
    pub ponr: bool,
    /// Team notes.
    pub notes: Option<String>,
    /// Whether people edited it.
    pub edited: bool,
    /// Where `expected_minutes` comes from.
    pub duration: DurationSource,
}

/// Where a step's expected duration comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum DurationSource {
    /// The planner's estimate.
    Estimate,
    /// Measured by the rehearsal the plan is calibrated from.
    Calibrated,
    /// Typed by a person (wins over an estimate and a measurement).
    Edited,
}

/// The runbook.
#[derive(Debug, Clone, Serialize, Type)]
pub struct RunbookView {
    /// Steps in execution order.
    pub steps: Vec<StepView>,
    /// The point of no return.
    pub ponr: Option<PonrView>,
    /// Critical path minutes.
    pub total_minutes: f64,
    /// Estimated write downtime, minutes.
    pub downtime_minutes: f64,
    /// RTO, minutes.
    pub rto_minutes: f64,
    /// Maintenance window, minutes.
    pub maintenance_window_minutes: f64,
    /// Shape.
    pub shape: String,
    /// The rehearsal whose measured durations replaced estimates, when the plan is calibrated.
    pub calibrated_from: Option<String>,
    /// What a person should know about the calibration (a rehearsal that failed a gate, a
    /// calibration set aside because its rehearsal cannot be read any more).
    pub calibration_notes: Vec<String>,
}

impl RunbookView {
    /// The runbook of a workspace, edits applied.
    pub fn of(ws: &Workspace) -> Self {
        let plan = ws.plan();
        let ponr = plan.point_of_no_return.as_ref().map(|p| p.step_id.as_str());
        let edits: &[StepEdit] = ws.edits();
        Self {
            steps: plan
                .steps
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let key = step_key(s);
                    let edit = edits.iter().find(|e| e.step_key == key);
                    let duration = if edit.is_some_and(|e| e.expected_minutes.is_some()) {
                        DurationSource::Edited
                    } else if plan
                        .calibration
                        .as_ref()
                        .is_some_and(|c| c.duration_steps.contains(&s.id))
                    {
                        DurationSource::Calibrated
                    } else {
                        DurationSource::Estimate
                    };
                    StepView {
                        id: s.id.clone(),
                        phase: s.phase.to_string(),
                        kind: s.kind.to_string(),
                        title: s.title.clone(),
                        owner: s.owner.clone(),
                        expected_minutes: s.expected_minutes,
                        estimate_basis: s.estimate_basis.clone(),
                        depends_on: s.depends_on.clone(),
                        rollback: s.rollback.as_ref().map(|r| RollbackView {
                            action: r.action.clone(),
                            minutes: r.minutes,
                        }),
                        artifact: s.artifact.clone(),
                        wave: s.wave.map(|w| w as u32),
                        start_minutes: plan.schedule.start.get(i).copied().unwrap_or(0.0),
                        critical: plan.schedule.critical_path.contains(&s.id),
                        ponr: ponr == Some(s.id.as_str()),
                        notes: s.notes.clone(),
                        edited: edit.is_some(),
                        duration,
                        key,
                    }
                })
                .collect(),
            ponr: PonrView::of(plan),
            total_minutes: plan.schedule.total_minutes,
            downtime_minutes: plan.downtime_minutes(),
            rto_minutes: plan.settings.rto_minutes,
            maintenance_window_minutes: plan.settings.maintenance_window_minutes,
            shape: plan.settings.shape.to_string(),
            calibrated_from: plan.calibration.as_ref().map(|c| c.run_id.clone()),
            calibration_notes: ws.calibration_notes().to_vec(),
        }
    }
}

/// An edit of a runbook step; empty text or `null` keeps the generated value.
#[derive(Debug, Clone, Deserialize, Type)]
pub struct StepEditRequest {
    /// The step's key.
    pub key: String,
    /// New owner.
    pub owner: Option<String>,
    /// New expected minutes.
    pub expected_minutes: Option<f64>,
    /// Notes.
    pub notes: Option<String>,
}

impl From<StepEditRequest> for StepEdit {
    fn from(r: StepEditRequest) -> Self {
        Self {
            step_key: r.key,
            owner: r.owner,
            expected_minutes: r.expected_minutes,
            notes: r.notes,
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Serialize, Type)]
pub struct ImportView {
    /// Tables.
    pub tables: u32,
    /// Views.
    pub views: u32,
    /// Triggers.
    pub triggers: u32,
    /// Foreign keys.
    pub foreign_keys: u32,
    /// Service-level artifacts.
    pub services: u32,
    /// Rows estimated.
    pub rows: f64,
    /// Warnings.
    pub warnings: u32,
    /// Notices.
    pub notices: u32,
    /// Whether the inventory changed.
    pub changed: bool,
}

impl From<&ImportReport> for ImportView {
    fn from(r: &ImportReport) -> Self {
        Self {
            tables: r.tables as u32,
            views: r.views as u32,
            triggers: r.triggers as u32,
            foreign_keys: r.foreign_keys as u32,
            services: r.services as u32,
            rows: r.rows as f64,
            warnings: r.warnings as u32,
            notices: r.notices as u32,
            changed: r.changed,
        }
    }
}
