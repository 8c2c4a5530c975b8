import { commands, type ArtifactDetailView_Serialize as ArtifactDetailView, type ForeignKeyView_Serialize as ForeignKeyView, type ProjectView } from "../bindings";
import { unwrap } from "../lib/errors";
import { useLoad } from "../lib/useLoad";
import { formatCount, megabytesFigure } from "../lib/format";
import { waveColor } from "../lib/graphModel";
import { columnValue } from "../lib/columnValue";
import { ErrorBanner, Loading } from "../components/Feedback";

/** An id without its kind prefix, as people name tables (`sakila.rental`). */
function named(id: string): string {
  const i = id.indexOf(":");
  return i < 0 ? id : id.slice(i + 1);
}

/**
 * The inventory's drill-down: one artifact's columns, keys, foreign keys both ways, indexes,
 * estimates, what the import noticed about it, and its wave with the reason, as the engine
 * describes it (`artifact_detail`).
 */
export function ArtifactDetailPanel({ project, id, onClose }: { project: ProjectView; id: string; onClose: () => void }) {
  const detail = useLoad(async () => unwrap(await commands.artifactDetail(project.handle, id)));
  const d = detail.data;
  return (
    <aside className="card detail" data-testid="artifact-detail" data-id={id} aria-label={`Details of ${named(id)}`}>
      <div className="row spread">
        <h2>{d ? d.name : named(id)}</h2>
        <button type="button" className="link muted" onClick={onClose} data-testid="detail-close">
          Close
        </button>
      </div>
      {detail.loading && !d && <Loading what="details" />}
      <ErrorBanner error={detail.error} />
      {d && d.id === id && <Body d={d} />}
    </aside>
  );
}

function Body({ d }: { d: ArtifactDetailView }) {
  return (
    <>
      <dl className="facts">
        <dt>Kind</dt>
        <dd>{d.kind}</dd>
        <dt>Rows (estimate)</dt>
        <dd>{formatCount(d.rows)}</dd>
        <dt>Size (MB, estimate)</dt>
        <dd>{megabytesFigure(d.bytes)}</dd>
        <dt>Owner</dt>
        <dd>{d.owner ?? <span className="muted">—</span>}</dd>
        {d.system && (
          <>
            <dt>System</dt>
            <dd>{d.system}</dd>
          </>
        )}
      </dl>
      <section data-testid="detail-wave">
        <h3>
          <span className="wave-dot" style={{ background: waveColor(d.wave) }} />
          Wave {d.wave}
        </h3>
        <div>{d.wave_because}</div>
      </section>
      {d.columns.length > 0 && (
        <section>
          <h3>Columns ({d.columns.length})</h3>
          <table className="mini" data-testid="detail-columns">
            <tbody>
              {d.columns.map((c) => (
                <tr key={c.name} data-testid="detail-column" data-name={c.name}>
                  <td>
                    {c.name}
                    {c.primary_key && <span className="badge gate">PK</span>}
                  </td>
                  <td className="muted">{c.data_type}</td>
                  <td className="muted">{c.nullable ? "null" : "not null"}</td>
                  <td className="muted" data-testid="detail-column-value">
                    {columnValue(c)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      {(d.primary_key.length > 0 || d.unique_keys.length > 0) && (
        <section data-testid="detail-keys">
          <h3>Keys</h3>
          {d.primary_key.length > 0 && <div>Primary key ({d.primary_key.join(", ")})</div>}
          {d.unique_keys.map((k) => (
            <div key={k.join(",")}>Unique ({k.join(", ")})</div>
          ))}
        </section>
      )}
      {d.kind === "table" && (
        <>
          <Fks title="References (foreign keys out)" testId="detail-fks-out" fks={d.foreign_keys_out} side="to" />
          <Fks title="Referenced by (foreign keys in)" testId="detail-fks-in" fks={d.foreign_keys_in} side="from" />
        </>
      )}
      {d.indexes.length > 0 && (
        <section data-testid="detail-indexes">
          <h3>Indexes ({d.indexes.length})</h3>
          <ul className="plain">
            {d.indexes.map((i) => (
              <li key={i.name}>
                {i.name} ({i.columns.join(", ")}){i.unique && <span className="badge">unique</span>}
              </li>
            ))}
          </ul>
        </section>
      )}
      {d.partitioning && <div className="muted">Partitioning: {d.partitioning}</div>}
      {d.other_links.length > 0 && (
        <section data-testid="detail-links">
          <h3>Other dependencies</h3>
          <ul className="plain">
            {d.other_links.map((l) => (
              <li key={`${l.direction}-${l.other}-${l.kind}`}>
                {l.direction === "out" ? `${l.kind} ${named(l.other)}` : `${named(l.other)} ${l.kind} it`}
              </li>
            ))}
          </ul>
        </section>
      )}
      <section data-testid="detail-findings">
        <h3>What the import noticed about it</h3>
        {d.findings.length === 0 ? (
          <div className="muted">Nothing.</div>
        ) : (
          <ul className="findings">
            {d.findings.map((f, i) => (
              <li key={i} className={`finding-${f.severity}`}>
                <span className="badge">{f.severity}</span> {f.source}
                {f.line !== null && `:${f.line}`} — {f.message}
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

function Fks({ title, testId, fks, side }: { title: string; testId: string; fks: ForeignKeyView[]; side: "to" | "from" }) {
  return (
    <section data-testid={testId}>
      <h3>
        {title} ({fks.length})
      </h3>
      {fks.length === 0 ? (
        <div className="muted">None.</div>
      ) : (
        <ul className="plain">
          {fks.map((f) => (
            <li key={`${f.from_table}-${f.name ?? f.columns.join(",")}`} data-testid={`${testId}-item`}>
              {side === "to" ? (
                <>
                  ({f.columns.join(", ")}) → <strong>{f.to_table}</strong>
                  {f.referenced_columns.length > 0 && ` (${f.referenced_columns.join(", ")})`}
                </>
              ) : (
                <>
                  <strong>{f.from_table}</strong> ({f.columns.join(", ")})
                </>
              )}
              <div className="muted small">
                {f.name ?? "unnamed"} · on delete {f.on_delete.toLowerCase()}
                {f.nullable ? " · nullable" : ""}
                {f.deferred && <span className="badge warn">deferred to break a cycle</span>}
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
