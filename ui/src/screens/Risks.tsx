import { useMemo, useState } from "react";
import { commands, type NodeView, type ProjectView, type RiskView_Serialize, type StepView, type SuggestionDecision } from "../bindings";
import { CommandError, unwrap } from "../lib/errors";
import { useLoad } from "../lib/useLoad";
import { heatRows, scoreBand } from "../lib/charts";
import { checkDraft, draftOf, emptyDraft, fieldError, formOf, matchArtifacts, scoreOf, stillWrong, withArtifact, type FieldErrors, type RiskDraft, type RiskField } from "../lib/riskForm";
import { EmptyState, ErrorBanner, Loading } from "../components/Feedback";
import { counted } from "../lib/format";
import { DataGrid, type GridColumn } from "../components/DataGrid";

export function RisksScreen({ project }: { project: ProjectView }) {
  const reg = useLoad(async () => unwrap(await commands.risks(project.handle)));
  // For the editor's pickers: artifacts to link, runbook steps that retire a risk.
  const inv = useLoad(async () => unwrap(await commands.inventory(project.handle)));
  const rb = useLoad(async () => unwrap(await commands.runbook(project.handle)));
  const [cell, setCell] = useState<{ severity: number; likelihood: number } | null>(null);
  const [draft, setDraft] = useState<RiskDraft | null>(null);
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const rows = useMemo(() => {
    const all = reg.data?.risks ?? [];
    const picked = cell ? all.filter((r) => r.severity === cell.severity && r.likelihood === cell.likelihood) : all;
    return [...picked].sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
  }, [reg.data, cell]);

  /** Runs a register command; its answer replaces the register (grid, heat map, suggestions). */
  async function act(run: () => Promise<RiskView_Serialize>, done?: string): Promise<boolean> {
    setError(null);
    setNotice(null);
    setBusy(true);
    try {
      reg.set(await run());
      if (done) setNotice(done);
      return true;
    } catch (e) {
      const field = fieldError(e);
      if (field) {
        setFieldErrors({ [field.field as RiskField]: field.message });
      } else if (e instanceof CommandError && e.error.code === "not_found") {
        // Changed meanwhile (another window, the CLI): show the register as it is now.
        reg.reload();
        setNotice(`${e.error.message}. The register was reloaded.`);
      } else {
        setError(e);
      }
      return false;
    } finally {
      setBusy(false);
    }
  }

  async function save() {
    if (!draft) return;
    const errors = checkDraft(draft);
    setFieldErrors(errors);
    if (Object.keys(errors).length > 0) return;
    const isNew = draft.id === "";
    if (await act(async () => unwrap(await commands.saveRisk(project.handle, formOf(draft))), isNew ? `Added “${draft.title.trim()}”.` : `Saved ${draft.id}.`)) {
      setDraft(null);
      setFieldErrors({});
    }
  }

  async function remove(id: string) {
    setConfirmDelete(null);
    if (draft?.id === id) setDraft(null);
    await act(async () => unwrap(await commands.deleteRisk(project.handle, id)), `Deleted ${id}.`);
  }

  async function decide(key: string, decision: SuggestionDecision) {
    await act(async () => unwrap(await commands.decideRiskSuggestion(project.handle, key, decision)), decision === "accept" ? "Accepted: it is now a risk of the register." : "Dismissed.");
  }

  async function importCsv() {
    setError(null);
    setNotice(null);
    try {
      const done = unwrap(await commands.importRisks(project.handle));
      if (!done) return;
      reg.set(done.register);
      setNotice(`Imported ${done.imported} risks from ${done.path}.`);
    } catch (e) {
      setError(e);
    }
  }

  async function exportAs(format: "csv" | "markdown") {
    setError(null);
    setNotice(null);
    try {
      const saved = unwrap(await commands.exportRisks(project.handle, format));
      if (saved) setNotice(`Saved ${(saved.bytes ?? 0).toLocaleString("en-US")} bytes to ${saved.path}`);
    } catch (e) {
      setError(e);
    }
  }

  if (reg.loading && !reg.data) return <Loading what="risk register" />;
  if (reg.error) return <ErrorBanner error={reg.error} />;
  const data = reg.data;
  if (!data) return null;
  const open = (d: RiskDraft) => {
    setFieldErrors({});
    setError(null);
    setDraft(d);
  };
  // Widths that fit the window at 1280 px (1,008 px in all) (the heat map sits above the grid); long text keeps to three lines (all of it in
  // the cell's title, so nothing is cut silently), so a row never grows to six. Columns resize.
  const riskColumns: GridColumn<RiskView_Serialize["risks"][number]>[] = [
    {
      id: "id",
      header: "Id",
      size: 76,
      cell: ({ row }) => {
        const r = row.original;
        return (
          <div className="nowrap-cell">
            {r.id}
            <div className="actions">
              <button type="button" className="link" onClick={() => open(draftOf(r))} data-testid="edit-risk">
                Edit
              </button>
              {confirmDelete === r.id ? (
                <>
                  <button type="button" className="link danger" onClick={() => void remove(r.id)} data-testid="confirm-delete-risk">
                    Delete {r.id}?
                  </button>
                  <button type="button" className="link muted" onClick={() => setConfirmDelete(null)}>
                    Keep
                  </button>
                </>
              ) : (
                <button type="button" className="link muted" onClick={() => setConfirmDelete(r.id)} data-testid="delete-risk">
                  Delete
                </button>
              )}
            </div>
          </div>
        );
      },
    },
    {
      id: "title",
      header: "Risk",
      size: 160,
      cell: ({ row }) => (
        <div className="clamp3" title={row.original.title}>
          {row.original.title}
          {row.original.flags.map((f) => (
            <span key={f} className="badge warn">
              {f}
            </span>
          ))}
        </div>
      ),
    },
    {
      id: "category",
      header: "Category",
      // "performance", the longest category, on one line.
      size: 120,
      cell: ({ row }) => (
        <div className="clamp3" title={row.original.category}>
          {row.original.category}
        </div>
      ),
    },
    {
      id: "score",
      header: "Score (S×L)",
      size: 92,
      meta: { numeric: true },
      cell: ({ row }) => (
        <span className={`score heat-${scoreBand(row.original.score)}`}>
          {row.original.score} ({row.original.severity}×{row.original.likelihood})
        </span>
      ),
    },
    {
      id: "owner",
      header: "Owner",
      size: 96,
      cell: ({ row }) => (
        <div className="clamp3" title={row.original.owner ?? ""}>
          {row.original.owner ?? <span className="muted">—</span>}
        </div>
      ),
    },
    {
      id: "mitigation",
      header: "Mitigation",
      size: 142,
      cell: ({ row }) => (
        <div className="clamp3" title={row.original.mitigation ?? ""}>
          {row.original.mitigation ?? <span className="muted">—</span>}
        </div>
      ),
    },
    { id: "status", header: "Status", size: 80, cell: ({ row }) => row.original.status },
    {
      id: "linked",
      header: "Linked",
      size: 122,
      cell: ({ row }) => {
        const r = row.original;
        return (
          <div
            className="clamp3"
            title={[`${counted(r.artifacts.length, "artifact")}, blast radius ${r.blast_radius}`, ...r.artifacts, ...r.ordering].join("\n")}
          >
            {counted(r.artifacts.length, "artifact")}, blast radius {r.blast_radius}
            {r.ordering.length > 0 && <span className="muted"> · {r.ordering.join("; ")}</span>}
            {r.unknown_artifacts.length > 0 && <span className="badge warn">not in the graph: {r.unknown_artifacts.join(", ")}</span>}
          </div>
        );
      },
    },
    {
      id: "retired",
      header: "Retired by",
      size: 120,
      cell: ({ row }) => (
        <div className="clamp3" title={[row.original.retired_by, row.original.retired_by_step].filter(Boolean).join(": ")}>
          {row.original.retired_by ?? ""}
          {row.original.retired_by_step && <span className="muted small"> {row.original.retired_by_step}</span>}
        </div>
      ),
    },
  ];
  return (
    <div className="screen">
      <div className="row spread">
        <h1>Risk register</h1>
        <div className="row">
          <button type="button" onClick={() => open(emptyDraft(data.categories[0]))} data-testid="add-risk">
            Add a risk
          </button>
          <button type="button" className="secondary" onClick={() => void importCsv()} data-testid="import-risks">
            Import CSV…
          </button>
          <button type="button" className="secondary" onClick={() => void exportAs("csv")} disabled={data.risks.length === 0} data-testid="export-risks-csv">
            Export CSV…
          </button>
          <button type="button" className="secondary" onClick={() => void exportAs("markdown")} disabled={data.risks.length === 0} data-testid="export-risks-md">
            Export Markdown…
          </button>
        </div>
      </div>
      {notice && (
        <div className="ok" data-testid="risk-notice">
          {notice}
        </div>
      )}
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      {draft && (
        <RiskEditor
          draft={draft}
          errors={fieldErrors}
          busy={busy}
          categories={data.categories}
          statuses={data.statuses}
          artifacts={inv.data?.artifacts ?? []}
          steps={rb.data?.steps ?? []}
          onChange={(d) => {
            setFieldErrors(stillWrong(fieldErrors, draft, d));
            setDraft(d);
          }}
          onSave={() => void save()}
          onCancel={() => setDraft(null)}
        />
      )}
      {data.risks.length === 0 ? (
        <EmptyState title="No risks recorded yet" testId="no-risks">
          Add the risks you know of with “Add a risk”, accept the plan&apos;s suggestions below (FK cycles, tables without a primary key, the point of no
          return…), or import a register from CSV. They appear here with their severity × likelihood heat map.
        </EmptyState>
      ) : (
        <div className="risk-layout">
          <section className="card">
            <h2>Severity × likelihood</h2>
            <table className="heat" data-testid="heat-map">
              <tbody>
                {heatRows(data.heat).map((r) => (
                  <tr key={r.severity}>
                    <th>{r.severity}</th>
                    {r.cells.map((c) => (
                      <td
                        key={c.likelihood}
                        className={`heat-${c.band}${cell?.severity === r.severity && cell.likelihood === c.likelihood ? " picked" : ""}`}
                        onClick={() => setCell(cell?.severity === r.severity && cell.likelihood === c.likelihood ? null : { severity: r.severity, likelihood: c.likelihood })}
                        title={`severity ${r.severity}, likelihood ${c.likelihood}`}
                        data-testid={`heat-${r.severity}-${c.likelihood}`}
                      >
                        {c.count > 0 ? c.count : ""}
                      </td>
                    ))}
                  </tr>
                ))}
                <tr>
                  <th />
                  {[1, 2, 3, 4, 5].map((l) => (
                    <th key={l}>{l}</th>
                  ))}
                </tr>
              </tbody>
            </table>
            <div className="muted">Rows: severity (5 at the top). Columns: likelihood. Retired risks are left out. Click a cell to filter.</div>
          </section>
          <div className="grow">
            <DataGrid
              rows={rows}
              columns={riskColumns}
              rowId={(r) => r.id}
              testId="risk-grid"
              rowTestId="risk-row"
              label="Risks"
              rowHeight={58}
              height="min(60vh, 640px)"
              rowAttrs={(r) => ({ "data-risk-id": r.id })}
              onActivate={(r) => open(draftOf(r))}
            />
          </div>
        </div>
      )}
      {data.ignored_orderings.length > 0 && (
        <div className="error">Ordering constraints naming unknown artifacts are ignored by the plan: {data.ignored_orderings.join("; ")}</div>
      )}
      <section className="card" data-testid="suggestions">
        <h2>Suggestions from the plan ({data.suggestions.length})</h2>
        {data.suggestions.length === 0 ? (
          <div className="muted">Nothing pending: every suggestion was accepted or dismissed.</div>
        ) : (
          <table className="grid">
            <tbody>
              {data.suggestions.map((s) => (
                <tr key={s.key} data-testid="suggestion" data-key={s.key}>
                  <td className={`num heat-${scoreBand(s.score)}`}>
                    {s.score} ({s.severity}×{s.likelihood})
                  </td>
                  <td>
                    {s.title}
                    <div className="muted small">
                      {s.category} — {s.reason}
                      {s.retired_by ? `; retired by ${s.retired_by}` : ""}
                    </div>
                  </td>
                  <td className="actions">
                    <button type="button" disabled={busy} onClick={() => void decide(s.key, "accept")} data-testid="accept-suggestion">
                      Accept
                    </button>
                    <button type="button" className="link muted" disabled={busy} onClick={() => void decide(s.key, "dismiss")} data-testid="dismiss-suggestion">
                      Dismiss
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}

interface EditorProps {
  draft: RiskDraft;
  errors: FieldErrors;
  busy: boolean;
  categories: string[];
  statuses: string[];
  artifacts: NodeView[];
  steps: StepView[];
  onChange: (d: RiskDraft) => void;
  onSave: () => void;
  onCancel: () => void;
}

function RiskEditor({ draft, errors, busy, categories, statuses, artifacts, steps, onChange, onSave, onCancel }: EditorProps) {
  const [query, setQuery] = useState("");
  const offered = useMemo(() => matchArtifacts(artifacts, query, draft.artifacts, 200), [artifacts, query, draft.artifacts]);
  const set = (patch: Partial<RiskDraft>) => onChange({ ...draft, ...patch });
  const hint = (field: RiskField) =>
    errors[field] ? (
      <span className="field-error" data-testid={`risk-error-${field}`}>
        {errors[field]}
      </span>
    ) : null;
  const link = () => {
    const exact = artifacts.find((a) => a.id === query.trim()) ?? (offered.length === 1 ? offered[0] : undefined);
    if (exact) {
      onChange(withArtifact(draft, exact.id));
      setQuery("");
    }
  };
  const step = steps.find((s) => s.id === draft.retiredBy);
  return (
    <section className="card" data-testid="risk-editor">
      <h2>{draft.id === "" ? "New risk" : `Edit ${draft.id}`}</h2>
      <div className="form-grid">
        <label className="wide">
          What could happen
          <input className={errors.title ? "invalid" : ""} value={draft.title} onChange={(e) => set({ title: e.target.value })} data-testid="risk-title" />
          {hint("title")}
        </label>
        <label>
          Category
          <select value={draft.category} onChange={(e) => set({ category: e.target.value })} data-testid="risk-category">
            {categories.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
          {hint("category")}
        </label>
        <label>
          Severity (1 negligible – 5 severe)
          <select className={errors.severity ? "invalid" : ""} value={draft.severity} onChange={(e) => set({ severity: Number(e.target.value) })} data-testid="risk-severity">
            {[1, 2, 3, 4, 5].map((v) => (
              <option key={v} value={v}>
                {v}
              </option>
            ))}
          </select>
          {hint("severity")}
        </label>
        <label>
          Likelihood (1 rare – 5 almost certain)
          <select className={errors.likelihood ? "invalid" : ""} value={draft.likelihood} onChange={(e) => set({ likelihood: Number(e.target.value) })} data-testid="risk-likelihood">
            {[1, 2, 3, 4, 5].map((v) => (
              <option key={v} value={v}>
                {v}
              </option>
            ))}
          </select>
          {hint("likelihood")}
        </label>
        <label>
          Status
          <select value={draft.status} onChange={(e) => set({ status: e.target.value })} data-testid="risk-status">
            {statuses.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
          {hint("status")}
        </label>
        <label>
          Owner
          <input value={draft.owner} onChange={(e) => set({ owner: e.target.value })} placeholder="who answers for it" data-testid="risk-owner" />
        </label>
        <label className="wide">
          Mitigation
          <textarea value={draft.mitigation} onChange={(e) => set({ mitigation: e.target.value })} placeholder="what is done so it does not happen, or hurts less" data-testid="risk-mitigation" />
        </label>
        <div className="wide field">
          <span className="field-label">Linked artifacts (their dependents are the blast radius)</span>
          <div className="chips" data-testid="risk-artifacts">
            {draft.artifacts.length === 0 && <span className="muted small">none</span>}
            {draft.artifacts.map((a) => (
              <span key={a} className="chip">
                {a}
                <button type="button" className="link muted" aria-label={`Unlink ${a}`} onClick={() => set({ artifacts: draft.artifacts.filter((x) => x !== a) })}>
                  ×
                </button>
              </span>
            ))}
          </div>
          <div className="row">
            <input
              list="risk-artifact-options"
              value={query}
              onChange={(e) => setQuery(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === "Enter") link();
              }}
              placeholder="table or service id, e.g. table:sakila.rental"
              data-testid="risk-artifact-input"
            />
            <datalist id="risk-artifact-options">
              {offered.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.kind} {a.name}
                </option>
              ))}
            </datalist>
            <button type="button" className="secondary" onClick={link} data-testid="risk-artifact-add">
              Link
            </button>
          </div>
          {hint("artifacts")}
        </div>
        <label>
          Retired by (runbook step or check)
          <input list="risk-step-options" value={draft.retiredBy} onChange={(e) => set({ retiredBy: e.target.value })} placeholder="S012, or a validation check" data-testid="risk-retired-by" />
          <datalist id="risk-step-options">
            {steps.map((s) => (
              <option key={s.key} value={s.id}>
                {s.title}
              </option>
            ))}
          </datalist>
          {step && <span className="muted small">{step.title}</span>}
        </label>
        <label className="wide">
          Ordering constraints the plan must honour, one per line
          <textarea
            className={errors.ordering ? "invalid" : ""}
            value={draft.ordering}
            onChange={(e) => set({ ordering: e.target.value })}
            placeholder="service:front-end before datastore:carts-db"
            data-testid="risk-ordering"
          />
          {hint("ordering")}
        </label>
      </div>
      <div className="row">
        <button type="button" disabled={busy} onClick={onSave} data-testid="save-risk">
          {draft.id === "" ? "Add to the register" : "Save"}
        </button>
        <button type="button" className="link" onClick={onCancel}>
          Cancel
        </button>
        <span className="muted">
          Score {scoreOf(draft)} ({draft.severity} × {draft.likelihood})
        </span>
      </div>
    </section>
  );
}
