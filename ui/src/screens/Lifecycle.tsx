import { useEffect, useState } from "react";
import { commands, type ProjectView } from "../bindings";
import { unwrap } from "../lib/errors";
import { useLoad } from "../lib/useLoad";
import { ago, boardColumns } from "../lib/lifecycleBoard";
import { ErrorBanner, Loading } from "../components/Feedback";

/** How often the board reads the store again, so it follows a `lifecycle run` loop. */
const REFRESH_MS = 2000;

/**
 * The lifecycle board: one column per phase, one card per job with the criteria its last window
 * failed, why it needs a look and its last transition. By default only the jobs that need a
 * look (held, regressing, awaiting approval, stuck), as `lifecycle status` shows them.
 */
export function LifecycleScreen({ project }: { project: ProjectView }) {
  const board = useLoad(async () => unwrap(await commands.lifecycleBoard(project.handle)));
  const [onlyAttention, setOnlyAttention] = useState(true);
  const [now, setNow] = useState(() => Date.now() / 1000);
  const { reload } = board;
  useEffect(() => {
    const timer = window.setInterval(() => {
      setNow(Date.now() / 1000);
      reload();
    }, REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [reload]);

  if (!board.data) {
    return board.error ? <ErrorBanner error={board.error} /> : <Loading what="the lifecycle board" />;
  }
  const columns = boardColumns(board.data, onlyAttention);
  const shown = columns.reduce((n, c) => n + c.cards.length, 0);
  const total = board.data.jobs.length;
  return (
    <section className="lifecycle" data-testid="lifecycle-board">
      <header className="screen-header">
        <h1>Job lifecycle</h1>
        <p className="muted">
          Each migrated table is a job that earns its way from shadow to reverse shadow to cleanup, promoted and demoted by
          measured criteria. <code>migration-studio lifecycle run</code> drives the jobs; this board follows it.
        </p>
        <label className="toggle">
          <input
            type="checkbox"
            data-testid="lifecycle-only-attention"
            checked={onlyAttention}
            onChange={(e) => setOnlyAttention(e.target.checked)}
          />{" "}
          Only jobs that need a look (held, regressing, awaiting approval, stuck)
        </label>
        <p data-testid="lifecycle-summary">
          {onlyAttention
            ? shown === 0
              ? `No job needs a look among ${total.toLocaleString("en")} jobs.`
              : `${shown.toLocaleString("en")} of ${total.toLocaleString("en")} jobs need a look.`
            : `${total.toLocaleString("en")} jobs.`}
        </p>
      </header>
      {board.error != null && <ErrorBanner error={board.error} />}
      <div className="board">
        {columns.map((c) => (
          <div key={c.phase} className="board-column" data-testid={`lifecycle-column-${c.phase}`}>
            <h2>
              {c.label} <span className="count">{c.total.toLocaleString("en")}</span>
            </h2>
            {c.cards.map((j) => (
              <article key={j.id} className={j.attention.length > 0 ? "job-card attention" : "job-card"} data-testid="lifecycle-card" data-job={j.id}>
                <h3>{j.id}</h3>
                {j.attention.length > 0 && (
                  <p className="badges">
                    {j.attention.map((a) => (
                      <span key={a} className="badge">
                        {a}
                      </span>
                    ))}
                  </p>
                )}
                {j.failures.length > 0 ? (
                  <ul className="failures" aria-label="Failed criteria">
                    {j.failures.map((f) => (
                      <li key={f}>{f}</li>
                    ))}
                  </ul>
                ) : (
                  <p className="muted">
                    {j.last_window_at == null ? "Not measured yet" : `Every criterion held (${j.streak} window${j.streak === 1 ? "" : "s"} in a row)`}
                  </p>
                )}
                <p className="muted small" data-testid="lifecycle-last-transition">
                  {j.last_transition ?? "No transition yet"}
                  {j.last_transition_at != null && ` · ${ago(j.last_transition_at, now)}`}
                </p>
              </article>
            ))}
          </div>
        ))}
      </div>
    </section>
  );
}
