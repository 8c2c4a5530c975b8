import { Fragment, useState } from "react";
import { commands, type ProjectView, type RunbookExportFormat, type StepView } from "../bindings";
import { unwrap } from "../lib/errors";
import { useLoad } from "../lib/useLoad";
import { formatMinutes } from "../lib/format";
import { EmptyState, ErrorBanner, Loading } from "../components/Feedback";
import { RUNBOOK_EXPORTS } from "../lib/runbookExports";

export function RunbookScreen({ project }: { project: ProjectView }) {
  const rb = useLoad(async () => unwrap(await commands.runbook(project.handle)));
  const [error, setError] = useState<unknown>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [exported, setExported] = useState<string | null>(null);

  async function calibrate(on: boolean) {
    setError(null);
    try {
      // The latest rehearsal's measured durations replace the estimates; edits stay applied.
      rb.set(unwrap(await commands.calibrateRunbook(project.handle, on ? "latest" : null)));
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
          <label className="nowrap">
            <input
              type="checkbox"
              checked={data.calibrated_from !== null}
              onChange={(e) => void calibrate(e.target.checked)}
              data-testid="calibrate"
            />{" "}
            Calibrated from the latest rehearsal
          </label>
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
        {formatMinutes(data.downtime_minutes)} (window {formatMinutes(data.maintenance_window_minutes)}), RTO {formatMinutes(data.rto_minutes)}
        {data.calibrated_from ? `; durations measured in rehearsal ${data.calibrated_from} where it measured them` : ""}.
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
                    onSave={async (owner, minutes, notes) => {
                      setError(null);
                      try {
                        rb.set(unwrap(await commands.editStep(project.handle, { key: s.key, owner, expected_minutes: minutes, notes })));
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
                    <td className="num">{formatMinutes(s.expected_minutes)}</td>
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

function EditRow({ step, onSave, onCancel }: { step: StepView; onSave: (owner: string | null, minutes: number | null, notes: string | null) => Promise<void>; onCancel: () => void }) {
  const [owner, setOwner] = useState(step.owner);
  const [minutes, setMinutes] = useState(String(step.expected_minutes));
  const [notes, setNotes] = useState(step.notes ?? "");
  const parsed = minutes.trim() === "" ? null : Number(minutes);
  const invalid = parsed !== null && (!Number.isFinite(parsed) || parsed < 0);
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
      </td>
      <td />
      <td />
      <td>
        <textarea value={notes} onChange={(e) => setNotes(e.target.value)} aria-label="Notes" data-testid="edit-notes" />
      </td>
      <td>
        <button type="button" disabled={invalid} onClick={() => void onSave(owner, parsed, notes)} data-testid="save-step">
          Save
        </button>
        <button type="button" className="link" onClick={onCancel}>
          Cancel
        </button>
      </td>
    </tr>
  );
}
