import { useState, type KeyboardEvent } from "react";
import { commands, type ProjectView, type RunbookExportFormat, type StepEditRequest_Deserialize, type StepView_Serialize } from "../bindings";
import { unwrap } from "../lib/errors";
import { calibrationSummary, durationBadge, stepEditRequest, stepForm } from "../lib/runbookEdit";
import { useLoad } from "../lib/useLoad";
import { clockFigure, formatMinutes, minutesFigure } from "../lib/format";
import { DataGrid, type GridColumn } from "../components/DataGrid";
import { EmptyState, ErrorBanner, Loading } from "../components/Feedback";
import { RUNBOOK_EXPORTS } from "../lib/runbookExports";

export function RunbookScreen({ project, onOpenRehearsal }: { project: ProjectView; onOpenRehearsal: () => void }) {
  const rb = useLoad(async () => unwrap(await commands.runbook(project.handle)));
  const [error, setError] = useState<unknown>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [exported, setExported] = useState<string | null>(null);

  async function backToEstimates() {
    setError(null);
    try {
      // Stored in the project: the CLI's plan and exports go back to the estimates too.
      rb.set(unwrap(await commands.calibrateRunbook(project.handle, null)));
    } catch (e) {
      setError(e);
    }
  }

  async function exportAs(format: RunbookExportFormat) {
    setError(null);
    setExported(null);
    try {
      // The app asks where in its own save dialog; nothing is written when it is cancelled.
      const saved = unwrap(await commands.exportRunbook(project.handle, format));
      if (saved) setExported(`Saved ${(saved.bytes ?? 0).toLocaleString("en-US")} bytes to ${saved.path}`);
    } catch (e) {
      setError(e);
    }
  }

  if (rb.loading && !rb.data) return <Loading what="runbook" />;
  if (rb.error) return <ErrorBanner error={rb.error} />;
  const data = rb.data;
  if (!data || data.steps.length === 0)
    return <EmptyState title="No runbook yet">The runbook is planned from the inventory: import tables first (Projects → Re-import inputs).</EmptyState>;

  return (
    <div className="screen">
      <div className="row spread">
        <h1>Runbook</h1>
        <div className="row">
          <div className="row" role="group" aria-label="Export the runbook">
            <span className="muted">Export:</span>
            {RUNBOOK_EXPORTS.map((e) => (
              <button key={e.format} type="button" title={e.title} onClick={() => void exportAs(e.format)} data-testid={e.testId}>
                {e.label}
              </button>
            ))}
          </div>
        </div>
      </div>
      <div className="muted">
        Shape {data.shape}: {data.steps.length} steps, critical path {formatMinutes(data.total_minutes)}, estimated write downtime{" "}
        {formatMinutes(data.downtime_minutes)} (window {formatMinutes(data.maintenance_window_minutes)}), RTO {formatMinutes(data.rto_minutes)}.
      </div>
      <div className={data.calibrated_from ? "calibration on" : "calibration"} data-testid="calibration-status">
        <span>{calibrationSummary(data)}</span>{" "}
        {data.calibrated_from ? (
          <button type="button" onClick={() => void backToEstimates()} data-testid="back-to-estimates">
            Back to the estimates
          </button>
        ) : (
          <span className="muted">
            To plan with measured durations, open a full rehearsal&apos;s report on the{" "}
            <button type="button" className="link" onClick={onOpenRehearsal}>
              Rehearsal
            </button>{" "}
            screen and choose &ldquo;Calibrate the plan from this rehearsal&rdquo;.
          </span>
        )}
        {data.calibration_notes.map((n) => (
          <div key={n} className="muted small">
            {n}
          </div>
        ))}
      </div>
      {exported && (
        <div className="ok" data-testid="export-done">
          {exported}
        </div>
      )}
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      {data.ponr && (
        <div className="ponr-banner" data-testid="ponr-banner">
          <span className="badge ponr">PONR</span> Point of no return: <strong>{data.ponr.step_id}</strong> {data.ponr.title} — {data.ponr.reason}.
        </div>
      )}
      <DataGrid
        rows={data.steps}
        columns={runbookColumns(data.calibrated_from, setEditing)}
        rowId={(s) => s.key}
        testId="runbook-grid"
        rowTestId="runbook-step"
        label="Runbook steps"
        rowHeight={46}
        rowAttrs={(s) => ({
          className: [s.ponr ? "ponr" : "", s.critical ? "critical" : "", s.edited ? "edited" : ""].join(" ").trim(),
          "data-step": s.id,
        })}
        onActivate={(s) => setEditing(s.key)}
        editor={
          editing === null
            ? null
            : {
                id: editing,
                cells: (s) => (
                  <EditCells
                    step={s}
                    onCancel={() => setEditing(null)}
                    onSave={async (edit) => {
                      setError(null);
                      try {
                        rb.set(unwrap(await commands.editStep(project.handle, edit)));
                        setEditing(null);
                      } catch (e) {
                        setError(e);
                      }
                    }}
                  />
                ),
              }
        }
      />
      <div className="muted small">
        Keyboard: ↑/↓ move between steps, Enter edits the focused one; in the editor Enter saves (Ctrl+Enter in the notes) and Escape cancels.
      </div>
    </div>
  );
}

/** The runbook's columns: one unit each, named in the header; 960 px in all, within the 1280 px
 * window less the navigation, the page's padding, the grid's border and a vertical scroll bar. */
function runbookColumns(calibratedFrom: string | null, edit: (key: string) => void): GridColumn<StepView_Serialize>[] {
  return [
    {
      id: "id",
      header: "Step",
      size: 70,
      cell: ({ row }) => (
        <>
          {row.original.id}
          <div className="muted small">{row.original.phase}</div>
        </>
      ),
    },
    {
      id: "what",
      header: "What",
      size: 170,
      cell: ({ row }) => {
        const s = row.original;
        return (
          <>
            {s.ponr && (
              <span className="badge ponr" title="Everything from here on cannot be rolled back within the RTO" data-testid="ponr-step">
                point of no return
              </span>
            )}
            {s.kind === "checkpoint" && <span className="badge gate">go/no-go</span>}
            {s.kind === "communication" && <span className="badge">comms</span>} <span title={s.title}>{s.title}</span>
            <div className="muted small clamp" title={s.estimate_basis}>
              {s.estimate_basis}
            </div>
          </>
        );
      },
    },
    { id: "owner", header: "Owner", size: 116, cell: ({ row }) => row.original.owner },
    {
      id: "minutes",
      header: "Duration (min)",
      size: 118,
      meta: { numeric: true },
      cell: ({ row }) => (
        <span data-duration={row.original.duration}>
          <span data-testid="step-minutes">{minutesFigure(row.original.expected_minutes)}</span>
          <DurationBadge step={row.original} calibratedFrom={calibratedFrom} />
        </span>
      ),
    },
    { id: "start", header: "Start (h:mm:ss)", size: 124, meta: { numeric: true }, cell: ({ row }) => clockFigure(row.original.start_minutes) },
    {
      id: "rollback",
      header: "Rollback",
      size: 110,
      cell: ({ row }) =>
        row.original.rollback ? <span className="clamp" title={row.original.rollback.action}>{row.original.rollback.action}</span> : <span className="badge warn">irreversible</span>,
    },
    { id: "rollback_min", header: "Rollback (min)", size: 108, meta: { numeric: true }, cell: ({ row }) => (row.original.rollback ? minutesFigure(row.original.rollback.minutes) : "") },
    {
      id: "notes",
      header: "Notes",
      size: 88,
      cell: ({ row }) => (
        <span className="clamp notes" title={row.original.notes ?? ""}>
          {row.original.notes ?? ""}
        </span>
      ),
    },
    {
      id: "edit",
      header: "",
      size: 56,
      enableResizing: false,
      cell: ({ row }) => (
        <button
          type="button"
          className="link"
          onClick={(e) => {
            e.stopPropagation();
            edit(row.original.key);
          }}
          data-testid="edit-step"
        >
          Edit
        </button>
      ),
    },
  ];
}

function DurationBadge({ step, calibratedFrom }: { step: StepView_Serialize; calibratedFrom: string | null }) {
  const badge = durationBadge(step, calibratedFrom);
  if (!badge) return null;
  return (
    <>
      {" "}
      <span className={`badge ${step.duration}`} title={badge.title} data-testid={`duration-${step.duration}`}>
        {badge.label}
      </span>
    </>
  );
}

/** The cells of a step being edited, in the step's own columns (nothing reflows). */
function EditCells({ step, onSave, onCancel }: { step: StepView_Serialize; onSave: (edit: StepEditRequest_Deserialize) => Promise<void>; onCancel: () => void }) {
  const initial = stepForm(step);
  const [owner, setOwner] = useState(initial.owner);
  const [minutes, setMinutes] = useState(initial.minutes);
  const [notes, setNotes] = useState(initial.notes);
  const request = stepEditRequest(step, { owner, minutes, notes });
  const save = () => request.ok && void onSave(request.edit);
  const keys = (e: KeyboardEvent<HTMLElement>, multiline = false) => {
    if (e.key === "Escape") {
      e.preventDefault();
      onCancel();
    } else if (e.key === "Enter" && (!multiline || e.ctrlKey)) {
      e.preventDefault();
      save();
    }
  };
  return (
    <>
      <td>
        {step.id}
        <div className="muted small">{step.phase}</div>
      </td>
      <td>
        <span className="clamp">{step.title}</span>
        <div className="edit-hint">Enter saves, Escape cancels</div>
      </td>
      <td>
        <input value={owner} onChange={(e) => setOwner(e.target.value)} onKeyDown={(e) => keys(e)} aria-label="Owner" data-testid="edit-owner" autoFocus />
      </td>
      <td className="num">
        <input
          className={request.ok ? "" : "invalid"}
          value={minutes}
          onChange={(e) => setMinutes(e.target.value)}
          onKeyDown={(e) => keys(e)}
          aria-label="Duration in minutes"
          aria-invalid={!request.ok}
          aria-describedby={request.ok ? undefined : `minutes-error-${step.id}`}
          data-testid="edit-minutes"
        />
        {!request.ok && (
          <div className="field-error" role="alert" id={`minutes-error-${step.id}`} data-testid="edit-minutes-error">
            {request.message}
          </div>
        )}
      </td>
      <td />
      {/* The rollback cells say nothing while editing: the notes and the buttons take their room
          (the Notes and edit columns alone are too narrow for a note or for Save). */}
      <td colSpan={4}>
        <div className="step-notes-editor">
          <textarea
            value={notes}
            onChange={(e) => setNotes(e.target.value)}
            onKeyDown={(e) => keys(e, true)}
            aria-label="Notes"
            placeholder="Notes for whoever runs this step"
            data-testid="edit-notes"
          />
          <div className="actions">
            <button type="button" disabled={!request.ok} onClick={save} data-testid="save-step">
              Save
            </button>
            <button type="button" className="link" onClick={onCancel} data-testid="cancel-step">
              Cancel
            </button>
          </div>
        </div>
      </td>
    </>
  );
}
