import { Fragment, useState } from "react";
import { commands, type ProjectView, type RunbookExportFormat, type StepEditRequest_Deserialize, type StepView_Serialize } from "../bindings";
import { unwrap } from "../lib/errors";
import { calibrationSummary, durationBadge, parseMinutes, stepEditRequest, stepForm } from "../lib/runbookEdit";
import { useLoad } from "../lib/useLoad";
import { formatMinutes } from "../lib/format";
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
      <div className="grid-wrap">
        <table className="grid runbook" data-testid="runbook-grid">
          <thead>
            <tr>
              <th>Step</th>
              <th>Phase</th>
              <th>What</th>
              <th>Owner</th>
              <th className="num">Minutes</th>
              <th className="num">Starts at</th>
              <th>Rollback</th>
              <th>Notes</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.steps.map((s) => (
              <Fragment key={s.key}>
                {s.ponr && (
                  <tr className="ponr-divider">
                    <td colSpan={9}>Point of no return — everything from here on cannot be rolled back within the RTO</td>
                  </tr>
                )}
                {editing === s.key ? (
                  <EditRow
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
                ) : (
                  <tr className={[s.ponr ? "ponr" : "", s.critical ? "critical" : "", s.edited ? "edited" : ""].join(" ")} data-testid="runbook-step">
                    <td>{s.id}</td>
                    <td>{s.phase}</td>
                    <td>
                      {s.kind === "checkpoint" && <span className="badge gate">go/no-go</span>}
                      {s.kind === "communication" && <span className="badge">comms</span>} {s.title}
                      <div className="muted small">{s.estimate_basis}</div>
                    </td>
                    <td>{s.owner}</td>
                    <td className="num" data-duration={s.duration}>
                      <span data-testid="step-minutes">{formatMinutes(s.expected_minutes)}</span>
                      <DurationBadge step={s} calibratedFrom={data.calibrated_from} />
                    </td>
                    <td className="num">{formatMinutes(s.start_minutes)}</td>
                    <td>{s.rollback ? `${s.rollback.action} (${formatMinutes(s.rollback.minutes)})` : <span className="badge warn">irreversible</span>}</td>
                    <td className="notes">{s.notes ?? ""}</td>
                    <td>
                      <button type="button" className="link" onClick={() => setEditing(s.key)} data-testid="edit-step">
                        Edit
                      </button>
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
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

function EditRow({ step, onSave, onCancel }: { step: StepView_Serialize; onSave: (edit: StepEditRequest_Deserialize) => Promise<void>; onCancel: () => void }) {
  const initial = stepForm(step);
  const [owner, setOwner] = useState(initial.owner);
  const [minutes, setMinutes] = useState(initial.minutes);
  const [notes, setNotes] = useState(initial.notes);
  const parsed = parseMinutes(minutes);
  const invalid = parsed !== null && Number.isNaN(parsed);
  const request = stepEditRequest(step, { owner, minutes, notes });
  return (
    <tr className="editing">
      <td>{step.id}</td>
      <td>{step.phase}</td>
      <td>{step.title}</td>
      <td>
        <input value={owner} onChange={(e) => setOwner(e.target.value)} aria-label="Owner" data-testid="edit-owner" />
      </td>
      <td>
        <input className={invalid ? "narrow invalid" : "narrow"} value={minutes} onChange={(e) => setMinutes(e.target.value)} aria-label="Minutes" />
        {!request.ok && <div className="error small">{request.message}</div>}
      </td>
      <td />
      <td />
      <td>
        <textarea value={notes} onChange={(e) => setNotes(e.target.value)} aria-label="Notes" data-testid="edit-notes" />
      </td>
      <td>
        <button type="button" disabled={!request.ok} onClick={() => request.ok && void onSave(request.edit)} data-testid="save-step">
          Save
        </button>
        <button type="button" className="link" onClick={onCancel}>
          Cancel
        </button>
      </td>
    </tr>
  );
}
