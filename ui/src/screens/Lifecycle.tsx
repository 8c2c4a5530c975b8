import { useEffect, useState } from "react";
import { commands, type JobCard_Serialize as JobCard, type LoopRun, type ProjectView } from "../bindings";
import { CommandError, describeError, unwrap } from "../lib/errors";
import { newTaskId, useLoad } from "../lib/useLoad";
import { ago, approvalAction, boardColumns, parseTickInterval, parseTickLimit, tickRange } from "../lib/lifecycleBoard";
import { ConnectionSelect } from "../components/ConnectionSelect";
import { ErrorBanner, Loading } from "../components/Feedback";

/** How often the board reads the store again, so it follows a `lifecycle run` loop. */
const REFRESH_MS = 2000;

/** A command's error in words with its stable code (`busy`, `invalid_input`…), inline. */
function InlineError({ error, testId }: { error: unknown; testId: string }) {
  if (error == null) return null;
  const shown = describeError(error);
  const code = error instanceof CommandError ? error.error.code : null;
  return (
    <div className="error" role="alert" data-testid={testId}>
      <strong>{shown.title}</strong> {code && <code className="code">{code}</code>}
      <div className="error-detail">{shown.detail}</div>
      {shown.fix && <div className="error-fix">What to do: {shown.fix}</div>}
    </div>
  );
}

/**
 * A person's go on a card: who approves and why, asked inline. Approving a cleanup records it
 * (the loop promotes the job at its next window); releasing a held job moves it at once.
 */
function ApprovalForm({ project, card, onDone }: { project: ProjectView; card: JobCard; onDone: (message: string) => void }) {
  const action = approvalAction(card);
  const [open, setOpen] = useState(false);
  const [by, setBy] = useState("");
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  if (action === null) return null;
  const label = action === "approve" ? "Approve cleanup" : "Release";
  if (!open) {
    return (
      <button type="button" className="small-button" onClick={() => setOpen(true)} data-testid="lifecycle-approve-open">
        {label}…
      </button>
    );
  }
  async function submit() {
    setBusy(true);
    setError(null);
    try {
      const done = unwrap(await commands.lifecycleApprove(project.handle, { job: card.id, by, reason }));
      setOpen(false);
      onDone(`${done.job}: ${done.message}`);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form
      className="approval-form"
      data-testid="lifecycle-approve-form"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <p className="muted small">
        {action === "approve"
          ? "Cleanup is the point of no return: the old job and its shadow table are removed."
          : "Back to the phase it was held in; the loop measures it again."}
      </p>
      <label>
        Approved by
        <input value={by} onChange={(e) => setBy(e.target.value)} placeholder="your name" data-testid="lifecycle-approve-by" autoFocus />
      </label>
      <label>
        Why
        <input value={reason} onChange={(e) => setReason(e.target.value)} placeholder="e.g. owners signed off" data-testid="lifecycle-approve-reason" />
      </label>
      <div className="row">
        <button type="submit" disabled={busy} data-testid="lifecycle-approve-submit">
          {label}
        </button>
        <button type="button" className="link" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
      <InlineError error={error} testId="lifecycle-approve-error" />
    </form>
  );
}

/**
 * The loop run from the board: measurements from two saved connections or a measurements file
 * (chosen in the dialog the app opens), an optional tick limit, Cancel while it runs, and what the
 * finished run did. One loop per project: the engine refuses a second (here or from the CLI).
 */
function LoopControl({ project, defaultInterval, onFinished }: { project: ProjectView; defaultInterval: number | null; onFinished: () => void }) {
  const conns = useLoad(async () => unwrap(await commands.connections()));
  const [from, setFrom] = useState<"file" | "connections">("connections");
  const [source, setSource] = useState("");
  const [target, setTarget] = useState("");
  const [ticks, setTicks] = useState("");
  const [wait, setWait] = useState("");
  const [task, setTask] = useState<string | null>(null);
  const [run, setRun] = useState<LoopRun | null>(null);
  const [error, setError] = useState<unknown>(null);
  const limit = parseTickLimit(ticks);
  const interval = parseTickInterval(wait);
  const list = conns.data ?? [];

  async function start() {
    if ("error" in limit || "error" in interval) return;
    setError(null);
    setRun(null);
    const id = newTaskId("lifecycle-loop");
    setTask(id);
    try {
      const measurements = from === "file" ? { kind: "file" as const } : { kind: "connections" as const, source, target };
      const done = unwrap(await commands.lifecycleRun(project.handle, id, { measurements, max_ticks: limit.ticks, interval_seconds: interval.seconds }));
      if (done) setRun(done);
    } catch (e) {
      setError(e);
    } finally {
      setTask(null);
      onFinished();
    }
  }

  const ready = from === "file" || (source !== "" && target !== "");
  return (
    <section className="card loop-control" data-testid="lifecycle-loop">
      <h2>Run the loop</h2>
      <div className="row">
        <label className="check">
          <input type="radio" name="loop-from" checked={from === "connections"} onChange={() => setFrom("connections")} data-testid="lifecycle-from-connections" />
          Measure two saved connections
        </label>
        <label className="check">
          <input type="radio" name="loop-from" checked={from === "file"} onChange={() => setFrom("file")} data-testid="lifecycle-from-file" />
          Read a measurements file (chosen when you start)
        </label>
      </div>
      <div className="form-grid">
        {from === "connections" && (
          <>
            <label>
              Old side (source)
              <ConnectionSelect value={source} onChange={setSource} connections={list} testId="lifecycle-source" />
            </label>
            <label>
              New side (rehearsal target)
              <ConnectionSelect value={target} onChange={setTarget} connections={list} testId="lifecycle-target" />
            </label>
          </>
        )}
        <label>
          Tick limit
          <input
            className="narrow"
            value={ticks}
            placeholder="none"
            title="Blank: until every job is done or held"
            onChange={(e) => setTicks(e.target.value)}
            data-testid="lifecycle-ticks"
            aria-invalid={"error" in limit}
          />
          <span className="muted">blank: until every job is done or held</span>
          {"error" in limit && <span className="error-text">{limit.error}</span>}
        </label>
        <label>
          Seconds between ticks
          <input
            className="narrow"
            value={wait}
            placeholder={from === "file" || defaultInterval === null ? "none" : String(defaultInterval)}
            onChange={(e) => setWait(e.target.value)}
            data-testid="lifecycle-interval"
            aria-invalid={"error" in interval}
          />
          <span className="muted" data-testid="lifecycle-interval-default">
            {from === "file"
              ? "blank: the file's windows follow each other at once"
              : `blank: the project's setting${defaultInterval === null ? "" : `, ${defaultInterval.toLocaleString("en")} s`} between measurements`}
          </span>
          {"error" in interval && (
            <span className="error-text" data-testid="lifecycle-interval-error">
              {interval.error}
            </span>
          )}
        </label>
      </div>
      {from === "connections" && list.length === 0 && conns.data && <p className="muted">No saved connection yet: add them on the Rehearsal screen.</p>}
      <div className="row">
        <button type="button" disabled={task !== null || !ready || "error" in limit || "error" in interval} onClick={() => void start()} data-testid="lifecycle-run">
          Run the loop
        </button>
        {task && (
          <>
            <button type="button" onClick={() => void commands.cancelTask(task)} data-testid="lifecycle-cancel">
              Cancel
            </button>
            <span className="muted" data-testid="lifecycle-running">
              Running… the board follows it.
            </span>
          </>
        )}
      </div>
      <InlineError error={error} testId="lifecycle-run-error" />
      {run && (
        <div className="loop-result" data-testid="lifecycle-run-result">
          <p>
            <strong>{run.cancelled ? "Stopped" : "Finished"}</strong>
            {run.finished_at != null && ` at ${new Date(run.finished_at * 1000).toLocaleTimeString("en-GB")}`}:{" "}
            <span data-testid="lifecycle-run-ticks">{tickRange(run.first_tick, run.last_tick, run.ticks)}</span>,{" "}
            {run.transitions.length === 0 ? "no transition" : `${run.transitions.length} transition${run.transitions.length === 1 ? "" : "s"}`}
            {run.settled ? "; every job is done or held" : ""}. <span className="muted small">Measured from {run.measured_from}.</span>
          </p>
          {run.transitions.length > 0 && (
            <ul className="small" data-testid="lifecycle-run-transitions">
              {run.transitions.map((t, i) => (
                <li key={i}>{t}</li>
              ))}
            </ul>
          )}
        </div>
      )}
    </section>
  );
}

/**
 * The lifecycle board: one column per phase, one card per job with the criteria its last window
 * failed, why it needs a look and its last transition. By default only the jobs that need a
 * look (held, regressing, awaiting approval, stuck), as `lifecycle status` shows them.
 */
export function LifecycleScreen({ project }: { project: ProjectView }) {
  const board = useLoad(async () => unwrap(await commands.lifecycleBoard(project.handle)));
  const [onlyAttention, setOnlyAttention] = useState(true);
  const [now, setNow] = useState(() => Date.now() / 1000);
  const [notice, setNotice] = useState<string | null>(null);
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
    <section className="screen lifecycle" data-testid="lifecycle-board">
      <header className="screen-header">
        <h1>Job lifecycle</h1>
        <p className="muted">
          Each migrated table is a job that earns its way from shadow to reverse shadow to cleanup, promoted and demoted by
          measured criteria. Run the loop here or with <code>migration-studio lifecycle run</code>; the board follows it.
        </p>
        <label className="check">
          <input
            type="checkbox"
            data-testid="lifecycle-only-attention"
            checked={onlyAttention}
            onChange={(e) => setOnlyAttention(e.target.checked)}
          />
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
      <LoopControl
        project={project}
        defaultInterval={board.data.interval_seconds}
        onFinished={() => {
          // A run after an approval says what became of it; the notice would be stale.
          setNotice(null);
          reload();
        }}
      />
      {notice && (
        <p className="notice" data-testid="lifecycle-notice">
          {notice}{" "}
          <button type="button" className="link" onClick={() => setNotice(null)}>
            Dismiss
          </button>
        </p>
      )}
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
                {j.approved_by != null && (
                  <p className="approved small" data-testid="lifecycle-approved">
                    Cleanup approved by {j.approved_by}
                    {j.approval_reason ? `: ${j.approval_reason}` : ""}; the loop promotes it at its next good window.
                  </p>
                )}
                <p className="muted small" data-testid="lifecycle-last-transition">
                  {j.last_transition ?? "No transition yet"}
                  {j.last_transition_at != null && ` · ${ago(j.last_transition_at, now)}`}
                </p>
                <ApprovalForm
                  project={project}
                  card={j}
                  onDone={(message) => {
                    setNotice(message);
                    reload();
                  }}
                />
              </article>
            ))}
          </div>
        ))}
      </div>
    </section>
  );
}
