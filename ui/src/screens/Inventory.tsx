import { useMemo, useState } from "react";
import { Channel } from "@tauri-apps/api/core";
import { commands, type ConnectionInfo, type ImportEvent, type NodeView, type ProjectView } from "../bindings";
import { CommandError, unwrap } from "../lib/errors";
import { newTaskId, useLoad } from "../lib/useLoad";
import { importStatus, parseSchemas, unusable } from "../lib/liveImport";
import { ConnectionForm } from "./Connections";
import { ArtifactDetailPanel } from "./ArtifactDetail";
import { distinct, emptyFilter, filterRows, sortRows, type GridFilter, type SortDir, type SortKey } from "../lib/grid";
import { counted, formatCount, megabytesFigure } from "../lib/format";
import { DataGrid, type GridColumn } from "../components/DataGrid";
import { waveColor } from "../lib/graphModel";
import { EmptyState, ErrorBanner, Loading } from "../components/Feedback";

// One unit per column, named in its header; the figures right-aligned.
const columns: GridColumn<NodeView>[] = [
  { id: "name", header: "Name", size: 240, meta: { sortable: true }, cell: ({ row }) => <span title={row.original.id}>{row.original.name}</span> },
  { id: "kind", header: "Kind", size: 90, meta: { sortable: true }, cell: ({ row }) => row.original.kind },
  { id: "schema", header: "Schema", size: 110, meta: { sortable: true }, cell: ({ row }) => row.original.schema ?? "" },
  { id: "owner", header: "Owner", size: 130, meta: { sortable: true }, cell: ({ row }) => row.original.owner ?? <span className="muted">—</span> },
  { id: "system", header: "System", size: 120, meta: { sortable: true }, cell: ({ row }) => row.original.system ?? <span className="muted">—</span> },
  {
    id: "wave",
    header: "Wave",
    size: 70,
    meta: { sortable: true, numeric: true },
    cell: ({ row }) => (
      <>
        <span className="wave-dot" style={{ background: waveColor(row.original.wave) }} />
        {row.original.wave}
      </>
    ),
  },
  { id: "rows", header: "Rows", size: 100, meta: { sortable: true, numeric: true }, cell: ({ row }) => formatCount(row.original.rows) },
  { id: "bytes", header: "Size (MB)", size: 90, meta: { sortable: true, numeric: true }, cell: ({ row }) => megabytesFigure(row.original.bytes) },
];

export function InventoryScreen({ project, onImported }: { project: ProjectView; onImported: (p: ProjectView) => void }) {
  const inv = useLoad(async () => unwrap(await commands.inventory(project.handle)));
  const [showLive, setShowLive] = useState(false);
  const [imported, setImported] = useState<string | null>(null);
  const live = showLive && (
    <LiveImport
      project={project}
      onDone={(p, status) => {
        onImported(p);
        setImported(status);
        setShowLive(false);
        inv.reload();
      }}
      onClose={() => setShowLive(false)}
    />
  );
  const liveButton = (
    <button type="button" className="secondary" onClick={() => setShowLive(!showLive)} data-testid="live-import-open">
      Import from a live database…
    </button>
  );
  const [filter, setFilter] = useState<GridFilter>(emptyFilter);
  // The artifact whose details are open beside the grid.
  const [selected, setSelected] = useState<string | null>(null);
  const [sort, setSort] = useState<{ key: SortKey; dir: SortDir }>({ key: "wave", dir: "asc" });
  const all = useMemo(() => inv.data?.artifacts ?? [], [inv.data]);
  const rows = useMemo(() => sortRows(filterRows(all, filter), sort.key, sort.dir), [all, filter, sort]);
  const options = useMemo(
    () => ({ kind: distinct(all, "kind"), owner: distinct(all, "owner"), system: distinct(all, "system"), wave: distinct(all, "wave") }),
    [all],
  );

  if (inv.loading && !inv.data) return <Loading what="inventory" />;
  if (inv.error) return <ErrorBanner error={inv.error} />;
  if (all.length === 0)
    return (
      <div className="screen">
        <EmptyState title="Nothing imported yet">
          The project has no tables or services. Read a live database&apos;s schema with “Import from a live database…”, or add SQL scripts (DDL and
          data) or a service inventory to <code>migration-studio.toml</code> and use “Re-import inputs” on the Projects screen.
          <div className="row">{liveButton}</div>
        </EmptyState>
        {live}
      </div>
    );

  const select = (key: "kind" | "owner" | "system" | "wave", label: string) => (
    <label>
      {label}
      <select value={filter[key]} onChange={(e) => setFilter({ ...filter, [key]: e.target.value })} data-testid={`filter-${key}`}>
        <option value="">all</option>
        {options[key].map((v) => (
          <option key={v} value={v}>
            {v}
          </option>
        ))}
      </select>
    </label>
  );

  return (
    <div className="screen">
      <div className="row spread">
        <h1>Inventory</h1>
        {liveButton}
      </div>
      {imported && (
        <div className="ok" data-testid="live-import-done">
          {imported}
        </div>
      )}
      {live}
      <div className="filters">
        <label>
          Search
          <input value={filter.text} onChange={(e) => setFilter({ ...filter, text: e.target.value })} placeholder="name or id" data-testid="filter-text" />
        </label>
        {select("kind", "Kind")}
        {select("owner", "Owner")}
        {select("system", "System")}
        {select("wave", "Wave")}
        <label>
          Rows ≥
          <input className="narrow" inputMode="numeric" value={filter.minRows} onChange={(e) => setFilter({ ...filter, minRows: e.target.value })} />
        </label>
        <span className="muted" data-testid="inventory-count">
          {formatCount(rows.length)} of {counted(all.length, "artifact")}
        </span>
      </div>
      <div className="inventory-body">
        <div className="inventory-grid">
          <DataGrid
            rows={rows}
            columns={columns}
            rowId={(r) => r.id}
            testId="inventory-grid"
            rowTestId="inventory-row"
            label="Inventory"
            rowAttrs={(r) => ({ "data-id": r.id })}
            sort={{ id: sort.key, dir: sort.dir }}
            onSort={(id) => setSort({ key: id as SortKey, dir: sort.key === id && sort.dir === "asc" ? "desc" : "asc" })}
            selectedId={selected}
            onRowClick={(r) => setSelected(r.id)}
            onActivate={(r) => setSelected(r.id)}
          />
          <div className="muted small">Click a row (or Enter on it) for its columns, keys, foreign keys, indexes and wave.</div>
        </div>
        {selected && <ArtifactDetailPanel key={selected} project={project} id={selected} onClose={() => setSelected(null)} />}
      </div>
      {inv.data && inv.data.findings.length > 0 && (
        <section className="card">
          <h2>What the import noticed ({inv.data.findings.length})</h2>
          <ul className="findings">
            {inv.data.findings.slice(0, 200).map((f, i) => (
              <li key={i} className={`finding-${f.severity}`}>
                <span className="badge">{f.severity}</span> <code>{f.code}</code> {f.source}
                {f.line !== null && `:${f.line}`} — {f.message}
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}

/** Reads a live database's schema into the project through a saved connection (its password
 * stays in Rust), all-or-nothing; the connection becomes a live input of the manifest. */
function LiveImport({ project, onDone, onClose }: { project: ProjectView; onDone: (p: ProjectView, status: string) => void; onClose: () => void }) {
  const conns = useLoad(async () => unwrap(await commands.connections()));
  const [connection, setConnection] = useState("");
  const [schemas, setSchemas] = useState("");
  const [form, setForm] = useState<{ initial?: ConnectionInfo } | null>(null);
  const [task, setTask] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const list = conns.data ?? [];
  const chosen = list.find((c) => c.name === connection);
  const why = chosen ? unusable(chosen) : null;

  async function run() {
    const id = newTaskId("live-import");
    setTask(id);
    setError(null);
    let last = "";
    const channel = new Channel<ImportEvent>();
    channel.onmessage = (ev) => {
      last = importStatus(ev);
      setStatus(last);
    };
    try {
      const p = unwrap(await commands.importLive(project.handle, id, { connection, schemas: parseSchemas(schemas) }, channel));
      onDone(p, `${last} From “${connection}”, now a live input of the project (its URL and password stay in the app).`);
    } catch (e) {
      setStatus(null);
      setError(e);
      // The password is not there (restart without a keychain): ask for it again.
      if (e instanceof CommandError && e.error.code === "missing_connection" && chosen) setForm({ initial: chosen });
    } finally {
      setTask(null);
    }
  }

  return (
    <section className="card" data-testid="live-import">
      <div className="row spread">
        <h2>Import from a live database</h2>
        <button type="button" className="link muted" onClick={onClose}>
          Close
        </button>
      </div>
      <p className="muted">
        Reads tables, keys, indexes, views and triggers from the database&apos;s catalog, read-only, together with the project&apos;s other inputs;
        nothing changes unless all of it is read. The connection becomes a live input of <code>migration-studio.toml</code> by name — its URL and
        password are never written there.
      </p>
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      <div className="form-grid">
        <label>
          Connection
          <select value={connection} onChange={(e) => setConnection(e.target.value)} data-testid="live-connection">
            <option value="">choose…</option>
            {list.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name} — {c.display_url}
                {unusable(c) ? " (password needed)" : ""}
              </option>
            ))}
          </select>
          {why && <span className="field-error">{why}</span>}
        </label>
        <label>
          Schemas or databases (optional)
          <input value={schemas} onChange={(e) => setSchemas(e.target.value)} placeholder="public, sales — empty: all (PostgreSQL) or the one named" data-testid="live-schemas" />
        </label>
      </div>
      <div className="row">
        <button type="button" disabled={task !== null || connection === "" || why !== null} onClick={() => void run()} data-testid="live-import-run">
          Import
        </button>
        {task && (
          <button type="button" className="secondary" onClick={() => void commands.cancelTask(task)} data-testid="live-import-cancel">
            Cancel
          </button>
        )}
        {status && <span className="muted" data-testid="live-import-status">{status}</span>}
        <button type="button" className="link" onClick={() => setForm(form ? null : {})} data-testid="live-add-connection">
          {form ? "Hide the connection form" : chosen && why ? "Enter its password…" : "Add a connection…"}
        </button>
      </div>
      {form && (
        <ConnectionForm
          key={form.initial?.name ?? "new"}
          initial={form.initial ?? (chosen && why ? chosen : undefined)}
          onSaved={(c) => {
            conns.reload();
            setConnection(c.name);
            setForm(null);
          }}
        />
      )}
    </section>
  );
}
