import { useState } from "react";
import {
  commands,
  type MappingFinding_Serialize,
  type MappingRow_Serialize,
  type MappingRuleEdit_Deserialize,
  type MappingScreen_Serialize,
  type ProjectView,
} from "../bindings";
import { unwrap } from "../lib/errors";
import { useLoad } from "../lib/useLoad";
import { countText, ruleEdit, tableCounts, targetColumnShown, type RuleForm } from "../lib/mappingEdit";
import { ComputedColumnForm, RuleEditor } from "../components/MappingForms";
import { DataGrid, type GridColumn } from "../components/DataGrid";
import { EmptyState, ErrorBanner, Loading } from "../components/Feedback";

/**
 * The mapping stage: per source table, each column's rule (what it becomes and why) with the
 * review's findings beside it. A rule is edited in place; the review and the target DDL's diff
 * follow at once. With a saved connection picked as the source, the findings carry how many
 * rows they hit and their first keys.
 */
export function MappingScreen({ project }: { project: ProjectView }) {
  const [source, setSource] = useState("");
  const view = useLoad(async () => unwrap(await commands.mappingView(project.handle, source === "" ? null : source)));
  const connections = useLoad(async () => unwrap(await commands.connections()));
  const [picked, setPicked] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const [author, setAuthor] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [editError, setEditError] = useState<unknown>(null);
  const [ddlDiff, setDdlDiff] = useState<string | null>(null);

  async function init() {
    setError(null);
    try {
      view.set(unwrap(await commands.initMapping(project.handle)));
    } catch (e) {
      setError(e);
    }
  }

  /** Applies `edit`; a refusal stays beside the form (the spec is unchanged) and the form stays open. */
  async function apply(edit: MappingRuleEdit_Deserialize): Promise<boolean> {
    setEditError(null);
    try {
      const edited = unwrap(await commands.editMappingRule(project.handle, edit, source === "" ? null : source));
      view.set(edited.view);
      setDdlDiff(edited.ddl_diff);
      return true;
    } catch (e) {
      setEditError(e);
      return false;
    }
  }

  async function save(table: string, row: MappingRow_Serialize, form: RuleForm) {
    if (await apply(ruleEdit(table, row, form))) setEditing(null);
  }

  /** Removes a column's rule; a refusal stays beside the form, which stays open. */
  async function remove(table: string, row: MappingRow_Serialize) {
    setEditError(null);
    try {
      const edited = unwrap(await commands.removeMappingRule(project.handle, table, row.source_column, source === "" ? null : source));
      view.set(edited.view);
      setDdlDiff(edited.ddl_diff);
      setEditing(null);
    } catch (e) {
      setEditError(e);
    }
  }

  async function addComputed(edit: MappingRuleEdit_Deserialize) {
    if (await apply(edit)) setAdding(false);
  }

  async function accept(f: MappingFinding_Serialize, reason: string) {
    setError(null);
    try {
      unwrap(await commands.acceptMappingFinding(project.handle, f.code, f.entry, reason, author));
      view.reload();
    } catch (e) {
      setError(e);
    }
  }

  if (!view.data) return view.error ? <ErrorBanner error={view.error} /> : <Loading what="the mapping spec and its review" />;
  const data: MappingScreen_Serialize = view.data;
  if (data.spec === null) {
    return (
      <div className="screen">
        <h1>Mapping</h1>
        <EmptyState title="No mapping spec yet" testId="mapping-no-spec">
          <p>
            The spec says, for every source table and column, what it becomes on the target and why. The starting spec puts every column of{" "}
            {project.source_engine} → {project.target_engine} under its default mapping, each with its reason and source; you then edit the rules that
            should differ.
          </p>
          <button type="button" onClick={() => void init()} data-testid="mapping-init">
            Write the starting spec
          </button>
        </EmptyState>
        <ErrorBanner error={error} />
      </div>
    );
  }
  const current = data.tables.find((t) => t.table === picked) ?? data.tables.find((t) => tableCounts(t).all > 0) ?? data.tables[0];
  return (
    <div className="screen mapping">
      <div className="row spread">
        <h1>Mapping</h1>
        <span className={data.blocking > 0 ? "badge warn" : "badge good"} data-testid="mapping-blocking">
          {data.blocking > 0 ? `${data.blocking} unaccepted error${data.blocking === 1 ? "" : "s"}` : "no unaccepted error"} · {data.findings} finding
          {data.findings === 1 ? "" : "s"}
        </span>
      </div>
      <div className="row">
        <label>
          Table{" "}
          <select value={current?.table ?? ""} onChange={(e) => setPicked(e.target.value)} data-testid="mapping-table">
            {data.tables.map((t) => {
              const n = tableCounts(t);
              return (
                <option key={t.table} value={t.table}>
                  {t.table}
                  {t.target && t.target !== t.table.split(".").pop() ? ` → ${t.target}` : ""}
                  {n.all > 0 ? ` (${n.all} finding${n.all === 1 ? "" : "s"}${n.blocking > 0 ? `, ${n.blocking} blocking` : ""})` : ""}
                </option>
              );
            })}
          </select>
        </label>
        <label>
          Count against the data of{" "}
          <select
            value={source}
            onChange={(e) => {
              setSource(e.target.value);
              view.reload();
            }}
            data-testid="mapping-source"
          >
            <option value="">no source (types only)</option>
            {(connections.data ?? []).map((c) => (
              <option key={c.name} value={c.name}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Your name{" "}
          <input value={author} onChange={(e) => setAuthor(e.target.value)} placeholder="author of edits and acceptances" data-testid="mapping-author" />
        </label>
        {view.loading && <span className="muted">Reviewing…</span>}
        {current && !adding && (
          <button
            type="button"
            onClick={() => {
              setEditError(null);
              setEditing(null);
              setAdding(true);
            }}
            data-testid="mapping-add-computed"
          >
            Add computed column
          </button>
        )}
      </div>
      <div className="muted small" data-testid="mapping-scope">
        Spec: {data.spec}.{" "}
        {data.data_scope ? `Data pass: ${data.data_scope}.` : "Findings from the types alone; pick a source to count the rows each one hits."}
      </div>
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      {current && current.findings.length > 0 && (
        <ul className="findings" data-testid="mapping-table-findings">
          {current.findings.map((f) => (
            <li key={`${f.code}-${f.entry}`}>
              <FindingView finding={f} onAccept={(r) => void accept(f, r)} />
            </li>
          ))}
        </ul>
      )}
      {current && adding && (
        <ComputedColumnForm
          key={`computed-${current.table}`}
          table={current.table}
          columns={current.rows.flatMap((r) => [r.source_column, r.target_column])}
          author={author}
          error={editError}
          onSave={(edit) => void addComputed(edit)}
          onCancel={() => {
            setAdding(false);
            setEditError(null);
          }}
        />
      )}
      {current && (
        <DataGrid
          key={current.table}
          rows={current.rows}
          columns={mappingColumns(
            current.target,
            (r) => {
              setEditError(null);
              setAdding(false);
              setEditing(r.source_column);
            },
            (f, r) => void accept(f, r),
          )}
          rowId={(r) => r.source_column}
          testId="mapping-grid"
          rowTestId="mapping-row"
          label={`Rules of ${current.table}`}
          rowAttrs={(r) => ({ "data-column": r.source_column, "data-computed": r.computed ? "true" : undefined, className: r.findings.some((f) => !f.accepted && f.severity === "error") ? "blocking" : undefined })}
          onActivate={(r) => setEditing(r.source_column)}
          rowHeight={40}
          editor={
            editing === null
              ? null
              : {
                  id: editing,
                  cells: (r) => (
                    <td colSpan={7}>
                      <RuleEditor
                        row={r}
                        author={author}
                        error={editError}
                        onCancel={() => {
                          setEditing(null);
                          setEditError(null);
                        }}
                        onSave={(form) => void save(current.table, r, form)}
                        onRemove={() => void remove(current.table, r)}
                      />
                    </td>
                  ),
                }
          }
        />
      )}
      {ddlDiff !== null && (
        <section data-testid="mapping-ddl">
          <h2>What the last edit changed in the target DDL</h2>
          {ddlDiff === "" ? <p className="muted">No DDL change.</p> : <pre className="ddl-diff" data-testid="mapping-ddl-diff">{ddlDiff}</pre>}
        </section>
      )}
    </div>
  );
}

/** The grid's columns, 980 px in all (the window less the navigation, the grid's border and a vertical scroll bar): the findings beside the rule, the reason last. */
function mappingColumns(
  mainTarget: string,
  edit: (r: MappingRow_Serialize) => void,
  accept: (f: MappingFinding_Serialize, reason: string) => void,
): GridColumn<MappingRow_Serialize>[] {
  return [
    {
      id: "source_column",
      header: "Source column",
      size: 120,
      cell: ({ row }) => (row.original.computed ? <span className="muted">none (computed)</span> : row.original.source_column),
    },
    {
      id: "source_type",
      header: "Source type",
      size: 125,
      cell: ({ row }) => (row.original.computed ? <span className="muted small" title={row.original.derive}>= {row.original.derive}</span> : row.original.source_type),
    },
    {
      id: "target_column",
      header: "→ Target column",
      size: 120,
      cell: ({ row }) => (row.original.target_column === "" ? <span className="muted">dropped</span> : targetColumnShown(row.original, mainTarget)),
    },
    { id: "target_type", header: "Target type", accessorKey: "target_type", size: 135 },
    {
      id: "rule",
      header: "Rule",
      size: 90,
      cell: ({ row }) => (
        <span>
          {/* `rename,table merged`: a space after each comma lets a long list wrap instead of being cut. */}
          <span data-testid="mapping-rule">{row.original.rule.split(",").join(", ")}</span>{" "}
          <button type="button" className="link" onClick={() => edit(row.original)} data-testid="mapping-edit">
            Edit
          </button>
        </span>
      ),
    },
    {
      id: "findings",
      header: "Findings",
      size: 268,
      cell: ({ row }) =>
        row.original.findings.length === 0 ? (
          <span className="muted">none</span>
        ) : (
          <ul className="findings inline">
            {row.original.findings.map((f) => (
              <li key={f.code}>
                <FindingView finding={f} onAccept={(r) => accept(f, r)} />
              </li>
            ))}
          </ul>
        ),
    },
    {
      id: "reason",
      header: "Reason",
      size: 122,
      cell: ({ row }) => (
        <span title={row.original.author ? `by ${row.original.author}` : undefined}>
          {row.original.reason}
          {row.original.author && <span className="muted small"> — {row.original.author}</span>}
        </span>
      ),
    },
  ];
}

function FindingView({ finding: f, onAccept }: { finding: MappingFinding_Serialize; onAccept: (reason: string) => void }) {
  const [accepting, setAccepting] = useState(false);
  const [reason, setReason] = useState("");
  const count = countText(f);
  return (
    <div className={f.accepted ? "finding accepted" : `finding ${f.severity}`} data-testid="mapping-finding" data-code={f.code} data-entry={f.entry}>
      <span className={f.severity === "error" ? "badge warn" : "badge"} data-testid="mapping-finding-severity">
        {f.code} {f.severity}
      </span>{" "}
      <span>{f.message}</span>
      {count && (
        <div className="small" data-testid="mapping-finding-count">
          {count}
        </div>
      )}
      <div className="muted small">Fix: {f.fix}</div>
      {f.accepted ? (
        <div className="small" data-testid="mapping-finding-accepted">
          <span className="badge good">accepted</span> by {f.accepted.author}: {f.accepted.reason}
        </div>
      ) : accepting ? (
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            onAccept(reason);
            setAccepting(false);
          }}
        >
          <input value={reason} onChange={(e) => setReason(e.target.value)} placeholder="why it is acceptable" data-testid="mapping-accept-reason" />
          <button type="submit" data-testid="mapping-accept-save">
            Accept
          </button>
          <button type="button" className="link" onClick={() => setAccepting(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <button type="button" className="link" onClick={() => setAccepting(true)} data-testid="mapping-accept">
          Accept with a reason…
        </button>
      )}
    </div>
  );
}
