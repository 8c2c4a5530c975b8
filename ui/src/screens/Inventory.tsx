import { useMemo, useState } from "react";
import { commands, type ProjectView } from "../bindings";
import { unwrap } from "../lib/errors";
import { useLoad } from "../lib/useLoad";
import { distinct, emptyFilter, filterRows, sortRows, type GridFilter, type SortDir, type SortKey } from "../lib/grid";
import { formatBytes, formatCount } from "../lib/format";
import { waveColor } from "../lib/graphModel";
import { EmptyState, ErrorBanner, Loading } from "../components/Feedback";

const MAX_ROWS = 1000;

const columns: { key: SortKey; label: string; numeric?: boolean }[] = [
  { key: "name", label: "Name" },
  { key: "kind", label: "Kind" },
  { key: "schema", label: "Schema" },
  { key: "owner", label: "Owner" },
  { key: "system", label: "System" },
  { key: "wave", label: "Wave", numeric: true },
  { key: "rows", label: "Rows", numeric: true },
  { key: "bytes", label: "Size", numeric: true },
];

export function InventoryScreen({ project }: { project: ProjectView }) {
  const inv = useLoad(async () => unwrap(await commands.inventory(project.root)));
  const [filter, setFilter] = useState<GridFilter>(emptyFilter);
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
      <EmptyState title="Nothing imported yet">
        The project has no tables or services. Add SQL scripts (DDL and data) or a service inventory to <code>migration-studio.toml</code>, then use
        “Re-import inputs” on the Projects screen.
      </EmptyState>
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
      <h1>Inventory</h1>
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
          {rows.length} of {all.length} artifacts
        </span>
      </div>
      <div className="grid-wrap">
        <table className="grid" data-testid="inventory-grid">
          <thead>
            <tr>
              {columns.map((c) => (
                <th
                  key={c.key}
                  className={c.numeric ? "num sortable" : "sortable"}
                  aria-sort={sort.key === c.key ? (sort.dir === "asc" ? "ascending" : "descending") : "none"}
                  onClick={() => setSort({ key: c.key, dir: sort.key === c.key && sort.dir === "asc" ? "desc" : "asc" })}
                >
                  {c.label}
                  {sort.key === c.key ? (sort.dir === "asc" ? " ▲" : " ▼") : ""}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.slice(0, MAX_ROWS).map((r) => (
              <tr key={r.id} data-testid="inventory-row">
                <td title={r.id}>{r.name}</td>
                <td>{r.kind}</td>
                <td>{r.schema ?? ""}</td>
                <td>{r.owner ?? <span className="muted">—</span>}</td>
                <td>{r.system ?? <span className="muted">—</span>}</td>
                <td className="num">
                  <span className="wave-dot" style={{ background: waveColor(r.wave) }} />
                  {r.wave}
                </td>
                <td className="num">{formatCount(r.rows)}</td>
                <td className="num">{formatBytes(r.bytes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {rows.length > MAX_ROWS && <div className="muted">Showing the first {MAX_ROWS} rows; narrow the filters to see the rest.</div>}
      </div>
      {inv.data && inv.data.findings.length > 0 && (
        <section className="card">
          <h2>What the import noticed ({inv.data.findings.length})</h2>
          <ul className="findings">
            {inv.data.findings.slice(0, 200).map((f, i) => (
              <li key={i} className={f.severity}>
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
