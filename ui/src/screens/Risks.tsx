import { useMemo, useState } from "react";
import { commands, type ProjectView } from "../bindings";
import { unwrap } from "../lib/errors";
import { useLoad } from "../lib/useLoad";
import { heatRows, scoreBand } from "../lib/charts";
import { EmptyState, ErrorBanner, Loading } from "../components/Feedback";

export function RisksScreen({ project }: { project: ProjectView }) {
  const reg = useLoad(async () => unwrap(await commands.risks(project.root)));
  const [cell, setCell] = useState<{ severity: number; likelihood: number } | null>(null);
  const rows = useMemo(() => {
    const all = reg.data?.risks ?? [];
    const picked = cell ? all.filter((r) => r.severity === cell.severity && r.likelihood === cell.likelihood) : all;
    return [...picked].sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
  }, [reg.data, cell]);

  if (reg.loading && !reg.data) return <Loading what="risk register" />;
  if (reg.error) return <ErrorBanner error={reg.error} />;
  const data = reg.data;
  if (!data) return null;
  return (
    <div className="screen">
      <h1>Risk register</h1>
      {data.risks.length === 0 ? (
        <EmptyState title="No risks recorded yet" testId="no-risks">
          The register is kept in the project store. Review the suggestions the plan makes (FK cycles, tables without a primary key, the point of no
          return…) with <code>migration-studio risks suggest {project.root}</code> and accept them, or import a register from CSV with{" "}
          <code>migration-studio risks import</code>; they appear here with their heat map.
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
            <div className="muted">Rows: severity (5 at the top). Columns: likelihood. Click a cell to filter.</div>
          </section>
          <div className="grid-wrap">
            <table className="grid" data-testid="risk-grid">
              <thead>
                <tr>
                  <th>Id</th>
                  <th>Risk</th>
                  <th>Category</th>
                  <th className="num">Score</th>
                  <th>Owner</th>
                  <th>Mitigation</th>
                  <th>Status</th>
                  <th>Linked</th>
                  <th>Retired by</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.id}>
                    <td>{r.id}</td>
                    <td>
                      {r.title}
                      {r.flags.map((f) => (
                        <span key={f} className="badge warn">
                          {f}
                        </span>
                      ))}
                    </td>
                    <td>{r.category}</td>
                    <td className={`num heat-${scoreBand(r.score)}`}>
                      {r.score} ({r.severity}×{r.likelihood})
                    </td>
                    <td>{r.owner ?? <span className="muted">—</span>}</td>
                    <td>{r.mitigation ?? <span className="muted">—</span>}</td>
                    <td>{r.status}</td>
                    <td title={r.artifacts.join("\n")}>
                      {r.artifacts.length} artifacts, blast radius {r.blast_radius}
                      {r.ordering.map((o) => (
                        <div key={o} className="muted">
                          {o}
                        </div>
                      ))}
                    </td>
                    <td>{r.retired_by ?? ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
      {data.ignored_orderings.length > 0 && (
        <div className="error">Ordering constraints naming unknown artifacts are ignored: {data.ignored_orderings.join("; ")}</div>
      )}
    </div>
  );
}
